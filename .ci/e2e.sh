#!/usr/bin/env bash
# CI entry point for the end-to-end suite on a fresh machine with only Go and apt (no containers).
# Installs what the local control plane needs (Debian's prometheus; the control-plane binaries
# built from the Go module proxy by hack/build-tools.sh, about 30 min cold on 2 cores, cached in
# ~/.cache/smartvpa afterwards), brings the cluster up and runs the e2e suite (build tag e2e).
# Leaves the cluster running when SMARTVPA_CI_KEEP_CLUSTER=1, stops it otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH=/usr/local/go/bin:$HOME/go/bin:$PATH
command -v go >/dev/null || { echo "ci: go not found at /usr/local/go/bin" >&2; exit 1; }
go version

sudo=
[[ $(id -u) == 0 ]] || sudo=sudo
need=()
command -v make >/dev/null || need+=(make)
command -v curl >/dev/null || need+=(curl)
command -v ss >/dev/null || need+=(iproute2)
{ command -v prometheus >/dev/null && command -v promtool >/dev/null; } || need+=(prometheus)
if [[ ${#need[@]} -gt 0 ]]; then
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

start=$SECONDS
hack/build-tools.sh
echo "ci: build-tools took $((SECONDS - start)) s"

go mod download
trap '[[ -n ${SMARTVPA_CI_KEEP_CLUSTER:-} ]] || hack/cluster-down.sh' EXIT
start=$SECONDS
make cluster-up
echo "ci: cluster-up took $((SECONDS - start)) s"
make e2e
