# shellcheck shell=bash
# The failover suite's helpers (sourced by tests/failover/run.sh and the
# scenario files). They drive the User-Mode Linux lab (tests/lab/lib.sh):
# the cluster's state, tandem-verify on the clients, DRBD role sampling on
# the nodes, and the timeline read back from Pacemaker's log. docs/failover.md.
FO_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$FO_HERE/../lab/lib.sh"
LAB=$LAB_HERE/lab
FO_VERIFY=${FO_VERIFY:-/usr/bin/tandem-verify}

fo_info() {
	. "$LAB_FILES/info"
	FO_DEV=/dev/disk/by-id/wwn-0x$LAB_NAA
}

fo_log() { lab_say "$FO_SCENARIO: $*"; }

# The node the service runs on (portal started), as a live node sees it.
fo_where() {
	local n x
	for n in $LAB_NODES; do
		lab_running "$n" || continue
		x=$(lab_exec "$n" "crm_resource -r portal_r0 --locate 2>/dev/null" 30) || continue
		echo "$x" | sed -n 's/.*is running on: \([a-z0-9]*\).*/\1/p' | head -1
		return 0
	done
	return 1
}

# fo_healthy [TIMEOUT]: bring the lab back to the state every scenario
# starts from, and print the active node: both nodes up and online, DRBD
# Connected and UpToDate on both, the service started on one node, no
# failure records, no constraint left by DRBD's fence-peer handler, the
# replication link whole, the client logged in.
fo_healthy() {
	local to=${1:-600} end h x out
	end=$((SECONDS + to))
	lab_link_is_cut && lab_link_heal
	for h in $LAB_NODES; do
		lab_running "$h" && continue
		"$LAB" rejoin "$h" >&2 || return 1
	done
	while ((SECONDS < end)); do
		out=$(lab_exec node1 '
			x=$(crm_mon -1 --output-as=xml 2>/dev/null)
			[ "$(echo "$x" | grep -c "<node name=.* online=\"true\"")" = 2 ] || { echo "nodes not both online"; exit 1; }
			for n in node1 node2; do
				crm_attribute -N $n -n standby -G -q 2>/dev/null | grep -q on && crm_attribute -N $n -n standby -v off
			done
			if echo "$x" | grep -q "<failure "; then crm_resource --cleanup >/dev/null 2>&1; echo "cleaned up failures"; exit 1; fi
			crm_resource -r portal_r0 --locate 2>/dev/null | grep -q "running on" || { echo "service not started"; exit 1; }
			exit 0' 60) || { sleep 2; continue; }
		x=$(for h in $LAB_NODES; do lab_exec "$h" "sed -n 3p /proc/drbd" 30; done)
		if [[ $(grep -c 'cs:Connected .*ds:UpToDate/UpToDate' <<<"$x") != 2 ]]; then
			sleep 2
			continue
		fi
		if lab_exec node1 "crm configure show 2>/dev/null | grep -q drbd-fence-by-handler" 30; then
			sleep 2
			continue
		fi
		if ! lab_exec client "iscsiadm -m session 2>/dev/null | grep -q '$LAB_IQN' && test -b $FO_DEV" 30 >/dev/null; then
			lab_login client >/dev/null || { sleep 2; continue; }
		fi
		fo_where
		return 0
	done
	echo "fo_healthy: not healthy after ${to}s: $out $x" >&2
	return 1
}

# ------------------------------------------------------------- the client
# fo_writer_start CLIENT NAME [tandem-verify options]: random stamped writes
# in the background; progress lands in the lab share, read from here.
fo_writer_start() {
	local c=$1 name=$2
	shift 2
	rm -f "$LAB_FILES/$name.progress"
	lab_exec "$c" "rm -f /root/$name.stop /root/$name.out
		setsid $FO_VERIFY write $FO_DEV --state /root/$name.state --stop /root/$name.stop \
			--ack-log /root/$name.acks --progress /mnt/host/files/$name.progress \
			--seconds 3600 $* >/root/$name.out 2>/root/$name.err </dev/null &
		echo \$! >/root/$name.pid" 30 >/dev/null
}

# fo_progress NAME FIELD: a field of the writer's progress line
fo_progress() {
	local line
	line=$(cat "$LAB_FILES/$1.progress" 2>/dev/null) || { echo 0; return 1; }
	awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit } }' <<<"$line"
}

