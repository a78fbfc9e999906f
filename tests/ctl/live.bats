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

@test "an attribute that can change live does: the session keeps working and sees the new value and the unit attention" {
	build_target
	# emulate_tpu: INQUIRY DATA HAS CHANGED and CAPACITY DATA HAS CHANGED.
	probe_start watch "$PORT" "$IQN" "$INI1"
	run tctl /backstores/fileio/disk0 set attribute emulate_tpu=1
	[ "$status" -eq 0 ]
	[[ $output == "Parameter emulate_tpu is now '1'." ]]
	run tctl --json status
	python3 -c '
import json, sys
st = json.loads(sys.argv[1])
s = [s for t in st["targets"] for g in t["tpgs"] for s in g["sessions"]]
assert [x["initiator"] for x in s] == [sys.argv[2]], s
' "$output" "$INI1"
	probe_finish
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert (r["before"]["lbpu"], r["after"]["lbpu"]) == (False, True), r
assert sorted(r["uas"]) == [[6, 0x2A, 0x09], [6, 0x3F, 0x03]], r
assert r["io"] is True, r
' "$WORK/probe.out"
	run tctl /backstores/fileio/disk0 get attribute emulate_tpu
	[[ $output == "emulate_tpu=1" ]]
}

@test "write_back cannot be turned on while a LUN exports the object: refused naming it, the LUN and the way out; nothing changes" {
	build_target
	tctl saveconfig "$WORK/before.json"
	probe_start watch "$PORT" "$IQN" "$INI1"
	run tctl /backstores/fileio/disk0 set attribute emulate_write_cache=1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"storage_objects[0].write_back: cannot turn on (attribute emulate_write_cache) while storage object \"disk0\" is exported ($IQN/tpg1/lun0): "*"never sends SYNCHRONIZE CACHE"*"remove its LUNs, turn it on, then export it again: initiators read the new setting when they next log in or rescan the LUN"* ]]
	probe_finish
	# No unit attention, WCE still 0, and the session still writes.
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert (r["before"]["wce"], r["after"]["wce"]) == (False, False), r
assert r["uas"] == [], r
assert r["io"] is True, r
' "$WORK/probe.out"
	tctl saveconfig "$WORK/after.json"
	cmp "$WORK/before.json" "$WORK/after.json"
	run tctl ls /backstores/fileio
	[[ $output == *"o- disk0 "*"write-thru activated]"* ]]
}

@test "write_back: on while unexported, seen by the next login once exported again; off live flushes and posts MODE PARAMETERS CHANGED" {
	build_target
	run tctl "/iscsi/$IQN/tpg1/luns" delete lun0
	[ "$status" -eq 0 ]
	run tctl /backstores/fileio/disk0 set attribute emulate_write_cache=1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == "Parameter emulate_write_cache is now '1'." ]]
	run tctl "/iscsi/$IQN/tpg1/luns" create /backstores/fileio/disk0 lun0
	[ "$status" -eq 0 ]
	run tctl ls /backstores/fileio
	[[ $output == *"o- disk0 "*"write-back activated]"* ]]

	# A new login reads WCE 1; turning the cache off reaches it live.
	probe_start watch "$PORT" "$IQN" "$INI1"
	run tctl /backstores/fileio/disk0 set attribute emulate_write_cache=0
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == "Parameter emulate_write_cache is now '0'." ]]
	probe_finish
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["before"]["wce"] is True, r
assert r["uas"] == [[6, 0x2A, 0x01]], r     # MODE PARAMETERS CHANGED
assert r["after"]["wce"] is False, r
assert r["io"] is True, r
' "$WORK/probe.out"
	grep -q "storage object disk0: write_back off, flushing what it cached" "$WORK/tandemd.log"
	run tctl /backstores/fileio/disk0 get attribute emulate_write_cache
	[[ $output == "emulate_write_cache=0" ]]
	run tctl ls /backstores/fileio
	[[ $output == *"o- disk0 "*"write-thru activated]"* ]]
}

@test "an attribute that cannot change live is refused naming it and why; nothing changes" {
	build_target
	tctl saveconfig "$WORK/before.json"
	run tctl /backstores/fileio/disk0 set attribute block_size=4096
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"storage_objects[0].attributes.block_size: cannot change while storage object \"disk0\" is exported ($IQN/tpg1/lun0): initiators address the LU in blocks of this size"* ]]
	tctl saveconfig "$WORK/after.json"
	cmp "$WORK/before.json" "$WORK/after.json"
	run readcap "$INI1" 0
	[ "$status" -eq 0 ]
	[[ $output == *"Total size:66060288"* ]]
}

@test "status: attached means exported (and says where); discovery sessions are listed" {
	build_target
	tctl /backstores/ramdisk create spare 1M
	probe_start discovery "$PORT" "$INI2"
	run tctl status
	[ "$status" -eq 0 ]
	echo "$output"
	[[ $output == *"storage fileio/disk0 $WORK/disk0.img: attached, 1 LUN reference(s)"* ]]
	[[ $output == *"  exported as /iscsi/$IQN/tpg1/luns/lun0"* ]]
	[[ $output == *"storage ramdisk/spare (memory): not attached (no LUN maps it), 0 LUN reference(s)"* ]]
	[[ $output == *"discovery session $INI2 from 127.0.0.1:"*", 1 connection(s)"* ]]
	run tctl --json status
	python3 -c '
import json, sys
st = json.loads(sys.argv[1])
d = st["discovery_sessions"]
assert len(d) == 1 and d[0]["type"] == "discovery" and d[0]["initiator"] == sys.argv[2], d
assert d[0]["connection_count"] == 1 and d[0]["address"].startswith("127.0.0.1:"), d
so = {s["name"]: s for s in st["storage"]}
assert so["spare"]["attached"] is False and so["spare"]["luns"] == [], so["spare"]
assert so["disk0"]["attached"] is True, so["disk0"]
assert so["disk0"]["luns"] == [{"target": sys.argv[3], "tpg": 1, "lun": 0}], so["disk0"]
' "$output" "$INI2" "$IQN"
	probe_finish
	local i
	for ((i = 0; i < 50; i++)); do
		run tctl status
		[[ $output != *"discovery session"* ]] && break
		sleep 0.1
	done
	[[ $output != *"discovery session"* ]]
}
