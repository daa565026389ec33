package kube

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/updater"
)

// HistorySource gives usage evidence for the containers of workloads. The
// recommend engine is its consumer; Prometheus, Checkpoints and Live
// implement it.
type HistorySource interface {
	Name() string
	History(ctx context.Context, ws []*Workload, now time.Time) (*History, error)
}

// Profile shapes a recommendation for a goal.
type Profile string

// The profiles. A recommender that takes a profile itself (smart: see
// recommend.TakesProfile) gets it in its Config and its answer is used as
// it is. For the others, balanced uses the recommender's target; savings
// moves it half-way down to the lower bound; reliability half-way up to the
// upper bound, at most doubling it.
const (
	ProfileSavings     Profile = "savings"
	ProfileBalanced    Profile = "balanced"
	ProfileReliability Profile = "reliability"
)

// ParseProfile validates a profile name.
func ParseProfile(s string) (Profile, error) {
	switch Profile(s) {
	case ProfileSavings, ProfileBalanced, ProfileReliability:
		return Profile(s), nil
	}
	return "", fmt.Errorf("unknown profile %q: use savings, balanced or reliability", s)
}

// Default prices for savings, per hour: model.DefaultPrices, the one set of
// defaults recommend, audit and the TUI use; pass your own with --cpu-price
// and --memory-price.
var (
	DefaultCPUPrice    = model.DefaultPrices.CPUCoreHour   // per core-hour
	DefaultMemoryPrice = model.DefaultPrices.MemoryGiBHour // per GiB-hour
)

// HoursPerMonth is model.HoursPerMonth.
const HoursPerMonth = model.HoursPerMonth

// Default floors: no request is ever set below these.
const (
	DefaultMinCPUMillicores = 10
	DefaultMinMemoryBytes   = 32 * model.MiB
)

// Engine computes recommendations for workloads.
type Engine struct {
	Recommender string
	Config      recommend.Config
	Profile     Profile
	// Floors are the smallest requests ever recommended.
	Floors model.Resources
	// Prices per core-hour and per GiB-hour for the savings column.
	CPUPrice, MemoryPrice float64
	// Sources are tried in order; the first with data is used (auto).
	Sources []HistorySource
	// Client reads HorizontalPodAutoscalers (nil: no HPA notes).
	Client kubernetes.Interface
	// Explain keeps the recommender's evidence in the report.
	Explain bool
}

// Report is what recommend prints. Its JSON shape is documented in docs/cluster.md
// and stable.
type Report struct {
	APIVersion   string           `json:"apiVersion"`
	Kind         string           `json:"kind"`
	Recommender  string           `json:"recommender"`
	Profile      Profile          `json:"profile"`
	History      string           `json:"history"`
	HistoryNotes []string         `json:"historyNotes,omitempty"`
	GeneratedAt  time.Time        `json:"generatedAt"`
	Workloads    []WorkloadReport `json:"workloads"`
	// MonthlySavings sums the workloads' savings (negative: costs more).
	MonthlySavings float64 `json:"monthlySavings"`
	Currency       string  `json:"currency"`
}

// WorkloadReport is one workload's recommendations.
type WorkloadReport struct {
	Namespace  string            `json:"namespace"`
	Kind       string            `json:"kind"`
	Name       string            `json:"name"`
	Replicas   int               `json:"replicas"`
	HPA        *HPAInfo          `json:"hpa,omitempty"`
	Containers []ContainerReport `json:"containers"`
	// MonthlySavings at the current replica count.
	MonthlySavings float64 `json:"monthlySavings"`

	workload *Workload
}

// NewWorkloadReport returns a report on workload w, scaled by hpa (nil: no
// HPA), with no container reports: the start of a Change built by hand.
func NewWorkloadReport(w *Workload, hpa *HPAInfo) *WorkloadReport {
	return &WorkloadReport{Namespace: w.Namespace, Kind: w.Kind, Name: w.Name, Replicas: w.Replicas, HPA: hpa, workload: w}
}

