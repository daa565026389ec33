package tuisource

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/tui"
)

// Source is the cluster side of `kubectl smartvpa ui`: it implements
// tui.Source and tui.Actions with the machinery of recommend and apply. The
// workloads come from Resolve (recommend's targets), the history from the
// engine's sources (--history), the recommendations from the engine with the
// recommender the UI asks for, and changes go through the Applier in mode
// patch (field manager smartvpa, all containers of a workload in one request;
// dry-runs with dryRun=All).
//
// History is the expensive part (Prometheus range queries over days), so a
// fetched history is reused for HistoryMaxAge, or until the set of workloads
// changes; the workloads themselves are listed again on every List, so a
// refresh shows requests changed by anyone. Recommending is not free either
// (smart runs its candidates), so a List's report is reused while the history
// and the workloads (object versions, pods and their restarts) are the same;
// HPAs are read with each new report, so a new HPA shows within
// HistoryMaxAge. The methods are safe for use from
// several goroutines: one List (or history fetch) runs at a time, while
// Detail from a fresh history, DryRun and Apply do not wait for it.
type Source struct {
	// Resolve lists the target workloads with their pods.
	Resolve func(ctx context.Context) ([]*kube.Workload, error)
	// Engine recommends. Its Recommender is replaced by the one the UI asks
	// for; its Sources give the history.
	Engine *kube.Engine
	// Names are the recommenders the UI offers, in picker order.
	Names []string
	// Client patches workloads and checks permissions.
	Client kubernetes.Interface
	// Namespace scopes the permission check; "" checks every namespace (-A).
	Namespace string
	// HistoryMaxAge is how long a fetched history is reused; 0 means one
	// minute.
	HistoryMaxAge time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time

	// fetchMu serialises listing and history fetches; mu guards the fields
	// below it and is never held during I/O.
	fetchMu   sync.Mutex
	mu        sync.Mutex
	hist      *kube.History
	histNotes []string
	histAt    time.Time
	histKeys  string
	// last are the workloads of the last List, by reference; hpa their HPAs.
	last map[tui.Ref]*kube.Workload
	hpa  map[tui.Ref]*kube.HPAInfo
	// reports are the last List's reports per recommender.
	reports map[string]*cachedReport
}

var (
	_ tui.Source  = (*Source)(nil)
	_ tui.Actions = (*Source)(nil)
)

func (s *Source) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Recommenders implements tui.Source.
func (s *Source) Recommenders() []string { return append([]string(nil), s.Names...) }

func (s *Source) checkName(name string) error {
	if slices.Contains(s.Names, name) {
		return nil
	}
	return fmt.Errorf("unknown recommender %q: use one of %s", name, strings.Join(s.Names, ", "))
}

// RefOf returns the UI's reference of a workload.
func RefOf(w *kube.Workload) tui.Ref {
	return tui.Ref{Namespace: w.Namespace, Kind: w.Kind, Name: w.Name}
}

