# shellcheck shell=bash
# Failover scenarios that crash whole nodes (sourced by tests/failover/run.sh).
# Each sc_* function leaves FO_PAUSE, FO_CONV, FO_ACKED, FO_NOTE and, on
# failure, FO_WHY; it returns 0 when every check held. docs/failover.md.

fail() { FO_WHY="$*"; fo_log "FAILED: $*"; return 1; }

# fo_begin NAME...: fresh writer state for these writer names, role sampling
fo_begin() {
	local n
	for n in "$@"; do
		lab_exec client "rm -f /root/$n.*" 30 >/dev/null
	done
	fo_roles_stop
	fo_roles_reset
	fo_roles_start $LAB_NODES
}

# fo_setup NAME: a healthy lab (A the active node, S the other), role
# sampling, and a fresh writer NAME under way at queue depth 32
fo_setup() {
	A=$(fo_healthy) || { fail "the lab did not become healthy"; return 1; }
	S=$(lab_peer "$A")
	fo_begin "$1"
	fo_writer_start client "$1" --qd 32 --span "$FO_SPAN"
	fo_wait_acks "$1" 300 90 || { fail "the writer did not get going"; return 1; }
}

# fo_finish NAME MAXPAUSE: stop the writer, read everything back, judge
fo_finish() {
	local sum ver
	sum=$(fo_writer_stop client "$1") || { fail "writer: $sum"; return 1; }
	ver=$(fo_verify client "$1")
	fo_judge "$sum" "$ver" "$2"
}

# fo_crash NODE NAME: crash NODE (the active node) while the writer NAME
# runs; wait until the survivor serves and the writes resume. Sets
# FO_KILL_T, FO_TL (the survivor's timeline).
fo_crash() {
	local a=$1 name=$2 s
	s=$(lab_peer "$a")
	fo_log "before the crash: $(for h in $LAB_NODES; do echo "$h $(lab_exec "$h" "sed -n 3p /proc/drbd" 30)"; done | tr -s ' ' | tr '\n' ';')"
	FO_KILL_T=$(lab_now)
	lab_kill "$a" || { fail "could not crash $a"; return 1; }
	fo_log "$a crashed (SIGKILL of the whole host); $s should take over"
	fo_wait_resumed "$name" "$FO_KILL_T" 180 >/dev/null ||
		{ fail "writes did not resume within 180 s after crashing $a"; return 1; }
	FO_TL=$(fo_timeline_wait "$s" "$FO_KILL_T")
	fo_log "timeline on $s: $FO_TL"
	fo_steps "$s" "$FO_KILL_T" | sed 's/^/    /'
	[[ $(fo_where) == "$s" ]] || { fail "the service is not on $s after the crash"; return 1; }
}

# fo_judge SUMMARY VERIFY MAXPAUSE: the verdicts every scenario shares. Sets
# FO_PAUSE (the writer's longest pause) and adds to FO_ACKED.
fo_judge() {
	local sum=$1 ver=$2 max=$3 roles
	FO_PAUSE=$(fo_field "$sum" longest_pause)
	FO_PAUSE=$(awk -v p="${FO_PAUSE:-0}" 'BEGIN { printf "%.1f", p }')
	FO_ACKED=$((FO_ACKED + $(fo_field "$sum" acked)))
	fo_log "$sum"
	fo_log "$ver"
	[[ $(fo_field "$ver" verdict) == PASS ]] || { fail "checker: $ver"; return 1; }
	[[ $(fo_field "$sum" errors) == 0 ]] || { fail "the client saw I/O errors: $sum"; return 1; }
	[[ $(fo_field "$sum" read_bad) == 0 ]] || { fail "a read returned wrong data: $sum"; return 1; }
	roles=$(fo_roles_check) || { fail "two Primaries at once: $roles"; return 1; }
	if [[ -n $max ]] && awk -v p="$FO_PAUSE" -v m="$max" 'BEGIN { exit !(p >= m) }'; then
		fail "I/O pause ${FO_PAUSE}s, not below ${max}s"
		return 1
	fi
	return 0
}

fo_split_brain() {	# any split brain seen by either node's DRBD
	local h
	for h in $LAB_NODES; do
		lab_running "$h" || continue
		lab_exec "$h" "dmesg | grep -qi 'split-brain detected'" 30 && { echo "$h"; return 0; }
	done
	return 1
}

# SIGKILL the active node under random writes at QD32: fenced, DRBD
# promoted on the survivor, the service started there, the writes resume.
sc_kill_active() {
	local a s w=ka$FO_RUN
	fo_setup "$w" || return 1
	a=$A s=$S
	fo_crash "$a" "$w" || return 1
	sleep "$FO_AFTER"
	FO_CONV=$(fo_field "$FO_TL" converged)
	FO_NOTE="$a crashed; fenced $(fo_field "$FO_TL" fenced)s, promoted $(fo_field "$FO_TL" promoted)s, portal $(fo_field "$FO_TL" portal)s"
	fo_finish "$w" "$FO_CRASH_MAX" || return 1
	fo_split_brain >/dev/null && { fail "split brain reported"; return 1; }
	"$LAB" rejoin "$a" >/dev/null || { fail "$a did not rejoin after the crash"; return 1; }
	fo_log "$a rejoined; DRBD UpToDate on both"
}

