# shellcheck shell=bash
# Common settings of the local control plane scripts (hack/cluster-*.sh). Sourced, not run.
#
# Everything the cluster writes lives outside the repo, under $SMARTVPA_CACHE (default
# ~/.cache/smartvpa):
#   bin/<component>-<version>/   binaries (hack/build-tools.sh)
#   kwok/clusters/<name>/        kwokctl's workdir: pki, etcd data, logs, pids of the control plane
#   cluster/<name>/              ours: kubeconfig, kubeconfig-view, prometheus/, usage driver, pids/, logs/
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hack/versions.sh
. "$ROOT/hack/versions.sh"

CLUSTER_NAME=${SMARTVPA_CLUSTER:-smartvpa}
STATE_DIR=$SMARTVPA_CACHE/cluster/$CLUSTER_NAME
export KWOK_WORKDIR=$SMARTVPA_CACHE/kwok
KWOK_CLUSTER_DIR=$KWOK_WORKDIR/clusters/$CLUSTER_NAME
KUBECONFIG_ADMIN=$STATE_DIR/kubeconfig
KUBECONFIG_VIEWER=$STATE_DIR/kubeconfig-view
APISERVER_PORT=${SMARTVPA_APISERVER_PORT:-36443}
PROMETHEUS_PORT=${SMARTVPA_PROMETHEUS_PORT:-39090}
PROMETHEUS_ADDR=127.0.0.1:$PROMETHEUS_PORT
PROMETHEUS_URL=http://$PROMETHEUS_ADDR
DEMO_NAMESPACE=demo
# The usage driver plays the traces at this speed after the anchor (trace seconds per second).
USAGE_SPEEDUP=${SMARTVPA_USAGE_SPEEDUP:-60}
HISTORY=${SMARTVPA_HISTORY:-192h}

export PATH="$KUBE_BIN_DIR:$KWOK_BIN_DIR:$ETCD_BIN_DIR:/usr/local/go/bin:$PATH"
export GOTOOLCHAIN=${GOTOOLCHAIN:-local} GOFLAGS=${GOFLAGS:--buildvcs=false}

log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "$(basename "$0" .sh)" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

kc() { kubectl --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }

# pid_alive PIDFILE [PATTERN]: the process in PIDFILE runs (and its command line matches PATTERN).
pid_alive() {
	local f=$1 pat=${2:-} pid
	[[ -f $f ]] || return 1
	pid=$(<"$f")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -d /proc/$pid ]] || return 1
	# a zombie is not running
	[[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 1
	if [[ -n $pat ]]; then
		tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$pat" || return 1
	fi
}

# stop_pid PID [NAME]: SIGTERM, wait up to 15 s, then SIGKILL.
stop_pid() {
	local pid=$1 name=${2:-process} i
	[[ -d /proc/$pid ]] || return 0
	log "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 150); do
		[[ -d /proc/$pid ]] || return 0
		[[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 0
		sleep 0.1
	done
	log "$name (pid $pid) ignored SIGTERM; killing"
	kill -KILL "$pid" 2>/dev/null || true
}

# apiserver_up: the admin kubeconfig reaches a ready API server.
apiserver_up() {
	[[ -f $KUBECONFIG_ADMIN ]] && kc get --raw /readyz --request-timeout=3s >/dev/null 2>&1
}

prometheus_up() {
	curl -fsS --max-time 3 "$PROMETHEUS_URL/-/ready" >/dev/null 2>&1
}

# Control plane components kwokctl runs (pid files under $KWOK_CLUSTER_DIR/pids).
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok-controller metrics-server)

# dead_components: prints the components whose process is not running.
dead_components() {
	local c bin
	for c in "${COMPONENTS[@]}"; do
		bin=$c
		[[ $c == kwok-controller ]] && bin=kwok
		pid_alive "$KWOK_CLUSTER_DIR/pids/$c.pid" "$bin" || echo "$c"
	done
}
