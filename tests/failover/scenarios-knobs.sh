# shellcheck shell=bash
# The knobs behind the I/O pause of a crashed active node, measured (full
# suite only: tests/failover/run.sh --full): sc_kill_active once with the
# lab's defaults and once with each knob turned, everything else unchanged.

fo_set_fencing_delay() {	# Pacemaker's priority-fencing-delay, seconds
	lab_exec "$(fo_where)" "crm configure property priority-fencing-delay=${1}s" 60 >/dev/null
}
fo_set_token() {	# Corosync's token timeout, ms, on both nodes, reloaded live
	local h
	for h in $LAB_NODES; do
		lab_exec "$h" "sed -i 's/^\(\s*token:\).*/\1 $1/' /etc/corosync/corosync.conf" 30 >/dev/null || return 1
	done
	lab_exec node1 "corosync-cfgtool -R >/dev/null && corosync-cmapctl -g runtime.config.totem.token" 30 | grep -q "= $1\$"
}

# fo_set_initiator KEY VALUE...: open-iscsi node settings on the client,
# then a new login so the session uses them
fo_set_initiator() {
	local updates=""
	while (($# >= 2)); do
		updates="$updates iscsiadm -m node -T $LAB_IQN -o update -n '$1' -v '$2' &&"
		shift 2
	done
	lab_exec client "set -e
		$updates true
		iscsiadm -m node -T $LAB_IQN --logout >/dev/null
		iscsiadm -m node -T $LAB_IQN --login >/dev/null
		for i in \$(seq 200); do [ -e $FO_DEV ] && break; sleep 0.1; done; test -b $FO_DEV" 120 >/dev/null
}
fo_set_noop() {	# the initiator's NOP-Out interval and timeout, s
	fo_set_initiator node.conn[0].timeo.noop_out_interval "$1" node.conn[0].timeo.noop_out_timeout "$2"
}
fo_set_login_timeout() {	# how long one connect and login attempt may take, s
	fo_set_initiator node.conn[0].timeo.login_timeout "$1"
}

# FO_KNOBS: "label|apply|restore" lines
FO_KNOBS="lab defaults (token 1000 ms, priority-fencing-delay 5 s, NOP-Out 2 s / 4 s, login timeout 5 s)|true|true
priority-fencing-delay 0 s|fo_set_fencing_delay 0|fo_set_fencing_delay 5
priority-fencing-delay 10 s|fo_set_fencing_delay 10|fo_set_fencing_delay 5
corosync token 3000 ms (Corosync's default)|fo_set_token 3000|fo_set_token 1000
NOP-Out 5 s / 5 s (open-iscsi's default)|fo_set_noop 5 5|fo_set_noop 2 4
login timeout 15 s (open-iscsi's default)|fo_set_login_timeout 15|fo_set_login_timeout 5"

# Runs every knob; writes $LOG/knobs.md; one result per knob.
fo_knobs() {
	local label apply restore rc
	{
		echo "| setting | I/O pause, s | fenced, s | promoted, s | portal up, s | converged, s |"
		echo "|---|---|---|---|---|---|"
	} >"$LOG/knobs.md"
	while IFS='|' read -r label apply restore; do
		FO_SCENARIO="knob: $label" FO_RUN=k$RANDOM
		FO_PAUSE=- FO_CONV=- FO_ACKED=0 FO_NOTE="" FO_WHY="" FO_TL=""
		fo_healthy >/dev/null && $apply >>"$LOG/knobs.log" 2>&1
		rc=$?
		if ((rc == 0)) && sc_kill_active >>"$LOG/knobs.log" 2>&1; then
			result_pass "knob measured: $label: pause ${FO_PAUSE}s"
			printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$FO_PAUSE" \
				"$(fo_field "$FO_TL" fenced)" "$(fo_field "$FO_TL" promoted)" \
				"$(fo_field "$FO_TL" portal)" "$(fo_field "$FO_TL" converged)" >>"$LOG/knobs.md"
		else
			result_fail "knob: $label" "${FO_WHY:-could not apply it (rc $rc)}"
		fi
		fo_healthy >/dev/null
		$restore >>"$LOG/knobs.log" 2>&1 || result_fail "knob: $label" "could not restore the default"
	done <<<"$FO_KNOBS"
}
