package train

import (
	"context"
	"fmt"
	"math"
	"slices"
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
	res, err := runs(ctx, ws, newRec, o, o.Env.MinUpdateInterval)
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
	// CPU, at the update budget CPUBudget: for each size exponent and
	// size floor of the grid, each profile's weight of time above the
	// request is the smallest of the grid whose mean share above on the
	// training workloads is at most the profile's CPUShortfall (the largest
	// when none is), so a profile's stated share holds on a fleet like the
	// training one; the exponent and floor kept are those whose balanced
	// weights give the least CPU slack against vpa (CPUObjective); the
	// shares are read from runs under the balanced profile. Then the CPU
	// variants (cpuVariants) on top, each profile run under itself.
	// Weights 1 to 256 in steps of a factor sqrt(2).
	var weights []float64
	for k := 0; k <= 16; k++ {
		weights = append(weights, math.Round(100*math.Pow(2, float64(k)/2))/100)
	}
	exponents := []float64{0, 0.25, 0.5, 1}
	floors := []float64{0, 250} // millicores
	if o.Quick {
		weights, exponents = []float64{8, 16}, exponents[:2]
	}
	type sizing struct{ exponent, floor float64 }
	var sizings []sizing
	for _, e := range exponents {
		for _, f := range floors {
			if e == 0 && f > 0 {
				continue // no scaling: the floor changes nothing
			}
			sizings = append(sizings, sizing{e, f})
		}
	}
	base, err := runs(ctx, ws, byName("vpa"), o, CPUBudget)
	if err != nil {
		return nil, err
	}
	start := smart.DefaultOptions()
	bestJ := math.Inf(1)
	var startHeld map[string]bool // the profiles whose share the chosen weights hold
	for _, sz := range sizings {
		e := sz.exponent
		shares := make([]float64, len(weights))
		objs := make([]float64, len(weights))
		for i, w := range weights {
			opt := smart.DefaultOptions()
			opt.CPUWeightSizeExponent, opt.CPUWeightSizeFloor = e, sz.floor
			res, s, err := runAtWeight(ctx, ws, opt, w, o)
			if err != nil {
				return nil, err
			}
			shares[i], objs[i] = s.CPU.OverRequestShare, CPUObjective(res, base)
			progress(fmt.Sprintf("smart sweep: CPU size exponent %g floor %gm weight %g: mean share above the request %.2f %%, CPU slack %.4g core-h, objective %.4f", e, sz.floor, w, 100*s.CPU.OverRequestShare, s.CPU.AbsoluteSlackCoreHours, objs[i]))
		}
		chosen := map[string]float64{}
		held := map[string]bool{}
		j := math.Inf(1)
		for _, pr := range smart.Profiles {
			k := len(weights) - 1
			for i := range weights {
				if shares[i] <= pr.CPUShortfall {
					k, held[pr.Name] = i, true
					break
				}
			}
			chosen[pr.Name] = weights[k]
			if pr.Name == smart.DefaultProfile {
				j = objs[k]
			}
		}
		if j < bestJ {
			bestJ, startHeld = j, held
			start.CPUWeightSizeExponent, start.CPUWeightSizeFloor, start.OverrunWeights = e, sz.floor, chosen
		}
	}
	progress(fmt.Sprintf("smart sweep: CPU size exponent %g, floor %gm, weights %v", start.CPUWeightSizeExponent, start.CPUWeightSizeFloor, start.OverrunWeights))
	vars := cpuVariants
	if o.Quick {
		vars = vars[len(vars)-2:]
	}
	for _, v := range vars {
		opt, j, held, err := cpuVariantWeights(ctx, ws, start, v, weights, base, o, progress)
		if err != nil {
			return nil, err
		}
		lost := ""
		for _, pr := range smart.Profiles {
			if startHeld[pr.Name] && !held[pr.Name] {
				lost = pr.Name
			}
		}
		switch {
		case lost != "":
			progress(fmt.Sprintf("smart sweep: CPU %s dropped: no weight holds profile %s's share with it", v.name, lost))
		case j < bestJ:
			start, bestJ, startHeld = opt, j, held
			progress(fmt.Sprintf("smart sweep: CPU %s kept, weights %v", v.name, start.OverrunWeights))
		}
	}
	// Memory: coordinate descent over the memory plan's parameters (see
	// memoryAxes), each variant scored by MemoryObjective against vpa on
	// the training workloads at the update budgets of MemoryBudgets.
	opt, err := sweepMemory(ctx, ws, start, o, progress)
	if err != nil {
		return nil, err
	}
	// The cold start: the fleet's prior for a container's first day.
	opt.ColdStart = coldStart(ws, opt)
	if opt.ColdStart != nil {
		progress(fmt.Sprintf("smart: cold-start prior from %v h of history, CPU burstiness classes %v (coefficient of variation)", opt.ColdStart.Hours, opt.ColdStart.Classes))
	}
	return opt, nil
}

