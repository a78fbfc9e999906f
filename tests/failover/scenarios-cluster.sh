# shellcheck shell=bash
# Failover scenarios where the nodes stay up (sourced by tests/failover/run.sh):
# the replication link cut, tandemd killed alone, an orderly switch-over.

# Cut DRBD's link while the cluster's stays: the active node's DRBD freezes
# I/O, its fence-peer handler forbids promotion of the outdated peer, I/O
# resumes; never two Primaries. The link comes back: resync, the
# constraint is lifted, both UpToDate, no split brain.
sc_cut_link() {
	local a p w=cl$FO_RUN t x i
	fo_setup "$w" || return 1
	a=$A p=$S
	t=$(lab_now)
	lab_link_cut "$LAB_DRBD_PORT" || { fail "could not cut the link"; return 1; }
	fo_log "replication link cut"
	fo_wait_resumed "$w" "$t" 90 >/dev/null || { fail "writes did not resume on $a with the link cut"; return 1; }
	sleep 10
	x=$(lab_exec "$a" "sed -n 3p /proc/drbd; crm configure show 2>/dev/null | grep -c drbd-fence-by-handler" 30)
	fo_log "while cut, on $a: $(echo $x)"
	grep -q 'ro:Primary/Unknown .*ds:UpToDate/\(Outdated\|DUnknown\)' <<<"$x" ||
		{ fail "unexpected DRBD state on $a while cut: $x"; return 1; }
	[[ $(tail -1 <<<"$x") -ge 1 ]] || { fail "no fence-peer constraint on $p while cut"; return 1; }
	[[ $(fo_where) == "$a" ]] || { fail "the service moved away from $a"; return 1; }
	lab_link_heal
	fo_log "link restored"
	for i in $(seq 120); do
		x=$(for h in $LAB_NODES; do lab_exec "$h" "sed -n 3p /proc/drbd" 30; done)
		[[ $(grep -c 'cs:Connected .*ds:UpToDate/UpToDate' <<<"$x") == 2 ]] &&
			! lab_exec "$a" "crm configure show 2>/dev/null | grep -q drbd-fence-by-handler" 30 && break
		sleep 1
	done
	[[ $(grep -c 'cs:Connected .*ds:UpToDate/UpToDate' <<<"$x") == 2 ]] ||
		{ fail "DRBD did not reconnect and resync: $x"; return 1; }
	lab_exec "$a" "crm configure show 2>/dev/null | grep -q drbd-fence-by-handler" 30 &&
		{ fail "the fence-peer constraint was not lifted after the resync"; return 1; }
	FO_CONV=$(awk -v t="$t" -v n="$(lab_now)" 'BEGIN { printf "%.1f", n - t }')
	sleep "$FO_AFTER"
	FO_NOTE="cut ${FO_CONV}s incl. resync; $p outdated by the fence-peer handler, then resynced"
	fo_finish "$w" 30 || return 1
	fo_split_brain >/dev/null && { fail "split brain reported"; return 1; }
	return 0
}

# SIGKILL tandemd alone on the active node: Pacemaker's monitor sees it,
# restarts the target in place; the third failure (migration-threshold=3)
# moves the service to the other node. Each failure gets its own writer
# phase on the same state, verified after it.
sc_kill_tandemd() {
	local a s sum ver w=kd$FO_RUN t i d where pauses=""
	a=$(fo_healthy) || { fail "the lab did not become healthy"; return 1; }
	s=$(lab_peer "$a")
	fo_begin "$w"
	for i in 1 2 3; do
		# a new writer phase for each failure: its longest pause is this one
		fo_writer_start client "$w" --qd 32 --span "$FO_SPAN"
		fo_wait_acks "$w" 300 90 || { fail "the writer did not get going before kill $i"; return 1; }
		t=$(lab_now)
		lab_exec "$a" 'p=$(pidof tandemd) && kill -KILL $p' 30 >/dev/null || { fail "no tandemd on $a"; return 1; }
		fo_log "tandemd killed on $a (failure $i)"
		d=$(fo_wait_resumed "$w" "$t" 120) || { fail "writes did not resume after kill $i"; return 1; }
		sum=$(fo_writer_stop client "$w") || { fail "writer: $sum"; return 1; }
		ver=$(fo_verify client "$w")
		# a restart in place must be quick; the move on the third failure
		# is an orderly switch-over (stop, demote, promote, start)
		fo_judge "$sum" "$ver" "$( ((i < 3)) && echo 30 || echo 60)" || return 1
		pauses="$pauses ${d}s"
		where=$(fo_where)
		if ((i < 3)); then
			[[ $where == "$a" ]] || { fail "failure $i moved the service to $where; it should restart on $a"; return 1; }
		else
			[[ $where == "$s" ]] || { fail "the third failure left the service on $where, not $s"; return 1; }
		fi
		fo_log "writes resumed after ${d}s, service on $where"
	done
	FO_TL=$(fo_timeline_wait "$s" "$t")
	FO_CONV=$(fo_field "$FO_TL" converged)
	FO_NOTE="restarted on $a twice, moved to $s on the 3rd failure; pauses$pauses"
	lab_exec "$s" "crm_resource --cleanup >/dev/null 2>&1" 60
	return 0
}

# Orderly switch-over: `crm node standby` of the active node moves the
# service; the node comes back online and the service stays where it is.
sc_standby() {
	local a s sum ver w=sb$FO_RUN t i
	fo_setup "$w" || return 1
	a=$A s=$S
	t=$(lab_now)
	lab_exec "$a" "crm node standby $a" 60 >/dev/null || { fail "crm node standby $a failed"; return 1; }
	fo_log "crm node standby $a"
	fo_wait_resumed "$w" "$t" 120 >/dev/null || { fail "writes did not resume after the switch-over"; return 1; }
	[[ $(fo_where) == "$s" ]] || { fail "the service did not move to $s"; return 1; }
	FO_TL=$(fo_timeline_wait "$s" "$t")
	FO_CONV=$(fo_field "$FO_TL" converged)
	lab_exec "$a" "crm node online $a" 60 >/dev/null || { fail "crm node online $a failed"; return 1; }
	for i in $(seq 120); do
		lab_exec "$a" "grep -q 'cs:Connected .*ds:UpToDate/UpToDate' /proc/drbd" 30 && break
		sleep 1
	done
	sleep 5
	[[ $(fo_where) == "$s" ]] || { fail "the service moved back when $a came online (stickiness)"; return 1; }
	sleep "$FO_AFTER"
	sum=$(fo_writer_stop client "$w") || { fail "writer: $sum"; return 1; }
	ver=$(fo_verify client "$w")
	FO_NOTE="standby $a: moved to $s and stayed there when $a came back"
	# an orderly switch-over: stop, demote, promote, start, with
	# ocf:linbit:drbd's notifications between them
	fo_judge "$sum" "$ver" 60 || return 1
}
