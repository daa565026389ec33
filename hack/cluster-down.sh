#!/usr/bin/env bash
# hack/cluster-down.sh [--purge]: stop every process hack/cluster-up.sh started, by PID.
#
# Stops the usage driver and Prometheus (our pid files), then the control plane (kwokctl's pid
# files under its workdir), checks each PID is gone (SIGKILL after 15 s) and that no listener is
# left on the cluster's ports. Keeps etcd data, certificates, kubeconfigs and Prometheus data, so
# the next cluster-up is a warm restart. --purge also deletes the cluster and all its state.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

purge=
case ${1:-} in
--purge) purge=1 ;;
"") ;;
*)
	echo "usage: $0 [--purge]" >&2
	exit 2
	;;
esac

for name in usagedriver prometheus; do
	f=$STATE_DIR/pids/$name.pid
	if pid_alive "$f" "$name"; then
		stop_pid "$(<"$f")" "$name"
	fi
	rm -f "$f"
done

# Remember the control plane PIDs before kwokctl removes its pid files.
declare -A cp_pids=()
if [[ -d $KWOK_CLUSTER_DIR/pids ]]; then
	for f in "$KWOK_CLUSTER_DIR"/pids/*.pid; do
		[[ -e $f ]] || continue
		name=$(basename "$f" .pid)
		if pid_alive "$f" "$name"; then
			cp_pids[$(<"$f")]=$name
		fi
	done
fi

if [[ -f $KWOK_CLUSTER_DIR/kwok.yaml ]] && command -v kwokctl >/dev/null; then
	log "stopping cluster $CLUSTER_NAME"
	kwokctl stop cluster --name "$CLUSTER_NAME" >/dev/null 2>&1 || log "kwokctl stop cluster failed; stopping by PID"
fi
for pid in "${!cp_pids[@]}"; do
	stop_pid "$pid" "${cp_pids[$pid]}"
done

# No listener may be left on the ports of this cluster.
ports=$(sed -n 's/^[[:space:]]*[a-zA-Z]*Port: \([0-9][0-9]*\)$/\1/p' "$KWOK_CLUSTER_DIR/kwok.yaml" 2>/dev/null | sort -u)
ports+=" $PROMETHEUS_PORT $APISERVER_PORT"
left=
if command -v ss >/dev/null; then
	for p in $ports; do
		[[ $p == 0 ]] && continue
		if ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
			left+=" $p"
		fi
	done
fi

if [[ -n $purge ]]; then
	log "deleting cluster $CLUSTER_NAME and its state"
	kwokctl delete cluster --name "$CLUSTER_NAME" >/dev/null 2>&1 || true
	rm -rf "$KWOK_CLUSTER_DIR" "$STATE_DIR"
fi

if [[ -n $left ]]; then
	log "error: still listening on port(s)$left:"
	ss -Hltnp 2>/dev/null | grep -E "$(echo "$left" | sed 's/^ //; s/ /|/g; s/\([0-9]*\)/:\1 /g')" >&2 || true
	exit 1
fi
log "cluster $CLUSTER_NAME stopped; no listener left"
