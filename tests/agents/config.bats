#!/usr/bin/env bats
# The agents against what cluster-config generates: every ocf:tandem
# primitive of every example description must pass the agent's parameter
# checks (a probe with no daemon then says OCF_NOT_RUNNING; a parameter
# the agent refuses makes it OCF_ERR_CONFIGURED, with the reason).

load helpers

setup_file() { agents_setup_file; }
teardown_file() { agents_teardown_file; }

ROOT=$BATS_TEST_DIRNAME/../..

check_example() {
	local name=$1 ini=$ROOT/cluster-config/examples/$1.ini out=$T/$1 bad=0 id agent rest kv
	"$ROOT/cluster-config/tandem-config" generate "$ini" -o "$out" >/dev/null
	while read -r id agent rest; do
		eval "set -- $rest"
		local params=()
		for kv; do params+=("$kv"); done
		RA_INSTANCE=$id ra "$agent" monitor CRM_meta_interval=0 \
			TANDEM_SOCKET="$T/no-daemon.sock" "${params[@]}"
		if [[ $status -ne 7 ]]; then
			echo "$name: $id (ocf:tandem:$agent): exit $status: $(reason)"
			bad=1
		fi
	done < <("$PY" "$BATS_TEST_DIRNAME/crm_params.py" "$out/cluster.crm")
	grep -q "ocf:tandem:lun" "$out/cluster.crm"
	return $bad
}

@test "cluster-config two-node: every ocf:tandem primitive's parameters are accepted" {
	check_example two-node
}

@test "cluster-config active-active: every ocf:tandem primitive's parameters are accepted" {
	check_example active-active
}

@test "cluster-config qnetd: every ocf:tandem primitive's parameters are accepted" {
	check_example qnetd
}

@test "cluster-config tiebreaker: every ocf:tandem primitive's parameters are accepted" {
	check_example tiebreaker
}

@test "cluster-config lab: every ocf:tandem primitive's parameters are accepted" {
	check_example lab
}
