package tui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// DemoOptions configures a DemoSource.
type DemoOptions struct {
	// Seed seeds the generated usage and the recommenders.
	Seed int64
	// Recommenders are the registry names offered in the picker; empty means
	// every registered recommender (recommend.Names()).
	Recommenders []string
	// Interval is the step of the generated history; 0 means 5 minutes.
	Interval time.Duration
	// ReadOnly, when not empty, makes Permission forbid patching with this
	// reason, to show the read-only mode.
	ReadOnly string
}

// DemoSource is an in-memory Source and Actions over generated workloads. It
// needs no cluster: the usage history comes from a small seeded generator,
// the recommendations from running registered recommenders over that history.
// The data depends only on the seed, never on the wall clock: the history
// ends at a fixed time (DemoEnd).
type DemoSource struct {
	opts  DemoOptions
	now   time.Time
	names []string

	mu        sync.Mutex
	workloads []*demoWorkload
	// cache holds computed recommendations per recommender and container.
	cache map[string]map[string]demoRec
	// applied holds, per workload, the recommender whose targets were applied.
	applied map[Ref]string
	// replays holds the replayed targets per recommender and container.
	replays map[string][]model.Sample
}

type demoWorkload struct {
	ref        Ref
	replicas   int
	hpa        string
	containers []*demoContainer
}

type demoContainer struct {
	name    string
	request model.Resources
	// limit is twice the first request (a common habit), kept on apply.
	limit   model.Resources
	history []model.Sample
}

type demoRec struct {
	rec model.Recommendation
	ok  bool
	exp recommend.Explanation
}

// demoSpec describes one generated workload.
type demoSpec struct {
	ns, kind, name string
	replicas       int
	hpa            string
	history        time.Duration
	containers     []demoContainerSpec
}

type demoContainerSpec struct {
	name string
	gen  string
	// cpuScale and memScale scale the generator's default levels.
	cpuScale, memScale float64
	// request is the current request as a multiple of the generator's
	// default mean level (after scaling): > 1 over-provisioned.
	cpuReq, memReq float64
}

const demoHistory = 8 * 24 * time.Hour

var demoSpecs = []demoSpec{
	{"shop", "Deployment", "frontend", 3, "", demoHistory, []demoContainerSpec{
		{"app", "weekly", 0.5, 0.5, 2.5, 1.6},
		{"nginx", "sinusoidal", 0.1, 0.1, 3, 2},
	}},
	{"shop", "Deployment", "cart", 2, "", demoHistory, []demoContainerSpec{{"app", "sinusoidal", 0.6, 0.4, 1.8, 1.5}}},
	{"shop", "Deployment", "checkout", 4, "hpa/checkout scales on cpu", demoHistory, []demoContainerSpec{{"app", "spikes", 1, 0.5, 2, 1.2}}},
	{"shop", "StatefulSet", "redis", 1, "", demoHistory, []demoContainerSpec{{"redis", "step", 0.3, 1, 1, 0.6}}},
	{"payments", "Deployment", "api", 3, "", demoHistory, []demoContainerSpec{{"app", "low_high", 0.8, 0.5, 0.9, 1.4}}},
	{"payments", "Deployment", "ledger", 2, "", demoHistory, []demoContainerSpec{{"app", "trend", 0.5, 1, 2, 1}}},
	{"payments", "StatefulSet", "postgres", 1, "", demoHistory, []demoContainerSpec{{"postgres", "step", 1, 1.5, 1.5, 1.3}}},
	{"payments", "Deployment", "fraud-scorer", 2, "", 36 * time.Hour, []demoContainerSpec{{"model", "weekly", 1.5, 2, 1.2, 1.1}}},
	{"batch", "Deployment", "worker", 5, "", demoHistory, []demoContainerSpec{{"worker", "spikes", 0.5, 0.3, 4, 2}}},
	{"batch", "DaemonSet", "log-agent", 6, "", demoHistory, []demoContainerSpec{{"agent", "sinusoidal", 0.1, 0.2, 2, 2}}},
	{"monitoring", "StatefulSet", "prometheus", 1, "", demoHistory, []demoContainerSpec{{"prometheus", "trend", 1, 1, 1.2, 0.8}}},
	{"monitoring", "Deployment", "grafana", 1, "", 3 * 24 * time.Hour, []demoContainerSpec{{"grafana", "weekly", 0.2, 0.2, 3, 2}}},
}

