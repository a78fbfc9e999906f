#!/usr/bin/env bash
# Verifier tier: tandem-verify, the failover tests' verifying client, on
# this machine only (127.0.0.1, files in /var/tmp), proving that it carries
# on through a target crash and that its checker catches lost writes.
#
#   tests/failover/local.sh [BUILD]      (make check-verifier; tier "verifier")
#
# Cases, each counted:
#   1. libiscsi backend through a crash: 9 s of writes at QD 32 against
#      tandemd; tandemd is killed (SIGKILL) 2.5 s in and started again on
#      the same port and files 1 s later. The client carries on (more writes
#      acknowledged after the restart), every failed write shows up as an
#      uncertain block, the longest pause it reports spans the outage, and
#      verify passes.
#   2. path backend on a regular file: writes with checked reads, stopped
#      through --stop, verify passes; a second write phase continues the
#      same run and verify passes again.
#   3. the checker fails when it must: on copies of a small, fully written
#      file, a zeroed block is missing, an older copy of a block is stale,
#      half new and half old is torn, a flipped byte is corrupt, a block
#      copied elsewhere is misplaced; the same torn block, a block holding
#      the old content and one holding the new, marked uncertain in the
#      state, pass as uncertain_torn/old/new, are settled by verify, and
#      the torn one is never written again.
#   4. probe-write: GOOD on a plain LU and on a file; RESERVATION_CONFLICT
#      for an initiator that is not registered once another one holds a
#      Write Exclusive reservation (tests/pr/prclient); CHECK CONDITION DATA
#      PROTECT on a write-protected LU, where a write phase gets only
#      errors, all of them uncertain blocks that verify finds unchanged;
#      a transport error when nothing listens.
#   5. command line: bad values and a --bs that contradicts the state are
#      usage errors (exit 2).
. "$(dirname "$0")/../lib/tier.sh"

VERIFY=$BUILD/tandem-verify
TANDEMD=$BUILD/tandemd
IQN=iqn.2026-11.org.tandem:verifier
I1=iqn.2026-11.org.tandem:verifier-holder
I2=iqn.2026-11.org.tandem:verifier-other
LU_SIZE=$((64 * 1024 * 1024))
PORT='' URL=''

result_init verifier

# field NAME FILE: the word after NAME on the first line of FILE.
field() {
	awk -v n="$1" '{ for (i = 1; i < NF; i++) if ($i == n) { print $(i + 1); exit } }' "$2"
}

# expect_line FILE REGEX: FILE's first line matches REGEX.
expect_line() {
	local got
	got=$(head -n 1 "$1")
	[[ $got =~ $2 ]] || { echo "got: '$got'"; echo "want: /$2/"; return 1; }
}

# awk_true EXPR: a numeric comparison awk can make and bash cannot (floats).
awk_true() {
	awk "BEGIN { exit !($1) }"
}

start_tandemd() {	# start_tandemd LOGSUFFIX
	tandemd_start "$TANDEMD" "$WORK/cfg.json" "$WORK/sock" "$WORK/tandemd.log.$1" "$PORT" "$IQN"
}

