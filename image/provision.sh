#!/bin/bash
# Provisions a Debian 12 (bookworm) system as a tandem node. The one script
# both paths use, so they stay one:
#   - image/build-rootfs.sh runs it inside the image's root filesystem
#     (chroot; the packages are already there and tandem is already
#     installed by `make install DESTDIR=...`, so it passes --no-build);
#   - the Vagrantfile runs it in generic Debian boxes, where it installs
#     the packages of image/packages.list and builds and installs tandem
#     from the synced source tree.
# Idempotent: run it again after changing the tree.
#
# Usage: provision.sh [--repo DIR] [--no-build] [--role node|client]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
BUILD_TANDEM=1
ROLE=node
while [[ $# -gt 0 ]]; do
	case $1 in
	--repo) REPO=$2; shift ;;
	--no-build) BUILD_TANDEM=0 ;;
	--role) ROLE=$2; shift ;;
	*) echo "provision: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
say() { echo "provision: $*"; }
export DEBIAN_FRONTEND=noninteractive
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
apt_install() {	# installs what is missing of "$@"
	local p missing=()
	for p in "$@"; do installed "$p" || missing+=("$p"); done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	say "installing ${missing[*]}"
	[[ -n $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null) ]] ||
		apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
}

# 1. The appliance's packages.
# (no process substitution: the image build runs this in a chroot without /proc)
PKGS=()
while read -r p _; do
	[[ -n $p ]] && PKGS+=("$p")
done <<<"$(sed -e 's/#.*//' "$HERE/packages.list")"
apt_install "${PKGS[@]}"
say "packages: ${#PKGS[@]} from image/packages.list present"

# 2. tandem itself: `make install` of the tree (whatever it installs).
if [[ $BUILD_TANDEM == 1 ]]; then
	apt_install build-essential pkg-config libqb-dev libjansson-dev liburing-dev libssl-dev \
		libnl-route-3-dev
	say "building and installing tandem from $REPO"
	make -C "$REPO" -s -j"$(nproc)" install PREFIX=/usr DESTDIR= >/dev/null
fi
[[ -x /usr/sbin/tandemd ]] || { say "tandemd is not installed"; exit 1; }

# 3. Cluster tooling from the tree, where `make install` does not (yet) put
#    it: the configuration generator with its templates and examples, and
#    the lab's fence agent (docs/fencing.md: /usr/sbin, where the fencer
#    and pcs look for fence agents).
if [[ -d $REPO/cluster-config ]]; then
	mkdir -p /usr/share/tandem
	rm -rf /usr/share/tandem/cluster-config /usr/share/tandem/drbd
	cp -r "$REPO/cluster-config" /usr/share/tandem/cluster-config
	cp -r "$REPO/drbd" /usr/share/tandem/drbd
	[[ -e /usr/sbin/tandem-config ]] ||
		ln -s /usr/share/tandem/cluster-config/tandem-config /usr/sbin/tandem-config
	[[ -e /usr/sbin/fence_tandemlab ]] ||
		install -m 0755 "$REPO/cluster-config/fence/fence_tandemlab" /usr/sbin/fence_tandemlab
fi

# 4. System settings.
# DRBD and the cluster start under Pacemaker's control once configured
# (docs/cluster-setup.md), never on their own at boot.
for s in drbd.service corosync.service pacemaker.service pcsd.service pcsd-ruby.service \
	iscsid.service open-iscsi.service; do
	systemctl --root=/ disable "$s" >/dev/null 2>&1 || true
done
if [[ $ROLE == client ]]; then
	systemctl --root=/ enable iscsid.socket open-iscsi.service >/dev/null 2>&1 || true
fi
mkdir -p /etc/modules-load.d /etc/tandem /var/log/crmsh
echo drbd >/etc/modules-load.d/tandem.conf
# crmsh writes its log here as hacluster
chown hacluster:haclient /var/log/crmsh 2>/dev/null || true
chmod 0775 /var/log/crmsh
# every node needs its own initiator name (the image ships none)
if [[ $ROLE == client && ! -s /etc/iscsi/initiatorname.iscsi ]]; then
	echo "InitiatorName=$(iscsi-iname)" >/etc/iscsi/initiatorname.iscsi
fi
say "done (role $ROLE)"
