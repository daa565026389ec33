package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/updater"
	"github.com/smartvpa/smartvpa/tui"
)

// TUISource is the cluster side of `kubectl smartvpa ui`: it implements
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
type TUISource struct {
	// Resolve lists the target workloads with their pods.
	Resolve func(ctx context.Context) ([]*Workload, error)
	// Engine recommends. Its Recommender is replaced by the one the UI asks
	// for; its Sources give the history.
	Engine *Engine
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
	hist      *History
	histNotes []string
	histAt    time.Time
	histKeys  string
	// last are the workloads of the last List, by reference; hpa their HPAs.
	last map[tui.Ref]*Workload
	hpa  map[tui.Ref]*HPAInfo
	// reports are the last List's reports per recommender.
	reports map[string]*cachedReport
}

var (
	_ tui.Source  = (*TUISource)(nil)
	_ tui.Actions = (*TUISource)(nil)
)

func (s *TUISource) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Recommenders implements tui.Source.
func (s *TUISource) Recommenders() []string { return append([]string(nil), s.Names...) }

func (s *TUISource) checkName(name string) error {
	for _, n := range s.Names {
		if n == name {
			return nil
		}
	}
	return fmt.Errorf("unknown recommender %q: use one of %s", name, strings.Join(s.Names, ", "))
}

// RefOf returns the UI's reference of a workload.
func RefOf(w *Workload) tui.Ref { return tui.Ref{Namespace: w.Namespace, Kind: w.Kind, Name: w.Name} }

