# Sourced by the image scripts: cache location, keys, progress output.
# Cache: $TANDEM_CACHE (default /var/cache/tandem), outside the tree, never
# committed. Every artefact is stored under a name carrying the hash of
# everything it was made from, so a build is redone only when an input
# changed, and an interrupted build never leaves a half artefact under a
# final name (they are written to *.tmp and renamed).
IMAGE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${REPO:-$(cd "$IMAGE_DIR/.." && pwd)}
TANDEM_SRC=${TANDEM_SRC:-$REPO}
CACHE=${TANDEM_CACHE:-/var/cache/tandem}
SUITE=bookworm
MIRROR=${TANDEM_MIRROR:-}	# empty: mmdebstrap uses the host's apt sources
export _T0=${_T0:-$(date +%s)}

# progress: "[image 0:42] text"
step() {
	local e=$(($(date +%s) - _T0))
	printf '[image %d:%02d] %s\n' $((e / 60)) $((e % 60)) "$*"
}
die() { step "ERROR: $*" >&2; exit 1; }

# hash of files and trees, content and mode, names relative to each argument
tree_hash() {
	local p
	for p in "$@"; do
		if [[ -d $p ]]; then
			(cd "$p" && find . \( -type f -o -type l \) -printf '%p %m %l\n' | LC_ALL=C sort &&
				find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
		elif [[ -e $p ]]; then
			stat -c '%n %a' "$p"; sha256sum <"$p"
		else
			echo "missing $p"
		fi
	done | sha256sum | cut -c1-16
}
str_hash() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }

packages() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$@" | tr -d ' \t'; }

# Keep only the newest $2 cache entries matching glob $1.
cache_prune() {
	local keep=${2:-1}
	# shellcheck disable=SC2012
	ls -1dt $1 2>/dev/null | tail -n +$((keep + 1)) | while read -r old; do
		step "cache: removing old $(basename "$old")"
		rm -rf "$old"
	done
}

# The UML kernel the lab boots (Debian's user-mode-linux package).
uml_version() { ls /usr/lib/uml/modules 2>/dev/null | sort -V | tail -1; }