// List implements tui.Source: the target workloads, listed now, with the
// recommendations of recommender.
func (s *Source) List(ctx context.Context, recommender string) ([]tui.Workload, error) {
	if err := s.checkName(recommender); err != nil {
		return nil, err
	}
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	ws, err := s.Resolve(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	h, notes, err := s.historyFetching(ctx, ws, now)
	if err != nil {
		return nil, err
	}
	fp := fingerprint(ws)
	s.mu.Lock()
	histAt := s.histAt
	c := s.reports[recommender]
	s.mu.Unlock()
	var rep *kube.Report
	if c != nil && c.histAt.Equal(histAt) && c.fingerprint == fp {
		rep = c.report
	} else {
		if rep, err = s.recommend(ctx, ws, h, notes, recommender, false, now); err != nil {
			return nil, err
		}
		s.mu.Lock()
		if s.reports == nil {
			s.reports = map[string]*cachedReport{}
		}
		s.reports[recommender] = &cachedReport{histAt: histAt, fingerprint: fp, report: rep}
		s.mu.Unlock()
	}
	last := make(map[tui.Ref]*kube.Workload, len(ws))
	for _, w := range ws {
		last[RefOf(w)] = w
	}
	hpas := make(map[tui.Ref]*kube.HPAInfo, len(ws))
	out := make([]tui.Workload, 0, len(rep.Workloads))
	for i := range rep.Workloads {
		wr := &rep.Workloads[i]
		hpas[RefOf(wr.Workload())] = wr.HPA
		out = append(out, tuiWorkload(wr, h))
	}
	s.mu.Lock()
	s.last, s.hpa = last, hpas
	s.mu.Unlock()
	return out, nil
}

// cachedReport is a List's report, valid while the history and the
// workloads are the same.
type cachedReport struct {
	histAt      time.Time
	fingerprint string
	report      *kube.Report
}

// fingerprint identifies what a report depends on besides the history: each
// workload's object version (requests, replicas, managed fields) and its pods
// with their restart counts (OOM kills). Pod versions are left out: usage
// annotations and status updates change them all the time.
func fingerprint(ws []*kube.Workload) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(w.Key())
		if m, ok := w.Object.(metav1.Object); ok && m != nil {
			b.WriteString("@" + m.GetResourceVersion())
		}
		for _, p := range w.Pods {
			restarts := int32(0)
			for _, st := range append(append([]corev1.ContainerStatus(nil), p.Status.ContainerStatuses...), p.Status.InitContainerStatuses...) {
				restarts += st.RestartCount
			}
			fmt.Fprintf(&b, " %s:%d", p.Name, restarts)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Detail implements tui.Source: the workload as last listed, the history of
// its containers and the recommender's explanations.
func (s *Source) Detail(ctx context.Context, ref tui.Ref, recommender string) (tui.Detail, error) {
	if err := s.checkName(recommender); err != nil {
		return tui.Detail{}, err
	}
	s.mu.Lock()
	w := s.last[ref]
	s.mu.Unlock()
	if w == nil {
		return tui.Detail{}, fmt.Errorf("workload %s not found: press R to refresh the list", ref)
	}
	now := s.now()
	ws := []*kube.Workload{w}
	h, notes, ok := s.cachedHistory(ws, now)
	if !ok {
		var err error
		s.fetchMu.Lock()
		h, notes, err = s.historyFetching(ctx, ws, now)
		s.fetchMu.Unlock()
		if err != nil {
			return tui.Detail{}, err
		}
	}
	rep, err := s.recommend(ctx, ws, h, notes, recommender, true, now)
	if err != nil {
		return tui.Detail{}, err
	}
	wr := &rep.Workloads[0]
	d := tui.Detail{Workload: tuiWorkload(wr, h)}
	e := *s.Engine
	e.Recommender = recommender
	for _, c := range wr.Containers {
		cd := tui.ContainerDetail{Name: c.Name}
		if h != nil {
			cd.History = append([]model.Sample(nil), h.Samples[kube.ContainerKey{Workload: w.Key(), Container: c.Name}]...)
		}
		if c.Explanation != nil {
			cd.Explanation = *c.Explanation
		}
		ooms := kube.OOMEvents(w, c.Name)
		for _, o := range ooms {
			cd.OOMKills = append(cd.OOMKills, o.Time)
		}
		// What the recommender would have asked for over the window: the
		// same recommender and configuration, fed the same samples and OOM
		// kills (not the profile shaping and floors recommend applies after).
		if len(cd.History) > 0 {
			r, err := e.NewRecommender(len(w.Containers))
			if err != nil {
				return tui.Detail{}, err
			}
			cd.Targets = tui.ReplayTargets(r, cd.History, ooms, replayPoints)
		}
		d.Containers = append(d.Containers, cd)
	}
	return d, nil
}

// replayPoints is how many times Detail asks a recommender for its target
// while replaying a container's history (more than a chart has columns).
const replayPoints = 400

// recommend runs the engine with recommender over history h (read only, so
// calls may overlap).
func (s *Source) recommend(ctx context.Context, ws []*kube.Workload, h *kube.History, notes []string, recommender string, explain bool, now time.Time) (*kube.Report, error) {
	e := *s.Engine
	e.Recommender, e.Explain = recommender, explain
	return e.Recommend(ctx, ws, h, notes, now)
}

func (s *Source) maxAge() time.Duration {
	if s.HistoryMaxAge <= 0 {
		return time.Minute
	}
	return s.HistoryMaxAge
}

// cachedHistory returns the cached history when it is fresh and covers ws.
func (s *Source) cachedHistory(ws []*kube.Workload, now time.Time) (*kube.History, []string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	age := now.Sub(s.histAt)
	if s.histAt.IsZero() || age < 0 || age >= s.maxAge() || !containsKeys(s.histKeys, ws) {
		return nil, nil, false
	}
	return s.hist, s.histNotes, true
}

// historyFetching returns the cached history or fetches it. The caller
// holds fetchMu, so that one fetch runs at a time while dry-runs and applies
// go on.
func (s *Source) historyFetching(ctx context.Context, ws []*kube.Workload, now time.Time) (*kube.History, []string, error) {
	if h, notes, ok := s.cachedHistory(ws, now); ok {
		return h, notes, nil
	}
	var h *kube.History
	var notes []string
	if len(ws) > 0 {
		var err error
		h, notes, err = s.Engine.FetchHistory(ctx, ws, now)
		if err != nil && !errors.Is(err, kube.ErrNoHistory) {
			return nil, nil, fmt.Errorf("history: %w", err)
		}
		if errors.Is(err, kube.ErrNoHistory) {
			notes = append(notes, err.Error())
		}
	}
	s.mu.Lock()
	s.hist, s.histNotes, s.histAt, s.histKeys = h, notes, now, workloadKeys(ws)
	s.mu.Unlock()
	return h, notes, nil
}

func workloadKeys(ws []*kube.Workload) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(w.Key())
		b.WriteByte('\n')
	}
	return b.String()
}

