#!/usr/bin/env bash
# PR tier: persistent reservations that survive what a failover does to
# tandemd, against a real tandemd on 127.0.0.1, with libiscsi initiators.
#
#   tests/pr/run.sh [BUILD]          (make check-pr; tier "pr")
#
# Everything below runs twice: with $BUILD/tandemd, then with the ASan+UBSan
# build $BUILD/tandemd-san, whose logs must hold no sanitizer report
# (PR_VARIANTS="plain" or "sanitizer" runs one).
# tandemd serves target iqn.2026-11.org.tandem:pr with three fileio LUs:
#   LUN 0  file0, 64 MiB, pr_store internal: the failover scenario
#   LUN 1  file1, 64 MiB, pr_store external on a 1 MiB file
#   LUN 2  file2, 64 MiB, pr_store internal: iscsi-test-cu's PR families
# Checks, each one counted:
#   - iscsi-test-cu -t ALL.Prin*,ALL.Prout*,ALL.Reserve6 on LUN 2: every
#     test passes (none skipped), and nothing is left registered;
#   - the internal store hides the last MiB (READ CAPACITY), the external
#     one nothing;
#   - two initiators register, one reserves Write Exclusive - Registrants
#     Only; tandemd is killed with SIGKILL and started again on the same
#     files, as a failover does: READ FULL STATUS is byte for byte what it
#     was (keys, holder, type, generation), the unregistered initiator still
#     gets RESERVATION CONFLICT on WRITE and the registered ones write;
#     the external store's registration is there too;
#   - `tandemd pr show` prints the store while tandemd runs; `tandemd pr
#     clear` refuses while it runs;
#   - torn write: the newest slot overwritten with garbage while tandemd is
#     down; it comes back with the state before the last PERSISTENT
#     RESERVE OUT;
#   - both slots garbage: tandemd refuses to start and says why; `pr show`
#     says why; `pr clear` resets it and tandemd starts with no
#     registrations;
#   - cold start (tandemd -C): registrations without APTPL are dropped and
#     the generation is 0; with APTPL they stay;
#   - a LU whose last MiB holds data that is not a store is refused (the
#     data left alone), and served whole with pr_store none.
# prclient.c (libiscsi's sync API) is built into $BUILD/pr/ first.
. "$(dirname "$0")/../lib/tier.sh"

IQN=iqn.2026-11.org.tandem:pr
I1=iqn.2026-11.org.tandem:pr-initiator-1
I2=iqn.2026-11.org.tandem:pr-initiator-2
I3=iqn.2026-11.org.tandem:pr-initiator-3
SIZE=$((64 * 1024 * 1024))
VARIANTS=${PR_VARIANTS:-plain sanitizer}
PRC=$BUILD/pr/prclient
VDIR= BIN= PORT= VARIANT=

# Results named after the variant running.
pass() { result_pass "$VARIANT: $1"; }
fail() { result_fail "$VARIANT: $1" "${2:-}"; }

# Initiator N (1..3) runs a prclient command on a LUN: pc N LUN CMD ARGS
pc() {
	local n=$1 lun=$2
	shift 2
	local -a names=("" "$I1" "$I2" "$I3")
	timeout 60 "$PRC" -i "${names[$n]}" -q "$n" "iscsi://$TARGET_ADDR:$PORT/$IQN/$lun" "$@"
}

# expect WANT N LUN CMD ARGS: the first line of the output is WANT.
expect() {
	local want=$1 got
	shift
	got=$(pc "$@" | head -n 1)
	[[ $got == "$want" ]] || { echo "pc $*: got '$got', want '$want'"; return 1; }
}

# expect_all WANT N LUN CMD ARGS: the whole output is WANT.
expect_all() {
	local want=$1 got
	shift
	got=$(pc "$@")
	[[ $got == "$want" ]] || { printf 'pc %s: got\n%s\nwant\n%s\n' "$*" "$got" "$want"; return 1; }
}

# expect_line REGEX N LUN CMD ARGS: a line of the output matches REGEX.
expect_line() {
	local re=$1
	shift
	pc "$@" >"$VDIR/pc.out"
	grep -q -- "$re" "$VDIR/pc.out" || { echo "pc $*: no line matches '$re' in:"; cat "$VDIR/pc.out"; return 1; }
}

write_config() {
	local pr0=${1:-internal}
	tandem_config_write "$VDIR/cfg.json" "$PORT" "$IQN" \
		"fileio:file0:$VDIR/file0.img:$SIZE:$WWN0:$pr0" \
		"fileio:file1:$VDIR/file1.img:$SIZE:$WWN1:external=$VDIR/file1.pr" \
		"fileio:file2:$VDIR/file2.img:$SIZE:$WWN2:internal"
}

