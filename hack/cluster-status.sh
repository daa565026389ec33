#!/usr/bin/env bash
# hack/cluster-status.sh: is the local control plane up? Prints shell-sourceable lines:
#
#   KUBECONFIG=<admin kubeconfig>
#   KUBECONFIG_VIEW=<view-only kubeconfig>
#   PROMETHEUS_URL=<url>
#
# and '#' comment lines about each part, so `eval "$(hack/cluster-status.sh)"` works.
# Exit status: 0 when the API server, the metrics API and Prometheus answer; 1 otherwise.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rc=0
say() { printf '# %s\n' "$*"; }

if apiserver_up; then
	ver=$(kc version -o json 2>/dev/null | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1)
	server=$(kc config view --minify -o jsonpath='{.clusters[0].cluster.server}')
	say "cluster $CLUSTER_NAME: up, kube-apiserver $ver at $server"
	ready=$(kc get nodes --no-headers 2>/dev/null | awk '$2 == "Ready"' | wc -l)
	say "nodes Ready: $ready"
	avail=$(kc get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null || true)
	if [[ $avail == True ]]; then
		say "metrics API (v1beta1.metrics.k8s.io): Available"
	else
		say "metrics API (v1beta1.metrics.k8s.io): not available"
		rc=1
	fi
	dead=$(dead_components)
	if [[ -n $dead ]]; then
		say "components not running: $(echo $dead); run make cluster-up"
		rc=1
	fi
	running=$(kc -n "$DEMO_NAMESPACE" get pods --no-headers 2>/dev/null | awk '$3 == "Running"' | wc -l)
	say "namespace $DEMO_NAMESPACE: $running pods Running"
else
	say "cluster $CLUSTER_NAME: down (no ready API server via $KUBECONFIG_ADMIN); run make cluster-up"
	rc=1
fi

if [[ -n ${SMARTVPA_NO_PROMETHEUS:-} ]]; then
	say "prometheus: disabled (SMARTVPA_NO_PROMETHEUS)"
elif prometheus_up; then
	say "prometheus: up, history backfilled to $(cat "$STATE_DIR/prometheus/backfilled" 2>/dev/null || echo never)"
else
	say "prometheus: down"
	rc=1
fi

if pid_alive "$STATE_DIR/pids/usagedriver.pid" usagedriver; then
	say "usage driver: running, pid $(<"$STATE_DIR/pids/usagedriver.pid"), speed-up ${USAGE_SPEEDUP}x, anchor $(cat "$STATE_DIR/anchor" 2>/dev/null)"
else
	say "usage driver: not running"
fi

echo "KUBECONFIG=$KUBECONFIG_ADMIN"
echo "KUBECONFIG_VIEW=$KUBECONFIG_VIEWER"
echo "PROMETHEUS_URL=$PROMETHEUS_URL"
exit $rc