// Workload returns the workload the report is about (nil after JSON decoding).
func (w *WorkloadReport) Workload() *Workload { return w.workload }

// Ref returns "kind/name".
func (w *WorkloadReport) Ref() string { return strings.ToLower(w.Kind) + "/" + w.Name }

// HPAInfo names an HPA that scales the workload and the resources it scales on.
type HPAInfo struct {
	Name      string           `json:"name"`
	Resources []model.Resource `json:"resources"`
}

// ScalesOn reports whether the HPA scales on r.
func (h *HPAInfo) ScalesOn(r model.Resource) bool {
	if h == nil {
		return false
	}
	for _, x := range h.Resources {
		if x == r {
			return true
		}
	}
	return false
}

// ContainerReport is one container's recommendation.
type ContainerReport struct {
	Name     string          `json:"name"`
	Sidecar  bool            `json:"sidecar,omitempty"`
	Requests model.Resources `json:"requests"`
	Limits   model.Resources `json:"limits"`
	// Recommendation is nil when there was not enough evidence.
	Recommendation *model.Recommendation `json:"recommendation"`
	// NewLimits are the limits kept in proportion to the new requests.
	NewLimits *model.Resources `json:"newLimits,omitempty"`
	// Drift is model.Drift, (request - target) / min(request, target) per
	// resource: positive means over-provisioned, negative under-provisioned.
	// Missing when there is no recommendation; a resource without a request
	// has no drift and is listed in NoRequest.
	Drift      *model.Drift     `json:"drift,omitempty"`
	NoRequest  []model.Resource `json:"noRequest,omitempty"`
	Confidence Confidence       `json:"confidence"`
	// HistorySpan is the time covered by the evidence; Samples its size.
	HistorySpan Duration `json:"historySpan"`
	Samples     int      `json:"samples"`
	OOMs        int      `json:"ooms"`
	// Throttled is the fraction of CFS periods throttled (from Prometheus)
	// when known.
	Throttled      *float64               `json:"throttled,omitempty"`
	Notes          []string               `json:"notes,omitempty"`
	MonthlySavings float64                `json:"monthlySavings"`
	Explanation    *recommend.Explanation `json:"explanation,omitempty"`
}

// Duration marshals as a Go duration string.
type Duration time.Duration

// MarshalJSON writes "192h0m0s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// MarshalText writes "192h0m0s" (YAML).
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Confidence grades the evidence behind a recommendation.
type Confidence string

// The grades: high is 7 days of history or more, medium 1 day or more, low
// anything shorter and always for live sampling; none means no evidence.
const (
	ConfidenceNone   Confidence = "none"
	ConfidenceLow    Confidence = "low"
	ConfidenceMedium Confidence = "medium"
	ConfidenceHigh   Confidence = "high"
)

func grade(span time.Duration, low bool) Confidence {
	switch {
	case low || span < 24*time.Hour:
		return ConfidenceLow
	case span < 7*24*time.Hour:
		return ConfidenceMedium
	}
	return ConfidenceHigh
}

// ErrNoHistory is returned when no source had any usage for the workloads.
var ErrNoHistory = errors.New("no usage history found for the selected workloads")

// FetchHistory tries the sources in order and returns the first history with
// data, and the notes of the sources that had none.
func (e *Engine) FetchHistory(ctx context.Context, ws []*Workload, now time.Time) (*History, []string, error) {
	var notes []string
	var errs []string
	for _, s := range e.Sources {
		h, err := s.History(ctx, ws, now)
		if err != nil {
			if len(e.Sources) == 1 {
				return nil, nil, err
			}
			errs = append(errs, fmt.Sprintf("%s: %v", s.Name(), err))
			notes = append(notes, fmt.Sprintf("%s: %v", s.Name(), err))
			continue
		}
		if h.Empty() {
			notes = append(notes, s.Name()+": no data")
			continue
		}
		if n := e.checkpointNote(h); n != "" {
			h.Notes = append(h.Notes, n)
		}
		return h, append(notes, h.Notes...), nil
	}
	if len(errs) == len(e.Sources) && len(errs) > 0 {
		return nil, notes, fmt.Errorf("%w: %s", ErrNoHistory, strings.Join(errs, "; "))
	}
	return nil, notes, ErrNoHistory
}

