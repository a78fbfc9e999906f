# Host side of the tandem lab (sourced by tests/lab/lab, run.sh, demo.sh).
#
# User-Mode Linux hosts (Debian's user-mode-linux kernel, ../../image lab
# image) on a bridge inside a network namespace the lab creates, with no
# route out. Each host runs in its own cgroup (a crash is cgroup.kill of
# it) and is driven through a command queue on its hostfs share.
#
# Only the lab's own processes are ever signalled: by PID, or through the
# lab's cgroup. Nothing ever targets an address outside 10.77.0.0/24 on the
# lab bridge.
LAB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_REPO=$(cd "$LAB_HERE/../.." && pwd)
LAB_DIR=${TANDEM_LAB_DIR:-/var/tmp/tandem-lab}
LAB_RUN=$LAB_DIR/run
LAB_SHARE=$LAB_DIR/share
LAB_FILES=$LAB_SHARE/files
LAB_NS=${TANDEM_LAB_NS:-tandemlab}
LAB_NET=10.77.0
LAB_SWITCH=$LAB_NET.1
LAB_VIP=$LAB_NET.100
LAB_INI=${TANDEM_LAB_INI:-$LAB_REPO/cluster-config/examples/lab.ini}
LAB_CACHE=${TANDEM_CACHE:-/var/cache/tandem}
LAB_UML=${LAB_UML:-/usr/bin/linux.uml}
LAB_DISK_MB=${TANDEM_LAB_DISK_MB:-160}
# hosts: name, index (tap, MAC), address, guest memory. `lab up` boots the
# nodes and the first client; client2 is booted on demand (`lab attach
# client2`) by the failover suite's scenario with two initiators.
LAB_HOSTS="node1 node2 client client2"
LAB_UP_HOSTS="node1 node2 client"
LAB_NODES="node1 node2"
LAB_CLIENTS="client client2"
declare -A LAB_IDX=([node1]=1 [node2]=2 [client]=3 [client2]=4)
declare -A LAB_IP=([node1]=$LAB_NET.11 [node2]=$LAB_NET.12 [client]=$LAB_NET.20 [client2]=$LAB_NET.21)
declare -A LAB_MEM=([node1]=768M [node2]=768M [client]=256M [client2]=256M)
if [[ -e /sys/fs/cgroup/cgroup.controllers ]]; then
	LAB_CG=/sys/fs/cgroup/$LAB_NS
else
	LAB_CG=/sys/fs/cgroup/unified/$LAB_NS
fi
# UML keeps guest RAM in a file in TMPDIR: keep it on tmpfs
export TMPDIR=/dev/shm

lab_t0=${lab_t0:-$(date +%s.%N)}
lab_now() { date +%s.%N; }
lab_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
lab_say() { printf '[lab %6ss] %s\n' "$(lab_since "$lab_t0")" "$*"; }
lab_die() { lab_say "ERROR: $*" >&2; exit 1; }

lab_is_host() { [[ " $LAB_HOSTS " == *" $1 "* ]]; }
lab_is_node() { [[ " $LAB_NODES " == *" $1 "* ]]; }
lab_is_client() { [[ " $LAB_CLIENTS " == *" $1 "* ]]; }
lab_peer() { [[ $1 == node1 ]] && echo node2 || echo node1; }

# ------------------------------------------------------------ network
lab_net_up() {
	ip netns list | grep -qw "$LAB_NS" && return 0
	ip netns add "$LAB_NS"
	ip -n "$LAB_NS" link set lo up
	ip -n "$LAB_NS" link add br0 type bridge
	ip -n "$LAB_NS" link set br0 type bridge stp_state 0 forward_delay 0
	ip -n "$LAB_NS" addr add "$LAB_SWITCH/24" dev br0
	ip -n "$LAB_NS" link set br0 up
}
lab_net_down() {
	ip netns list | grep -qw "$LAB_NS" || return 0
	ip netns del "$LAB_NS"
}

# --------------------------------------------------------------- hosts
lab_pids() { cat "$LAB_CG/$1/cgroup.procs" 2>/dev/null; }
lab_running() { [[ -n $(lab_pids "$1") ]]; }

