#!/usr/bin/env bats
# ocf:tandem:target: parameters, every action and exit code, the daemon's
# life cycle (started when needed, stopped when idle, killed, hung).

load helpers

IQN=iqn.2026-01.org.tandem:agents.target

setup_file() {
	agents_setup_file
	PORT=$(free_port)
	export PORT
}
teardown_file() { agents_teardown_file; }

tgt() {	# tgt ACTION [PARAM=VALUE...]
	local action=$1
	shift
	ra target "$action" iqn="$IQN" portals="127.0.0.1:$PORT" "$@"
}

@test "validate-all accepts good parameters" {
	tgt validate-all tpg_tag=7 allowed_initiators="iqn.1993-08.org.debian:01:a iqn.1993-08.org.debian:01:b" \
		incoming_username=u incoming_password=secret-one-123 outgoing_username=t \
		outgoing_password=secret-two-456 additional_parameters="MaxRecvDataSegmentLength=262144 HeaderDigest=CRC32C,None"
	assert_rc 0
}

@test "bad parameters: OCF_ERR_CONFIGURED naming the parameter" {
	ra target validate-all
	assert_rc 6
	assert_reason "iqn is required"
	ra target validate-all iqn=IQN.2026-01.Org.tandem:x
	assert_rc 6
	assert_reason "parameter iqn"
	ra target validate-all iqn=iqn.nonsense
	assert_rc 6
	for tag in 0 65536 abc 1.5; do
		tgt validate-all tpg_tag=$tag
		assert_rc 6
		assert_reason "parameter tpg_tag"
	done
	tgt validate-all portals="127.0.0.1:99999"
	assert_rc 6
	assert_reason "parameter portals"
	tgt validate-all portals="somehost:3260"
	assert_rc 6
	tgt validate-all allowed_initiators="iqn.1993-08.org.debian:01:a NotAnIQN"
	assert_rc 6
	assert_reason "parameter allowed_initiators"
	tgt validate-all additional_parameters="MaxRecvDataSegmentLenght=4096"
	assert_rc 6
	assert_reason "unknown iSCSI parameter"
	tgt validate-all additional_parameters="MaxBurstLength"
	assert_rc 6
}

@test "CHAP rules across parameters: OCF_ERR_CONFIGURED" {
	tgt validate-all incoming_username=u
	assert_rc 6
	assert_reason "go together"
	tgt validate-all outgoing_username=t outgoing_password=secret-two-456
	assert_rc 6
	assert_reason "needs incoming CHAP"
	tgt validate-all incoming_username=u incoming_password=same-secret-123 \
		outgoing_username=t outgoing_password=same-secret-123
	assert_rc 6
	assert_reason "must differ"
}

@test "tandemd missing: validate-all and start OCF_ERR_INSTALLED, the probe OCF_NOT_RUNNING" {
	tgt validate-all TANDEMD_BIN=$T/no-such-tandemd
	assert_rc 5
	tgt start TANDEMD_BIN=$T/no-such-tandemd
	assert_rc 5
	tgt monitor TANDEMD_BIN=$T/no-such-tandemd CRM_meta_interval=0
	assert_rc 7
}

@test "a stop of something never started succeeds; monitor says not running" {
	tgt stop
	assert_rc 0
	tgt monitor
	assert_rc 7
	OCF_CHECK_LEVEL=10 tgt monitor
	assert_rc 7
}

@test "stop with unparsable parameters succeeds (nothing can run under them)" {
	tgt stop tpg_tag=zero
	assert_rc 0
}

@test "start starts tandemd and serves the target on its portal" {
	tgt start
	assert_rc 0
	daemon_pid
	run iscsi-ls -s "iscsi://127.0.0.1:$PORT"
	assert_rc 0
	grep -q "Target:$IQN Portal:127.0.0.1:$PORT,1" <<<"$output"
}

@test "monitor at depth 0 and 10 after start" {
	tgt monitor
	assert_rc 0
	tgt monitor OCF_CHECK_LEVEL=10
	assert_rc 0
}

@test "a double start succeeds and changes nothing" {
	pid=$(daemon_pid)
	tgt start
	assert_rc 0
	[[ $(daemon_pid) == "$pid" ]]
}

@test "depth 10 reports a TPG that differs from the parameters" {
	tgt monitor OCF_CHECK_LEVEL=10 allowed_initiators=iqn.1993-08.org.debian:01:only
	assert_rc 1
	assert_reason "node_acls differs"
	tgt monitor OCF_CHECK_LEVEL=0 allowed_initiators=iqn.1993-08.org.debian:01:only
	assert_rc 0
}

