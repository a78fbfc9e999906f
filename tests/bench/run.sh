#!/usr/bin/env bash
# `make bench`: tandemd beside tgt and istgt on 127.0.0.1, one client
# (tandem-bench, libiscsi), one matrix, one run; then the loopback ceiling.
#
#   tests/bench/run.sh BUILD_DIR
#
# Environment (defaults in brackets):
#   BENCH_SECONDS   measured seconds per cell [10]
#   BENCH_WARMUP    warm-up seconds before each cell [1]
#   BENCH_SESSIONS  sessions per cell; QD is per session [1]
#   BENCH_LU_MIB    size of every LU, MiB [1024]
#   BENCH_STORES    which LUs: "mem file" [both]
#   BENCH_CELLS     extended regex choosing cells by name [all]
#   BENCH_DISK_DIR  where the file LUs live; must not be tmpfs [/var/tmp]
#
# All three targets run for the whole benchmark, idle but for the one
# being measured, and each cell is run against them one after the other:
# on a shared machine, load that comes and goes then hits the three alike
# instead of whichever target's turn it was.
#
# Prints the report and writes it to BUILD_DIR/bench/results.md (raw
# figures in results.raw). Exits 0 when every cell ran and every check the
# issue asks for holds, 1 otherwise. Needs root (tgtd).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
. "$HERE/../lib/target.sh"
. "$HERE/targets.sh"

SECS=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-1}
SESSIONS=${BENCH_SESSIONS:-1}
LU_MIB=${BENCH_LU_MIB:-1024}
STORES=${BENCH_STORES:-mem file}
CELL_RE=${BENCH_CELLS:-.}
DISK_DIR=${BENCH_DISK_DIR:-/var/tmp}

BENCH=$BUILD/bench/tandem-bench
LOOPBACK=$BUILD/bench/tandem-loopback
TANDEMD=$BUILD/tandemd
OUT=$BUILD/bench
RAW=$OUT/results.raw
RESULTS=$OUT/results.md

# name           bytes qd read% pattern
CELLS=(
	"4k-randread-qd1    4k   1  100 rand"
	"4k-randread-qd32   4k   32 100 rand"
	"4k-randwrite-qd1   4k   1  0   rand"
	"4k-randwrite-qd32  4k   32 0   rand"
	"128k-seqread-qd8   128k 8  100 seq"
	"128k-seqwrite-qd8  128k 8  0   seq"
	"1m-seqread-qd8     1m   8  100 seq"
	"1m-seqwrite-qd8    1m   8  0   seq"
	"4k-randrw70-qd16   4k   16 70  rand"
)
TARGETS=(tandemd tgt istgt)