# lab_boot NAME [fresh]: boot a host; "fresh" starts from the image with a
# new, empty data disk, otherwise the host keeps its disks (a reboot).
lab_boot() {
	local name=$1 fresh=${2:-} idx=${LAB_IDX[$1]} img
	lab_running "$name" && return 0
	img=$(cat "$LAB_RUN/image" 2>/dev/null) || lab_die "no lab image recorded (lab up first)"
	[[ -s $img ]] || lab_die "lab image $img is gone (rebuilt meanwhile?)"
	mkdir -p "$LAB_RUN" "$LAB_SHARE/q/$name" "$LAB_CG"
	rm -rf "${LAB_SHARE:?}/q/$name/"*
	lab_net_up
	local tap=tl-$name
	ip -n "$LAB_NS" link show "$tap" >/dev/null 2>&1 ||
		ip -n "$LAB_NS" tuntap add dev "$tap" mode tap
	ip -n "$LAB_NS" link set "$tap" master br0 up
	if [[ $fresh == fresh ]]; then
		rm -f "$LAB_RUN/$name.cow" "$LAB_RUN/$name-data.img"
		truncate -s "${LAB_DISK_MB}M" "$LAB_RUN/$name-data.img"
	fi
	rm -rf "${LAB_RUN:?}/uml/$name"
	mkdir -p "$LAB_RUN/uml"
	rmdir "$LAB_CG/$name" 2>/dev/null
	mkdir -p "$LAB_CG/$name"
	lab_now >"$LAB_RUN/$name.t0"
	# the whole instance lives in cgroup $LAB_CG/$name, in its own session
	( echo "$BASHPID" >"$LAB_CG/$name/cgroup.procs"
	  exec setsid ip netns exec "$LAB_NS" "$LAB_UML" umid="$name" uml_dir="$LAB_RUN/uml" \
		mem="${LAB_MEM[$name]}" \
		ubd0="$LAB_RUN/$name.cow,$img" ubd1="$LAB_RUN/$name-data.img" \
		vec0:transport=tap,ifname="$tap",depth=128,gro=1,mac=52:54:00:77:00:$(printf %02x "$idx") \
		root=/dev/ubda rw con=null ssl=null con0=null,fd:1 hostfs="$LAB_SHARE" \
		init=/usr/local/sbin/lab-init lab.name="$name" lab.ip="${LAB_IP[$name]}/24" \
		>>"$LAB_RUN/$name.console" 2>&1 </dev/null ) &
	echo $! >"$LAB_RUN/$name.pid"
}

# lab_wait NAME [timeout]: until the host's agent is ready
lab_wait() {
	local name=$1 to=${2:-180} end=$((SECONDS + ${2:-180}))
	while ((SECONDS < end)); do
		if [[ -e $LAB_SHARE/q/$name/ready ]]; then
			echo "$(lab_since "$(cat "$LAB_RUN/$name.t0")")"
			return 0
		fi
		# (the instance enters its cgroup a moment after lab_boot returns)
		((SECONDS > end - to + 5)) && ! lab_running "$name" && { echo "exited"; return 1; }
		sleep 0.1
	done
	echo "timeout ${to}s"
	return 1
}

# lab_exec NAME 'commands' [timeout]: run in the guest, print output, return rc
lab_exec() {
	local name=$1 cmd=$2 to=${3:-120} q=$LAB_SHARE/q/$1 id
	id=c$(date +%s%N)$RANDOM
	[[ -d $q ]] || { echo "lab_exec: no host $name" >&2; return 125; }
	printf '%s\n' "$cmd" >"$q/$id.tmp" && mv "$q/$id.tmp" "$q/$id.cmd"
	local end=$((SECONDS + to))
	while ((SECONDS < end)); do
		if [[ -e $q/$id.rc ]]; then
			cat "$q/$id.out"
			local rc
			rc=$(cat "$q/$id.rc")
			rm -f "$q/$id".*
			return "$rc"
		fi
		lab_running "$name" || { echo "lab_exec $name: host is down" >&2; return 125; }
		sleep 0.05
	done
	touch "$q/$id.kill"
	echo "lab_exec $name: timeout after ${to}s (killed)" >&2
	cat "$q/$id.out" 2>/dev/null
	return 124
}

# crash: SIGKILL every host process of the instance at once, wait until gone
lab_kill() {
	local name=$1 i
	[[ -d $LAB_CG/$name ]] || return 0
	echo 1 >"$LAB_CG/$name/cgroup.kill"
	for i in $(seq 100); do
		lab_running "$name" || break
		sleep 0.05
	done
	! lab_running "$name"
}

