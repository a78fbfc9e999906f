#!/usr/bin/env bash
# Test tier "lab" (make check-lab): boots the two-node lab (tests/lab/lab up),
# checks DRBD is Connected and UpToDate on both nodes, the cluster has both
# nodes online with DRBD promoted and the service group started on one node,
# fencing reaches the lab power switch, and the client sees the LU by its
# WWN and reads back what it wrote; then tears the lab down and checks that
# nothing is left. Usage: tests/lab/run.sh BUILD_DIR
set -uo pipefail
BUILD=${1:-build}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/result.sh"
. "$HERE/lib.sh"
result_init lab
T0=$SECONDS
LAB=$HERE/lab
LOG=$BUILD/lab
mkdir -p "$LOG"

finish() {
	local out
	if out=$("$LAB" down 2>&1); then
		result_pass "teardown leaves nothing (netns, cgroup, hosts, switch)"
	else
		result_fail "teardown leaves nothing" "$(echo "$out" | tail -1)"
	fi
	echo "lab: wall time $((SECONDS - T0)) s"
	result_write
	exit $?
}

check() {	# check NAME HOST 'command' : pass when the command succeeds in HOST
	local name=$1 host=$2 cmd=$3 out
	if out=$(lab_exec "$host" "$cmd" 120 2>&1); then
		result_pass "$name"
	else
		result_fail "$name" "$(echo "$out" | tail -3 | tr '\n' ' ')"
	fi
	echo "$out" >>"$LOG/checks.log"
}

# the Vagrant path, as far as a machine without VMs allows
if command -v vagrant >/dev/null && vagrant plugin list 2>/dev/null | grep -q vagrant-libvirt; then
	if out=$(cd "$LAB_REPO" && VAGRANT_DEFAULT_PROVIDER=libvirt vagrant validate 2>&1); then
		result_pass "Vagrantfile: vagrant validate (libvirt provider configuration)"
	else
		result_fail "Vagrantfile: vagrant validate" "$(echo "$out" | tail -3 | tr '\n' ' ')"
	fi
else
	result_fail "Vagrantfile: vagrant validate" "vagrant and vagrant-libvirt are not installed (make deps)"
fi

if [[ $(id -u) != 0 ]]; then
	result_fail "lab prerequisites" "needs root"
	result_write
	exit 1
fi
if [[ ! -x $LAB_UML ]] || ! command -v mmdebstrap >/dev/null; then
	result_fail "lab prerequisites" "user-mode-linux or mmdebstrap missing: make deps"
	result_write
	exit 1
fi
trap finish EXIT
: >"$LOG/checks.log"

t=$SECONDS
if "$LAB" up >"$LOG/up.log" 2>&1; then
	result_pass "lab up: 2 nodes + client booted, DRBD, cluster, CIB, login ($((SECONDS - t)) s)"
	sed -n 's/^\[lab *[0-9.]*s\] \(image: \|boot: \|drbd: \|cluster: \|cib: \|client: \)/  \1/p' "$LOG/up.log"
else
	result_fail "lab up" "see $LOG/up.log: $(grep ERROR "$LOG/up.log" | tail -1)"
	exit
fi
. "$LAB_FILES/info"

for n in $LAB_NODES; do
	check "drbd $LAB_RES on $n: Connected, UpToDate/UpToDate" "$n" \
		"grep -E 'cs:Connected .*ds:UpToDate/UpToDate' /proc/drbd"
done

# both nodes online, DRBD promoted on one node, the whole group there
check "cluster: both nodes online, DC elected, no failed actions" node1 '
	x=$(crm_mon -1 --output-as=xml)
	echo "$x" | grep -q "current_dc present=\"true\"" || exit 1
	[ "$(echo "$x" | grep -c "<node name=.* online=\"true\"")" = 2 ] || exit 1
	! echo "$x" | grep -q "<failure "'
