#!/usr/bin/env bats
# ocf:tandem:lun: parameters, a missing device, a stopped daemon, the
# DRBD role check (8.4 through /proc/drbd, 9 through drbdsetup's JSON;
# both faked over a loop device), every action and exit code, stop under
# I/O, ocf-tester.

load helpers

IQN=iqn.2026-01.org.tandem:agents.lun
SN=agentslun0001

setup_file() {
	agents_setup_file
	PORT=$(free_port)
	export PORT
	truncate -s 64M "$T/file0.img" "$T/loop.img" "$T/prstore.img" "$T/crm.img" "$T/tester.img"
	LOOP=$(losetup -f --show "$T/loop.img")
	echo "$LOOP" >"$T/loopdev"
	export LOOP
	# One LU identity a device: tandemd refuses a PR store written for
	# another LU (the loop device's tests share scsi_sn "onloop").
	# A DRBD seen through fake /proc files: the loop driver's major
	# stands in for DRBD's.
	printf 'Character devices:\n  1 mem\n\nBlock devices:\n  7 drbd\n' >"$T/devices"
	export MINOR=$(( 0x$(stat -c %T "$LOOP") ))
}
teardown_file() { agents_teardown_file; }
agents_cleanup_hook() {
	losetup -d "$(cat "$T/loopdev")"
}

lu() {	# lu ACTION [PARAM=VALUE...]: the file-backed LU
	local action=$1
	shift
	ra lun "$action" target_iqn="$IQN" lun=0 path="$T/file0.img" scsi_sn="$SN" "$@"
}

drbd84() {	# drbd84 ROLE: /proc/drbd as DRBD 8.4 shows the loop "minor"
	printf 'version: 8.4.11 (api:1/proto:86-101)\n%2d: cs:Connected ro:%s/Unknown ds:UpToDate/DUnknown C r-----\n    ns:0 nr:0 dw:0 dr:0\n' \
		"$MINOR" "$1" >"$T/proc-drbd"
}

tgt() {
	RA_INSTANCE=lun-target ra target "$1" iqn="$IQN" portals="127.0.0.1:$PORT"
}

@test "validate-all accepts good parameters" {
	lu validate-all scsi_id=naa.6001405aabbccddeeff0011223344556 vendor_id=ACME product_id="Disk 1" \
		emulate_tpu=true readonly=false pr_store="$T/prstore.img"
	assert_rc 0
}

@test "bad parameters: OCF_ERR_CONFIGURED naming the parameter" {
	for l in -1 16384 x ""; do
		ra lun validate-all target_iqn="$IQN" lun="$l" path="$T/file0.img"
		assert_rc 6
	done
	ra lun validate-all lun=0 path="$T/file0.img"
	assert_rc 6
	assert_reason "target_iqn is required"
	lu validate-all path=relative/disk
	assert_rc 6
	assert_reason "parameter path"
	lu validate-all scsi_sn="bad serial!"
	assert_rc 6
	assert_reason "parameter scsi_sn"
	lu validate-all scsi_id=naa.3ed691f52b1cfbec
	assert_rc 6
	assert_reason "locally assigned \\(type 3\\)"
	lu validate-all scsi_id=naa.6zz
	assert_rc 6
	lu validate-all vendor_id=NINECHARS
	assert_rc 6
	assert_reason "parameter vendor_id"
	lu validate-all product_id=seventeen-chars-x
	assert_rc 6
	lu validate-all pr_store=elsewhere
	assert_rc 6
	assert_reason "parameter pr_store"
	lu validate-all emulate_tpu=maybe
	assert_rc 6
	assert_reason "not a boolean"
}

@test "parameter combinations: OCF_ERR_CONFIGURED" {
	lu validate-all readonly=true
	assert_rc 6
	assert_reason "block devices only"
	ra lun validate-all target_iqn="$IQN" lun=0 path="$LOOP" readonly=true pr_store="$T/prstore.img"
	assert_rc 6
	assert_reason "no persistent reservations"
	lu validate-all pr_store="$T/file0.img"
	assert_rc 6
	assert_reason "is path itself"
	lu validate-all path=/dev/null
	assert_rc 6
}