// Recommend builds the report for workloads from history h at time now.
func (e *Engine) Recommend(ctx context.Context, ws []*Workload, h *History, notes []string, now time.Time) (*Report, error) {
	rep := &Report{
		APIVersion: "smartvpa.io/v1alpha1", Kind: "RecommendationReport",
		Recommender: e.Recommender, Profile: e.profile(), GeneratedAt: now.UTC(),
		HistoryNotes: notes, Currency: "USD", Workloads: []WorkloadReport{},
	}
	if h != nil {
		rep.History = h.Source
	}
	hpas, err := e.hpas(ctx, ws)
	if err != nil {
		return nil, err
	}
	crs, err := e.containers(ws, h, now, hpas)
	if err != nil {
		return nil, err
	}
	for i, w := range ws {
		wr := WorkloadReport{Namespace: w.Namespace, Kind: w.Kind, Name: w.Name, Replicas: w.Replicas, HPA: hpas[w.Key()], workload: w}
		for _, cr := range crs[i] {
			wr.MonthlySavings += cr.MonthlySavings
			wr.Containers = append(wr.Containers, cr)
		}
		rep.MonthlySavings += wr.MonthlySavings
		rep.Workloads = append(rep.Workloads, wr)
	}
	return rep, nil
}

// containers computes every container's report, on GOMAXPROCS goroutines
// (each container's recommender replays its own history: with days of
// history per container this is most of recommend -A's time). The result is
// indexed like ws and w.Containers, so the report does not depend on the
// schedule; the error is the first in that order.
func (e *Engine) containers(ws []*Workload, h *History, now time.Time, hpas map[string]*HPAInfo) ([][]ContainerReport, error) {
	type task struct{ w, c int }
	out := make([][]ContainerReport, len(ws))
	errs := make([][]error, len(ws))
	var tasks []task
	for i, w := range ws {
		out[i] = make([]ContainerReport, len(w.Containers))
		errs[i] = make([]error, len(w.Containers))
		for j := range w.Containers {
			tasks = append(tasks, task{i, j})
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(tasks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= len(tasks) {
					return
				}
				t := tasks[k]
				w := ws[t.w]
				out[t.w][t.c], errs[t.w][t.c] = e.container(w, w.Containers[t.c], h, now, hpas[w.Key()])
			}
		}()
	}
	wg.Wait()
	for _, t := range tasks {
		if err := errs[t.w][t.c]; err != nil {
			return nil, err
		}
	}
	return out, nil
}

// config is the recommender configuration for a container of a pod with
// containersInPod containers: the engine's, with the profile for a
// recommender that plans for it.
func (e *Engine) config(containersInPod int) recommend.Config {
	cfg := e.Config
	cfg.ContainersInPod = containersInPod
	if recommend.TakesProfile(e.Recommender) {
		cfg.Profile = string(e.profile())
	}
	return cfg
}

// NewRecommender returns a fresh recommender as Recommend makes it for a
// container of a pod with containersInPod containers (without a
// checkpoint), e.g. to replay a history through it.
func (e *Engine) NewRecommender(containersInPod int) (recommend.Recommender, error) {
	return recommend.New(e.Recommender, e.config(containersInPod))
}

func (e *Engine) profile() Profile {
	if e.Profile == "" {
		return ProfileBalanced
	}
	return e.Profile
}