# ------------------------------------------------------- fence switch
lab_switch_pid() {
	local p
	p=$(cat "$LAB_RUN/fence-switch.pid" 2>/dev/null) || return 1
	[[ -n $p && -e /proc/$p ]] && grep -q fence-switch "/proc/$p/cmdline" 2>/dev/null && echo "$p"
}
lab_switch_start() {
	lab_switch_pid >/dev/null && return 0
	lab_net_up
	# nsenter --net: only the network namespace changes; `ip netns exec`
	# would also remount /sys and hide the lab's cgroups from the switch
	setsid nsenter --net="/run/netns/$LAB_NS" python3 "$LAB_HERE/fence-switch.py" \
		--listen "$LAB_SWITCH" --port 7777 --lab "$LAB_HERE/lab" --cgroup "$LAB_CG" \
		--log "$LAB_RUN/fence-switch.log" $LAB_NODES \
		>>"$LAB_RUN/fence-switch.out" 2>&1 </dev/null &
	echo $! >"$LAB_RUN/fence-switch.pid"
	local i
	for i in $(seq 100); do
		ip netns exec "$LAB_NS" bash -c "exec 3<>/dev/tcp/$LAB_SWITCH/7777 && echo list >&3 && head -1 <&3" \
			>/dev/null 2>&1 && return 0
		sleep 0.1
	done
	lab_die "the fence switch did not start ($LAB_RUN/fence-switch.out)"
}
lab_switch_stop() {
	local p i
	p=$(lab_switch_pid) || { rm -f "$LAB_RUN/fence-switch.pid"; return 0; }
	kill -TERM "$p"
	for i in $(seq 50); do [[ -e /proc/$p ]] || break; sleep 0.1; done
	[[ -e /proc/$p ]] && kill -KILL "$p"
	rm -f "$LAB_RUN/fence-switch.pid"
}

# ------------------------------------------------- replication link
# The nodes share one lab bridge; "cutting the replication link" drops
# DRBD's TCP traffic between them on that bridge (nftables bridge family in
# the lab's namespace: the UML kernel has no nftables of its own), while
# Corosync and the portal keep working.
lab_link_cut() {
	local port=$1
	ip netns exec "$LAB_NS" nft -f - <<-EOF
	table bridge tandemlab_cut {
		chain forward {
			type filter hook forward priority 0; policy accept;
			ip saddr { ${LAB_IP[node1]}, ${LAB_IP[node2]} } ip daddr { ${LAB_IP[node1]}, ${LAB_IP[node2]} } tcp dport $port drop
			ip saddr { ${LAB_IP[node1]}, ${LAB_IP[node2]} } ip daddr { ${LAB_IP[node1]}, ${LAB_IP[node2]} } tcp sport $port drop
		}
	}
	EOF
}
lab_link_heal() {
	ip netns exec "$LAB_NS" nft list table bridge tandemlab_cut >/dev/null 2>&1 || return 0
	ip netns exec "$LAB_NS" nft delete table bridge tandemlab_cut
}
lab_link_is_cut() { ip netns exec "$LAB_NS" nft list table bridge tandemlab_cut >/dev/null 2>&1; }

# ------------------------------------------------------------ teardown
# Everything the lab started: hosts, the switch, taps, the namespace, the
# cgroup, the guests' RAM files. Prints what it removed; safe to repeat.
lab_teardown() {
	local d i
	# a lab host holds nothing worth a clean shutdown: kill every instance
	# at once (whatever the lab's cgroup holds, hosts booted by the switch too)
	if [[ -d $LAB_CG ]]; then
		for d in "$LAB_CG"/*/; do
			[[ -e $d/cgroup.kill ]] && echo 1 >"$d/cgroup.kill"
		done
		for d in "$LAB_CG"/*/; do
			[[ -d $d ]] || continue
			for i in $(seq 100); do
				[[ -z $(cat "$d/cgroup.procs" 2>/dev/null) ]] && break
				sleep 0.05
			done
			rmdir "$d" 2>/dev/null
		done
		rmdir "$LAB_CG" 2>/dev/null
	fi
	lab_switch_stop
	lab_net_down
	rm -rf "${LAB_RUN:?}/uml"
	true
}

# What would be left behind: prints one line per leftover, returns 1 if any.
lab_leftovers() {
	local bad=0
	ip netns list 2>/dev/null | grep -qw "$LAB_NS" && { echo "network namespace $LAB_NS"; bad=1; }
	[[ -d $LAB_CG ]] && { echo "cgroup $LAB_CG"; bad=1; }
	lab_switch_pid >/dev/null && { echo "fence switch pid $(lab_switch_pid)"; bad=1; }
	local p
	for p in $(pgrep -f "^$LAB_UML " 2>/dev/null); do
		grep -qa "uml_dir=$LAB_RUN/uml" "/proc/$p/cmdline" 2>/dev/null &&
			{ echo "UML process $p"; bad=1; }
	done
	return $bad
}
