# shellcheck shell=bash
# Sourced (after tests/lib/target.sh) by tests/conformance/*.sh: run
# libiscsi's iscsi-test-cu, turn its output into one line per test, compare
# with an expectation file, summarise.
#
# Result lines: "ALL.Suite.Test STATUS", STATUS one of
#   PASS   the test ran and passed
#   SKIP   CUnit counted it as passed, but the test printed "[SKIPPED]"
#          (the target reported the command or feature as not supported,
#          or the test does not apply: not removable, no multipath, ...)
#   FAIL   the test failed, or iscsi-test-cu was stopped during it (it hung,
#          the target died, iscsi-test-cu crashed: see conf_run)
#   NORUN  never run: iscsi-test-cu stopped before it and no resumed run
#          reached it; compared like FAIL
#
# Why the text output and not -x: with -x, CUnit's XML records a skipped
# test exactly like a passed one (libiscsi skips with CU_PASS("[SKIPPED]
# ...")), and the messages that say why a test failed or skipped are not
# in it. The default verbose mode prints "Suite: S", "  Test: T ..." and
# then "passed" or "FAILED" with everything the test logged in between, so
# one run gives status, skip and the reason.

CONF_IQN=${CONF_IQN:-iqn.2026-11.org.tandem:conformance}
CONF_INAME1=${CONF_INAME1:-iqn.2026-11.org.tandem:conformance-initiator-1}
CONF_INAME2=${CONF_INAME2:-iqn.2026-11.org.tandem:conformance-initiator-2}
CONF_LU_SIZE=${CONF_LU_SIZE:-67108864}		# 64 MiB, both LUs
CONF_RUN_TIMEOUT=${CONFORMANCE_RUN_TIMEOUT:-900}	# one iscsi-test-cu run, seconds
CONF_STALL=${CONFORMANCE_STALL:-90}		# no output this long: hung
CONF_MAX_RESUMES=${CONFORMANCE_MAX_RESUMES:-3}	# new runs after a hang or crash
CONF_TESTS=${CONFORMANCE_TESTS:-ALL}		# iscsi-test-cu -t pattern

conf_msg() { echo "conformance: $*" >&2; }

# For the caller's EXIT trap: stop an iscsi-test-cu run still going.
CONF_CU_PID=
conf_cleanup() {
	[[ -n $CONF_CU_PID ]] && kill -TERM "$CONF_CU_PID" 2>/dev/null
	CONF_CU_PID=
	return 0
}

conf_have_tools() {
	if ! command -v iscsi-test-cu >/dev/null; then
		conf_msg "iscsi-test-cu not found (package libiscsi-bin; make deps)"
		return 1
	fi
}

conf_libiscsi_version() {
	dpkg-query -W -f='${Version}' libiscsi-bin 2>/dev/null || echo unknown
}

# Writes the test names iscsi-test-cu knows under family ALL that
# CONF_TESTS selects (one a line, sorted) to $1. CONF_TESTS (for debugging a
# few suites) is a comma-separated list of ALL, ALL.Suite or ALL.Suite.Test.
conf_listing() {
	iscsi-test-cu --list 2>/dev/null | awk -F. -v sel="$CONF_TESTS" '
	BEGIN { n = split(sel, p, ",") }
	NF == 3 && $1 == "ALL" {
		for (i = 1; i <= n; i++)
			if ($0 == p[i] || index($0, p[i] ".") == 1) { print; next }
	}' |
		LC_ALL=C sort -u >"$1"
	[[ -s $1 ]] || { conf_msg "iscsi-test-cu --list gave no tests"; return 1; }
}

