#!/usr/bin/env bash
# Interop tier: real initiators' user-space tools against tandemd on
# 127.0.0.1, each check one counted test.
#
#   tests/interop/run.sh [BUILD]            (make check-interop)
#   TARGET=tgt tests/interop/run.sh         the same checks against tgtd,
#                                           to show the checks themselves work
#
# tandemd ($BUILD/tandemd; INTEROP_SAN=1 for $BUILD/tandemd-san, whose log
# must then hold no sanitizer report) serves LUN 0 = ramdisk "ram0" and
# LUN 1 = fileio "file0" on a sparse file, both 128 MiB, target
# iqn.2026-11.org.tandem:interop, portal 127.0.0.1:<free port>.
# Checks, on each LU unless said otherwise:
#   (a) qemu-io over iscsi://: write a 0xa5 pattern at 0 for 4 MiB and read
#       it back; then a 0x5a pattern at an offset not aligned to 1 MiB
#       (3 MiB + 512) with a length of 1 MiB + 512, read back, and the
#       0xa5 bytes before it and after it are untouched;
#   (b) qemu-img convert of a 64 MiB random raw image to the LU and back
#       is bit-identical (cmp over the 64 MiB);
#   (c) libiscsi tools: iscsi-inq reports our vendor (INTEROP_VENDOR,
#       default TANDEM) and a product (INTEROP_PRODUCT, if set, exactly),
#       and the unit serial (VPD 80h) is the "wwn" of the config; iscsi-ls
#       discovery (SendTargets) lists the target with our portal, and
#       iscsi-ls -s lists both LUNs;
#   (d) tandemd's fileio LU only (thin: emulate_tpu, on a sparse file; tgt
#       serves no thin LU here): 64 MiB of 0xab
#       written with qemu-io at 64 MiB grows the backing file by 64 MiB
#       (du -k); qemu-io's discard of that range (-d unmap) reaches tandemd
#       as UNMAP (the space is freed while tandemd's write counters, which
#       WRITE SAME would move, stay put); the file shrinks back to its size
#       before the write, and the range reads back as zeroes (LBPRZ);
#   sg_persist needs a kernel initiator: the lab tier runs it (tests/lab).
# A missing or non-starting tandemd is a FAIL of the tier.
# Result: build/results/interop (TARGET=tgt: build/results/interop-tgt,
# which make check does not count).
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/result.sh"
. "$HERE/../lib/target.sh"

TARGET=${TARGET:-tandemd}
IQN=iqn.2026-11.org.tandem:interop
LU_SIZE=$((128 * 1024 * 1024))
IMG_SIZE=$((64 * 1024 * 1024))
STEP_TIMEOUT=${INTEROP_TIMEOUT:-300}	# seconds, any one tool run
VENDOR=${INTEROP_VENDOR:-TANDEM}
PRODUCT=${INTEROP_PRODUCT:-}
WORK=

