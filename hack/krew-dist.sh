#!/usr/bin/env bash
# hack/krew-dist.sh: the release archives (`make dist`).
#
# For each platform in DIST_PLATFORMS (hack/krew-lib.sh) it cross-compiles kubectl-smartvpa
# with plain `go build` (CGO_ENABLED=0, -trimpath, the Makefile's LDFLAGS) and packs
#   dist/kubectl-smartvpa_<version>_<os>_<arch>.tar.gz
# holding kubectl-smartvpa (kubectl-smartvpa.exe on windows), LICENSE, README.md and, on
# unix, the kubectl completion helper kubectl_complete-smartvpa; then
#   dist/kubectl-smartvpa_<version>_checksums.txt   (sha256sum format)
#   dist/release.env                                 (what was built, for krew-manifest/krew-check)
#
# The archives are reproducible: same commit and toolchain, same bytes. Files are sorted by
# name, owned by 0:0 with numeric ids, dated at the commit time, with fixed modes; gzip -n
# leaves out the name and time.
#
# Env (set by the Makefile): GO, BUILD_VERSION, GIT_COMMIT, LDFLAGS. Optional: DIST_DIR,
# DIST_PLATFORMS_OVERRIDE (see hack/krew-lib.sh), SOURCE_DATE_EPOCH (default: the commit time).
set -euo pipefail

# shellcheck source=hack/krew-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/krew-lib.sh"
KREW_LOG_NAME=dist
ROOT=$KREW_LIB_ROOT
cd "$ROOT"

GO=${GO:-go}
: "${BUILD_VERSION:?BUILD_VERSION is not set: run through \`make dist\`}"
: "${GIT_COMMIT:?GIT_COMMIT is not set: run through \`make dist\`}"
: "${LDFLAGS:?LDFLAGS is not set: run through \`make dist\`}"

for f in LICENSE README.md kubectl_complete-smartvpa; do
	[[ -f $f ]] || krew_die "$f is missing from the repository root"
done

KREW_VERSION=$(krew_version "$BUILD_VERSION" "$GIT_COMMIT")
is_krew_semver "$KREW_VERSION" || krew_die "internal: $KREW_VERSION is not a version krew accepts"
# Archive timestamps: the commit time (SOURCE_DATE_EPOCH wins when set, as in reproducible-builds.org).
EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
[[ $EPOCH =~ ^[0-9]+$ ]] || krew_die "SOURCE_DATE_EPOCH=$EPOCH is not a number of seconds"

krew_log "version $KREW_VERSION (build $BUILD_VERSION, commit $GIT_COMMIT), ${#DIST_PLATFORMS[@]} platforms"
rm -rf "$DIST_DIR"
mkdir -p "$DIST_DIR"
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/smartvpa-dist.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

export LC_ALL=C
start=$SECONDS
for platform in "${DIST_PLATFORMS[@]}"; do
	os=${platform%/*} arch=${platform#*/}
	exe=$PLUGIN_BIN
	[[ $os == windows ]] && exe=$PLUGIN_BIN.exe
	dir=$STAGE/${os}_$arch
	mkdir -p "$dir"
	t=$SECONDS
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$GO" build -trimpath -ldflags "$LDFLAGS" \
		-o "$dir/$exe" ./cmd/kubectl-smartvpa
	chmod 0755 "$dir/$exe"
	install -m 0644 LICENSE "$dir/LICENSE"
	install -m 0644 README.md "$dir/README.md"
	files=("$exe" LICENSE README.md)
	if [[ $os != windows ]]; then
		install -m 0755 kubectl_complete-smartvpa "$dir/kubectl_complete-smartvpa"
		files+=(kubectl_complete-smartvpa)
	fi
	archive=$(archive_name "$KREW_VERSION" "$os" "$arch")
	# Written whole: to a temporary name in dist/, renamed when complete.
	tar --create --format=gnu --sort=name --mtime="@$EPOCH" \
		--owner=0 --group=0 --numeric-owner -C "$dir" "${files[@]}" |
		gzip -9 -n >"$DIST_DIR/.$archive.tmp"
	mv -f "$DIST_DIR/.$archive.tmp" "$DIST_DIR/$archive"
	krew_log "$archive ($(($(stat -c %s "$DIST_DIR/$archive") / 1024)) KiB, $((SECONDS - t)) s)"
done

sums=$(checksums_name "$KREW_VERSION")
(cd "$DIST_DIR" && sha256sum -- *.tar.gz >".$sums.tmp" && mv -f ".$sums.tmp" "$sums")
{
	echo "# Written by \`make dist\` (hack/krew-dist.sh); read by krew-manifest and krew-check."
	printf 'KREW_VERSION=%q\n' "$KREW_VERSION"
	printf 'BUILD_VERSION=%q\n' "$BUILD_VERSION"
	printf 'GIT_COMMIT=%q\n' "$GIT_COMMIT"
	printf 'SOURCE_DATE_EPOCH=%q\n' "$EPOCH"
	printf 'CHECKSUMS=%q\n' "$sums"
} >"$DIST_DIR/.release.env.tmp"
mv -f "$DIST_DIR/.release.env.tmp" "$DIST_RELEASE_ENV"
krew_log "done in $((SECONDS - start)) s: $DIST_DIR/$sums"
cat "$DIST_DIR/$sums"
