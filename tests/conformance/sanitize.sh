#!/usr/bin/env bash
# SANITIZE against libiscsi's iscsi-test-cu (-t SCSI.Sanitize, destructive
# and sanitize tests allowed), on LUs that opt in (emulate_sanitize=1) and
# are thin-provisioned (emulate_tpu=1, so BLOCK ERASE is offered):
#   LUN 0  fileio on a sparse 64 MiB file (pr_store internal)
#   LUN 1  ramdisk, 64 MiB
#   LUN 2  fileio on a sparse 8 GiB file: only for SCSI.Sanitize.Reset,
#          whose OVERWRITE must still run seconds later, after an ABORT
#          TASK, every reset and a new login (8 GiB are written)
# Every test must pass; the ones iscsi-test-cu passes without running
# (CRYPTO ERASE, which tandem refuses and does not list) are named. Then a
# LU without the attribute must answer SANITIZE with INVALID COMMAND
# OPERATION CODE, so the same tests are all skipped there.
#
# SCSI.Sanitize.Reset cannot run to its end against tandemd, whatever the
# SANITIZE does: after its new login it polls TEST UNIT READY with 60 s
# sleeps during which libiscsi's synchronous API answers no NOP-In, so
# tandemd drops the connection after 45 s (as it must, RFC 7143 NOP-In
# timeout), libiscsi logs in again as a new I_T nexus, whose first command
# reports POWER ON, RESET, and the poll starts over, forever. So its steps
# up to that poll are checked from its verbose output (the OVERWRITE goes
# on through TEST UNIT READY, START STOP UNIT and READ(16) answering
# SANITIZE IN PROGRESS, INQUIRY allowed, ABORT TASK, ABORT TASK SET, LUN
# RESET, TARGET WARM and COLD RESET, and a new login still seeing it
# run); then it is stopped, and the end of the sanitize is awaited by a
# raw initiator that does answer NOP-In (tests/protocol/iscsi_client.py).
#
#   tests/conformance/sanitize.sh [BUILD]   (not part of make check: it
#                                            writes gigabytes)
# Runs $BUILD/tandemd-san on 127.0.0.1 only; its log must hold no
# sanitizer report.
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/result.sh"
. "$HERE/../lib/target.sh"
result_init sanitize

IQN=iqn.2026-11.org.tandem:sanitize
I1=iqn.2026-11.org.tandem:sanitize-initiator-1
I2=iqn.2026-11.org.tandem:sanitize-initiator-2
work=$(mktemp -d "${TMPDIR:-/tmp}/tandem-sanitize.XXXXXX")
trap 'target_stop_all; rm -rf "$work"' EXIT

if ! command -v iscsi-test-cu >/dev/null; then
	result_fail "iscsi-test-cu is installed" "make deps (package libiscsi-bin)"
	result_write
	exit 1
fi
port=$(target_free_port) || { result_fail "a free port"; result_write; exit 1; }
truncate -s 64M "$work/small.img"
truncate -s 8G "$work/big.img"
truncate -s 64M "$work/off.img"

python3 - "$work" "$port" "$IQN" <<'EOF'
import json, sys, uuid
work, port, iqn = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def so(plugin, name, sanitize, **kw):
    d = {"plugin": plugin, "name": name, "wwn": str(uuid.uuid4()),
         "attributes": {"emulate_tpu": 1, "emulate_tpws": 1,
                        "emulate_sanitize": sanitize}}
    d.update(kw)
    return d
sos = [so("fileio", "small", 1, dev=work + "/small.img", size=64 << 20, write_back=False),
       so("ramdisk", "ram", 1, size=64 << 20),
       so("fileio", "big", 1, dev=work + "/big.img", size=8 << 30, write_back=False),
       so("fileio", "off", 0, dev=work + "/off.img", size=64 << 20, write_back=False)]
luns = [{"index": i, "storage_object": "/backstores/%s/%s" % (s["plugin"], s["name"])}
        for i, s in enumerate(sos)]
cfg = {"storage_objects": sos,
       "targets": [{"fabric": "iscsi", "wwn": iqn, "tpgs": [{
           "tag": 1, "enable": True,
           "attributes": {"authentication": 0, "generate_node_acls": 1,
                          "demo_mode_write_protect": 0},
           "luns": luns, "node_acls": [],
           "portals": [{"ip_address": "127.0.0.1", "port": port}]}]}]}
json.dump(cfg, open(work + "/config.json", "w"), indent=1)
EOF

if ! tandemd_start "$BUILD/tandemd-san" "$work/config.json" "$work/sock" \
	"$work/tandemd.log" "$port" "$IQN"; then
	result_fail "tandemd-san starts" "$(tail -n 5 "$work/tandemd.log" | tr '\n' ' ')"
	result_write
	exit 1
fi

# Runs iscsi-test-cu; prints "NAME passed|failed|skipped" a test. A test
# that says [SKIPPED] about anything but CRYPTO ERASE (which tandem does
# not offer) did not run what it is about.
cu() {	# cu LUN PATTERN OUT
	local url="iscsi://$TARGET_ADDR:$port/$IQN/$1"
	timeout 900 iscsi-test-cu -d --allow-sanitize -i "$I1" -I "$I2" -t "$2" "$url" \
		>"$3" 2>&1
	awk '
	function flush() {
		if (name == "") return
		if (state != "failed" && (skip || (crypto && name ~ /^CryptoErase$/)))
			state = "skipped"
		print name, state
	}
	/^  Test: / { flush(); name = $2; state = "running"; skip = 0; crypto = 0 }
	name != "" && /\[SKIPPED\]/ { if (/CRYPTO_ERASE/) crypto = 1; else skip = 1 }
	name != "" && /passed$/ { if (state != "failed") state = "passed" }
	name != "" && /FAILED$/ { state = "failed" }
	END { flush() }' "$3"
}

