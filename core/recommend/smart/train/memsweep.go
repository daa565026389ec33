package train

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/smart"
	"github.com/smartvpa/smartvpa/core/sim"
)

// MemoryBudgets are the update budgets (--min-update-interval) the memory
// sweep scores each variant at; its objective is the sum over them.
var MemoryBudgets = []time.Duration{time.Hour, 12 * time.Hour}

// memoryAxis is one parameter of smart's memory plan and the values the
// sweep tries for it.
type memoryAxis struct {
	name   string
	values []float64
	set    func(o *smart.Options, v float64)
	get    func(o smart.Options) float64
}

func hours(v float64) time.Duration { return time.Duration(v * float64(time.Hour)) }

// memoryAxes are the memory parameters the sweep tunes, in the order of the
// coordinate descent: the peak or a quantile of the hourly peaks, the
// hysteresis and least gap between decreases (each restarts the container),
// the least step of a decrease (a fraction of the target, or none), how
// soon an OOM kill's bump may fall back, the escalation of kills in quick
// succession and of a crash loop held at one request (warm-up), the same
// two at long horizons (smart.LongHorizon: only the 12 h budget's runs
// change), whether a streak is a geometric search (a constant factor) at
// every horizon or at long ones only, and
// whether a kill goes to the next plan's level. The price of an OOM kill the plans are chosen by is the
// profile's, stated (smart.Options.OOMCosts), not trained: trained on
// families whose vpa has few OOM kills it was 48 h, on others 3 h.
var memoryAxes = []memoryAxis{
	{"memoryQuantile", []float64{0, 0.95}, func(o *smart.Options, v float64) { o.MemoryQuantile = v }, func(o smart.Options) float64 { return o.MemoryQuantile }},
	{"memoryHysteresis", []float64{0.5, 1}, func(o *smart.Options, v float64) { o.MemoryHysteresis = v }, func(o smart.Options) float64 { return o.MemoryHysteresis }},
	{"memoryDecreaseGap (h)", []float64{48, 72, 96}, func(o *smart.Options, v float64) { o.MemoryDecreaseGap = hours(v) }, func(o smart.Options) float64 { return o.MemoryDecreaseGap.Hours() }},
	{"memoryDecreaseStep", []float64{0.5, 0, 0.35}, func(o *smart.Options, v float64) { o.MemoryDecreaseStep = v }, func(o smart.Options) float64 { return o.MemoryDecreaseStep }},
	{"oomTrimHold (h)", []float64{2, 6}, func(o *smart.Options, v float64) { o.OOMTrimHold = hours(v) }, func(o smart.Options) float64 { return o.OOMTrimHold.Hours() }},
	{"oomStreakFactor", []float64{1.5, 2, 3}, func(o *smart.Options, v float64) { o.OOMStreakFactor = v }, func(o smart.Options) float64 { return o.OOMStreakFactor }},
	{"oomLoopStreak", []float64{2, 3}, func(o *smart.Options, v float64) { o.OOMLoopStreak = int(v) }, func(o smart.Options) float64 { return float64(o.OOMLoopStreak) }},
	// The long-horizon values read as the ones in force (0: the short one),
	// so a variant that sets the short value again is not scored twice.
	{"oomStreakFactorLong", []float64{1.5, 2, 3}, func(o *smart.Options, v float64) { o.OOMStreakFactorLong = v }, func(o smart.Options) float64 {
		if o.OOMStreakFactorLong != 0 {
			return o.OOMStreakFactorLong
		}
		return o.OOMStreakFactor
	}},
	{"oomLoopStreakLong", []float64{2, 3}, func(o *smart.Options, v float64) { o.OOMLoopStreakLong = int(v) }, func(o smart.Options) float64 {
		if o.OOMLoopStreakLong != 0 {
			return float64(o.OOMLoopStreakLong)
		}
		return float64(o.OOMLoopStreak)
	}},
	{"oomStreakConstant", []float64{0, 1}, func(o *smart.Options, v float64) { o.OOMStreakConstant = v != 0 }, func(o smart.Options) float64 {
		if o.OOMStreakConstant {
			return 1
		}
		return 0
	}},
	{"oomStreakConstantLong", []float64{0, 1}, func(o *smart.Options, v float64) { o.OOMStreakConstantLong = v != 0 }, func(o smart.Options) float64 {
		if o.OOMStreakConstant || o.OOMStreakConstantLong {
			return 1
		}
		return 0
	}},
	{"oomToPlan", []float64{1, 0}, func(o *smart.Options, v float64) { o.OOMToPlan = v != 0 }, func(o smart.Options) float64 {
		if o.OOMToPlan {
			return 1
		}
		return 0
	}},
}

// longAxes are the memory axes that only act at horizons of
// smart.LongHorizon or more: a variant that differs from a scored one only
// in them reuses its score at shorter budgets.
var longAxes = map[string]bool{"oomStreakFactorLong": true, "oomLoopStreakLong": true, "oomStreakConstantLong": true}

