#!/usr/bin/env bash
# hack/scale.sh: make PODS kwok pods (default 5000) in namespace NS (default scale) on the local
# control plane, for measuring `kubectl smartvpa recommend -A` at scale:
#
#   hack/scale.sh [--pods 5000] [--per-deployment 50] [--namespace scale] [--vpas] [--metrics]
#                  [--recommender-name smartvpa] [--delete]
#
# It adds fake nodes <NS>-node-<i> (kwok, one per 1000 pods, room for 1100: DaemonSets such as the
# demo's node-agent take a slot on every node) so the demo nodes stay as they are,
# then PODS/PER Deployments of PER replicas each (one container, 10m / 16Mi requests, kwok usage
# 5-49m / 12-31Mi by Deployment), and waits until every pod is Running. --delete removes the namespace and its
# nodes.
#
# For `kubectl smartvpa serve` at scale (issue 8: 1,000 VPAs):
#   --vpas     one VerticalPodAutoscaler per Deployment naming recommender NAME (mode Off);
#              --recommender-name NAME (default smartvpa) keeps another serve on the cluster off them
#   --metrics  the scale nodes serve resource metrics (metrics-server scrapes every pod), so serve
#              gets samples; without it metrics.k8s.io has nothing for the scale pods
# e.g. hack/scale.sh --pods 5000 --per-deployment 5 --namespace scale-serve --vpas --metrics
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PODS=5000 PER=50 NS=scale DELETE= VPAS= METRICS= RECNAME=smartvpa
while [[ $# -gt 0 ]]; do
	case $1 in
	--pods) PODS=$2; shift 2 ;;
	--per-deployment) PER=$2; shift 2 ;;
	--namespace) NS=$2; shift 2 ;;
	--delete) DELETE=1; shift ;;
	--vpas) VPAS=1; shift ;;
	--metrics) METRICS=1; shift ;;
	--recommender-name) RECNAME=$2; shift 2 ;;
	*) die "unknown argument $1: use --pods N, --per-deployment N, --namespace NS, --vpas, --metrics, --recommender-name NAME, --delete" ;;
	esac
done
apiserver_up || die "the local control plane is down: run make cluster-up"

NODES=$(((PODS + 999) / 1000))
if [[ -n $DELETE ]]; then
	kc delete namespace "$NS" --ignore-not-found --wait=false
	kc delete nodes -l smartvpa.io/scale-namespace="$NS" --ignore-not-found
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
	for ((i = 0; i < NODES; i++)); do
		cat <<-YAML
		---
		apiVersion: v1
		kind: Node
		metadata:
		  name: $NS-node-$i
		  annotations:
		    kwok.x-k8s.io/node: fake
		    node.alpha.kubernetes.io/ttl: "0"
		$( [[ -n $METRICS ]] && echo "    metrics.k8s.io/resource-metrics-path: /metrics/nodes/$NS-node-$i/metrics/resource")
		  labels: {type: kwok, smartvpa.io/scale: "true", smartvpa.io/scale-namespace: $NS, kubernetes.io/hostname: $NS-node-$i}
		spec:
		  podCIDR: 10.$((100 + i)).0.0/16
		  podCIDRs: [10.$((100 + i)).0.0/16]
		status:
		  allocatable: {cpu: "1000", memory: 4Ti, pods: "1100"}
		  capacity: {cpu: "1000", memory: 4Ti, pods: "1100"}
		YAML
	done
	printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$NS"
	for ((d = 0; d < PODS / PER; d++)); do
		cat <<-YAML
		---
		apiVersion: apps/v1
		kind: Deployment
		metadata: {name: app-$d, namespace: $NS}
		spec:
		  replicas: $PER
		  selector: {matchLabels: {app: app-$d}}
		  template:
		    metadata:
		      labels: {app: app-$d}
		      annotations: {kwok.x-k8s.io/usage-cpu: $((5 + d % 45))m, kwok.x-k8s.io/usage-memory: $((12 + d % 20))Mi}
		    spec:
		      nodeSelector: {smartvpa.io/scale-namespace: $NS}
		      containers:
		      - name: app
		        image: registry.k8s.io/pause:3.10
		        resources: {requests: {cpu: 10m, memory: 16Mi}}
		YAML
		if [[ -n $VPAS ]]; then
			cat <<-YAML
			---
			apiVersion: autoscaling.k8s.io/v1
			kind: VerticalPodAutoscaler
			metadata: {name: app-$d, namespace: $NS}
			spec:
			  targetRef: {apiVersion: apps/v1, kind: Deployment, name: app-$d}
			  recommenders: [{name: $RECNAME}]
			  updatePolicy: {updateMode: "Off"}
			YAML
		fi
	done
} >"$tmp/scale.yaml"
log "creating $NODES nodes and $((PODS / PER)) deployments of $PER pods${VPAS:+ with a VPA each} in namespace $NS"
kc apply -f "$tmp/scale.yaml" >/dev/null
for i in $(seq 1 300); do
	running=$(kc -n "$NS" get pods --no-headers 2>/dev/null | awk '$3 == "Running"' | wc -l)
	[[ $running -ge $((PODS / PER * PER)) ]] && break
	((i % 10 == 0)) && log "$running pods Running"
	sleep 2
done
log "$running pods Running in namespace $NS"