@test "a missing device: validate-all and start OCF_ERR_INSTALLED, probe not running, stop succeeds" {
	lu validate-all path=/dev/tandem-no-such-device
	assert_rc 5
	assert_reason "/dev/tandem-no-such-device"
	lu start path=/dev/tandem-no-such-device
	assert_rc 5
	lu monitor path=/dev/tandem-no-such-device CRM_meta_interval=0
	assert_rc 7
	lu stop path=/dev/tandem-no-such-device
	assert_rc 0
	lu start pr_store=/dev/tandem-no-such-store
	assert_rc 5
	assert_reason "pr_store"
}

@test "a stopped daemon: start fails with the reason, a probe says not running, stop succeeds" {
	lu start
	assert_rc 1
	assert_reason "tandemd is not running.*ocf:tandem:target must start first"
	lu monitor
	assert_rc 7
	lu stop
	assert_rc 0
}

@test "a daemon that died under a running LU: the recurring monitor leaves it to the target's" {
	# Were it reported here, Pacemaker would restart the LUN alone into
	# no daemon, fail the start and move the service at the first crash.
	lu monitor CRM_meta_interval=10000
	assert_rc 0
	[[ $output == *"target's monitor reports it"* ]]
}

@test "a daemon without the target: start fails with the reason" {
	RA_INSTANCE=other-target ra target start iqn="$IQN.other" portals="127.0.0.1:$PORT"
	assert_rc 0
	lu start
	assert_rc 1
	assert_reason "serves no target $IQN"
	tgt start
	assert_rc 0
	RA_INSTANCE=other-target ra target stop iqn="$IQN.other" portals="127.0.0.1:$PORT"
	assert_rc 0
}

@test "a stop of something never started succeeds; monitor says not running" {
	lu stop
	assert_rc 0
	lu monitor
	assert_rc 7
	lu monitor OCF_CHECK_LEVEL=10
	assert_rc 7
}

@test "start attaches and maps the LU with its identity" {
	lu start vendor_id=ACME product_id=TandemDisk
	assert_rc 0
	run iscsi-inq -e 1 -c 128 "iscsi://127.0.0.1:$PORT/$IQN/0"
	assert_rc 0
	grep -q "$SN" <<<"$output"
	run iscsi-inq "iscsi://127.0.0.1:$PORT/$IQN/0"
	grep -q "Vendor:ACME" <<<"$output"
	grep -q "Product:TandemDisk" <<<"$output"
	# pr_store=internal: the last MiB holds the PR state, hidden.
	run iscsi-readcapacity16 -s "iscsi://127.0.0.1:$PORT/$IQN/0"
	assert_rc 0
	grep -qx "$((63 * 1024 * 1024))" <<<"$output"
}

@test "monitor at depth 0 and 10; depth 10 sees an identity that differs" {
	lu monitor vendor_id=ACME product_id=TandemDisk
	assert_rc 0
	lu monitor vendor_id=ACME product_id=TandemDisk OCF_CHECK_LEVEL=10
	assert_rc 0
	lu monitor vendor_id=OTHER product_id=TandemDisk OCF_CHECK_LEVEL=10
	assert_rc 1
	assert_reason "differs from the parameters in vendor_id"
}

@test "a double start succeeds" {
	lu start vendor_id=ACME product_id=TandemDisk
	assert_rc 0
	lu monitor vendor_id=ACME product_id=TandemDisk OCF_CHECK_LEVEL=10
	assert_rc 0
}