// List implements tui.Source: the target workloads, listed now, with the
// recommendations of recommender.
func (s *TUISource) List(ctx context.Context, recommender string) ([]tui.Workload, error) {
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
	var rep *Report
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
	last := make(map[tui.Ref]*Workload, len(ws))
	for _, w := range ws {
		last[RefOf(w)] = w
	}
	hpas := make(map[tui.Ref]*HPAInfo, len(ws))
	out := make([]tui.Workload, 0, len(rep.Workloads))
	for i := range rep.Workloads {
		wr := &rep.Workloads[i]
		hpas[RefOf(wr.workload)] = wr.HPA
		out = append(out, tuiWorkload(wr))
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
	report      *Report
}

// fingerprint identifies what a report depends on besides the history: each
// workload's object version (requests, replicas, managed fields) and its pods
// with their restart counts (OOM kills). Pod versions are left out: usage
// annotations and status updates change them all the time.
func fingerprint(ws []*Workload) string {
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
func (s *TUISource) Detail(ctx context.Context, ref tui.Ref, recommender string) (tui.Detail, error) {
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
	ws := []*Workload{w}
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
	d := tui.Detail{Workload: tuiWorkload(wr)}
	for _, c := range wr.Containers {
		cd := tui.ContainerDetail{Name: c.Name}
		if h != nil {
			cd.History = append([]model.Sample(nil), h.Samples[ContainerKey{Workload: w.Key(), Container: c.Name}]...)
		}
		if c.Explanation != nil {
			cd.Explanation = *c.Explanation
		}
		d.Containers = append(d.Containers, cd)
	}
	return d, nil
}

// recommend runs the engine with recommender over history h (read only, so
// calls may overlap).
func (s *TUISource) recommend(ctx context.Context, ws []*Workload, h *History, notes []string, recommender string, explain bool, now time.Time) (*Report, error) {
	e := *s.Engine
	e.Recommender, e.Explain = recommender, explain
	return e.Recommend(ctx, ws, h, notes, now)
}

func (s *TUISource) maxAge() time.Duration {
	if s.HistoryMaxAge <= 0 {
		return time.Minute
	}
	return s.HistoryMaxAge
}

// cachedHistory returns the cached history when it is fresh and covers ws.
func (s *TUISource) cachedHistory(ws []*Workload, now time.Time) (*History, []string, bool) {
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
func (s *TUISource) historyFetching(ctx context.Context, ws []*Workload, now time.Time) (*History, []string, error) {
	if h, notes, ok := s.cachedHistory(ws, now); ok {
		return h, notes, nil
	}
	var h *History
	var notes []string
	if len(ws) > 0 {
		var err error
		h, notes, err = s.Engine.FetchHistory(ctx, ws, now)
		if err != nil && !errors.Is(err, ErrNoHistory) {
			return nil, nil, fmt.Errorf("history: %w", err)
		}
		if errors.Is(err, ErrNoHistory) {
			notes = append(notes, err.Error())
		}
	}
	s.mu.Lock()
	s.hist, s.histNotes, s.histAt, s.histKeys = h, notes, now, workloadKeys(ws)
	s.mu.Unlock()
	return h, notes, nil
}

func workloadKeys(ws []*Workload) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(w.Key())
		b.WriteByte('\n')
	}
	return b.String()
}

// containsKeys reports whether the key list covers every workload of ws (a
// detail of a listed workload needs no new history).
func containsKeys(keys string, ws []*Workload) bool {
	for _, w := range ws {
		if !strings.Contains("\n"+keys, "\n"+w.Key()+"\n") {
			return false
		}
	}
	return true
}

// tuiWorkload converts one workload report into a row of the UI.
func tuiWorkload(wr *WorkloadReport) tui.Workload {
	w := wr.workload
	out := tui.Workload{Ref: RefOf(w), Replicas: wr.Replicas}
	if wr.HPA != nil && len(wr.HPA.Resources) > 0 {
		rs := make([]string, len(wr.HPA.Resources))
		for i, r := range wr.HPA.Resources {
			rs[i] = string(r)
		}
		out.HPAConflict = fmt.Sprintf("hpa/%s scales on %s", wr.HPA.Name, strings.Join(rs, ","))
	}
	owned := requestsManagedBySmartVPA(w)
	applied, anyRec := true, false
	for _, c := range wr.Containers {
		cr := tui.ContainerRec{Name: c.Name, Request: c.Requests, Confidence: confidenceScore(c)}
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
func confidenceScore(c ContainerReport) float64 {
	span := time.Duration(c.HistorySpan)
	const day = 24 * time.Hour
	switch c.Confidence {
	case ConfidenceHigh:
		return 1
	case ConfidenceMedium:
		return 0.3 + 0.4*math.Min(1, float64(span-day)/float64(6*day))
	case ConfidenceLow:
		return math.Min(0.29, 0.3*float64(span)/float64(day))
	}
	return 0
}

// withinBounds reports whether requests lie within the recommendation's
// [lower, upper] (rounded outwards to whole millicores and MiB), or equal the
// rounded target, for every resource an HPA does not scale on.
func withinBounds(req model.Resources, rec model.Recommendation, hpa *HPAInfo) bool {
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

// requestsManagedBySmartVPA returns the containers whose requests field
// manager smartvpa owns in the workload's managedFields, i.e. smartvpa set
// them last.
func requestsManagedBySmartVPA(w *Workload) map[string]bool {
	out := map[string]bool{}
	obj, ok := w.Object.(metav1.Object)
	if !ok || obj == nil {
		return out
	}
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager != FieldManager || mf.FieldsV1 == nil {
			continue
		}
		var fields map[string]any
		if err := json.Unmarshal(mf.FieldsV1.Raw, &fields); err != nil {
			continue
		}
		spec := fields
		for _, p := range w.PodSpecPath() {
			next, _ := spec["f:"+p].(map[string]any)
			if next == nil {
				spec = nil
				break
			}
			spec = next
		}
		if spec == nil {
			continue
		}
		for _, list := range []string{"f:containers", "f:initContainers"} {
			cs, _ := spec[list].(map[string]any)
			for k, v := range cs {
				name, ok := containerKeyName(k)
				if !ok {
					continue
				}
				c, _ := v.(map[string]any)
				res, _ := c["f:resources"].(map[string]any)
				req, _ := res["f:requests"].(map[string]any)
				if len(req) > 0 {
					out[name] = true
				}
			}
		}
	}
	return out
}

// containerKeyName reads the name out of a list key of managedFields,
// `k:{"name":"api"}`.
func containerKeyName(k string) (string, bool) {
	raw, ok := strings.CutPrefix(k, "k:")
	if !ok {
		return "", false
	}
	var key struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(raw), &key); err != nil || key.Name == "" {
		return "", false
	}
	return key.Name, true
}

// patchedKinds are the resources whose pod template the UI patches, for the
// permission check.
var patchedKinds = []struct{ group, resource string }{
	{"apps", "deployments"}, {"apps", "statefulsets"}, {"apps", "daemonsets"},
	{"apps", "replicasets"}, {"batch", "cronjobs"},
}

// Permission implements tui.Actions with one SelfSubjectAccessReview per
// workload resource: patching is allowed when any of them may be patched in
// the namespace (in every namespace with -A). A server that refuses the
// review itself leaves the answer to the dry-run.
func (s *TUISource) Permission(ctx context.Context) (tui.Permission, error) {
	scope := "in namespace " + s.Namespace
	if s.Namespace == "" {
		scope = "in all namespaces"
	}
	for _, k := range patchedKinds {
		r, err := s.Client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
			Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{
				Namespace: s.Namespace, Verb: "patch", Group: k.group, Resource: k.resource,
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
				return tui.Permission{CanPatch: true, Reason: "permission unknown (access review refused); the dry-run will tell"}, nil
			}
			return tui.Permission{}, fmt.Errorf("access review: %w", err)
		}
		if r.Status.Allowed {
			return tui.Permission{CanPatch: true}, nil
		}
	}
	who := ""
	if u := s.userName(ctx); u != "" {
		who = " for " + u
	}
	// The kinds checked (patchedKinds) are left out: the status line is short.
	return tui.Permission{Reason: fmt.Sprintf("RBAC forbids patching workloads %s%s", scope, who)}, nil
}

// userName asks the server who we are (best effort).
func (s *TUISource) userName(ctx context.Context) string {
	r, err := s.Client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return ""
	}
	return r.Status.UserInfo.Username
}