# fo_wait_acks NAME COUNT TIMEOUT: until the writer has COUNT acknowledged
fo_wait_acks() {
	local end=$((SECONDS + $3)) n
	while ((SECONDS < end)); do
		n=$(fo_progress "$1" acked)
		((${n:-0} >= $2)) && return 0
		sleep 0.5
	done
	return 1
}

# fo_wait_resumed NAME SINCE TIMEOUT: until the writes stalled after the
# epoch time SINCE and then completed again: the writer's longest pause so
# far (at least a second) must have begun after SINCE (or just before it:
# the I/O in flight at the event). Prints the seconds from SINCE to the
# end of that pause.
fo_wait_resumed() {
	local name=$1 since=$2 end=$((SECONDS + $3)) lp from to
	while ((SECONDS < end)); do
		lp=$(fo_progress "$name" longest_pause)
		from=$(fo_progress "$name" pause_from)
		to=$(fo_progress "$name" pause_to)
		if awk -v p="${lp:-0}" -v f="${from:-0}" -v s="$since" 'BEGIN { exit !(p >= 1 && f >= s - 2) }'; then
			awk -v t="$to" -v s="$since" 'BEGIN { printf "%.1f\n", t - s }'
			return 0
		fi
		sleep 0.5
	done
	return 1
}

# fo_writer_stop CLIENT NAME: stop, wait for the drain, print the summary
fo_writer_stop() {
	lab_exec "$1" "touch /root/$2.stop
		for i in \$(seq 2400); do kill -0 \$(cat /root/$2.pid) 2>/dev/null || break; sleep 0.1; done
		kill -0 \$(cat /root/$2.pid) 2>/dev/null && { echo 'writer did not stop'; exit 1; }
		cat /root/$2.out; cat /root/$2.err >&2; grep -q '^write:' /root/$2.out" 300
}

# fo_stop_writers: whatever a scenario left running on the clients (a
# failed one returns early): its writers and tickers, by the PIDs they
# recorded. A writer left behind would overwrite the next scenario's
# blocks and make its checker report them missing.
fo_stop_writers() {
	local c
	for c in $LAB_CLIENTS; do
		lab_running "$c" || continue
		lab_exec "$c" 'for f in /root/*.pid; do
				[ -s "$f" ] || continue
				p=$(cat "$f"); kill -TERM "$p" 2>/dev/null
				for i in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
				kill -KILL "$p" 2>/dev/null; rm -f "$f"
			done; true' 60 >/dev/null
	done
}

# fo_verify CLIENT NAME: read everything back against the acknowledged state
fo_verify() {
	lab_exec "$1" "$FO_VERIFY verify $FO_DEV --state /root/$2.state 2>/root/$2.verify-err; rc=\$?
		# what a failing block holds instead: its first sector's head
		b=\$(sed -n 's/^tandem-verify: block [0-9]* (offset \([0-9]*\)).*/\1/p' /root/$2.verify-err | head -1)
		[ -n \"\$b\" ] && echo \"first bad block at \$b holds: \$(dd if=$FO_DEV bs=512 skip=\$((b / 512)) count=1 iflag=direct status=none | od -A d -t x1 | head -3 | tr -s ' ' | tr '\n' ' ')\" >&2
		cat /root/$2.verify-err >&2; exit \$rc" 600
}

# fo_field LINE KEY: the value after KEY in a summary line
fo_field() { awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit } }' <<<"$1"; }

