# Sourced by tier runners: count results and write build/results/TIER.
# Usage: result_init TIER; result_pass NAME; result_fail NAME WHY; result_write
result_init() {
	RESULT_TIER=$1
	RESULT_PASSED=0
	RESULT_FAILED=0
	RESULT_DIR=${BUILD:-build}/results
	mkdir -p "$RESULT_DIR"
}
result_pass() {
	RESULT_PASSED=$((RESULT_PASSED + 1))
	echo "PASS $RESULT_TIER: $1"
}
result_fail() {
	RESULT_FAILED=$((RESULT_FAILED + 1))
	echo "FAIL $RESULT_TIER: $1${2:+ ($2)}"
}
result_add() {	# add counts from a sub-runner: result_add PASSED FAILED
	RESULT_PASSED=$((RESULT_PASSED + $1))
	RESULT_FAILED=$((RESULT_FAILED + $2))
}
result_write() {
	echo "passed $RESULT_PASSED failed $RESULT_FAILED" >"$RESULT_DIR/$RESULT_TIER"
	echo "$RESULT_TIER: $RESULT_PASSED passed, $RESULT_FAILED failed"
	[[ $RESULT_FAILED -eq 0 ]]
}
