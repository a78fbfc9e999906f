#!/usr/bin/env bats
# Every agent's meta-data: valid against the OCF RA API DTD and the
# resource-agents RELAX NG schema, and the actions every agent must have.

load helpers

setup_file() { agents_setup_file; }
teardown_file() { agents_teardown_file; }

@test "meta-data of each agent validates against ra-api-1.dtd" {
	for a in target lun portal; do
		"$AGENT_DIR/$a" meta-data >"$T/$a.xml"
		run xmllint --noout --path /usr/share/resource-agents --dtdvalid "$RA_DTD" "$T/$a.xml"
		echo "$a: $output"
		assert_rc 0
	done
}

@test "meta-data of each agent validates against resource-agents' metadata.rng" {
	for a in target lun portal; do
		"$AGENT_DIR/$a" meta-data >"$T/$a.xml"
		run xmllint --noout --relaxng "$RA_RNG" "$T/$a.xml"
		echo "$a: $output"
		assert_rc 0
	done
}

@test "meta-data advertises start, stop, monitor at depth 0 and 10, validate-all" {
	for a in target lun portal; do
		run "$AGENT_DIR/$a" meta-data
		assert_rc 0
		for act in start stop meta-data validate-all; do
			grep -q "<action name=\"$act\" " <<<"$output" || { echo "$a: no $act"; return 1; }
		done
		grep -q '<action name="monitor" .*depth="0"' <<<"$output" || { echo "$a: no depth 0"; return 1; }
		grep -q '<action name="monitor" .*depth="10"' <<<"$output" || { echo "$a: no depth 10"; return 1; }
	done
}

@test "meta-data works for an unprivileged user with no environment" {
	for a in target lun portal; do
		run su nobody -s /bin/sh -c "env -i '$AGENT_DIR/$a' meta-data"
		assert_rc 0
		grep -q "<resource-agent name=\"$a\"" <<<"$output"
	done
}

@test "no action: usage and OCF_ERR_ARGS; an unknown action: OCF_ERR_UNIMPLEMENTED" {
	for a in target lun portal; do
		run "$AGENT_DIR/$a"
		assert_rc 2
		grep -q "usage: $a" <<<"$output"
		run "$AGENT_DIR/$a" frobnicate
		assert_rc 3
		run "$AGENT_DIR/$a" usage
		assert_rc 0
	done
	# Only target reloads; the others restart on any change.
	for a in lun portal; do
		run "$AGENT_DIR/$a" reload
		assert_rc 3
		! "$AGENT_DIR/$a" meta-data | grep -q '<action name="reload"'
	done
	"$AGENT_DIR/target" meta-data | grep -q '<action name="reload"'
}

@test "an unknown parameter is refused with OCF_ERR_CONFIGURED, naming it" {
	ra target validate-all iqn=iqn.2026-01.org.tandem:x portal=1.2.3.4
	assert_rc 6
	assert_reason "unknown parameter portal"
	ra lun validate-all target_iqn=iqn.2026-01.org.tandem:x lun=0 path=/dev/null scsi_sn_=x
	assert_rc 6
	ra portal validate-all ip=10.0.0.1 netmask=24
	assert_rc 6
	assert_reason "unknown parameter netmask"
}

@test "Pacemaker's own parameters (CRM_meta_*, crm_feature_set) are accepted" {
	ra target validate-all iqn=iqn.2026-01.org.tandem:x crm_feature_set=3.16.2 \
		CRM_meta_timeout=20000 CRM_meta_name=validate-all
	assert_rc 0
}

