#!/usr/bin/env bash
# Tier 4, policy: the cluster configuration, checked offline.
#
# For every cluster description in cluster-config/examples/: tandem-config
# generates corosync.conf, the DRBD resources, the crm script and the pcs
# script; corosync -t and drbdadm dump accept them; the crm script (crmsh,
# CIB_file=) and the pcs script (pcs -f), each applied to the empty CIB of a
# running cluster, give the same CIB, and crm_verify finds it clean; then
# crm_simulate plays both nodes up, the loss of the active node, its return,
# and failing LUN monitors, and the transition graphs and resulting states
# are checked action by action. Also: the identity rules of tandem-config,
# the OCF meta-data stand-ins and fence_tandemlab.
#
# Nothing here talks to a cluster or the network (fence_tandemlab's test
# uses a stand-in switch on 127.0.0.1). Root is needed for a private mount
# namespace in which the built agents (BUILD/ocf/{target,lun,portal})
# and fence_tandemlab appear under /usr/lib/ocf/resource.d/tandem and
# /usr/sbin, which is where crm_resource (used by crmsh and pcs) looks for
# them; the machine's own directories are never written.
#
# crm_verify and crm_simulate do not need the agents' meta-data (they never
# run an agent); crmsh and pcs do, to check every parameter, and get it from
# crm_resource --show-metadata, which only looks under /usr/lib/ocf (it
# ignores OCF_ROOT): hence the namespace. The configuration is thus checked
# against the parameters the agents of this tree accept.
#
# pcs runs through pcs-batch.py (pcs imported once, each command in a forked
# child; several times faster); POLICY_REAL_PCS=1 runs /usr/sbin/pcs
# itself. POLICY_JOBS (default 2) examples are checked at a time.
#
# usage: tests/policy/run.sh [BUILD]      (writes BUILD/results/policy)
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
AGENTS=$(cd "$BUILD" 2>/dev/null && pwd)/ocf
. "$HERE/../lib/result.sh"
result_init policy

need=(crm pcs crm_simulate crm_verify crm_mon crm_attribute cibadmin
	crm_resource drbdadm corosync corosync-keygen xmllint python3 unshare ip
	fence_ipmilan fence_virsh)