// DryRun implements tui.Actions: each change is sent as the patch apply
// would send, with dryRun=All.
func (s *TUISource) DryRun(ctx context.Context, changes []tui.Change) ([]tui.Result, error) {
	return s.do(ctx, changes, DryRunServer)
}

// Apply implements tui.Actions: each change is one strategic-merge patch of
// the pod template with field manager smartvpa.
func (s *TUISource) Apply(ctx context.Context, changes []tui.Change) ([]tui.Result, error) {
	return s.do(ctx, changes, DryRunNone)
}

func (s *TUISource) do(ctx context.Context, changes []tui.Change, dry DryRun) ([]tui.Result, error) {
	s.mu.Lock()
	last, hpas := s.last, s.hpa // replaced, never changed, by List
	s.mu.Unlock()
	a := &Applier{Client: s.Client, Mode: ModePatch, DryRun: dry, Now: s.Now}
	out := make([]tui.Result, 0, len(changes))
	for _, tc := range changes {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		out = append(out, doOne(ctx, a, tc, last[tc.Ref], hpas[tc.Ref]))
	}
	return out, nil
}

func doOne(ctx context.Context, a *Applier, tc tui.Change, w *Workload, hpa *HPAInfo) tui.Result {
	res := tui.Result{Ref: tc.Ref}
	if w == nil {
		res.Err = fmt.Errorf("%s is no longer listed: press R to refresh", tc.Ref)
		return res
	}
	ch, notes, err := kubeChange(w, tc, hpa)
	if err != nil {
		res.Err = err
		return res
	}
	if len(ch.New) == 0 {
		res.Message = "nothing to change: " + strings.Join(notes, "; ")
		return res
	}
	body, err := json.Marshal(TemplatePatch(w, ch.New))
	if err != nil {
		res.Err = err
		return res
	}
	res.Patch = string(body)
	r, err := a.Apply(ctx, ch)
	switch {
	case err != nil && apierrors.IsForbidden(err):
		res.Err = fmt.Errorf("forbidden: %w; nothing was changed: ask for patch rights on %s", err, resourceGroup(w.Kind))
		return res
	case err != nil:
		res.Err = err
		return res
	case len(r.Refused) > 0:
		res.Err = errors.New(strings.Join(r.Refused, "; "))
		return res
	}
	msg := resourceGroup(w.Kind) + "/" + w.Name + " patched" + a.suffix()
	if dryRun := a.DryRun == DryRunServer; !dryRun && r.ResourceVersion != "" {
		msg += " (resourceVersion " + r.ResourceVersion + ")"
	}
	if len(notes) > 0 {
		msg += "; " + strings.Join(notes, "; ")
	}
	res.Message = msg
	return res
}

// kubeChange turns the UI's change into the applier's: the new requests of
// each container, limits kept in proportion, a resource an HPA scales on left
// unchanged (as apply does without --allow-hpa).
func kubeChange(w *Workload, tc tui.Change, hpa *HPAInfo) (Change, []string, error) {
	wr := &WorkloadReport{Namespace: w.Namespace, Kind: w.Kind, Name: w.Name, Replicas: w.Replicas, HPA: hpa, workload: w}
	ch := Change{Report: wr}
	var notes []string
	if hpa != nil {
		for _, r := range hpa.Resources {
			notes = append(notes, fmt.Sprintf("%s requests left unchanged: HorizontalPodAutoscaler %s scales on %s", r, hpa.Name, r))
		}
	}
	for _, cc := range tc.Containers {
		c := w.Container(cc.Name)
		if c == nil {
			return ch, nil, fmt.Errorf("container %q not found in %s: press R to refresh", cc.Name, tc.Ref)
		}
		req := c.Requests
		for _, r := range model.AllResources {
			if v := cc.To.Get(r); v > 0 && !hpa.ScalesOn(r) {
				req = req.Set(r, v)
			}
		}
		lim := updater.ProportionalLimits(c.Requests, c.Limits, req)
		n := ContainerResources{Name: c.Name, Sidecar: c.Sidecar, Requests: req, Limits: lim}
		if sameQuantities(c.Requests, n.Requests) && sameQuantities(c.Limits, n.Limits) {
			continue
		}
		ch.New = append(ch.New, n)
		ch.Previous = append(ch.Previous, ContainerResources{Name: c.Name, Sidecar: c.Sidecar, Requests: c.Requests, Limits: c.Limits})
	}
	if len(ch.New) == 0 {
		notes = append(notes, "the requests already match")
	}
	return ch, notes, nil
}

// resourceGroup is kubectl's resource.group name of a kind
// ("deployment.apps").
func resourceGroup(kind string) string {
	switch APIVersion(kind) {
	case "apps/v1":
		return strings.ToLower(kind) + ".apps"
	case "batch/v1":
		return strings.ToLower(kind) + ".batch"
	}
	return strings.ToLower(kind)
}