// NewDemoSource generates the demo workloads. It fails when a named
// recommender is not registered or the generators fail.
func NewDemoSource(opts DemoOptions) (*DemoSource, error) {
	if opts.Interval == 0 {
		opts.Interval = 5 * time.Minute
	}
	names := opts.Recommenders
	if len(names) == 0 {
		names = recommend.Names()
	}
	known := map[string]bool{}
	for _, n := range recommend.Names() {
		known[n] = true
	}
	for _, n := range names {
		if !known[n] {
			return nil, fmt.Errorf("unknown recommender %q: choose from %s", n, strings.Join(recommend.Names(), ", "))
		}
	}
	s := &DemoSource{
		opts:    opts,
		now:     DemoEnd,
		names:   append([]string(nil), names...),
		cache:   map[string]map[string]demoRec{},
		applied: map[Ref]string{},
		replays: map[string][]model.Sample{},
	}
	for i, spec := range demoSpecs {
		w := &demoWorkload{ref: Ref{spec.ns, spec.kind, spec.name}, replicas: spec.replicas, hpa: spec.hpa}
		start := s.now.Add(-spec.history)
		for j, cs := range spec.containers {
			rng := rand.New(rand.NewPCG(uint64(opts.Seed), uint64(i*10+j)))
			hist, err := generate(rng, cs.gen, start, spec.history, opts.Interval)
			if err != nil {
				return nil, fmt.Errorf("demo workload %s: %w", w.ref, err)
			}
			c := &demoContainer{name: cs.name, history: hist}
			var cpuSum, memSum float64
			for k := range c.history {
				c.history[k].CPUMillicores *= cs.cpuScale
				c.history[k].MemoryBytes *= cs.memScale
				cpuSum += c.history[k].CPUMillicores
				memSum += c.history[k].MemoryBytes
			}
			n := float64(len(c.history))
			c.request = model.Resources{
				CPUMillicores: roundTo(cpuSum/n*cs.cpuReq, 50),
				MemoryBytes:   roundTo(memSum/n*cs.memReq, 64*model.MiB),
			}
			c.limit = model.Resources{CPUMillicores: 2 * c.request.CPUMillicores, MemoryBytes: 2 * c.request.MemoryBytes}
			w.containers = append(w.containers, c)
		}
		s.workloads = append(s.workloads, w)
	}
	return s, nil
}

func roundTo(v, step float64) float64 { return math.Max(step, math.Round(v/step)*step) }

// Recommenders implements Source.
func (s *DemoSource) Recommenders() []string { return append([]string(nil), s.names...) }

// Now is the end of the generated history, the time recommendations are made at.
func (s *DemoSource) Now() time.Time { return s.now }

func (s *DemoSource) checkName(name string) error {
	for _, n := range s.names {
		if n == name {
			return nil
		}
	}
	if len(s.names) == 0 {
		return errors.New("no recommender is registered: build with at least one recommender")
	}
	return fmt.Errorf("unknown recommender %q: choose from %s", name, strings.Join(s.names, ", "))
}

// recommendLocked runs recommender name over one container's history, once.
func (s *DemoSource) recommendLocked(ctx context.Context, name string, w *demoWorkload, c *demoContainer) (demoRec, error) {
	byKey := s.cache[name]
	if byKey == nil {
		byKey = map[string]demoRec{}
		s.cache[name] = byKey
	}
	key := w.ref.String() + "/" + c.name
	if r, ok := byKey[key]; ok {
		return r, nil
	}
	if err := ctx.Err(); err != nil {
		return demoRec{}, err
	}
	r, err := recommend.New(name, recommend.Config{Seed: s.opts.Seed, ContainersInPod: len(w.containers)})
	if err != nil {
		return demoRec{}, err
	}
	for _, sm := range c.history {
		r.AddSample(sm)
	}
	var out demoRec
	out.rec, out.ok = r.Recommend(s.now)
	out.exp = r.Explain(s.now)
	byKey[key] = out
	return out, nil
}