# ---- 1. libiscsi backend through a crash of tandemd
crash_run() {
	local w=$WORK/crash kill_t restart_t at_restart rc
	mkdir -p "$w"
	"$VERIFY" write "$URL" --state "$w/state" --seconds 9 --progress "$w/progress" \
		--ack-log "$w/acks" >"$w/write.out" 2>"$w/write.err" &
	local vpid=$!
	sleep 2.5
	if ! target_kill; then
		echo "tandemd was not running when it was to be killed"
		return 1
	fi
	kill_t=$(date +%s.%N)
	sleep 1
	start_tandemd restart || return 1
	restart_t=$(date +%s.%N)
	at_restart=$(field acked "$w/progress")
	wait "$vpid"
	rc=$?
	echo "kill $kill_t restart $restart_t acked at restart $at_restart"
	cat "$w/write.out"
	grep -v 'libiscsi: \(TCP\|connecting\|connection established\|SENSE\)' "$w/write.err"
	[[ $rc -eq 0 ]] || { echo "write exited $rc"; return 1; }
	expect_line "$w/write.out" '^write: acked [0-9]+ errors [0-9]+ reads 0 read_bad 0 iops [0-9]+ longest_pause [0-9.]+ pause_from [0-9.]+ pause_to [0-9.]+$' || return 1
	local acked errors pause from to
	acked=$(field acked "$w/write.out")
	errors=$(field errors "$w/write.out")
	pause=$(field longest_pause "$w/write.out")
	from=$(field pause_from "$w/write.out")
	to=$(field pause_to "$w/write.out")
	((acked > at_restart)) || { echo "no write acknowledged after the restart ($acked, $at_restart at the restart)"; return 1; }
	awk_true "$pause >= 1" || { echo "longest pause $pause s does not cover a 1 s outage"; return 1; }
	awk_true "$from <= $kill_t && $to >= $restart_t" ||
		{ echo "the longest pause ($from to $to) does not span the outage ($kill_t to $restart_t)"; return 1; }
	[[ $(wc -l <"$w/acks") -eq $acked ]] || { echo "ack log has $(wc -l <"$w/acks") lines for $acked acknowledged writes"; return 1; }
	"$VERIFY" verify "$URL" --state "$w/state" >"$w/verify.out" 2>"$w/verify.err"
	rc=$?
	cat "$w/verify.out"
	grep -v 'libiscsi:' "$w/verify.err"
	[[ $rc -eq 0 ]] || { echo "verify exited $rc"; return 1; }
	expect_line "$w/verify.out" ' verdict PASS$' || return 1
	local unc
	unc=$(($(field uncertain_old "$w/verify.out") + $(field uncertain_new "$w/verify.out") + $(field uncertain_torn "$w/verify.out")))
	[[ $unc -eq $errors ]] || { echo "$errors failed writes but $unc uncertain blocks"; return 1; }
	(($(field written "$w/verify.out") > 0)) || { echo "nothing written"; return 1; }
}

