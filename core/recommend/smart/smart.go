// Package smart is smartvpa's default recommender: per container, an ensemble
// over the other recommenders (vpa, autopilot, forecast, lstm, rl, ...) that
// runs them all in the shadow on the same samples and, per resource, follows
// the one whose recommendations have had the least decayed cost on this
// container so far, with a penalty for switching (as Autopilot's ML
// recommender chooses among its models).
//
// Cost per sample, for a candidate's request r and the observed usage u,
// both divided by the container's decayed mean usage so that the cost does
// not depend on the container's size:
//
//	CPU:    max(0, r-u) + WOverCPU * [u > r]
//	memory: max(0, r-u) + WOOM * [u > r]
//
// decayed with a half-life of CostHalfLife. The recommendation a candidate
// gave before a sample is the one scored on it, as the simulator applies it.
//
// On top of the chosen candidate, smart shapes how the answer is applied:
//
//   - CPU: lower and upper are within CPUBand of the target, so the updater
//     re-sizes CPU (in place, no restart) whenever the chosen forecast moves:
//     requests track daily cycles hour by hour.
//   - memory: increases are passed on at once (in place), decreases restart
//     the container in the default update mode, so the memory target only
//     goes down when the chosen candidate is more than MemoryHysteresis below
//     it and the last decrease is at least MemoryDecreaseGap ago. Between
//     decreases the memory target is held exactly, so a CPU re-size never
//     carries a memory decrease with it.
//
// Warm-up gate: until MinHistory of samples has been seen, smart answers with
// vpa's recommendation and says so in Explain.
//
// The candidates smart follows for CPU only (all registered ones with
// MemoryPeaksOnly, and forecast-level) are created with
// recommend.Config.CPUOnly, so they keep no memory side: smart reads none of
// their memory values. vpa is the exception, since its whole recommendation
// is smart's answer while warming up.
package smart

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	_ "github.com/smartvpa/smartvpa/core/recommend/autopilot" // candidates
	"github.com/smartvpa/smartvpa/core/recommend/forecast"
	_ "github.com/smartvpa/smartvpa/core/recommend/lstm"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
	_ "github.com/smartvpa/smartvpa/core/recommend/vpa"
)

// Name is the registry name.
const Name = "smart"

// WarmupRecommender is the recommender used until MinHistory.
const WarmupRecommender = "vpa"

// Options configure smart; they are what its model file holds.
type Options struct {
	// Candidates are the recommenders of the ensemble, by registry name.
	// Names that are not registered are skipped.
	Candidates []string `json:"candidates"`
	// MinHistory is the history needed before smart leaves vpa.
	MinHistory time.Duration `json:"minHistory"`
	// CostHalfLife is the half-life of the decayed memory cost and
	// CPUCostHalfLife that of the CPU cost.
	CostHalfLife    time.Duration `json:"costHalfLife"`
	CPUCostHalfLife time.Duration `json:"cpuCostHalfLife"`
	// WOverCPU weighs a sample with CPU usage above the request; WOOM a
	// sample with memory usage above the request.
	WOverCPU float64 `json:"wOverCPU"`
	WOOM     float64 `json:"wOOM"`
	// WSwitch is the switching penalty, in units of decayed cost per sample.
	WSwitch float64 `json:"wSwitch"`
	// CPUMargin scales the chosen CPU target; CPUBand sets lower and upper
	// to target / (1 + band) and target * (1 + band).
	CPUMargin float64 `json:"cpuMargin"`
	CPUBand   float64 `json:"cpuBand"`
	// CPUOverTarget, when positive, steers the share of samples with CPU usage
	// above the target towards it; when negative, towards the share vpa's
	// target has on this container (measured in the shadow, decayed like the
	// CPU cost, within [0.005, 0.05]): smart then takes the risk vpa takes and
	// spends it on less slack. the chosen CPU target is scaled by a factor
	// that grows by CPUAdaptRate x (1 - CPUOverTarget) in log space after a
	// sample above the target and shrinks by CPUAdaptRate x CPUOverTarget
	// after one below (online quantile tracking), within [1/4, 4].
	CPUOverTarget float64 `json:"cpuOverTarget"`
	CPUAdaptRate  float64 `json:"cpuAdaptRate"`
	// CPURiskScale multiplies vpa's measured share when CPUOverTarget is
	// negative (0 or 1: take vpa's share as it is). vpa's share is measured
	// on its target, while the share that counts is over the request the
	// updater applies, which lags the target; the sweep in train chooses the
	// scale that keeps smart's applied share at or below vpa's on the
	// training workloads.
	CPURiskScale float64 `json:"cpuRiskScale,omitempty"`
	// CPULevel adds the built-in CPU candidate "forecast-level": the forecast
	// of the hourly mean CPU, which the risk scaling turns into a quantile.
	CPULevel bool `json:"cpuLevel"`
	// MemoryMargin scales the chosen memory target.
	MemoryMargin float64 `json:"memoryMargin"`
	// MemoryHysteresis and MemoryDecreaseGap gate memory decreases.
	MemoryHysteresis  float64       `json:"memoryHysteresis"`
	MemoryDecreaseGap time.Duration `json:"memoryDecreaseGap"`
	// MemoryCandidates, when not empty, are the only registered candidates
	// that may be chosen for memory (the built-in peak candidates always
	// may); the others serve CPU only.
	MemoryCandidates []string `json:"memoryCandidates,omitempty"`
	// MemoryPeaksOnly leaves memory to the built-in peak candidates alone
	// (registered candidates then serve CPU only).
	MemoryPeaksOnly bool `json:"memoryPeaksOnly"`
	// OOMBumpHold is how long the memory target stays at least the bump
	// after an OOM kill.
	OOMBumpHold time.Duration `json:"oomBumpHold"`
	// MemoryPeaks are built-in memory-only candidates.
	MemoryPeaks []PeakSpec `json:"memoryPeaks"`
}