# Turns iscsi-test-cu's verbose output into result lines and per-test detail
# blocks: conf_parse LOG LISTING RESULTS DETAILS. Every test of LISTING gets
# a line; those without a result are NORUN.
conf_parse() {
	local log=$1 listing=$2 results=$3 details=$4
	awk -v fam=ALL -v det="$details" -v listing="$listing" '
	function flush(   st) {
		if (state == "") return
		if (state == "running") {
			st = "FAIL"
			buf = buf "    (no result: iscsi-test-cu stopped during this test)\n"
		} else
			st = status
		name = fam "." suite "." test
		res[name] = st
		printf "=== %s %s\n%s", name, st, buf > det
		state = ""; buf = ""
	}
	function body(s) {
		if (state == "running") {
			if (s ~ /^passed/) { status = skip ? "SKIP" : "PASS"; state = "done"; return }
			if (s ~ /^FAILED/) { status = "FAIL"; state = "failed"; return }
			if (s ~ /\[SKIPPED\]/) skip = 1
			buf = buf s "\n"
		} else if (state == "failed" && s ~ /^ +[0-9]+\. /) {
			buf = buf s "\n"	# CUnit: "    1. file.c:38  - CU_ASSERT..."
		}
	}
	BEGIN { printf "" > det }
	{ sub(/\r$/, "") }
	/^Suite: / { flush(); suite = substr($0, 8); sub(/[ \t]+$/, "", suite); next }
	/^  Test: / {
		flush()
		line = substr($0, 9)
		i = index(line, " ...")
		if (i == 0) { test = line; rest = "" } else { test = substr(line, 1, i - 1); rest = substr(line, i + 4) }
		state = "running"; skip = 0; buf = ""; status = ""
		sub(/^ +/, "", rest)
		if (rest ~ /^(passed|FAILED)/) body(rest)
		else if (rest != "") body("    " rest)
		next
	}
	/^Run Summary:/ { flush(); next }
	{ body($0) }
	END {
		flush()
		while ((getline n < listing) > 0) {
			listed[n] = 1
			print n, ((n in res) ? res[n] : "NORUN")
		}
		for (n in res) if (!(n in listed)) print n, res[n]
	}' "$log" | LC_ALL=C sort >"$results"
}

# Runs the suite against one LU: conf_run URL PREFIX LISTING [TARGET-PID]
# Writes PREFIX.log (iscsi-test-cu output), PREFIX.results, PREFIX.details.
#
# iscsi-test-cu runs unbuffered, watched: it is stopped when the target
# process (TARGET-PID) is gone (libiscsi would try to reconnect forever),
# when its output has not moved for CONF_STALL seconds (a test hangs), or
# after CONF_RUN_TIMEOUT seconds. The test it was in is then FAIL, and a
# new iscsi-test-cu resumes with the tests not run yet (at most
# CONF_MAX_RESUMES times, and only while that makes progress). If the target
# died and the caller defines conf_restart_target, that is called first; it
# must start a new target and set CONF_TARGET_URL and CONF_TARGET_PID.
# Sets CONF_STOPS (array: why each abnormal stop happened; empty when the run
# went to its end) and CONF_ELAPSED (seconds, all attempts).
conf_run() {
	local url=$1 prefix=$2 listing=$3 watch=${4:-}
	local start=$SECONDS attempt=0 pattern=$CONF_TESTS done_before done_now remaining
	CONF_STOPS=()
	: >"$prefix.log"
	rm -f "$prefix.results" "$prefix.details"
	while :; do
		attempt=$((attempt + 1))
		done_before=$(_conf_done "$prefix.results")
		conf_msg "running iscsi-test-cu on $url ($( ((attempt == 1)) && echo "-t $pattern" || echo "resumed: -t $(cut -c1-150 <<<"$pattern")..."))"
		_conf_run_once "$url" "$pattern" "$prefix.log.part" "$watch"
		cat "$prefix.log.part" >>"$prefix.log"
		rm -f "$prefix.log.part"
		if [[ -n $CONF_WHY ]]; then
			printf '\n    [harness] iscsi-test-cu stopped: %s\n' "$CONF_WHY" >>"$prefix.log"
			CONF_STOPS+=("$CONF_WHY")
			conf_msg "iscsi-test-cu stopped: $CONF_WHY"
		fi
		conf_parse "$prefix.log" "$listing" "$prefix.results" "$prefix.details"
		[[ -z $CONF_WHY ]] && break
		remaining=$(_conf_remaining "$prefix.results")
		[[ -n $remaining ]] || break
		done_now=$(_conf_done "$prefix.results")
		if ((done_now == done_before)); then
			conf_msg "no test ran in that attempt; not resuming"
			break
		fi
		if ((attempt > CONF_MAX_RESUMES)); then
			conf_msg "stopped $attempt times; not resuming again"
			break
		fi
		if [[ -n $watch ]] && ! _target_alive "$watch"; then
			if ! declare -F conf_restart_target >/dev/null || ! conf_restart_target; then
				conf_msg "the target is gone; not resuming"
				break
			fi
			url=$CONF_TARGET_URL watch=$CONF_TARGET_PID
		fi
		pattern=$remaining
	done
	CONF_ELAPSED=$((SECONDS - start))
	conf_msg "$(conf_counts "$prefix.results") in ${CONF_ELAPSED}s${CONF_STOPS[*]:+, ${#CONF_STOPS[@]} abnormal stop(s)}"
	return 0
}

