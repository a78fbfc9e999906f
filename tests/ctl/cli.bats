#!/usr/bin/env bats
# Exit codes, machine output, one-shot and shell use.

load lib

setup() {
	ctl_setup
}

teardown() {
	ctl_teardown
}

@test "exit code 3 and the socket named when no tandemd answers" {
	run tctl ls
	[ "$status" -eq 3 ]
	[[ $output == *"tandemd is not running on $SOCK"* ]]
}

@test "exit code 2 names the bad argument; nothing is applied" {
	daemon_start
	run tctl /backstores/fileio create disk1 "$WORK/d1.img" sise=1G
	[ "$status" -eq 2 ]
	[[ $output == *"unknown argument 'sise'"* ]]
	run tctl /backstores/ramdisk create rd0 size=12Q
	[ "$status" -eq 2 ]
	[[ $output == *"size='12Q'"* ]]
	run tctl /backstores/ramdisk create rd0
	[ "$status" -eq 2 ]
	[[ $output == *"missing argument 'size'"* ]]
	run tctl /iscsi/iqn.2026-11.org.nope:x ls
	[ "$status" -eq 2 ]
	[[ $output == *"no such path /iscsi/iqn.2026-11.org.nope:x"* ]]
	run tctl /iscsi frobnicate
	[ "$status" -eq 2 ]
	[[ $output == *"unknown command 'frobnicate'"* ]]
	run tctl /backstores create x
	[ "$status" -eq 2 ]
	[[ $output == *"create: no such command at /backstores"* ]]
	run tctl --bogus ls
	[ "$status" -eq 2 ]
	run tctl ls /backstores/ramdisk
	[[ $output == *"[Storage Objects: 0]"* ]]
}

@test "exit code 1 carries tandemd's refusal" {
	daemon_start
	run tctl /backstores/block create b0 /dev/tandem-no-such-device
	[ "$status" -eq 1 ]
	[[ $output == *"/dev/tandem-no-such-device"* ]]
	run tctl ls /backstores/block
	[[ $output == *"[Storage Objects: 0]"* ]]
}

@test "--json output of ls, get and status is JSON" {
	daemon_start
	build_target
	run tctl --json ls
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
t = json.loads(sys.argv[1])
assert t["path"] == "/" and [c["name"] for c in t["children"]] == ["backstores", "iscsi"], t
' "$output"
	run tctl --json "/iscsi/$IQN/tpg1" get attribute authentication
	[ "$status" -eq 0 ]
	[ "$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["authentication"])' "$output")" = 0 ]
	run tctl --json status
	[ "$status" -eq 0 ]
	python3 -c 'import json, sys; json.loads(sys.argv[1])["storage"][0]["reads"]' "$output"
}

@test "commands piped to a bare tandemctl run in order; the first failure stops them" {
	daemon_start
	run tctl <<-EOF
	cd /backstores/ramdisk
	create rd0 8M
	pwd
	cd /iscsi
	create $IQN
	ls $IQN/tpg1 0
	EOF
	[ "$status" -eq 0 ]
	[[ $output == *"Created ramdisk rd0"* && $output == *"/backstores/ramdisk"* ]]
	[[ $output == *"o- tpg1 "* ]]
	run tctl <<-EOF
	/backstores/ramdisk create rd1 8M
	/backstores/ramdisk create rd1 8M
	/backstores/ramdisk create rd2 8M
	EOF
	[ "$status" -eq 2 ]
	run tctl ls /backstores/ramdisk
	[[ $output == *"o- rd1 "* && $output != *"o- rd2 "* ]]
}

@test "the interactive shell completes paths, commands and parameter names" {
	daemon_start
	build_target
	command -v script >/dev/null
	# Keys typed into a terminal, a tab after each partial word.
	run timeout 20 script -qec "$CTL_TANDEMCTL -s $SOCK" /dev/null < <(
		printf 'cd /isc\t'; sleep 0.3
		printf 'iq\t\n'; sleep 0.5
		printf 'pwd\n'; sleep 0.5
		printf 'cd tpg1\n'; sleep 0.5
		printf 'set attr\tgenerate_n\t1\n'; sleep 0.5
		printf 'exit\n'
	)
	[ "$status" -eq 0 ]
	[[ $output == *"/iscsi/$IQN"* ]]
	[[ $output == *"Parameter generate_node_acls is now '1'."* ]]
	run tctl "/iscsi/$IQN/tpg1" get attribute generate_node_acls
	[ "$output" = "generate_node_acls=1" ]
}

@test "tandemctl is valgrind-clean: no leak, no invalid access" {
	command -v valgrind >/dev/null
	# Always the plain build: valgrind and ASan do not mix.
	daemon_start
	build_target
	local vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99)
	run "${vg[@]}" "$CTL_BUILD/tandemctl" -s "$SOCK" ls
	[ "$status" -eq 0 ]
	run "${vg[@]}" "$CTL_BUILD/tandemctl" -s "$SOCK" "/iscsi/$IQN/tpg1" set attribute generate_node_acls=1
	[ "$status" -eq 0 ]
	run "${vg[@]}" "$CTL_BUILD/tandemctl" -s "$SOCK" --json status
	[ "$status" -eq 0 ]
	run "${vg[@]}" "$CTL_BUILD/tandemctl" -s "$SOCK" saveconfig "$WORK/vg.json"
	[ "$status" -eq 0 ]
	run "${vg[@]}" "$CTL_BUILD/tandemctl" -s "$SOCK" /backstores/fileio create bad
	[ "$status" -eq 2 ]
	run "${vg[@]}" "$CTL_BUILD/tandemctl" -s "$SOCK" restoreconfig "$WORK/vg.json" clear_existing
	[ "$status" -eq 0 ]
}

@test "two tandemctl editing at once both succeed: a conflict is retried on the new config" {
	daemon_start
	local a b rca=0 rcb=0
	(for i in 0 1 2 3 4 5 6 7; do tctl /backstores/ramdisk create "a$i" 1M || exit 1; done) \
		>"$WORK/a.out" 2>&1 3>&- &
	a=$!
	(for i in 0 1 2 3 4 5 6 7; do tctl /backstores/ramdisk create "b$i" 1M || exit 1; done) \
		>"$WORK/b.out" 2>&1 3>&- &
	b=$!
	wait "$a" || rca=$?
	wait "$b" || rcb=$?
	cat "$WORK/a.out" "$WORK/b.out"
	[ "$rca" -eq 0 ] && [ "$rcb" -eq 0 ]
	run tctl ls /backstores/ramdisk 1
	[[ $output == *"[Storage Objects: 16]"* ]]
}
