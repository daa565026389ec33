#!/usr/bin/env bash
# hack/scale.sh: make PODS kwok pods (default 5000) in namespace NS (default scale) on the local
# control plane, for measuring `kubectl smartvpa recommend -A` at scale:
#
#   hack/scale.sh [--pods 5000] [--per-deployment 50] [--namespace scale] [--delete]
#
# It adds fake nodes scale-node-<i> (kwok, 1000 pods each, no metrics) so the demo nodes stay as
# they are, then PODS/PER Deployments of PER replicas each (one container, 10m / 16Mi), and waits
# until every pod is Running. --delete removes the namespace and the scale nodes.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PODS=5000 PER=50 NS=scale DELETE=
while [[ $# -gt 0 ]]; do
	case $1 in
	--pods) PODS=$2; shift 2 ;;
	--per-deployment) PER=$2; shift 2 ;;
	--namespace) NS=$2; shift 2 ;;
	--delete) DELETE=1; shift ;;
	*) die "unknown argument $1: use --pods N, --per-deployment N, --namespace NS, --delete" ;;
	esac
done
apiserver_up || die "the local control plane is down: run make cluster-up"

NODES=$(((PODS + 999) / 1000))
if [[ -n $DELETE ]]; then
	kc delete namespace "$NS" --ignore-not-found --wait=false
	kc delete nodes -l smartvpa.io/scale=true --ignore-not-found
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
		  name: scale-node-$i
		  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
		  labels: {type: kwok, smartvpa.io/scale: "true", kubernetes.io/hostname: scale-node-$i}
		spec:
		  podCIDR: 10.$((100 + i)).0.0/16
		  podCIDRs: [10.$((100 + i)).0.0/16]
		status:
		  allocatable: {cpu: "1000", memory: 4Ti, pods: "1000"}
		  capacity: {cpu: "1000", memory: 4Ti, pods: "1000"}
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
		      annotations: {kwok.x-k8s.io/usage-cpu: 5m, kwok.x-k8s.io/usage-memory: 12Mi}
		    spec:
		      nodeSelector: {smartvpa.io/scale: "true"}
		      containers:
		      - name: app
		        image: registry.k8s.io/pause:3.10
		        resources: {requests: {cpu: 10m, memory: 16Mi}}
		YAML
	done
} >"$tmp/scale.yaml"
log "creating $NODES nodes and $((PODS / PER)) deployments of $PER pods in namespace $NS"
kc apply -f "$tmp/scale.yaml" >/dev/null
for i in $(seq 1 300); do
	running=$(kc -n "$NS" get pods --no-headers 2>/dev/null | awk '$3 == "Running"' | wc -l)
	[[ $running -ge $((PODS / PER * PER)) ]] && break
	((i % 10 == 0)) && log "$running pods Running"
	sleep 2
done
log "$running pods Running in namespace $NS"