missing=()
for t in "${need[@]}"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
[[ -x /usr/lib/drbd/drbdadm-84 ]] || missing+=(/usr/lib/drbd/drbdadm-84)
[[ -x /usr/lib/ocf/resource.d/linbit/drbd ]] || missing+=(ocf:linbit:drbd)
for t in target lun portal; do [[ -x $AGENTS/$t ]] || missing+=("$AGENTS/$t (run make)"); done
if [[ ${#missing[@]} -gt 0 ]]; then
	result_fail tools "missing: ${missing[*]} (run make deps)"
	result_write
	exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
	result_fail namespace "needs root for a private mount namespace"
	result_write
	exit 1
fi

T0=$SECONDS
T=$(mktemp -d /tmp/tandem-policy.XXXXXX)
trap 'rm -rf "$T"' EXIT
LOG=$T/log

# ------------------------------------------------------------- helpers
# record: the body runs in a private namespace and writes "PASS name" and
# "FAIL name why" lines; the outer shell counts them.
pass() { echo "PASS $1" >>"$LOG"; }
fail() { printf 'FAIL %s\t%s\n' "$1" "$(tr '\n\t' '  ' <<<"${2:-}")" >>"$LOG"; }
# check NAME CMD...: pass if CMD exits 0, else fail with its last output.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(tail -n 4 <<<"$out")"; fi
}

TC=$ROOT/cluster-config/tandem-config
# Debian's python3 (the tools' own); the stdlib is all these scripts need
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
SIM() { timeout 60 crm_simulate "$@"; }

# --------------------------------------------------------- body (namespace)
body() {
	set -u
	export HOME=$T/home XDG_CACHE_HOME=$T/home/.cache XDG_CONFIG_HOME=$T/home/.config
	mkdir -p "$HOME" "$T/ocf/tandem" "$T/sbin"
	hostname tandem-policy-test
	# the built agents and fence_tandemlab where crm_resource looks
	local a
	for a in target lun portal; do
		install -m 755 "$AGENTS/$a" "$T/ocf/tandem/$a"
	done
	install -m 755 "$ROOT/cluster-config/fence/fence_tandemlab" "$T/sbin/fence_tandemlab"
	mount -t overlay overlay -o "lowerdir=$T/ocf:/usr/lib/ocf/resource.d" /usr/lib/ocf/resource.d &&
	mount -t overlay overlay -o "lowerdir=$T/sbin:/usr/sbin" /usr/sbin &&
	mount -t tmpfs tmpfs /etc/corosync &&
	mount -t tmpfs tmpfs /var/log/corosync &&
	{ [[ ! -d /var/log/crmsh ]] || mount -t tmpfs -o mode=1777 tmpfs /var/log/crmsh; } || {
		fail namespace "cannot mount the stand-ins"; return; }
	corosync-keygen -l -k /etc/corosync/authkey >/dev/null 2>&1
	ip link set lo up

	# pcs, imported once (see pcs-batch.py), unless POLICY_REAL_PCS=1
	local srv=
	if [[ -z ${POLICY_REAL_PCS:-} ]]; then
		mkdir -p "$T/bin"
		printf '#!/bin/sh\nexec %s -Es %s/pcs-batch.py call %s/pcs.sock "$@"\n' \
			"$PY" "$HERE" "$T" >"$T/bin/pcs"
		chmod 755 "$T/bin/pcs"
		"$PY" -Es "$HERE/pcs-batch.py" serve "$T/pcs.sock" 2>"$T/pcs-batch.err" &
		srv=$!
		for a in $(seq 100); do [[ -S $T/pcs.sock ]] && break; sleep 0.1; done
		[[ -S $T/pcs.sock ]] && export PATH=$T/bin:$PATH ||
			fail "pcs-batch" "server did not start: $(tail -n 2 "$T/pcs-batch.err")"
	fi
	# two jobs at a time (a 2-core machine); each writes its own log, read
	# back in a fixed order
	local jobs=(common) ex n=0 j pids=() running
	for ex in "$ROOT"/cluster-config/examples/*.ini; do jobs+=("$ex"); done
	for j in "${jobs[@]}"; do
		n=$((n + 1))
		if [[ $j == common ]]; then
			(LOG=$T/log.$n; agents_checks; fence_checks; config_tool_checks) &
		else
			(LOG=$T/log.$n; example_checks "$j") &
		fi
		pids+=($!)
		while :; do
			running=0
			for a in "${pids[@]}"; do kill -0 "$a" 2>/dev/null && running=$((running + 1)); done
			[[ $running -lt ${POLICY_JOBS:-2} ]] && break
			sleep 0.2
		done
	done
	for a in "${pids[@]}"; do wait "$a"; done
	[[ -n $srv ]] && kill "$srv" 2>/dev/null
	return 0
}

agents_checks() {
	local a
	for a in target lun portal; do
		check "agent $a visible to crm_resource" bash -c "
			crm_resource --show-metadata ocf:tandem:$a | grep -q '<resource-agent name=\"$a\"'"
	done
}

fence_checks() {
	local F=$ROOT/cluster-config/fence/fence_tandemlab out rc
	check "fence_tandemlab -o metadata validates" bash -c "
		'$F' -o metadata | xmllint --noout --relaxng '$HERE/fence-metadata.rng' - &&
		for act in on off reboot status monitor list metadata; do
			'$F' -o metadata | xmllint --xpath \"//actions/action[@name='\$act']\" - >/dev/null || exit 1
		done"
	check "fence_tandemlab meta-data as Pacemaker reads it" bash -c "
		crm_resource --show-metadata stonith:fence_tandemlab | grep -q 'parameter name=\"plug\"' &&
		crm_resource --show-metadata stonith:fence_tandemlab | grep -q 'parameter name=\"ip\"'"
	# argument parsing: refusals
	local bad
	for bad in "-o off -n node1" "-o frobnicate -a 127.0.0.1 -n node1" "--no-such-option" \
		"-o off -a 127.0.0.1" "-o status -a 127.0.0.1 -n node1 -u 99999" \
		"-o status -a 127.0.0.1 -n node1 --shell-timeout=soon" "-o status -a"; do
		out=$("$F" $bad 2>&1 </dev/null); rc=$?
		if [[ $rc -eq 1 && $out == *fence_tandemlab:* ]]; then
			pass "fence_tandemlab refuses: $bad"
		else
			fail "fence_tandemlab refuses: $bad" "rc=$rc $out"
		fi
	done
	out=$(printf 'action=off\nip=127.0.0.1\nwhat=1\n' | "$F" 2>&1); rc=$?
	[[ $rc -eq 1 && $out == *"unknown parameter 'what'"* ]] &&
		pass "fence_tandemlab refuses unknown stdin parameter" ||
		fail "fence_tandemlab refuses unknown stdin parameter" "rc=$rc $out"
	out=$("$F" -h); rc=$?
	[[ $rc -eq 0 && $out == *--plug* ]] && pass "fence_tandemlab -h" || fail "fence_tandemlab -h" "rc=$rc"
	# a round trip against a stand-in switch on 127.0.0.1
	"$PY" "$HERE/fake-switch.py" "$T/switch.port" "$T/switch.log" node1=on node2=off &
	local sw=$! i port
	for i in $(seq 50); do [[ -s $T/switch.port ]] && break; sleep 0.1; done
	port=$(cat "$T/switch.port" 2>/dev/null)
	if [[ -z $port ]]; then
		fail "fence_tandemlab round trip" "stand-in switch did not start"
	else
		local ok=1 why=
		"$F" -o status -a 127.0.0.1 -u "$port" -n node1 >/dev/null; rc=$?
		[[ $rc -eq 0 ]] || { ok=0; why+="status on: rc $rc; "; }
		"$F" -o status -a 127.0.0.1 -u "$port" -n node2 >/dev/null; rc=$?
		[[ $rc -eq 2 ]] || { ok=0; why+="status off: rc $rc; "; }
		# Pacemaker's way: name=value on stdin, host in "port", its own pcmk_ keys ignored
		printf 'action=off\nport=node1\nip=127.0.0.1\nipport=%s\npcmk_host_list=node1\n' "$port" |
			"$F" >/dev/null; rc=$?
		[[ $rc -eq 0 ]] || { ok=0; why+="off via stdin: rc $rc; "; }
		"$F" -o status -a 127.0.0.1 -u "$port" -n node1 >/dev/null; rc=$?
		[[ $rc -eq 2 ]] || { ok=0; why+="node1 not off after off: rc $rc; "; }
		"$F" -o reboot -a 127.0.0.1 -u "$port" -n node1 >/dev/null; rc=$?
		[[ $rc -eq 0 ]] || { ok=0; why+="reboot: rc $rc; "; }
		out=$("$F" -o list -a 127.0.0.1 -u "$port")
		[[ $out == $'node1,\nnode2,' ]] || { ok=0; why+="list: $out; "; }
		"$F" -o off -a 127.0.0.1 -u "$port" -n nosuch >/dev/null 2>&1; rc=$?
		[[ $rc -eq 1 ]] || { ok=0; why+="unknown host: rc $rc; "; }
		grep -qx 'off node1' "$T/switch.log" && grep -qx 'on node1' "$T/switch.log" ||
			{ ok=0; why+="switch log: $(tr '\n' ';' <"$T/switch.log"); "; }
		[[ $ok -eq 1 ]] && pass "fence_tandemlab round trip (status/off/reboot/list)" ||
			fail "fence_tandemlab round trip (status/off/reboot/list)" "$why"
		kill "$sw" 2>/dev/null; wait "$sw" 2>/dev/null
		"$F" -o monitor -a 127.0.0.1 -u "$port" --shell-timeout=2 >/dev/null 2>&1; rc=$?
		[[ $rc -eq 1 ]] && pass "fence_tandemlab fails when the switch is gone" ||
			fail "fence_tandemlab fails when the switch is gone" "rc=$rc"
	fi
}

config_tool_checks() {
	local d=$T/tool out rc
	mkdir -p "$d"
	# new --from: a fresh copy gets identities of its own
	out=$("$TC" new --from two-node "$d/c.ini" 2>&1); rc=$?
	local w0 w1
	w0=$(grep -E '^(wwn|serial|shared_secret) =' "$ROOT/cluster-config/examples/two-node.ini" | sort)
	w1=$(grep -E '^(wwn|serial|shared_secret) =' "$d/c.ini" 2>/dev/null | sort)
	if [[ $rc -eq 0 && $(wc -l <<<"$w1") -eq 3 && -z $(comm -12 <(echo "$w0") <(echo "$w1")) ]]; then
		pass "tandem-config new --from gives new WWN, serial and secret"
	else
		fail "tandem-config new --from gives new WWN, serial and secret" "rc=$rc $out / $w1"
	fi
	# new again and generate never change what is there
	cp "$d/c.ini" "$d/c0.ini"
	"$TC" new "$d/c.ini" >/dev/null 2>&1 && "$TC" generate "$d/c.ini" -o "$d/g1" >/dev/null 2>&1 &&
		"$TC" generate "$d/c.ini" -o "$d/g2" >/dev/null 2>&1
	rc=$?
	if [[ $rc -eq 0 ]] && cmp -s "$d/c.ini" "$d/c0.ini" && diff -r "$d/g1" "$d/g2" >/dev/null; then
		pass "tandem-config new/generate leave identities alone; generate is repeatable"
	else
		fail "tandem-config new/generate leave identities alone; generate is repeatable" "rc=$rc"
	fi
	# a LUN added later gets identities; existing ones keep theirs
	printf '\n[lun added]\nresource = r0\nlun = 7\ndisk = /dev/vg_tandem/added\n' >>"$d/c.ini"
	out=$("$TC" generate "$d/c.ini" -o "$d/g3" 2>&1); rc=$?
	if [[ $rc -eq 1 && $out == *"[lun added] volume"* && $out == *"tandem-config new"* ]]; then
		pass "tandem-config generate refuses missing identities"
	else
		fail "tandem-config generate refuses missing identities" "rc=$rc $out"
	fi
	"$TC" new "$d/c.ini" >/dev/null 2>&1
	if diff <(grep -vE '^\s*$' "$d/c0.ini") <(sed '/^\[lun added\]/,$d' "$d/c.ini" | grep -vE '^\s*$') >/dev/null &&
		grep -q '^wwn = naa\.6001405[0-9a-f]\{25\}$' <(sed -n '/^\[lun added\]/,$p' "$d/c.ini") &&
		[[ $(grep -c '^minor = ' "$d/c.ini") -eq 2 ]] &&
		[[ $(grep '^minor = ' "$d/c.ini" | sort -u | wc -l) -eq 2 ]]; then
		pass "tandem-config new adds only the missing identities"
	else
		fail "tandem-config new adds only the missing identities" "$(diff "$d/c0.ini" "$d/c.ini" | head -5)"
	fi
	# refusals name the offending field
	local case want
	while IFS='|' read -r case want; do
		cp "$d/c0.ini" "$d/bad.ini"
		eval "$case"
		out=$("$TC" check "$d/bad.ini" 2>&1); rc=$?
		if [[ $rc -eq 1 && $out == *"$want"* ]]; then
			pass "tandem-config check refuses: $want"
		else
			fail "tandem-config check refuses: $want" "rc=$rc $out"
		fi
	done <<-'EOF'
	sed -i 's/^target_iqn = .*/target_iqn = not-an-iqn/' "$d/bad.ini"|[resource r0] target_iqn
	sed -i 's/^wwn = .*/wwn = naa.123/' "$d/bad.ini"|[lun vol0] wwn
	sed -i 's/^lun = 0/lun = x/' "$d/bad.ini"|[lun vol0] lun
	sed -i 's/^tpg_tag = 1/tpg_tag = 1\nbogus = 1/' "$d/bad.ini"|[resource r0] bogus
	sed -i '/^fence_agent/d' "$d/bad.ini"|[node san1] fence_agent
	sed -i 's/^preferred_node = .*/preferred_node = elsewhere/' "$d/bad.ini"|[resource r0] preferred_node
	sed -i 's#^portals = .*#portals = 192.168.10.300/24#' "$d/bad.ini"|[resource r0] portals
	printf '[lun dup]\nresource = r0\nlun = 0\ndisk = /dev/x\nvolume = 5\nminor = 9\nwwn = naa.60014050000000000000000000000001\nserial = abcdef\n' >>"$d/bad.ini"|[lun dup] lun
	printf '[arbitrator a]\ntype = drbd-diskless\naddresses = 192.168.10.13 10.10.10.13\n' >>"$d/bad.ini"|drbd_version = 9
	EOF
}

# ----------------------------------------------------------- one example
example_checks() {
	local ini=$1 ex w j out rc
	ex=$(basename "$ini" .ini)
	w=$T/ex/$ex
	mkdir -p "$w"
	if ! "$TC" show "$ini" >"$w/model.json" 2>"$w/err" ||
		! "$TC" generate "$ini" -o "$w/gen" >/dev/null 2>>"$w/err"; then
		fail "$ex: generate" "$(cat "$w/err")"
		return
	fi
	pass "$ex: generate"
	# the model, as shell variables
	eval "$("$PY" - "$w/model.json" <<-'PY'
	import json, shlex, sys
	m = json.load(open(sys.argv[1]))
	q = lambda v: shlex.quote(" ".join(v) if isinstance(v, list) else str(v))
	print("DATA=%s MEMBERS=%s THRESH=%s DRBDV=%s ARB=%s NSVC=%d" % (
	    q(m["data_nodes"]), q(m["members"]), m["migration_threshold"],
	    q(m["drbd_version"]), q(m["arbitrator"]["type"] if m["arbitrator"] else ""),
	    len(m["services"])))
	ids = {n: i + 1 for i, n in enumerate(m["members"])}
	print("NODEIDS=%s" % q(["%s=%s" % kv for kv in ids.items()]))
	for i, s in enumerate(m["services"]):
	    for k in ("drbd_resource", "primitive", "clone", "group", "target",
	              "preferred", "other", "luns", "portals", "members"):
	        print("S%d_%s=%s" % (i, k, q(s[k])))
	print("FENCE=%s" % q(["%s=%s" % (f["id"], f["node"]) for f in m["fence_devices"]]))
	PY
	)"
	corosync_checks "$ex" "$w"
	drbd_checks "$ex" "$w"
	cib_checks "$ex" "$w" || return
	sim_checks "$ex" "$w"
}

corosync_checks() {
	local ex=$1 w=$2 c=$2/gen/corosync.conf why= a
	# corosync -t wants to find itself in the nodelist: give this private
	# network namespace the first member's addresses
	for a in $(awk '/ring[0-9]_addr/ {print $2; n++} /^\s*}/ && n {exit}' "$c"); do
		ip addr add "$a" dev lo 2>/dev/null
	done
	: >/var/log/corosync/corosync.log
	timeout 20 corosync -c "$c" -t >"$w/corosync-t.out" 2>&1 ||
		why+="corosync -t: $(grep -m 2 error /var/log/corosync/corosync.log) "
	local nlinks
	nlinks=$(grep -c 'linknumber:' "$c")
	[[ $(grep -c 'ring0_addr' "$c") -eq $(wc -w <<<"$MEMBERS") ]] || why+="nodelist size; "
	[[ $(grep -c "ring$((nlinks - 1))_addr" "$c") -eq $(wc -w <<<"$MEMBERS") ]] || why+="links; "
	grep -q 'transport: knet' "$c" || why+="not knet; "
	case $ARB in
	"") grep -q 'two_node: 1' "$c" || why+="two_node missing; " ;;
	qnetd) grep -q 'model: net' "$c" && ! grep -qE '^\s*two_node:' "$c" || why+="qdevice; " ;;
	*) ! grep -qE '^\s*two_node:' "$c" || why+="two_node with 3 members; " ;;
	esac
	[[ -z $why ]] && pass "$ex: corosync.conf (corosync -t, links, quorum)" ||
		fail "$ex: corosync.conf (corosync -t, links, quorum)" "$why"
}