func (e *Engine) container(w *Workload, c Container, h *History, now time.Time, hpa *HPAInfo) (ContainerReport, error) {
	cr := ContainerReport{Name: c.Name, Sidecar: c.Sidecar, Requests: c.Requests, Limits: c.Limits, Confidence: ConfidenceNone}
	k := ContainerKey{Workload: w.Key(), Container: c.Name}
	ooms := OOMEvents(w, c.Name)
	cr.OOMs = len(ooms)
	if cr.OOMs > 0 {
		cr.Notes = append(cr.Notes, fmt.Sprintf("%d OOM kill(s) seen", cr.OOMs))
	}
	for _, res := range model.AllResources {
		if c.Requests.Get(res) == 0 {
			cr.NoRequest = append(cr.NoRequest, res)
		}
	}
	if hpa != nil && len(hpa.Resources) > 0 {
		rs := make([]string, len(hpa.Resources))
		for i, r := range hpa.Resources {
			rs[i] = string(r)
		}
		cr.Notes = append(cr.Notes, fmt.Sprintf("HPA %s scales on %s", hpa.Name, strings.Join(rs, ",")))
	}
	if !h.Has(k) {
		cr.Notes = append(cr.Notes, "no usage history")
		return cr, nil
	}
	cfg := e.config(len(w.Containers))
	r, err := recommend.New(e.Recommender, cfg)
	if err != nil {
		return cr, err
	}
	if cp := h.Checkpoints[k]; cp != nil {
		var note string
		if r, note, err = e.fromCheckpoint(r, cfg, cp); err != nil {
			return cr, fmt.Errorf("%s container %s: %w", w.Ref(), c.Name, err)
		}
		if note != "" {
			cr.Notes = append(cr.Notes, note)
		}
	}
	for _, s := range h.Samples[k] {
		r.AddSample(s)
	}
	for _, o := range ooms {
		r.AddOOM(o)
	}
	cr.Samples = h.SampleCount(k)
	cr.HistorySpan = Duration(h.Span(k))
	cr.Confidence = grade(h.Span(k), h.LowConfidence)
	if cr.Confidence == ConfidenceLow {
		cr.Notes = append(cr.Notes, "low confidence: "+lowReason(h, h.Span(k)))
	}
	rec, ok := r.Recommend(now)
	if e.Explain {
		ex := r.Explain(now)
		cr.Explanation = &ex
	}
	if !ok {
		cr.Notes = append(cr.Notes, "recommender has too little data")
		return cr, nil
	}
	rec = e.shape(rec)
	cr.Recommendation = &rec
	lim := updater.ProportionalLimits(c.Requests, c.Limits, rec.Target)
	cr.NewLimits = &lim
	d := model.DriftOf(c.Requests, rec.Target)
	cr.Drift = &d
	if f, ok := h.Throttled[k]; ok {
		cr.Throttled = &f
		if f >= 0.05 {
			cr.Notes = append(cr.Notes, fmt.Sprintf("CPU throttled %.0f%% of periods", 100*f))
		}
	} else if c.Limits.CPUMillicores > 0 {
		if n := nearLimit(h.Samples[k], c.Limits.CPUMillicores); n >= 0.05 {
			cr.Notes = append(cr.Notes, fmt.Sprintf("throttling likely: CPU usage at >= 90%% of its limit in %.0f%% of samples", 100*n))
		}
	}
	reps := float64(w.Replicas)
	if reps == 0 {
		reps = float64(len(w.Pods))
	}
	cr.MonthlySavings = round2(model.MonthlySavings(c.Requests, rec.Target, reps, e.Prices()))
	return cr, nil
}