// confidence maps the evidence to [0, 1]: the history covered, against the
// week the upstream VPA needs for its bounds to settle.
func confidence(exp recommend.Explanation, history []model.Sample) float64 {
	span := time.Duration(0)
	if len(history) > 1 {
		span = history[len(history)-1].Time.Sub(history[0].Time)
	}
	for _, ev := range exp.Resources {
		if ev.HistorySpan > 0 && ev.HistorySpan < span {
			span = ev.HistorySpan
		}
	}
	return math.Min(1, span.Hours()/(7*24))
}

// List implements Source.
func (s *DemoSource) List(ctx context.Context, recommender string) ([]Workload, error) {
	if err := s.checkName(recommender); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Workload, 0, len(s.workloads))
	for _, w := range s.workloads {
		row, err := s.rowLocked(ctx, recommender, w)
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, nil
}

func (s *DemoSource) rowLocked(ctx context.Context, recommender string, w *demoWorkload) (Workload, error) {
	row := Workload{Ref: w.ref, Replicas: w.replicas, HPAConflict: w.hpa}
	applied := s.applied[w.ref] == recommender
	for _, c := range w.containers {
		r, err := s.recommendLocked(ctx, recommender, w, c)
		if err != nil {
			return Workload{}, err
		}
		var use model.Resources
		if n := len(c.history); n > 0 {
			use = model.Resources{CPUMillicores: c.history[n-1].CPUMillicores, MemoryBytes: c.history[n-1].MemoryBytes}
		}
		row.Containers = append(row.Containers, ContainerRec{
			Name: c.name, Request: c.request, Limit: c.limit, Usage: use, Rec: r.rec, OK: r.ok,
			Confidence: confidence(r.exp, c.history),
		})
		if r.ok && roundRequest(r.rec.Target) != c.request {
			applied = false
		}
	}
	row.Applied = applied
	return row, nil
}

