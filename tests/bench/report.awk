# Turns tests/bench/run.sh's raw lines (key=value fields) into the
# Markdown report: tandemd's figures with its ratios to tgt and istgt per
# store, every target's figures, the loopback ceiling, and the checks the
# issue asks for. Writes the number of checks that do not hold to the file
# named by -v checks=FILE.

function num(x) { return x + 0 }
function have(s, c, t) { return ((s, c, t, "iops") in V) }
function fig(x) {
	if (x == "") return "-"
	x = num(x)
	return x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x)
}
# tandemd's figure over the peer's, as "1.23x"; "-" when either is missing.
function ratio(s, c, peer, f,    a, b) {
	if (!have(s, c, "tandemd") || !have(s, c, peer)) return "-"
	a = V[s, c, "tandemd", f]; b = V[s, c, peer, f]
	if (a == "na" || b == "na" || num(b) == 0) return "-"
	return sprintf("%.2fx", num(a) / num(b))
}
function loop_frac(s, c,    b) {
	b = V[s, c, "tandemd", "bytes"]
	if (V[s, c, "tandemd", "pattern"] != "seq" || !(b in LOOP) || !have(s, c, "tandemd")) return "-"
	return sprintf("%.0f%%", 100 * num(V[s, c, "tandemd", "mibs"]) / LOOP[b])
}
function check(ok, text) {
	nchecks++
	if (!ok) nfailed++
	CHECKS[nchecks] = sprintf("- %s %s", ok ? "[holds]" : "[does NOT hold]", text)
}
# tandemd's f at least k times tgt's (or, below, at most).
function check_ratio_ge(s, c, f, k, what,    r) {
	if (!have(s, c, "tandemd") || !have(s, c, "tgt")) {
		check(0, sprintf("%s %s: %s (no figure)", s, c, what))
		return
	}
	r = num(V[s, c, "tandemd", f]) / num(V[s, c, "tgt", f])
	check(r >= k, sprintf("%s %s: %s: tandemd %s, tgt %s, ratio %.2f (needs >= %.2f)",
		s, c, what, fig(V[s, c, "tandemd", f]), fig(V[s, c, "tgt", f]), r, k))
}
function check_le(s, c, f, what,    a, b) {
	if (!have(s, c, "tandemd") || !have(s, c, "tgt")) {
		check(0, sprintf("%s %s: %s (no figure)", s, c, what))
		return
	}
	a = num(V[s, c, "tandemd", f]); b = num(V[s, c, "tgt", f])
	check(a <= b, sprintf("%s %s: %s: tandemd %s, tgt %s", s, c, what, fig(a), fig(b)))
}

{
	delete F
	for (i = 1; i <= NF; i++) {
		eq = index($i, "=")
		if (eq) F[substr($i, 1, eq - 1)] = substr($i, eq + 1)
	}
	if (F["kind"] == "loopback") {
		b = F["msg"] ~ /k$/ ? num(F["msg"]) * 1024 : num(F["msg"]) * 1048576
		if (!("error" in F)) {
			LOOPRUN[b, F["when"]] = num(F["mibs"])
			if (!(b in LOOP) || num(F["mibs"]) > LOOP[b]) LOOP[b] = num(F["mibs"])
		}
		LOOPMSG[b] = F["msg"]
		if (!(b in LOOPSEEN)) { LOOPSEEN[b] = 1; loops[++nloops] = b }
		next
	}
	if (F["kind"] != "cell") next
	s = F["store"]; c = F["cell"]; t = F["target"]
	if (!(s in SEEN)) { SEEN[s] = 1; stores[++nstores] = s }
	if (!((s, c) in CSEEN)) { CSEEN[s, c] = 1; cells[s, ++ncells[s]] = c }
	if ("error" in F) { FAILED[s, c, t] = 1; next }
	for (k in F) V[s, c, t, k] = F[k]
}

