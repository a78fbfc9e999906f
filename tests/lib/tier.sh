# shellcheck shell=bash source-path=SCRIPTDIR
# Sourced first by the runners that serve a target on 127.0.0.1 (protocol,
# robustness, conformance and tgt's baseline), as
#   . "$(dirname "$0")/../lib/tier.sh"
# It gives them what they all begin with:
#   BUILD         the build directory: the runner's $1, default build
#   HERE          the runner's own directory
#   result.sh and target.sh, sourced
#   tier_workdir  makes WORK, a temporary directory
#   tier_on_exit  adds a function to run on exit
#   tier_check    one counted result from a command, its output shown on
#                 failure
#   tier_count_cases, tier_stop_san  count what a case runner printed and
#                 how the sanitizer build ended
# and an EXIT trap that runs those functions, stops every target still
# running (target_stop_all) and removes WORK. INT and TERM exit through it
# too, so an interrupted run leaves no daemon behind.
set -u
# shellcheck disable=SC2034 # the runner's, not this file's
BUILD=${1:-build} HERE=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "${BASH_SOURCE[0]}")/result.sh"
. "$(dirname "${BASH_SOURCE[0]}")/target.sh"

WORK=
_TIER_ON_EXIT=()

tier_on_exit() {	# tier_on_exit FUNCTION
	_TIER_ON_EXIT+=("$1")
}

_tier_exit() {
	local cmd
	for cmd in "${_TIER_ON_EXIT[@]}"; do
		"$cmd"
	done
	target_stop_all
	[[ -n $WORK ]] && rm -rf "$WORK"
}
trap _tier_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# tier_workdir NAME: WORK=${TMPDIR:-/tmp}/tandem-NAME.XXXXXX, or the run
# ends: with the failure counted when a tier result is being kept
# (result_init was called), with a message either way.
tier_workdir() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/tandem-$1.XXXXXX") && return 0
	WORK=
	echo "$1: cannot create a temporary directory in ${TMPDIR:-/tmp}" >&2
	if [[ -n ${RESULT_TIER:-} ]]; then
		result_fail "cannot create a temporary directory"
		result_write
	fi
	exit 1
}

# tier_check NAME COMMAND...: NAME passes when COMMAND succeeds; otherwise
# it fails and the first 40 lines COMMAND printed are shown.
tier_check() {
	local name=$1
	shift
	if "$@" >"$WORK/check.out" 2>&1; then
		result_pass "$name"
	else
		result_fail "$name"
		sed -n '1,40p' "$WORK/check.out" | sed 's/^/    /' >&2
	fi
}

# tier_count_cases OUTPUT: one result for each "PASS name" and each
# "FAIL name (why)" line of a case runner's output.
tier_count_cases() {
	local line
	while IFS= read -r line; do
		case $line in
		"PASS "*) result_pass "${line#PASS }" ;;
		"FAIL "*) result_fail "${line#FAIL }" ;;
		esac
	done <<<"$1"
}

# tier_stop_san NAME: stops the target started last; NAME passes when it
# exits 0 with no sanitizer report in its log.
tier_stop_san() {
	local log=$TARGET_LOG
	if target_stop && target_sanitizer_check "$log"; then
		result_pass "$1"
	else
		result_fail "$1" "rc=${TARGET_RC:-?}; $(tail -n 5 "$log" | tr '\n' ' ')"
	fi
}