// DefaultOptions are smart's built-in defaults (the default model file, when
// registered, takes precedence).
func DefaultOptions() Options {
	return Options{
		Candidates:        []string{"vpa", "forecast", "autopilot", "autopilot-window", "lstm", "rl"},
		MinHistory:        24 * time.Hour,
		CostHalfLife:      14 * 24 * time.Hour,
		CPUCostHalfLife:   72 * time.Hour,
		WOverCPU:          1,
		WOOM:              2000,
		WSwitch:           0.05,
		CPUMargin:         0,
		CPUBand:           0.05,
		CPUOverTarget:     -1,
		CPUAdaptRate:      0.05,
		CPULevel:          true,
		MemoryMargin:      0,
		MemoryHysteresis:  0.2,
		MemoryDecreaseGap: 24 * time.Hour,
		OOMBumpHold:       time.Hour,
		MemoryPeaksOnly:   true,
		MemoryPeaks: []PeakSpec{
			{Window: 24 * time.Hour, Margin: 0.02}, {Window: 72 * time.Hour, Margin: 0.04},
			{Window: 48 * time.Hour, Margin: 0.08}, {Window: 7 * 24 * time.Hour, Margin: 0.15},
		},
	}
}

// LoadOptions returns the options of the model file at path, of the default
// model when path is empty and one is registered, else DefaultOptions.
func LoadOptions(path string) (Options, error) {
	f, err := modelfile.Resolve(path, Name)
	if err != nil || f == nil {
		return DefaultOptions(), err
	}
	var o Options
	if err := f.DecodeParams(&o); err != nil {
		return Options{}, err
	}
	c := f.Check()
	o.Check(c)
	if err := c.Err(); err != nil {
		return Options{}, err
	}
	return o, nil
}

// KnownCandidates are the recommenders of the project smart can follow, by
// registry name. A candidate of a model file must be one of them (a typo is
// refused); one that is known but not linked into the program is skipped.
var KnownCandidates = []string{"vpa", "forecast", "holt-winters", "ar", "autopilot", "autopilot-window", "lstm", "rl"}

