#!/usr/bin/env bash
# WRITE ATOMIC across a crash: tandemd's journal (docs/persistent-
# reservations.md, "The WRITE ATOMIC journal") on a fileio LU with an
# internal metadata area, against a real tandemd on 127.0.0.1.
#
#   tests/pr/atomic-journal.sh [BUILD]      result: BUILD/results/pr-journal
#
# A crash between the journal write and the done write cannot be timed
# from outside, so it is made: with tandemd killed (SIGKILL), what such a
# crash leaves is written into the backing file by journal_entry.py, which
# knows the format from the documentation only. Then tandemd starts on the
# same file, as the surviving node does after a failover. Checks, each
# counted, with $BUILD/tandemd and then $BUILD/tandemd-san (whose logs must
# hold no sanitizer report; AJ_VARIANTS="plain" or "sanitizer" runs one):
#   - twelve WRITE ATOMICs in flight at once from two sessions (on two
#     workers) take turns on the journal: all GOOD, none refused, every
#     range holds its data (atomic_concurrent.py);
#   - WRITE ATOMIC through iSCSI (iscsi-test-cu's WriteAtomic16.Simple)
#     leaves the journal's entry done, as the independent decoder reads it;
#   - a pending entry whose range was left half written in place is
#     replayed at start: the LU serves the journal's data there (read
#     through iSCSI with qemu-img convert), the file holds it, tandemd's log
#     says so, and the entry is done afterwards;
#   - a pending entry with torn data (its CRC32C does not match), one with a
#     torn header, a done one and another LU's are left alone: the range in
#     place keeps its old bytes and the log says why.
. "$(dirname "$0")/../lib/tier.sh"

IQN=iqn.2026-11.org.tandem:atomic-journal
SIZE=$((64 * 1024 * 1024))
LBA=2048 BLOCKS=64
VARIANTS=${AJ_VARIANTS:-plain sanitizer}
ENTRY=$HERE/journal_entry.py
VDIR='' BIN='' PORT='' VARIANT='' IMG=''

pass() { result_pass "$VARIANT: $1"; }
fail() { result_fail "$VARIANT: $1" "${2:-}"; }

start() {
	tandemd_start "$BIN" "$VDIR/cfg.json" "$VDIR/sock" "$VDIR/tandemd.log.$1" \
		"$PORT" "$IQN"
}

url() { echo "iscsi://$TARGET_ADDR:$PORT/$IQN/0"; }

# The blocks in place: `old` fills them with 0x11, then the first half
# with the entry's data, as an in-place write cut short by the crash.
old_range() {
	local half=$((BLOCKS / 2))
	head -c $((BLOCKS * 512)) /dev/zero | tr '\0' '\021' >"$VDIR/old.bin"
	python3 "$ENTRY" pattern "$BLOCKS" "$1" | head -c $((half * 512)) |
		dd of="$VDIR/old.bin" conv=notrunc status=none
	dd if="$VDIR/old.bin" of="$IMG" bs=512 seek="$LBA" conv=notrunc status=none
}

in_file() {	# in_file EXPECTED: the range in the backing file is EXPECTED
	dd if="$IMG" bs=512 skip="$LBA" count="$BLOCKS" status=none | cmp - "$1"
}

in_lu() {	# in_lu EXPECTED: the range as an initiator reads it
	local opts="driver=raw,offset=$((LBA * 512)),size=$((BLOCKS * 512))"
	opts+=",file.driver=iscsi,file.transport=tcp,file.portal=$TARGET_ADDR:$PORT"
	opts+=",file.target=$IQN,file.lun=0"
	rm -f "$VDIR/read.bin"
	timeout 60 qemu-img convert --image-opts "$opts" -O raw "$VDIR/read.bin" &&
		cmp "$VDIR/read.bin" "$1"
}

journal_is() {	# journal_is REGEX: what journal_entry.py show prints matches
	local got
	got=$(python3 "$ENTRY" show "$IMG")
	[[ $got =~ ^$1$ ]] || { echo "journal: got '$got', want '$1'"; return 1; }
}

logged() {	# logged RUN TEXT: tandemd's log of start RUN has TEXT
	grep -qF -- "$2" "$VDIR/tandemd.log.$1" ||
		{ echo "not in the log:"; grep -i 'atomic' "$VDIR/tandemd.log.$1"; return 1; }
}

through_iscsi() {
	local log=$VDIR/cu.log
	if ! command -v iscsi-test-cu >/dev/null; then
		fail "iscsi-test-cu is not installed" "make deps"
		return
	fi
	(cd "$VDIR" && timeout -k 10 300 iscsi-test-cu -d -t ALL.WriteAtomic16.Simple "$(url)") \
		>"$log" 2>&1 </dev/null
	tier_check "$VARIANT: iscsi-test-cu WriteAtomic16.Simple passes (not skipped)" \
		bash -c "grep -q 'Test: Simple ...passed' '$log' && ! grep -q SKIPPED '$log'"
	target_kill
	tier_check "$VARIANT: ... and leaves the journal's last entry done" \
		journal_is "done seq [1-9][0-9]* lba [0-9]+ blocks [1-9][0-9]*"
}

