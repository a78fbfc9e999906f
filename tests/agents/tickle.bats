#!/usr/bin/env bats
# Failover of the portal between two nodes, each its own network
# namespace on a bridge in a third (the initiators'); no route out. Node A
# holds the portal and a connection, its monitor records it in the CIB
# (an offline CIB file both nodes share, standing in for Corosync's
# replication); A goes silent; portal start on node B tickles the
# recorded connection, and the initiator's socket is reset within a
# second. A connection made after the record is not tickled, and stays.

load helpers

VIP=10.234.0.100

setup_file() {
	agents_setup_file
	CL=tandem-agents-ini-$$ NA=tandem-agents-na-$$ NB=tandem-agents-nb-$$
	export CL NA NB
	for ns in "$CL" "$NA" "$NB"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	ip -n "$CL" link add br0 type bridge
	ip -n "$CL" addr add 10.234.0.1/24 dev br0
	ip -n "$CL" link set br0 up
	local n=11 node
	for node in "$NA" "$NB"; do
		ip -n "$CL" link add "v$n" type veth peer name eth0 netns "$node"
		ip -n "$CL" link set "v$n" master br0 up
		ip -n "$node" addr add "10.234.0.$n/24" dev eth0
		ip -n "$node" link set eth0 up
		n=$((n + 1))
	done
	export CIB_file=$T/cib.xml
	cibadmin --empty >"$CIB_file"
	cibadmin --create -o nodes --xml-text '<node id="1" uname="nodeA"/>'
	cibadmin --create -o nodes --xml-text '<node id="2" uname="nodeB"/>'
}
teardown_file() {
	local pid
	for pid in $(cat "$T"/*.pid 2>/dev/null); do kill "$pid" 2>/dev/null; done
	for ns in "$CL" "$NA" "$NB"; do ip netns del "$ns" 2>/dev/null; done
	agents_teardown_file
}

portal_on() {	# portal_on NETNS NODE ACTION [PARAM=VALUE...]
	local ns=$1 node=$2 action=$3
	shift 3
	RA_NETNS=$ns RA_INSTANCE=vip ra portal "$action" ip=$VIP cidr_netmask=24 nic=eth0 \
		CRM_meta_on_node="$node" "$@"
}

listen_on() {	# listen_on NETNS NAME
	ip netns exec "$1" "$PY" "$BATS_TEST_DIRNAME/tcp_listen.py" 0.0.0.0 3260 "$T/$2.ready" \
		>/dev/null 2>&1 3>&- &
	echo $! >"$T/$2.pid"
	for _ in $(seq 50); do [[ -e $T/$2.ready ]] && return 0; sleep 0.1; done
	return 1
}

connect_client() {	# connect_client NAME: an initiator connection to the portal
	ip netns exec "$CL" "$PY" "$BATS_TEST_DIRNAME/tcp_client.py" $VIP 3260 "$T/$1" \
		>/dev/null 2>&1 3>&- &
	echo $! >"$T/$1.pid"
	for _ in $(seq 50); do [[ -e $T/$1.port ]] && return 0; sleep 0.1; done
	return 1
}

@test "node A: portal started, a connection recorded by its monitor" {
	portal_on "$NA" nodeA start
	assert_rc 0
	listen_on "$NA" listenA
	connect_client early
	portal_on "$NA" nodeA monitor CRM_meta_interval=10000
	assert_rc 0
	run crm_attribute --type nodes --node nodeA --name tandem-portal-conns-vip --query
	assert_rc 0
	grep -q "value=10.234.0.1:$(cat "$T/early.port")" <<<"$output"
	# Made after the record: no node knows of it.
	connect_client late
}

@test "node A goes silent; portal start on node B resets the recorded connection within a second" {
	ip -n "$NA" link set eth0 down
	listen_on "$NB" listenB
	# Nothing has happened to either connection yet.
	sleep 0.5
	[[ ! -e $T/early && ! -e $T/late ]]
	t0=$(date +%s.%N)
	portal_on "$NB" nodeB start
	assert_rc 0
	for _ in $(seq 30); do [[ -e $T/early ]] && break; sleep 0.1; done
	[[ -e $T/early ]] || { echo "the recorded connection was not reset"; false; }
	read -r when what <"$T/early"
	echo "# recorded connection: $what $(echo "$when - $t0" | bc) s after portal start began" >&3
	[[ $what == reset ]]
	(( $(echo "$when - $t0 < 1.0" | bc) ))
	# The connection nobody recorded is still open: the reset above was
	# the tickle's doing, not anything else the failover did.
	sleep 1
	[[ ! -e $T/late ]]
}

@test "the initiator reconnects to the same address, now served by node B" {
	connect_client again
	portal_on "$NB" nodeB monitor CRM_meta_interval=10000
	assert_rc 0
	run crm_attribute --type nodes --node nodeB --name tandem-portal-conns-vip --query
	grep -q "10.234.0.1:$(cat "$T/again.port")" <<<"$output"
	portal_on "$NB" nodeB stop
	assert_rc 0
}
