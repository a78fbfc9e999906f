#!/usr/bin/env bats
# ocf:tandem:portal in two network namespaces this file creates (the node
# and a peer on the same link, no route out): parameters, every action and
# exit code, announcements seen by the peer, the port gate, the connection
# record, IPv6, ocf-tester and crm_resource.

load helpers

setup_file() {
	agents_setup_file
	NS=tandem-agents-portal-$$
	PEER=tandem-agents-peer-$$
	export NS PEER RA_NETNS=$NS
	ip netns add "$NS"
	ip netns add "$PEER"
	ip -n "$NS" link set lo up
	ip -n "$PEER" link set lo up
	ip -n "$NS" link add p0 type veth peer name p1 netns "$PEER"
	ip -n "$NS" addr add 10.233.0.1/24 dev p0
	ip -n "$NS" addr add fd00:233::1/64 dev p0 nodad
	ip -n "$PEER" addr add 10.233.0.2/24 dev p1
	ip -n "$PEER" addr add fd00:233::2/64 dev p1 nodad
	# IPv6 addresses would go with the link in the link-down test.
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.p0.keep_addr_on_down=1
	ip -n "$NS" link set p0 up
	ip -n "$PEER" link set p1 up
	# The connection record goes to an offline CIB both "nodes" share.
	export CIB_file=$T/cib.xml
	cibadmin --empty >"$CIB_file"
	cibadmin --create -o nodes --xml-text '<node id="1" uname="nodeA"/>'
	mkdir -p "$T/tickle" "$T/emptybin" "$T/slowbin"
}
teardown_file() {
	local pid
	for pid in $(cat "$T"/*.pid 2>/dev/null); do kill "$pid" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	ip netns del "$PEER" 2>/dev/null
	agents_teardown_file
}

pt() {	# pt ACTION [PARAM=VALUE...]
	local action=$1
	shift
	ra portal "$action" ip=10.233.0.100 cidr_netmask=24 nic=p0 port=3260 CRM_meta_on_node=nodeA "$@"
}

addr_count() {	# addr_count ADDR: how many times the node has it
	ip -n "$NS" -o addr show | grep -c " $1/" || true
}

@test "validate-all accepts good parameters" {
	pt validate-all arp_count=3 arp_interval=100 tickle_dir="$T/tickle"
	assert_rc 0
	ra portal validate-all ip=10.233.0.100
	assert_rc 0
	ra portal validate-all ip=10.233.0.100 cidr_netmask=255.255.255.0
	assert_rc 0
}

@test "bad parameters: OCF_ERR_CONFIGURED naming the parameter" {
	ra portal validate-all
	assert_rc 6
	assert_reason "ip is required"
	for ip in 300.1.1.1 somehost 224.0.0.5 0.0.0.0 ff02::1 ::; do
		ra portal validate-all ip=$ip nic=p0
		assert_rc 6
		assert_reason "parameter ip"
	done
	for m in 0 33 255.0.255.0 x; do
		pt validate-all cidr_netmask=$m
		assert_rc 6
		assert_reason "cidr_netmask"
	done
	for p in 0 65536 http; do
		pt validate-all port=$p
		assert_rc 6
		assert_reason "parameter port"
	done
	pt validate-all nic=a/b
	assert_rc 6
	pt validate-all arp_count=0
	assert_rc 6
	pt validate-all arp_interval=1
	assert_rc 6
	pt validate-all tickle_dir=relative/dir
	assert_rc 6
	assert_reason "tickle_dir"
}

@test "node-local problems: OCF_ERR_INSTALLED (the other node may be fine)" {
	pt validate-all nic=nosuch0
	assert_rc 5
	assert_reason "nosuch0 does not exist"
	ra portal validate-all ip=192.0.2.7
	assert_rc 5
	assert_reason "set nic"
	pt validate-all PATH="$T/emptybin"
	assert_rc 5
	assert_reason "nftables"
	pt start nic=nosuch0
	assert_rc 5
}

@test "probe and monitor of a stopped portal: OCF_NOT_RUNNING; a stop of one never started succeeds" {
	pt monitor CRM_meta_interval=0
	assert_rc 7
	pt monitor nic=nosuch0 CRM_meta_interval=0
	assert_rc 7
	pt stop
	assert_rc 0
	pt monitor OCF_CHECK_LEVEL=10
	assert_rc 7
}

@test "start adds the address, announces it to the peer, leaves no gate" {
	mac=$(ip -n "$NS" -o link show p0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	ip -n "$PEER" neigh replace 10.233.0.100 lladdr 02:00:00:00:00:01 dev p1 nud stale
	pt start arp_count=2 arp_interval=50
	assert_rc 0
	[[ $(addr_count 10.233.0.100) -eq 1 ]]
	ip -n "$NS" -o addr show dev p0 | grep -q "inet 10.233.0.100/24"
	# Gratuitous ARP replaced the peer's stale entry with this node's MAC.
	ip -n "$PEER" neigh show 10.233.0.100 dev p1 | grep -q "lladdr $mac"
	run ip netns exec "$NS" nft list tables
	! grep -q tandem_gate <<<"$output"
}

@test "monitor at depth 0 and 10 after start" {
	pt monitor
	assert_rc 0
	pt monitor OCF_CHECK_LEVEL=10
	assert_rc 0
}

@test "a double start succeeds and adds nothing" {
	pt start
	assert_rc 0
	[[ $(addr_count 10.233.0.100) -eq 1 ]]
}

@test "monitor records the initiators' connections in the CIB and in tickle_dir" {
	ip netns exec "$NS" "$PY" "$BATS_TEST_DIRNAME/tcp_listen.py" 10.233.0.100 3260 "$T/listen.ready" >/dev/null 2>&1 3>&- &
	echo $! >"$T/listen.pid"
	for _ in $(seq 50); do [[ -e $T/listen.ready ]] && break; sleep 0.1; done
	ip netns exec "$PEER" "$PY" "$BATS_TEST_DIRNAME/tcp_client.py" 10.233.0.100 3260 "$T/c1" >/dev/null 2>&1 3>&- &
	echo $! >"$T/c1.pid"
	for _ in $(seq 50); do [[ -e $T/c1.port ]] && break; sleep 0.1; done
	cport=$(cat "$T/c1.port")
	pt monitor tickle_dir="$T/tickle" CRM_meta_interval=10000
	assert_rc 0
	run crm_attribute --type nodes --node nodeA --name tandem-portal-conns-portal-test --query
	assert_rc 0
	grep -q "value=10.233.0.2:$cport" <<<"$output"
	grep -qx "10.233.0.100:3260	10.233.0.2:$cport" "$T/tickle/10.233.0.100"
	# A probe records nothing; an unchanged list is not written again.
	pt monitor CRM_meta_interval=0
	assert_rc 0
	grep -q "$cport" "$TANDEM_RUN_DIR/portal-portal-test.conns"
}

@test "the link going down fails monitor; up again it passes" {
	ip -n "$NS" link set p0 down
	pt monitor
	ip -n "$NS" link set p0 up
	assert_rc 1
	assert_reason "interface down"
	for _ in $(seq 50); do pt monitor; [[ $status -eq 0 ]] && break; sleep 0.1; done
	assert_rc 0
}

@test "the address on another interface: start and monitor fail" {
	pt stop
	assert_rc 0
	ip -n "$NS" addr add 10.233.0.100/32 dev lo
	pt start
	assert_rc 1
	assert_reason "already on interface"
	pt monitor
	assert_rc 1
	assert_reason "not on p0"
	ip -n "$NS" addr del 10.233.0.100/32 dev lo
}

@test "stop removes the address and leaves no gate; a second stop succeeds" {
	pt start
	assert_rc 0
	pt stop
	assert_rc 0
	[[ $(addr_count 10.233.0.100) -eq 0 ]]
	run ip netns exec "$NS" nft list tables
	! grep -q tandem_gate <<<"$output"
	pt stop
	assert_rc 0
	pt monitor
	assert_rc 7
}

@test "IPv6: start, unsolicited NA seen by the peer, monitor, stop" {
	mac=$(ip -n "$NS" -o link show p0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	ip -n "$PEER" neigh replace fd00:233::100 lladdr 02:00:00:00:00:01 dev p1 nud stale
	RA_INSTANCE=p6 ra portal start ip=fd00:233::100 cidr_netmask=64 arp_count=2 arp_interval=50
	assert_rc 0
	ip -n "$NS" -o addr show dev p0 | grep -q "inet6 fd00:233::100/64"
	ip -n "$PEER" neigh show fd00:233::100 dev p1 | grep -q "lladdr $mac"
	RA_INSTANCE=p6 ra portal monitor ip=fd00:233::100 cidr_netmask=64 OCF_CHECK_LEVEL=10
	assert_rc 0
	RA_INSTANCE=p6 ra portal stop ip=fd00:233::100 cidr_netmask=64
	assert_rc 0
	[[ $(addr_count fd00:233::100) -eq 0 ]]
}

@test "start never outlives its timeout, however many announcements are asked for" {
	t0=$(date +%s%N)
	pt start arp_count=100 arp_interval=5000 CRM_meta_timeout=3000
	t1=$(date +%s%N)
	assert_rc 0
	(( (t1 - t0) / 1000000 < 3000 ))
	pt stop
	assert_rc 0
}

@test "while start moves the address, the port is gated: SYNs are dropped, not refused" {
	# A cibadmin that takes its time holds start inside its gated window
	# (reading the connection record); nothing listens on port 3261, so
	# an ungated SYN would be refused at once.
	printf '#!/bin/sh\nsleep 3\nexit 105\n' >"$T/slowbin/cibadmin"
	chmod +x "$T/slowbin/cibadmin"
	pt start port=3261 PATH="$T/slowbin:$PATH" &
	starter=$!
	for _ in $(seq 50); do
		ip netns exec "$NS" nft list tables 2>/dev/null | grep -q tandem_gate && break
		sleep 0.05
	done
	run ip netns exec "$NS" nft list tables
	grep -q tandem_gate <<<"$output"
	run ip netns exec "$PEER" timeout 1 "$PY" -c 'import socket; socket.create_connection(("10.233.0.100", 3261), timeout=0.8)'
	gated=$output
	wait "$starter"
	[[ $gated == *"timed out"* ]] || { echo "gated SYN: $gated"; false; }
	run ip netns exec "$PEER" timeout 1 "$PY" -c 'import socket; socket.create_connection(("10.233.0.100", 3261), timeout=0.8)'
	[[ $output == *"Connection refused"* ]] || { echo "open port: $output"; false; }
	pt monitor port=3261 OCF_CHECK_LEVEL=10
	assert_rc 0
	pt stop
	assert_rc 0
}

@test "crm_resource --force-start/--force-check/--force-stop as Pacemaker calls it" {
	cibadmin --create -o resources --xml-text '<primitive id="crmportal" class="ocf" provider="tandem" type="portal"><instance_attributes id="crmportal-ia"><nvpair id="crmportal-ip" name="ip" value="10.233.0.101"/><nvpair id="crmportal-nm" name="cidr_netmask" value="24"/></instance_attributes></primitive>'
	crm_attribute -t crm_config -n stonith-enabled -v false
	crm_force_cycle portal crmportal "$NS"
}

@test "ocf-tester passes (in the namespace)" {
	run ip netns exec "$NS" ocf-tester -n tester_portal -o ip=10.233.0.102 -o cidr_netmask=24 \
		-o CRM_meta_on_node=nodeA "$AGENT_DIR/portal"
	echo "$output"
	assert_rc 0
	[[ $(addr_count 10.233.0.102) -eq 0 ]]
}
