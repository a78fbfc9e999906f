#!/usr/bin/env bats
# saveconfig / restart / restoreconfig, and targetcli-fb's own dumps.

load lib

setup() {
	ctl_setup
}

teardown() {
	ctl_teardown
}

@test "save, restart tandemd from the saved file, and ls shows the same tree" {
	daemon_start
	build_target
	tctl "/iscsi/$IQN/tpg1/acls/$INI1" set auth userid=client1 password=client1-secret-12
	tctl "/iscsi/$IQN/tpg1" set attribute authentication=1
	tctl "/iscsi/$IQN/tpg1" set parameter MaxRecvDataSegmentLength=65536
	run tctl saveconfig
	[ "$status" -eq 0 ]
	[ "$output" = "Configuration saved to $CFG" ]
	tctl ls >"$WORK/before.txt"
	tctl --json ls >"$WORK/before.json"
	daemon_stop
	daemon_start "$CFG"
	wait_port "$PORT"
	tctl ls >"$WORK/after.txt"
	tctl --json ls >"$WORK/after.json"
	diff -u "$WORK/before.txt" "$WORK/after.txt"
	diff -u "$WORK/before.json" "$WORK/after.json"
	grep -q "o- lun1 " "$WORK/after.txt"
	run tctl "/iscsi/$IQN/tpg1" get parameter MaxRecvDataSegmentLength
	[ "$output" = "MaxRecvDataSegmentLength=65536" ]
	run readcap "$INI1" 0 client1%client1-secret-12
	[ "$status" -eq 0 ]
}

@test "saveconfig writes atomically, mode 0600, and keeps the newest 10 backups" {
	daemon_start
	local f=$WORK/etc/saveconfig.json i
	mkdir -p "$WORK/etc"
	tctl saveconfig "$f"
	[ "$(stat -c %a "$f")" = 600 ]
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$f"
	# Saving what is already there makes no backup.
	tctl saveconfig "$f"
	[ ! -d "$WORK/etc/backup" ] || [ -z "$(ls -A "$WORK/etc/backup")" ]
	for ((i = 0; i < 12; i++)); do
		tctl /backstores/ramdisk create "r$i" 1M >/dev/null
		tctl saveconfig "$f" >/dev/null
	done
	[ "$(ls "$WORK/etc/backup" | wc -l)" -eq 10 ]
	# The newest backup is the config before the last change.
	local newest
	newest=$(ls "$WORK/etc/backup" | sort | tail -n 1)
	grep -q '"r10"' "$WORK/etc/backup/$newest"
	run grep -q '"r11"' "$WORK/etc/backup/$newest"
	[ "$status" -eq 1 ]
	grep -q '"r11"' "$f"
	# No temporary file is left behind.
	[ -z "$(find "$WORK/etc" -name '.saveconfig.json.*')" ]
	run tctl saveconfig "$WORK/no/such/dir/x.json"
	[ "$status" -eq 1 ]
	[[ $output == *"$WORK/no/such/dir"* ]]
}

# The fixture as targetcli-fb writes it, pointed at this machine's devices
# and at two portals on 127.0.0.1.
localize_fixture() {
	local out=$1 src=$2
	PORT2=$(target_free_port)
	while [[ $PORT2 == "$PORT" ]]; do PORT2=$(target_free_port); done
	truncate -s 32M "$WORK/block0.img"
	LOOPDEV=$(losetup -f --show "$WORK/block0.img")
	python3 - "$src" "$out" "$LOOPDEV" "$WORK/file0.img" "$PORT" "$PORT2" <<-'EOF'
	import json, sys
	src, out, blockdev, filedev, p1, p2 = sys.argv[1:]
	cfg = json.load(open(src))
	for so in cfg["storage_objects"]:
	    if so["plugin"] == "block":
	        so["dev"] = blockdev
	    elif so["plugin"] == "fileio":
	        so["dev"] = filedev
	portals = cfg["targets"][0]["tpgs"][0]["portals"]
	portals[0].update(ip_address="127.0.0.1", port=int(p1))
	portals[1].update(ip_address="127.0.0.1", port=int(p2))
	json.dump(cfg, open(out, "w"), indent=2, sort_keys=True)
	EOF
}

