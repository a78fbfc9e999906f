#!/bin/bash
# Builds the tandem appliance image, in cached layers (image/README.md):
#
#   base    mmdebstrap bookworm with image/packages.list          (~3 min)
#   rootfs  base + `make install DESTDIR=...` of the tree + image/provision.sh
#   lab     rootfs + UML modules + lab guest agent -> ext4 root.img (UML lab)
#   disk    rootfs + kernel + GRUB -> bootable disk (raw, qcow2)   (optional)
#   box     disk -> Vagrant box for the libvirt provider           (optional)
#
# Usage: image/build.sh [base|rootfs|lab|disk|box|all] [--print-path]
#   Each target builds what it needs and prints the path of its result last
#   (with --print-path only that, on stdout; progress goes to stderr).
# Environment: TANDEM_SRC (the tandem tree to `make install`, default this
#   one), TANDEM_CACHE (default /var/cache/tandem), TANDEM_MIRROR (an
#   apt sources file or mirror URI for mmdebstrap; default: the host's).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TARGET=${1:-lab}
PRINT=0
[[ ${2:-} == --print-path ]] && PRINT=1
[[ $(id -u) == 0 ]] || die "run as root (mmdebstrap, chroot)"
if [[ $PRINT == 1 ]]; then exec 3>&1 1>&2; else exec 3>&1; fi
mkdir -p "$CACHE/tmp"
# mmdebstrap's temporary chroot: on disk, not in a tmpfs TMPDIR
export TMPDIR=$CACHE/tmp
exec 9>"$CACHE/.lock"
flock -w 1800 9 || die "another image build holds $CACHE/.lock"

