#!/usr/bin/env bash
# Runs every cmocka unit test, plain and under ASan+UBSan, and counts the
# tests each reports.
set -u
BUILD=${1:-build}
. "$(dirname "$0")/../lib/result.sh"
result_init unit
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for bin in "$BUILD"/unit/test_* "$BUILD"/unit-san/test_*; do
	[[ -x $bin ]] || continue
	out=$("$bin" 2>&1)
	rc=$?
	p=$(grep -oE '\[  PASSED  \] [0-9]+' <<<"$out" | awk '{s+=$4} END {print s+0}')
	f=$(grep -oE '\[  FAILED  \] [0-9]+' <<<"$out" | awk '{s+=$4} END {print s+0}')
	if [[ $rc -ne 0 && $f -eq 0 ]] || grep -qE 'Sanitizer|runtime error' <<<"$out"; then
		f=$((f + 1))	# crashed or a sanitizer spoke: count the binary
	fi
	echo "$bin: $p passed, $f failed"
	[[ $f -eq 0 ]] || echo "$out" | grep -vE '^\[ (RUN|      OK) ' | tail -n 40
	result_add "$p" "$f"
done
result_write
