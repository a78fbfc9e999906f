# shellcheck shell=bash
# Failover scenarios about what the clients keep (sourced by
# tests/failover/run.sh): SCSI-3 persistent reservations of two hosts, and
# an ext4 filesystem under a file-copy workload.

FO_KEY1=0xc11e171
FO_KEY2=0xc11e172
FO_UNREG=iqn.2025-01.org.tandem.lab:unregistered

# fo_pr_state CLIENT: keys and reservation as the client reads them
# (after a failover the first command of each host gets the unit
# attention of the new nexus: TEST UNIT READY takes it)
fo_pr_state() {
	lab_exec "$1" "sg_turs $FO_DEV >/dev/null 2>&1; sg_turs $FO_DEV >/dev/null 2>&1
		sg_persist -n --in --read-keys $FO_DEV; sg_persist -n --in --read-reservation $FO_DEV" 60
}
fo_probe_unregistered() {
	lab_exec client2 "$FO_VERIFY probe-write iscsi://$LAB_VIP:$LAB_PORT/$LAB_IQN/0 --lba 262100 --initiator $FO_UNREG" 60
}

# Two hosts registered, the first holding WRITE EXCLUSIVE - REGISTRANTS
# ONLY, a third initiator unregistered; crash the active node: keys and
# reservation intact on the survivor, the registered hosts write, the
# unregistered one is still refused, the holder's writes all verified.
sc_pr() {
	local a s w=pr$FO_RUN x
	a=$(fo_healthy) || { fail "the lab did not become healthy"; return 1; }
	s=$(lab_peer "$a")
	if ! lab_running client2; then
		"$LAB" attach client2 >/dev/null || { fail "client2 did not boot and log in"; return 1; }
	fi
	fo_begin "$w"
	x=$(lab_exec client "sg_persist -n --out --register --param-sark=$FO_KEY1 $FO_DEV" 60 &&
		lab_exec client2 "sg_persist -n --out --register --param-sark=$FO_KEY2 $FO_DEV" 60 &&
		lab_exec client "sg_persist -n --out --reserve --param-rk=$FO_KEY1 --prout-type=5 $FO_DEV" 60) ||
		{ fail "registration or reservation failed: $x"; return 1; }
	x=$(fo_probe_unregistered)
	grep -q 'status RESERVATION_CONFLICT' <<<"$x" || { fail "before the crash, the unregistered initiator was not refused: $x"; return 1; }
	fo_log "client ($FO_KEY1) holds WE-RO, client2 ($FO_KEY2) registered, $FO_UNREG refused"
	fo_writer_start client "$w" --qd 32 --span "$FO_SPAN"
	fo_wait_acks "$w" 300 90 || { fail "the writer did not get going"; return 1; }
	fo_crash "$a" "$w" || return 1
	x=$(fo_pr_state client2)
	fo_log "on $s: $(grep -E '0x|type|generation|Key' <<<"$x" | tr -s ' ' | tr '\n' ';')"
	grep -qi "$FO_KEY1" <<<"$x" && grep -qi "$FO_KEY2" <<<"$x" || { fail "registrations lost on $s: $x"; return 1; }
	grep -qi "Key=$FO_KEY1" <<<"$x" && grep -qi 'registrants only' <<<"$x" ||
		{ fail "the reservation is not client's WE-RO on $s: $x"; return 1; }
	x=$(lab_exec client2 "sg_turs $FO_DEV >/dev/null 2>&1; dd if=/dev/urandom of=$FO_DEV bs=4k count=1 seek=$((FO_SPAN_BYTES / 4096 + 16)) oflag=direct conv=notrunc status=none && echo written" 60)
	[[ $x == written ]] || { fail "registered client2 could not write on $s: $x"; return 1; }
	x=$(fo_probe_unregistered)
	grep -q 'status RESERVATION_CONFLICT' <<<"$x" || { fail "on $s the unregistered initiator was not refused: $x"; return 1; }
	FO_CONV=$(fo_field "$FO_TL" converged)
	sleep "$FO_AFTER"
	FO_NOTE="2 keys and client's WE-RO intact on $s; registrant writes, unregistered refused"
	fo_finish "$w" "$FO_CRASH_MAX" || return 1
	"$LAB" rejoin "$a" >/dev/null || { fail "$a did not rejoin"; return 1; }
}

