#!/usr/bin/env bash
# Robustness tier: hostile input against the ASan+UBSan build (hostile.py,
# one counted test per case), and a valgrind run of the plain build that
# serves real I/O and must exit clean on SIGTERM. Only 127.0.0.1 is used.
. "$(dirname "$0")/../lib/tier.sh"
result_init robustness
tier_workdir robustness
IQN=iqn.2026-11.org.tandem:robustness

start() {	# start BIN
	local port
	port=$(target_free_port) || return 1
	tandem_config_write "$WORK/config.json" "$port" "$IQN" \
		"ramdisk:ram0:16777216:$(target_uuid)" || return 1
	tandemd_start "$1" "$WORK/config.json" "$WORK/sock" "$WORK/$(basename "$1").log" \
		"$port" "$IQN"
}

# 1. Hostile input, sanitizer build.
if start "$BUILD/tandemd-san"; then
	out=$(timeout 300 python3 "$HERE/hostile.py" 127.0.0.1 "$TARGET_PORT" "$IQN" 0 2>&1)
	echo "$out"
	tier_count_cases "$out"
	grep -q '^PASS\|^FAIL' <<<"$out" || result_fail "hostile.py" "ran no case: $out"
	tier_stop_san "tandemd-san exits 0 on SIGTERM with no sanitizer report"
else
	result_fail "tandemd-san starts" "$(target_log_tail 2>/dev/null)"
fi

# 2. valgrind: real I/O, then a clean exit with nothing leaked.
if command -v valgrind >/dev/null; then
	port=$(target_free_port)
	tandem_config_write "$WORK/vg.json" "$port" "$IQN" \
		"ramdisk:ram0:16777216:$(target_uuid)"
	vglog=$WORK/valgrind.log
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--log-file="$vglog" "$BUILD/tandemd" -f -c "$WORK/vg.json" \
		>"$WORK/vg-daemon.log" 2>&1 &
	vgpid=$!
	for _ in $(seq 1 120); do
		[[ -n $(ss -Htln "sport = :$port" 2>/dev/null) ]] && break
		sleep 0.5
	done
	url="iscsi://127.0.0.1:$port/$IQN/0"
	ok=1
	timeout 120 iscsi-inq "$url" >/dev/null 2>&1 || ok=0
	timeout 120 qemu-io -f raw -c 'write -P 0x5a 0 1M' -c 'read -P 0x5a 0 1M' "$url" \
		>"$WORK/qemu-io.log" 2>&1 || ok=0
	grep -q 'Pattern verification failed' "$WORK/qemu-io.log" && ok=0
	kill -TERM "$vgpid"
	wait "$vgpid"
	rc=$?
	if ((ok)) && [[ $rc -eq 0 ]] && ! grep -qE 'definitely lost: [1-9]|ERROR SUMMARY: [1-9]' "$vglog"; then
		result_pass "valgrind: I/O served, exit 0, no errors or leaks"
	else
		result_fail "valgrind: I/O served, exit 0, no errors or leaks" \
			"io=$ok rc=$rc; $(head -n 30 "$vglog" | tr '\n' ' ')"
	fi
else
	result_fail "valgrind" "valgrind is not installed (make deps)"
fi
result_write
