#!/usr/bin/env bash
# The two-node demo (make demo; docs/demo.md): start the lab, put a
# filesystem on the LU from the client and write to it, kill the active
# node mid-I/O, watch Pacemaker fence it and move the service, check the
# client carried on and every acknowledged write is intact. Exit 0 only
# when the data was verified. The lab is torn down at the end either way.
#
# Usage: tests/lab/demo.sh [--keep]   (--keep: leave the lab running)
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
LAB=$HERE/lab
KEEP=0
[[ ${1:-} == --keep ]] && KEEP=1
[[ $(id -u) == 0 ]] || lab_die "make demo needs root"
lab_t0=$(lab_now)
DEMO_T0=$SECONDS
LOG=$LAB_DIR/demo.log
mkdir -p "$LAB_DIR"
: >"$LOG"
MNT=/mnt/lu
VERIFIED=0

banner() { printf '\n=== %s\n' "$*"; }
finish() {
	local rc=$?
	if [[ $KEEP == 0 ]]; then
		banner "teardown"
		"$LAB" down || rc=1
	else
		lab_say "--keep: the lab is still running; tests/lab/lab down removes it"
	fi
	[[ $VERIFIED == 1 && $rc == 0 ]] || { echo "demo: FAILED (log: $LOG and $LAB_RUN)"; exit 1; }
	exit 0
}
trap finish EXIT

banner "1. the lab: two tandem nodes and a client (User-Mode Linux, private bridge)"
"$LAB" up || exit 1
. "$LAB_FILES/info"
DEV=/dev/disk/by-id/wwn-0x$LAB_NAA
UP_TIME=$(lab_since "$lab_t0")

active() {	# the node the service runs on, as the survivor's cluster sees it
	local n x
	for n in $LAB_NODES; do
		lab_running "$n" || continue
		x=$(lab_exec "$n" "crm_mon -1 -r" 30) || continue
		echo "$x" | awk '/portal_r0/ && /Started/ { print $NF; exit }'
		return
	done
}
ACTIVE=$(active)
[[ -n $ACTIVE ]] || lab_die "the service is not running anywhere"
SURVIVOR=$([[ $ACTIVE == node1 ]] && echo node2 || echo node1)

banner "2. the client: ext4 on the LU (by its WWN), a reference file, then steady acknowledged writes"
out=$(lab_exec client "set -e
	mkfs.ext4 -q -F $DEV
	mkdir -p $MNT && mount $DEV $MNT
	dd if=/dev/urandom of=$MNT/reference.bin bs=1M count=24 status=none conv=fsync
	sha256sum $MNT/reference.bin | cut -d' ' -f1 >/root/reference.sha
	rm -f /root/acks /root/stop
	setsid python3 /mnt/host/files/writer.py write $MNT/records /root/acks /root/stop 600 \
		>/root/writer.log 2>&1 </dev/null &
	sleep 4
	echo \"ext4 on \$(readlink -f $DEV), 24 MiB reference file sha256 \$(cut -c1-16 /root/reference.sha)...\"
	echo \"writer: \$(grep -c '^[0-9]' /root/acks) records acknowledged (4 KiB + fdatasync each)\"" 180) ||
	lab_die "client setup failed: $out"
echo "$out" | sed 's/^/  /'

banner "3. crash the active node $ACTIVE mid-I/O (SIGKILL of every process of the host, no clean shutdown)"
KILL_T=$(lab_now)
"$LAB" kill "$ACTIVE" >/dev/null || lab_die "could not kill $ACTIVE"
lab_say "$ACTIVE killed; watching the cluster from $SURVIVOR"