@test "reload applies ACLs and CHAP live; the daemon keeps running" {
	pid=$(daemon_pid)
	tgt reload allowed_initiators=iqn.1993-08.org.debian:01:only incoming_username=u \
		incoming_password=secret-one-123
	assert_rc 0
	tgt monitor OCF_CHECK_LEVEL=10 allowed_initiators=iqn.1993-08.org.debian:01:only \
		incoming_username=u incoming_password=secret-one-123
	assert_rc 0
	[[ $(daemon_pid) == "$pid" ]]
	# Outside the ACL, or without CHAP, no login; inside with CHAP, a login
	# (which then finds no LUN 0: this target has none).
	run iscsi-inq -i iqn.1993-08.org.debian:01:other "iscsi://u%secret-one-123@127.0.0.1:$PORT/$IQN/0"
	grep -q "Failed to log in" <<<"$output"
	run iscsi-inq -i iqn.1993-08.org.debian:01:only "iscsi://127.0.0.1:$PORT/$IQN/0"
	grep -q "Failed to log in" <<<"$output"
	run iscsi-inq -i iqn.1993-08.org.debian:01:only "iscsi://u%secret-one-123@127.0.0.1:$PORT/$IQN/0"
	! grep -q "Failed to log in" <<<"$output"
	grep -q "LOGICAL_UNIT_NOT_SUPPORTED" <<<"$output"
	tgt reload
	assert_rc 0
	tgt monitor OCF_CHECK_LEVEL=10
	assert_rc 0
}

@test "a second target in the same daemon; stopping one keeps the daemon" {
	pid=$(daemon_pid)
	RA_INSTANCE=t2 ra target start iqn=$IQN.two portals="127.0.0.1:$PORT" tpg_tag=2
	assert_rc 0
	RA_INSTANCE=t2 ra target stop iqn=$IQN.two portals="127.0.0.1:$PORT" tpg_tag=2
	assert_rc 0
	[[ $(daemon_pid) == "$pid" ]]
	tgt monitor
	assert_rc 0
}

@test "monitor after the daemon was killed: OCF_NOT_RUNNING; stop succeeds; start recovers" {
	kill_daemon KILL
	tgt monitor
	assert_rc 7
	tgt stop
	assert_rc 0
	tgt start
	assert_rc 0
	tgt monitor
	assert_rc 0
}

@test "a hung daemon: monitor fails within its timeout instead of hanging" {
	pid=$(daemon_pid)
	kill -STOP "$pid"
	start=$(date +%s%N)
	tgt monitor CRM_meta_timeout=3000
	end=$(date +%s%N)
	kill -CONT "$pid"
	assert_rc 1
	(( (end - start) / 1000000 < 3000 ))
}

@test "stop removes the target and stops the idle daemon; a second stop succeeds" {
	tgt stop
	assert_rc 0
	run daemon_pid
	[[ $status -ne 0 ]]
	tgt stop
	assert_rc 0
	tgt monitor
	assert_rc 7
}

@test "a daemon started by hand with its own config is never stopped by the agent" {
	echo '{"storage_objects": [], "targets": []}' >"$T/own.json"
	"$TANDEMD" -c "$T/own.json" -s "$TANDEM_SOCKET"
	for _ in $(seq 50); do tgt monitor; [[ $status -eq 7 ]] && break; sleep 0.1; done
	tgt start
	assert_rc 0
	tgt stop
	assert_rc 0
	daemon_pid
	kill_daemon TERM
}

@test "crm_resource --force-start/--force-check/--force-stop as Pacemaker calls it" {
	export CIB_file=$T/cib.xml
	cibadmin --empty >"$CIB_file"
	crm_attribute -t crm_config -n stonith-enabled -v false
	cibadmin --create -o resources --xml-text "<primitive id=\"crmtgt\" class=\"ocf\" provider=\"tandem\" type=\"target\"><instance_attributes id=\"crmtgt-ia\"><nvpair id=\"crmtgt-i\" name=\"iqn\" value=\"$IQN\"/><nvpair id=\"crmtgt-p\" name=\"portals\" value=\"127.0.0.1:$PORT\"/></instance_attributes></primitive>"
	crm_force_cycle target crmtgt
	run daemon_pid
	[[ $status -ne 0 ]]
}

@test "ocf-tester passes" {
	run ocf-tester -n tester_target -o iqn="$IQN" -o portals="127.0.0.1:$PORT" "$AGENT_DIR/target"
	echo "$output"
	assert_rc 0
	run daemon_pid
	[[ $status -ne 0 ]]
}
