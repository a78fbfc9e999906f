#!/usr/bin/env bash
# Where tandemd spends its CPU under 4 KiB random reads at QD32 from one
# session on a ramdisk LU: perf samples the daemon (all its threads, user
# and kernel stacks) while tandem-bench drives it.
#
#   tests/bench/profile.sh BUILD_DIR [SECONDS]
#
# Prints the client's figures, the time per thread, and the hottest
# symbols (self time, then with callees, then the callers of the hottest
# user-space ones); keeps perf.data in
# BUILD_DIR/bench/ for a closer look (perf report -i ...). Needs root and
# perf (package linux-perf).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-build}
SECS=${2:-10}
. "$HERE/../lib/target.sh"
. "$HERE/targets.sh"

BENCH=$BUILD/bench/tandem-bench
DATA=$BUILD/bench/perf.data
WORK=''
cleanup() {
	target_stop_all
	[[ -n $WORK ]] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
die() { echo "profile: $*" >&2; exit 1; }

command -v perf >/dev/null || die "perf is not installed (make deps: linux-perf)"
[[ -x $BENCH && -x $BUILD/tandemd ]] || die "build first: make BUILD=$BUILD bench-tools $BUILD/tandemd"
[[ $SECS =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a positive integer"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tandem-profile.XXXXXX") || die "cannot create a temporary directory"
truncate -s 256M "$WORK/file.img" || die "cannot create $WORK/file.img"
bench_tandemd_start "$BUILD/tandemd" "$WORK" $((256 << 20)) "$WORK/file.img" ||
	die "tandemd does not start"
url=iscsi://$TARGET_ADDR:$TANDEMD_PORT/$BENCH_IQN/0
"$BENCH" -f -u "$url" -b 1m -q 8 -t 600 >/dev/null || die "cannot fill the LU"

"$BENCH" -u "$url" -b 4k -q 32 -r 100 -p rand -t "$SECS" -w 2 -P "$TANDEMD_PID" >"$WORK/bench.out" &
bench_pid=$!
sleep 2
perf record -q -F 999 --call-graph dwarf,16384 -p "$TANDEMD_PID" -o "$DATA" -- sleep "$((SECS - 1))" 2>"$WORK/perf.err" ||
	{ cat "$WORK/perf.err" >&2; die "perf record failed"; }
wait "$bench_pid" || die "tandem-bench failed"
echo "client: $(cat "$WORK/bench.out")"
echo
echo "== samples per thread"
perf report -i "$DATA" --stdio --no-children --sort pid -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 10
echo
echo "== self time by symbol"
perf report -i "$DATA" --stdio --no-children --sort dso,symbol -g none --percent-limit 0.8 2>/dev/null |
	grep -v '^#' | grep -v '^$' | head -n 40
echo
echo "== with callees (children), top"
perf report -i "$DATA" --stdio --children --sort symbol -g none --percent-limit 4 2>/dev/null |
	grep -v '^#' | grep -v '^$' | head -n 50
echo
echo "== who calls the hottest user-space symbols"
perf report -i "$DATA" --stdio --no-children --sort dso,symbol --dsos tandemd,libc.so.6 \
	-g caller,2,callee,function,percent --percent-limit 2 2>/dev/null |
	grep -v '^#' | grep -v '^$' | head -n 80
echo
echo "profile: perf data in $DATA"