// Detail implements Source.
func (s *DemoSource) Detail(ctx context.Context, ref Ref, recommender string) (Detail, error) {
	if err := s.checkName(recommender); err != nil {
		return Detail{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.findLocked(ref)
	if w == nil {
		return Detail{}, fmt.Errorf("workload %s not found: press R to refresh the list", ref)
	}
	row, err := s.rowLocked(ctx, recommender, w)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Workload: row}
	for _, c := range w.containers {
		r, _ := s.recommendLocked(ctx, recommender, w, c)
		targets, err := s.replayLocked(ctx, recommender, w, c)
		if err != nil {
			return Detail{}, err
		}
		d.Containers = append(d.Containers, ContainerDetail{
			Name: c.name, History: append([]model.Sample(nil), c.history...), Explanation: r.exp,
			Targets: targets,
		})
	}
	return d, nil
}

// replayLocked replays recommender name over one container's history
// (ReplayTargets), once.
func (s *DemoSource) replayLocked(ctx context.Context, name string, w *demoWorkload, c *demoContainer) ([]model.Sample, error) {
	key := name + "/" + w.ref.String() + "/" + c.name
	if t, ok := s.replays[key]; ok {
		return t, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := recommend.New(name, recommend.Config{Seed: s.opts.Seed, ContainersInPod: len(w.containers)})
	if err != nil {
		return nil, err
	}
	t := ReplayTargets(r, c.history, nil, replayPoints)
	s.replays[key] = t
	return t, nil
}

func (s *DemoSource) findLocked(ref Ref) *demoWorkload {
	for _, w := range s.workloads {
		if w.ref == ref {
			return w
		}
	}
	return nil
}

// Permission implements Actions.
func (s *DemoSource) Permission(context.Context) (Permission, error) {
	if s.opts.ReadOnly != "" {
		return Permission{CanPatch: false, Reason: s.opts.ReadOnly}, nil
	}
	return Permission{CanPatch: true}, nil
}

// DryRun implements Actions: it validates each change as a server would and
// returns the patch it would send.
func (s *DemoSource) DryRun(ctx context.Context, changes []Change) ([]Result, error) {
	return s.do(ctx, changes, true)
}

// Apply implements Actions: it sets the requests of the demo workloads.
func (s *DemoSource) Apply(ctx context.Context, changes []Change) ([]Result, error) {
	return s.do(ctx, changes, false)
}

func (s *DemoSource) do(ctx context.Context, changes []Change, dryRun bool) ([]Result, error) {
	if p, _ := s.Permission(ctx); !p.CanPatch {
		return nil, fmt.Errorf("patching is forbidden: %s", p.Reason)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Result, 0, len(changes))
	for _, ch := range changes {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		res := Result{Ref: ch.Ref, Patch: RequestsPatch(ch)}
		w := s.findLocked(ch.Ref)
		res.Err = validateChange(w, ch)
		if res.Err == nil {
			verb := "patched (simulated: demo, no cluster)"
			if dryRun {
				verb = "patched (simulated dry run: demo, no cluster)"
			} else {
				for _, cc := range ch.Containers {
					for _, c := range w.containers {
						if c.name == cc.Name {
							c.request = cc.To
						}
					}
				}
				s.applied[ch.Ref] = ch.Recommender
			}
			res.Message = fmt.Sprintf("%s/%s %s", resourceName(ch.Ref.Kind), ch.Ref.Name, verb)
		}
		out = append(out, res)
	}
	return out, nil
}

func validateChange(w *demoWorkload, ch Change) error {
	if w == nil {
		return fmt.Errorf("%s not found", ch.Ref)
	}
	for _, cc := range ch.Containers {
		found := false
		for _, c := range w.containers {
			found = found || c.name == cc.Name
		}
		if !found {
			return fmt.Errorf("container %q not found in %s", cc.Name, ch.Ref)
		}
		if cc.To.CPUMillicores < 1 || cc.To.MemoryBytes < model.MiB {
			return fmt.Errorf("container %q: requests must be at least 1m cpu and 1Mi memory", cc.Name)
		}
	}
	return nil
}

// resourceName is kubectl's resource.group name of a workload kind.
func resourceName(kind string) string {
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
		return strings.ToLower(kind) + ".apps"
	case "CronJob", "Job":
		return strings.ToLower(kind) + ".batch"
	}
	return strings.ToLower(kind)
}

// RequestsPatch returns the strategic merge patch, as compact JSON, that sets
// the requests of a change. Implementations of Actions may use it to show the
// same patch the TUI previews.
func RequestsPatch(ch Change) string {
	type requests struct {
		CPU    string `json:"cpu"`
		Memory string `json:"memory"`
	}
	type container struct {
		Name      string `json:"name"`
		Resources struct {
			Requests requests `json:"requests"`
		} `json:"resources"`
	}
	cs := make([]container, 0, len(ch.Containers))
	for _, cc := range ch.Containers {
		var c container
		c.Name = cc.Name
		c.Resources.Requests = requests{CPU: quantityCPU(cc.To.CPUMillicores), Memory: quantityMem(cc.To.MemoryBytes)}
		cs = append(cs, c)
	}
	podSpec := map[string]any{"template": map[string]any{"spec": map[string]any{"containers": cs}}}
	var patch map[string]any
	if ch.Ref.Kind == "CronJob" {
		patch = map[string]any{"spec": map[string]any{"jobTemplate": map[string]any{"spec": podSpec}}}
	} else {
		patch = map[string]any{"spec": podSpec}
	}
	b, err := json.Marshal(patch)
	if err != nil {
		return fmt.Sprintf("(cannot encode patch: %v)", err)
	}
	return string(b)
}