start() {
	tandemd_start "$BIN" "$VDIR/cfg.json" "$VDIR/sock" "$VDIR/tandemd.log.$1" \
		"$PORT" "$IQN" "${@:2}"
}

# Where slot $2 (0 or 1) of file $1's internal store starts.
slot_offset() {
	local size
	size=$(stat -c %s "$1")
	echo $(( ((size - 1048576) / 4096 * 4096) + 262144 * ($2 + 1) ))
}

garble() {	# garble FILE OFFSET: 4 KiB of random bytes there
	dd if=/dev/urandom of="$1" bs=4096 count=1 seek=$(($2 / 4096)) conv=notrunc status=none
}

current_slot() {
	"$BIN" pr show -c "$VDIR/cfg.json" file0 | sed -n 's/^  slot \([01]\): valid.*(current)$/\1/p'
}

# iscsi-test-cu's persistent reservation and RESERVE families on LUN 2.
conformance() {
	local log=$VDIR/cu.log
	if ! command -v iscsi-test-cu >/dev/null; then
		fail "iscsi-test-cu is not installed" "make deps"
		return
	fi
	(cd "$VDIR" && timeout -k 10 600 iscsi-test-cu -d -i "$I1" -I "$I2" \
		-t 'ALL.Prin*,ALL.Prout*,ALL.Reserve6' \
		"iscsi://$TARGET_ADDR:$PORT/$IQN/2") >"$log" 2>&1 </dev/null
	awk '
	/^Suite: / { suite = substr($0, 8); sub(/[ \t]+$/, "", suite) }
	/^  Test: / {
		if (name != "") print name, st
		name = suite "." substr($0, 9); sub(/ \.\.\..*/, "", name); st = "NORUN"; skip = 0
	}
	/\[SKIPPED\]/ { skip = 1 }
	# A command the test logs as failed fails it even if CUnit says
	# passed; what follows the verdict is the set-up of the next suite (e.g. its
	# PR IN meeting the unit attention a LUN RESET gave every nexus).
	name != "" && st == "NORUN" {
		f = index($0, "FAILED"); p = index($0, "passed")
		if (f && (!p || f < p)) st = "FAIL"
		else if (p) st = skip ? "SKIP" : "PASS"
	}
	END { if (name != "") print name, st }' "$log" >"$VDIR/cu.results"
	local n
	n=$(wc -l <"$VDIR/cu.results")
	if ((n < 20)); then
		fail "iscsi-test-cu PR families ran ($n tests seen)" "see its output below"
		tail -n 20 "$log" | sed 's/^/    /' >&2
	fi
	while read -r test st; do
		if [[ $st == PASS ]]; then
			pass "iscsi-test-cu $test"
		else
			fail "iscsi-test-cu $test" "$st"
			awk -v t="  Test: ${test#*.} " 'index($0, t) == 1 { p = 1 } p && /^  Test: / && index($0, t) != 1 { p = 0 } p' "$log" |
				head -n 15 | sed 's/^/    /' >&2
		fi
	done <"$VDIR/cu.results"
	tier_check "$VARIANT: nothing left reserved after iscsi-test-cu" \
		expect_line '^not reserved$' 3 2 reservation
	tier_check "$VARIANT: ... READ KEYS lists no key" bash -c "! grep -q '^key' <<<\"\$1\"" _ "$(pc 3 2 keys)"
}

