#!/usr/bin/env bash
# Sums the per-tier result files (each "passed N failed M") into the one
# closing line `make check` promises, and fails if anything failed or a tier
# that should have reported did not.
set -u
dir=${1:?results dir}
passed=0 failed=0
for tier in unit fuzz conformance interop robustness protocol pr verifier ctl agents policy lab failover; do
	f="$dir/$tier"
	if [[ ! -s $f ]]; then
		echo "tier $tier: no result (it did not run to the end)"
		failed=$((failed + 1))
		continue
	fi
	read -r _ p _ fl <"$f"
	echo "tier $tier: $p passed, $fl failed"
	passed=$((passed + p))
	failed=$((failed + fl))
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
