#!/usr/bin/env bash
# The failover suite (docs/failover.md): boots the lab (tests/lab/lab up),
# runs every scenario, judges each with tandem-verify's checker and the
# cluster's own records, writes the results table, tears the lab down.
#
#   tests/failover/run.sh BUILD_DIR [--full] [--runs N] [--lab-up] [SCENARIO...]
#
# --lab-up: use the lab that is already up (tests/lab/lab up) and leave it
# up afterwards (developing a scenario).
#
# Default (test tier "failover" of make check): each scenario once, short
# I/O phases. --full (make check-failover): 5 runs of each scenario in a
# row, longer phases, the knobs measured (scenarios-knobs.sh), and both
# tables written into docs/failover.md.
set -uo pipefail
BUILD=${1:-build}
shift || true
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/result.sh"
. "$HERE/lib.sh"
. "$HERE/scenarios-node.sh"
. "$HERE/scenarios-cluster.sh"
. "$HERE/scenarios-client.sh"
. "$HERE/scenarios-knobs.sh"

ALL="kill_active kill_passive cut_link kill_tandemd standby kill_during_resync kill_twice pr ext4"
FULL=0 RUNS=1 ONLY="" REUSE=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--full) FULL=1 RUNS=5 ;;
	--runs) RUNS=$2; shift ;;
	--lab-up) REUSE=1 ;;
	*) ONLY="$ONLY $1" ;;
	esac
	shift
done
SCENARIOS=${ONLY:-$ALL}
for sc in $SCENARIOS; do
	declare -F "sc_$sc" >/dev/null || { echo "no scenario $sc (one of: $ALL)" >&2; exit 2; }
done
# short phases for make check, longer ones for the full suite
# (the 30 s pause target after a crash is the full suite's to assert:
# docs/failover.md, "Short and full")
if [[ $FULL == 1 ]]; then FO_AFTER=10 FO_COPIES=5 FO_CRASH_MAX=30; else FO_AFTER=3 FO_COPIES=3 FO_CRASH_MAX=60; fi
FO_SPAN=64M
FO_SPAN_BYTES=$((64 << 20))

result_init failover
LOG=$BUILD/failover
mkdir -p "$LOG"
FO_RESULTS=$LOG/results.tsv
: >"$FO_RESULTS"
T0=$SECONDS
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')

finish() {
	local out
	fo_roles_stop 2>/dev/null
	if [[ $REUSE == 1 ]]; then
		echo "failover: wall time $((SECONDS - T0)) s; the lab is still up"
		result_write
		exit $?
	fi
	if out=$("$LAB" down 2>&1); then
		result_pass "teardown leaves nothing (netns, cgroup, hosts, switch)"
	else
		result_fail "teardown leaves nothing" "$(echo "$out" | tail -1)"
	fi
	echo "failover: wall time $((SECONDS - T0)) s"
	result_write
	exit $?
}

if [[ $(id -u) != 0 || ! -x $LAB_UML ]]; then
	result_fail "failover prerequisites" "needs root and user-mode-linux (make deps)"
	result_write
	exit 1
fi
trap finish EXIT
if [[ $REUSE == 1 ]]; then
	[[ -s $LAB_FILES/info ]] || { result_fail "lab up" "--lab-up: no lab is up"; exit 1; }
elif ! "$LAB" up >"$LOG/up.log" 2>&1; then
	result_fail "lab up" "see $LOG/up.log: $(grep ERROR "$LOG/up.log" | tail -1)"
	exit 1
fi
fo_info
if ! lab_exec client "$FO_VERIFY 2>&1 | grep -q usage:" 30 >/dev/null; then
	result_fail "tandem-verify in the lab image" "$FO_VERIFY missing on the client"
	exit 1
fi

for sc in $SCENARIOS; do
	for run in $(seq "$RUNS"); do
		FO_SCENARIO=$sc FO_RUN=$run
		FO_PAUSE=- FO_CONV=- FO_ACKED=0 FO_NOTE="" FO_WHY=""
		t=$SECONDS t_epoch=$(lab_now)
		fo_log "run $run of $RUNS"
		if "sc_$sc" >>"$LOG/$sc.log" 2>&1; then
			fo_result "$sc" "$run" PASS "$FO_PAUSE" "$FO_CONV" "$FO_ACKED" "$FO_NOTE ($((SECONDS - t)) s)"
		else
			fo_result "$sc" "$run" FAIL "$FO_PAUSE" "$FO_CONV" "$FO_ACKED" "${FO_WHY:-see $LOG/$sc.log}"
			# the nodes' logs go when the lab does: keep what the
			# cluster did during the failed run
			for h in $LAB_NODES; do
				lab_running "$h" || continue
				echo "$h's Pacemaker steps since the run began:"
				fo_steps "$h" "$t_epoch" | sed 's/^/    /'
			done >>"$LOG/$sc.log" 2>&1
		fi
		fo_stop_writers
		declare -F "fo_cleanup_$sc" >/dev/null && "fo_cleanup_$sc" >>"$LOG/$sc.log" 2>&1
	done
done

if [[ $FULL == 1 && -z $ONLY ]]; then
	fo_knobs
	cat "$LOG/knobs.md"
fi

MACHINE="$(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), Linux $(uname -r), lab guests: UML $(dpkg-query -W -f '${Version}' user-mode-linux 2>/dev/null)"
MODE=$([[ $FULL == 1 ]] && echo "full suite (make check-failover), $RUNS runs of each scenario" || echo "short suite (make check), $RUNS run of each scenario")
python3 "$HERE/analyze.py" table "$FO_RESULTS" >"$LOG/results.md"
{
	echo
	echo "Run of $STARTED, $MODE, $((SECONDS - T0)) s in all, on $MACHINE."
} >>"$LOG/results.md"
cat "$LOG/results.md"
if [[ $FULL == 1 && -z $ONLY ]]; then
	python3 "$HERE/analyze.py" docs "$LAB_REPO/docs/failover.md" "$LOG/results.md" ||
		result_fail "docs/failover.md" "could not write the results table"
	python3 "$HERE/analyze.py" docs "$LAB_REPO/docs/failover.md" "$LOG/knobs.md" knobs ||
		result_fail "docs/failover.md" "could not write the knobs table"
fi