# -------------------------------------------------- DRBD roles, two Primaries
# Every node samples its DRBD role five times a second into the lab share
# (a crashed node's samples survive it); fo_roles_check says whether both
# nodes were ever Primary at once.
fo_roles_start() {
	local h
	for h in "$@"; do
		lab_running "$h" || continue
		lab_exec "$h" "[ -s /run/roles.pid ] && kill \$(cat /run/roles.pid) 2>/dev/null
			setsid sh -c 'while :; do
				r=\$(sed -n \"s/.* ro:\\([A-Za-z]*\\)\\/.*/\\1/p\" /proc/drbd 2>/dev/null)
				echo \"\$(date +%s.%N) \${r:-Down}\"; sleep 0.2; done' \
				>>/mnt/host/files/roles-$h.log 2>/dev/null </dev/null &
			echo \$! >/run/roles.pid" 30 >/dev/null
	done
}
fo_roles_reset() { rm -f "$LAB_FILES"/roles-*.log; }
fo_roles_stop() {
	local h
	for h in $LAB_NODES; do
		lab_running "$h" || continue
		lab_exec "$h" "[ -s /run/roles.pid ] && kill \$(cat /run/roles.pid) 2>/dev/null; rm -f /run/roles.pid" 30 >/dev/null
	done
}
fo_roles_check() {
	python3 "$FO_HERE/analyze.py" roles "$LAB_FILES"/roles-node1.log "$LAB_FILES"/roles-node2.log
}

# ------------------------------------------------------------ the timeline
# fo_timeline NODE SINCE: from NODE's Pacemaker log, seconds from SINCE to
# the fencing of the peer, DRBD's promotion, the portal's start and the
# cluster idle again: "fenced F promoted P portal S converged C" ("-": none)
fo_timeline() {
	local h
	for h in $LAB_NODES; do
		lab_running "$h" || continue
		# (the DC, which logs S_IDLE, may be the other node)
		lab_exec "$h" "grep -aE \"Operation 'off' targeting .* OK|Result of promote operation for drbd_r0 on $1: ok|Result of start operation for portal_r0 on $1: ok|-> S_IDLE\" /var/log/pacemaker/pacemaker.log" 60
	done | python3 "$FO_HERE/analyze.py" timeline "$2"
}

# fo_steps NODE SINCE: NODE's Pacemaker operations, fencing, scheduler
# decisions, errors and warnings since SINCE, one line each with the
# seconds since SINCE: the detail behind fo_timeline, for the scenario's log
fo_steps() {
	lab_exec "$1" "grep -aE \"Result of .* operation|Operation '[a-z]+' targeting|Initiating |-> S_|Actions: |error: |warning: \" /var/log/pacemaker/pacemaker.log" 60 |
		python3 "$FO_HERE/analyze.py" steps "$2"
}

# fo_timeline_wait NODE SINCE: fo_timeline once the cluster is idle again
# (the last step lands a moment after the writes resume), 30 s at most
fo_timeline_wait() {
	local i tl
	for i in $(seq 30); do
		tl=$(fo_timeline "$1" "$2")
		[[ $(fo_field "$tl" converged) != - ]] && break
		sleep 1
	done
	echo "$tl"
}

# -------------------------------------------------------------- results
# fo_result SCENARIO RUN VERDICT PAUSE CONVERGED ACKED NOTE
fo_result() {
	local note=$7
	# the short suite bounds a crash's pause loosely (FO_CRASH_MAX): say so
	# when a pause is past the 30 s target all the same
	awk -v p="$4" 'BEGIN { exit !(p + 0 >= 30) }' && note="$note; PAUSE ABOVE THE 30 s TARGET"
	set -- "$1" "$2" "$3" "$4" "$5" "$6" "$note"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$FO_RESULTS"
	if [[ $3 == PASS ]]; then
		result_pass "$1 (run $2): pause ${4}s, converged ${5}s, $6 acknowledged writes verified; $7"
	else
		result_fail "$1 (run $2)" "$7"
	fi
}
