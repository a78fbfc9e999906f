#!/usr/bin/env bats
# A target built from nothing with tandemctl alone, served to libiscsi, and
# changed live: ACLs and CHAP change while a session runs.

load lib

setup() {
	ctl_setup
	daemon_start
}

teardown() {
	ctl_teardown
}

@test "a target built from scratch with tandemctl alone serves libiscsi" {
	run tctl ls
	[ "$status" -eq 0 ]
	[[ $output == *"o- iscsi "*"[Targets: 0]"* ]]
	build_target
	run readcap "$INI1" 0
	[ "$status" -eq 0 ]
	# 64 MiB less the 1 MiB persistent reservation area at its end.
	[[ $output == *"Total size:66060288"* ]]
	run readcap "$INI1" 1
	[ "$status" -eq 0 ]
	[[ $output == *"Total size:16777216"* ]]
	# No ACL, no access: generate_node_acls is 0, as targetcli leaves it.
	run readcap "$INI2" 0
	[ "$status" -ne 0 ]
	run tctl ls "/iscsi/$IQN/tpg1"
	[ "$status" -eq 0 ]
	[[ $output == *"o- tpg1 "*"[no-gen-acls, no-auth]"* ]]
	[[ $output == *"o- mapped_lun0 "*"[lun0 fileio/disk0 (rw)]"* ]]
	[[ $output == *"o- 127.0.0.1:$PORT "*"[OK]"* ]]
}

@test "ACLs and CHAP change live: the old session keeps working, new logins obey the new rules" {
	build_target
	local acl="/iscsi/$IQN/tpg1/acls/$INI1"
	tctl "$acl" set auth userid=client1 password=first-secret-12
	tctl "/iscsi/$IQN/tpg1" set attribute authentication=1
	run readcap "$INI1" 0 client1%first-secret-12
	[ "$status" -eq 0 ]

	python3 "$BATS_TEST_DIRNAME/hold_session.py" "$PORT" "$IQN" "$INI1" client1 \
		first-secret-12 "$WORK/ready" "$WORK/go" >"$WORK/hold.out" 2>&1 3>&- &
	local hold=$! i
	for ((i = 0; i < 100; i++)); do
		[[ -e $WORK/ready ]] && break
		kill -0 "$hold" 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$WORK/ready" ]

	# The session shows up in status, with its connection.
	run tctl --json status
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
st = json.loads(sys.argv[1])
s = [s for t in st["targets"] for g in t["tpgs"] for s in g["sessions"]]
assert [x["initiator"] for x in s] == [sys.argv[2]], s
assert len(s[0]["connections"]) == 1, s
' "$output" "$INI1"

	# New secret for INI1, a new ACL for INI2; the old session carries on.
	run tctl "$acl" set auth password=second-secret-34
	[ "$status" -eq 0 ]
	[[ $output == *"Parameter password is now 'second-secret-34'."* ]]
	tctl "/iscsi/$IQN/tpg1/acls" create "$INI2"
	tctl "/iscsi/$IQN/tpg1/acls/$INI2" set auth userid=client2 password=client2-secret-56
	touch "$WORK/go"
	local rc=0
	wait "$hold" || rc=$?
	cat "$WORK/hold.out"
	[ "$rc" -eq 0 ]
	grep -q "session kept working" "$WORK/hold.out"

	run readcap "$INI1" 0 client1%first-secret-12
	[ "$status" -ne 0 ]
	run readcap "$INI1" 0 client1%second-secret-34
	[ "$status" -eq 0 ]
	run readcap "$INI2" 0 client2%client2-secret-56
	[ "$status" -eq 0 ]

	# Deleting INI2's ACL shuts it out again.
	tctl "/iscsi/$IQN/tpg1/acls" delete "$INI2"
	run readcap "$INI2" 0 client2%client2-secret-56
	[ "$status" -ne 0 ]
}

@test "status counts each LU's I/O" {
	build_target
	run readcap "$INI1" 0
	[ "$status" -eq 0 ]
	timeout 20 iscsi-inq -i "$INI1" "iscsi://127.0.0.1:$PORT/$IQN/0" >/dev/null
	run tctl status
	[ "$status" -eq 0 ]
	[[ $output == *"target $IQN"* ]]
	[[ $output == *"portal 127.0.0.1:$PORT listening"* ]]
	[[ $output == *"storage fileio/disk0 $WORK/disk0.img: attached, 1 LUN reference(s)"* ]]
	run tctl --json status
	python3 -c '
import json, sys
st = json.loads(sys.argv[1])
d = [s for s in st["storage"] if s["name"] == "disk0"][0]
for k in ("inflight", "reads", "writes", "read_bytes", "write_bytes", "errors"):
    assert isinstance(d[k], int), (k, d)
' "$output"
}

@test "a TPG disabled and enabled again stops and resumes logins" {
	build_target
	run tctl "/iscsi/$IQN/tpg1" disable
	[ "$status" -eq 0 ]
	[[ $output == "The TPGT has been disabled." ]]
	run tctl ls "/iscsi/$IQN" 1
	[[ $output == *"o- tpg1 "*"[disabled]"* ]]
	run readcap "$INI1" 0
	[ "$status" -ne 0 ]
	tctl "/iscsi/$IQN/tpg1" enable
	wait_port "$PORT"
	run readcap "$INI1" 0
	[ "$status" -eq 0 ]
}
