package operator

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the Prometheus series serve exports on /metrics. The names are
// documented in docs/serve.md and used by deploy/grafana-dashboard.json; a test
// checks the dashboard references only these.
type Metrics struct {
	Registry *prometheus.Registry

	VPAs              prometheus.Gauge
	Recommendation    *prometheus.GaugeVec
	RecommendationsOK prometheus.Gauge
	Samples           prometheus.Counter
	Errors            *prometheus.CounterVec
	ReconcileSeconds  prometheus.Histogram
	StatusUpdates     prometheus.Counter
	Checkpoints       prometheus.Counter
	UpdaterActions    *prometheus.CounterVec
	MetricsAvailable  prometheus.Gauge
	Leader            prometheus.Gauge
}

// SeriesNames lists every series name Metrics registers (histograms by their
// base name), without the Go and process collectors.
var SeriesNames = []string{
	"smartvpa_vpas",
	"smartvpa_recommendation",
	"smartvpa_containers_recommended",
	"smartvpa_samples_total",
	"smartvpa_errors_total",
	"smartvpa_reconcile_duration_seconds",
	"smartvpa_status_updates_total",
	"smartvpa_checkpoints_written_total",
	"smartvpa_updater_actions_total",
	"smartvpa_metrics_api_available",
	"smartvpa_leader",
}

// NewMetrics registers the series in a fresh registry, with the Go runtime
// and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		VPAs: prometheus.NewGauge(prometheus.GaugeOpts{Name: "smartvpa_vpas",
			Help: "VerticalPodAutoscalers naming this recommender, at the last reconcile pass."}),
		Recommendation: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "smartvpa_recommendation",
			Help: "Recommendation written to the VPA status, in cores (cpu) or bytes (memory)."},
			[]string{"namespace", "vpa", "container", "resource", "bound"}),
		RecommendationsOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "smartvpa_containers_recommended",
			Help: "Containers with a recommendation at the last reconcile pass."}),
		Samples: prometheus.NewCounter(prometheus.CounterOpts{Name: "smartvpa_samples_total",
			Help: "Usage samples (one container, one metrics window) fed to the recommenders."}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smartvpa_errors_total",
			Help: "Errors by kind (metrics_api, target, status_update, checkpoint, updater, parse)."}, []string{"kind"}),
		ReconcileSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "smartvpa_reconcile_duration_seconds",
			Help:    "Duration of one reconcile pass over every VPA (sampling, recommending, queueing the statuses, updater actions; status writes run behind it, counted by smartvpa_status_updates_total).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30}}),
		StatusUpdates: prometheus.NewCounter(prometheus.CounterOpts{Name: "smartvpa_status_updates_total",
			Help: "VPA status patches sent (only when the status changed)."}),
		Checkpoints: prometheus.NewCounter(prometheus.CounterOpts{Name: "smartvpa_checkpoints_written_total",
			Help: "Checkpoint ConfigMaps written."}),
		UpdaterActions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smartvpa_updater_actions_total",
			Help: "Updater actions on pods by action (in-place, evict) and result (ok, refused, error)."}, []string{"action", "result"}),
		MetricsAvailable: prometheus.NewGauge(prometheus.GaugeOpts{Name: "smartvpa_metrics_api_available",
			Help: "1 when the last read of metrics.k8s.io succeeded, else 0."}),
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "smartvpa_leader",
			Help: "1 while this replica holds the leader Lease."}),
	}
	m.Registry.MustRegister(m.VPAs, m.Recommendation, m.RecommendationsOK, m.Samples, m.Errors, m.ReconcileSeconds,
		m.StatusUpdates, m.Checkpoints, m.UpdaterActions, m.MetricsAvailable, m.Leader,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, k := range []string{"metrics_api", "target", "status_update", "checkpoint", "updater", "parse"} {
		m.Errors.WithLabelValues(k)
	}
	for _, a := range []string{"in-place", "evict"} {
		for _, r := range []string{"ok", "refused", "error", "rate_limited"} {
			m.UpdaterActions.WithLabelValues(a, r)
		}
	}
	return m
}
