#!/usr/bin/env bash
# The ctl tier: tandemctl's unit test (tree editing and completion), its
# bats suites against a real tandemd, and the daemon's control-socket tests
# (tests/ctl/daemon/run.sh). Writes $BUILD/results/ctl.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/result.sh
source tests/lib/result.sh
result_init ctl
CTL_BUILD=$(cd "$BUILD" && pwd)
export CTL_BUILD
log=$BUILD/results/ctl.log
: >"$log"

for unit in ctl/test_ctl_tree ctl-san/test_ctl_tree; do
	if "$BUILD/$unit" >>"$log" 2>&1; then
		result_pass "unit: tree editing and completion ($unit)"
	else
		result_fail "unit: tree editing and completion ($unit)" "see $log"
	fi
done

# One result per bats test case; a skipped case counts as a failure. Every
# suite runs with the plain builds, then with tandemctl-san and tandemd-san.
run_suite() {	# run_suite SUITE TANDEMD TANDEMCTL LABEL
	local suite=$1 out line n=0
	out=$(CTL_TANDEMD=$2 CTL_TANDEMCTL=$3 bats --tap "$suite" 2>&1)
	echo "$out" >>"$log"
	while IFS= read -r line; do
		case $line in
		"ok "*"# skip"*) result_fail "$4: ${line#ok }" "skipped" ;;
		"ok "*) result_pass "$4: ${line#ok }" ;;
		"not ok "*) result_fail "$4: ${line#not ok }" "see $log" ;;
		*) continue ;;
		esac
		n=$((n + 1))
	done <<<"$out"
	((n > 0)) || result_fail "$4" "bats ran no test (see $log)"
}
for suite in tests/ctl/*.bats; do
	run_suite "$suite" "$CTL_BUILD/tandemd" "$CTL_BUILD/tandemctl" "${suite##*/}"
done
for suite in tests/ctl/*.bats; do
	run_suite "$suite" "$CTL_BUILD/tandemd-san" "$CTL_BUILD/tandemctl-san" "${suite##*/} (san)"
done

daemon_runner=tests/ctl/daemon/run.sh
if [[ -f $daemon_runner ]]; then
	out=$(bash "$daemon_runner" "$BUILD" 2>&1)
	echo "$out" >>"$log"
	counts=$(grep -Eo 'passed [0-9]+ failed [0-9]+' <<<"$out" | tail -n 1)
	if [[ -n $counts ]]; then
		read -r _ p _ f <<<"$counts"
		result_add "$p" "$f"
		echo "daemon control-socket tests: $p passed, $f failed"
		grep '^FAIL' <<<"$out"
	else
		result_fail "daemon control-socket tests" "no 'passed N failed M' line (see $log)"
	fi
else
	result_fail "daemon control-socket tests" "$daemon_runner is missing"
fi
result_write
