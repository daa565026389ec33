package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/updater"
)

// generalDecide is the updater's general multi-container path for the
// simulated container: the reference the simulator's decisions (through
// updater.DecideTo and its single-container fast path) must equal.
func generalDecide(now time.Time, pod updater.PodState, rec model.Recommendation, p updater.Policy) updater.Decision {
	var r *model.Recommendation
	if !rec.IsZero() {
		r = &rec
	}
	c := updater.Container{Requests: pod.Requests, Limits: pod.Limits, Recommendation: r, LastOOM: pod.LastOOM, Policy: pod.Policy}
	d := updater.DecidePod(now, updater.Pod{StartTime: pod.StartTime, Containers: []updater.Container{c}}, p)
	d.Requests, d.Limits = pod.Requests, pod.Limits
	if d.Action != updater.None {
		d.Requests, d.Limits = updater.Apply(c)
	}
	return d
}

// randomAction draws a recommendation around the observed usage: often the
// previous one again (so pods age past the lifetime threshold in range),
// targets sometimes below usage (OOM kills, quick OOMs), bounds and fields
// sometimes missing.
func randomAction(rng *rand.Rand, obs Observation, prev model.Recommendation) model.Recommendation {
	switch k := rng.IntN(20); {
	case k < 13:
		return prev
	case k == 13:
		return model.Recommendation{}
	}
	f := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	target := model.Resources{CPUMillicores: obs.CPUUsageMillicores * f(0.6, 1.6), MemoryBytes: obs.MemoryUsageBytes * f(0.7, 1.4)}
	r := model.Recommendation{
		Lower:          model.Resources{CPUMillicores: target.CPUMillicores * f(0.5, 1), MemoryBytes: target.MemoryBytes * f(0.5, 1)},
		Target:         target,
		Upper:          model.Resources{CPUMillicores: target.CPUMillicores * f(1, 2.5), MemoryBytes: target.MemoryBytes * f(1, 2.5)},
		UncappedTarget: target,
	}
	if rng.IntN(10) == 0 {
		r.Lower = model.Resources{}
	}
	if rng.IntN(10) == 0 {
		r.Upper.MemoryBytes = 0
	}
	if rng.IntN(20) == 0 {
		r.Target.CPUMillicores = 0
	}
	return r
}

// TestStepDecisionsMatchGeneralPath replays generated traces with random
// actions in every update mode and a few container policies, and checks at
// every step that the simulator's decision equals the updater's general path
// on the same state (requests, limits, pod start, last OOM kill, time). Pod
// age crossing the 12 h threshold, quick-OOM windows and restarts all occur
// (the test checks that they do).
func TestStepDecisionsMatchGeneralPath(t *testing.T) {
	policies := []model.ContainerPolicy{{}, {ControlledResources: []model.Resource{model.CPU}}, {ControlledValues: model.RequestsOnly}}
	seen := map[string]int{}
	for _, mode := range updater.Modes {
		for pi, cp := range policies {
			for seed := uint64(1); seed <= 3; seed++ {
				t.Run(fmt.Sprintf("%s/policy%d/seed%d", mode, pi, seed), func(t *testing.T) {
					opts := DefaultOptions()
					opts.Warmup = 6 * time.Hour
					opts.Updater.Mode = mode
					opts.ContainerPolicy = cp
					if seed == 2 {
						opts.CPULimitRatio = 1.5
					}
					env, err := NewEnv(opts)
					if err != nil {
						t.Fatal(err)
					}
					w := genWorkload("d", seed, 3*24*time.Hour, 5*time.Minute)
					obs, _, err := env.Reset(&w, 0)
					if err != nil {
						t.Fatal(err)
					}
					rng := rand.New(rand.NewPCG(seed, uint64(pi)))
					var action model.Recommendation
					for !env.Done() {
						action = randomAction(rng, obs, action)
						next := env.i + 1
						var want updater.Decision
						decides := next >= env.warmupEnd && !action.IsZero() && !env.pending.active && w.Samples[next].Time.UnixNano() >= env.downUntil
						if decides {
							pod := updater.PodState{Requests: env.request, Limits: env.limit, StartTime: env.podStart, Policy: cp}
							if env.hasTerm {
								oom := env.term
								pod.LastOOM = &oom
							}
							want = generalDecide(w.Samples[next].Time, pod, action, opts.Updater)
						}
						var info Info
						obs, _, _, info, err = env.Step(action)
						if err != nil {
							t.Fatal(err)
						}
						if !decides {
							continue
						}
						if info.Decision != want {
							t.Fatalf("sample %d: simulator %+v, general path %+v", next, info.Decision, want)
						}
						d := info.Decision
						switch {
						case mode == updater.ModeOff:
							seen["off"]++
						case d.Action == updater.None:
							seen[d.Reason]++
						default:
							seen[string(d.Action)]++
						}
						if strings.HasPrefix(d.Reason, "quick OOM") {
							seen["quick OOM"]++
						}
					}
				})
			}
		}
	}
	for _, k := range []string{updater.ReasonYoungPod, updater.ReasonSmallDiff, string(updater.InPlace), string(updater.Evict), string(updater.Rollout), "quick OOM", "off"} {
		if seen[k] == 0 {
			t.Errorf("no decision %q in the replay (%v): the test does not cover it", k, seen)
		}
	}
	t.Logf("decisions: %v", seen)
}