# One crafted crash: left_alone NAME SEED SPOIL LOG-TEXT
left_alone() {
	local name=$1 seed=$2 spoil=$3 text=$4
	old_range "$seed"
	python3 "$ENTRY" craft "$IMG" 90 "$LBA" "$BLOCKS" "$seed" "$spoil"
	if ! start "$spoil"; then
		fail "$name: tandemd starts"
		return
	fi
	tier_check "$VARIANT: $name: left alone, the LU serves the old bytes" in_lu "$VDIR/old.bin"
	tier_check "$VARIANT: $name: ... and tandemd's log says why" logged "$spoil" "$text"
	tier_check "$VARIANT: $name: tandemd exits 0 on SIGTERM" target_stop
	tier_check "$VARIANT: $name: ... and the file still holds the old bytes" in_file "$VDIR/old.bin"
}

run_variant() {
	VARIANT=$1 BIN=$2 VDIR=$WORK/$1 IMG=$WORK/$1/file0.img
	mkdir -p "$VDIR"
	echo "pr-journal: === $VARIANT: $BIN ==="
	if [[ ! -x $BIN ]]; then
		fail "$BIN does not exist" "build it: make $BIN"
		return
	fi
	PORT=$(target_free_port) || { fail "no free port"; return; }
	truncate -s "$SIZE" "$IMG"
	tandem_config_write "$VDIR/cfg.json" "$PORT" "$IQN" \
		"fileio:file0:$IMG:$SIZE:$(target_uuid):internal"
	if ! start first; then
		fail "tandemd starts on a fileio LU with an internal store"
		return
	fi
	tier_check "$VARIANT: tandemd offers WRITE ATOMIC through the journal" \
		logged first "WRITE ATOMIC through a journal in the same area (up to 256 KiB): empty"
	tier_check "$VARIANT: WRITE ATOMICs in flight at once from two sessions take turns on the journal" \
		timeout 120 python3 "$HERE/atomic_concurrent.py" "$TARGET_ADDR" "$PORT" "$IQN"
	through_iscsi

	old_range 5
	python3 "$ENTRY" craft "$IMG" 77 "$LBA" "$BLOCKS" 5
	tier_check "$VARIANT: crafted crash: the journal holds a pending entry" \
		journal_is "pending seq 77 lba $LBA blocks $BLOCKS"
	python3 "$ENTRY" pattern "$BLOCKS" 5 >"$VDIR/new.bin"
	if start replay; then
		tier_check "$VARIANT: pending entry: tandemd's log says it was replayed" \
			logged replay "replayed pending entry 77 (LBA $LBA, $BLOCKS blocks) in place"
		tier_check "$VARIANT: pending entry: the LU serves the journal's data in the range" \
			in_lu "$VDIR/new.bin"
		target_kill
		tier_check "$VARIANT: pending entry: the file holds it in place" in_file "$VDIR/new.bin"
		tier_check "$VARIANT: pending entry: the entry is done afterwards" \
			journal_is "done seq 77 lba $LBA blocks $BLOCKS"
	else
		fail "pending entry: tandemd starts"
	fi

	left_alone "torn data (CRC32C mismatch)" 6 torn-data \
		"ignored pending entry 90 (LBA $LBA, $BLOCKS blocks): data CRC32C mismatch"
	left_alone "torn header" 7 torn-header "header ignored (header CRC32C mismatch"
	left_alone "done entry" 8 "done" "last entry 90 done"
	left_alone "another LU's entry" 9 other-lu "entry 90 belongs to another LU"

	target_stop_all
	if ((TARGET_SAN)); then
		local log
		for log in "$VDIR"/tandemd.log.*; do
			if target_sanitizer_check "$log"; then
				pass "no sanitizer report in $(basename "$log")"
			else
				fail "sanitizer report in $(basename "$log")"
			fi
		done
	fi
}

main() {
	local v
	result_init pr-journal
	for v in python3 qemu-img; do
		command -v "$v" >/dev/null || { result_fail "$v is not installed" "make deps"; result_write; return; }
	done
	tier_workdir aj
	for v in $VARIANTS; do
		case $v in
		plain) run_variant plain "$BUILD/tandemd" ;;
		sanitizer) run_variant sanitizer "$BUILD/tandemd-san" ;;
		*) result_fail "AJ_VARIANTS: unknown variant $v" "plain or sanitizer" ;;
		esac
	done
	result_write
}

main