@test "PR state: a registration and reservation survive LU stop and start (flushed, then loaded)" {
	gcc -std=c11 -D_GNU_SOURCE -O2 -o "$T/prclient" "$BATS_TEST_DIRNAME/../pr/prclient.c" -liscsi
	url="iscsi://127.0.0.1:$PORT/$IQN/0"
	run "$T/prclient" -i iqn.1993-08.org.debian:01:pr "$url" register 1234
	assert_rc 0
	run "$T/prclient" -i iqn.1993-08.org.debian:01:pr "$url" reserve 1234 1
	assert_rc 0
	lu stop
	assert_rc 0
	lu start vendor_id=ACME product_id=TandemDisk
	assert_rc 0
	run "$T/prclient" -i iqn.1993-08.org.debian:01:pr "$url" keys
	echo "keys: $output"
	assert_rc 0
	grep -q "key 0x00000000000004d2" <<<"$output"
	run "$T/prclient" -i iqn.1993-08.org.debian:01:pr "$url" reservation
	echo "reservation: $output"
	assert_rc 0
	grep -q "0x00000000000004d2" <<<"$output"
	run "$T/prclient" -i iqn.1993-08.org.debian:01:pr "$url" release 1234 1
	assert_rc 0
}

@test "a second LU on the same LUN number is refused with OCF_ERR_CONFIGURED" {
	RA_INSTANCE=clash ra lun start target_iqn="$IQN" lun=0 path="$LOOP"
	assert_rc 6
	assert_reason "LUN 0 of $IQN is already /backstores/fileio/lun-test"
	RA_INSTANCE=clash ra lun monitor target_iqn="$IQN" lun=0 path="$LOOP"
	assert_rc 7
}

@test "DRBD 8.4 Secondary: start refuses with OCF_ERR_GENERIC and the role" {
	drbd84 Secondary
	RA_INSTANCE=onloop ra lun start target_iqn="$IQN" lun=1 path="$LOOP" scsi_sn=onloop \
		TANDEM_PROC_DEVICES="$T/devices" TANDEM_PROC_DRBD="$T/proc-drbd"
	assert_rc 1
	assert_reason "DRBD minor $MINOR in role Secondary, not Primary"
	RA_INSTANCE=onloop ra lun monitor target_iqn="$IQN" lun=1 path="$LOOP"
	assert_rc 7
}

@test "DRBD 8.4 Primary: start attaches; depth 10 notices a demotion" {
	drbd84 Primary
	RA_INSTANCE=onloop ra lun start target_iqn="$IQN" lun=1 path="$LOOP" scsi_sn=onloop \
		TANDEM_PROC_DEVICES="$T/devices" TANDEM_PROC_DRBD="$T/proc-drbd"
	assert_rc 0
	drbd84 Secondary
	RA_INSTANCE=onloop ra lun monitor target_iqn="$IQN" lun=1 path="$LOOP" scsi_sn=onloop OCF_CHECK_LEVEL=10 \
		TANDEM_PROC_DEVICES="$T/devices" TANDEM_PROC_DRBD="$T/proc-drbd"
	assert_rc 1
	assert_reason "role Secondary"
	RA_INSTANCE=onloop ra lun stop target_iqn="$IQN" lun=1 path="$LOOP"
	assert_rc 0
}

@test "DRBD 9 (role from drbdsetup status --json): Secondary refused, Primary attached" {
	printf 'version: 9.2.8 (api:2/proto:86-122)\n' >"$T/proc-drbd9"
	for role in Secondary Primary; do
		printf '#!/bin/sh\n[ "$*" = "status --json" ] || exit 2\necho '"'"'[{"name":"r0","role":"%s","devices":[{"volume":0,"minor":%d}]}]'"'"'\n' \
			"$role" "$MINOR" >"$T/drbdsetup"
		chmod +x "$T/drbdsetup"
		RA_INSTANCE=onloop ra lun start target_iqn="$IQN" lun=2 path="$LOOP" scsi_sn=onloop \
			TANDEM_PROC_DEVICES="$T/devices" TANDEM_PROC_DRBD="$T/proc-drbd9" \
			TANDEM_DRBDSETUP="$T/drbdsetup"
		if [[ $role == Secondary ]]; then
			assert_rc 1
			assert_reason "role Secondary"
		else
			assert_rc 0
		fi
	done
	RA_INSTANCE=onloop ra lun stop target_iqn="$IQN" lun=2 path="$LOOP"
	assert_rc 0
}