// cpuVariant is a change to smart's CPU planning that the sweep keeps when
// it lowers the balanced profile's CPUObjective, each profile's weight
// searched again with it, and no profile whose share the weights held
// loses it.
type cpuVariant struct {
	name string
	set  func(o *smart.Options)
}

// cpuVariants are the CPU variants the sweep tries, in order, each on the
// best options so far: the online calibration of the weight
// (smart.Options.CPUShareRate, at a rate that reaches its bound in about
// three days or one, lending risk down to a quarter or a sixteenth of the
// fleet's weight), planning in the shadow of the last 18 h of the warm-up
// (CPUShadowFrom), then the calibration at rate 3 counting a burst above
// once per plan (CPUShareBurst), down to an eighth or a quarter: a
// refinement, tried on everything else kept. Each calibrates up as well,
// to smart.DefaultOptions' CPUShareCeiling (stated, not swept: see there).
var cpuVariants = []cpuVariant{
	{"share calibration at rate 1 down to 1/16", func(o *smart.Options) { o.CPUShareRate, o.CPUShareRange = 1, 16 }},
	{"share calibration at rate 3 down to 1/4", func(o *smart.Options) { o.CPUShareRate, o.CPUShareRange = 3, 4 }},
	{"share calibration at rate 3 down to 1/16", func(o *smart.Options) { o.CPUShareRate, o.CPUShareRange = 3, 16 }},
	{"shadow plans from 6 h of warm-up", func(o *smart.Options) { o.CPUShadowFrom = 6 * time.Hour }},
	{"share calibration at rate 3 down to 1/8, a burst above counted once per plan", func(o *smart.Options) {
		o.CPUShareRate, o.CPUShareRange, o.CPUShareBurst = 3, 8, true
	}},
	{"share calibration at rate 3 down to 1/4, a burst above counted once per plan", func(o *smart.Options) {
		o.CPUShareRate, o.CPUShareRange, o.CPUShareBurst = 3, 4, true
	}},
}

// cpuVariantWeights returns start with variant v and each profile's weight
// searched again, the balanced profile's CPUObjective, and the profiles
// whose share the weights hold. A variant moves the fleet's share above
// (calibration lends risk, so it rises), so each profile's weight is the
// least of weights whose mean share above on ws is at most the profile's
// CPUShortfall (the largest when none is), searched from the weight start
// has, down while the share holds, else up. Unlike the grid (every
// profile's share read from runs under the balanced profile), each profile
// is run under itself: the calibration settles at the profile's own share.
func cpuVariantWeights(ctx context.Context, ws []sim.Workload, start smart.Options, v cpuVariant, weights []float64, base []sim.Result, o Options, progress func(string)) (smart.Options, float64, map[string]bool, error) {
	opt := start
	v.set(&opt)
	chosen := map[string]float64{}
	held := map[string]bool{}
	j := math.Inf(1)
	for _, pr := range smart.Profiles {
		type point struct{ share, obj float64 }
		run := func(i int) (point, error) {
			r := opt
			r.Profile = pr.Name
			res, s, err := runAtWeight(ctx, ws, r, weights[i], o)
			if err != nil {
				return point{}, err
			}
			pt := point{s.CPU.OverRequestShare, CPUObjective(res, base)}
			progress(fmt.Sprintf("smart sweep: CPU %s, profile %s, weight %g: mean share above the request %.2f %%, CPU slack %.4g core-h, objective %.4f", v.name, pr.Name, weights[i], 100*pt.share, s.CPU.AbsoluteSlackCoreHours, pt.obj))
			return pt, nil
		}
		i := max(0, slices.Index(weights, start.OverrunWeights[pr.Name]))
		pt, err := run(i)
		if err != nil {
			return smart.Options{}, 0, nil, err
		}
		if pt.share <= pr.CPUShortfall {
			// Down while the share holds.
			for i > 0 {
				next, err := run(i - 1)
				if err != nil {
					return smart.Options{}, 0, nil, err
				}
				if next.share > pr.CPUShortfall {
					break
				}
				i, pt = i-1, next
			}
		} else {
			for i < len(weights)-1 && pt.share > pr.CPUShortfall {
				if pt, err = run(i + 1); err != nil {
					return smart.Options{}, 0, nil, err
				}
				i++
			}
		}
		chosen[pr.Name], held[pr.Name] = weights[i], pt.share <= pr.CPUShortfall
		if pr.Name == smart.DefaultProfile {
			j = pt.obj
		}
	}
	opt.OverrunWeights = chosen
	return opt, j, held, nil
}