TCLI_IQN=iqn.2003-01.org.linux-iscsi.storage1.x8664:sn.4f2a6c8e0b1d

@test "a targetcli-fb saveconfig.json loads unchanged and serves block, fileio and ramdisk" {
	localize_fixture "$WORK/lio.json" "$BATS_TEST_DIRNAME/fixtures/targetcli-fb.json"
	daemon_start "$WORK/lio.json"
	wait_port "$PORT"
	wait_port "$PORT2"
	run tctl ls
	[ "$status" -eq 0 ]
	[[ $output == *"o- block0 "*"[$LOOPDEV (32.0MiB) write-thru activated]"* ]]
	[[ $output == *"o- file0 "*"write-back activated]"* ]]
	[[ $output == *"o- ram0 "*"[(32.0MiB) activated]"* ]]
	[[ $output == *"o- tpg1 "*"[no-gen-acls, auth per-acl]"* ]]
	[[ $output == *"o- iqn.1994-05.com.redhat:client2 "*"[mutual auth, Mapped LUNs: 1]"* ]]
	[[ $output == *"o- mapped_lun2 "*"[lun2 ramdisk/ram0 (ro)]"* ]]
	[[ $output == *"o- 127.0.0.1:$PORT2 "*"[OK]"* ]]
	local lun
	for lun in 0 1 2; do
		run timeout 20 iscsi-readcapacity16 -i iqn.1994-05.com.redhat:client1 \
			"iscsi://client1%client1-secret-12@127.0.0.1:$PORT2/$TCLI_IQN/$lun"
		[ "$status" -eq 0 ]
	done
	run timeout 20 iscsi-readcapacity16 -i iqn.1994-05.com.redhat:client1 \
		"iscsi://client1%wrong-secret-000@127.0.0.1:$PORT/$TCLI_IQN/0"
	[ "$status" -ne 0 ]
}

@test "restoreconfig refuses unsupported objects one by one and keeps the rest" {
	localize_fixture "$WORK/mixed.json" "$BATS_TEST_DIRNAME/fixtures/targetcli-fb-mixed.json"
	daemon_start
	run tctl restoreconfig "$WORK/mixed.json"
	[ "$status" -eq 0 ]
	echo "$output"
	[[ $output == *"Refused storage_objects[3] (/backstores/pscsi/tape0): "*"pscsi"* ]]
	[[ $output == *"Refused targets[1] (loopback target naa.5001405a1b2c3d4e): "*"loopback"* ]]
	[ "$(grep -c '^Refused ' <<<"$output")" -eq 2 ]
	[[ $output == *"Configuration restored from $WORK/mixed.json"* ]]
	run tctl ls
	[[ $output == *"o- block0 "* && $output == *"o- file0 "* && $output == *"o- ram0 "* ]]
	[[ $output == *"o- $TCLI_IQN "* && $output == *"[ACLs: 2]"* && $output == *"[Portals: 2]"* ]]
	wait_port "$PORT2"
	run timeout 20 iscsi-readcapacity16 -i iqn.1994-05.com.redhat:client1 \
		"iscsi://client1%client1-secret-12@127.0.0.1:$PORT/$TCLI_IQN/1"
	[ "$status" -eq 0 ]
	# Without clear_existing a non-empty config is left alone (rtslib's rule).
	run tctl restoreconfig "$WORK/mixed.json"
	[ "$status" -eq 2 ]
	[[ $output == *"not restoring"* ]]
	run tctl restoreconfig "$WORK/mixed.json" clear_existing
	[ "$status" -eq 0 ]
	run tctl restoreconfig "$WORK/nonexistent.json" clear_existing
	[ "$status" -eq 2 ]
	[[ $output == *"savefile='$WORK/nonexistent.json'"* ]]
	run tctl clearconfig confirm=true
	[ "$status" -eq 0 ]
	run tctl ls /iscsi
	[[ $output == *"[Targets: 0]"* ]]
}
