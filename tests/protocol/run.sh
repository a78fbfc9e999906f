#!/usr/bin/env bash
# Protocol tier: digests, MC/S, session reinstatement, CHAP, discovery, task
# management and NOP-In, each checked against the target's exact answer by a
# raw-socket client (protocol.py over iscsi_client.py), plus libiscsi where
# an independent initiator adds something (CHAP, header digests). Every case
# runs against the ASan+UBSan build, which must then exit 0 on SIGTERM with
# nothing in its log from a sanitizer. Only 127.0.0.1 is used.
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/result.sh"
. "$HERE/../lib/target.sh"
result_init protocol

work=$(mktemp -d)
trap 'target_stop_all; rm -rf "$work"' EXIT
t0=$SECONDS

# run_script NAME SCRIPT CONFIG-ARGS... -- TANDEMD-ARGS...: SCRIPT writes
# the config, tandemd-san serves it, SCRIPT runs its cases against it (PASS
# and FAIL lines, DONE at the end), and tandemd-san must then exit 0 on
# SIGTERM with nothing from a sanitizer.
run_script() {
	local name=$1 script=$2 port out rc log cargs=() targs=()
	shift 2
	while [[ $# -gt 0 && $1 != -- ]]; do cargs+=("$1"); shift; done
	[[ $# -gt 0 ]] && shift
	targs=("$@")
	port=$(target_free_port) || { result_fail "a free port for $script"; return; }
	if ! python3 "$HERE/$script" config "$work/$name.json" "$port" "${cargs[@]}"; then
		result_fail "$script writes the config"
		return
	fi
	if ! tandemd_start "$BUILD/tandemd-san" "$work/$name.json" "$work/$name.sock" \
		"$work/$name-san.log" "$port" "iqn.2026-11.org.tandem.protocol:$name" "${targs[@]}"; then
		result_fail "tandemd-san starts with the $script config" \
			"$(tail -n 5 "$work/$name-san.log" 2>/dev/null | tr '\n' ' ')"
		return
	fi
	out=$(timeout 150 python3 "$HERE/$script" run 127.0.0.1 "$port" 2>&1)
	rc=$?
	echo "$out"
	while IFS= read -r line; do
		case $line in
		"PASS "*) result_pass "${line#PASS }" ;;
		"FAIL "*) result_fail "${line#FAIL }" ;;
		esac
	done <<<"$out"
	# A crash or the timeout would silently drop the cases not yet run.
	grep -q '^DONE ' <<<"$out" ||
		result_fail "$script runs to the end" "rc=$rc: $(tail -n 5 <<<"$out" | tr '\n' ' ')"
	log=$TARGET_LOG
	if target_stop && target_sanitizer_check "$log"; then
		result_pass "tandemd-san ${targs[*]:+${targs[*]} }exits 0 after $script with no sanitizer report"
	else
		result_fail "tandemd-san ${targs[*]:+${targs[*]} }exits 0 after $script with no sanitizer report" \
			"rc=${TARGET_RC:-?}; $(tail -n 5 "$log" | tr '\n' ' ')"
	fi
}

run_script main protocol.py
# Task management across I_T nexuses: two workers, so the two sessions of
# a case run on different threads.
truncate -s 8M "$work/xfile.img"
run_script cross cross_nexus.py "$work/xfile.img" -- -w 2
echo "protocol tier: $((SECONDS - t0)) s"
result_write