# The -t pattern for the tests of a results file not run yet. A suite none of
# whose tests ran is named whole (ALL.Suite), so that it runs as in a full
# run: some libiscsi tests depend on the ones before them in their suite
# (iSCSITMF.LUNResetSimpleAsync fails, or crashes iscsi-test-cu, without
# AbortTaskSimpleAsync first). Only the suite that was interrupted is
# resumed test by test.
_conf_remaining() {
	awk -v whole="$([[ $CONF_TESTS == ALL ]] && echo 1)" '
	{
		split($1, p, "."); s = p[1] "." p[2]
		if (!(s in total)) order[++n] = s
		total[s]++
		if ($2 == "NORUN") { norun[s]++; names[s] = names[s] "," $1 }
	}
	END {
		out = ""
		for (i = 1; i <= n; i++) {
			s = order[i]
			if (!norun[s]) continue
			if (whole && norun[s] == total[s]) out = out "," s
			else out = out names[s]
		}
		print substr(out, 2)
	}' "$1"
}

# Tests with a result (not NORUN) in a results file, 0 if there is none.
_conf_done() {
	[[ -f $1 ]] || { echo 0; return; }
	awk '$2 != "NORUN" { n++ } END { print n + 0 }' "$1"
}

# One watched iscsi-test-cu: _conf_run_once URL PATTERN LOG [TARGET-PID]
# CONF_MPATH_URL, when set, is passed as its multipath URL: a second path to
# the same LU, which the MultipathIO tests need.
# Sets CONF_WHY: empty when it ran to its end, else why it stopped.
_conf_run_once() {
	local url=$1 pattern=$2 log=$3 watch=${4:-} rundir cu rc size last_size last_move
	CONF_WHY=
	rundir=$(mktemp -d "${TMPDIR:-/tmp}/tandem-cu.XXXXXX") || { CONF_WHY="no temporary directory"; return; }
	# In its own directory: CUnit may drop files into the working directory.
	# Unbuffered, so that the log shows the test in progress when it hangs.
	(cd "$rundir" && exec timeout -k 10 "$CONF_RUN_TIMEOUT" stdbuf -o0 -e0 \
		iscsi-test-cu -d --allow-sanitize -i "$CONF_INAME1" -I "$CONF_INAME2" -t "$pattern" "$url" \
			${CONF_MPATH_URL:+"$CONF_MPATH_URL"}) \
		>"$log" 2>&1 </dev/null &
	cu=$!
	CONF_CU_PID=$cu
	last_size=-1 last_move=$SECONDS
	while _target_alive "$cu"; do
		if [[ -n $watch ]] && ! _target_alive "$watch"; then
			CONF_WHY="the target (pid $watch) died"
			break
		fi
		size=$(stat -c %s "$log" 2>/dev/null || echo 0)
		if ((size != last_size)); then
			last_size=$size last_move=$SECONDS
		elif ((SECONDS - last_move >= CONF_STALL)); then
			CONF_WHY="no progress for ${CONF_STALL}s (hung)"
			break
		fi
		sleep 0.5
	done
	[[ -n $CONF_WHY ]] && kill -TERM "$cu" 2>/dev/null	# timeout passes it on
	wait "$cu"
	rc=$?
	CONF_CU_PID=
	rm -rf "$rundir"
	if [[ -z $CONF_WHY ]]; then
		case $rc in
		0 | 1) ;;
		124 | 137) CONF_WHY="timed out after ${CONF_RUN_TIMEOUT}s" ;;
		*) CONF_WHY="iscsi-test-cu exited with status $rc"
		   conf_msg "iscsi-test-cu exited with status $rc; its last lines:"
		   tail -n 8 "$log" >&2 ;;
		esac
	fi
}

# "N tests: P passed, F failed, S skipped[, R not run]" for a results file.
conf_counts() {
	awk '{ n++; c[$2]++ }
	END {
		printf "%d tests: %d passed, %d failed, %d skipped", n, c["PASS"], c["FAIL"], c["SKIP"]
		if (c["NORUN"]) printf ", %d not run", c["NORUN"]
		printf "\n"
	}' "$1"
}

