#!/usr/bin/env bash
# Installs every Debian package building and testing tandem needs.
# Idempotent: only what is missing is installed.
set -eu
pkgs=(
	build-essential pkg-config clang libclang-rt-14-dev
	libqb-dev libjansson-dev liburing-dev libssl-dev libcmocka-dev
	libnl-route-3-dev libedit-dev
	libiscsi-bin libiscsi-dev qemu-utils qemu-block-extra
	tgt sg3-utils bats valgrind iproute2 procps psmisc util-linux
	istgt linux-perf
	pacemaker pacemaker-cli-utils crmsh pcs corosync drbd-utils
	resource-agents fence-agents libxml2-utils python3 nftables
	user-mode-linux mmdebstrap e2fsprogs dosfstools mtools fdisk
	vagrant vagrant-libvirt
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
	echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
SUDO=
[[ $(id -u) -eq 0 ]] || SUDO=sudo
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
