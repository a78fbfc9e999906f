# shellcheck shell=bash
# Sourced by tests/bench/run.sh (after tests/lib/target.sh): start the three
# targets the benchmark compares, each on 127.0.0.1 on its own free port,
# each with two LUs, a memory one and a file-on-disk one, and the same
# iSCSI session limits, so that what differs is the target alone.
#
# The limits are tandemd's own defaults; tgt and istgt are set to them
# (tgt's defaults would cap data segments at 8 KiB, which measures a
# setting, not the engine). istgt refuses InitialR2T=No and keeps Yes.
BENCH_MRDSL=262144
BENCH_MAX_BURST=1048576
BENCH_FIRST_BURST=65536
BENCH_MAX_R2T=16
BENCH_IQN=iqn.2026-01.org.tandem:bench

ISTGT_PID=''

bench_msg() { echo "bench: $*" >&2; }

# tandemd: LUN 0 a ramdisk of $3 bytes, LUN 1 fileio on $4, write-back
# like the peers' files (WCE=1: a write completes in the page cache; the
# targets honour SYNCHRONIZE CACHE and FUA alike).
#   bench_tandemd_start BIN WORKDIR SIZE FILE   -> sets TANDEMD_PID, TANDEMD_PORT
bench_tandemd_start() {
	local bin=$1 dir=$2 size=$3 file=$4 port
	port=$(target_free_port) || return 1
	cat >"$dir/tandemd.json" <<-EOF
	{
	  "storage_objects": [
	    {"plugin": "ramdisk", "name": "mem0", "size": $size, "wwn": "$(target_uuid)"},
	    {"plugin": "fileio", "name": "file0", "dev": "$file", "size": $size,
	     "write_back": true, "pr_store": "none", "wwn": "$(target_uuid)"}
	  ],
	  "targets": [
	    {
	      "fabric": "iscsi",
	      "wwn": "$BENCH_IQN",
	      "tpgs": [
	        {
	          "tag": 1,
	          "enable": true,
	          "attributes": {"authentication": 0, "generate_node_acls": 1, "demo_mode_write_protect": 0},
	          "parameters": {},
	          "luns": [
	            {"index": 0, "storage_object": "/backstores/ramdisk/mem0"},
	            {"index": 1, "storage_object": "/backstores/fileio/file0"}
	          ],
	          "node_acls": [],
	          "portals": [{"ip_address": "$TARGET_ADDR", "port": $port}]
	        }
	      ]
	    }
	  ]
	}
	EOF
	tandemd_start "$bin" "$dir/tandemd.json" "$dir/tandemd.sock" "$dir/tandemd.log" \
		"$port" "$BENCH_IQN" || return 1
	TANDEMD_PID=$TARGET_PID TANDEMD_PORT=$port
}

# tgt: LUN 1 rdwr on the tmpfs file $2, LUN 2 rdwr on the disk file $3
# (tgt keeps LUN 0 for its controller). rdwr does pread/pwrite on a
# buffered file with tgt's default WCE=1, as the others do.
#   bench_tgt_start WORKDIR MEMFILE DISKFILE   -> sets TGT_PID, TGT_PORT
bench_tgt_start() {
	local dir=$1 mem=$2 disk=$3 port kv
	port=$(target_free_port) || return 1
	tgtd_start "$port" "$BENCH_IQN" "$dir/tgtd.log" "$mem" "$disk" || return 1
	for kv in MaxRecvDataSegmentLength=$BENCH_MRDSL MaxXmitDataSegmentLength=$BENCH_MRDSL \
		MaxBurstLength=$BENCH_MAX_BURST FirstBurstLength=$BENCH_FIRST_BURST \
		MaxOutstandingR2T=$BENCH_MAX_R2T InitialR2T=No ImmediateData=Yes; do
		if ! _tgtadm --op update --mode target --tid 1 --name "${kv%%=*}" --value "${kv#*=}"; then
			bench_msg "tgtadm: cannot set $kv"
			return 1
		fi
	done
	TGT_PID=$TARGET_PID TGT_PORT=$port
}

# istgt: LUN 0 on the tmpfs file $2, LUN 1 on the disk file $3, its own
# configuration, PID file and (empty) auth file in WORKDIR, in the
# foreground so that it stays our child.
#   bench_istgt_start WORKDIR MEMFILE DISKFILE   -> sets ISTGT_PID, ISTGT_PORT
bench_istgt_start() {
	local dir=$1 mem=$2 disk=$3 port
	if ! command -v istgt >/dev/null; then
		bench_msg "istgt is not installed (make deps)"
		return 1
	fi
	port=$(target_free_port) || return 1
	: >"$dir/istgt-auth.conf"
	cat >"$dir/istgt.conf" <<-EOF
	[Global]
	  NodeBase "${BENCH_IQN%%:*}"
	  PidFile $dir/istgt.pid
	  AuthFile $dir/istgt-auth.conf
	  MediaDirectory $dir
	  LogFacility "local7"
	  Timeout 30
	  NopInInterval 20
	  DiscoveryAuthMethod None
	  MaxSessions 16
	  MaxConnections 4
	  MaxR2T 32
	  MaxOutstandingR2T $BENCH_MAX_R2T
	  DefaultTime2Wait 2
	  DefaultTime2Retain 60
	  FirstBurstLength $BENCH_FIRST_BURST
	  MaxBurstLength $BENCH_MAX_BURST
	  MaxRecvDataSegmentLength $BENCH_MRDSL
	  InitialR2T Yes
	  ImmediateData Yes
	  DataPDUInOrder Yes
	  DataSequenceInOrder Yes
	  ErrorRecoveryLevel 0
	[UnitControl]
	  AuthMethod None
	[PortalGroup1]
	  Portal DA1 $TARGET_ADDR:$port
	[InitiatorGroup1]
	  InitiatorName "ALL"
	  Netmask $TARGET_ADDR/32
	[LogicalUnit1]
	  TargetName $BENCH_IQN
	  Mapping PortalGroup1 InitiatorGroup1
	  AuthMethod None
	  UseDigest Auto
	  UnitType Disk
	  QueueDepth 64
	  LUN0 Storage $mem Auto
	  LUN1 Storage $disk Auto
	EOF
	istgt -c "$dir/istgt.conf" -D -t none >"$dir/istgt.log" 2>&1 </dev/null &
	ISTGT_PID=$!
	TARGET_KIND=istgt TARGET_LOG=$dir/istgt.log
	bench_msg "started istgt (pid $ISTGT_PID) on $TARGET_ADDR:$port, log $dir/istgt.log"
	target_wait_listen "$ISTGT_PID" "$port" || return 1
	ISTGT_PORT=$port
}

# SIGTERM, then SIGKILL after 10 s.
bench_istgt_stop() {
	local i
	[[ -n $ISTGT_PID ]] || return 0
	kill -TERM "$ISTGT_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		_target_alive "$ISTGT_PID" || break
		sleep 0.2
	done
	if _target_alive "$ISTGT_PID"; then
		bench_msg "istgt (pid $ISTGT_PID) ignores SIGTERM; killing it"
		kill -KILL "$ISTGT_PID" 2>/dev/null
	fi
	wait "$ISTGT_PID" 2>/dev/null
	ISTGT_PID=''
}
