#!/usr/bin/env bash
# hack/krew-check.sh: check the krew manifest and archives for real (`make krew-check`).
#
#  1. Build krew and its validate-krew-manifest (sigs.k8s.io/krew $KREW_TOOL_VERSION, from the
#     module proxy) in the wrapper module krew/tools into $SMARTVPA_BIN/krew-<v>/, once;
#     krew is built as kubectl-krew so kubectl finds it as a plugin.
#  2. Validate krew/smartvpa.yaml with validate-krew-manifest (structure, semver version,
#     selectors, no overlapping platforms). Its own install step downloads each uri, which does
#     not exist before a release, so it runs with -skip-install and step 3 does the install.
#  3. For every platform: `kubectl krew install --manifest=krew/smartvpa.yaml --archive=<its
#     archive>` into a temporary KREW_ROOT with KREW_OS/KREW_ARCH set (krew checks the sha256),
#     and check that the binary and LICENSE were installed.
#  4. On this machine's platform: install into a fresh KREW_ROOT, run `kubectl smartvpa version`
#     with only $KREW_ROOT/bin providing kubectl-smartvpa on PATH (the repo's bin/ and any other
#     kubectl-smartvpa are taken off PATH) and check the version and commit it prints; then
#     `kubectl krew uninstall smartvpa` and check that the plugin, its receipt and its store
#     are gone and `kubectl smartvpa` no longer runs.
#
# Offline: nothing is downloaded from GitHub. `kubectl krew uninstall` insists on a cloned
# plugin index, so an empty local git repository stands in for the default index.
# Env: KUBECTL (default: kubectl on PATH, else the one hack/build-tools.sh caches or builds),
# SMARTVPA_CACHE, KREW_TOOL_VERSION, BUILD_TOOLS_FORCE=1 to rebuild krew, KEEP_KREW_ROOT=1 to
# keep the temporary directories.
set -euo pipefail

# shellcheck source=hack/krew-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/krew-lib.sh"
KREW_LOG_NAME=krew-check
ROOT=$KREW_LIB_ROOT
export LC_ALL=C KREW_NO_UPGRADE_CHECK=1
unset KREW_OS KREW_ARCH KREW_DEFAULT_INDEX_URI

load_release_env
[[ -f $KREW_MANIFEST ]] || krew_die "no ${KREW_MANIFEST#"$ROOT"/}: run \`make krew-manifest\` first"
grep -q "^  version: $KREW_VERSION\$" "$KREW_MANIFEST" ||
	krew_die "${KREW_MANIFEST#"$ROOT"/} is not for the archives in dist/ ($KREW_VERSION): run \`make krew-manifest\` again"

# --- 1. krew and validate-krew-manifest --------------------------------------------------------
build_krew_tool() {
	local name=$1 pkg=$2 ldflags=$3
	if [[ -x $KREW_BIN_DIR/$name && -z ${BUILD_TOOLS_FORCE:-} ]]; then
		krew_log "$name: cached at $KREW_BIN_DIR/$name"
		return 0
	fi
	mkdir -p "$KREW_BIN_DIR"
	krew_log "$name: building $pkg@$KREW_TOOL_VERSION in krew/tools"
	local t=$SECONDS tmp="$KREW_BIN_DIR/.$name.$$.tmp"
	(cd "$KREW_TOOLS_MODULE" && CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly \
		${GO:-go} build -trimpath -ldflags "-s -w $ldflags" -o "$tmp" "$pkg")
	mv -f "$tmp" "$KREW_BIN_DIR/$name"
	krew_log "$name: built in $((SECONDS - t)) s"
}
grep -q "^require sigs.k8s.io/krew $KREW_TOOL_VERSION\$" "$KREW_TOOLS_MODULE/go.mod" ||
	krew_die "krew/tools/go.mod does not require sigs.k8s.io/krew $KREW_TOOL_VERSION"
