package train

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/autopilot"
	"github.com/smartvpa/smartvpa/core/recommend/bandit"
	"github.com/smartvpa/smartvpa/core/recommend/lstm"
	"github.com/smartvpa/smartvpa/core/recommend/smart"
	"github.com/smartvpa/smartvpa/core/sim"
)

// Totals are the figures of a recommender over a set of workloads, as the
// backtest summary gives them.
type Totals struct {
	CPUSlackCoreHours   float64 `json:"cpuSlackCoreHours"`
	CPURelativeSlack    float64 `json:"cpuRelativeSlack"`
	CPUOverRequestShare float64 `json:"cpuOverRequestShare"`
	MemorySlackGiBHours float64 `json:"memorySlackGiBHours"`
	MemoryRelativeSlack float64 `json:"memoryRelativeSlack"`
	OOMs                int     `json:"ooms"`
	Restarts            int     `json:"restarts"`
	// Updates and UpdatesPerContainerDay count the updates; UpdateCost is
	// the simulator's cost of one in-place update (Weights.Update), which
	// Objective charges per update per container-hour.
	Updates                int     `json:"updates"`
	UpdatesPerContainerDay float64 `json:"updatesPerContainerDay"`
	UpdateCost             float64 `json:"-"`
}

// evaluate runs newRec on every workload and sums the results.
func evaluate(ctx context.Context, ws []sim.Workload, newRec func(cfg recommend.Config) (recommend.Recommender, error), o Options) (Totals, error) {
	workers := o.Workers
	if workers <= 0 {
		workers = 1
	}
	bo := sim.BacktestOptions{Options: o.Env, Seed: o.Seed, Workers: workers, Config: recommend.Config{ModelFile: o.ModelFile, UpdateInterval: o.Env.MinUpdateInterval},
		NewRecommender: func(_ string, _ *sim.Workload, cfg recommend.Config) (recommend.Recommender, error) {
			return newRec(cfg)
		}}
	res, err := sim.Backtest(ctx, ws, []string{"candidate"}, bo)
	if err != nil {
		return Totals{}, err
	}
	s := sim.Summarize([]string{"candidate"}, relabel(res))[0]
	return Totals{
		CPUSlackCoreHours:   s.CPU.AbsoluteSlackCoreHours,
		CPURelativeSlack:    s.CPU.RelativeSlack,
		CPUOverRequestShare: s.CPU.OverRequestShare,
		MemorySlackGiBHours: s.Memory.AbsoluteSlackGiBHours,
		MemoryRelativeSlack: s.Memory.RelativeSlack,
		OOMs:                s.Memory.OOMs,
		Restarts:            s.Restarts,

		Updates:                s.Updates,
		UpdatesPerContainerDay: s.UpdatesPerContainerDay,
		UpdateCost:             o.Env.Weights.Update,
	}, nil
}

// relabel names every result "candidate" (results carry the recommender's own
// name, which Summarize groups by).
func relabel(res []sim.Result) []sim.Result {
	for i := range res {
		res[i].Recommender = "candidate"
	}
	return res
}

func byName(name string) func(cfg recommend.Config) (recommend.Recommender, error) {
	return func(cfg recommend.Config) (recommend.Recommender, error) { return recommend.New(name, cfg) }
}

// Objective scores t against the vpa baseline b (lower is better): CPU and
// memory slack relative to vpa's, plus 4 x the CPU over-request share above
// vpa's (relative), 2 x the OOM kills relative to vpa's, the restarts
// above 1.2 x vpa's (relative), and the update cost: UpdateCost x the updates
// per container-hour (at cost 1, one update an hour weighs as much as the
// whole CPU slack ratio).
func Objective(t, b Totals) float64 {
	j := t.CPUSlackCoreHours/math.Max(b.CPUSlackCoreHours, 1e-9) + t.MemorySlackGiBHours/math.Max(b.MemorySlackGiBHours, 1e-9)
	j += 4 * math.Max(0, t.CPUOverRequestShare-b.CPUOverRequestShare) / math.Max(b.CPUOverRequestShare, 1e-3)
	j += 2 * float64(t.OOMs) / math.Max(float64(b.OOMs), 1)
	j += math.Max(0, float64(t.Restarts)-1.2*float64(b.Restarts)) / math.Max(float64(b.Restarts), 1)
	j += t.UpdateCost * t.UpdatesPerContainerDay / 24
	return j
}

func sweepAutopilot(ctx context.Context, ws []sim.Workload, o Options, progress func(string)) (any, error) {
	base, err := evaluate(ctx, ws, byName("vpa"), o)
	if err != nil {
		return nil, err
	}
	cpuW := []float64{5, 20, 80}
	memW := []float64{30, 100, 300}
	if o.Quick {
		cpuW, memW = cpuW[:2], memW[:1]
	}
	best, bestJ := autopilot.DefaultMLOptions(), math.Inf(1)
	n, total := 0, len(cpuW)*len(memW)
	for _, cw := range cpuW {
		for _, mw := range memW {
			opt := autopilot.DefaultMLOptions()
			opt.CPU.WOverrun, opt.Memory.WOverrun = cw, mw
			t, err := evaluate(ctx, ws, func(cfg recommend.Config) (recommend.Recommender, error) { return autopilot.NewML(opt, cfg), nil }, o)
			if err != nil {
				return nil, err
			}
			n++
			j := Objective(t, base)
			progress(fmt.Sprintf("autopilot sweep %d/%d wOverrun cpu %g memory %g: objective %.4f", n, total, cw, mw, j))
			if j < bestJ {
				best, bestJ = opt, j
			}
		}
	}
	return best, nil
}

