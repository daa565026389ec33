package updater

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const cores = 1000.0 // millicores per core
const mb = 1e6       // "M" quantity

func cpuMem(cpuCores, memBytes float64) model.Resources {
	return model.Resources{CPUMillicores: cpuCores * cores, MemoryBytes: memBytes}
}

// rec builds a recommendation; a zero bound means "not given".
func rec(target, lower, upper model.Resources) *model.Recommendation {
	return &model.Recommendation{Target: target, Lower: lower, Upper: upper, UncappedTarget: target}
}

func onePod(name string, req model.Resources, r *model.Recommendation) Pod {
	return Pod{Name: name, StartTime: t0, Containers: []Container{{Name: "c", Requests: req, Recommendation: r}}}
}

// TestGetPriorityUpstream reproduces upstream's TestGetUpdatePriority
// (pkg/updater/priority/priority_processor_test.go).
func TestGetPriorityUpstream(t *testing.T) {
	z := model.Resources{}
	tests := []struct {
		name string
		pod  Pod
		want Priority
	}{
		{"simple scale up", onePod("p", cpuMem(2, 0), rec(cpuMem(10, 0), z, z)), Priority{false, true, 4.0}},
		{"simple scale down", onePod("p", cpuMem(4, 0), rec(cpuMem(2, 0), z, z)), Priority{false, false, 0.5}},
		{"no resource diff", onePod("p", cpuMem(2, 0), rec(cpuMem(2, 0), z, z)), Priority{false, false, 0}},
		{"scale up on milliquantities", onePod("p", model.Resources{CPUMillicores: 10}, rec(model.Resources{CPUMillicores: 900}, z, z)), Priority{false, true, 89.0}},
		{"scale up outside recommended range", onePod("p", cpuMem(4, 0), rec(cpuMem(10, 0), cpuMem(6, 0), cpuMem(14, 0))), Priority{true, true, 1.5}},
		{"scale down outside recommended range", onePod("p", cpuMem(8, 0), rec(cpuMem(2, 0), cpuMem(1, 0), cpuMem(3, 0))), Priority{true, false, 0.75}},
		{"multiple resources, both scale up", onePod("p", cpuMem(3, 10*mb), rec(cpuMem(6, 20*mb), z, z)), Priority{false, true, 2.0}},
		{"multiple resources, only one scale up", onePod("p", cpuMem(4, 10*mb), rec(cpuMem(2, 20*mb), z, z)), Priority{false, true, 1.5}},
		{"multiple resources, both scale down", onePod("p", cpuMem(4, 20*mb), rec(cpuMem(2, 10*mb), z, z)), Priority{false, false, 1.0}},
		{"multiple resources, one outside recommended range", onePod("p", cpuMem(4, 20*mb), rec(cpuMem(2, 10*mb), cpuMem(1, 5*mb), cpuMem(3, 30*mb))), Priority{true, false, 1.0}},
		{"multiple containers, both scale up", Pod{Containers: []Container{
			{Requests: cpuMem(1, 0), Recommendation: rec(cpuMem(4, 0), z, z)},
			{Requests: cpuMem(2, 0), Recommendation: rec(cpuMem(8, 0), z, z)},
		}}, Priority{false, true, 3.0}},
		{"multiple containers, both scale down", Pod{Containers: []Container{
			{Requests: cpuMem(3, 0), Recommendation: rec(cpuMem(1, 0), z, z)},
			{Requests: cpuMem(7, 0), Recommendation: rec(cpuMem(2, 0), z, z)},
		}}, Priority{false, false, 0.7}},
		{"multiple containers, both scale up, one outside range", Pod{Containers: []Container{
			{Requests: cpuMem(1, 0), Recommendation: rec(cpuMem(4, 0), cpuMem(1, 0), z)},
			{Requests: cpuMem(2, 0), Recommendation: rec(cpuMem(8, 0), cpuMem(3, 0), cpuMem(10, 0))},
		}}, Priority{true, true, 3.0}},
		{"multiple containers, multiple resources", Pod{Containers: []Container{
			{Requests: cpuMem(6, 10*mb), Recommendation: rec(cpuMem(8, 20*mb), z, z)},
			{Requests: cpuMem(4, 30*mb), Recommendation: rec(cpuMem(7, 30*mb), z, z)},
		}}, Priority{false, true, 0.5 + 0.25}},
		{"no recommendation", onePod("p", cpuMem(5, 10), nil), Priority{}},
		{"container off is ignored", Pod{Containers: []Container{
			{Requests: cpuMem(1, 0), Recommendation: rec(cpuMem(10, 0), z, z)},
			{Requests: cpuMem(1, 0), Recommendation: rec(cpuMem(10, 0), z, z), Policy: model.ContainerPolicy{Off: true}},
		}}, Priority{false, true, 9.0}},
		{"uncontrolled resource is ignored", Pod{Containers: []Container{
			{Requests: cpuMem(4, 10*mb), Recommendation: rec(cpuMem(2, 20*mb), z, z), Policy: model.ContainerPolicy{ControlledResources: []model.Resource{model.CPU}}},
		}}, Priority{false, false, 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := GetPriority(tt.pod)
			if got.OutsideRecommendedRange != tt.want.OutsideRecommendedRange || got.ScaleUp != tt.want.ScaleUp ||
				math.Abs(got.ResourceDiff-tt.want.ResourceDiff) > 1e-9 {
				t.Fatalf("GetPriority = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestPriorityLessUpstream reproduces upstream's TestLessPodPriority.
func TestPriorityLessUpstream(t *testing.T) {
	tests := []struct {
		name        string
		prio, other Priority
		isLess      bool
	}{
		{"scale down more than empty", Priority{ResourceDiff: 0.1}, Priority{}, false},
		{"scale up more than empty", Priority{ScaleUp: true, ResourceDiff: 0.1}, Priority{}, false},
		{"two scale ups", Priority{ScaleUp: true, ResourceDiff: 0.1}, Priority{ScaleUp: true, ResourceDiff: 1.0}, true},
		{"two scale downs", Priority{ResourceDiff: 0.9}, Priority{ResourceDiff: 0.1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.prio.Less(tt.other); got != tt.isLess {
				t.Fatalf("Less = %v, want %v", got, tt.isLess)
			}
			if got := tt.other.Less(tt.prio); got != !tt.isLess {
				t.Fatalf("reverse Less = %v, want %v", got, !tt.isLess)
			}
		})
	}
}

func names(ps []Planned) []string {
	var out []string
	for _, p := range ps {
		if p.Decision.Action != None {
			out = append(out, p.Pod)
		}
	}
	return out
}

func cpuPods(target, lower, upper float64, requests ...float64) []Pod {
	var pods []Pod
	for i, r := range requests {
		pods = append(pods, onePod("POD"+string(rune('1'+i)), cpuMem(r, 0),
			rec(cpuMem(target, 0), cpuMem(lower, 0), cpuMem(upper, 0))))
	}
	return pods
}

// TestOrderUpstream reproduces upstream's update_priority_calculator tests
// (TestSortPriority, TestSortPriorityResourcesDecrease, TestUpdateNotRequired,
// TestUpdateLonglivedPods, TestUpdateShortlivedPods, the quick-OOM tests and
// TestNoPods) with the real priority processor in place of the fake one.
func TestOrderUpstream(t *testing.T) {
	def := DefaultPolicy()
	half := def
	half.MinChangePriority = 0.5
	oomPod := func(req, target, lower, upper model.Resources, run time.Duration, off bool) []Pod {
		now := t0.Add(11 * time.Hour)
		p := onePod("POD1", req, rec(target, lower, upper))
		p.Containers[0].LastOOM = &OOMKill{StartedAt: now.Add(-3*time.Minute - run), FinishedAt: now.Add(-3 * time.Minute)}
		p.Containers[0].Policy.Off = off
		return []Pod{p}
	}
	tests := []struct {
		name string
		pods []Pod
		age  time.Duration
		p    Policy
		want []string
	}{
		{"sort priority", cpuPods(10, 0, 0, 2, 4, 1, 3), 24 * time.Hour, def, []string{"POD3", "POD1", "POD4", "POD2"}},
		{"sort priority resources decrease", cpuPods(5, 0, 0, 4, 8, 10), 24 * time.Hour, def, []string{"POD1", "POD3", "POD2"}},
		{"update not required", cpuPods(4, 0, 0, 4), 24 * time.Hour, def, nil},
		{"long-lived pods", cpuPods(5, 1, 6, 4, 1, 8), 13 * time.Hour, half, []string{"POD2", "POD3"}},
		{"short-lived pods", cpuPods(5, 1, 6, 4, 1, 10), 11 * time.Hour, half, []string{"POD3"}},
		{"quick OOM", oomPod(cpuMem(4, 0), cpuMem(5, 0), cpuMem(1, 0), cpuMem(6, 0), 2*time.Minute, false), 11 * time.Hour, half, []string{"POD1"}},
		{"quick OOM no resource change", oomPod(cpuMem(4, 8*model.GiB), cpuMem(4, 8*model.GiB), cpuMem(2, 5*model.GiB), cpuMem(5, 10*model.GiB), 2*time.Minute, false), 11 * time.Hour, def, nil},
		{"OOM after long run", oomPod(cpuMem(4, 0), cpuMem(5, 0), cpuMem(1, 0), cpuMem(6, 0), 57*time.Minute, false), 11 * time.Hour, half, nil},
		{"quick OOM in container off", oomPod(cpuMem(4, 0), cpuMem(5, 0), cpuMem(1, 0), cpuMem(6, 0), 2*time.Minute, true), 11 * time.Hour, half, nil},
		{"no pods", nil, 0, def, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := names(Order(t0.Add(tt.age), tt.pods, tt.p))
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("updated pods = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPlanReplicaRestrictions(t *testing.T) {
	def := DefaultPolicy()
	pending := func(pods []Pod, i int) []Pod { pods[i].Pending = true; return pods }
	tol := func(f float64) Policy { p := def; p.EvictionTolerance = f; return p }
	recreate := def
	recreate.Mode = ModeRecreate
	tests := []struct {
		name       string
		pods       []Pod
		configured int
		p          Policy
		want       []string
	}{
		{"single replica below min replicas", cpuPods(10, 0, 0, 1), 0, def, nil},
		{"min replicas 1 lets a single replica go", cpuPods(10, 0, 0, 1), 0, Policy{Mode: ModeRecreate, MinReplicas: 1, EvictionTolerance: 0.5}, []string{"POD1"}},
		// 4 pods, tolerance int(4*0.5)=2: two go, highest priority first.
		{"tolerance half of four", cpuPods(10, 0, 0, 2, 4, 1, 3), 0, def, []string{"POD3", "POD1"}},
		// 3 pods, tolerance int(1.5)=1.
		{"tolerance half of three", cpuPods(10, 0, 0, 2, 4, 1), 0, def, []string{"POD3"}},
		// tolerance 0 with all running: exactly one pod may go.
		{"zero tolerance lets one go", cpuPods(10, 0, 0, 2, 4, 1), 0, tol(0.1), []string{"POD3"}},
		// configured 4 but only 3 running: 3 - 0 > 4 - 2 lets one go.
		{"fewer running than configured", cpuPods(10, 0, 0, 2, 4, 1), 4, def, []string{"POD3"}},
		// pending pods can always be evicted and do not count as running: with
		// 2 of 3 running and 2 that must stay up, POD3 must wait.
		{"pending pod always evictable", pending(cpuPods(10, 0, 0, 2, 4, 1), 0), 0, recreate, []string{"POD1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := names(Plan(t0.Add(24*time.Hour), tt.pods, Group{Configured: tt.configured}, tt.p))
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("updated pods = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPlanUpstreamEviction reproduces upstream's eviction restriction tests
// (pkg/updater/restriction): TestEvictTooFewReplicas, TestEvictionTolerance,
// TestEvictAtLeastOne and the pending/too-few cases of TestEvictEmitEvent.
func TestPlanUpstreamEviction(t *testing.T) {
	recreate := func(minReplicas int, tol float64) Policy {
		p := DefaultPolicy()
		p.Mode, p.MinReplicas, p.EvictionTolerance = ModeRecreate, minReplicas, tol
		return p
	}
	inPlace := recreate(2, 0.5)
	inPlace.Mode = ModeInPlace
	pending := func(pods []Pod) []Pod {
		for i := range pods {
			pods[i].Pending = true
		}
		return pods
	}
	tests := []struct {
		name       string
		pods       []Pod
		configured int
		p          Policy
		wantN      int
	}{
		{"too few replicas (5 live, min 10)", cpuPods(10, 0, 0, 1, 1, 1, 1, 1), 5, recreate(10, 0.5), 0},
		{"tolerance 0.8 of 5 evicts 4", cpuPods(10, 0, 0, 1, 1, 1, 1, 1), 5, recreate(2, 0.8), 4},
		{"tolerance 0.1 of 5 evicts at least one", cpuPods(10, 0, 0, 1, 1, 1, 1, 1), 5, recreate(2, 0.1), 1},
		{"pending pods can be evicted", pending(cpuPods(10, 0, 0, 1, 1)), 4, recreate(2, 0.5), 2},
		{"single running pod of 4 cannot", cpuPods(10, 0, 0, 1), 4, recreate(2, 0.5), 0},
		{"pending pods are not resized in place", pending(cpuPods(10, 0, 0, 1, 1)), 4, inPlace, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := names(Plan(t0.Add(24*time.Hour), tt.pods, Group{Configured: tt.configured}, tt.p))
			if len(got) != tt.wantN {
				t.Fatalf("updated %v, want %d pods", got, tt.wantN)
			}
		})
	}
}

func TestDecideModes(t *testing.T) {
	mi := model.MiB
	up := model.Recommendation{Lower: model.Resources{CPUMillicores: 400, MemoryBytes: 400 * mi}, Target: model.Resources{CPUMillicores: 500, MemoryBytes: 600 * mi}, Upper: model.Resources{CPUMillicores: 700, MemoryBytes: 900 * mi}}
	memDown := model.Recommendation{Lower: model.Resources{CPUMillicores: 100, MemoryBytes: 100 * mi}, Target: model.Resources{CPUMillicores: 200, MemoryBytes: 150 * mi}, Upper: model.Resources{CPUMillicores: 250, MemoryBytes: 200 * mi}}
	pod := PodState{Requests: model.Resources{CPUMillicores: 250, MemoryBytes: 256 * mi}, Limits: model.Resources{MemoryBytes: 256 * mi}, StartTime: t0}
	withMode := func(m UpdateMode) Policy { p := DefaultPolicy(); p.Mode = m; return p }
	tests := []struct {
		name       string
		rec        model.Recommendation
		mode       UpdateMode
		wantAction Action
		wantReason string
	}{
		{"in-place-or-recreate grows in place", up, ModeInPlaceOrRecreate, InPlace, "cpu request 250m below lower bound 400m"},
		{"in-place-or-recreate memory decrease restarts", memDown, ModeInPlaceOrRecreate, Evict, "memory request 256Mi above upper bound 200Mi; memory decrease restarts"},
		{"recreate always evicts", up, ModeRecreate, Evict, "cpu request 250m below lower bound 400m"},
		{"in-place never restarts", memDown, ModeInPlace, InPlace, "memory request 256Mi above upper bound 200Mi"},
		{"rollout", up, ModeRollout, Rollout, "cpu request 250m below lower bound 400m"},
		{"off", up, ModeOff, None, "update mode off (cpu request 250m below lower bound 400m)"},
		{"zero mode is in-place-or-recreate", up, "", InPlace, "cpu request 250m below lower bound 400m"},
		{"no recommendation", model.Recommendation{}, ModeRecreate, None, "no recommendation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(t0.Add(time.Hour), pod, tt.rec, withMode(tt.mode))
			if d.Action != tt.wantAction || d.Reason != tt.wantReason {
				t.Fatalf("Decide = %s %q, want %s %q", d.Action, d.Reason, tt.wantAction, tt.wantReason)
			}
			if d.Action == None {
				if d.Requests != pod.Requests || d.Limits != pod.Limits {
					t.Fatalf("no update changed values: %+v %+v", d.Requests, d.Limits)
				}
				return
			}
			if d.Requests != tt.rec.Target {
				t.Fatalf("requests = %+v, want target %+v", d.Requests, tt.rec.Target)
			}
			// memory limit equal to request follows the request; no CPU limit stays none.
			if want := (model.Resources{MemoryBytes: tt.rec.Target.MemoryBytes}); d.Limits != want {
				t.Fatalf("limits = %+v, want %+v", d.Limits, want)
			}
			if d.Restarts() != (d.Action == Evict || d.Action == Rollout) {
				t.Fatal("Restarts inconsistent with action")
			}
		})
	}
}

func TestDecideAgeAndDiff(t *testing.T) {
	mi := model.MiB
	r := model.Recommendation{Lower: model.Resources{CPUMillicores: 100, MemoryBytes: 100 * mi}, Target: model.Resources{CPUMillicores: 300, MemoryBytes: 256 * mi}, Upper: model.Resources{CPUMillicores: 1000, MemoryBytes: 1024 * mi}}
	pod := PodState{Requests: model.Resources{CPUMillicores: 250, MemoryBytes: 256 * mi}, StartTime: t0}
	tests := []struct {
		name   string
		pod    PodState
		age    time.Duration
		want   Action
		reason string
	}{
		{"young pod in range", pod, 11 * time.Hour, None, ReasonYoungPod},
		{"old pod diff 0.2", pod, 12 * time.Hour, InPlace, "resource diff 0.200 at least 0.100 after 12h0m0s"},
		{"old pod small diff", PodState{Requests: model.Resources{CPUMillicores: 290, MemoryBytes: 256 * mi}, StartTime: t0}, 13 * time.Hour, None, ReasonSmallDiff},
		{"unknown start", PodState{Requests: pod.Requests}, 13 * time.Hour, None, ReasonNoStartTime},
		{"quick OOM young pod", PodState{Requests: pod.Requests, StartTime: t0, LastOOM: &OOMKill{StartedAt: t0, FinishedAt: t0.Add(9 * time.Minute)}}, time.Hour, InPlace, "quick OOM"},
		{"slow OOM young pod", PodState{Requests: pod.Requests, StartTime: t0, LastOOM: &OOMKill{StartedAt: t0, FinishedAt: t0.Add(10 * time.Minute)}}, time.Hour, None, ReasonYoungPod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(t0.Add(tt.age), tt.pod, r, DefaultPolicy())
			if d.Action != tt.want || d.Reason != tt.reason {
				t.Fatalf("Decide = %s %q, want %s %q", d.Action, d.Reason, tt.want, tt.reason)
			}
		})
	}
}

// TestProportionalLimits follows upstream's getProportionalResourceLimit cases.
func TestProportionalLimits(t *testing.T) {
	tests := []struct {
		name                           string
		oldReq, oldLimit, newReq, want float64
	}{
		{"no limit stays none", 100, 0, 200, 0},
		{"no recommendation sets no limit", 100, 200, 0, 0},
		{"limit without request follows request", 0, 200, 150, 150},
		{"limit equal to request follows request", 100, 100, 150, 150},
		{"ratio kept", 1, 2, 10, 20},
		{"ratio kept down", 100, 150, 50, 75},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ProportionalLimits(model.Resources{CPUMillicores: tt.oldReq, MemoryBytes: tt.oldReq},
				model.Resources{CPUMillicores: tt.oldLimit, MemoryBytes: tt.oldLimit},
				model.Resources{CPUMillicores: tt.newReq, MemoryBytes: tt.newReq})
			if got.CPUMillicores != tt.want || got.MemoryBytes != tt.want {
				t.Fatalf("ProportionalLimits = %+v, want %v", got, tt.want)
			}
		})
	}
}

func TestApplyPolicy(t *testing.T) {
	r := &model.Recommendation{Target: model.Resources{CPUMillicores: 500, MemoryBytes: 200}}
	base := Container{Requests: model.Resources{CPUMillicores: 100, MemoryBytes: 100}, Limits: model.Resources{CPUMillicores: 200, MemoryBytes: 100}, Recommendation: r}
	tests := []struct {
		name           string
		policy         model.ContainerPolicy
		wantReq, wantL model.Resources
	}{
		{"requests and limits", model.ContainerPolicy{}, model.Resources{CPUMillicores: 500, MemoryBytes: 200}, model.Resources{CPUMillicores: 1000, MemoryBytes: 200}},
		{"requests only", model.ContainerPolicy{ControlledValues: model.RequestsOnly}, model.Resources{CPUMillicores: 500, MemoryBytes: 200}, base.Limits},
		{"cpu only", model.ContainerPolicy{ControlledResources: []model.Resource{model.CPU}}, model.Resources{CPUMillicores: 500, MemoryBytes: 100}, model.Resources{CPUMillicores: 1000, MemoryBytes: 100}},
		{"off", model.ContainerPolicy{Off: true}, base.Requests, base.Limits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			c.Policy = tt.policy
			req, lim := Apply(c)
			if req != tt.wantReq || lim != tt.wantL {
				t.Fatalf("Apply = %+v %+v, want %+v %+v", req, lim, tt.wantReq, tt.wantL)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name string
		mut  func(*Policy)
		want string
	}{
		{"default ok", func(*Policy) {}, ""},
		{"bad mode", func(p *Policy) { p.Mode = "auto" }, `unknown update mode "auto": use one of in-place-or-recreate, recreate, in-place, rollout, off`},
		{"bad tolerance", func(p *Policy) { p.EvictionTolerance = 1.5 }, "eviction tolerance 1.5 is outside [0, 1]: use a fraction (default 0.5)"},
		{"negative replicas", func(p *Policy) { p.MinReplicas = -1 }, "min replicas -1 is negative: use 0 or more (default 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultPolicy()
			tt.mut(&p)
			err := p.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Fatalf("Validate = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDecideFastMatchesGeneral compares Decide (with its fast path) with the
// general multi-container path on random single-container pods.
func TestDecideFastMatchesGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(vals ...float64) float64 { return vals[rng.IntN(len(vals))] }
	policies := []model.ContainerPolicy{
		{}, {ControlledResources: []model.Resource{model.CPU}}, {ControlledResources: []model.Resource{model.Memory}},
		{ControlledResources: []model.Resource{model.Memory, model.CPU}}, {ControlledValues: model.RequestsOnly}, {Off: true},
	}
	for i := range 200000 {
		req := model.Resources{CPUMillicores: pick(0, 100, 250, 400), MemoryBytes: pick(0, 100, 256, 300)}
		target := model.Resources{CPUMillicores: pick(0, 100, 250, 260, 500), MemoryBytes: pick(0, 100, 256, 280, 600)}
		if rng.IntN(4) == 0 {
			// Continuous values: diffs on either side of the 0.1 threshold.
			target = model.Resources{CPUMillicores: req.CPUMillicores * (0.8 + 0.4*rng.Float64()), MemoryBytes: req.MemoryBytes * (0.8 + 0.4*rng.Float64())}
		}
		rec := model.Recommendation{
			Lower:  model.Resources{CPUMillicores: pick(0, 50, 200), MemoryBytes: pick(0, 50, 200)},
			Target: target,
			Upper:  model.Resources{CPUMillicores: pick(0, 300, 1000), MemoryBytes: pick(0, 300, 1000)},
		}
		if rng.IntN(10) == 0 {
			rec = model.Recommendation{}
		}
		pod := PodState{Requests: req, Limits: model.Resources{MemoryBytes: req.MemoryBytes}, Policy: policies[rng.IntN(len(policies))]}
		if rng.IntN(5) > 0 {
			pod.StartTime = t0
		}
		if rng.IntN(4) == 0 {
			pod.LastOOM = &OOMKill{StartedAt: t0, FinishedAt: t0.Add(time.Duration(rng.IntN(20)) * time.Minute)}
		}
		p := DefaultPolicy()
		p.Mode = Modes[rng.IntN(len(Modes))]
		now := t0.Add(time.Duration(rng.IntN(24)) * time.Hour)
		got := Decide(now, pod, rec, p)
		// DecideTo must overwrite every field of its destination.
		to := Decision{Action: Evict, Reason: "stale", Priority: Priority{true, true, 9}, Requests: model.Resources{CPUMillicores: 1, MemoryBytes: 1}, Limits: model.Resources{CPUMillicores: 1}}
		DecideTo(&to, now, &pod, &rec, &p)
		if to != got {
			t.Fatalf("case %d: DecideTo %+v, Decide %+v", i, to, got)
		}
		var r *model.Recommendation
		if !rec.IsZero() {
			r = &rec
		}
		c := Container{Requests: pod.Requests, Limits: pod.Limits, Recommendation: r, LastOOM: pod.LastOOM, Policy: pod.Policy}
		want := DecidePod(now, Pod{StartTime: pod.StartTime, Containers: []Container{c}}, p)
		want.Requests, want.Limits = pod.Requests, pod.Limits
		if want.Action != None {
			want.Requests, want.Limits = Apply(c)
		}
		if got != want {
			t.Fatalf("case %d: Decide %+v, general %+v (pod %+v rec %+v)", i, got, want, pod, rec)
		}
	}
}
