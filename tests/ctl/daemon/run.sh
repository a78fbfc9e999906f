#!/usr/bin/env bash
# tandemd's side of the control socket: ping, get_config, status and live
# apply_config against a real tandemd on 127.0.0.1 (live.py, with the raw
# iSCSI client of tests/protocol/), and who may connect.
#
#   tests/ctl/daemon/run.sh BUILD      prints "passed N failed M" last
#
# Called by the ctl tier (tests/ctl/run.sh), which adds the counts. Runs
# with $BUILD/tandemd, then with $BUILD/tandemd-san, whose log must hold no
# sanitizer report and which must exit cleanly (leaks included), then with
# $BUILD/tandemd under valgrind (no error, nothing lost) when valgrind is
# installed; CTL_DAEMON_VARIANTS picks some of "plain sanitizer valgrind".
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
. "$TOP/tests/lib/target.sh"

IQN=iqn.2026-11.org.tandem:ctl
VARIANTS=${CTL_DAEMON_VARIANTS:-plain sanitizer valgrind}
# live.py imports tests/protocol/iscsi_client.py: no caches in the tree.
export PYTHONDONTWRITEBYTECODE=1
CTLCALL=$BUILD/ctl-daemon/ctlcall
PASSED=0 FAILED=0 WORK=

drop_work() {
	[[ -n $WORK ]] && rm -rf "$WORK"
	WORK=
}
cleanup() {
	target_stop_all
	drop_work
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pass() { PASSED=$((PASSED + 1)); echo "PASS ctl-daemon: $VARIANT: $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL ctl-daemon: $VARIANT: $1${2:+ ($2)}"; }

# The test client: the project's control-socket client and a main.
build_ctlcall() {
	mkdir -p "$(dirname "$CTLCALL")"
	${CC:-gcc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -I"$TOP/target" \
		-o "$CTLCALL" "$HERE/ctlcall.c" "$TOP/target/ctl/client.c" -lqb -ljansson
}

# An unprivileged uid must be refused, and the refusal logged with the uid.
check_credentials() {
	local sock=$1 log=$2 out rc
	if ! command -v setpriv >/dev/null || ((EUID != 0)); then
		fail "credentials" "needs root and setpriv (util-linux) to run a client as another uid"
		return
	fi
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CTLCALL" "$sock" '{"op":"ping"}' 2>&1)
	rc=$?
	if ((rc == 2)) && [[ $out == *"permission denied"* || $out == *"Permission denied"* || $out == *"EACCES"* ]] &&
		grep -q "refused uid 65534" "$log"; then
		pass "a client with uid 65534 is refused (EACCES) and logged"
	else
		fail "a client with uid 65534 is refused (EACCES) and logged" "rc $rc: $out"
	fi
}

# valgrind runs tandemd itself (exec keeps the PID target.sh waits on).
valgrind_wrapper() {
	local out=$1 real=$2
	cat >"$out" <<-EOW
	#!/bin/sh
	exec valgrind --quiet --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
		"$real" "\$@"
	EOW
	chmod 755 "$out"
}

# A second tandemd given the same socket must refuse to start, saying why,
# and leave the first one serving.
check_socket_taken() {
	local bin=$1 sock=$2 port rc
	port=$(target_free_port) || { fail "free port"; return; }
	mkdir -p "$WORK/second"
	python3 "$HERE/live.py" config "$WORK/second/saveconfig.json" "$port" "$IQN-2" "$WORK/second"
	timeout 60 "$bin" -f -c "$WORK/second/saveconfig.json" -s "$sock" >"$WORK/second/log" 2>&1 </dev/null
	rc=$?
	if ((rc == 1)) && grep -q "is another tandemd serving it?" "$WORK/second/log" &&
		"$CTLCALL" "$sock" '{"op":"ping"}' >/dev/null; then
		pass "a second tandemd on the same socket exits 1 saying why; the first still answers"
	else
		fail "a second tandemd on the same socket exits 1 saying why; the first still answers" \
			"rc $rc: $(tail -n 3 "$WORK/second/log" | tr '\n' ' ')"
	fi
}

run_variant() {
	local bin=$1 port port2 sock log line
	drop_work
	WORK=$(mktemp -d /tmp/tandem-ctl-daemon.XXXXXX)
	chmod 755 "$WORK"
	if [[ $VARIANT == valgrind ]]; then
		valgrind_wrapper "$WORK/tandemd-valgrind" "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
		bin=$WORK/tandemd-valgrind
	fi
	port=$(target_free_port) || { fail "free port"; return; }
	port2=$(target_free_port) || { fail "free port"; return; }
	while [[ $port2 == "$port" ]]; do port2=$(target_free_port); done
	sock=$WORK/tandemd.sock
	log=$WORK/tandemd.log
	local ramdisk=0
	[[ $VARIANT == valgrind ]] && ramdisk=1
	export CTL_LIVE_RAMDISK=$ramdisk
	python3 "$HERE/live.py" config "$WORK/saveconfig.json" "$port" "$IQN" "$WORK"
	if ! tandemd_start "$bin" "$WORK/saveconfig.json" "$sock" "$log" "$port" "$IQN" -w 2; then
		fail "tandemd starts"
		return
	fi
	check_credentials "$sock" "$log"
	check_socket_taken "$bin" "$sock"
	while IFS= read -r line; do
		case $line in
		PASS\ *) pass "${line#PASS }" ;;
		FAIL\ *) fail "${line#FAIL }" ;;
		*) echo "    $line" ;;
		esac
	done < <(timeout 300 python3 "$HERE/live.py" run "$CTLCALL" "$sock" "$port" "$port2" \
		"$IQN" "$WORK" "$TARGET_PID" "$log" 2>&1)
	if target_stop; then
		pass "tandemd stops cleanly after the changes (exit 0)"
	else
		fail "tandemd stops cleanly after the changes" "exit $TARGET_RC"
		target_log_tail 40
	fi
	if [[ $VARIANT == sanitizer ]]; then
		if grep -Eq "$TARGET_SAN_PATTERN" "$log"; then
			fail "no sanitizer report"
			grep -E -A20 "$TARGET_SAN_PATTERN" "$log" | head -60 | sed 's/^/    /'
		else
			pass "no sanitizer report (ASan, UBSan, leaks)"
		fi
	fi
	drop_work
}

if ! build_ctlcall; then
	VARIANT=build
	fail "ctlcall builds"
else
	for VARIANT in $VARIANTS; do
		case $VARIANT in
		plain) run_variant "$BUILD/tandemd" ;;
		sanitizer) run_variant "$BUILD/tandemd-san" ;;
		valgrind)
			if command -v valgrind >/dev/null; then
				run_variant "$BUILD/tandemd"
			else
				fail "valgrind" "not installed (make deps installs it)"
			fi
			;;
		*) VARIANT=unknown; fail "variant" "$VARIANT" ;;
		esac
	done
fi
echo "passed $PASSED failed $FAILED"
[[ $FAILED -eq 0 ]]