# ---- 2. path backend on a regular file, stopped through --stop, continued
path_run() {
	local w=$WORK/path rc t0 t1
	mkdir -p "$w"
	truncate -s 32M "$w/disk.img"
	"$VERIFY" write "$w/disk.img" --state "$w/state" --qd 8 --read-pct 25 --seconds 60 \
		--stop "$w/stop" --ack-log "$w/acks" >"$w/write1.out" 2>"$w/write1.err" &
	local vpid=$!
	sleep 1.5
	t0=$(date +%s.%N)
	: >"$w/stop"
	wait "$vpid"
	rc=$?
	t1=$(date +%s.%N)
	cat "$w/write1.out" "$w/write1.err"
	[[ $rc -eq 0 ]] || { echo "write exited $rc"; return 1; }
	awk_true "$t1 - $t0 < 5" || { echo "write took $(awk "BEGIN { print $t1 - $t0 }") s to stop after --stop appeared"; return 1; }
	expect_line "$w/write1.out" '^write: acked [1-9][0-9]* errors 0 reads [1-9][0-9]* read_bad 0 ' || return 1
	[[ $(wc -l <"$w/acks") -eq $(field acked "$w/write1.out") ]] || { echo "ack log and acked count differ"; return 1; }
	"$VERIFY" verify "$w/disk.img" --state "$w/state" >"$w/verify1.out" || { cat "$w/verify1.out"; return 1; }
	cat "$w/verify1.out"
	expect_line "$w/verify1.out" '^verify: blocks 8192 written [1-9][0-9]* ok [1-9][0-9]* missing 0 stale 0 torn 0 corrupt 0 misplaced 0 uncertain_old 0 uncertain_new 0 uncertain_torn 0 verdict PASS$' || return 1
	[[ $(field written "$w/verify1.out") -eq $(field ok "$w/verify1.out") ]] || return 1
	"$VERIFY" write "$w/disk.img" --state "$w/state" --qd 8 --seconds 1 >"$w/write2.out" 2>"$w/write2.err" || return 1
	cat "$w/write2.out" "$w/write2.err"
	# The same run id, its sequence numbers continued.
	local run1 run2
	run1=$(sed -n 's/.* run \([0-9a-f]*\) from seq 1,.*/\1/p' "$w/write1.err")
	run2=$(sed -n 's/.* run \([0-9a-f]*\) from seq \([0-9]*\),.*/\1 \2/p' "$w/write2.err")
	[[ -n $run1 && ${run2% *} == "$run1" && ${run2#* } -gt 1 ]] || { echo "second phase '$run2' does not continue run '$run1'"; return 1; }
	"$VERIFY" verify "$w/disk.img" --state "$w/state" >"$w/verify2.out" || { cat "$w/verify2.out"; return 1; }
	cat "$w/verify2.out"
	expect_line "$w/verify2.out" ' verdict PASS$'
}

# ---- 3. the checker fails when it must
SMALL=$WORK/small
BS=4096

block_of() {	# block_of IMG N OUT
	dd if="$1" of="$3" bs=$BS skip="$2" count=1 status=none
}
put_block() {	# put_block IMG N FILE [BYTES [AT]]: FILE's first BYTES at byte AT of block N
	local bytes=${4:-$BS} at=${5:-0}
	dd if="$3" of="$1" bs=1 count="$bytes" skip="$at" seek=$(($2 * BS + at)) conv=notrunc status=none
}

# One damaged copy: damaged NAME CHANGE COUNTER=VALUE... ; CHANGE (eval'd,
# $img is the copy) damages it; verify must FAIL with the counters given,
# every other failure and uncertain counter 0.
damaged() {
	local name=$1 change=$2 rc kv got
	shift 2
	local img=$SMALL/$name.img state=$SMALL/$name.state
	local -A want=([missing]=0 [stale]=0 [torn]=0 [corrupt]=0 [misplaced]=0
		[uncertain_old]=0 [uncertain_new]=0 [uncertain_torn]=0)
	for kv in "$@"; do
		want[${kv%=*}]=${kv#*=}
	done
	cp "$SMALL/disk.img" "$img"
	cp "$SMALL/state" "$state"
	eval "$change"
	"$VERIFY" verify "$img" --state "$state" >"$SMALL/$name.out" 2>"$SMALL/$name.err"
	rc=$?
	cat "$SMALL/$name.out" "$SMALL/$name.err"
	[[ $rc -eq 1 ]] || { echo "verify exited $rc, want 1"; return 1; }
	expect_line "$SMALL/$name.out" ' verdict FAIL$' || return 1
	for kv in "${!want[@]}"; do
		got=$(field "$kv" "$SMALL/$name.out")
		[[ $got == "${want[$kv]}" ]] || { echo "$kv is $got, want ${want[$kv]}"; return 1; }
	done
}

# The state file (tests/failover/verify/state.h) edited in place: block N's
# acknowledged and uncertain sequence numbers, CRC32C recomputed.
state_set() {	# state_set FILE BLOCK ACKED CAND
	python3 - "$@" <<-'EOF'
	import struct, sys
	path, blk, acked, cand = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
	def crc32c(data):
	    crc = 0xFFFFFFFF
	    for b in data:
	        crc ^= b
	        for _ in range(8):
	            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
	    return crc ^ 0xFFFFFFFF
	d = bytearray(open(path, "rb").read())
	struct.pack_into("<QQ", d, 64 + 16 * blk, acked, cand)
	struct.pack_into("<I", d, len(d) - 4, crc32c(d[:-4]))
	open(path, "wb").write(d)
	EOF
}

seq_of() {	# seq_of FILE: the sequence number stamped in FILE's first sector
	od -An -t u8 -j 16 -N 8 "$1" | tr -d ' '
}

checker_setup() {
	mkdir -p "$SMALL"
	truncate -s 1M "$SMALL/disk.img"
	# 16 blocks at QD 4 for a second: every block is written many times.
	"$VERIFY" write "$SMALL/disk.img" --state "$SMALL/state" --span 64K --qd 4 --seconds 1 >"$SMALL/w1.out" 2>&1 || { cat "$SMALL/w1.out"; return 1; }
	"$VERIFY" verify "$SMALL/disk.img" --state "$SMALL/state" >"$SMALL/v1.out" 2>&1 || { cat "$SMALL/v1.out"; return 1; }
	expect_line "$SMALL/v1.out" '^verify: blocks 16 written 16 ok 16 .* verdict PASS$' || return 1
	block_of "$SMALL/disk.img" 3 "$SMALL/old3"
	"$VERIFY" write "$SMALL/disk.img" --state "$SMALL/state" --qd 4 --seconds 1 >"$SMALL/w2.out" 2>&1 || { cat "$SMALL/w2.out"; return 1; }
	"$VERIFY" verify "$SMALL/disk.img" --state "$SMALL/state" >"$SMALL/v2.out" 2>&1 || { cat "$SMALL/v2.out"; return 1; }
	expect_line "$SMALL/v2.out" '^verify: blocks 16 written 16 ok 16 .* verdict PASS$' || return 1
	block_of "$SMALL/disk.img" 3 "$SMALL/new3"
	block_of "$SMALL/disk.img" 2 "$SMALL/new2"
	block_of "$SMALL/disk.img" 5 "$SMALL/new5"
	block_of "$SMALL/disk.img" 11 "$SMALL/new11"
	! cmp -s "$SMALL/old3" "$SMALL/new3" || { echo "block 3 was not written again by the second phase"; return 1; }
}

uncertain_states() {
	local img=$SMALL/unc.img state=$SMALL/unc.state o3 n3 n5 n11 rc
	cp "$SMALL/disk.img" "$img"
	cp "$SMALL/state" "$state"
	o3=$(seq_of "$SMALL/old3") n3=$(seq_of "$SMALL/new3") n5=$(seq_of "$SMALL/new5") n11=$(seq_of "$SMALL/new11")
	# Block 3 half new, half old: legal when the new write failed.
	put_block "$img" 3 "$SMALL/old3" 2048 2048
	state_set "$state" 3 "$o3" "$n3"
	# Block 5 holds its acknowledged write; a failed one never landed.
	state_set "$state" 5 "$n5" "$o3"
	# Block 11 holds the failed write whole.
	state_set "$state" 11 "$o3" "$n11"
	"$VERIFY" verify "$img" --state "$state" >"$SMALL/unc1.out" 2>&1
	rc=$?
	cat "$SMALL/unc1.out"
	[[ $rc -eq 0 ]] || { echo "verify exited $rc"; return 1; }
	expect_line "$SMALL/unc1.out" '^verify: blocks 16 written 13 ok 13 missing 0 stale 0 torn 0 corrupt 0 misplaced 0 uncertain_old 1 uncertain_new 1 uncertain_torn 1 verdict PASS$' || return 1
	# Settled: blocks 5 and 11 are certain now, the torn one stays uncertain.
	"$VERIFY" verify "$img" --state "$state" >"$SMALL/unc2.out" 2>&1 || { cat "$SMALL/unc2.out"; return 1; }
	cat "$SMALL/unc2.out"
	expect_line "$SMALL/unc2.out" '^verify: blocks 16 written 15 ok 15 .* uncertain_old 0 uncertain_new 0 uncertain_torn 1 verdict PASS$' || return 1
	# A write phase leaves the uncertain block alone, and writes the rest.
	block_of "$img" 3 "$SMALL/torn3.before"
	"$VERIFY" write "$img" --state "$state" --qd 4 --seconds 1 >"$SMALL/unc3.out" 2>&1 || { cat "$SMALL/unc3.out"; return 1; }
	block_of "$img" 3 "$SMALL/torn3.after"
	cmp -s "$SMALL/torn3.before" "$SMALL/torn3.after" || { echo "the uncertain block 3 was written"; return 1; }
	"$VERIFY" verify "$img" --state "$state" >"$SMALL/unc4.out" 2>&1 || { cat "$SMALL/unc4.out"; return 1; }
	cat "$SMALL/unc4.out"
	expect_line "$SMALL/unc4.out" '^verify: blocks 16 written 15 ok 15 .* uncertain_torn 1 verdict PASS$'
}

# ---- 4. probe-write
probe() {	# probe WANT_RC WANT_REGEX ARGS...
	local want_rc=$1 pattern=$2 rc
	shift 2
	"$VERIFY" probe-write "$@" >"$WORK/probe.out" 2>"$WORK/probe.err"
	rc=$?
	cat "$WORK/probe.out"
	grep -v 'libiscsi:' "$WORK/probe.err"
	[[ $rc -eq $want_rc ]] || { echo "exit $rc, want $want_rc"; return 1; }
	expect_line "$WORK/probe.out" "$pattern"
}

build_prclient() {
	gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$WORK/prclient" \
		"$HERE/../pr/prclient.c" -liscsi
}

reserved_conflict() {
	local p=(timeout 60 "$WORK/prclient" -i "$I1" -q 1 "$URL")
	[[ $("${p[@]}" register 0xabc) == GOOD ]] || { echo "REGISTER failed"; return 1; }
	[[ $("${p[@]}" reserve 0xabc 1) == GOOD ]] || { echo "RESERVE (Write Exclusive) failed"; return 1; }
	probe 0 '^probe: status RESERVATION_CONFLICT$' "$URL" --lba 8 --initiator "$I2"
}

protected_lu() {
	local w=$WORK/protected rc
	mkdir -p "$w"
	probe 0 '^probe: status CHECK_CONDITION key 0x07 asc 0x27 ascq 0x00$' "$URL" --lba 8 || return 1
	"$VERIFY" write "$URL" --state "$w/state" --span 1M --qd 4 --seconds 1 >"$w/write.out" 2>"$w/write.err"
	rc=$?
	cat "$w/write.out"
	grep -v 'libiscsi:' "$w/write.err" | head -n 5
	[[ $rc -eq 0 ]] || { echo "write exited $rc"; return 1; }
	expect_line "$w/write.out" '^write: acked 0 errors [1-9][0-9]* ' || return 1
	"$VERIFY" verify "$URL" --state "$w/state" >"$w/verify.out" 2>/dev/null
	rc=$?
	cat "$w/verify.out"
	[[ $rc -eq 0 ]] || { echo "verify exited $rc"; return 1; }
	expect_line "$w/verify.out" "^verify: blocks 256 written 0 ok 0 .* uncertain_old $(field errors "$w/write.out") uncertain_new 0 uncertain_torn 0 verdict PASS$"
}

# ---- 5. command line
usage_errors() {
	local f=$WORK/usage.img
	truncate -s 1M "$f"
	"$VERIFY" write "$f" --state "$WORK/usage.state" --bs 1000 2>/dev/null
	[[ $? -eq 2 ]] || { echo "--bs 1000 accepted"; return 1; }
	"$VERIFY" write "$f" --state "$WORK/usage.state" --qd 0 2>/dev/null
	[[ $? -eq 2 ]] || { echo "--qd 0 accepted"; return 1; }
	"$VERIFY" verify "$f" --state "$WORK/usage.state" --qd 4 2>/dev/null
	[[ $? -eq 2 ]] || { echo "verify accepted --qd"; return 1; }
	"$VERIFY" write "$f" --state "$WORK/usage.state" --seconds 0.2 --qd 2 >/dev/null 2>&1 || { echo "a plain write failed"; return 1; }
	"$VERIFY" write "$f" --state "$WORK/usage.state" --bs 8192 2>/dev/null
	[[ $? -eq 2 ]] || { echo "--bs 8192 accepted for a state written with 4096"; return 1; }
	"$VERIFY" verify "$f" --state "$WORK/none.state" 2>/dev/null
	[[ $? -eq 2 ]] || { echo "verify without a state file did not exit 2"; return 1; }
}

main() {
	local check_out
	if [[ ! -x $VERIFY || ! -x $TANDEMD ]]; then
		result_fail "build" "$VERIFY or $TANDEMD missing (make $VERIFY $TANDEMD)"
		result_write
		return
	fi
	# O_DIRECT: not on tmpfs, which /tmp may be.
	TMPDIR=/var/tmp tier_workdir verifier
	PORT=$(target_free_port) || { result_fail "free port"; result_write; return; }
	URL=iscsi://$TARGET_ADDR:$PORT/$IQN/0
	truncate -s "$LU_SIZE" "$WORK/lu0.img"
	tandem_config_write "$WORK/cfg.json" "$PORT" "$IQN" \
		"fileio:lu0:$WORK/lu0.img:$LU_SIZE:$(target_uuid):none"
	if start_tandemd first; then
		tier_check "libiscsi backend: writes carry on through a tandemd crash, verify passes, the pause spans the outage" crash_run
		tier_check "probe-write: GOOD on a plain LU" probe 0 '^probe: status GOOD$' "$URL" --lba 8
		if build_prclient >"$WORK/cc.out" 2>&1; then
			tier_check "probe-write: RESERVATION_CONFLICT for an unregistered initiator" reserved_conflict
		else
			result_fail "prclient builds (libiscsi-dev: make deps)"
			sed 's/^/    /' "$WORK/cc.out" >&2
		fi
		target_stop || result_fail "tandemd stops cleanly" "exit status $TARGET_RC"
	else
		result_fail "tandemd starts"
	fi
	tier_check "path backend: writes with checked reads, --stop, verify, a continued run" path_run
	if check_out=$(checker_setup 2>&1); then
		result_pass "checker: a small file written whole twice verifies"
		tier_check "checker: a zeroed block is missing" damaged zero \
			'dd if=/dev/zero of="$img" bs=$BS seek=5 count=1 conv=notrunc status=none' missing=1
		tier_check "checker: an older copy of a block is stale" damaged stale \
			'put_block "$img" 3 "$SMALL/old3"' stale=1
		tier_check "checker: half new, half old is torn" damaged torn \
			'put_block "$img" 3 "$SMALL/old3" 2048 2048' torn=1
		tier_check "checker: a flipped byte is corrupt" damaged corrupt \
			'printf "\x5a" | dd of="$img" bs=1 seek=$((7 * BS + 1000)) conv=notrunc status=none' corrupt=1
		tier_check "checker: a block copied elsewhere is misplaced" damaged misplaced \
			'put_block "$img" 9 "$SMALL/new2"' misplaced=1
		tier_check "checker: uncertain blocks pass as old, new or torn, and are settled" uncertain_states
	else
		result_fail "checker: a small file written whole twice verifies"
		sed 's/^/    /' <<<"$check_out" >&2
	fi
	tier_check "probe-write: GOOD on a file" probe 0 '^probe: status GOOD$' "$SMALL/disk.img" --lba 1
	# The same LU, write-protected for every initiator.
	sed -i 's/"demo_mode_write_protect": 0/"demo_mode_write_protect": 1/' "$WORK/cfg.json"
	if grep -q '"demo_mode_write_protect": 1' "$WORK/cfg.json" && start_tandemd protected; then
		tier_check "write-protected LU: DATA PROTECT, and failed writes are uncertain blocks" protected_lu
		target_stop || result_fail "tandemd stops cleanly" "exit status $TARGET_RC"
	else
		result_fail "tandemd starts with a write-protected LU"
	fi
	# Nothing listens on the port any more.
	tier_check "probe-write: a transport error when nothing listens" probe 2 '^probe: error ' "$URL" --lba 8
	tier_check "command line: bad values and a contradicted state are usage errors" usage_errors
	result_write
}

main
rc=$?
echo "verifier: ${SECONDS}s" >&2
exit $rc
