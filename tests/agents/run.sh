#!/usr/bin/env bash
# Tier 3: the OCF agents ocf:tandem:{target,lun,portal}. bats files for
# every action and exit code, resource-agents' ocf-tester, crm_resource
# --force-*, and the tickle across two network namespaces.
# usage: tests/agents/run.sh BUILD   (writes BUILD/results/agents)
# Needs root (network namespaces, loop devices, nftables, raw sockets) and
# bats, resource-agents, pacemaker-cli-utils, libxml2-utils, nftables,
# iproute2, libiscsi-bin, util-linux.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD
export BUILD AGENTS_BUILD=$BUILD
# shellcheck source=../lib/result.sh
. "$ROOT/tests/lib/result.sh"
result_init agents

missing=()
for tool in bats ocf-tester xmllint crm_resource cibadmin crm_attribute nft ip losetup iscsi-ls; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
for f in "$BUILD/ocf/target" "$BUILD/ocf/lun" "$BUILD/ocf/portal" "$BUILD/tandemd"; do
	[[ -x $f ]] || missing+=("$f")
done
if [[ ${#missing[@]} -gt 0 || $(id -u) -ne 0 ]]; then
	result_fail "prerequisites" "missing: ${missing[*]:-}${missing[*]:+; }$( [[ $(id -u) -ne 0 ]] && echo 'not root')"
	result_write
	exit 1
fi

for f in "$HERE"/*.bats; do
	name=$(basename "$f" .bats)
	while IFS= read -r line; do
		case $line in
		"ok "*) result_pass "$name: ${line#ok * }" ;;
		"not ok "*) result_fail "$name: ${line#not ok * }" ;;
		"#"*) echo "  $line" ;;
		esac
	done < <(cd "$HERE" && bats --tap "$f" 2>&1)
done
result_write