check_lun() {	# check_lun LUN WHAT PATTERN [EXPECT_ALL_SKIPPED]
	local lun=$1 what=$2 pattern=$3 all_skip=${4:-} out n=0
	out=$(cu "$lun" "$pattern" "$work/cu-$lun.log")
	while read -r name state; do
		[[ -n $name ]] || continue
		n=$((n + 1))
		case $state in
		passed)
			if [[ -n $all_skip ]]; then
				result_fail "$what: Sanitize.$name skipped" "it ran"
			else
				result_pass "$what: Sanitize.$name passes"
			fi ;;
		skipped)
			if [[ -n $all_skip || $name == CryptoErase* ]]; then
				result_pass "$what: Sanitize.$name skipped (not offered)"
			else
				result_fail "$what: Sanitize.$name passes" "skipped: $(grep -m1 SKIPPED "$work/cu-$lun.log")"
			fi ;;
		*)
			result_fail "$what: Sanitize.$name passes" \
				"$state; see $(grep -A3 "Test: $name" "$work/cu-$lun.log" | tr '\n' ' ')" ;;
		esac
	done <<<"$out"
	((n > 0)) || result_fail "$what: iscsi-test-cu ran tests" "$(tail -n 3 "$work/cu-$lun.log" | tr '\n' ' ')"
	echo "$what:"; echo "$out"
}

check_reset() {	# check_reset LUN
	local url="iscsi://$TARGET_ADDR:$port/$IQN/$1" log=$work/cu-reset.log pid
	local wait_line="Wait until the SANITIZE operation has finished" t=0 n
	timeout 600 iscsi-test-cu -d --allow-sanitize -V -i "$I1" -I "$I2" \
		-t SCSI.Sanitize.Reset "$url" >"$log" 2>&1 &
	pid=$!
	until grep -q "$wait_line" "$log" || ! kill -0 "$pid" 2>/dev/null || ((t >= 300)); do
		sleep 1
		t=$((t + 1))
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if ! grep -q "$wait_line" "$log"; then
		result_fail "Sanitize.Reset: reaches its final poll" "$(tail -n 5 "$log" | tr '\n' ' ')"
		return
	fi
	n=$(sed -n "1,/$wait_line/p" "$log" | grep -c '\[OK\].*SANITIZE_IN_PROGRESS')
	if sed -n "1,/$wait_line/p" "$log" | grep -q 'FAILED'; then
		result_fail "Sanitize.Reset: every step before the final poll passes" \
			"$(grep -m3 FAILED "$log" | tr '\n' ' ')"
	elif ((n != 4)); then
		result_fail "Sanitize.Reset: TUR, START STOP UNIT, READ(16) and TUR after a new login see SANITIZE IN PROGRESS" \
			"$n of 4 did"
	else
		result_pass "Sanitize.Reset: the OVERWRITE survives ABORT TASK, ABORT TASK SET, LUN, warm and cold reset and a new login; every step before the final poll passes"
	fi
	if python3 - "$HERE/../protocol" "$TARGET_ADDR" "$port" "$IQN" "$1" <<'PY'
import sys, time
sys.path.insert(0, sys.argv[1])
from iscsi_client import Conn
host, port, iqn, lun = sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
c = Conn(host, port, timeout=30)
assert c.login("iqn.2026-11.org.tandem:sanitize-waiter", iqn).ok
deadline = time.monotonic() + 900
while time.monotonic() < deadline:
    r = c.scsi(bytes(6), lun=lun)
    if r.status == 0:
        sys.exit(0)
    if r.sense_key() not in ((2, 0x04, 0x1b), (6, 0x29, 0x00)):
        sys.exit("TEST UNIT READY: status %d sense %r" % (r.status, r.sense_key()))
    c.nop()
    time.sleep(2)
sys.exit("still sanitizing after 900 s")
PY
	then
		result_pass "Sanitize.Reset: the OVERWRITE ends, then TEST UNIT READY is GOOD"
	else
		result_fail "Sanitize.Reset: the OVERWRITE ends, then TEST UNIT READY is GOOD"
	fi
}

# Every test but Reset on the two small LUs; Reset on the big one.
all=$(iscsi-test-cu --list | grep '^SCSI\.Sanitize\.' | grep -v '\.Reset$' | paste -sd,)
check_lun 0 "fileio" "$all"
check_lun 1 "ramdisk" "$all"
check_reset 2
check_lun 3 "fileio without emulate_sanitize" "SCSI.Sanitize.*" all-skipped
grep -q "SANITIZE is not implemented on target\|not implemented according" "$work/cu-3.log" &&
	result_pass "without emulate_sanitize: SANITIZE is INVALID COMMAND OPERATION CODE" ||
	result_fail "without emulate_sanitize: SANITIZE is INVALID COMMAND OPERATION CODE" \
		"$(grep -m3 -i sanitize "$work/cu-3.log" | tr '\n' ' ')"

log=$TARGET_LOG
if target_stop && target_sanitizer_check "$log"; then
	result_pass "tandemd-san exits 0 with no sanitizer report"
else
	result_fail "tandemd-san exits 0 with no sanitizer report" \
		"rc=${TARGET_RC:-?}; $(tail -n 5 "$log" | tr '\n' ' ')"
fi
result_write