// containsKeys reports whether the key list covers every workload of ws (a
// detail of a listed workload needs no new history).
func containsKeys(keys string, ws []*kube.Workload) bool {
	for _, w := range ws {
		if !strings.Contains("\n"+keys, "\n"+w.Key()+"\n") {
			return false
		}
	}
	return true
}

// tuiWorkload converts one workload report into a row of the UI; h (nil:
// none) gives each container's latest usage.
func tuiWorkload(wr *kube.WorkloadReport, h *kube.History) tui.Workload {
	w := wr.Workload()
	out := tui.Workload{Ref: RefOf(w), Replicas: wr.Replicas}
	if wr.HPA != nil && len(wr.HPA.Resources) > 0 {
		rs := make([]string, len(wr.HPA.Resources))
		for i, r := range wr.HPA.Resources {
			rs[i] = string(r)
		}
		out.HPAConflict = fmt.Sprintf("hpa/%s scales on %s", wr.HPA.Name, strings.Join(rs, ","))
	}
	owned := kube.RequestsManagedBySmartVPA(w)
	applied, anyRec := true, false
	for _, c := range wr.Containers {
		cr := tui.ContainerRec{Name: c.Name, Request: c.Requests, Limit: c.Limits, Confidence: confidenceScore(c)}
		if h != nil && w != nil {
			if ss := h.Samples[kube.ContainerKey{Workload: w.Key(), Container: c.Name}]; len(ss) > 0 {
				last := ss[len(ss)-1]
				cr.Usage = model.Resources{CPUMillicores: last.CPUMillicores, MemoryBytes: last.MemoryBytes}
			}
		}
		if c.Recommendation != nil {
			cr.Rec, cr.OK = *c.Recommendation, true
			anyRec = true
			if !owned[c.Name] || !withinBounds(c.Requests, *c.Recommendation, wr.HPA) {
				applied = false
			}
		}
		out.Containers = append(out.Containers, cr)
	}
	out.Applied = anyRec && applied
	return out
}

// confidenceScore maps the report's grades to [0, 1] so that the UI's colour
// thresholds (0.3, 0.7) fall on the grade boundaries: low is below 0.3
// (rising with the span up to a day), medium 0.3 to 0.7 (one to seven days),
// high 1.
func confidenceScore(c kube.ContainerReport) float64 {
	span := time.Duration(c.HistorySpan)
	const day = 24 * time.Hour
	switch c.Confidence {
	case kube.ConfidenceHigh:
		return 1
	case kube.ConfidenceMedium:
		return 0.3 + 0.4*math.Min(1, float64(span-day)/float64(6*day))
	case kube.ConfidenceLow:
		return math.Min(0.29, 0.3*float64(span)/float64(day))
	}
	return 0
}

// withinBounds reports whether requests lie within the recommendation's
// [lower, upper] (rounded outwards to whole millicores and MiB), or equal the
// rounded target, for every resource an HPA does not scale on.
func withinBounds(req model.Resources, rec model.Recommendation, hpa *kube.HPAInfo) bool {
	for _, r := range model.AllResources {
		t := rec.Target.Get(r)
		if t <= 0 || hpa.ScalesOn(r) {
			continue
		}
		unit := 1.0
		if r == model.Memory {
			unit = model.MiB
		}
		v := req.Get(r)
		lo := math.Floor(rec.Lower.Get(r)/unit) * unit
		up := math.Ceil(rec.Upper.Get(r)/unit) * unit
		if v == math.Ceil(t/unit)*unit || (v >= lo && v <= up) {
			continue
		}
		return false
	}
	return true
}