# whatever sc_pr left: no reservation, no registration, client2 off
fo_cleanup_pr() {
	lab_running client && lab_exec client "
		sg_persist -n --out --release --param-rk=$FO_KEY1 --prout-type=5 $FO_DEV
		sg_persist -n --out --register --param-rk=$FO_KEY1 --param-sark=0 $FO_DEV" 60 >/dev/null 2>&1
	lab_running client2 && lab_exec client2 "
		sg_persist -n --out --register --param-rk=$FO_KEY2 --param-sark=0 $FO_DEV
		iscsiadm -m node --logoutall=all" 60 >/dev/null 2>&1
	lab_kill client2
}

# ext4 on the LU, copies of a directory tree being made, crash the active
# node mid-copy: the copies finish, e2fsck finds the filesystem clean, every
# file's checksum matches its source.
sc_ext4() {
	local a s x t n=$FO_COPIES mnt=/mnt/fo
	a=$(fo_healthy) || { fail "the lab did not become healthy"; return 1; }
	s=$(lab_peer "$a")
	fo_begin
	x=$(lab_exec client "set -e
		umount $mnt 2>/dev/null || true
		rm -rf /root/src /root/copies.log /root/ticks && mkdir -p /root/src $mnt
		for i in \$(seq 12); do head -c \$(( (i % 4 + 1) * 512 ))K /dev/urandom >/root/src/f\$i; done
		mkdir -p /root/src/sub && cp /root/src/f1 /root/src/f2 /root/src/sub/
		(cd /root/src && find . -type f | sort | xargs sha256sum) >/root/src.sha
		mkfs.ext4 -q -F $FO_DEV && mount $FO_DEV $mnt
		setsid sh -c 'while :; do dd if=/dev/zero of=$mnt/tick bs=4k count=1 oflag=direct conv=notrunc status=none && date +%s.%N; sleep 0.1; done' >/root/ticks 2>/dev/null </dev/null &
		echo \$! >/root/ticks.pid
		setsid sh -c 'for k in \$(seq $n); do cp -a /root/src $mnt/copy\$k && sync && echo \$k; done; echo end' >/root/copies.log 2>&1 </dev/null &
		echo \$! >/root/copies.pid
		for i in \$(seq 600); do grep -q '^1\$' /root/copies.log && break; sleep 0.1; done
		grep -q '^1\$' /root/copies.log && echo 'copy 1 done'" 120) || { fail "setup: $x"; return 1; }
	FO_KILL_T=$(lab_now)
	lab_kill "$a" || { fail "could not crash $a"; return 1; }
	fo_log "$a crashed during the copies"
	x=$(lab_exec client "for i in \$(seq 1800); do grep -q '^end\$' /root/copies.log && break; sleep 0.1; done
		kill \$(cat /root/ticks.pid); rm -f /root/ticks.pid /root/copies.pid; cat /root/copies.log | tr '\n' ' '" 240)
	grep -q "end" <<<"$x" || { fail "the copies did not finish: $x"; return 1; }
	grep -q "\b$n\b" <<<"$x" || { fail "a copy failed: $x"; return 1; }
	[[ $(fo_where) == "$s" ]] || { fail "the service is not on $s"; return 1; }
	FO_TL=$(fo_timeline_wait "$s" "$FO_KILL_T")
	FO_PAUSE=$(lab_exec client "awk 'NR > 1 && \$1 - p > m { m = \$1 - p } { p = \$1 } END { printf \"%.1f\", m }' /root/ticks" 30)
	x=$(lab_exec client "set -e
		umount $mnt
		e2fsck -fn $FO_DEV >/root/fsck.log 2>&1 || { tail -5 /root/fsck.log; exit 1; }
		echo fsck clean
		mount $FO_DEV $mnt
		for k in \$(seq $n); do (cd $mnt/copy\$k && sha256sum -c --quiet /root/src.sha) || { echo copy\$k differs; exit 1; }; done
		echo $n copies identical
		umount $mnt
		wipefs -q -a $FO_DEV" 300) || { fail "after the failover: $x"; return 1; }
	fo_log "$(echo $x)"
	FO_CONV=$(fo_field "$FO_TL" converged)
	FO_ACKED=$((n * 14))
	FO_NOTE="ext4: $n copies of 14 files across the crash, e2fsck clean, checksums identical"
	local roles
	roles=$(fo_roles_check) || { fail "two Primaries at once: $roles"; return 1; }
	awk -v p="$FO_PAUSE" -v m="$FO_CRASH_MAX" 'BEGIN { exit !(p < m) }' ||
		{ fail "I/O pause ${FO_PAUSE}s, not below ${FO_CRASH_MAX}s"; return 1; }
	"$LAB" rejoin "$a" >/dev/null || { fail "$a did not rejoin"; return 1; }
}

fo_cleanup_ext4() {
	lab_running client && lab_exec client "umount /mnt/fo 2>/dev/null; true" 60 >/dev/null
}
