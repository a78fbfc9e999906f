#!/bin/bash
# The bootable disk image and the Vagrant box (libvirt), from the "disk"
# root filesystem of image/build.sh (tandem + image/packages-disk.list).
# Built without loop devices or mounts: the EFI system partition is a FAT
# file filled with mtools, the root partition an ext4 file made with
# mkfs.ext4 -d, both copied into a GPT disk written by sfdisk. It boots with
# UEFI (systemd-boot): libvirt needs an OVMF loader (the box's Vagrantfile
# sets it). Not boot-tested on a machine without VM support.
#
# Usage: disk-image.sh ROOTFS ROOTFS_KEY disk|box   (prints the result path)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOTFS=$1 ROOTFS_KEY=$2 WHAT=$3
exec 3>&1 1>&2		# progress on stderr, the result path on stdout
ESP_MB=128
ROOT_MB=3072
for t in sfdisk mkfs.vfat mcopy qemu-img; do
	command -v "$t" >/dev/null || die "$t is missing (make deps)"
done
key=$(str_hash disk-v1 "$ROOTFS_KEY" "$(tree_hash "$IMAGE_DIR/disk-image.sh")")
out=$CACHE/disk-$key
if [[ ! -s $out/tandem.qcow2 ]]; then
	tmp=$CACHE/disk.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	step "disk: copying rootfs"
	cp -a "$ROOTFS" "$tmp/root"
	R=$tmp/root
	step "disk: system settings (fstab, network, ssh, vagrant user)"
	echo tandem >"$R/etc/hostname"
	cat >"$R/etc/fstab" <<-EOF
		LABEL=tandemroot  /          ext4  errors=remount-ro  0 1
		LABEL=ESP         /boot/efi  vfat  umask=0077         0 2
	EOF
	mkdir -p "$R/boot/efi" "$R/etc/systemd/network"
	cat >"$R/etc/systemd/network/50-dhcp.network" <<-EOF
		[Match]
		Name=en* eth*
		[Network]
		DHCP=yes
	EOF
	chroot "$R" systemctl --root=/ enable systemd-networkd.service ssh.service >/dev/null 2>&1 || true
	# the Vagrant convention: user vagrant, password vagrant, sudo without a
	# password, Vagrant's well-known insecure key (replaced at first `vagrant up`)
	chroot "$R" useradd -m -s /bin/bash -G sudo vagrant 2>/dev/null || true
	echo 'vagrant:vagrant' | chroot "$R" chpasswd
	echo 'vagrant ALL=(ALL) NOPASSWD: ALL' >"$R/etc/sudoers.d/vagrant"
	chmod 0440 "$R/etc/sudoers.d/vagrant"
	pub=$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub 2>/dev/null | head -1)
	if [[ -n $pub ]]; then
		install -d -m 0700 "$R/home/vagrant/.ssh"
		install -m 0600 "$pub" "$R/home/vagrant/.ssh/authorized_keys"
		chroot "$R" chown -R vagrant:vagrant /home/vagrant/.ssh
	else
		step "disk: WARNING no vagrant.pub on this host (install vagrant): the box has no key"
	fi
	# ssh host keys are made at first boot, not shipped
	rm -f "$R"/etc/ssh/ssh_host_*
	cat >"$R/etc/systemd/system/ssh-hostkeys.service" <<-EOF
		[Unit]
		Description=Generate SSH host keys
		Before=ssh.service
		ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
		[Service]
		Type=oneshot
		ExecStart=/usr/bin/ssh-keygen -A
		[Install]
		WantedBy=multi-user.target
	EOF
	chroot "$R" systemctl --root=/ enable ssh-hostkeys.service >/dev/null 2>&1 || true
	: >"$R/etc/machine-id"

	step "disk: EFI system partition (systemd-boot, kernel, initrd)"
	kernel=$(cd "$R/boot" && ls vmlinuz-* | sort -V | tail -1)
	initrd=initrd.img-${kernel#vmlinuz-}
	[[ -s $R/boot/$initrd ]] || die "no initrd for $kernel in the image"
	esp=$tmp/esp.img
	mkfs.vfat -n ESP -C "$esp" $((ESP_MB * 1024)) >/dev/null
	export MTOOLS_SKIP_CHECK=1
	mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
	mcopy -i "$esp" "$R/usr/lib/systemd/boot/efi/systemd-bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
	mcopy -i "$esp" "$R/boot/$kernel" ::/vmlinuz
	mcopy -i "$esp" "$R/boot/$initrd" ::/initrd.img
	printf 'default tandem.conf\ntimeout 1\n' >"$tmp/loader.conf"
	printf 'title tandem\nlinux /vmlinuz\ninitrd /initrd.img\noptions root=LABEL=tandemroot rw console=tty0 console=ttyS0,115200\n' \
		>"$tmp/tandem.conf"
	mcopy -i "$esp" "$tmp/loader.conf" ::/loader/loader.conf
	mcopy -i "$esp" "$tmp/tandem.conf" ::/loader/entries/tandem.conf

	step "disk: root partition (mkfs.ext4 -d, ${ROOT_MB} MiB)"
	truncate -s "${ROOT_MB}M" "$tmp/root.img"
	mkfs.ext4 -q -F -L tandemroot -d "$R" "$tmp/root.img"
	rm -rf "$R"

	step "disk: GPT disk, qcow2"
	raw=$tmp/disk.raw
	truncate -s $((1 + ESP_MB + ROOT_MB + 1))M "$raw"
	sfdisk -q "$raw" <<-EOF
		label: gpt
		start=1MiB, size=${ESP_MB}MiB, type=U, name=ESP
		size=${ROOT_MB}MiB, type=L, name=root
	EOF
	dd if="$esp" of="$raw" bs=1M seek=1 conv=notrunc,sparse status=none
	dd if="$tmp/root.img" of="$raw" bs=1M seek=$((1 + ESP_MB)) conv=notrunc,sparse status=none
	rm -f "$esp" "$tmp/root.img"
	qemu-img convert -O qcow2 -c "$raw" "$tmp/tandem.qcow2"
	rm -f "$raw"
	rm -rf "$out"
	mv "$tmp" "$out"
	cache_prune "$CACHE/disk-*" 1
	step "disk: done, $out/tandem.qcow2 ($(du -h "$out/tandem.qcow2" | cut -f1))"
else
	step "disk: cached ($out/tandem.qcow2)"
fi
if [[ $WHAT == disk ]]; then
	echo "$out/tandem.qcow2" >&3
	exit 0
fi

box=$CACHE/box-$key/tandem-libvirt.box
if [[ ! -s $box ]]; then
	step "box: Vagrant box for the libvirt provider"
	tmp=$CACHE/box.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	cp "$out/tandem.qcow2" "$tmp/box.img"
	vsize=$(qemu-img info --output=json "$tmp/box.img" |
		python3 -c 'import json,sys; print((json.load(sys.stdin)["virtual-size"] + 2**30 - 1) // 2**30)')
	printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %s}\n' "$vsize" >"$tmp/metadata.json"
	cat >"$tmp/Vagrantfile" <<-'EOF'
		# tandem appliance box (image/disk-image.sh): UEFI boot
		Vagrant.configure("2") do |config|
		  config.vm.provider :libvirt do |lv|
		    lv.driver = "kvm"
		    lv.loader = "/usr/share/OVMF/OVMF_CODE.fd"
		  end
		end
	EOF
	(cd "$tmp" && tar -czf tandem-libvirt.box metadata.json Vagrantfile box.img)
	mkdir -p "$(dirname "$box")"
	mv "$tmp/tandem-libvirt.box" "$box"
	rm -rf "$tmp"
	cache_prune "$CACHE/box-*" 1
	step "box: done, $box ($(du -h "$box" | cut -f1)); vagrant box add --name tandem $box"
else
	step "box: cached ($box)"
fi
echo "$box" >&3