build_krew_tool kubectl-krew sigs.k8s.io/krew/cmd/krew \
	"-X sigs.k8s.io/krew/internal/version.gitTag=$KREW_TOOL_VERSION"
build_krew_tool validate-krew-manifest sigs.k8s.io/krew/cmd/validate-krew-manifest ""

# kubectl: the operator's, else the one of the local control plane.
find_kubectl() {
	if [[ -n ${KUBECTL:-} ]]; then
		[[ -x $KUBECTL ]] || krew_die "KUBECTL=$KUBECTL is not an executable"
		echo "$KUBECTL"
	elif command -v kubectl >/dev/null; then
		command -v kubectl
	else
		# shellcheck source=hack/versions.sh
		(. "$ROOT/hack/versions.sh" && { [[ -x $KUBE_BIN_DIR/kubectl ]] ||
			"$ROOT/hack/build-tools.sh" kubectl >&2; } && echo "$KUBE_BIN_DIR/kubectl")
	fi
}
KUBECTL_PATH=$(find_kubectl)
krew_log "kubectl: $KUBECTL_PATH"

# PATH for the checks: krew's dir and a dir holding only kubectl first, then the caller's PATH
# without the repo's bin/ and without any directory that holds another kubectl-smartvpa or
# kubectl-krew, so the plugin can only come from $KREW_ROOT/bin.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/smartvpa-krew-check.XXXXXX")
cleanup() {
	if [[ -n ${KEEP_KREW_ROOT:-} ]]; then krew_log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
mkdir -p "$WORK/kubectl"
ln -s "$KUBECTL_PATH" "$WORK/kubectl/kubectl"
clean_path=
IFS=: read -r -a path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
	[[ -z $d || $d == . ]] && continue
	real=$(cd "$d" 2>/dev/null && pwd -P) || continue
	[[ $real == "$(cd "$ROOT" && pwd -P)/bin" ]] && continue
	[[ -e $d/$PLUGIN_BIN || -e $d/$PLUGIN_BIN.exe || -e $d/kubectl-krew ]] && continue
	clean_path+=:$d
done
BASE_PATH=$KREW_BIN_DIR:$WORK/kubectl$clean_path

PATH=$BASE_PATH

# step WHAT CMD...: run CMD, show its output indented; on failure stop with WHAT (klog's fatal
# stack dump is left out).
step() {
	local what=$1 out rc=0
	shift
	out=$("$@" </dev/null 2>&1) || rc=$?
	printf '%s\n' "$out" | sed -e '/^goroutine [0-9]/,$d' -e 's/^/    /'
	[[ $rc -eq 0 ]] || krew_die "$what (exit $rc)"
}
krew_log "$(KREW_ROOT=$WORK/version kubectl krew version 2>/dev/null | awk '$1 == "GitTag" { print "krew " $2 }')"

# --- 2. validate ---------------------------------------------------------------------------------
krew_log "validate-krew-manifest -manifest ${KREW_MANIFEST#"$ROOT"/} -skip-install"
step "validate-krew-manifest rejected ${KREW_MANIFEST#"$ROOT"/}" \
	"$KREW_BIN_DIR/validate-krew-manifest" -manifest "$KREW_MANIFEST" -skip-install

# --- 3. install every platform's archive ---------------------------------------------------------
platforms=0
for platform in "${DIST_PLATFORMS[@]}"; do
	os=${platform%/*} arch=${platform#*/}
	archive=$DIST_DIR/$(archive_name "$KREW_VERSION" "$os" "$arch")
	[[ -f $archive ]] || krew_die "no ${archive#"$ROOT"/}: run \`make dist\`"
	exe=$PLUGIN_BIN
	[[ $os == windows ]] && exe=$PLUGIN_BIN.exe
	root=$WORK/platform-${os}_$arch
	if ! out=$(env KREW_ROOT="$root" KREW_OS="$os" KREW_ARCH="$arch" PATH="$root/bin:$BASE_PATH" \
		kubectl krew install --manifest="$KREW_MANIFEST" --archive="$archive" 2>&1 </dev/null); then
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		krew_die "$platform: kubectl krew install failed"
	fi
	store=$root/store/$PLUGIN_NAME/$KREW_VERSION
	[[ -f $store/$exe ]] || krew_die "$platform: $exe not installed in $store"
	[[ -f $store/LICENSE ]] || krew_die "$platform: LICENSE not installed in $store"
	[[ -L $root/bin/$exe ]] || krew_die "$platform: no link $exe in $root/bin"
	krew_log "$platform: installed from ${archive#"$ROOT"/} (sha256 checked by krew)"
	platforms=$((platforms + 1))
done

# --- 4. install, run, uninstall on this machine ---------------------------------------------------
KREW_ROOT=$WORK/root
export KREW_ROOT
mkdir -p "$KREW_ROOT/index"
git init -q "$KREW_ROOT/index/default" # stands in for the default index (offline)
PATH=$KREW_ROOT/bin:$BASE_PATH
export PATH
host_os=$(${GO:-go} env GOHOSTOS)
host_arch=$(${GO:-go} env GOHOSTARCH)
archive=$DIST_DIR/$(archive_name "$KREW_VERSION" "$host_os" "$host_arch")
[[ -f $archive ]] || krew_die "no archive for this machine ($host_os/$host_arch) in dist/"

krew_log "kubectl krew install --manifest=${KREW_MANIFEST#"$ROOT"/} --archive=${archive#"$ROOT"/}"
step "kubectl krew install failed" kubectl krew install --manifest="$KREW_MANIFEST" --archive="$archive"

found=$(command -v "$PLUGIN_BIN" || true)
[[ $found == "$KREW_ROOT/bin/$PLUGIN_BIN" ]] ||
	krew_die "$PLUGIN_BIN on PATH is ${found:-missing}, not the krew-installed $KREW_ROOT/bin/$PLUGIN_BIN"
# `krew list` names a plugin installed from --manifest "detached/smartvpa".
listed() { kubectl krew list </dev/null 2>/dev/null | grep -Eqx "([^/]+/)?$PLUGIN_NAME"; }
listed || krew_die "kubectl krew list does not show $PLUGIN_NAME"

krew_log "kubectl smartvpa version"
got=$(kubectl smartvpa version) || krew_die "kubectl smartvpa version failed"
echo "    $got"
want="smartvpa $BUILD_VERSION (commit $GIT_COMMIT, "
[[ $got == "$want"* && $got == *", $host_os/$host_arch)" ]] ||
	krew_die "kubectl smartvpa version printed \"$got\", want \"$want... $host_os/$host_arch)\""
json=$(kubectl smartvpa version -o json) || krew_die "kubectl smartvpa version -o json failed"
grep -q "\"version\": \"$BUILD_VERSION\"" <<<"$json" || krew_die "version -o json does not say $BUILD_VERSION: $json"

krew_log "kubectl krew uninstall $PLUGIN_NAME"
step "kubectl krew uninstall failed" kubectl krew uninstall "$PLUGIN_NAME"
for p in "$KREW_ROOT/bin/$PLUGIN_BIN" "$KREW_ROOT/store/$PLUGIN_NAME" "$KREW_ROOT/receipts/$PLUGIN_NAME.yaml"; do
	[[ ! -e $p && ! -L $p ]] || krew_die "uninstall left ${p#"$WORK"/}"
done
hash -r
if command -v "$PLUGIN_BIN" >/dev/null; then
	krew_die "$PLUGIN_BIN is still on PATH after uninstall: $(command -v "$PLUGIN_BIN")"
fi
if kubectl smartvpa version >/dev/null 2>&1; then
	krew_die "kubectl smartvpa still runs after uninstall"
fi
if listed; then
	krew_die "kubectl krew list still shows $PLUGIN_NAME"
fi

krew_log "OK: manifest $KREW_VERSION valid, $platforms platform archives install, kubectl smartvpa ran through krew, uninstall removed it"
