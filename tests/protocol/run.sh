#!/usr/bin/env bash
# Protocol tier: digests, MC/S, session reinstatement, CHAP, discovery, task
# management and NOP-In, each checked against the target's exact answer by a
# raw-socket client (protocol.py over iscsi_client.py), plus libiscsi where
# an independent initiator adds something (CHAP, header digests). Every case
# runs against the ASan+UBSan build, which must then exit 0 on SIGTERM with
# nothing in its log from a sanitizer. Only 127.0.0.1 is used.
. "$(dirname "$0")/../lib/tier.sh"
result_init protocol
tier_workdir protocol
t0=$SECONDS

# run_script NAME SCRIPT CONFIG-ARGS... -- TANDEMD-ARGS...: SCRIPT writes
# the config, tandemd-san serves it, SCRIPT runs its cases against it (PASS
# and FAIL lines, DONE at the end), and tandemd-san must then exit 0 on
# SIGTERM with nothing from a sanitizer.
run_script() {
	local name=$1 script=$2 port out rc cargs=() targs=()
	shift 2
	while [[ $# -gt 0 && $1 != -- ]]; do cargs+=("$1"); shift; done
	[[ $# -gt 0 ]] && shift
	targs=("$@")
	port=$(target_free_port) || { result_fail "a free port for $script"; return; }
	if ! python3 "$HERE/$script" config "$WORK/$name.json" "$port" "${cargs[@]}"; then
		result_fail "$script writes the config"
		return
	fi
	if ! tandemd_start "$BUILD/tandemd-san" "$WORK/$name.json" "$WORK/$name.sock" \
		"$WORK/$name-san.log" "$port" "iqn.2026-11.org.tandem.protocol:$name" "${targs[@]}"; then
		result_fail "tandemd-san starts with the $script config" \
			"$(tail -n 5 "$WORK/$name-san.log" 2>/dev/null | tr '\n' ' ')"
		return
	fi
	out=$(timeout 150 python3 "$HERE/$script" run 127.0.0.1 "$port" 2>&1)
	rc=$?
	echo "$out"
	tier_count_cases "$out"
	# A crash or the timeout would silently drop the cases not yet run.
	grep -q '^DONE ' <<<"$out" ||
		result_fail "$script runs to the end" "rc=$rc: $(tail -n 5 <<<"$out" | tr '\n' ' ')"
	tier_stop_san "tandemd-san ${targs[*]:+${targs[*]} }exits 0 after $script with no sanitizer report"
}

run_script main protocol.py
# Task management across I_T nexuses: two workers, so the two sessions of
# a case run on different threads.
truncate -s 8M "$WORK/xfile.img"
run_script cross cross_nexus.py "$WORK/xfile.img" -- -w 2
echo "protocol tier: $((SECONDS - t0)) s"
result_write