cleanup() {
	target_stop_all
	[[ -n $WORK ]] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

msg() { echo "interop: $*" >&2; }

# Runs a tool with a time limit, its output kept in $WORK/last.out; on
# failure the caller shows it with show_last.
run() {
	timeout -k 5 "$STEP_TIMEOUT" "$@" >"$WORK/last.out" 2>&1 </dev/null
}
show_last() {
	sed -n '1,25p' "$WORK/last.out" | sed 's/^/    /' >&2
}

# qemu-io commands on a URL; fails on a non-zero exit or on any report of
# a failed pattern check or I/O error in its output.
qio() {
	local url=$1
	shift
	local -a args=()
	local c
	for c in "$@"; do args+=(-c "$c"); done
	run qemu-io -f raw "${args[@]}" "$url" || return 1
	! grep -qiE 'verification failed|failed|error|Pattern' "$WORK/last.out"
}

check_qemu_io() {
	local lu=$1 url=$2
	local name="$lu: qemu-io writes 4 MiB of 0xa5 at 0 and reads them back"
	if qio "$url" 'write -P 0xa5 0 4M' 'read -P 0xa5 0 4M'; then
		result_pass "$name"
	else
		result_fail "$name"; show_last
	fi
	# 3 MiB + 512 bytes, 1 MiB + 512 bytes long: ends 1 KiB past 4 MiB.
	local off=$((3 * 1048576 + 512)) len=$((1048576 + 512))
	local end=$((off + len))
	name="$lu: qemu-io writes 0x5a at an unaligned offset ($off, $len bytes), neighbours untouched"
	if qio "$url" 'write -P 0xa5 4M 1M' "write -P 0x5a $off $len" \
		"read -P 0x5a $off $len" "read -P 0xa5 0 $off" \
		"read -P 0xa5 $end $((5 * 1048576 - end))"; then
		result_pass "$name"
	else
		result_fail "$name"; show_last
	fi
}

check_convert() {
	local lu=$1 url=$2
	local name="$lu: qemu-img convert of a 64 MiB random image to the LU and back is identical"
	if ! run qemu-img convert -n -f raw -O raw "$WORK/random.img" "$url"; then
		result_fail "$name" "convert to the LU failed"; show_last; return
	fi
	rm -f "$WORK/back.img"
	if ! run qemu-img convert -f raw -O raw "$url" "$WORK/back.img"; then
		result_fail "$name" "convert from the LU failed"; show_last; return
	fi
	local size
	size=$(stat -c %s "$WORK/back.img")
	if [[ $size -ne $LU_SIZE ]]; then
		result_fail "$name" "image read back is $size bytes, the LU should have $LU_SIZE"
		return
	fi
	if cmp -n "$IMG_SIZE" "$WORK/random.img" "$WORK/back.img" >"$WORK/last.out" 2>&1; then
		result_pass "$name"
	else
		result_fail "$name" "data differs"; show_last
	fi
	rm -f "$WORK/back.img"
}

# tandemd's counters of storage object $1: "WRITES WRITE_BYTES" (status).
write_counters() {
	"$BUILD/tandemctl" -s "$WORK/tandemd.sock" -j status 2>/dev/null |
		python3 -c 'import json, sys
for so in json.load(sys.stdin)["storage"]:
    if so["name"] == sys.argv[1]:
        print(so["writes"], so["write_bytes"])' "$1"
}

du_kib() {
	du -k "$1" | cut -f1
}

# A thin LU after qemu-img/qemu-io: what qemu discards is freed in the
# backing file. 64 MiB at 64 MiB, which the other checks leave alone.
check_discard() {
	local url=$1 file=$WORK/file0.img off=64M len=64M
	local start grown freed w_before w_after name
	if [[ $TARGET != tandemd ]]; then
		msg "discard check: tandemd only (tgt's LUs here are not thin)"
		return
	fi
	if [[ ! -x $BUILD/tandemctl ]]; then
		result_fail "fileio: discard checks need $BUILD/tandemctl" "build it: make BUILD=$BUILD"
		return
	fi
	start=$(du_kib "$file")
	name="fileio: qemu-io writes 64 MiB of 0xab at 64 MiB; the backing file grows by 64 MiB (du)"
	if ! qio "$url" "write -P 0xab $off $len"; then
		result_fail "$name" "qemu-io write failed"; show_last; return
	fi
	grown=$(du_kib "$file")
	if ((grown - start >= 65536)); then
		result_pass "$name ($start -> $grown KiB)"
	else
		result_fail "$name" "$start -> $grown KiB"
	fi
	w_before=$(write_counters file0)
	name="fileio: qemu-io discard (-d unmap) of the range reaches tandemd as UNMAP"
	if ! run qemu-io -f raw -d unmap -c "discard $off $len" "$url" ||
		grep -qiE 'failed|error' "$WORK/last.out"; then
		result_fail "$name" "qemu-io discard failed"; show_last; return
	fi
	w_after=$(write_counters file0)
	freed=$(du_kib "$file")
	if [[ -z $w_before || $w_before != "$w_after" ]]; then
		result_fail "$name" "tandemd's write counters went from '$w_before' to '$w_after': a write, not an UNMAP"
	elif ((grown - freed < 65536 - 1024)); then
		result_fail "$name" "only $((grown - freed)) KiB freed"
	else
		result_pass "$name ($((grown - freed)) KiB freed, writes and write bytes still $w_after)"
	fi
	name="fileio: after the discard the backing file is back near its size before the write (du)"
	if ((freed <= start + 1024)); then
		result_pass "$name ($start -> $grown -> $freed KiB)"
	else
		result_fail "$name" "$start -> $grown -> $freed KiB"
	fi
	name="fileio: the discarded range reads back as zeroes (LBPRZ)"
	if qio "$url" "read -P 0 $off $len"; then
		result_pass "$name"
	else
		result_fail "$name"; show_last
	fi
}

# Field of iscsi-inq's standard INQUIRY output, trailing blanks removed.
inq_field() {
	sed -n "s/^$1://p" "$WORK/last.out" | head -n 1 | sed 's/[[:space:]]*$//'
}

check_inquiry() {
	local lu=$1 url=$2 serial=$3 vendor product got
	local name="$lu: iscsi-inq reports vendor $VENDOR${PRODUCT:+ and product $PRODUCT}"
	if ! run iscsi-inq "$url"; then
		result_fail "$name" "iscsi-inq failed"; show_last
	else
		vendor=$(inq_field Vendor) product=$(inq_field Product)
		if [[ $vendor != "$VENDOR" ]]; then
			result_fail "$name" "vendor is '$vendor'"
		elif [[ -z $product ]]; then
			result_fail "$name" "no product identification"
		elif [[ -n $PRODUCT && $product != "$PRODUCT" ]]; then
			result_fail "$name" "product is '$product'"
		else
			result_pass "$name (product '$product')"
		fi
	fi
	[[ -n $serial ]] || return 0
	name="$lu: iscsi-inq VPD 80h unit serial is the config's wwn"
	if ! run iscsi-inq -e 1 -c 128 "$url"; then
		result_fail "$name" "iscsi-inq -e 1 -c 128 failed"; show_last
		return
	fi
	# "Unit Serial Number:[   serial]", left-padded with blanks
	got=$(sed -n 's/^Unit Serial Number:\[\(.*\)\]$/\1/p' "$WORK/last.out" | head -n 1 |
		sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
	if [[ $got == "$serial" ]]; then
		result_pass "$name"
	else
		result_fail "$name" "serial is '$got', expected '$serial'"; show_last
	fi
}

check_discovery() {
	local base="iscsi://$TARGET_ADDR:$TARGET_PORT"
	local name="iscsi-ls discovery lists $IQN at $TARGET_ADDR:$TARGET_PORT"
	if ! run iscsi-ls "$base"; then
		result_fail "$name" "iscsi-ls failed"; show_last
	elif grep -qE "^Target:$IQN Portal:$TARGET_ADDR:$TARGET_PORT,[0-9]+\$" "$WORK/last.out"; then
		result_pass "$name"
	else
		result_fail "$name" "not in its output"; show_last
	fi
	name="iscsi-ls -s lists LUN $LUN_RAM and LUN $LUN_FILE of $IQN"
	if ! run iscsi-ls -s "$base"; then
		result_fail "$name" "iscsi-ls -s failed"; show_last
	elif grep -qE "^[[:space:]]*Lun:$LUN_RAM[[:space:]]" "$WORK/last.out" &&
		grep -qE "^[[:space:]]*Lun:$LUN_FILE[[:space:]]" "$WORK/last.out"; then
		result_pass "$name"
	else
		result_fail "$name" "not in its output"; show_last
	fi
}

start_target() {
	local port
	port=$(target_free_port) || return 1
	truncate -s "$LU_SIZE" "$WORK/file0.img" || return 1
	if [[ $TARGET == tgt ]]; then
		# tgt has no ramdisk; a second sparse file stands in for it.
		truncate -s "$LU_SIZE" "$WORK/ram0.img" || return 1
		LUN_RAM=1 LUN_FILE=2 RAM_WWN=$(target_uuid) FILE_WWN=$(target_uuid)
		tgtd_start "$port" "$IQN" "$WORK/tgtd.log" "$WORK/ram0.img" "$WORK/file0.img" &&
			tgtd_set_serial "$LUN_RAM" "$RAM_WWN" &&
			tgtd_set_serial "$LUN_FILE" "$FILE_WWN"
		return
	fi
	LUN_RAM=0 LUN_FILE=1 RAM_WWN=$(target_uuid) FILE_WWN=$(target_uuid)
	tandem_config_write "$WORK/saveconfig.json" "$port" "$IQN" \
		"ramdisk:ram0:$LU_SIZE:$RAM_WWN" \
		"fileio:file0:$WORK/file0.img:$LU_SIZE:$FILE_WWN:none" || return 1
	tandemd_start "$BIN" "$WORK/saveconfig.json" "$WORK/tandemd.sock" \
		"$WORK/tandemd.log" "$port" "$IQN"
}

tools_present() {
	local t missing=()
	for t in qemu-io qemu-img iscsi-inq iscsi-ls cmp; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	if ((${#missing[@]})); then
		result_fail "tools missing: ${missing[*]}" "make deps"
		return 1
	fi
	# qemu's iscsi:// driver is in qemu-block-extra.
	if ! qemu-img --help 2>/dev/null | grep -qw iscsi; then
		result_fail "qemu-img has no iscsi block driver" "install qemu-block-extra (make deps)"
		return 1
	fi
}

main() {
	local tier=interop
	[[ $TARGET == tgt ]] && tier=interop-tgt
	result_init "$tier"
	case $TARGET in
	tandemd) BIN=$BUILD/tandemd; [[ ${INTEROP_SAN:-0} == 1 ]] && BIN=$BUILD/tandemd-san ;;
	tgt) BIN=tgtd ;;
	*) result_fail "TARGET=$TARGET is not known" "tandemd or tgt"; result_write; return ;;
	esac
	tools_present || { result_write; return; }
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/tandem-interop.XXXXXX") || {
		result_fail "cannot create a temporary directory"; result_write; return; }
	if [[ $TARGET == tandemd && ! -x $BIN ]]; then
		result_fail "$BIN does not exist" "build it: make $BIN"
		result_write
		return
	fi
	if ! start_target; then
		result_fail "$TARGET does not start" "see the log above"
		result_write
		return
	fi
	result_pass "$TARGET started on $TARGET_ADDR:$TARGET_PORT"
	if ! head -c "$IMG_SIZE" /dev/urandom >"$WORK/random.img"; then
		result_fail "cannot create the random image"
	fi

	local lu lun url serial
	for lu in fileio ramdisk; do
		if [[ $lu == fileio ]]; then lun=$LUN_FILE serial=$FILE_WWN; else lun=$LUN_RAM serial=$RAM_WWN; fi
		url="iscsi://$TARGET_ADDR:$TARGET_PORT/$IQN/$lun"
		msg "LU $lu: $url"
		check_qemu_io "$lu" "$url"
		check_convert "$lu" "$url"
		[[ $lu == fileio ]] && check_discard "$url"
		check_inquiry "$lu" "$url" "$serial"
		if ! _target_alive "$TARGET_PID"; then
			result_fail "$TARGET died during the $lu checks"
			target_log_tail 40
			break
		fi
	done
	check_discovery

	if target_stop; then
		result_pass "$TARGET stopped cleanly"
	else
		result_fail "$TARGET did not exit cleanly when stopped" "status ${TARGET_RC:-?}"
		target_log_tail 30
	fi
	if ((TARGET_SAN)); then
		if target_sanitizer_check "$TARGET_LOG"; then
			result_pass "no sanitizer report"
		else
			result_fail "sanitizer report in the tandemd log"
		fi
	fi
	result_write
}

main
