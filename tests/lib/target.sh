# shellcheck shell=bash
# Sourced by test tiers: start and stop an iSCSI target on 127.0.0.1 on a
# free port, wait (bounded) until it listens, stop it by PID.
#
# Targets:
#   tandemd  $BUILD/tandemd or $BUILD/tandemd-san with a generated
#            saveconfig.json (tandem_config_write), started in the foreground
#            (-f) with stderr captured to a log file.
#   tgtd     tgt's daemon, on its own control port so that it never clashes
#            with another tgtd; file LUNs from LUN 1 (tgt keeps LUN 0 for its
#            controller).
#
# State of the target started last (functions set these, never a subshell):
#   TARGET_KIND (tandemd|tgtd) TARGET_PID TARGET_PORT TARGET_IQN TARGET_LOG
#   TARGET_SAN (1 when the sanitizer build runs) TARGET_CTL (tgtd control port)
#   TARGET_RC (exit status seen by target_stop)
# Every daemon started is remembered; target_stop_all (call it from the
# caller's EXIT trap) stops whatever still runs.
#
# Only 127.0.0.1 is ever used. Start functions must be called directly (not
# inside $(...)), so that the daemon stays a child of the calling shell.

TARGET_ADDR=127.0.0.1
TARGET_WAIT=${TARGET_WAIT:-30}		# seconds until the port must listen
TARGET_STOP_WAIT=${TARGET_STOP_WAIT:-20}	# seconds until SIGTERM must work
TGTD_RUNDIR=${TGTD_RUNDIR:-/var/run/tgtd}

TARGET_KIND='' TARGET_PID='' TARGET_PORT='' TARGET_IQN='' TARGET_LOG='' TARGET_SAN=0
TARGET_CTL='' TARGET_RC=''
declare -gA _TARGET_KIND_OF=() _TARGET_CTL_OF=() _TARGET_LOG_OF=()

