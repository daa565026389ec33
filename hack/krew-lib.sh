# shellcheck shell=bash
# hack/krew-lib.sh: shared by hack/krew-dist.sh, hack/krew-manifest.sh and hack/krew-check.sh
# (sourced, not run). Release layout, platforms, krew's version rules and the krew tools cache.

KREW_LIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The plugin and its archives.
PLUGIN_NAME=smartvpa
PLUGIN_BIN=kubectl-smartvpa
# One archive per platform, os/arch as GOOS/GOARCH and as krew's selector labels.
DIST_PLATFORMS=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64)
# DIST_PLATFORMS_OVERRIDE="linux/amd64 ...": a subset, for quick local runs of dist and krew-check
# (krew-manifest then fails on the template's platforms that have no archive).
if [[ -n ${DIST_PLATFORMS_OVERRIDE:-} ]]; then
	read -r -a DIST_PLATFORMS <<<"$DIST_PLATFORMS_OVERRIDE"
fi
RELEASE_URL_BASE=${RELEASE_URL_BASE:-https://github.com/smartvpa/smartvpa/releases/download}
DIST_DIR=${DIST_DIR:-$KREW_LIB_ROOT/dist}
# dist/release.env records what `make dist` built, so krew-manifest and krew-check use the
# same version and archive names without asking git again (git describe changes with --dirty).
DIST_RELEASE_ENV=$DIST_DIR/release.env
KREW_MANIFEST_TEMPLATE=${KREW_MANIFEST_TEMPLATE:-$KREW_LIB_ROOT/krew/$PLUGIN_NAME.yaml.tmpl}
KREW_MANIFEST=${KREW_MANIFEST:-$KREW_LIB_ROOT/krew/$PLUGIN_NAME.yaml}

# krew itself, built from the module proxy in the wrapper module krew/tools into a cache
# outside the repo (the same cache root as hack/versions.sh).
KREW_TOOL_VERSION=${KREW_TOOL_VERSION:-v0.4.3}
SMARTVPA_CACHE=${SMARTVPA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/smartvpa}
SMARTVPA_BIN=${SMARTVPA_BIN:-$SMARTVPA_CACHE/bin}
KREW_BIN_DIR=$SMARTVPA_BIN/krew-$KREW_TOOL_VERSION
KREW_TOOLS_MODULE=$KREW_LIB_ROOT/krew/tools

krew_log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "${KREW_LOG_NAME:-krew}" "$*" >&2; }
krew_die() {
	krew_log "error: $*"
	exit 1
}

# archive_name VERSION OS ARCH: the release archive of one platform.
archive_name() { printf '%s_%s_%s_%s.tar.gz' "$PLUGIN_BIN" "$1" "$2" "$3"; }
# checksums_name VERSION: the sha256 sums file of a release.
checksums_name() { printf '%s_%s_checksums.txt' "$PLUGIN_BIN" "$1"; }

# is_krew_semver V: true when krew v0.4.3 accepts V as a plugin version. krew requires a
# leading "v" and then k8s.io/apimachinery's ParseSemantic: exactly MAJOR.MINOR.PATCH without
# leading zeros, an optional -pre.release whose numeric parts have no leading zeros, an
# optional +build.metadata.
is_krew_semver() {
	local v=$1 num='(0|[1-9][0-9]*)' ident='[0-9A-Za-z-]+'
	[[ $v =~ ^v$num\.$num\.$num(-($ident(\.$ident)*))?(\+$ident(\.$ident)*)?$ ]] || return 1
	local pre=${BASH_REMATCH[5]} part
	[[ -z $pre ]] && return 0
	local IFS=.
	for part in $pre; do
		if [[ $part =~ ^[0-9]+$ && $part == 0?* ]]; then
			return 1
		fi
	done
	return 0
}

# krew_version BUILD_VERSION COMMIT: the plugin version for the manifest and the archive names:
# the build's own version (git describe) when krew accepts it, otherwise v0.1.0-g<short commit>
# (the leading "g" keeps the identifier alphanumeric, so a hash of digits is accepted too).
krew_version() {
	local build=$1 commit=$2
	if is_krew_semver "$build"; then
		printf '%s' "$build"
		return 0
	fi
	local short=${commit:0:7}
	[[ $short =~ ^[0-9a-f]+$ ]] || short=unknown
	printf 'v0.1.0-g%s' "$short"
}

# load_release_env: source dist/release.env, or fail with what to run first.
load_release_env() {
	[[ -f $DIST_RELEASE_ENV ]] || krew_die "no ${DIST_RELEASE_ENV#"$KREW_LIB_ROOT"/}: run \`make dist\` first"
	# shellcheck disable=SC1090
	. "$DIST_RELEASE_ENV"
	[[ -n ${KREW_VERSION:-} && -n ${BUILD_VERSION:-} && -n ${GIT_COMMIT:-} ]] ||
		krew_die "${DIST_RELEASE_ENV#"$KREW_LIB_ROOT"/} is incomplete: run \`make dist\` again"
}
