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

port=$(target_free_port) || { result_fail "a free port"; result_write; exit 1; }
if ! python3 "$HERE/protocol.py" config "$work/config.json" "$port"; then
	result_fail "protocol.py writes the config"
	result_write
	exit 1
fi
if tandemd_start "$BUILD/tandemd-san" "$work/config.json" "$work/sock" \
	"$work/tandemd-san.log" "$port" iqn.2026-11.org.tandem.protocol:main; then
	out=$(timeout 150 python3 "$HERE/protocol.py" run 127.0.0.1 "$port" 2>&1)
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
		result_fail "protocol.py runs to the end" "rc=$rc: $(tail -n 5 <<<"$out" | tr '\n' ' ')"
	log=$TARGET_LOG
	if target_stop && target_sanitizer_check "$log"; then
		result_pass "tandemd-san exits 0 on SIGTERM with no sanitizer report"
	else
		result_fail "tandemd-san exits 0 on SIGTERM with no sanitizer report" \
			"rc=${TARGET_RC:-?}; $(tail -n 5 "$log" | tr '\n' ' ')"
	fi
else
	result_fail "tandemd-san starts with the protocol config" \
		"$(tail -n 5 "$work/tandemd-san.log" 2>/dev/null | tr '\n' ' ')"
fi
# Task management across I_T nexuses (cross_nexus.py): two workers, so the
# two sessions of a case run on different threads.
xport=$(target_free_port) || { result_fail "a free port for cross_nexus.py"; xport=; }
if [[ -n $xport ]]; then
	truncate -s 8M "$work/xfile.img"
	python3 "$HERE/cross_nexus.py" config "$work/cross.json" "$xport" "$work/xfile.img"
	if tandemd_start "$BUILD/tandemd-san" "$work/cross.json" "$work/xsock" \
		"$work/cross-san.log" "$xport" iqn.2026-11.org.tandem.protocol:cross -w 2; then
		out=$(timeout 150 python3 "$HERE/cross_nexus.py" run 127.0.0.1 "$xport" 2>&1)
		rc=$?
		echo "$out"
		while IFS= read -r line; do
			case $line in
			"PASS "*) result_pass "${line#PASS }" ;;
			"FAIL "*) result_fail "${line#FAIL }" ;;
			esac
		done <<<"$out"
		grep -q '^DONE ' <<<"$out" ||
			result_fail "cross_nexus.py runs to the end" "rc=$rc: $(tail -n 5 <<<"$out" | tr '\n' ' ')"
		log=$TARGET_LOG
		if target_stop && target_sanitizer_check "$log"; then
			result_pass "tandemd-san -w 2 exits 0 after cross_nexus.py with no sanitizer report"
		else
			result_fail "tandemd-san -w 2 exits 0 after cross_nexus.py with no sanitizer report" \
				"rc=${TARGET_RC:-?}; $(tail -n 5 "$log" | tr '\n' ' ')"
		fi
	else
		result_fail "tandemd-san starts with the cross_nexus config" \
			"$(tail -n 5 "$work/cross-san.log" 2>/dev/null | tr '\n' ' ')"
	fi
fi
echo "protocol tier: $((SECONDS - t0)) s"
result_write