# Sanitizer settings for the -san build: leaks at exit count, UB stops it.
TARGET_ASAN_OPTIONS=${TARGET_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1:print_summary=1}
TARGET_UBSAN_OPTIONS=${TARGET_UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# What a sanitizer writes when it has something to report.
TARGET_SAN_PATTERN='ERROR: [A-Za-z]*Sanitizer|SUMMARY: [A-Za-z]*Sanitizer|runtime error:|[A-Za-z]*Sanitizer:DEADLYSIGNAL|WARNING: [A-Za-z]*Sanitizer'

target_msg() { echo "target: $*" >&2; }

# A UUID for a storage object's "wwn" (its unit serial).
target_uuid() {
	cat /proc/sys/kernel/random/uuid
}

# Is TCP port $1 on 127.0.0.1 (or any address) in use as a listener?
_target_port_busy() {
	local port=$1
	[[ -n $(ss -Htln "sport = :$port" 2>/dev/null) ]]
}

# Prints a free TCP port below the ephemeral range (so that no outgoing
# connection can take it meanwhile), whose tgtd control socket is unused too.
target_free_port() {
	local i port
	for ((i = 0; i < 200; i++)); do
		port=$((20000 + RANDOM % 12000))
		_target_port_busy "$port" && continue
		[[ -e $TGTD_RUNDIR/socket.$port || -e $TGTD_RUNDIR/socket.$port.lock ]] && continue
		echo "$port"
		return 0
	done
	target_msg "no free TCP port found on $TARGET_ADDR"
	return 1
}

# True while process $1 exists and is not a zombie.
_target_alive() {
	local pid=$1 state
	[[ -r /proc/$pid/status ]] || return 1
	state=$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
	[[ -n $state && $state != Z && $state != X ]]
}

# Is process $2 the process $1 or one of its descendants?
_target_is_or_under() {
	local top=$1 p=$2 i
	for ((i = 0; i < 64 && p > 1; i++)); do
		[[ $p == "$top" ]] && return 0
		p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || return 1
		[[ -n $p ]] || return 1
	done
	return 1
}

# Does process $2 listen on 127.0.0.1:$1 (or on any address, port $1)?
_target_listening() {
	local port=$1 pid=$2 line owner
	line=$(ss -Htlnp "sport = :$port" 2>/dev/null) || return 1
	[[ -n $line ]] || return 1
	# ss shows the owner when it may (root); then it must be our process
	# (or a child of it).
	if [[ $line == *users:* ]]; then
		owner=${line#*pid=}
		owner=${owner%%,*}
		_target_is_or_under "$pid" "$owner"
	else
		timeout 2 bash -c ": >/dev/tcp/$TARGET_ADDR/$port" 2>/dev/null
	fi
}

# Prints the last $1 (default 30) lines of the current target's log.
target_log_tail() {
	local n=${1:-30} log=${2:-$TARGET_LOG}
	[[ -n $log && -f $log ]] || return 0
	echo "---- last $n lines of $log ----" >&2
	tail -n "$n" "$log" >&2
	echo "---- end of log ----" >&2
}

# Waits until process $1 listens on port $2; fails when it exits first or
# after TARGET_WAIT seconds.
target_wait_listen() {
	local pid=$1 port=$2 deadline=$((SECONDS + TARGET_WAIT))
	while ((SECONDS < deadline)); do
		if ! _target_alive "$pid"; then
			wait "$pid" 2>/dev/null
			TARGET_RC=$?
			target_msg "$TARGET_KIND (pid $pid) exited with status $TARGET_RC before listening on $TARGET_ADDR:$port"
			target_log_tail 40
			return 1
		fi
		_target_listening "$port" "$pid" && return 0
		sleep 0.2
	done
	target_msg "$TARGET_KIND (pid $pid) does not listen on $TARGET_ADDR:$port after ${TARGET_WAIT}s"
	target_log_tail 40
	return 1
}

# Writes a saveconfig.json (targetcli layout) for tandemd:
#   tandem_config_write OUT PORT IQN LU...
# where each LU is "ramdisk:NAME:SIZE:WWN" or "fileio:NAME:PATH:SIZE:WWN[:PR]"
# (SIZE in bytes, WWN the unit serial, a UUID; PATH without ":" or quotes);
# LU n gets LUN n-1. PR is where a fileio LU keeps its persistent
# reservations: left out, tandemd's default (internal: the last MiB of the
# file, hidden, so the LU is 1 MiB smaller than SIZE); "none" (in memory,
# the LU is exactly SIZE bytes), "internal" or "external=PATH".
# Every LU is thin-provisioned (emulate_tpu, emulate_tpws).
# One target, TPG 1, no authentication, any initiator (generate_node_acls),
# one portal 127.0.0.1:PORT.
tandem_config_write() {
	local out=$1 port=$2 iqn=$3
	shift 3
	local spec kind name path size wwn pr sep='' luns='' idx=0
	local -a f
	# Thin-provisioned LUs (UNMAP, WRITE SAME with UNMAP), as an
	# administrator sets them up for VMware, Windows and Linux clients.
	local thin='"attributes": {"emulate_tpu": 1, "emulate_tpws": 1}'
	{
		printf '{\n  "storage_objects": [\n'
		for spec in "$@"; do
			IFS=: read -r -a f <<<"$spec"
			kind=${f[0]}
			case $kind in
			ramdisk)
				name=${f[1]} size=${f[2]} wwn=${f[3]}
				printf '%s    {"plugin": "ramdisk", "name": "%s", "size": %s, "wwn": "%s", %s}' \
					"$sep" "$name" "$size" "$wwn" "$thin"
				;;
			fileio)
				name=${f[1]} path=${f[2]} size=${f[3]} wwn=${f[4]} pr=${f[5]:-}
				if [[ $path == *[\"\\]* || $pr == *[\"\\]* ]]; then
					target_msg "tandem_config_write: path '$path' or '$pr' needs JSON escaping; use a plain path"
					return 1
				fi
				# The PR store key is written only when asked for, so the
				# daemon's own default applies otherwise.
				case $pr in
				"") ;;
				none | internal) pr=", \"pr_store\": \"$pr\"" ;;
				external=/*) pr=", \"pr_store\": \"external\", \"pr_store_dev\": \"${pr#external=}\"" ;;
				*)
					target_msg "tandem_config_write: PR store '$pr' is not none, internal or external=PATH"
					return 1
					;;
				esac
				printf '%s    {"plugin": "fileio", "name": "%s", "dev": "%s", "size": %s, "write_back": false, "wwn": "%s", %s%s}' \
					"$sep" "$name" "$path" "$size" "$wwn" "$thin" "$pr"
				;;
			*)
				target_msg "tandem_config_write: unknown LU spec '$spec'"
				return 1
				;;
			esac
			luns+="${luns:+,
}            {\"index\": $idx, \"storage_object\": \"/backstores/$kind/$name\"}"
			sep=$',\n'
			idx=$((idx + 1))
		done
		printf '\n  ],\n'
		cat <<-EOF
		  "targets": [
		    {
		      "fabric": "iscsi",
		      "wwn": "$iqn",
		      "tpgs": [
		        {
		          "tag": 1,
		          "enable": true,
		          "attributes": {"authentication": 0, "generate_node_acls": 1, "demo_mode_write_protect": 0},
		          "parameters": {},
		          "luns": [
		$luns
		          ],
		          "node_acls": [],
		          "portals": [{"ip_address": "$TARGET_ADDR", "port": $port}]
		        }
		      ]
		    }
		  ]
		}
		EOF
	} >"$out"
}

# Starts tandemd: tandemd_start BIN CONFIG SOCKET LOG PORT IQN [ARG...]
# (BIN ending in -san runs with the sanitizer options). PORT and IQN are
# what CONFIG says; they are used to wait for the listener. ARGs go to
# tandemd after its usual ones (e.g. -C for a cold start).
tandemd_start() {
	local bin=$1 config=$2 sock=$3 log=$4 port=$5 iqn=$6
	local -a extra=("${@:7}")
	TARGET_KIND=tandemd TARGET_PORT=$port TARGET_IQN=$iqn TARGET_LOG=$log
	TARGET_SAN=0 TARGET_CTL='' TARGET_RC='' TARGET_PID=''
	[[ $bin == *-san ]] && TARGET_SAN=1
	if [[ ! -x $bin ]]; then
		target_msg "$bin does not exist or is not executable (build it: make $bin)"
		return 1
	fi
	: >"$log"
	if ((TARGET_SAN)); then
		ASAN_OPTIONS=$TARGET_ASAN_OPTIONS UBSAN_OPTIONS=$TARGET_UBSAN_OPTIONS \
			"$bin" -f -c "$config" -s "$sock" "${extra[@]}" >>"$log" 2>&1 </dev/null &
	else
		"$bin" -f -c "$config" -s "$sock" "${extra[@]}" >>"$log" 2>&1 </dev/null &
	fi
	TARGET_PID=$!
	_TARGET_KIND_OF[$TARGET_PID]=tandemd
	_TARGET_LOG_OF[$TARGET_PID]=$log
	target_msg "started $bin (pid $TARGET_PID) on $TARGET_ADDR:$port, log $log"
	target_wait_listen "$TARGET_PID" "$port"
}

_tgtadm() {
	timeout 15 tgtadm -C "$TARGET_CTL" --lld iscsi "$@" >>"$TARGET_LOG" 2>&1
}

# Starts tgtd: tgtd_start PORT IQN LOG FILE... ; FILE n becomes LUN n.
tgtd_start() {
	local port=$1 iqn=$2 log=$3
	shift 3
	local lun=1 f
	TARGET_KIND=tgtd TARGET_PORT=$port TARGET_IQN=$iqn TARGET_LOG=$log
	TARGET_SAN=0 TARGET_CTL=$port TARGET_RC='' TARGET_PID=''
	if ! command -v tgtd >/dev/null || ! command -v tgtadm >/dev/null; then
		target_msg "tgtd/tgtadm not installed (make deps)"
		return 1
	fi
	mkdir -p "$TGTD_RUNDIR" || return 1
	: >"$log"
	tgtd -f -C "$TARGET_CTL" --iscsi "portal=$TARGET_ADDR:$port" >>"$log" 2>&1 </dev/null &
	TARGET_PID=$!
	_TARGET_KIND_OF[$TARGET_PID]=tgtd
	_TARGET_CTL_OF[$TARGET_PID]=$TARGET_CTL
	_TARGET_LOG_OF[$TARGET_PID]=$log
	target_msg "started tgtd (pid $TARGET_PID) on $TARGET_ADDR:$port, control port $TARGET_CTL, log $log"
	target_wait_listen "$TARGET_PID" "$port" || return 1
	# The control socket appears a moment after the portal.
	local deadline=$((SECONDS + TARGET_WAIT))
	until [[ -S $TGTD_RUNDIR/socket.$TARGET_CTL ]]; do
		if ((SECONDS >= deadline)); then
			target_msg "tgtd control socket $TGTD_RUNDIR/socket.$TARGET_CTL did not appear"
			return 1
		fi
		sleep 0.1
	done
	if ! _tgtadm --op new --mode target --tid 1 -T "$iqn"; then
		target_msg "tgtadm: cannot create target $iqn"
		target_log_tail 20
		return 1
	fi
	for f in "$@"; do
		if ! _tgtadm --op new --mode logicalunit --tid 1 --lun "$lun" -b "$f"; then
			target_msg "tgtadm: cannot add LUN $lun ($f)"
			target_log_tail 20
			return 1
		fi
		lun=$((lun + 1))
	done
	if ! _tgtadm --op bind --mode target --tid 1 -I ALL; then
		target_msg "tgtadm: cannot bind target $iqn to all initiators"
		target_log_tail 20
		return 1
	fi
}

# Waits for process $1 (a child of this shell) to end within $2 seconds;
# sets TARGET_RC. Returns 1 when it is still running.
_target_reap() {
	local pid=$1 deadline=$((SECONDS + $2))
	while _target_alive "$pid"; do
		((SECONDS >= deadline)) && return 1
		sleep 0.2
	done
	wait "$pid" 2>/dev/null
	TARGET_RC=$?
	return 0
}

# Stops daemon $1 (default: the current target). tandemd gets SIGTERM and
# must exit 0 within TARGET_STOP_WAIT seconds; tgtd is taken offline and
# shut down through tgtadm. Whatever does not stop gets SIGKILL. Returns
# non-zero when the daemon did not exit cleanly (status in TARGET_RC).
target_stop() {
	local pid=${1:-$TARGET_PID}
	[[ -n $pid ]] || return 0
	local kind=${_TARGET_KIND_OF[$pid]:-}
	[[ -n $kind ]] || return 0	# not ours, or already stopped
	local ctl=${_TARGET_CTL_OF[$pid]:-} log=${_TARGET_LOG_OF[$pid]:-/dev/null}
	local ok=0
	TARGET_RC=''
	if _target_alive "$pid"; then
		if [[ $kind == tgtd ]]; then
			timeout 15 tgtadm -C "$ctl" --op update --mode sys --name State -v offline >>"$log" 2>&1
			timeout 15 tgtadm -C "$ctl" --lld iscsi --op delete --mode target --tid 1 --force >>"$log" 2>&1
			timeout 15 tgtadm -C "$ctl" --op delete --mode system >>"$log" 2>&1
		else
			kill -TERM "$pid" 2>/dev/null
		fi
		if ! _target_reap "$pid" "$TARGET_STOP_WAIT"; then
			target_msg "$kind (pid $pid) still runs ${TARGET_STOP_WAIT}s after being told to stop; killing it"
			kill -KILL "$pid" 2>/dev/null
			_target_reap "$pid" 10
			ok=1
		fi
	else
		wait "$pid" 2>/dev/null
		TARGET_RC=$?
		target_msg "$kind (pid $pid) had already exited with status $TARGET_RC"
		ok=1
	fi
	if [[ $kind == tgtd && -n $ctl ]]; then
		rm -f "$TGTD_RUNDIR/socket.$ctl" "$TGTD_RUNDIR/socket.$ctl.lock"
	fi
	# tandemd logs through libqb, whose blackbox (/dev/shm/qb-tandemd-PID-
	# blackbox-*) outlives a daemon that did not exit cleanly: keep it for a
	# look (qb-blackbox FILE), unless TARGET_DROP_BLACKBOX=1 (cleanup path).
	if [[ $kind == tandemd ]] && compgen -G "/dev/shm/qb-*-$pid-blackbox-*" >/dev/null; then
		if [[ ${TARGET_DROP_BLACKBOX:-0} == 1 ]]; then
			rm -f /dev/shm/qb-*-"$pid"-blackbox-*
		else
			target_msg "libqb blackbox of pid $pid left in /dev/shm/qb-*-$pid-blackbox-* (read: qb-blackbox; remove when done)"
		fi
	fi
	[[ ${TARGET_RC:-1} -eq 0 ]] || ok=1
	unset "_TARGET_KIND_OF[$pid]" "_TARGET_CTL_OF[$pid]" "_TARGET_LOG_OF[$pid]"
	return "$ok"
}

# Kills daemon $1 (default: the current target) with SIGKILL, as a crash or
# a fenced node would end it, and reaps it. Returns non-zero when it was
# not running any more.
target_kill() {
	local pid=${1:-$TARGET_PID} ok=0
	[[ -n $pid && -n ${_TARGET_KIND_OF[$pid]:-} ]] || return 0
	_target_alive "$pid" || ok=1
	kill -KILL "$pid" 2>/dev/null
	_target_reap "$pid" 10
	# A kill the test meant leaves nothing to examine: drop the libqb
	# blackbox it left in /dev/shm, or every run would add two files.
	rm -f /dev/shm/qb-*-"$pid"-blackbox-*
	unset "_TARGET_KIND_OF[$pid]" "_TARGET_CTL_OF[$pid]" "_TARGET_LOG_OF[$pid]"
	return "$ok"
}

# Stops every daemon this shell started and has not stopped yet. For the
# caller's EXIT trap.
target_stop_all() {
	local pid
	for pid in "${!_TARGET_KIND_OF[@]}"; do
		TARGET_STOP_WAIT=5 TARGET_DROP_BLACKBOX=1 target_stop "$pid" >/dev/null 2>&1
	done
	return 0
}

# Prints the sanitizer reports in log $1 (default: the current target's);
# returns 1 when there is one.
target_sanitizer_check() {
	local log=${1:-$TARGET_LOG}
	[[ -f $log ]] || return 0
	if grep -qE "$TARGET_SAN_PATTERN" "$log"; then
		echo "---- sanitizer report in $log ----" >&2
		grep -E -A 25 "$TARGET_SAN_PATTERN" "$log" | head -n 80 >&2
		echo "---- end of sanitizer report ----" >&2
		return 1
	fi
	return 0
}

# tgtd only: sets LUN $1's unit serial (VPD 80h) to $2.
tgtd_set_serial() {
	[[ $TARGET_KIND == tgtd ]] || return 1
	_tgtadm --op update --mode logicalunit --tid 1 --lun "$1" --params "scsi_sn=$2"
}
