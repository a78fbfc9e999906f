# shellcheck shell=bash
# Shared by the tandemctl bats suites: a private tandemd on 127.0.0.1 with
# its own control socket and work directory, started and stopped by PID.
# CTL_BUILD (absolute build dir) comes from tests/ctl/run.sh.

CTL_REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CTL_BUILD=${CTL_BUILD:?CTL_BUILD: the absolute build directory}
# The binaries under test: tests/ctl/run.sh runs the suites with the
# plain builds and again with the sanitizer builds.
CTL_TANDEMD=${CTL_TANDEMD:-$CTL_BUILD/tandemd}
CTL_TANDEMCTL=${CTL_TANDEMCTL:-$CTL_BUILD/tandemctl}
# shellcheck source=tests/lib/target.sh
source "$CTL_REPO/tests/lib/target.sh"

# The suites use these.
IQN=iqn.2026-11.org.tandem.test:ctl
INI1=iqn.1994-05.com.redhat:ctl-client1
export INI2=iqn.1994-05.com.redhat:ctl-client2

ctl_setup() {
	WORK=$(mktemp -d /tmp/tandemctl-test.XXXXXX)
	SOCK=$WORK/ctl.sock
	CFG=$WORK/saveconfig.json
	PORT=$(target_free_port)
	DPID=''
	LOOPDEV=''
	printf '{"storage_objects": [], "targets": []}\n' >"$CFG"
}

# Fails the test when tandemd did not stop cleanly (exit 0 on SIGTERM) or
# its log has a sanitizer report.
ctl_teardown() {
	local rc=0
	if ! daemon_stop; then
		echo "tandemd did not exit 0 on SIGTERM" >&3
		rc=1
	fi
	if [[ -n ${WORK:-} && -f $WORK/tandemd.log ]] &&
		! target_sanitizer_check "$WORK/tandemd.log" 2>&3; then
		rc=1
	fi
	if [[ -n $LOOPDEV ]]; then
		losetup -d "$LOOPDEV" || rc=1
	fi
	if [[ -n ${WORK:-} && -d $WORK ]]; then
		if [[ ${BATS_TEST_COMPLETED:-} != 1 || $rc != 0 ]] && [[ -f $WORK/tandemd.log ]]; then
			echo "---- tandemd log ----" >&3
			tail -n 30 "$WORK/tandemd.log" >&3
		fi
		rm -rf "$WORK"
	fi
	return "$rc"
}

# A sanitizer report makes tandemctl-san exit non-zero (halt_on_error).
tctl() {
	ASAN_OPTIONS=$TARGET_ASAN_OPTIONS UBSAN_OPTIONS=$TARGET_UBSAN_OPTIONS \
		"$CTL_TANDEMCTL" -s "$SOCK" "$@"
}

# daemon_start [CONFIG]: tandemd in the foreground on $SOCK; returns once
# the control socket answers (at most 30 s).
daemon_start() {
	local cfg=${1:-$CFG} i
	if [[ $CTL_TANDEMD == *-san ]]; then
		ASAN_OPTIONS=$TARGET_ASAN_OPTIONS UBSAN_OPTIONS=$TARGET_UBSAN_OPTIONS \
			"$CTL_TANDEMD" -f -c "$cfg" -s "$SOCK" >>"$WORK/tandemd.log" 2>&1 </dev/null 3>&- &
	else
		"$CTL_TANDEMD" -f -c "$cfg" -s "$SOCK" >>"$WORK/tandemd.log" 2>&1 </dev/null 3>&- &
	fi
	DPID=$!
	for ((i = 0; i < 150; i++)); do
		if ! kill -0 "$DPID" 2>/dev/null; then
			wait "$DPID"
			echo "tandemd exited with status $? before answering on $SOCK" >&2
			DPID=''
			return 1
		fi
		tctl ls >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "tandemd (pid $DPID) does not answer on $SOCK after 30 s" >&2
	return 1
}

# SIGTERM, and the exit status must be 0 (an orderly shutdown).
daemon_stop() {
	local rc=0 i
	[[ -n $DPID ]] || return 0
	kill -TERM "$DPID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID"
		rc=1
	fi
	wait "$DPID" || rc=$?
	rm -f /dev/shm/qb-*-"$DPID"-blackbox-*
	DPID=''
	return "$rc"
}

# Waits (10 s at most) until something listens on 127.0.0.1:$1.
wait_port() {
	local i
	for ((i = 0; i < 50; i++)); do
		timeout 2 bash -c ": >/dev/tcp/127.0.0.1/$1" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "nothing listens on 127.0.0.1:$1" >&2
	return 1
}

# A target built with tandemctl alone: a fileio LU (64 MiB) and a ramdisk
# as LUNs 0 and 1, ACL for INI1, portal 127.0.0.1:$PORT.
build_target() {
	tctl /backstores/fileio create disk0 "$WORK/disk0.img" 64M &&
		tctl /backstores/ramdisk create name=rd0 size=16M &&
		tctl /iscsi create "$IQN" &&
		tctl "/iscsi/$IQN/tpg1/luns" create /backstores/fileio/disk0 &&
		tctl "/iscsi/$IQN/tpg1/luns" create /backstores/ramdisk/rd0 &&
		tctl "/iscsi/$IQN/tpg1/acls" create "$INI1" &&
		tctl "/iscsi/$IQN/tpg1/portals" create 127.0.0.1 "$PORT" &&
		wait_port "$PORT"
}

# libiscsi's view of LUN $2 as initiator $1 (URL may carry CHAP: $3).
readcap() {
	timeout 20 iscsi-readcapacity16 -i "$1" "iscsi://${3:+$3@}127.0.0.1:${4:-$PORT}/$IQN/$2"
}

# probe_start MODE ARGS...: tests/ctl/session_probe.py in the background,
# holding its session until probe_finish; returns once it is logged in.
probe_start() {
	local i
	rm -f "$WORK/ready" "$WORK/go"
	python3 "$BATS_TEST_DIRNAME/session_probe.py" "$@" "$WORK/ready" "$WORK/go" \
		>"$WORK/probe.out" 2>"$WORK/probe.err" 3>&- &
	PROBE=$!
	for ((i = 0; i < 100; i++)); do
		[[ -e $WORK/ready ]] && return 0
		kill -0 "$PROBE" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/probe.err" >&2
	return 1
}

# Lets the probe go on, waits for it; its report is in $WORK/probe.out.
probe_finish() {
	local rc=0
	touch "$WORK/go"
	wait "$PROBE" || rc=$?
	cat "$WORK/probe.err" >&2
	return "$rc"
}