# SIGKILL the passive node: the active node keeps serving; the only pause
# allowed is DRBD noticing the lost peer and fencing it.
sc_kill_passive() {
	local a p w=kp$FO_RUN t
	fo_setup "$w" || return 1
	a=$A p=$S
	t=$(lab_now)
	lab_kill "$p" || { fail "could not crash $p"; return 1; }
	fo_log "$p (passive) crashed"
	sleep 20
	fo_wait_resumed "$w" "$t" 60 >/dev/null || { fail "writes stopped after the passive node crashed"; return 1; }
	[[ $(fo_where) == "$a" ]] || { fail "the service moved away from $a"; return 1; }
	FO_TL=$(fo_timeline "$a" "$t")
	sleep "$FO_AFTER"
	FO_CONV=$(fo_field "$FO_TL" fenced)
	FO_NOTE="$p crashed; service stayed on $a; $p fenced at $(fo_field "$FO_TL" fenced)s"
	fo_finish "$w" 30 || return 1
	"$LAB" rejoin "$p" >/dev/null || { fail "$p did not rejoin"; return 1; }
}

# Crash the active node, let it rejoin and resync, crash the new active
# node: the service comes back to the first, every acknowledged write of
# both phases intact.
sc_kill_twice() {
	local a s w=kt$FO_RUN p1
	fo_setup "$w" || return 1
	a=$A s=$S
	fo_crash "$a" "$w" || return 1
	fo_finish "$w" "$FO_CRASH_MAX" || return 1
	p1=$FO_PAUSE
	"$LAB" rejoin "$a" >/dev/null || { fail "$a did not rejoin after the first crash"; return 1; }
	fo_log "$a rejoined; crashing $s now"
	fo_writer_start client "$w" --qd 32 --span "$FO_SPAN"
	fo_wait_acks "$w" 300 90 || { fail "the writer did not get going again"; return 1; }
	fo_crash "$s" "$w" || return 1
	sleep "$FO_AFTER"
	FO_CONV=$(fo_field "$FO_TL" converged)
	fo_finish "$w" "$FO_CRASH_MAX" || return 1
	FO_NOTE="$a then $s crashed; pauses ${p1}s and ${FO_PAUSE}s"
	FO_PAUSE=$(awk -v a="$p1" -v b="$FO_PAUSE" 'BEGIN { print (a > b) ? a : b }')
	fo_split_brain >/dev/null && { fail "split brain reported"; return 1; }
	"$LAB" rejoin "$s" >/dev/null || { fail "$s did not rejoin"; return 1; }
}

# Crash the active node while it resyncs the passive one (a full resync,
# slowed down): the survivor is Inconsistent and must never be promoted;
# the service waits for the crashed node, the only one with good data, to
# come back (the lab powers it on as an operator would), then continues.
sc_kill_during_resync() {
	local a s w=kr$FO_RUN x t
	fo_setup "$w" || return 1
	a=$A s=$S
	lab_exec "$a" "drbdadm -- --c-plan-ahead=0 --resync-rate=1M disk-options $LAB_RES" 30 >/dev/null ||
		{ fail "could not slow the resync down"; return 1; }
	lab_exec "$s" "drbdadm invalidate $LAB_RES" 30 >/dev/null || { fail "drbdadm invalidate on $s failed"; return 1; }
	sleep 3
	x=$(lab_exec "$s" "sed -n 3,5p /proc/drbd" 30)
	grep -q 'cs:SyncTarget .*ds:Inconsistent' <<<"$x" || { fail "no resync running on $s: $x"; return 1; }
	fo_log "full resync $a -> $s running: $(grep -o 'sync.ed: *[0-9.]*%' <<<"$x")"
	t=$(lab_now)
	FO_KILL_T=$t
	lab_kill "$a" || { fail "could not crash $a"; return 1; }
	fo_log "$a (SyncSource, active) crashed; $s is Inconsistent and must stay unpromoted"
	sleep 25
	x=$(lab_exec "$s" "sed -n 3p /proc/drbd" 30)
	grep -q 'ro:Secondary' <<<"$x" || { fail "$s was promoted with inconsistent data: $x"; return 1; }
	fo_log "$s still Secondary 25 s later ($x); powering $a on again"
	lab_boot "$a"
	lab_wait "$a" 180 >/dev/null || { fail "$a did not boot again"; return 1; }
	fo_roles_start "$a"
	fo_wait_resumed "$w" "$t" 240 >/dev/null || { fail "writes did not resume after $a came back"; return 1; }
	# $a, the only node with good data, must have been promoted first;
	# once the resync made $s UpToDate the cluster may move the service
	# there (the promoted role prefers node1)
	x=$(python3 "$FO_HERE/analyze.py" first-primary "$LAB_FILES/roles-$a.log" "$t")
	y=$(python3 "$FO_HERE/analyze.py" first-primary "$LAB_FILES/roles-$s.log" "$t")
	[[ $x != - ]] || { fail "$a was never promoted after it came back"; return 1; }
	[[ $y == - ]] || awk -v x="$x" -v y="$y" 'BEGIN { exit !(y > x) }' ||
		{ fail "$s was promoted before $a came back (at $y, $a at $x)"; return 1; }
	FO_TL=$(fo_timeline_wait "$a" "$t")
	sleep "$FO_AFTER"
	FO_CONV=$(fo_field "$FO_TL" portal)
	FO_NOTE="$a crashed mid-resync; $s never promoted; the service waited for $a (boot included)"
	fo_finish "$w" "" || return 1
	fo_split_brain >/dev/null && { fail "split brain reported"; return 1; }
	lab_exec "$a" "drbdadm adjust $LAB_RES" 30 >/dev/null
	fo_healthy 900 >/dev/null || { fail "the resync did not finish"; return 1; }
}
