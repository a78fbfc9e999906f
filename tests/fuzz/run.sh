#!/usr/bin/env bash
# The fuzz tier: builds each libFuzzer target with clang (ASan+UBSan), runs
# the committed corpus as regression inputs, then fuzzes each target for a
# bounded time. A crash, leak, hang or sanitizer report fails the target.
set -u
BUILD=${1:-build}
SECONDS_EACH=${FUZZ_SECONDS:-45}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib/result.sh"
result_init fuzz

out="$BUILD/fuzz"
mkdir -p "$out"
cflags=(-g -O1 -std=c11 -D_GNU_SOURCE -pthread -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=all -I"$top/target")
libs=(-lqb -ljansson -luring -lcrypto -pthread)
engine=()
while IFS= read -r f; do engine+=("$f"); done < <(
	cd "$top" && ls target/common/*.c target/backstore/*.c target/scsi/*.c \
		target/iscsi/*.c | sed "s|^|$top/|")

declare -A sources=(
	[fuzz_text]="$top/target/iscsi/text.c $top/target/iscsi/params.c $top/target/common/crc32c.c $top/target/common/errf.c"
	[fuzz_conn]="${engine[*]}"
)

for name in fuzz_text fuzz_conn; do
	bin="$out/$name"
	# shellcheck disable=SC2086
	if ! clang "${cflags[@]}" "$here/$name.c" ${sources[$name]} -o "$bin" "${libs[@]}" \
		>"$out/$name.build.log" 2>&1; then
		result_fail "$name" "does not build: $(tail -n 5 "$out/$name.build.log")"
		continue
	fi
	corpus="$here/corpus/$name"
	work=$(mktemp -d)
	[[ -d $corpus ]] && cp -r "$corpus/." "$work/"
	log="$out/$name.log"
	if timeout $((SECONDS_EACH + 120)) "$bin" -max_total_time="$SECONDS_EACH" \
		-timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$out/$name-" "$work" >"$log" 2>&1; then
		result_pass "$name ($(grep -oE 'Done [0-9]+ runs' "$log" | tail -n 1))"
	else
		result_fail "$name" "see $log"
		grep -E 'ERROR|SUMMARY|runtime error|artifact' "$log" | head -n 10
	fi
	rm -rf "$work"
done
result_write