END {
	for (i = 1; i <= nstores; i++) {
		s = stores[i]
		printf "## %s LUs: tandemd, and tandemd's figure over each peer's\n\n", s
		print "| workload | IOPS | MiB/s | p50 µs | p99 µs | p99.9 µs | CPU s/GiB | IOPS /tgt | p99 /tgt | CPU /tgt | IOPS /istgt | p99 /istgt | CPU /istgt | of loopback |"
		print "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
		for (j = 1; j <= ncells[s]; j++) {
			c = cells[s, j]
			if (!have(s, c, "tandemd")) {
				printf "| %s | failed | | | | | | | | | | | | |\n", c
				continue
			}
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c,
				fig(V[s, c, "tandemd", "iops"]), fig(V[s, c, "tandemd", "mibs"]),
				fig(V[s, c, "tandemd", "p50_us"]), fig(V[s, c, "tandemd", "p99_us"]),
				fig(V[s, c, "tandemd", "p999_us"]), V[s, c, "tandemd", "cpu_s_per_gib"],
				ratio(s, c, "tgt", "iops"), ratio(s, c, "tgt", "p99_us"),
				ratio(s, c, "tgt", "cpu_s_per_gib"),
				ratio(s, c, "istgt", "iops"), ratio(s, c, "istgt", "p99_us"),
				ratio(s, c, "istgt", "cpu_s_per_gib"), loop_frac(s, c)
		}
		print ""
		printf "### %s LUs: every target\n\n", s
		print "| workload | target | IOPS | MiB/s | p50 µs | p99 µs | p99.9 µs | CPU s/GiB | target CPU % | client CPU % |"
		print "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"
		for (j = 1; j <= ncells[s]; j++) {
			c = cells[s, j]
			split("tandemd tgt istgt", T, " ")
			for (k = 1; k <= 3; k++) {
				t = T[k]
				if ((s, c, t) in FAILED) {
					printf "| %s | %s | failed | | | | | | | |\n", c, t
					continue
				}
				if (!have(s, c, t)) continue
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c, t,
					fig(V[s, c, t, "iops"]), fig(V[s, c, t, "mibs"]),
					fig(V[s, c, t, "p50_us"]), fig(V[s, c, t, "p99_us"]),
					fig(V[s, c, t, "p999_us"]), V[s, c, t, "cpu_s_per_gib"],
					V[s, c, t, "target_cpu_pct"], V[s, c, t, "client_cpu_pct"]
			}
		}
		print ""
	}

	print "## Loopback ceiling: one TCP stream between two processes on 127.0.0.1\n"
	print "| message | before, MiB/s | after, MiB/s | ceiling (the higher) |"
	print "|---|--:|--:|--:|"
	for (i = 1; i <= nloops; i++) {
		b = loops[i]
		printf "| %s | %s | %s | %s |\n", LOOPMSG[b],
			((b, "before") in LOOPRUN) ? fig(LOOPRUN[b, "before"]) : "failed",
			((b, "after") in LOOPRUN) ? fig(LOOPRUN[b, "after"]) : "failed",
			(b in LOOP) ? fig(LOOP[b]) : "failed"
	}
	print ""

	for (i = 1; i <= nstores; i++) {
		s = stores[i]
		check_ratio_ge(s, "4k-randread-qd32", "iops", 1.5, "IOPS at least 1.5x tgt's")
		check_ratio_ge(s, "4k-randwrite-qd32", "iops", 1.5, "IOPS at least 1.5x tgt's")
		check_ratio_ge(s, "1m-seqread-qd8", "mibs", 1.0, "MiB/s at least tgt's")
		check_ratio_ge(s, "1m-seqwrite-qd8", "mibs", 1.0, "MiB/s at least tgt's")
		check_le(s, "4k-randread-qd1", "p99_us", "p99 µs no worse than tgt's")
		check_le(s, "4k-randwrite-qd1", "p99_us", "p99 µs no worse than tgt's")
		c = "1m-seqread-qd8"
		if (have(s, c, "tandemd") && ((1048576) in LOOP)) {
			f = num(V[s, c, "tandemd", "mibs"]) / LOOP[1048576]
			check(f >= 0.6, sprintf("%s %s: %.0f%% of the 1 MiB loopback ceiling (needs >= 60%%)", s, c, 100 * f))
		} else {
			check(0, sprintf("%s %s: share of the loopback ceiling (no figure)", s, c))
		}
	}
	print "## Checks (issue 9)\n"
	for (i = 1; i <= nchecks; i++) print CHECKS[i]
	printf "\n%d of %d checks hold.\n", nchecks - nfailed, nchecks
	if (checks != "") print nfailed + 0 > checks
}
