#!/usr/bin/env bash
# Where the time of an iscsi-test-cu run goes: starts a fresh tandemd (the
# conformance config) and prints each test's wall time, slowest first.
#
#   tests/conformance/timing.sh [BUILD] [ramdisk|fileio] [TESTS] [N]
#
# BUILD defaults to build, the LU to ramdisk, TESTS (iscsi-test-cu -t) to
# ALL, N (lines shown) to 15. TANDEMD=tandemd-san times the sanitizer
# build; TARGET=tgt times tgtd (one file LUN) instead. A test's time runs
# from the previous test's result to its own, so suite setup counts in it.
# Whole-second stalls (30 s, 60 s) point at a lost wake-up or a response
# that never came and a timeout that ended the wait.
set -u
BUILD=${1:-build}
LU=${2:-ramdisk}
TESTS=${3:-ALL}
SHOW=${4:-15}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/target.sh"
. "$HERE/lib.sh"

WORK=
cleanup() {
	target_stop_all
	[[ -n $WORK ]] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() { echo "timing: $*" >&2; exit 1; }

command -v perl >/dev/null || die "needs perl"
conf_have_tools || exit 1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tandem-timing.XXXXXX") || die "no temporary directory"
port=$(target_free_port) || exit 1
truncate -s "$CONF_LU_SIZE" "$WORK/file0.img" || die "cannot create the backing file"
if [[ ${TARGET:-tandemd} == tgt ]]; then
	tgtd_start "$port" "$CONF_IQN" "$WORK/target.log" "$WORK/file0.img" || die "tgtd does not start"
	lun=1
else
	case $LU in
	ramdisk) lun=0 ;;
	fileio) lun=1 ;;
	*) die "LU is ramdisk or fileio, not '$LU'" ;;
	esac
	tandem_config_write "$WORK/saveconfig.json" "$port" "$CONF_IQN" \
		"ramdisk:ram0:$CONF_LU_SIZE:$(target_uuid)" \
		"fileio:file0:$WORK/file0.img:$CONF_LU_SIZE:$(target_uuid)" || exit 1
	tandemd_start "$BUILD/${TANDEMD:-tandemd}" "$WORK/saveconfig.json" "$WORK/sock" \
		"$WORK/target.log" "$port" "$CONF_IQN" || die "tandemd does not start"
fi

url="iscsi://$TARGET_ADDR:$TARGET_PORT/$CONF_IQN/$lun"
echo "timing: iscsi-test-cu -t $TESTS on $url" >&2
start=$SECONDS
(cd "$WORK" && timeout -k 10 "$CONF_RUN_TIMEOUT" stdbuf -o0 iscsi-test-cu -d \
	-i "$CONF_INAME1" -I "$CONF_INAME2" -t "$TESTS" "$url") 2>&1 </dev/null |
	perl -MTime::HiRes=time -ne '
	BEGIN { $last = time }
	$suite = $1 if /^Suite: (\S+)/;
	$test = $1 if /^  Test: (.*?) \.\.\./;
	if (/^(?:  Test: .*? \.\.\.)?(passed|FAILED)/) {
		$now = time;
		printf "%8.2f %-6s ALL.%s.%s\n", $now - $last, $1, $suite, $test;
		$last = $now;
	}' >"$WORK/times"
echo "timing: $(wc -l <"$WORK/times") tests in $((SECONDS - start))s; slowest:" >&2
sort -rn "$WORK/times" | head -n "$SHOW"