# follow the survivor's view until the portal runs there and the writer resumed
last="" FENCED_AT="" PROMOTED_AT="" STARTED_AT="" RESUMED_AT=""
end=$((SECONDS + 300))
while ((SECONDS < end)); do
	x=$(lab_exec "$SURVIVOR" "crm_mon -1 -r 2>/dev/null" 30) || x=""
	s=""
	echo "$x" | grep -q "UNCLEAN" && s="$ACTIVE lost (UNCLEAN), fencing it"
	if echo "$x" | grep -q "OFFLINE: \[ $ACTIVE \]"; then
		s="$ACTIVE fenced (OFFLINE)"
		[[ -n $FENCED_AT ]] || FENCED_AT=$(lab_since "$KILL_T")
	fi
	if echo "$x" | grep -q "Promoted: \[ $SURVIVOR \]\|drbd_r0.*Promoted $SURVIVOR"; then
		s="$s; DRBD Promoted on $SURVIVOR"
		[[ -n $PROMOTED_AT ]] || PROMOTED_AT=$(lab_since "$KILL_T")
	fi
	echo "$x" | grep -q "target_r0.*Started $SURVIVOR" && s="$s; target started"
	if echo "$x" | grep -q "portal_r0.*Started $SURVIVOR"; then
		s="$s; portal $LAB_VIP up on $SURVIVOR"
		[[ -n $STARTED_AT ]] || STARTED_AT=$(lab_since "$KILL_T")
	fi
	if [[ -n $STARTED_AT && -z $RESUMED_AT ]]; then
		p=$(lab_exec client "python3 /mnt/host/files/writer.py pause /root/acks $KILL_T" 30)
		if [[ $p == pause\ * ]] && awk -v r="$(echo "$p" | awk '{print $7}')" -v k="$KILL_T" 'BEGIN { exit !(r > k) }'; then
			RESUMED_AT=$(lab_since "$KILL_T")
			s="$s; client writing again"
		fi
	fi
	[[ -n $s && $s != "$last" ]] && lab_say "t+$(lab_since "$KILL_T")s: ${s#; }"
	last=$s
	[[ -n $RESUMED_AT ]] && break
	sleep 1
done
echo "  power switch log:"
grep -v listening "$LAB_RUN/fence-switch.log" | sed 's/^/    /'
[[ -n $RESUMED_AT ]] || lab_die "the client did not resume writing within 300 s"
lab_exec "$SURVIVOR" "crm_mon -1 -r" 30 | sed -n '/Node List/,$p' | sed 's/^/  /'

banner "4. the client carried on: stop the writer, remount, verify every acknowledged write"
sleep 3
out=$(lab_exec client "set -e
	touch /root/stop
	for i in \$(seq 100); do pgrep -f 'writer.py write' >/dev/null || break; sleep 0.1; done
	python3 /mnt/host/files/writer.py pause /root/acks $KILL_T
	umount $MNT
	echo 3 >/proc/sys/vm/drop_caches
	mount $DEV $MNT
	python3 /mnt/host/files/writer.py verify $MNT/records /root/acks
	s=\$(sha256sum $MNT/reference.bin | cut -d' ' -f1)
	[ \"\$s\" = \"\$(cat /root/reference.sha)\" ] && echo 'reference file: sha256 identical' || { echo 'reference file: sha256 DIFFERS'; exit 1; }
	iscsiadm -m session" 300)
rc=$?
echo "$out" | sed 's/^/  /'
echo "$out" >>"$LOG"
PAUSE=$(echo "$out" | awk '/^pause /{ print $2 }')
RECORDS=$(echo "$out" | awk '/^verified /{ print $2 }')
if [[ $rc == 0 ]] && echo "$out" | grep -q "^verified [0-9]* acknowledged records, 0 bad" &&
	echo "$out" | grep -q "sha256 identical"; then
	VERIFIED=1
fi

banner "summary"
row() { printf '  %-46s %s\n' "$1" "$2"; }
row "lab up (image, 3 UML hosts, DRBD, cluster, login):" "${UP_TIME} s"
row "crashed (active node) at t=0:" "$ACTIVE; survivor $SURVIVOR"
row "fenced by Pacemaker (fence_tandemlab):" "t+${FENCED_AT:-?} s"
row "DRBD promoted on $SURVIVOR:" "t+${PROMOTED_AT:-?} s"
row "target and portal started on $SURVIVOR:" "t+${STARTED_AT:-?} s"
row "failover time (I/O pause seen by the client):" "${PAUSE:-?} s"
row "acknowledged writes checked after failover:" "${RECORDS:-0} records + a 24 MiB reference file"
echo "  failover driven by Pacemaker: fencing, ocf:linbit:drbd and tandem's agents"
echo "  (ocf:tandem:target, lun, portal)"
if [[ $VERIFIED == 1 ]]; then
	echo "  RESULT: data verified (total $((SECONDS - DEMO_T0)) s)"
else
	echo "  RESULT: data NOT verified"
fi