// sweepMemory tunes start's memory parameters by coordinate descent (two
// passes over memoryAxes; one with Quick, on the first two values of each
// axis) and returns the best options found.
func sweepMemory(ctx context.Context, ws []sim.Workload, start smart.Options, o Options, progress func(string)) (smart.Options, error) {
	bases := make([][]sim.Result, len(MemoryBudgets))
	for i, b := range MemoryBudgets {
		res, err := runs(ctx, ws, byName("vpa"), o, b)
		if err != nil {
			return smart.Options{}, err
		}
		bases[i] = res
	}
	// budgetKey names what acts at budget b: every axis, but the long
	// ones below smart.LongHorizon.
	budgetKey := func(opt smart.Options, b time.Duration) string {
		k := ""
		for _, a := range memoryAxes {
			if longAxes[a.name] && b < smart.LongHorizon {
				continue
			}
			k += fmt.Sprintf("%g,", a.get(opt))
		}
		return k
	}
	scored := make([]map[string]float64, len(MemoryBudgets))
	for i := range scored {
		scored[i] = map[string]float64{}
	}
	score := func(opt smart.Options) (float64, error) {
		j := 0.0
		for i, b := range MemoryBudgets {
			k := budgetKey(opt, b)
			v, ok := scored[i][k]
			if !ok {
				res, err := runs(ctx, ws, func(cfg recommend.Config) (recommend.Recommender, error) { return smart.New(opt, cfg) }, o, b)
				if err != nil {
					return 0, err
				}
				v = MemoryObjective(res, bases[i], b)
				scored[i][k] = v
			}
			j += v
		}
		return j, nil
	}
	key := func(opt smart.Options) string { return budgetKey(opt, smart.LongHorizon) }
	best := start
	bestJ, err := score(best)
	if err != nil {
		return smart.Options{}, err
	}
	seen := map[string]bool{key(best): true}
	passes := 2
	if o.Quick {
		passes = 1
	}
	n := 1
	for pass := 1; pass <= passes; pass++ {
		for _, a := range memoryAxes {
			values := a.values
			if o.Quick {
				values = values[:2]
			}
			for _, v := range values {
				opt := best
				a.set(&opt, v)
				k := key(opt)
				if seen[k] {
					continue
				}
				seen[k] = true
				j, err := score(opt)
				if err != nil {
					return smart.Options{}, err
				}
				n++
				progress(fmt.Sprintf("smart memory sweep pass %d, %s %g: objective %.4f (best so far %.4f)", pass, a.name, v, j, bestJ))
				if j < bestJ {
					best, bestJ = opt, j
				}
			}
		}
	}
	progress(fmt.Sprintf("smart memory sweep: %d variants, best objective %.4f", n, bestJ))
	return best, nil
}

// MemoryObjective scores a memory plan's results t against vpa's b on the
// same workloads at update budget budget (lower is better) as the mean over
// the workloads' families (Result.Dataset), so that each family counts
// alike, as in the acceptance comparison. Per family: the larger of the
// ratio of the memory slack totals over the budget's bar (memoryBarsAt) and
// the geometric mean of the per-workload ratios (slack + 0.001 GiB-h), plus
// ln(OOM kills / bound) above the bound (the bar's share of vpa's, less a
// margin of 0.05) + 0.1 per workload, and ln(restarts / bound) above 1.15 x
// vpa's + 0.1 per workload: a margin under the bars of OOM kills and of
// 1.25 x vpa's restarts, smoothed where vpa has few.
func MemoryObjective(t, b []sim.Result, budget time.Duration) float64 {
	bars := memoryBarsAt(budget)
	return familyMean(t, b, bars.slack, func(r *sim.Result) float64 { return r.Memory.AbsoluteSlackGiBHours }, func(t, b *familyTotals, n int) float64 {
		oomBound := (bars.ooms-0.05)*float64(b.ooms) + 0.1*float64(n)
		rstBound := 1.15*float64(b.restarts) + 0.1*float64(n)
		return math.Max(0, math.Log(float64(t.ooms)/oomBound)) + math.Max(0, math.Log(float64(t.restarts)/rstBound))
	})
}

// memoryBars are the acceptance's bars on memory against vpa at an update
// budget: the memory slack total and the OOM kills, as shares of vpa's.
type memoryBars struct{ slack, ooms float64 }

// memoryBarsAt returns the bars at budget: 0.75 and 0.5 up to an hour, 0.8
// and 0.7 at 12 h and more (between the two, the 12 h ones from
// smart.LongHorizon on, where smart's escalation of long horizons applies).
func memoryBarsAt(budget time.Duration) memoryBars {
	if budget >= smart.LongHorizon {
		return memoryBars{slack: 0.8, ooms: 0.7}
	}
	return memoryBars{slack: 0.75, ooms: 0.5}
}