func lowReason(h *History, span time.Duration) string {
	if h.LowConfidence && span == 0 {
		return fmt.Sprintf("a single snapshot from %s sampling", h.Source)
	}
	if h.LowConfidence {
		return fmt.Sprintf("%s of history from %s sampling", shortDuration(span), h.Source)
	}
	return fmt.Sprintf("only %s of history", shortDuration(span))
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// Prices are the engine's prices for the savings (model.MonthlySavings).
func (e *Engine) Prices() model.Prices {
	return model.Prices{CPUCoreHour: e.CPUPrice, MemoryGiBHour: e.MemoryPrice}
}

func nearLimit(s []model.Sample, limit float64) float64 {
	if len(s) == 0 {
		return 0
	}
	n := 0
	for _, x := range s {
		if x.CPUMillicores >= 0.9*limit {
			n++
		}
	}
	return float64(n) / float64(len(s))
}

// shape applies the profile and the floors to rec.
func (e *Engine) shape(rec model.Recommendation) model.Recommendation {
	for _, res := range model.AllResources {
		t, lo, up := rec.Target.Get(res), rec.Lower.Get(res), rec.Upper.Get(res)
		switch {
		case recommend.TakesProfile(e.Recommender):
			// The recommender planned for the profile itself.
		case e.profile() == ProfileSavings:
			if lo > 0 && lo < t {
				t = (t + lo) / 2
			}
		case e.profile() == ProfileReliability:
			if up > t {
				t = math.Min((t+up)/2, 2*t)
			}
		}
		if f := e.Floors.Get(res); t > 0 && t < f {
			t = f
		}
		if t > 0 {
			lo = math.Min(lo, t)
			if up < t {
				up = t
			}
		}
		rec.Target = rec.Target.Set(res, t)
		rec.Lower = rec.Lower.Set(res, lo)
		rec.Upper = rec.Upper.Set(res, up)
	}
	return rec
}

// OOMEvents returns the OOM kills recorded in the pods' container statuses
// (the last termination, and the current state of a terminated container).
func OOMEvents(w *Workload, container string) []model.OOMEvent {
	var out []model.OOMEvent
	req := 0.0
	if c := w.Container(container); c != nil {
		req = c.Requests.MemoryBytes
	}
	for _, p := range w.Pods {
		statuses := append(append([]corev1.ContainerStatus(nil), p.Status.ContainerStatuses...), p.Status.InitContainerStatuses...)
		for _, st := range statuses {
			if st.Name != container {
				continue
			}
			for _, t := range []*corev1.ContainerStateTerminated{st.LastTerminationState.Terminated, st.State.Terminated} {
				if t != nil && t.Reason == "OOMKilled" {
					out = append(out, model.OOMEvent{Time: t.FinishedAt.Time.UTC(), MemoryRequestBytes: req})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// hpas returns, per workload key, the HPA that scales it and the resources it
// scales on. One list call per namespace (one in all with several).
func (e *Engine) hpas(ctx context.Context, ws []*Workload) (map[string]*HPAInfo, error) {
	out := map[string]*HPAInfo{}
	if e.Client == nil || len(ws) == 0 {
		return out, nil
	}
	nss := map[string]bool{}
	for _, w := range ws {
		nss[w.Namespace] = true
	}
	scope := []string{}
	if len(nss) > 1 {
		scope = append(scope, metav1.NamespaceAll)
	} else {
		for ns := range nss {
			scope = append(scope, ns)
		}
	}
	for _, ns := range scope {
		list, err := e.Client.AutoscalingV2().HorizontalPodAutoscalers(ns).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return nil, fmt.Errorf("list horizontalpodautoscalers: %w", err)
		}
		for i := range list.Items {
			hpa := &list.Items[i]
			key := hpa.Namespace + "/" + hpa.Spec.ScaleTargetRef.Kind + "/" + hpa.Spec.ScaleTargetRef.Name
			out[key] = &HPAInfo{Name: hpa.Name, Resources: HPAResources(hpa)}
		}
	}
	return out, nil
}

// HPAResources lists the resources (cpu, memory) an HPA scales on.
func HPAResources(hpa *autoscalingv2.HorizontalPodAutoscaler) []model.Resource {
	seen := map[model.Resource]bool{}
	for _, m := range hpa.Spec.Metrics {
		var name corev1.ResourceName
		switch {
		case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil:
			name = m.Resource.Name
		case m.Type == autoscalingv2.ContainerResourceMetricSourceType && m.ContainerResource != nil:
			name = m.ContainerResource.Name
		default:
			continue
		}
		switch name {
		case corev1.ResourceCPU:
			seen[model.CPU] = true
		case corev1.ResourceMemory:
			seen[model.Memory] = true
		}
	}
	var out []model.Resource
	for _, r := range model.AllResources {
		if seen[r] {
			out = append(out, r)
		}
	}
	return out
}