scenario() {
	local fs_before fs_after s1 s2 slot off out rc

	tier_check "$VARIANT: internal store hides the last MiB: READ CAPACITY gives 129024 blocks" \
		expect_all $'GOOD\nblocks 129024' 3 0 capacity
	tier_check "$VARIANT: external store hides nothing: 131072 blocks" \
		expect_all $'GOOD\nblocks 131072' 3 1 capacity

	tier_check "$VARIANT: initiator 1 registers" expect GOOD 1 0 register 0x1111
	tier_check "$VARIANT: initiator 2 registers" expect GOOD 2 0 register 0x2222
	tier_check "$VARIANT: initiator 1 reserves Write Exclusive - Registrants Only" expect GOOD 1 0 reserve 0x1111 5
	tier_check "$VARIANT: initiator 1 registers on the external-store LU" expect GOOD 1 1 register 0xe1
	tier_check "$VARIANT: before: unregistered initiator 3 gets RESERVATION CONFLICT on WRITE" \
		expect RESERVATION_CONFLICT 3 0 write 8
	tier_check "$VARIANT: before: registered initiator 2 writes" expect GOOD 2 0 write 8
	pc 1 0 fullstatus >"$VDIR/fs.before"
	tier_check "$VARIANT: READ FULL STATUS lists both keys, initiator 1 holding type 5" \
		grep -q "^key 0x0000000000001111 holder 1 type 5 .*$I1,i,0x" "$VDIR/fs.before"
	tier_check "$VARIANT: ... and initiator 2 registered, not holding" \
		grep -q "^key 0x0000000000002222 holder 0 " "$VDIR/fs.before"
	"$BIN" pr show -c "$VDIR/cfg.json" file0 >"$VDIR/show.out" 2>&1
	tier_check "$VARIANT: tandemd pr show reads the store while tandemd runs" \
		grep -q 'key 0x0000000000002222  .*:pr-initiator-2,i,0x' "$VDIR/show.out"
	"$BIN" pr clear -c "$VDIR/cfg.json" file0 >"$VDIR/clear.out" 2>&1 && rc=0 || rc=$?
	tier_check "$VARIANT: tandemd pr clear refuses while tandemd serves the LU, and says why" \
		bash -c "[[ $rc -ne 0 ]] && grep -q 'refusing to clear: .*in use' '$VDIR/clear.out'"

	# The failover: SIGKILL, then start again on the same files.
	target_kill
	if ! start failover; then
		fail "tandemd starts again after SIGKILL"
		return
	fi
	pass "tandemd starts again after SIGKILL"
	pc 1 0 fullstatus >"$VDIR/fs.after"
	tier_check "$VARIANT: after SIGKILL: READ FULL STATUS identical (keys, holder, type, generation)" \
		diff -u "$VDIR/fs.before" "$VDIR/fs.after"
	tier_check "$VARIANT: after SIGKILL: unregistered initiator 3 still gets RESERVATION CONFLICT on WRITE" \
		expect RESERVATION_CONFLICT 3 0 write 8
	tier_check "$VARIANT: after SIGKILL: registered initiator 2 writes" expect GOOD 2 0 write 8
	tier_check "$VARIANT: after SIGKILL: holder initiator 1 writes" expect GOOD 1 0 write 8
	tier_check "$VARIANT: after SIGKILL: the external store kept its registration" \
		expect_line '^key 0x00000000000000e1$' 1 1 keys

	# Torn write: the newest slot garbled while tandemd is down.
	cp "$VDIR/fs.after" "$VDIR/fs.s1"
	tier_check "$VARIANT: initiator 2 registers a new key" expect GOOD 2 0 register 0x2223
	pc 1 0 fullstatus >"$VDIR/fs.s2"
	tier_check "$VARIANT: ... which READ FULL STATUS shows" grep -q '^key 0x0000000000002223' "$VDIR/fs.s2"
	target_kill
	slot=$(current_slot)
	if [[ $slot != [01] ]]; then
		fail "tandemd pr show names the current slot" "got '$slot'"
		return
	fi
	garble "$VDIR/file0.img" "$(slot_offset "$VDIR/file0.img" "$slot")"
	if start torn; then
		pc 1 0 fullstatus >"$VDIR/fs.torn"
		tier_check "$VARIANT: torn newest slot: the previous state is loaded" diff -u "$VDIR/fs.s1" "$VDIR/fs.torn"
		tier_check "$VARIANT: torn newest slot: still RESERVATION CONFLICT for initiator 3" \
			expect RESERVATION_CONFLICT 3 0 write 8
		target_kill
	else
		fail "torn newest slot: tandemd starts"
	fi

	# Both slots garbled: refused, reported, recoverable.
	garble "$VDIR/file0.img" "$(slot_offset "$VDIR/file0.img" 0)"
	garble "$VDIR/file0.img" "$(slot_offset "$VDIR/file0.img" 1)"
	out=$(timeout 30 "$BIN" -f -c "$VDIR/cfg.json" -s "$VDIR/sock" 2>&1) && rc=0 || rc=$?
	echo "$out" >"$VDIR/refused.out"
	tier_check "$VARIANT: both slots bad: tandemd refuses to start" test "$rc" -ne 0
	tier_check "$VARIANT: ... and says why (no valid state, CRC32C)" \
		grep -q 'file0: PR store (internal, .*): no valid state (slot 0: .*; slot 1: .*); refusing to attach' "$VDIR/refused.out"
	"$BIN" pr show -c "$VDIR/cfg.json" file0 >"$VDIR/show.bad" 2>&1 && rc=0 || rc=$?
	tier_check "$VARIANT: tandemd pr show reports the damage (exit 1)" \
		bash -c "[[ $rc -eq 1 ]] && grep -q 'slot 0: no slot magic' '$VDIR/show.bad' && grep -q 'state: none valid' '$VDIR/show.bad'"
	tier_check "$VARIANT: tandemd pr clear resets it while tandemd is down" \
		"$BIN" pr clear -c "$VDIR/cfg.json" file0
	if start cleared; then
		pass "tandemd starts after pr clear"
		tier_check "$VARIANT: after pr clear: no registrations, no reservation" expect GOOD 3 0 write 8
	else
		fail "tandemd starts after pr clear"
		return
	fi

	# Cold start: APTPL decides.
	tier_check "$VARIANT: register without APTPL" expect GOOD 1 0 register 0x3333
	target_stop >/dev/null 2>&1
	start cold1 -C || { fail "tandemd -C starts"; return; }
	tier_check "$VARIANT: cold start without APTPL: registrations dropped, generation 0" \
		expect_all $'GOOD\ngeneration 0' 1 0 keys
	tier_check "$VARIANT: register with APTPL" expect GOOD 1 0 register 0x4444 aptpl
	tier_check "$VARIANT: reserve Exclusive Access" expect GOOD 1 0 reserve 0x4444 3
	target_kill
	start cold2 -C || { fail "tandemd -C starts again"; return; }
	tier_check "$VARIANT: cold start with APTPL: registration kept, generation 0" \
		expect_all $'GOOD\ngeneration 0\nkey 0x0000000000004444' 1 0 keys
	tier_check "$VARIANT: cold start with APTPL: the reservation too" expect RESERVATION_CONFLICT 3 0 read 8
	target_stop >/dev/null 2>&1

	# Foreign data in the last MiB.
	head -c "$SIZE" /dev/urandom >"$VDIR/file0.img"
	cp "$VDIR/file0.img" "$VDIR/file0.orig"
	out=$(timeout 30 "$BIN" -f -c "$VDIR/cfg.json" -s "$VDIR/sock" 2>&1) && rc=0 || rc=$?
	echo "$out" >"$VDIR/foreign.out"
	tier_check "$VARIANT: foreign data in the last MiB: tandemd refuses and names the way out" \
		bash -c "[[ $rc -ne 0 ]] && grep -q 'not a tandem PR store.*\"pr_store\": \"none\"' '$VDIR/foreign.out'"
	tier_check "$VARIANT: ... and leaves the data alone" cmp "$VDIR/file0.img" "$VDIR/file0.orig"
	write_config none
	if start none; then
		tier_check "$VARIANT: pr_store none: the whole file is the LU (131072 blocks)" \
			expect_all $'GOOD\nblocks 131072' 3 0 capacity
		target_stop >/dev/null 2>&1
	else
		fail "pr_store none: tandemd starts"
	fi
	tier_check "$VARIANT: ... still untouched" cmp "$VDIR/file0.img" "$VDIR/file0.orig"
}

