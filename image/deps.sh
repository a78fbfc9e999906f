#!/usr/bin/env bash
# Debian packages the image build, the UML lab and `make demo` need on the
# host (beyond tests/lib/deps.sh, which builds tandem). Idempotent.
set -eu
pkgs=(
	mmdebstrap user-mode-linux e2fsprogs iproute2 python3 util-linux
	qemu-utils dosfstools mtools fdisk
)
[[ ${1:-} == --vagrant ]] && pkgs+=(vagrant)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
	echo "image deps: all ${#pkgs[@]} packages present"
	exit 0
fi
echo "image deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
SUDO=
[[ $(id -u) -eq 0 ]] || SUDO=sudo
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "image deps: done"