# ---------------------------------------------------------------- base
# build_base VARIANT: "lab" (image/packages.list) or "disk" (plus
# image/packages-disk.list: kernel, boot loader, ssh for a bootable system)
build_base() {
	local variant=$1 pkgs key out mirror=() lists=("$IMAGE_DIR/packages.list")
	[[ $variant == disk ]] && lists+=("$IMAGE_DIR/packages-disk.list")
	pkgs=$(packages "${lists[@]}" | paste -sd, -)
	key=$(str_hash base-v1 "$SUITE" "$pkgs")
	out=$CACHE/base-$variant-$key.tar
	BASE=$out BASE_KEY=$key
	if [[ -s $out ]]; then
		step "base ($variant): cached ($(basename "$out"))"
		return
	fi
	command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (make deps)"
	if [[ -n $MIRROR ]]; then
		mirror=("$MIRROR")
	elif [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
		mirror=(/etc/apt/sources.list.d/debian.sources)
	elif [[ -s /etc/apt/sources.list ]]; then
		mirror=(/etc/apt/sources.list)
	fi
	step "base ($variant): mmdebstrap $SUITE, $(wc -w <<<"${pkgs//,/ }") packages (1-3 minutes; cached afterwards)"
	rm -f "$out.tmp"
	if ! mmdebstrap --variant=minbase --format=tar --include="$pkgs" \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		--aptopt='Acquire::Retries "3"' \
		"$SUITE" "$out.tmp" "${mirror[@]}" </dev/null 2>&1 |
		while IFS= read -r l; do
			case $l in
			I:*|W:*|E:*) step "  mmdebstrap ${l}" ;;
			esac
		done; then
		die "mmdebstrap failed"
	fi
	[[ -s $out.tmp ]] || die "mmdebstrap wrote nothing"
	mv "$out.tmp" "$out"
	cache_prune "$CACHE/base-$variant-*.tar" 1
	step "base ($variant): done, $(du -h "$out" | cut -f1)"
}

# -------------------------------------------------------------- rootfs
# `make install DESTDIR=stage` of the current tree: whatever it installs
# (tandemd today; tandemctl and the OCF agents when they exist) goes in.
stage_tandem() {
	STAGE=$CACHE/stage
	rm -rf "$STAGE"
	mkdir -p "$STAGE"
	# its own build directory: never races with a `make` in the tree's build/
	step "tandem: make install DESTDIR=$STAGE (source $TANDEM_SRC)"
	make -C "$TANDEM_SRC" -s -j"$(nproc)" install PREFIX=/usr DESTDIR="$STAGE" \
		BUILD="$CACHE/tandem-build" >"$CACHE/make.log" 2>&1 ||
		{ tail -20 "$CACHE/make.log" >&2; die "make install failed ($CACHE/make.log)"; }
	step "tandem: installs $(cd "$STAGE" && find . -type f | sed 's|^\.||' | paste -sd' ' -)"
}

build_rootfs() {
	local variant=$1 key out tmp
	build_base "$variant"
	[[ -n ${STAGE:-} ]] || stage_tandem
	key=$(str_hash rootfs-v1 "$BASE_KEY" "$(tree_hash "$STAGE")" \
		"$(tree_hash "$IMAGE_DIR/provision.sh" "$IMAGE_DIR/packages.list" \
			"$REPO/cluster-config" "$REPO/drbd")")
	out=$CACHE/rootfs-$variant-$key
	ROOTFS=$out ROOTFS_KEY=$key
	if [[ -d $out ]]; then
		step "rootfs ($variant): cached ($(basename "$out"))"
		return
	fi
	tmp=$CACHE/rootfs-$variant.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	step "rootfs ($variant): unpacking base"
	tar -C "$tmp" -xf "$BASE"
	step "rootfs ($variant): installing tandem"
	cp -a "$STAGE/." "$tmp/"
	step "rootfs: image/provision.sh (the script the Vagrantfile runs)"
	local src=$tmp/tmp/tandem-src
	mkdir -p "$src/image"
	cp "$IMAGE_DIR/provision.sh" "$IMAGE_DIR/packages.list" "$src/image/"
	cp -r "$REPO/cluster-config" "$REPO/drbd" "$src/"
	if ! chroot "$tmp" /bin/bash /tmp/tandem-src/image/provision.sh \
		--repo /tmp/tandem-src --no-build >"$CACHE/provision.log" 2>&1; then
		sed 's/^/    /' "$CACHE/provision.log" >&2
		die "provision.sh failed in the image"
	fi
	sed 's/^/    /' "$CACHE/provision.log"
	rm -rf "$src"
	# tandemd must find every library it needs in the image
	local f bad=
	while IFS= read -r f; do
		[[ $(head -c4 "$tmp$f" | od -An -tx1 | tr -d ' ') == 7f454c46 ]] || continue
		if chroot "$tmp" ldd "$f" 2>&1 | grep -q 'not found'; then
			bad="$bad $f: $(chroot "$tmp" ldd "$f" | awk '/not found/{print $1}' | paste -sd, -)"
		fi
	done < <(cd "$STAGE" && find . -type f | sed 's|^\.||')
	[[ -z $bad ]] || die "libraries missing in the image (add their packages to image/packages.list):$bad"
	# every host made from the image gets its own identity at first use
	rm -f "$tmp/etc/iscsi/initiatorname.iscsi" "$tmp/etc/machine-id"
	touch "$tmp/etc/machine-id"
	mv "$tmp" "$out"
	cache_prune "$CACHE/rootfs-$variant-*" 1
	step "rootfs ($variant): done, $(du -sh "$out" | cut -f1)"
}

# ----------------------------------------------------------------- lab
build_lab() {
	build_rootfs lab
	local kver key out tmp
	kver=$(uml_version)
	[[ -n $kver && -x /usr/bin/linux.uml ]] ||
		die "the user-mode-linux package is missing (make deps)"
	key=$(str_hash lab-v1 "$ROOTFS_KEY" "$kver" "$(tree_hash "$IMAGE_DIR/lab" "$IMAGE_DIR/build.sh")")
	out=$CACHE/lab-$key
	if [[ -s $out/root.img ]]; then
		step "lab image: cached ($out/root.img)"
		ln -sfn "$(basename "$out")" "$CACHE/lab"
		RESULT=$out/root.img
		return
	fi
	tmp=$CACHE/lab.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	step "lab image: copying rootfs"
	cp -a "$ROOTFS" "$tmp/root"
	step "lab image: UML kernel modules $kver, guest agent"
	bash "$IMAGE_DIR/lab/customize.sh" "$tmp/root" "$kver"
	step "lab image: mkfs.ext4 -d (no loop device, no mount)"
	truncate -s 2560M "$tmp/root.img"
	mkfs.ext4 -q -F -L tandemroot -E lazy_itable_init=1 -d "$tmp/root" "$tmp/root.img" 2560M
	rm -rf "$tmp/root"
	rm -rf "$out"
	mv "$tmp" "$out"
	ln -sfn "$(basename "$out")" "$CACHE/lab"
	cache_prune "$CACHE/lab-*" 1
	step "lab image: done, $out/root.img ($(du -h "$out/root.img" | cut -f1) used)"
	RESULT=$out/root.img
}

# ---------------------------------------------------------- disk + box
build_disk() {
	build_rootfs disk
	RESULT=$(bash "$IMAGE_DIR/disk-image.sh" "$ROOTFS" "$ROOTFS_KEY" "$1")
}

case $TARGET in
base) build_base lab; RESULT=$BASE ;;
rootfs) build_rootfs lab; RESULT=$ROOTFS ;;
lab) build_lab ;;
disk) build_disk disk ;;
box) build_disk box ;;
all) build_lab; build_disk box ;;
*) die "unknown target $TARGET (base|rootfs|lab|disk|box|all)" ;;
esac
step "ready: $RESULT"
echo "$RESULT" >&3
