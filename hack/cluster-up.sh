#!/usr/bin/env bash
# hack/cluster-up.sh: start (or create) the local control plane and the demo around it.
#
# No container runtime: kwokctl's binary runtime runs etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok (fake nodes and pods) and metrics-server as local processes on 127.0.0.1 from
# binaries built by hack/build-tools.sh. Around it this script keeps:
#   - three kwok nodes, RBAC on, a view-only ServiceAccount with its kubeconfig,
#   - the upstream VPA CRDs and the seed objects of namespace demo (hack/cluster/manifests),
#   - Prometheus (Debian package) with 8 days of backfilled history for the demo pods, scraping
#     kwok's per-node resource metrics from then on,
#   - the usage driver (hack/usagedriver) that makes every demo pod report its trace's usage.
#
# Idempotent: run it twice and the second run only checks. A stopped cluster (cluster-down) is
# started again with its etcd data (warm restart). Ends by printing hack/cluster-status.sh.
#
# Env: SMARTVPA_CLUSTER (name, default smartvpa), SMARTVPA_APISERVER_PORT (36443),
# SMARTVPA_PROMETHEUS_PORT (39090), SMARTVPA_USAGE_SPEEDUP (60), SMARTVPA_NO_PROMETHEUS=1 to skip
# Prometheus, SMARTVPA_NO_SEED=1 to skip the demo namespace.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

START=$SECONDS
mkdir -p "$STATE_DIR"/{pids,logs,bin}

# --- binaries -------------------------------------------------------------------------------
components=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok kwokctl metrics-server)
# kubectl: ours (v1.36, from build-tools) when built, else any kubectl on PATH, else build it.
command -v kubectl >/dev/null || components+=(kubectl)
# The go build output stays in the log; the per-component lines (the first-run estimate, building,
# built in N s, cached) also go to stderr, so that a cold first run shows it is alive.
{ "$ROOT/hack/build-tools.sh" "${components[@]}" 2>&1 && echo 0 >"$STATE_DIR/logs/build-tools.rc" ||
	echo $? >"$STATE_DIR/logs/build-tools.rc"; } | tee "$STATE_DIR/logs/build-tools.log" |
	{ grep --line-buffered ' build-tools: ' >&2 || true; }
if [[ $(cat "$STATE_DIR/logs/build-tools.rc") != 0 ]]; then
	die "hack/build-tools.sh failed; see $STATE_DIR/logs/build-tools.log"
fi
KUBECTL=$(command -v kubectl)

ensure_prometheus_package() {
	[[ -n ${SMARTVPA_NO_PROMETHEUS:-} ]] && return 0
	command -v prometheus >/dev/null && command -v promtool >/dev/null && return 0
	log "installing Debian package prometheus"
	local sudo=
	[[ $(id -u) == 0 ]] || sudo=sudo
	$sudo apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
	# The package enables a system service on :9090; ours runs on its own port and data dir.
	if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
		$sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
	fi
}
ensure_prometheus_package

