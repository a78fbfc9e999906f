#!/usr/bin/env bash
# tgt's baseline: the same iscsi-test-cu -t ALL run that the conformance tier
# makes against tandemd, against tgtd (tgt) with one file LUN (a 64 MiB
# sparse file, LUN 1; tgt keeps LUN 0 for its controller).
#
#   tests/conformance/tgt-baseline.sh
#
# Writes tests/conformance/tgt.results (one "ALL.Suite.Test STATUS" a line)
# and tests/conformance/tgt.summary (date, versions, command, totals, per
# family and per suite), and prints the summary. Needs root (tgtd).
# docs/conformance.md quotes these figures.
. "$(dirname "$0")/../lib/tier.sh"
. "$HERE/lib.sh"
tier_on_exit conf_cleanup

RESULTS=${TGT_RESULTS:-$HERE/tgt.results}
SUMMARY=${TGT_SUMMARY:-$HERE/tgt.summary}

die() { echo "tgt-baseline: $*" >&2; exit 1; }

conf_have_tools || exit 1
command -v tgtd >/dev/null || die "tgtd not installed (package tgt; make deps)"
tier_workdir tgt-baseline
conf_listing "$WORK/listing" || exit 1
truncate -s "$CONF_LU_SIZE" "$WORK/lun1.img" || die "cannot create the backing file"
port=$(target_free_port) || exit 1
tgtd_start "$port" "$CONF_IQN" "$WORK/tgtd.log" "$WORK/lun1.img" || die "tgtd does not start"

url="iscsi://$TARGET_ADDR:$TARGET_PORT/$CONF_IQN/1"
conf_run "$url" "$WORK/tgt" "$WORK/listing" "$TARGET_PID"
elapsed=$CONF_ELAPSED
target_stop || echo "tgt-baseline: tgtd did not stop cleanly (status ${TARGET_RC:-?})" >&2
if ((${#CONF_STOPS[@]})); then
	tail -n 30 "$WORK/tgt.log" >&2
	die "iscsi-test-cu did not run to the end: ${CONF_STOPS[*]}"
fi

cp "$WORK/tgt.results" "$RESULTS"
tgt_version=$(tgtd -V 2>/dev/null | head -n 1)
{
	echo "# tgt baseline: iscsi-test-cu -t ALL against tgtd"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "- libiscsi (iscsi-test-cu): $(conf_libiscsi_version); tgt: ${tgt_version:-unknown} ($(dpkg-query -W -f='${Version}' tgt 2>/dev/null))"
	echo "- LUN: tgtd rdwr backing store, ${CONF_LU_SIZE}-byte sparse file, 512-byte blocks, LUN 1"
	echo "- command: iscsi-test-cu -d -i $CONF_INAME1 -I $CONF_INAME2 -t $CONF_TESTS iscsi://127.0.0.1:PORT/$CONF_IQN/1"
	echo "- run time: ${elapsed}s; $(conf_counts "$RESULTS")"
	echo
	conf_summary "$RESULTS"
	echo
	echo "Skipped, by the reason libiscsi gives (first [SKIPPED] line of each test):"
	echo
	awk '/^=== / { st = $3; got = 0; next }
		st == "SKIP" && !got && /\[SKIPPED\]/ { sub(/^ *\[SKIPPED\] */, ""); print; got = 1 }' \
		"$WORK/tgt.details" | sort | uniq -c | sort -rn | awk '{ n = $1; $1 = ""; printf "- %d:%s\n", n, $0 }'
	echo
	echo "Failed:"
	awk '$2 == "FAIL" || $2 == "NORUN" { print "- " $1 }' "$RESULTS"
} >"$SUMMARY"
cat "$SUMMARY"
echo "tgt-baseline: wrote $RESULTS and $SUMMARY"