// runAtWeight backtests smart with options opt and weight w for every
// profile on ws at CPUBudget, and returns the results and their summary.
func runAtWeight(ctx context.Context, ws []sim.Workload, opt smart.Options, w float64, o Options) ([]sim.Result, sim.Summary, error) {
	opt.OverrunWeights = map[string]float64{}
	for _, pr := range smart.Profiles {
		opt.OverrunWeights[pr.Name] = w
	}
	res, err := runs(ctx, ws, func(cfg recommend.Config) (recommend.Recommender, error) { return smart.New(opt, cfg) }, o, CPUBudget)
	if err != nil {
		return nil, sim.Summary{}, err
	}
	return res, sim.Summarize([]string{"candidate"}, relabel(res))[0], nil
}

// CPUBudget is the update budget the CPU weights are trained at.
var CPUBudget = time.Hour

// CPUObjective scores CPU results t against vpa's b on the same workloads
// (lower is better) as the mean over families of the larger of the ratio of
// the CPU slack totals over 0.75 and the geometric mean of the per-workload
// ratios (slack + 0.001 core-h): the acceptance asks for both below 1.
func CPUObjective(t, b []sim.Result) float64 {
	return familyMean(t, b, 0.75, func(r *sim.Result) float64 { return r.CPU.AbsoluteSlackCoreHours }, nil)
}

// familyMean is the mean over the families of t (Result.Dataset) of the
// larger of the ratio of slack(t) to slack(b) totals over bar and the
// geometric mean of the per-workload ratios (slack + 0.001), plus
// risk(family totals of t, of b, workloads) when risk is not nil.
func familyMean(t, b []sim.Result, bar float64, slack func(*sim.Result) float64, risk func(t, b *familyTotals, n int) float64) float64 {
	base := map[string]*sim.Result{}
	for i := range b {
		base[b[i].Workload] = &b[i]
	}
	type fam struct {
		t, b         familyTotals
		sum, sumB, l float64
		n            int
	}
	fams := map[string]*fam{}
	var order []string
	for i := range t {
		r := &t[i]
		v, ok := base[r.Workload]
		if !ok || r.Samples == 0 || v.Samples == 0 {
			continue
		}
		f := fams[r.Dataset]
		if f == nil {
			f = &fam{}
			fams[r.Dataset] = f
			order = append(order, r.Dataset)
		}
		st, sb := slack(r), slack(v)
		f.sum += st
		f.sumB += sb
		f.l += math.Log((st + 0.001) / (sb + 0.001))
		f.t.add(r)
		f.b.add(v)
		f.n++
	}
	if len(order) == 0 {
		return 0
	}
	j := 0.0
	for _, name := range order {
		f := fams[name]
		// The bars hold both: the ratio of totals at most the bar and the
		// geometric mean below 1, so the worse of the two counts.
		j += math.Max(f.sum/math.Max(f.sumB, 1e-9)/bar, math.Exp(f.l/float64(f.n)))
		if risk != nil {
			j += risk(&f.t, &f.b, f.n)
		}
	}
	return j / float64(len(order))
}

// familyTotals are a family's OOM kills and restarts.
type familyTotals struct{ ooms, restarts int }

func (f *familyTotals) add(r *sim.Result) {
	f.ooms += r.Memory.OOMs
	f.restarts += r.Restarts
}

// runs backtests newRec on ws at update budget budget.
func runs(ctx context.Context, ws []sim.Workload, newRec func(cfg recommend.Config) (recommend.Recommender, error), o Options, budget time.Duration) ([]sim.Result, error) {
	workers := o.Workers
	if workers <= 0 {
		workers = 1
	}
	env := o.Env
	env.MinUpdateInterval = budget
	bo := sim.BacktestOptions{Options: env, Seed: o.Seed, Workers: workers, Config: recommend.Config{ModelFile: o.ModelFile, UpdateInterval: budget},
		NewRecommender: func(_ string, _ *sim.Workload, cfg recommend.Config) (recommend.Recommender, error) {
			return newRec(cfg)
		}}
	return sim.Backtest(ctx, ws, []string{"candidate"}, bo)
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
