#!/bin/bash
# Turns a tandem root filesystem (image/build.sh rootfs) into the root of a
# User-Mode Linux lab host: the UML kernel's modules (drbd, iscsi_tcp, ...),
# the lab guest agent, and settings for a host without systemd.
# Usage: customize.sh ROOTDIR KERNEL_VERSION
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$1 KVER=$2
mkdir -p "$ROOT/lib/modules"
rm -rf "$ROOT/lib/modules/$KVER"
cp -a "/usr/lib/uml/modules/$KVER" "$ROOT/lib/modules/"
chroot "$ROOT" /sbin/depmod "$KVER"
install -m 0755 "$HERE/lab-init" "$HERE/lab-boot" "$HERE/lab-cluster" "$ROOT/usr/local/sbin/"
mkdir -p "$ROOT/mnt/host" "$ROOT/etc/tandem-lab"
echo tandem-lab >"$ROOT/etc/hostname"
# root=/dev/ubda rw on the kernel command line mounts the root
echo '# root is mounted by the kernel (root=/dev/ubda rw)' >"$ROOT/etc/fstab"
sed -i 's/^root:[^:]*:/root::/' "$ROOT/etc/shadow"
