# shellcheck shell=bash
# Loaded by the agents' bats files. Each test file gets its own directory,
# control socket and tandemd; everything started is stopped by PID in
# teardown_file, and the libqb files of a daemon a test killed are removed.

AGENTS_BUILD=${AGENTS_BUILD:?run through tests/agents/run.sh}
AGENT_DIR=$AGENTS_BUILD/ocf
TANDEMD=$AGENTS_BUILD/tandemd
RA_DTD=/usr/share/resource-agents/ra-api-1.dtd
RA_RNG=/usr/share/resource-agents/metadata.rng
PY=/usr/bin/python3

# Per file: a private run directory and socket (exported for the agents).
agents_setup_file() {
	T=$(mktemp -d /tmp/tandem-agents.XXXXXX)
	export T
	export TANDEM_SOCKET=$T/run/tandemd.sock TANDEMD_BIN=$TANDEMD TANDEM_RUN_DIR=$T/run
	export OCF_ROOT=/usr/lib/ocf HA_LOGFACILITY=none
	mkdir -p "$T/run"
}

# The PID of the tandemd serving $TANDEM_SOCKET, if any (found by its
# unique socket path, killed only by PID).
daemon_pid() {
	local p
	for p in /proc/[0-9]*; do
		[[ -r $p/cmdline ]] || continue
		if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "-s $TANDEM_SOCKET \?$"; then
			[[ $(awk '/^State:/ {print $2}' "$p/status" 2>/dev/null) == Z ]] && continue
			echo "${p#/proc/}"
			return 0
		fi
	done
	return 1
}

# Files libqb leaves in /dev/shm when the server dies without cleaning up.
qb_cleanup() {
	local svc=${TANDEM_SOCKET//\//_} pid=${1:-}
	rm -f /dev/shm/qb-*"$svc"* 2>/dev/null
	[[ -n $pid ]] && rm -f /dev/shm/qb-tandemd-"$pid"-* 2>/dev/null
	return 0
}

kill_daemon() {	# kill_daemon SIGNAL: by PID, waiting until it is gone
	local pid i
	pid=$(daemon_pid) || return 0
	kill -"$1" "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		daemon_pid >/dev/null || break
		sleep 0.1
	done
	qb_cleanup "$pid"
}

agents_teardown_file() {
	local pid
	pid=$(daemon_pid) && kill -CONT "$pid" 2>/dev/null
	kill_daemon TERM
	kill_daemon KILL
	qb_cleanup
	# A file's own resources (loop devices...), released after the daemon.
	declare -F agents_cleanup_hook >/dev/null && agents_cleanup_hook
	[[ -n ${T:-} && -d $T ]] && rm -rf "$T"
}

# ra NAME ACTION [PARAM=VALUE...]: runs an agent with only the given
# OCF_RESKEY_ parameters (and the exported environment), as bats' run;
# inside the network namespace $RA_NETNS when set.
ra() {
	local name=$1 action=$2 kv
	shift 2
	local envs=()
	for kv in "$@"; do
		case $kv in
		OCF_*=* | HA_* | TANDEM*=* | PATH=*) envs+=("$kv") ;;
		*) envs+=("OCF_RESKEY_$kv") ;;
		esac
	done
	local wrap=()
	[[ -n ${RA_NETNS:-} ]] && wrap=(ip netns exec "$RA_NETNS")
	run "${wrap[@]}" env OCF_RESOURCE_INSTANCE="${RA_INSTANCE:-$name-test}" "${envs[@]}" \
		"$AGENT_DIR/$name" "$action"
}

# The reason Pacemaker would show for the last run.
reason() {
	grep '^ocf-exit-reason:' <<<"$output" | tail -n 1
}

assert_rc() {	# assert_rc EXPECTED: with the output when it differs
	if [[ $status -ne $1 ]]; then
		echo "expected exit $1, got $status; output:" >&2
		echo "$output" >&2
		return 1
	fi
}

assert_reason() {	# assert_reason REGEX
	local r
	r=$(reason)
	if ! grep -Eq -- "$1" <<<"$r"; then
		echo "reason '$r' does not match '$1'; output:" >&2
		echo "$output" >&2
		return 1
	fi
}

free_port() {
	local port
	for _ in $(seq 200); do
		port=$((20000 + RANDOM % 12000))
		[[ -z $(ss -Htln "sport = :$port" 2>/dev/null) ]] && { echo "$port"; return 0; }
	done
	return 1
}

# crm_force_cycle AGENT RESOURCE [NETNS]: the CIB (CIB_file) holds RESOURCE;
# crm_resource --force-check, --force-start, --force-check, --force-stop,
# --force-check, as Pacemaker calls the agent, must give 7 0 0 0 7. The
# built agent is mounted where crm_resource looks, in a private mount
# namespace (inside NETNS when given).
crm_force_cycle() {
	local agent=$1 id=$2 ns=${3:-}
	local -a in_ns=()
	[[ -n $ns ]] && in_ns=(ip netns exec "$ns")
	mkdir -p "$T/ra/tandem"
	cp "$AGENT_DIR/$agent" "$T/ra/tandem/"
	run "${in_ns[@]}" unshare -m --propagation private sh -c "
		mount -t overlay overlay -o lowerdir=$T/ra:/usr/lib/ocf/resource.d /usr/lib/ocf/resource.d || exit 99
		crm_resource --force-check -r $id; echo check0=\$?
		crm_resource --force-start -r $id; echo start=\$?
		crm_resource --force-check -r $id; echo check1=\$?
		crm_resource --force-stop -r $id; echo stop=\$?
		crm_resource --force-check -r $id; echo check2=\$?"
	echo "$output"
	grep -q '^check0=7$' <<<"$output"
	grep -q '^start=0$' <<<"$output"
	grep -q '^check1=0$' <<<"$output"
	grep -q '^stop=0$' <<<"$output"
	grep -q '^check2=7$' <<<"$output"
}