// Check range-checks o (the fields of a model file's "params").
func (o Options) Check(c *modelfile.Checker) {
	known := func(field string, names []string) {
		for i, n := range names {
			if !slices.Contains(KnownCandidates, n) {
				c.Fail(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("is %q, not a recommender smart can follow (%s)", n, strings.Join(KnownCandidates, ", ")))
			}
		}
	}
	c.Len("candidates", len(o.Candidates), 0, len(KnownCandidates))
	known("candidates", o.Candidates)
	known("memoryCandidates", o.MemoryCandidates)
	const year = 365 * 24 * time.Hour
	c.Duration("minHistory", o.MinHistory, 0, year)
	c.Duration("costHalfLife", o.CostHalfLife, time.Minute, 10*year)
	c.Duration("cpuCostHalfLife", o.CPUCostHalfLife, time.Minute, 10*year)
	c.Float("wOverCPU", o.WOverCPU, 0, 1e6)
	c.Float("wOOM", o.WOOM, 0, 1e6)
	c.Float("wSwitch", o.WSwitch, 0, 1e6)
	c.Float("cpuMargin", o.CPUMargin, 0, 10)
	c.Float("cpuBand", o.CPUBand, 0, 10)
	c.Float("cpuOverTarget", o.CPUOverTarget, -1, 0.99)
	c.Float("cpuAdaptRate", o.CPUAdaptRate, 0, 1)
	c.Float("cpuRiskScale", o.CPURiskScale, 0, 100)
	c.Float("memoryMargin", o.MemoryMargin, 0, 10)
	c.Float("memoryHysteresis", o.MemoryHysteresis, 0, 10)
	c.Duration("memoryDecreaseGap", o.MemoryDecreaseGap, 0, year)
	c.Duration("oomBumpHold", o.OOMBumpHold, 0, year)
	c.Len("memoryPeaks", len(o.MemoryPeaks), 0, 64)
	if o.MemoryPeaksOnly && len(o.MemoryPeaks) == 0 {
		c.Fail("memoryPeaks", "is empty, but memoryPeaksOnly needs at least one")
	}
	for i, p := range o.MemoryPeaks {
		c.Duration(fmt.Sprintf("memoryPeaks[%d].window", i), p.Window, time.Minute, year)
		c.Float(fmt.Sprintf("memoryPeaks[%d].margin", i), p.Margin, 0, 10)
	}
}

func init() {
	recommend.Register(Name, func(cfg recommend.Config) (recommend.Recommender, error) {
		o, err := LoadOptions(cfg.ModelFile)
		if err != nil {
			return nil, err
		}
		return New(o, cfg)
	})
}

type candidate struct {
	name    string
	memOnly bool
	cpuOnly bool
	logK    float64 // log of the candidate's CPU risk factor
	r       recommend.Recommender
	rec     model.Recommendation
	ok      bool
	cost    [2]float64
	n       int
}

// Recommender is the smart ensemble for one container.
type Recommender struct {
	opt   Options
	cfg   recommend.Config
	cands []*candidate
	warm  *candidate // vpa, when registered
	// peaks is the hourly memory peak series the peak candidates in
	// sharing read (see peakSeries); fed and trimmed here, once per sample.
	peaks   peakSeries
	sharing []*peakCandidate

	first, last time.Time
	samples     int
	scale       [2]float64 // decayed mean usage per resource
	chosen      [2]int
	memTarget   float64
	lastDecr    time.Time
	decreases   int
	vpaOver     float64 // decayed share of samples above vpa's CPU target
	oomBump     float64
	oomAt       time.Time
	oomStreak   int
}