@test "stop under I/O: the LUN goes first, in-flight I/O drains, then the device closes" {
	RA_INSTANCE=onloop ra lun start target_iqn="$IQN" lun=3 path="$LOOP" scsi_sn=onloop
	assert_rc 0
	iscsi-perf -m 16 -n "iscsi://127.0.0.1:$PORT/$IQN/3" >"$T/perf.log" 2>&1 &
	perf=$!
	sleep 1
	RA_INSTANCE=onloop ra lun stop target_iqn="$IQN" lun=3 path="$LOOP"
	rc=$status
	kill "$perf" 2>/dev/null
	wait "$perf" 2>/dev/null || true
	[[ $rc -eq 0 ]] || { echo "$output"; false; }
	# The device is closed: tandemd no longer holds it open (O_EXCL).
	"$PY" -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL))' "$LOOP"
	RA_INSTANCE=onloop ra lun monitor target_iqn="$IQN" lun=3 path="$LOOP"
	assert_rc 7
}

@test "several LUs started and stopped at once all succeed (configuration races are retried)" {
	local i pids=()
	for i in 10 11 12 13 14 15 16 17; do
		truncate -s 16M "$T/par$i.img"
		( RA_INSTANCE=par$i ra lun start target_iqn="$IQN" lun=$i path="$T/par$i.img"
		  echo "$status" >"$T/par$i.rc"; echo "$output" >"$T/par$i.out" ) &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in 10 11 12 13 14 15 16 17; do
		[[ $(cat "$T/par$i.rc") == 0 ]] || { cat "$T/par$i.out"; false; }
		RA_INSTANCE=par$i ra lun monitor target_iqn="$IQN" lun=$i path="$T/par$i.img"
		assert_rc 0
	done
	pids=()
	for i in 10 11 12 13 14 15 16 17; do
		( RA_INSTANCE=par$i ra lun stop target_iqn="$IQN" lun=$i path="$T/par$i.img"
		  echo "$status" >"$T/par$i.rc"; echo "$output" >"$T/par$i.out" ) &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in 10 11 12 13 14 15 16 17; do
		[[ $(cat "$T/par$i.rc") == 0 ]] || { cat "$T/par$i.out"; false; }
		RA_INSTANCE=par$i ra lun monitor target_iqn="$IQN" lun=$i path="$T/par$i.img"
		assert_rc 7
	done
}

@test "crm_resource --force-start/--force-check/--force-stop as Pacemaker calls it" {
	export CIB_file=$T/cib.xml
	cibadmin --empty >"$CIB_file"
	crm_attribute -t crm_config -n stonith-enabled -v false
	cibadmin --create -o resources --xml-text "<primitive id=\"crmlu\" class=\"ocf\" provider=\"tandem\" type=\"lun\"><instance_attributes id=\"crmlu-ia\"><nvpair id=\"crmlu-i\" name=\"target_iqn\" value=\"$IQN\"/><nvpair id=\"crmlu-l\" name=\"lun\" value=\"4\"/><nvpair id=\"crmlu-p\" name=\"path\" value=\"$T/crm.img\"/></instance_attributes></primitive>"
	crm_force_cycle lun crmlu
}

@test "ocf-tester passes" {
	run ocf-tester -n tester_lun -o target_iqn="$IQN" -o lun=5 -o path="$T/tester.img" \
		"$AGENT_DIR/lun"
	echo "$output"
	assert_rc 0
}

@test "monitor after the daemon was killed: OCF_NOT_RUNNING; stop succeeds" {
	lu monitor vendor_id=ACME product_id=TandemDisk
	assert_rc 0
	kill_daemon KILL
	lu monitor vendor_id=ACME product_id=TandemDisk
	assert_rc 7
	lu stop
	assert_rc 0
}

@test "after the target restarts, start attaches the LU again; stop twice succeeds" {
	tgt start
	assert_rc 0
	lu start
	assert_rc 0
	lu monitor
	assert_rc 0
	lu stop
	assert_rc 0
	lu stop
	assert_rc 0
	lu monitor
	assert_rc 7
	tgt stop
	assert_rc 0
}
