#!/usr/bin/env bash
# hack/whatif-scale.sh: measure `kubectl smartvpa backtest -A --history prometheus` (issue 21) over the
# scale namespace of hack/scale.sh on 8 days of history, without waiting 8 days:
#
#   hack/scale.sh                      # 5,000 kwok pods in namespace scale
#   hack/whatif-scale.sh [--namespace scale] [--history 192h] [--recommenders vpa,smart] [--keep]
#
# hack/promhistory writes synthetic cAdvisor history for every pod of the namespace (OpenMetrics, one
# file a day), promtool backfills it into a throwaway Prometheus (its own data folder under
# $SMARTVPA_CACHE/cluster/<name>/whatif-scale, port $SMARTVPA_WHATIF_PROMETHEUS_PORT, default 39191,
# no scraping), the command runs against it with --debug-requests and the wall time is printed. The
# throwaway Prometheus is stopped by its PID and its data deleted at the end (--keep keeps both for
# reruns). The cluster's own Prometheus is not touched.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NS=scale HIST=192h RECS=vpa,smart KEEP=
while [[ $# -gt 0 ]]; do
	case $1 in
	--namespace) NS=$2; shift 2 ;;
	--history) HIST=$2; shift 2 ;;
	--recommenders) RECS=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	*) die "unknown argument $1: use --namespace NS, --history 192h, --recommenders LIST, --keep" ;;
	esac
done
apiserver_up || die "the local control plane is down: run make cluster-up"
command -v promtool >/dev/null || die "promtool not found: make cluster-up installs Debian's prometheus package"
PORT=${SMARTVPA_WHATIF_PROMETHEUS_PORT:-39191}
DIR=$STATE_DIR/whatif-scale
URL=http://127.0.0.1:$PORT
PIDFILE=$DIR/prometheus.pid

stop() {
	if [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
		kill "$(cat "$PIDFILE")"
		for _ in $(seq 50); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.2; done
	fi
	if [[ -z $KEEP ]]; then rm -rf "$DIR"; fi
}
trap stop EXIT

if [[ ! -d $DIR/data ]]; then
	mkdir -p "$DIR/om" "$DIR/data"
	log "writing $HIST of history for the pods of namespace $NS"
	go run "$ROOT/hack/promhistory" --kubeconfig "$KUBECONFIG_ADMIN" --namespace "$NS" --history "$HIST" --out "$DIR/om" >&2
	log "backfilling it (promtool, one day at a time)"
	for f in "$DIR"/om/day-*.om; do
		promtool tsdb create-blocks-from openmetrics --max-block-duration=24h "$f" "$DIR/data" >"$DIR/promtool.log" 2>&1 ||
			die "promtool failed on $f; see $DIR/promtool.log"
		rm -f "$f"
	done
fi
printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' >"$DIR/prometheus.yml"
setsid nohup prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/data" --storage.tsdb.retention.time=60d \
	--web.listen-address="127.0.0.1:$PORT" >"$DIR/prometheus.log" 2>&1 </dev/null &
echo $! >"$PIDFILE"
for _ in $(seq 150); do curl -fsS "$URL/-/ready" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "$URL/-/ready" >/dev/null || die "the throwaway Prometheus is not ready; see $DIR/prometheus.log"

BIN=$ROOT/bin/kubectl-smartvpa
[[ -x $BIN ]] || die "build the plugin first: make build"
log "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
start=$(date +%s.%N)
KUBECONFIG=$KUBECONFIG_ADMIN "$BIN" backtest -A --history prometheus --prometheus-url "$URL" --recommenders "$RECS" \
	--debug-requests -o json >"$DIR/result.json" 2>"$DIR/stderr"
end=$(date +%s.%N)
grep -v 'have no history in' "$DIR/stderr" >&2 || true
series=$(grep -c "\"namespace\": \"$NS\"" "$DIR/result.json" || true)
printf 'backtest -A --history prometheus --recommenders %s over namespace %s (%s of history): %.1f s wall, %s series\n' \
	"$RECS" "$NS" "$HIST" "$(echo "$end - $start" | bc)" "$series"