// New creates a smart recommender. Candidates are created with cfg but no
// model file (each uses its default model), unless cfg.ModelFile is a folder
// of model files: then each candidate takes its own from it.
func New(o Options, cfg recommend.Config) (*Recommender, error) {
	if o.MemoryPeaksOnly && len(o.MemoryPeaks) == 0 {
		return nil, fmt.Errorf("smart: memoryPeaksOnly needs at least one memory peak candidate")
	}
	r := &Recommender{opt: o, cfg: cfg, chosen: [2]int{-1, -1}}
	ccfg := cfg
	if !modelfile.IsDir(cfg.ModelFile) {
		// A file is smart's own model; a folder holds the candidates' too.
		ccfg.ModelFile = ""
	}
	// Candidates see the whole container: caps are applied by smart at the end.
	ccfg.Policy = model.ContainerPolicy{}
	registered := map[string]bool{}
	for _, n := range recommend.Names() {
		registered[n] = true
	}
	for _, name := range o.Candidates {
		if name == Name || !registered[name] {
			continue
		}
		cd := &candidate{name: name}
		if len(o.MemoryCandidates) > 0 || o.MemoryPeaksOnly {
			cd.cpuOnly = true
			for _, m := range o.MemoryCandidates {
				if m == name && !o.MemoryPeaksOnly {
					cd.cpuOnly = false
				}
			}
		}
		// A candidate that serves CPU only is told so (it may then keep
		// no memory side): smart reads no memory value of it (not in cost,
		// choose, updateMemory, Recommend or Explain), except of the
		// warm-up recommender, whose whole recommendation smart gives
		// while warming up.
		cc := ccfg
		cc.CPUOnly = cd.cpuOnly && name != WarmupRecommender
		c, err := recommend.New(name, cc)
		if err != nil {
			return nil, fmt.Errorf("smart: candidate %s: %w", name, err)
		}
		cd.r = c
		r.cands = append(r.cands, cd)
		if name == WarmupRecommender {
			r.warm = cd
		}
	}
	if o.CPULevel {
		fo := forecast.DefaultOptions(forecast.MethodAuto)
		fo.Mean, fo.FollowCurrent = true, false
		fo.CPU.TargetQuantile, fo.CPU.Margin = 0.5, 0
		lcfg := ccfg
		lcfg.CPUOnly = true
		r.cands = append(r.cands, &candidate{name: "forecast-level", cpuOnly: true, r: forecast.New("forecast-level", fo, lcfg)})
	}
	for _, p := range o.MemoryPeaks {
		pc := newPeakCandidate(p, &r.peaks)
		if !pc.own {
			r.sharing = append(r.sharing, pc)
		}
		r.cands = append(r.cands, &candidate{name: p.name(), memOnly: true, r: pc})
	}
	if len(r.cands) == 0 {
		return nil, fmt.Errorf("smart: none of the candidates %s is registered: import the recommender packages", strings.Join(o.Candidates, ", "))
	}
	return r, nil
}

// Name implements recommend.Recommender.
func (r *Recommender) Name() string { return Name }

// AddSample implements recommend.Recommender.
func (r *Recommender) AddSample(s model.Sample) {
	r.add(s, func(c recommend.Recommender) { c.AddSample(s) })
}

// AddReplicaSample implements recommend.ReplicaRecommender: the candidates
// that keep per-replica state (vpa: one memory peak per pod) get the pod's
// slot, the others the plain sample.
func (r *Recommender) AddReplicaSample(slot int, start bool, s model.Sample) {
	r.add(s, func(c recommend.Recommender) { recommend.AddReplicaSample(c, slot, start, s) })
}

// AddReplicaOOM implements recommend.ReplicaRecommender (see AddReplicaSample).
func (r *Recommender) AddReplicaOOM(slot int, start bool, e model.OOMEvent) {
	r.oom(e, func(c recommend.Recommender) { recommend.AddReplicaOOM(c, slot, start, e) })
}

// add takes sample s; feed gives it to one candidate.
func (r *Recommender) add(s model.Sample, feed func(recommend.Recommender)) {
	if r.samples == 0 {
		r.first = s.Time
	}
	dt := 0.0
	if r.samples > 0 {
		dt = s.Time.Sub(r.last).Seconds()
	}
	r.samples++
	r.last = s.Time
	u := [2]float64{s.CPUMillicores, s.MemoryBytes}
	d, dc := 1.0, 1.0
	if dt > 0 {
		d = 1 - math.Exp2(-dt/r.opt.CostHalfLife.Seconds())
		dc = 1 - math.Exp2(-dt/r.opt.CPUCostHalfLife.Seconds())
	}
	if r.warm != nil && r.warm.ok {
		over := 0.0
		if u[0] > r.warm.rec.Target.CPUMillicores {
			over = 1
		}
		r.vpaOver += dc * (over - r.vpaOver)
	}
	for i := range u {
		if r.samples == 1 {
			r.scale[i] = u[i]
		} else {
			r.scale[i] += d * (u[i] - r.scale[i])
		}
	}
	alpha := r.overTarget()
	// The shared peak series takes the sample before the peak candidates
	// read it (nothing else reads it); trimPeaks drops after them the hours
	// they have all left.
	if len(r.sharing) > 0 {
		r.peaks.add(s.Time, s.MemoryBytes)
	}
	// Score each candidate's previous answer on this sample, then feed it.
	for _, c := range r.cands {
		if c.ok {
			for i, res := range model.AllResources {
				if (i == 0 && c.memOnly) || (i == 1 && c.cpuOnly) {
					continue
				}
				req := c.rec.Target.Get(res)
				if i == 0 {
					req *= math.Exp(c.logK)
					// Each candidate's CPU target is scaled to the same risk
					// (online quantile tracking), so costs compare slack at
					// equal risk.
					if alpha > 0 && req > 0 {
						if u[0] > req {
							c.logK += r.opt.CPUAdaptRate * (1 - alpha)
						} else {
							c.logK -= r.opt.CPUAdaptRate * alpha
						}
						c.logK = math.Max(-3, math.Min(3, c.logK))
					}
				}
				cost := r.cost(i, req, u[i])
				dd := d
				if i == 0 {
					dd = dc
				}
				if c.n == 0 {
					c.cost[i] = cost
				} else {
					c.cost[i] += dd * (cost - c.cost[i])
				}
			}
			c.n++
		}
		feed(c.r)
		c.rec, c.ok = c.r.Recommend(s.Time)
	}
	r.trimPeaks()
	r.choose()
	r.updateMemory(s.Time)

}