func sweepSmart(ctx context.Context, ws []sim.Workload, o Options, progress func(string)) (any, error) {
	base, err := evaluate(ctx, ws, byName("vpa"), o)
	if err != nil {
		return nil, err
	}
	// CPU: each profile's weight of time above the request is the
	// smallest of the grid whose mean share above on the training workloads
	// is at most the profile's CPUShortfall (the largest when none is), so
	// a profile's stated share holds on a fleet like the training one.
	weights := []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}
	if o.Quick {
		weights = weights[3:5]
	}
	shares := make([]float64, len(weights))
	for i, w := range weights {
		opt := smart.DefaultOptions()
		opt.OverrunWeights = map[string]float64{}
		for _, pr := range smart.Profiles {
			opt.OverrunWeights[pr.Name] = w
		}
		t, err := evaluate(ctx, ws, func(cfg recommend.Config) (recommend.Recommender, error) { return smart.New(opt, cfg) }, o)
		if err != nil {
			return nil, err
		}
		shares[i] = t.CPUOverRequestShare
		progress(fmt.Sprintf("smart sweep: CPU weight %g: mean share above the request %.2f %%, CPU slack %.4g core-h", w, 100*t.CPUOverRequestShare, t.CPUSlackCoreHours))
	}
	chosen := map[string]float64{}
	for _, pr := range smart.Profiles {
		chosen[pr.Name] = weights[len(weights)-1]
		for i, w := range weights {
			if shares[i] <= pr.CPUShortfall {
				chosen[pr.Name] = w
				break
			}
		}
	}
	// Memory: the window of hourly peaks the plan covers, the peak or a
	// high quantile of them, the hysteresis of decreases (each restarts
	// the container) and how much a surprising OOM kill raises the margin.
	type variant struct {
		window     time.Duration
		quantile   float64
		hysteresis float64
		marginStep float64
	}
	var grid []variant
	for _, w := range []time.Duration{48 * time.Hour, 72 * time.Hour} {
		for _, q := range []float64{0, 0.95} {
			for _, h := range []float64{0.25, 1} {
				for _, m := range []float64{0, 0.3} {
					grid = append(grid, variant{w, q, h, m})
				}
			}
		}
	}
	if o.Quick {
		grid = grid[:2]
	}
	// The best variant that keeps vpa's risk on the training workloads (CPU
	// over-request share no higher, at most half the OOM kills, at most 1.4 x
	// the restarts) by the objective; when none does, the best of all.
	best, bestJ, bestFeasible := smart.DefaultOptions(), math.Inf(1), false
	best.OverrunWeights = chosen
	for i, v := range grid {
		opt := smart.DefaultOptions()
		opt.OverrunWeights = chosen
		opt.MemoryWindow, opt.MemoryQuantile, opt.MemoryHysteresis, opt.OOMMarginStep = v.window, v.quantile, v.hysteresis, v.marginStep
		t, err := evaluate(ctx, ws, func(cfg recommend.Config) (recommend.Recommender, error) { return smart.New(opt, cfg) }, o)
		if err != nil {
			return nil, err
		}
		j := Objective(t, base)
		feasible := Feasible(t, base)
		progress(fmt.Sprintf("smart sweep %d/%d memoryWindow %s memoryQuantile %g memoryHysteresis %g oomMarginStep %g: objective %.4f, keeps vpa's risk %t", i+1, len(grid), v.window, v.quantile, v.hysteresis, v.marginStep, j, feasible))
		if (feasible && !bestFeasible) || (feasible == bestFeasible && j < bestJ) {
			best, bestJ, bestFeasible = opt, j, feasible
		}
	}
	return best, nil
}

// Feasible reports whether t keeps the risk of the vpa baseline b with a
// margin, so that what holds on the training workloads still holds on others:
// a CPU over-request share at most 0.9 x vpa's, at most half its OOM kills
// (none when it has none) and at most 1.4 x its restarts.
func Feasible(t, b Totals) bool {
	return t.CPUOverRequestShare <= 0.9*b.CPUOverRequestShare && 2*t.OOMs <= b.OOMs && 5*t.Restarts <= 7*b.Restarts
}

// fromParams builds the recommender of trained parameters.
func fromParams(params any) func(cfg recommend.Config) (recommend.Recommender, error) {
	return func(cfg recommend.Config) (recommend.Recommender, error) {
		switch p := params.(type) {
		case *lstm.Params:
			return lstm.New(p, cfg), nil
		case *bandit.Params:
			return bandit.New(p, cfg), nil
		case autopilot.MLOptions:
			return autopilot.NewML(p, cfg), nil
		case smart.Options:
			return smart.New(p, cfg)
		}
		return nil, fmt.Errorf("no recommender for parameters of type %T", params)
	}
}

// validate scores the trained model and vpa on the validation workloads.
func validate(ctx context.Context, name string, params any, ws []sim.Workload, o Options) (map[string]any, error) {
	mine, err := evaluate(ctx, ws, fromParams(params), o)
	if err != nil {
		return nil, err
	}
	base, err := evaluate(ctx, ws, byName("vpa"), o)
	if err != nil {
		return nil, err
	}
	return map[string]any{"validation": map[string]Totals{name: mine, "vpa": base}}, nil
}