WORK='' SHM=''
cleanup() {
	bench_istgt_stop
	target_stop_all
	[[ -n $WORK ]] && rm -rf "$WORK"
	[[ -n $SHM ]] && rm -rf "$SHM"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() { echo "bench: $*" >&2; exit 1; }

for f in "$BENCH" "$LOOPBACK" "$TANDEMD"; do
	[[ -x $f ]] || die "$f is missing (make BUILD=$BUILD bench builds it)"
done
[[ $SECS =~ ^[0-9]+(\.[0-9]+)?$ && $WARMUP =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
	die "BENCH_SECONDS and BENCH_WARMUP must be numbers of seconds"
[[ $SESSIONS =~ ^[1-9][0-9]*$ && $LU_MIB =~ ^[1-9][0-9]*$ ]] ||
	die "BENCH_SESSIONS and BENCH_LU_MIB must be positive integers"
for s in $STORES; do
	[[ $s == mem || $s == file ]] || die "BENCH_STORES: '$s' is neither mem nor file"
done
command -v tgtd >/dev/null || die "tgtd is not installed (make deps)"
command -v istgt >/dev/null || die "istgt is not installed (make deps)"
mkdir -p "$OUT" || die "cannot create $OUT"

WORK=$(mktemp -d "$DISK_DIR/tandem-bench.XXXXXX") || die "cannot create a directory in $DISK_DIR"
SHM=$(mktemp -d /dev/shm/tandem-bench.XXXXXX) || die "cannot create a directory in /dev/shm"
[[ $(stat -f -c %T "$WORK") != tmpfs ]] || die "$DISK_DIR is tmpfs; set BENCH_DISK_DIR to a disk"
[[ $(stat -f -c %T "$SHM") == tmpfs ]] || die "/dev/shm is not tmpfs"
fstype=$(findmnt -n -o FSTYPE --target "$WORK" 2>/dev/null || stat -f -c %T "$WORK")

size=$((LU_MIB << 20))
bench_msg "creating the LUs' files ($LU_MIB MiB each)"
for t in tgt istgt; do
	fallocate -l "$size" "$SHM/$t.img" || die "cannot allocate $SHM/$t.img"
done
for t in "${TARGETS[@]}"; do
	dd if=/dev/zero of="$WORK/$t.img" bs=1M count="$LU_MIB" conv=fsync status=none ||
		die "cannot write $WORK/$t.img"
done

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
bench_tandemd_start "$TANDEMD" "$WORK" "$size" "$WORK/tandemd.img" || die "tandemd does not start"
bench_tgt_start "$WORK" "$SHM/tgt.img" "$WORK/tgt.img" || die "tgtd does not start"
bench_istgt_start "$WORK" "$SHM/istgt.img" "$WORK/istgt.img" || die "istgt does not start"

declare -A PID_OF=([tandemd]=$TANDEMD_PID [tgt]=$TGT_PID [istgt]=$ISTGT_PID)
declare -A URL_OF=(
	[tandemd/mem]=iscsi://$TARGET_ADDR:$TANDEMD_PORT/$BENCH_IQN/0
	[tandemd/file]=iscsi://$TARGET_ADDR:$TANDEMD_PORT/$BENCH_IQN/1
	[tgt/mem]=iscsi://$TARGET_ADDR:$TGT_PORT/$BENCH_IQN/1
	[tgt/file]=iscsi://$TARGET_ADDR:$TGT_PORT/$BENCH_IQN/2
	[istgt/mem]=iscsi://$TARGET_ADDR:$ISTGT_PORT/$BENCH_IQN/0
	[istgt/file]=iscsi://$TARGET_ADDR:$ISTGT_PORT/$BENCH_IQN/1
)

failures=0
# Every target gets its LUs written once, so reads everywhere return data
# that was written, not holes or never-touched ramdisk chunks.
for store in $STORES; do
	for t in "${TARGETS[@]}"; do
		if ! "$BENCH" -f -u "${URL_OF[$t/$store]}" -b 1m -q 8 -t 600 >/dev/null 2>"$WORK/fill.err"; then
			cat "$WORK/fill.err" >&2
			die "cannot fill $t's $store LU"
		fi
	done
done
sync "$WORK"/*.img

# The ceiling is measured before and after the matrix; the report takes
# the higher of the two, so that a busy moment does not flatter tandemd.
loopback() {
	local msg line
	bench_msg "loopback ceiling ($1)"
	for msg in 128k 1m; do
		if line=$("$LOOPBACK" -b "$msg" -t "$SECS" -w "$WARMUP" 2>"$WORK/loop.err"); then
			echo "kind=loopback when=$1 msg=$msg $line" >>"$RAW"
		else
			cat "$WORK/loop.err" >&2
			echo "kind=loopback when=$1 msg=$msg error=1" >>"$RAW"
			failures=$((failures + 1))
		fi
	done
}

: >"$RAW"
loopback before

to_bytes() {
	case $1 in
	*k) echo $((${1%k} << 10)) ;;
	*m) echo $((${1%m} << 20)) ;;
	*) echo "$1" ;;
	esac
}

for store in $STORES; do
	for spec in "${CELLS[@]}"; do
		read -r name bs qd rpct pat <<<"$spec"
		[[ $name =~ $CELL_RE ]] || continue
		for t in "${TARGETS[@]}"; do
			tag="kind=cell store=$store cell=$name target=$t bytes=$(to_bytes "$bs") qd=$qd read_pct=$rpct pattern=$pat"
			if ! _target_alive "${PID_OF[$t]}"; then
				bench_msg "$t (pid ${PID_OF[$t]}) is not running any more"
				echo "$tag error=1" >>"$RAW"
				failures=$((failures + 1))
				continue
			fi
			# A write-back file LU leaves its writes dirty in the page
			# cache; written back during the next cell, they would
			# cost whichever target runs then (tandemd, after istgt's
			# write cell). Every file cell starts with none.
			[[ $store == file ]] && sync "$WORK"/*.img
			if line=$("$BENCH" -u "${URL_OF[$t/$store]}" -b "$bs" -q "$qd" -r "$rpct" -p "$pat" \
				-t "$SECS" -w "$WARMUP" -s "$SESSIONS" -P "${PID_OF[$t]}" 2>"$WORK/cell.err"); then
				echo "$tag $line" >>"$RAW"
				bench_msg "$store $name $t: $line"
			else
				bench_msg "$store $name $t failed:"
				cat "$WORK/cell.err" >&2
				echo "$tag error=1" >>"$RAW"
				failures=$((failures + 1))
			fi
		done
	done
done
loopback after
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git -C "$ROOT" status --porcelain -- target 2>/dev/null) ]] && rev="$rev (target/ modified)"
{
	echo "# tandem bench: tandemd beside tgt and istgt"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)"
	echo "- load average (1/5/15 min) before: $load_start; after: $load_end"
	echo "- tandemd $TANDEMD (built $(date -u -r "$TANDEMD" +%Y-%m-%dT%H:%MZ)) from $rev; tgt $(dpkg-query -W -f='${Version}' tgt 2>/dev/null); istgt $(dpkg-query -W -f='${Version}' istgt 2>/dev/null); libiscsi $(dpkg-query -W -f='${Version}' libiscsi7 2>/dev/null)"
	echo "- each cell: ${WARMUP}s warm-up, ${SECS}s measured, $SESSIONS session(s), QD per session; LUs of $LU_MIB MiB, written once before"
	echo "- mem: tandemd ramdisk; tgt rdwr and istgt on a file in /dev/shm (tmpfs). file: a file on $fstype in $DISK_DIR, write-back cache (WCE=1) on all three"
	echo
	awk -f "$HERE/report.awk" -v checks="$WORK/checks" "$RAW"
} >"$RESULTS"
cat "$RESULTS"

failed_checks=$(cat "$WORK/checks" 2>/dev/null || echo 1)
if ((failures)); then
	echo "bench: $failures run(s) failed; see above" >&2
	exit 1
fi
if ((failed_checks)); then
	echo "bench: $failed_checks check(s) do not hold" >&2
	exit 1
fi
echo "bench: all checks hold; report in $RESULTS" >&2
exit 0