// trimPeaks drops the hours of the shared peak series that no candidate's
// window holds any more.
func (r *Recommender) trimPeaks() {
	from := r.peaks.end()
	for _, p := range r.sharing {
		from = min(from, p.from)
	}
	r.peaks.dropBefore(from)
}

func (r *Recommender) cost(i int, req, u float64) float64 {
	scale := math.Max(r.scale[i], 1e-9)
	if i == 0 {
		scale = math.Max(scale, 1) // 1 millicore
	} else {
		scale = math.Max(scale, model.MiB)
	}
	c := math.Max(0, req-u) / scale
	if u > req {
		if i == 0 {
			c += r.opt.WOverCPU
		} else {
			c += r.opt.WOOM
		}
	}
	return c
}

// minScored is the number of scored samples before a candidate can be chosen.
const minScored = 12

func (r *Recommender) choose() {
	for i := range r.chosen {
		best, bestCost := -1, math.Inf(1)
		for j, c := range r.cands {
			if !c.ok || c.n < minScored || (i == 0 && c.memOnly) || (i == 1 && c.cpuOnly) {
				continue
			}
			cost := c.cost[i]
			if r.chosen[i] >= 0 && j != r.chosen[i] {
				cost += r.opt.WSwitch
			}
			if cost < bestCost {
				best, bestCost = j, cost
			}
		}
		if best >= 0 {
			r.chosen[i] = best
		}
	}
}

func (r *Recommender) warmingUp() bool {
	return r.samples == 0 || r.last.Sub(r.first) < r.opt.MinHistory || r.chosen[0] < 0 || r.chosen[1] < 0
}

func (r *Recommender) updateMemory(now time.Time) {
	if r.warmingUp() {
		return
	}
	want := r.cands[r.chosen[1]].rec.Target.MemoryBytes * (1 + r.opt.MemoryMargin)
	if now.Sub(r.oomAt) < r.opt.OOMBumpHold {
		want = math.Max(want, r.oomBump)
	}
	switch {
	case r.memTarget == 0 || want > r.memTarget:
		r.memTarget = want
	case want < r.memTarget/(1+r.opt.MemoryHysteresis) && now.Sub(r.lastDecr) >= r.opt.MemoryDecreaseGap:
		r.memTarget = want
		r.lastDecr = now
		r.decreases++
	}
}

// AddOOM implements recommend.Recommender.
func (r *Recommender) AddOOM(e model.OOMEvent) {
	r.oom(e, func(c recommend.Recommender) { c.AddOOM(e) })
}

// oom takes OOM kill e; feed gives it to one candidate.
func (r *Recommender) oom(e model.OOMEvent, feed func(recommend.Recommender)) {
	for _, c := range r.cands {
		feed(c.r)
		c.rec, c.ok = c.r.Recommend(e.Time)
	}
	used := math.Max(e.MemoryRequestBytes, e.MemoryUsageBytes)
	// OOM kills in quick succession mean the request is far below the need
	// (e.g. a container started with a default request): a kill less than
	// an hour after the previous one doubles the request instead of adding
	// 20 %. The bump holds for OOMBumpHold after the last kill; by then the
	// candidates have seen the usage the kills hid.
	if !r.oomAt.IsZero() && e.Time.Sub(r.oomAt) < time.Hour {
		r.oomStreak++
	} else {
		r.oomStreak = 0
	}
	factor := 1.2
	if r.oomStreak > 0 {
		factor = 2
	}
	bump := math.Max(used*factor, used+100*model.MiB)
	r.oomBump, r.oomAt = bump, e.Time
	if r.memTarget > 0 && bump > r.memTarget {
		r.memTarget = bump
	}
}