# Compares results with expectations:
#   conf_compare EXPECTED RESULTS DETAILS LABEL [NAME-TO-SHOW-FOR-EXPECTED]
# Prints every failing test with its output, every improvement, and sets
# CONF_OK and CONF_BAD (tests that match or improved / that regressed).
#   expected PASS, got anything else   -> regressed (fails the tier)
#   expected SKIP, got FAIL/NORUN      -> regressed
#   expected FAIL, got FAIL/NORUN... NORUN counts as FAIL
#   got PASS, expected FAIL/SKIP        -> improved (passes; update expected)
#   got SKIP, expected FAIL             -> changed (passes; update expected)
#   a test missing from EXPECTED passes only when it passes.
conf_compare() {
	local expected=$1 results=$2 details=$3 label=$4 show=${5:-$1} out
	out=$(awk -v sel="$CONF_TESTS" -v label="$label" -v expfile="$expected" -v show="$show" -v det="$details" '
	BEGIN {
		while ((getline l < expfile) > 0) {
			if (l ~ /^[ \t]*(#|$)/) continue
			split(l, f, /[ \t]+/)
			want[f[1]] = f[2]; nwant++
		}
		name = ""
		while ((getline l < det) > 0) {
			if (l ~ /^=== /) { split(l, f, " "); name = f[2]; nl[name] = 0; continue }
			if (name != "" && nl[name] < 25) { out[name] = out[name] "        " l "\n"; nl[name]++ }
		}
	}
	{
		t = $1; got = $2; e = (t in want) ? want[t] : ""
		seen[t] = 1
		if (got == e || (got == "NORUN" && e == "FAIL")) { ok++; next }
		if (got == "PASS") {
			ok++
			if (e == "" && nwant) printf "new: %s PASS (not in %s)\n", t, show
			else if (e == "") nnew++
			else printf "improved: %s %s -> PASS: update %s\n", t, e, show
			next
		}
		if (got == "SKIP" && e == "FAIL") {
			ok++; printf "changed: %s FAIL -> SKIP: update %s\n", t, show; next
		}
		bad++
		if (!nwant) { nofile++; next }
		if (got == "NORUN" && ++norun > 10) next
		printf "FAIL conformance: %s %s: expected %s, got %s\n", label, t, (e == "" ? "PASS (not in " show ")" : e), got
		printf "%s", out[t]
	}
	END {
		if (nnew) printf "%s: %d tests passed, with no expectation (%s is empty or missing)\n", label, nnew, show
		if (nofile) printf "FAIL conformance: %s: %d tests did not pass, with no expectation (%s is empty or missing)\n", label, nofile, show
		if (norun > 10)
			printf "FAIL conformance: %s: ... and %d more tests not run\n", label, norun - 10
		if (sel == "ALL") for (t in want) if (!(t in seen))
			printf "note: %s lists %s, which this iscsi-test-cu does not have\n", show, t
		printf "COUNTS %d %d\n", ok, bad
	}' "$results")
	CONF_OK=$(awk '/^COUNTS /{ print $2 }' <<<"$out")
	CONF_BAD=$(awk '/^COUNTS /{ print $3 }' <<<"$out")
	grep -v '^COUNTS ' <<<"$out" | grep . || true
}

# Markdown summary of a results file: totals, per family (SCSI, iSCSI,
# LINUX as iscsi-test-cu --list groups the tests; a test can be in more than
# one) and per suite. conf_summary RESULTS
conf_summary() {
	local results=$1
	iscsi-test-cu --list 2>/dev/null | awk -v results="$results" '
	BEGIN { FS = "." }
	NF == 3 && $1 != "ALL" { fam[$2 "." $3] = fam[$2 "." $3] " " $1; fams[$1] = 1 }
	END {
		FS = " "
		while ((getline l < results) > 0) {
			split(l, f, " "); n = f[1]; st = f[2]
			if (st == "NORUN") st = "FAIL"
			split(n, p, "."); key = p[2] "." p[3]; suite = p[2]
			total[st]++; total["all"]++
			s[suite, st]++; s[suite, "all"]++
			if (!(suite in seen)) { seen[suite] = 1; order[++ns] = suite }
			m = split(fam[key], ff, " ")
			for (i = 1; i <= m; i++) { F[ff[i], st]++; F[ff[i], "all"]++ }
		}
		printf "| | tests | passed | failed | skipped |\n|---|---:|---:|---:|---:|\n"
		printf "| **total** | %d | %d | %d | %d |\n", total["all"], total["PASS"], total["FAIL"], total["SKIP"]
		nf = split("SCSI iSCSI LINUX", fl, " ")
		for (i = 1; i <= nf; i++)
			printf "| family %s | %d | %d | %d | %d |\n", fl[i], F[fl[i], "all"], F[fl[i], "PASS"], F[fl[i], "FAIL"], F[fl[i], "SKIP"]
		printf "\n| suite | tests | passed | failed | skipped |\n|---|---:|---:|---:|---:|\n"
		for (i = 1; i <= ns; i++) {
			x = order[i]
			printf "| %s | %d | %d | %d | %d |\n", x, s[x, "all"], s[x, "PASS"], s[x, "FAIL"], s[x, "SKIP"]
		}
	}'
}