where=$(lab_exec node1 "crm_mon -1 -r" 60 | awk '/Promoted: \[/ { print $4 }')
if [[ -n $where ]]; then
	check "resources on one node: $LAB_RES Promoted and $LAB_GROUP started on $where" node1 "
		x=\$(crm_mon -1 -r)
		echo \"\$x\" | grep -q 'Unpromoted: \[ $( [[ $where == node1 ]] && echo node2 || echo node1 ) \]' || exit 1
		n=\$(echo \"\$x\" | sed -n '/Resource Group: $LAB_GROUP/,/^ *\* [A-Z]/p' | grep -c 'Started $where')
		m=\$(echo \"\$x\" | sed -n '/Resource Group: $LAB_GROUP/,/^ *\* [A-Z]/p' | grep -c '(ocf:')
		[ \$n -ge 2 ] && [ \$n = \$m ]"
	check "tandemctl ls on $where: the target ocf:tandem:target built, with the LU on DRBD" "$where" "
		x=\$(tandemctl ls) && echo \"\$x\" | grep -q '$LAB_IQN' &&
		echo \"\$x\" | grep -q '$LAB_DRBD_DEV'"
else
	result_fail "resources on one node" "DRBD is not promoted anywhere"
fi
check "fencing: node1 can fence node2 (fence_node2), the lab power switch answers fence_tandemlab" node1 "
	stonith_admin --list node2 | grep -q fence_node2 &&
	fence_tandemlab -o status -a $LAB_SWITCH -n node2 | grep -q 'Status: ON'"

check "image: provisioned by image/provision.sh (fence_tandemlab, tandem-config, drbd not started at boot)" node1 "
	test -x /usr/sbin/fence_tandemlab && tandem-config check /usr/share/tandem/cluster-config/examples/lab.ini >/dev/null &&
	test -x /usr/sbin/tandemd && ! test -e /etc/systemd/system/multi-user.target.wants/drbd.service"

# the client: the LU by its WWN, INQUIRY identity, write and read back
DEV=/dev/disk/by-id/wwn-0x$LAB_NAA
check "client: logged in to $LAB_IQN through $LAB_VIP" client \
	"iscsiadm -m session | grep -q '$LAB_VIP:$LAB_PORT,1 $LAB_IQN'"
check "client: LU by WWN $DEV (INQUIRY TANDEM tandem, serial $LAB_SERIAL)" client "
	test -b $DEV && sg_inq $DEV | grep -q 'Vendor identification: TANDEM' &&
	sg_vpd -p sn $DEV | grep -q '$LAB_SERIAL' &&
	sg_vpd -p di $DEV | grep -qi '0x$LAB_NAA'"
check "client: 8 MiB written (O_DIRECT) and read back identical" client "
	dd if=/dev/urandom of=/tmp/pattern bs=1M count=8 status=none &&
	dd if=/tmp/pattern of=$DEV bs=1M oflag=direct status=none &&
	echo 3 >/proc/sys/vm/drop_caches &&
	dd if=$DEV bs=1M count=8 iflag=direct status=none | cmp - /tmp/pattern"
# SCSI-3 persistent reservations from the kernel initiator (sg_persist):
# register, reserve WRITE EXCLUSIVE - REGISTRANTS ONLY, read them back,
# release and unregister; the PR state lives in the LU's internal store.
check "client: sg_persist registers, reserves (WE-RO), reads keys and reservation back, releases" client "
	sg_persist -n --out --register --param-sark=0x7a11 $DEV &&
	sg_persist -n --out --reserve --param-rk=0x7a11 --prout-type=5 $DEV &&
	sg_persist -n --in --read-keys $DEV | grep -q '0x7a11' &&
	sg_persist -n --in --read-reservation $DEV | grep -q 'Key=0x7a11' &&
	sg_persist -n --in --read-reservation $DEV | grep -qi 'registrants only' &&
	sg_persist -n --out --release --param-rk=0x7a11 --prout-type=5 $DEV &&
	sg_persist -n --out --register --param-rk=0x7a11 --param-sark=0 $DEV &&
	sg_persist -n --in --read-keys $DEV | grep -q 'there are NO registered reservation keys'"
check "the secondary refuses to serve: DRBD device not writable there" \
	"$( [[ $where == node1 ]] && echo node2 || echo node1 )" \
	"! dd if=/dev/zero of=$LAB_DRBD_DEV bs=4k count=1 oflag=direct status=none 2>/dev/null"