// overTarget is the CPU over-request share the risk controller aims at (0: off).
func (r *Recommender) overTarget() float64 {
	switch {
	case r.opt.CPUOverTarget > 0:
		return r.opt.CPUOverTarget
	case r.opt.CPUOverTarget < 0 && r.warm != nil:
		share := math.Max(0.005, math.Min(0.05, r.vpaOver))
		if r.opt.CPURiskScale > 0 {
			share *= r.opt.CPURiskScale
		}
		return share
	}
	return 0
}

func (r *Recommender) cpuTarget() float64 {
	c := r.cands[r.chosen[0]]
	return c.rec.Target.CPUMillicores * (1 + r.opt.CPUMargin) * math.Exp(c.logK)
}

// Recommend implements recommend.Recommender.
func (r *Recommender) Recommend(now time.Time) (model.Recommendation, bool) {
	if r.warmingUp() {
		if r.warm == nil || !r.warm.ok {
			return model.Recommendation{}, false
		}
		return applyPolicy(r.warm.rec, r.cfg.Policy), true
	}
	var rec model.Recommendation
	cpu := r.cpuTarget()
	rec.Target.CPUMillicores = cpu
	rec.UncappedTarget.CPUMillicores = cpu
	rec.Lower.CPUMillicores = cpu / (1 + r.opt.CPUBand)
	rec.Upper.CPUMillicores = cpu * (1 + r.opt.CPUBand)
	m := r.memTarget
	rec.Target.MemoryBytes, rec.UncappedTarget.MemoryBytes = m, m
	rec.Lower.MemoryBytes, rec.Upper.MemoryBytes = m, m
	return applyPolicy(rec, r.cfg.Policy), true
}

// Explain implements recommend.Recommender.
func (r *Recommender) Explain(now time.Time) recommend.Explanation {
	ex := recommend.Explanation{Recommender: Name, Resources: map[model.Resource]recommend.Evidence{}}
	if r.warmingUp() {
		note := fmt.Sprintf("warming up: %s of %s history, using %s", r.last.Sub(r.first), r.opt.MinHistory, WarmupRecommender)
		if r.warm == nil {
			note = fmt.Sprintf("warming up: %s of %s history; %s is not registered, so no recommendation yet", r.last.Sub(r.first), r.opt.MinHistory, WarmupRecommender)
		}
		ex.Notes = append(ex.Notes, note)
		if r.warm != nil {
			inner := r.warm.r.Explain(now)
			ex.Resources = inner.Resources
			ex.Notes = append(ex.Notes, inner.Notes...)
		}
		return ex
	}
	rec, _ := r.Recommend(now)
	for i, res := range model.AllResources {
		c := r.cands[r.chosen[i]]
		inner := c.r.Explain(now)
		ev := inner.Resources[res]
		ev.SampleCount = float64(r.samples)
		ev.HistorySpan = r.last.Sub(r.first)
		ev.CapsApplied = policyCaps(rec, r.cfg.Policy, res)
		if i == 0 {
			ev.Margin = (1+r.opt.CPUMargin)*math.Exp(c.logK) - 1
		} else {
			ev.Margin = r.opt.MemoryMargin
		}
		ex.Resources[res] = ev
		var costs []string
		for _, o := range r.cands {
			if o.ok && o.n >= minScored {
				costs = append(costs, fmt.Sprintf("%s %.3g", o.name, o.cost[i]))
			}
		}
		ex.Notes = append(ex.Notes, fmt.Sprintf("%s: following %s (decayed cost per sample: %s)", res, c.name, strings.Join(costs, ", ")))
	}
	ex.Notes = append(ex.Notes, fmt.Sprintf("memory: %d decrease(s) so far; decreases need %.0f %% and %s since the last", r.decreases, 100*r.opt.MemoryHysteresis, r.opt.MemoryDecreaseGap))
	return ex
}