drbd_checks() {
	local ex=$1 w=$2 f dump why n
	n=0
	for f in "$w"/gen/drbd/*.res; do
		n=$((n + 1))
		why=
		if [[ $DRBDV == 8.4 ]]; then
			dump=$(timeout 20 /usr/lib/drbd/drbdadm-84 -c "$f" dump 2>"$w/drbd.err")
		else
			dump=$(DRBD_DRIVER_VERSION_OVERRIDE=9.2.0 timeout 20 drbdadm -c "$f" dump 2>"$w/drbd.err")
		fi || why+="drbdadm dump: $(tail -n 3 "$w/drbd.err") "
		grep -qiE 'error' "$w/drbd.err" && why+="$(head -n 3 "$w/drbd.err") "
		for want in "protocol[[:space:]]+C;" "fencing[[:space:]]+resource-and-stonith;" \
			"after-sb-0pri[[:space:]]+discard-zero-changes;" "after-sb-1pri[[:space:]]+consensus;" \
			"after-sb-2pri[[:space:]]+disconnect;" "on-io-error[[:space:]]+detach;" \
			"fence-peer[[:space:]]+/usr/lib/drbd/crm-fence-peer"; do
			grep -qE "$want" <<<"$dump" || why+="no '$want'; "
		done
		if [[ $DRBDV == 9 ]]; then
			grep -qE 'auto-promote[[:space:]]+no;' <<<"$dump" || why+="auto-promote; "
			grep -qE 'unfence-peer' <<<"$dump" || why+="unfence-peer; "
			[[ $ARB == drbd-diskless ]] && { grep -qE 'quorum[[:space:]]+majority;' <<<"$dump" &&
				grep -qE 'disk[[:space:]]+none;' <<<"$dump" || why+="tie-breaker; "; }
		else
			grep -qE 'after-resync-target[[:space:]]+/usr/lib/drbd/crm-unfence-peer.sh' <<<"$dump" || why+="unfence; "
		fi
		[[ -z $why ]] && pass "$ex: drbdadm $DRBDV dump $(basename "$f")" ||
			fail "$ex: drbdadm $DRBDV dump $(basename "$f")" "$why"
	done
	[[ $n -eq $NSVC ]] && pass "$ex: one DRBD file per resource" ||
		fail "$ex: one DRBD file per resource" "$n files, $NSVC resources"
}

# the empty CIB of a running, quorate cluster whose nodes are all up
seed_cib() {
	local f=$1 kv
	cibadmin --empty >"$f"
	for kv in $NODEIDS; do
		CIB_file=$f cibadmin -C -o nodes -X "<node id=\"${kv#*=}\" uname=\"${kv%%=*}\"/>" || return 1
	done
	local up=()
	for kv in $MEMBERS; do up+=(-u "$kv"); done
	SIM -x "$f" "${up[@]}" -q true -O "$f.tmp" >/dev/null && mv "$f.tmp" "$f"
}

cib_checks() {
	local ex=$1 w=$2 out rc
	seed_cib "$w/seed.xml" || { fail "$ex: seed CIB" "cibadmin/crm_simulate"; return 1; }
	cp "$w/seed.xml" "$w/crm.xml"
	cp "$w/seed.xml" "$w/pcs.xml"
	out=$(CIB_file=$w/crm.xml timeout 60 crm configure load update "$w/gen/cluster.crm" 2>&1); rc=$?
	if [[ $rc -eq 0 && $out != *ERROR* && $out != *WARNING* ]]; then
		pass "$ex: crm configure load update (CIB_file)"
	else
		fail "$ex: crm configure load update (CIB_file)" "rc=$rc $(head -n 4 <<<"$out")"
		return 1
	fi
	out=$(timeout 120 sh "$w/gen/cluster.pcs.sh" "$w/pcs.xml" 2>&1); rc=$?
	if [[ $rc -eq 0 && $out != *Error* ]]; then
		pass "$ex: pcs script (pcs -f)"
	else
		fail "$ex: pcs script (pcs -f)" "rc=$rc $(grep -m3 -i error <<<"$out")"
		return 1
	fi
	"$PY" "$HERE/cibnorm.py" "$w/crm.xml" >"$w/crm.norm"
	"$PY" "$HERE/cibnorm.py" "$w/pcs.xml" >"$w/pcs.norm"
	if diff -u "$w/crm.norm" "$w/pcs.norm" >"$w/norm.diff"; then
		pass "$ex: crm and pcs give equivalent CIBs"
	else
		fail "$ex: crm and pcs give equivalent CIBs" "$(head -n 12 "$w/norm.diff")"
	fi
	# complete: every resource of the model is in it, with stonith on
	local want=() i id why=
	for ((i = 0; i < NSVC; i++)); do
		eval "want+=(\$S${i}_primitive \$S${i}_clone \$S${i}_group \$S${i}_members)"
	done
	for i in $FENCE; do want+=("${i%%=*}"); done
	for id in ${want[@]}; do
		grep -qE "^ +(primitive|group|clone) .*id=\"$id\"" "$w/crm.norm" || why+="$id missing; "
	done
	grep -q 'name="stonith-enabled" value="true"' "$w/crm.norm" || why+="stonith not enabled; "
	[[ -z $why ]] && pass "$ex: CIB has every resource and stonith-enabled" ||
		fail "$ex: CIB has every resource and stonith-enabled" "$why"
	local which
	for which in crm pcs; do
		out=$(CIB_file=$w/$which.xml timeout 60 crm_verify -L -V 2>&1); rc=$?
		[[ $rc -eq 0 && -z $out ]] && pass "$ex: crm_verify -L -V clean ($which)" ||
			fail "$ex: crm_verify -L -V clean ($which)" "rc=$rc $(head -n 4 <<<"$out")"
	done
}

# promotion scores as DRBD's agent sets them on nodes with UpToDate data
scores() {
	local f=$1 i n
	for ((i = 0; i < NSVC; i++)); do
		for n in $DATA; do
			eval "CIB_file=\$f crm_attribute -N \$n -l reboot -n master-\$S${i}_primitive -v 10000" || return 1
		done
	done
}

# sim NAME IN OUT [crm_simulate args]: one transition; graph in OUT.graph,
# resulting placement in OUT.mon
sim() {
	local name=$1 in=$2 out=$3
	shift 3
	SIM -x "$in" -S -G "$out.graph" -O "$out" "$@" >"$out.txt" 2>&1 &&
		CIB_file=$out timeout 30 crm_mon -1 --output-as=xml >"$out.mon" 2>/dev/null
}

sim_checks() {
	local ex=$1 w=$2 s=$2/sim i
	mkdir -p "$s"
	cp "$w/crm.xml" "$s/start.xml"
	scores "$s/start.xml" || { fail "$ex: promotion scores" "crm_attribute"; return; }
	# 1. both nodes up: each service on its preferred node, in order
	local asserts=() p o tgt lun por luns
	sim up "$s/start.xml" "$s/up.xml" || { fail "$ex: both up" "crm_simulate failed"; return; }
	for ((i = 0; i < NSVC; i++)); do
		eval "p=\$S${i}_preferred o=\$S${i}_other d=\$S${i}_primitive tgt=\$S${i}_target luns=\$S${i}_luns por=\$S${i}_portals"
		asserts+=("on:$d:Promoted@$p" "on:$d:Unpromoted@$o" "on:$tgt@$p"
			"before:$d:promote@$p<$tgt:start@$p")
		for lun in $luns; do
			asserts+=("on:$lun@$p" "before:$tgt:start@$p<$lun:start@$p")
			for x in $por; do asserts+=("before:$lun:start@$p<$x:start@$p"); done
		done
		for x in $por; do asserts+=("on:$x@$p"); done
	done
	for x in $FENCE; do asserts+=("off:${x%%=*}@${x#*=}" "do:${x%%=*}:start@*"); done
	simcheck "$ex: both up: all on preferred nodes, promote->target->luns->portals" \
		--graph "$s/up.xml.graph" --state "$s/up.xml.mon" "${asserts[@]}"

	# 2. the node running service 0 dies: fenced first, then everything there
	eval "p=\$S0_preferred o=\$S0_other"
	scores "$s/up.xml"
	sim fail "$s/up.xml" "$s/fail.xml" --node-fail "$p" || { fail "$ex: node failure" "crm_simulate failed"; return; }
	asserts=("do:stonith@$p")
	for ((i = 0; i < NSVC; i++)); do
		eval "d=\$S${i}_primitive tgt=\$S${i}_target luns=\$S${i}_luns por=\$S${i}_portals pref=\$S${i}_preferred g=\$S${i}_members"
		asserts+=("on:$d:Promoted@$o" "off:$d@$p" "on:$tgt@$o")
		for x in $luns $por; do asserts+=("on:$x@$o"); done
		if [[ $pref == "$p" ]]; then
			asserts+=("before:stonith@$p<$d:promote@$o" "before:stonith@$p<$tgt:start@$o"
				"before:$d:promote@$o<$tgt:start@$o")
			for x in $luns; do asserts+=("before:stonith@$p<$x:start@$o" "before:$tgt:start@$o<$x:start@$o"); done
			for x in $por; do asserts+=("before:stonith@$p<$x:start@$o"); done
		else    # the other service (active/active) is left alone
			for x in $g; do asserts+=("quiet:$x"); done
		fi
	done
	simcheck "$ex: $p fails: fenced first, then promoted+started on $o" \
		--graph "$s/fail.xml.graph" --state "$s/fail.xml.mon" "${asserts[@]}"

	# 3. it comes back: nothing moves back (stickiness, no ping-pong)
	scores "$s/fail.xml"
	sim back "$s/fail.xml" "$s/back.xml" --node-up "$p" || { fail "$ex: node return" "crm_simulate failed"; return; }
	asserts=()
	for ((i = 0; i < NSVC; i++)); do
		eval "g=\$S${i}_members d=\$S${i}_primitive"
		asserts+=("on:$d:Promoted@$o" "on:$d:Unpromoted@$p" "dont:$d:demote@$o")
		for x in $g; do asserts+=("quiet:$x" "on:$x@$o"); done
	done
	simcheck "$ex: $p returns: services stay on $o" \
		--graph "$s/back.xml.graph" --state "$s/back.xml.mon" "${asserts[@]}"

	# 4. the first LUN's monitor fails: local recovery until the threshold
	eval "d=\$S0_primitive tgt=\$S0_target luns=\$S0_luns por=\$S0_portals"
	lun=${luns%% *}
	local k prev=$s/up.xml
	for ((k = 1; k <= THRESH; k++)); do
		sim "mon$k" "$prev" "$s/mon$k.xml" -i "${lun}_monitor_10000@$p=1" ||
			{ fail "$ex: lun monitor failure $k" "crm_simulate failed"; return; }
		prev=$s/mon$k.xml
		if [[ $k -lt $THRESH ]]; then
			asserts=("before:$lun:stop@$p<$lun:start@$p" "dont:$tgt:stop@$p"
				"dont:$d:demote@$p" "on:$lun@$p" "on:$tgt@$p" "on:$d:Promoted@$p")
			for x in $por; do asserts+=("before:$x:stop@$p<$lun:stop@$p" "before:$lun:start@$p<$x:start@$p" "on:$x@$p"); done
			simcheck "$ex: lun monitor failure $k/$THRESH: recovered on $p" \
				--graph "$s/mon$k.xml.graph" --state "$s/mon$k.xml.mon" "${asserts[@]}"
		else
			asserts=("before:$lun:stop@$p<$tgt:stop@$p" "before:$tgt:stop@$p<$d:demote@$p"
				"before:$d:demote@$p<$d:promote@$o" "before:$d:promote@$o<$tgt:start@$o"
				"before:$tgt:start@$o<$lun:start@$o" "on:$d:Promoted@$o" "on:$tgt@$o" "on:$lun@$o"
				"dont:stonith@$p")
			for x in $por; do asserts+=("before:$x:stop@$p<$lun:stop@$p" "before:$lun:start@$o<$x:start@$o" "on:$x@$o"); done
			simcheck "$ex: lun monitor failure $k/$THRESH: moved to $o in order" \
				--graph "$s/mon$k.xml.graph" --state "$s/mon$k.xml.mon" "${asserts[@]}"
		fi
	done
}

simcheck() {
	local name=$1 out
	shift
	if out=$("$PY" "$HERE/simcheck.py" "$@" 2>&1); then pass "$name"; else fail "$name" "$(head -n 6 <<<"$out")"; fi
}

# ------------------------------------------------------------------ run
export -f body agents_checks fence_checks config_tool_checks example_checks \
	corosync_checks drbd_checks seed_cib cib_checks scores sim sim_checks \
	simcheck pass fail check SIM
export T HERE ROOT TC LOG PY AGENTS
: >"$LOG"
timeout 110 unshare --mount --uts --net --propagation private bash -c body ||
	fail namespace "the checks stopped early (exit $?)"
for f in $(ls "$T"/log.* 2>/dev/null | sort -t. -k2 -n); do cat "$f" >>"$LOG"; done

while IFS= read -r line; do
	case $line in
	"PASS "*) result_pass "${line#PASS }" ;;
	"FAIL "*)
		rest=${line#FAIL }
		result_fail "${rest%%$'\t'*}" "$([[ $rest == *$'\t'* ]] && echo "${rest#*$'\t'}")"
		;;
	esac
done <"$LOG"
echo "policy: $((SECONDS - T0)) s"
result_write