# --- control plane ----------------------------------------------------------------------------
write_metrics_server_manifests() {
	# metrics-server's own APIService + Service from its module source; kwokctl turns the Service
	# into an ExternalName to the local process. Without this option kwokctl would download them.
	local src dir=$STATE_DIR/metrics-server-manifests
	src=$(cd / && go mod download -json "sigs.k8s.io/metrics-server@$METRICS_SERVER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -d $src/manifests/base ]] || die "metrics-server $METRICS_SERVER_VERSION source not found in the module cache"
	mkdir -p "$dir"
	cp "$src/manifests/base/apiservice.yaml" "$src/manifests/base/service.yaml" "$dir/"
	chmod 0644 "$dir"/*.yaml
	cat >"$dir/kustomization.yaml" <<-EOF
		apiVersion: kustomize.config.k8s.io/v1beta1
		kind: Kustomization
		labels:
		- pairs: {k8s-app: metrics-server}
		resources:
		- apiservice.yaml
		- service.yaml
	EOF
	echo "$dir"
}

kwok_stage() { # kwok_stage DIR FILE: a Stage from kwok's module source
	local src
	src=$(cd / && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	echo "---"
	cat "$src/kustomize/stage/$1"
}

write_kwokctl_config() {
	local cfg=$STATE_DIR/kwokctl.yaml manifests
	manifests=$(write_metrics_server_manifests)
	{
		cat <<-EOF
			apiVersion: config.kwok.x-k8s.io/v1alpha1
			kind: KwokctlConfiguration
			options:
			  runtime: binary
			  bindAddress: 127.0.0.1
			  kubeApiserverPort: $APISERVER_PORT
			  kubeAuthorization: true
			  kubeAdmission: true
			  kubeVersion: $KUBE_VERSION
			  kubeBinaryPrefix: $KUBE_BIN_DIR
			  kubeApiserverBinary: $KUBE_BIN_DIR/kube-apiserver
			  kubeControllerManagerBinary: $KUBE_BIN_DIR/kube-controller-manager
			  kubeSchedulerBinary: $KUBE_BIN_DIR/kube-scheduler
			  kubectlBinary: $KUBECTL
			  etcdBinary: $ETCD_BIN_DIR/etcd
			  kwokControllerBinary: $KWOK_BIN_DIR/kwok
			  metricsServerBinary: $METRICS_SERVER_BIN_DIR/metrics-server
			  metricsServerManifests:
			  - $manifests
			  enable:
			  - metrics-server
			  cacheDir: $SMARTVPA_CACHE/kwok-cache
			componentsPatches:
			# kube-apiserver exits on a host without a default route unless it advertises a
			# non-loopback address; 192.0.2.10 (TEST-NET-1) is never routed.
			- name: kube-apiserver
			  extraArgs:
			  - key: advertise-address
			    value: 192.0.2.10
		EOF
		# kwokctl's default stages, except that Job pods run for a while (annotation
		# pod-complete.stage.kwok.x-k8s.io/delay) instead of completing at once.
		kwok_stage node/fast/node-initialize.yaml
		kwok_stage node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
		# pod-ready also reports each container's resources, as a kubelet with in-place resize
		# does: the API server forbids a resize of a running pod whose status lacks them.
		kwok_stage pod/fast/pod-ready.yaml | awk '
			{ print }
			!done && /startedAt: \{\{ \$now \| Quote \}\}/ {
				print "        {{ with .resources }}"
				print "        resources:"
				print "      {{ YAML . 2 }}"
				print "        {{ end }}"
				print "        {{ with .resources }}{{ with .requests }}"
				print "        allocatedResources:"
				print "      {{ YAML . 2 }}"
				print "        {{ end }}{{ end }}"
				done = 1
			}'
		kwok_stage pod/general/pod-complete.yaml
		kwok_stage pod/fast/pod-delete.yaml
	} >"$cfg.tmp"
	mv "$cfg.tmp" "$cfg"
	echo "$cfg"
}

cluster_exists() { [[ -f $KWOK_CLUSTER_DIR/kwok.yaml ]]; }

if cluster_exists && [[ -f $KUBECONFIG_ADMIN ]]; then
	if apiserver_up; then
		log "cluster $CLUSTER_NAME is running"
	else
		log "starting cluster $CLUSTER_NAME (warm)"
		warm=1
	fi
	# starts only the components that are not running
	kwokctl start cluster --name "$CLUSTER_NAME" >"$STATE_DIR/logs/kwokctl-start.log" 2>&1 ||
		die "kwokctl start cluster failed; see $STATE_DIR/logs/kwokctl-start.log and $KWOK_CLUSTER_DIR/logs"
else
	if cluster_exists; then
		log "removing a half-created cluster $CLUSTER_NAME"
		kwokctl delete cluster --name "$CLUSTER_NAME" >/dev/null 2>&1 || true
	fi
	# A new cluster starts a new history: the old Prometheus data and anchor belong to old pods.
	rm -rf "$STATE_DIR/prometheus" "$STATE_DIR/anchor" "$KUBECONFIG_ADMIN" "$KUBECONFIG_VIEWER"
	cfg=$(write_kwokctl_config)
	log "creating cluster $CLUSTER_NAME (kwokctl, binary runtime)"
	kwokctl --config "$cfg" create cluster --name "$CLUSTER_NAME" --kubeconfig "$KUBECONFIG_ADMIN.tmp" --wait 2m \
		>"$STATE_DIR/logs/kwokctl-create.log" 2>&1 ||
		die "kwokctl create cluster failed; see $STATE_DIR/logs/kwokctl-create.log and $KWOK_CLUSTER_DIR/logs"
	mv "$KUBECONFIG_ADMIN.tmp" "$KUBECONFIG_ADMIN"
	chmod 0600 "$KUBECONFIG_ADMIN"
	created=1
fi

for i in $(seq 1 120); do
	apiserver_up && break
	[[ $i == 120 ]] && die "kube-apiserver not ready after 60 s; see $KWOK_CLUSTER_DIR/logs/kube-apiserver.log"
	sleep 0.5
done
log "kube-apiserver ready ($((SECONDS - START)) s)"
# On a warm start kwokctl starts every component at once; metrics-server exits when the API server
# is not serving yet. Starting again restarts only what is not running.
restart_exited() { kwokctl start cluster --name "$CLUSTER_NAME" >>"$STATE_DIR/logs/kwokctl-start.log" 2>&1 || true; }
# Warm start: restart kwok-controller and metrics-server now that the API server is ready (they
# raced it), and free the node leases the previous kwok-controller held.
if [[ ${warm:-} ]]; then
	for c in kwok-controller metrics-server; do
		f=$KWOK_CLUSTER_DIR/pids/$c.pid
		if pid_alive "$f"; then stop_pid "$(<"$f")" "$c"; fi
		rm -f "$f"
	done
	# The node leases still name the previous kwok-controller (duration 200 s): until they
	# expire nothing would manage those nodes' pods. Every node here is kwok's.
	kc -n kube-node-lease delete lease --all --wait=false >/dev/null 2>&1 || true
fi
[[ ${created:-} ]] || restart_exited

# --- nodes, RBAC, CRDs, seed ------------------------------------------------------------------
M=$ROOT/hack/cluster/manifests
kc apply -f "$M/00-nodes.yaml" -f "$M/10-viewer.yaml" >/dev/null
# Node status given at create time may be dropped; set the size of the fake nodes explicitly.
for n in $(kc get nodes -l type=kwok -o jsonpath='{.items[*].metadata.name}'); do
	if [[ $(kc get node "$n" -o jsonpath='{.status.allocatable.cpu}') != 8 ]]; then
		kc patch node "$n" --subresource=status --type=merge \
			-p '{"status":{"allocatable":{"cpu":"8","memory":"32Gi","pods":"110"},"capacity":{"cpu":"8","memory":"32Gi","pods":"110"}}}' >/dev/null
	fi
done

vpa_crds() {
	local src
	src=$("$ROOT/hack/build-tools.sh" vpa-source 2>/dev/null)
	[[ -f $src/deploy/vpa-v1-crd-gen.yaml ]] || die "VPA $VPA_VERSION source not found (hack/build-tools.sh vpa-source)"
	echo "$src/deploy/vpa-v1-crd-gen.yaml"
}
if ! kc get crd verticalpodautoscalers.autoscaling.k8s.io >/dev/null 2>&1; then
	log "installing VPA CRDs from k8s.io/autoscaler/vertical-pod-autoscaler $VPA_VERSION"
	kc apply --server-side -f "$(vpa_crds)" >/dev/null
fi

# view-only kubeconfig: same cluster, the smartvpa-viewer ServiceAccount's token.
write_view_kubeconfig() {
	local server ca token tmp
	server=$(kc config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')
	ca=$(kc config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
	if [[ -z $ca ]]; then
		local caf
		caf=$(kc config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority}')
		[[ -n $caf ]] && ca=$(base64 -w0 <"$caf")
	fi
	local trust="certificate-authority-data: $ca"
	[[ -n $ca ]] || trust="insecure-skip-tls-verify: true"
	token=$(kc -n smartvpa-system create token smartvpa-viewer --duration=8760h)
	tmp=$(mktemp "$STATE_DIR/.kubeconfig-view.XXXXXX")
	cat >"$tmp" <<-EOF
		apiVersion: v1
		kind: Config
		clusters:
		- name: $CLUSTER_NAME
		  cluster:
		    server: $server
		    $trust
		users:
		- name: smartvpa-viewer
		  user:
		    token: $token
		contexts:
		- name: $CLUSTER_NAME-view
		  context:
		    cluster: $CLUSTER_NAME
		    user: smartvpa-viewer
		    namespace: $DEMO_NAMESPACE
		current-context: $CLUSTER_NAME-view
	EOF
	chmod 0600 "$tmp"
	mv "$tmp" "$KUBECONFIG_VIEWER"
}
if ! kubectl --kubeconfig "$KUBECONFIG_VIEWER" auth can-i list pods -n "$DEMO_NAMESPACE" --request-timeout=5s >/dev/null 2>&1; then
	for i in $(seq 1 30); do
		kc -n smartvpa-system get serviceaccount smartvpa-viewer >/dev/null 2>&1 && break
		sleep 1
	done
	write_view_kubeconfig
	log "wrote view-only kubeconfig $KUBECONFIG_VIEWER"
fi

if [[ -z ${SMARTVPA_NO_SEED:-} ]]; then
	# ServiceAccount admission needs the namespace's default ServiceAccount before pods.
	kc apply -f <(sed -n '1,/^---$/p' "$M/20-demo.yaml") >/dev/null
	for i in $(seq 1 60); do
		kc -n "$DEMO_NAMESPACE" get serviceaccount default >/dev/null 2>&1 && break
		sleep 0.5
	done
	kc apply -f "$M/20-demo.yaml" >/dev/null
	# kwok keeps pod status in etcd, so a warm start finds the pods Running already.
	if [[ ${created:-} ]]; then
		kc wait --for=condition=Ready node --all --timeout=60s >/dev/null
		for w in deployment/web deployment/api deployment/worker statefulset/db daemonset/node-agent; do
			kc -n "$DEMO_NAMESPACE" rollout status "$w" --timeout=90s >/dev/null ||
				die "$w in namespace $DEMO_NAMESPACE did not become ready; kubectl -n $DEMO_NAMESPACE describe $w"
		done
		# The CronJob's first run comes at the next 10-minute mark, after the history backfill
		# below: start one now, named as the CronJob controller names its Jobs (report-<minute>),
		# so that its pod is backfilled too and every demo container has history from the start.
		job=report-$(($(date +%s) / 60))
		kc -n "$DEMO_NAMESPACE" create job "$job" --from=cronjob/report >/dev/null ||
			die "could not start a first run of cronjob/report in namespace $DEMO_NAMESPACE"
		for i in $(seq 1 60); do
			[[ -n $(kc -n "$DEMO_NAMESPACE" get pods -l "job-name=$job" --field-selector=status.phase=Running -o name 2>/dev/null) ]] && break
			[[ $i == 60 ]] && die "the first run of cronjob/report ($job) did not start; kubectl -n $DEMO_NAMESPACE describe job $job"
			sleep 1
		done
	fi
	log "demo workloads applied ($((SECONDS - START)) s)"
fi

# --- usage driver -------------------------------------------------------------------------------
[[ -f $STATE_DIR/anchor ]] || date -u +%Y-%m-%dT%H:%M:%SZ >"$STATE_DIR/anchor"
ANCHOR=$(<"$STATE_DIR/anchor")
DRIVER=$STATE_DIR/bin/usagedriver
if [[ ! -x $DRIVER || -n $(find "$ROOT/hack/usagedriver" "$ROOT/workloads" "$ROOT/go.mod" -newer "$DRIVER" -name '*.go' -o -newer "$DRIVER" -name go.mod 2>/dev/null | head -1) ]]; then
	(cd "$ROOT" && go build -o "$DRIVER.tmp" ./hack/usagedriver && mv "$DRIVER.tmp" "$DRIVER") ||
		die "building hack/usagedriver failed"
fi

DRIVER_ARGS=("$DRIVER" run --kubeconfig "$KUBECONFIG_ADMIN" --namespace "$DEMO_NAMESPACE" --data-dir "$ROOT/data/workloads"
	--anchor "$ANCHOR" --history "$HISTORY" --speedup "$USAGE_SPEEDUP")
if [[ -z ${SMARTVPA_NO_SEED:-} ]] && ! pid_alive "$STATE_DIR/pids/usagedriver.pid" usagedriver; then
	log "starting usage driver (speed-up ${USAGE_SPEEDUP}x, anchor $ANCHOR)"
	# apply once in the foreground so that the first scrape already sees trace values
	"${DRIVER_ARGS[@]}" --once || log "warning: usage driver first update failed"
	setsid nohup "${DRIVER_ARGS[@]}" >>"$STATE_DIR/logs/usagedriver.log" 2>&1 </dev/null &
	echo $! >"$STATE_DIR/pids/usagedriver.pid"
fi

# --- Prometheus ---------------------------------------------------------------------------------
kwok_port() { sed -n 's/^[[:space:]]*kwokControllerPort: \([0-9]*\).*/\1/p' "$KWOK_CLUSTER_DIR/kwok.yaml" | head -1; }

write_prometheus_config() {
	local port nodes n
	port=$(kwok_port)
	[[ -n $port ]] || die "no kwokControllerPort in $KWOK_CLUSTER_DIR/kwok.yaml"
	nodes=$(kc get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
	{
		cat <<-EOF
			# generated by hack/cluster-up.sh
			global:
			  scrape_interval: 15s
			  evaluation_interval: 15s
			scrape_configs:
			# kwok's emulated kubelet resource metrics, one target per node, labelled like the
			# backfilled history (job=kubelet, instance=node=<node name>).
			- job_name: kubelet
			  metrics_path: /metrics/resource
			  static_configs:
		EOF
		for n in $nodes; do
			printf '  - targets: ["127.0.0.1:%s"]\n    labels: {node: "%s"}\n' "$port" "$n"
		done
		cat <<-'EOF'
			  relabel_configs:
			  - source_labels: [node]
			    target_label: __metrics_path__
			    replacement: /metrics/nodes/$1/metrics/resource
			  - source_labels: [node]
			    target_label: instance
		EOF
	} >"$STATE_DIR/prometheus/prometheus.yml"
}

start_prometheus() {
	local pdir=$STATE_DIR/prometheus
	mkdir -p "$pdir/data"
	if [[ ! -f $pdir/backfilled && -z ${SMARTVPA_NO_SEED:-} ]]; then
		log "backfilling $HISTORY of history for the demo pods (promtool)"
		"$DRIVER" backfill --kubeconfig "$KUBECONFIG_ADMIN" --namespace "$DEMO_NAMESPACE" --data-dir "$ROOT/data/workloads" \
			--anchor "$ANCHOR" --history "$HISTORY" --out "$pdir/history.om" || die "usage driver backfill failed"
		promtool tsdb create-blocks-from openmetrics --max-block-duration=24h "$pdir/history.om" "$pdir/data" \
			>"$STATE_DIR/logs/promtool.log" 2>&1 || die "promtool backfill failed; see $STATE_DIR/logs/promtool.log"
		rm -f "$pdir/history.om"
		echo "$ANCHOR" >"$pdir/backfilled"
	fi
	write_prometheus_config
	if pid_alive "$STATE_DIR/pids/prometheus.pid" prometheus; then
		curl -fsS -X POST --max-time 5 "$PROMETHEUS_URL/-/reload" >/dev/null 2>&1 || true
		return 0
	fi
	log "starting Prometheus on $PROMETHEUS_URL"
	setsid nohup prometheus --config.file="$pdir/prometheus.yml" --storage.tsdb.path="$pdir/data" \
		--storage.tsdb.retention.time=60d --web.listen-address="$PROMETHEUS_ADDR" --web.enable-lifecycle \
		>>"$STATE_DIR/logs/prometheus.log" 2>&1 </dev/null &
	echo $! >"$STATE_DIR/pids/prometheus.pid"
	for i in $(seq 1 60); do
		prometheus_up && return 0
		pid_alive "$STATE_DIR/pids/prometheus.pid" prometheus || die "Prometheus exited; see $STATE_DIR/logs/prometheus.log"
		sleep 0.5
	done
	die "Prometheus not ready after 30 s; see $STATE_DIR/logs/prometheus.log"
}
[[ -n ${SMARTVPA_NO_PROMETHEUS:-} ]] || start_prometheus

# --- metrics API --------------------------------------------------------------------------------
deadline=$((SECONDS + 90))
until [[ $(kc get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null) == True ]]; do
	((SECONDS < deadline)) || die "APIService v1beta1.metrics.k8s.io not Available after 90 s; see $KWOK_CLUSTER_DIR/logs/metrics-server.log"
	restart_exited
	sleep 1
done
# A component that lost the race with the API server during a warm start exits a little later:
# make sure every one is running, then runs for a few seconds more.
for i in 1 2 3 4 5; do
	dead=$(dead_components)
	if [[ -z $dead ]]; then
		sleep 3
		[[ -z $(dead_components) ]] && break
		dead=$(dead_components)
	fi
	log "restarting exited component(s): $(echo $dead)"
	restart_exited
	sleep 2
done
[[ -z $(dead_components) ]] || die "component(s) keep exiting: $(echo $(dead_components)); see $KWOK_CLUSTER_DIR/logs"
log "metrics API available; cluster up in $((SECONDS - START)) s"

"$ROOT/hack/cluster-status.sh"