# One variant: run_variant NAME BINARY, in a directory of its own.
run_variant() {
	local log
	VARIANT=$1 BIN=$2 VDIR=$WORK/$1
	mkdir -p "$VDIR"
	echo "pr: === $VARIANT: $BIN ==="
	if [[ ! -x $BIN ]]; then
		fail "$BIN does not exist" "build it: make $BIN"
		return
	fi
	PORT=$(target_free_port) || { fail "no free port"; return; }
	WWN0=$(target_uuid) WWN1=$(target_uuid) WWN2=$(target_uuid)
	for f in file0 file1 file2; do truncate -s "$SIZE" "$VDIR/$f.img"; done
	truncate -s 1048576 "$VDIR/file1.pr"
	write_config internal
	if ! start first; then
		fail "tandemd starts with internal and external PR stores"
		return
	fi
	pass "tandemd starts with internal and external PR stores"
	conformance
	scenario
	target_stop_all
	if ((TARGET_SAN)); then
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
	result_init pr
	tier_workdir pr
	mkdir -p "$BUILD/pr"
	if ! gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$PRC" \
		"$HERE/prclient.c" -liscsi 2>"$WORK/cc.out"; then
		result_fail "prclient builds (libiscsi-dev: make deps)"
		sed 's/^/    /' "$WORK/cc.out" >&2
		result_write
		return
	fi
	for v in $VARIANTS; do
		case $v in
		plain) run_variant plain "$BUILD/tandemd" ;;
		sanitizer) run_variant sanitizer "$BUILD/tandemd-san" ;;
		*) result_fail "PR_VARIANTS: unknown variant $v" "plain or sanitizer" ;;
		esac
	done
	# WRITE ATOMIC's journal shares the PR store's area: its crash test
	# counts here (it writes its own result file)
	local p f
	if bash "$HERE/atomic-journal.sh" "$BUILD" && read -r _ p _ f <"$BUILD/results/pr-journal"; then
		result_add "$p" "$f"
	else
		read -r _ p _ f <"$BUILD/results/pr-journal" 2>/dev/null && result_add "$p" "$f"
		result_fail "WRITE ATOMIC journal crash test (tests/pr/atomic-journal.sh)"
	fi
	result_write
}

main
