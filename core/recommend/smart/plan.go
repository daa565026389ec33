package smart

import (
	"fmt"
	"math"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

// Recommender is smart for one container (see the package documentation).
type Recommender struct {
	opt  Options
	prof Profile
	cfg  recommend.Config
	hor  time.Duration

	warm    recommend.Recommender // vpa while warming up, nil after
	warmRec model.Recommendation
	warmOK  bool

	bins  cpuBins
	peaks peakSeries

	// coldCPU is the CPU usage seen during warm-up and coldTarget the
	// cold-start prior's CPU target (Options.ColdStart; 0: it does not
	// apply).
	coldCPU    usageMoments
	coldTarget float64

	first, last time.Time
	samples     int

	// CPU plan: the target and bounds in force until planEnd, from the
	// forecaster chosen at the last plan.
	cpu, cpuLow, cpuHigh float64
	planEnd              time.Time
	fc                   []forecaster
	fcNames              []string
	models               []recommend.Recommender // recommenders whose CPU target is a forecaster's point
	chosen               int
	scale                float64   // decayed mean CPU usage (the unit of the CPU cost)
	weight               float64   // the profile's weight of a sample with usage above the CPU request
	shareAdj             float64   // log of the container's calibration of the weight (CPUShareRate)
	shareLo, shareHi     float64   // shareAdj's bounds: -log CPUShareRange (1/4 unset), log CPUShareCeiling (0 unset)
	missPlan             time.Time // the end of the last plan a sample above counted for (CPUShareBurst)
	cpuWeighed           bool      // the CPU target in force is a forecaster's level at the weight (not the day's peak)
	planStart            time.Time
	dayPeak              float64 // peak of the last day's bins at the last plan
	weekPeak             float64 // peak of the CPU history (CPUDays) at the last plan

	// Memory plan.
	mem        float64
	memLow     float64
	memHigh    float64
	logMargin  float64
	lastDecr   time.Time
	oomAt      time.Time
	marginAt   time.Time
	oomStreak  int
	loopKills  int     // kills in a row at the same request
	oomReq     float64 // request at the last OOM kill
	ooms       int
	decreases  int
	memBase    float64 // windowed peak of the last memory plan
	memHourEnd int64   // Unix second at which the memory plan is revised
	memPlans   []memPlan
	memPlan    int   // the plan followed
	memScored  int64 // Unix second of the last hour the plans were charged for
	// bumped: the target is an OOM kill's bump, which no plan has set
	// since; it falls back with less hysteresis (OOMTrimHysteresis).
	bumped bool
	// oomNeed is the least request an OOM kill in the hour starting at
	// oomNeedHour showed the container needed (the observed peak is cut at
	// the limit).
	oomNeed     float64
	oomNeedHour int64
}

// New creates smart for one container. Candidates are created with cfg but
// no model file (each uses its default model), unless cfg.ModelFile is a
// folder of model files: then each takes its own from it.
func New(o Options, cfg recommend.Config) (*Recommender, error) {
	prof, err := ProfileByName(o.Profile)
	if cfg.Profile != "" {
		prof, err = ProfileByName(cfg.Profile)
	}
	if err != nil {
		return nil, fmt.Errorf("smart: %w", err)
	}
	// Fields a model file may leave out take their defaults.
	d := DefaultOptions()
	if o.MemoryCostHalfLife == 0 {
		o.MemoryCostHalfLife = d.MemoryCostHalfLife
	}
	if o.OOMCosts == nil {
		o.OOMCosts = d.OOMCosts
	}
	if o.RestartCostShare == 0 {
		o.RestartCostShare = d.RestartCostShare
	}
	if o.MemoryLowBand == 0 {
		o.MemoryLowBand = d.MemoryLowBand
	}
	if o.OOMBump == 0 {
		o.OOMBump = d.OOMBump
	}
	if o.OOMStreakFactor == 0 {
		o.OOMStreakFactor = d.OOMStreakFactor
	}
	if o.OOMTrimHysteresis == 0 {
		o.OOMTrimHysteresis = d.OOMTrimHysteresis
	}
	if o.OOMLoopStreak == 0 {
		o.OOMLoopStreak = d.OOMLoopStreak
	}
	hor := max(cfg.UpdateInterval, o.MinHorizon)
	if hor >= LongHorizon {
		// A bump's overshoot is held for the whole budget: the escalation
		// of long horizons, when set.
		if o.OOMStreakFactorLong != 0 {
			o.OOMStreakFactor = o.OOMStreakFactorLong
		}
		if o.OOMLoopStreakLong != 0 {
			o.OOMLoopStreak = o.OOMLoopStreakLong
		}
		o.OOMStreakConstant = o.OOMStreakConstant || o.OOMStreakConstantLong
	}
	p := &Recommender{opt: o, prof: prof, cfg: cfg}
	p.hor = hor
	p.weight = o.OverrunWeights[p.prof.Name]
	p.shareLo = -math.Log(4)
	if o.CPUShareRange > 0 {
		p.shareLo = -math.Log(o.CPUShareRange)
	}
	if o.CPUShareCeiling > 1 {
		p.shareHi = math.Log(o.CPUShareCeiling)
	}
	p.bins = newCPUBins(o.CPUDays)
	p.logMargin = math.Log(p.prof.MemoryMargin)
	p.fc = make([]forecaster, numForecasters, numForecasters+len(o.Candidates))
	p.fcNames = append([]string(nil), forecasterNames[:]...)
	ccfg := cfg
	if !modelfile.IsDir(cfg.ModelFile) {
		ccfg.ModelFile = ""
	}
	ccfg.Policy, ccfg.CPUOnly = model.ContainerPolicy{}, true
	for _, name := range o.Candidates {
		r, err := recommend.New(name, ccfg)
		if err != nil {
			return nil, fmt.Errorf("smart: forecaster %s: %w", name, err)
		}
		p.models = append(p.models, r)
		p.fc = append(p.fc, forecaster{})
		p.fcNames = append(p.fcNames, name+"'s target")
	}
	wcfg := cfg
	wcfg.ModelFile, wcfg.Policy = "", model.ContainerPolicy{}
	if w, err := recommend.New(WarmupRecommender, wcfg); err == nil {
		p.warm = w
	}
	return p, nil
}

// Name implements recommend.Recommender.
func (p *Recommender) Name() string { return Name }

func (p *Recommender) warmingUp() bool {
	return p.samples == 0 || p.last.Sub(p.first) < p.opt.MinHistory || p.cpu == 0 || p.mem == 0
}

// AddSample implements recommend.Recommender.
func (p *Recommender) AddSample(s model.Sample) {
	if p.samples == 0 {
		p.first = s.Time
	}
	dt := s.Time.Sub(p.last)
	p.samples++
	p.last = s.Time
	if p.warm != nil {
		p.warm.AddSample(s)
		if p.opt.ColdStart != nil {
			p.coldCPU.add(s.CPUMillicores)
		}
	}
	for _, m := range p.models {
		m.AddSample(s)
	}
	// Score and calibrate every forecaster on the plan it gave before
	// this sample.
	p.scoreCPU(s.Time, dt, s.CPUMillicores)
	p.bins.add(s.Time, s.CPUMillicores)
	p.peaks.add(s.Time, s.MemoryBytes)
	if keep := p.opt.MemoryDays * 24; p.peaks.peaks.Len() > keep {
		p.peaks.dropBefore(p.peaks.end() - keep)
	}
	p.plan(s.Time)
}

func (p *Recommender) plan(now time.Time) {
	span := p.last.Sub(p.first)
	warm := span < p.opt.MinHistory
	if warm {
		if p.warm != nil {
			p.warmRec, p.warmOK = p.warm.Recommend(now)
		}
		p.planCold()
	} else if p.warm != nil {
		// Leaving warm-up: the planner's own state takes over, and the
		// cold-start prior (decoded per container, about 3 KiB) is let go.
		p.warm = nil
		p.opt.ColdStart, p.coldTarget = nil, 0
	}
	// CPU plans start in the shadow during warm-up (CPUShadowFrom), so that
	// the forecasters have scores and costs when their plans take over.
	shadow := p.opt.CPUShadowFrom > 0 && span >= p.opt.CPUShadowFrom
	if (!warm || shadow) && (p.cpu == 0 || !now.Before(p.planEnd)) {
		p.planCPU(now)
	}
	if warm {
		return
	}
	if p.mem == 0 || now.Unix() >= p.memHourEnd {
		p.planMemory(now)
	}
}

// peakOver returns the largest hourly peak of the last window.
func (p *Recommender) peakOver(now time.Time, window time.Duration) float64 {
	from := now.Add(-window).Unix()
	m := 0.0
	for pos := p.peaks.end() - 1; pos >= p.peaks.first; pos-- {
		hp := p.peaks.at(pos)
		if hp.hour+3600 <= from {
			break
		}
		m = math.Max(m, hp.v)
	}
	return m
}

// memoryBase returns the peak (or MemoryQuantile) of the hourly peaks of
// the last window.
func (p *Recommender) memoryBase(now time.Time, window time.Duration) float64 {
	base := p.peakOver(now, window)
	if q := p.opt.MemoryQuantile; q > 0 && q < 1 {
		from := now.Add(-window).Unix()
		buf := scratch.Get().(*[]float64)
		xs := (*buf)[:0]
		for pos := p.peaks.end() - 1; pos >= p.peaks.first; pos-- {
			hp := p.peaks.at(pos)
			if hp.hour+3600 <= from {
				break
			}
			xs = append(xs, hp.v)
		}
		base = quantile(xs, q)
		*buf = xs
		scratch.Put(buf)
	}
	return base
}

// grownPeak returns, when MemoryTrend and the hourly peaks grew over the
// last day, the last hour's peak plus that growth carried over the
// horizon, which every memory plan is raised to; else 0. The same for
// every plan's window, so computed once per plan revision.
func (p *Recommender) grownPeak() float64 {
	if !p.opt.MemoryTrend || p.peaks.peaks.Len() < 24 {
		return 0
	}
	last := p.peaks.at(p.peaks.end() - 1).v
	prev := p.peaks.at(p.peaks.end() - 24).v
	g := (last - prev) / 23
	if g <= 0 {
		return 0
	}
	// Carried over the next hours only: an OOM kill raises memory at once
	// even under an update budget. Steady growth is carried over the whole
	// horizon.
	hours := math.Min(p.hor.Hours()+1, p.opt.TrendHours)
	if slope, ok := p.steadyGrowth(); ok {
		g, hours = slope, p.hor.Hours()+1
	}
	return last + g*hours
}

// steadyGrowth returns the slope per hour of the least-squares line through
// the hourly peaks of the last day, when it rises and explains at least
// TrendSteadyFit of their variance (see Options.TrendSteadyFit).
func (p *Recommender) steadyGrowth() (float64, bool) {
	fit := p.opt.TrendSteadyFit
	if fit <= 0 || p.peaks.peaks.Len() < 24 {
		return 0, false
	}
	end := p.peaks.end()
	last := p.peaks.at(end - 1)
	from := last.hour - 23*3600
	var n, sx, sy, sxx, sxy, syy float64
	for pos := end - 1; pos >= p.peaks.first; pos-- {
		hp := p.peaks.at(pos)
		if hp.hour < from {
			break
		}
		// Centred on the last peak: sums of squares of bytes lose no
		// precision.
		x, y := float64(hp.hour-from)/3600, hp.v-last.v
		n++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
		syy += y * y
	}
	if n < 12 {
		return 0, false
	}
	vx, vy, cxy := sxx-sx*sx/n, syy-sy*sy/n, sxy-sx*sy/n
	if vx <= 0 || vy <= 0 || cxy <= 0 {
		return 0, false
	}
	if cxy*cxy < fit*vx*vy {
		return 0, false
	}
	return cxy / vx, true
}

// planMemory revises the memory target once an hour. Each memory plan (one
// per window of hourly peaks, see memPlan) is charged for the last hour and
// moved to its peak of the window plus the margin; smart follows the plan of
// least cost: the target rises at once to that plan's, and falls only when
// that is more than MemoryHysteresis below the target, the last decrease is
// MemoryDecreaseGap ago and no OOM kill happened in the last OOMHold (a
// decrease restarts the container).
func (p *Recommender) planMemory(now time.Time) {
	p.memHourEnd = now.Truncate(time.Hour).Add(time.Hour).Unix()
	if p.memPlans == nil {
		for _, w := range memPlanWindows(p.opt) {
			p.memPlans = append(p.memPlans, memPlan{window: w})
		}
	}
	p.scoreMemPlans(now)
	m := math.Exp(p.logMargin)
	restart := p.opt.OOMCosts[p.prof.Name] * p.opt.RestartCostShare
	best, base := 0, 0.0
	grown := p.grownPeak()
	for i := range p.memPlans {
		c := &p.memPlans[i]
		b := math.Max(p.memoryBase(now, c.window), grown)
		if p.stepMemPlan(c, b*(1+m), now) {
			c.cost += restart
		}
		if i == 0 || c.cost < p.memPlans[best].cost {
			best, base = i, b
		}
	}
	p.memPlan = best
	p.memBase = base
	want := base * (1 + m)
	fromKill := false
	if now.Sub(p.oomAt) < time.Hour && p.oomNeed > want {
		// The observed peaks are cut at the limit: a kill in the last hour
		// showed the container needs at least its bump (at the end of
		// warm-up, a crash loop's: the target is then a bump too).
		want, fromKill = p.oomNeed, true
	}
	if want <= 0 {
		return
	}
	// A target an OOM kill's bump set falls back as soon as the trim hold
	// has passed and the peaks since (not cut at the limit any more) show
	// the bump was more than needed (a streak multiplies the request by up
	// to 8), whenever the last decrease was: it corrects the bump, not the
	// plan.
	hyst, gap, hold := p.opt.MemoryHysteresis, p.opt.MemoryDecreaseGap, p.opt.OOMHold
	if p.bumped {
		hyst, gap, hold = math.Min(hyst, p.opt.OOMTrimHysteresis), 0, p.opt.TrimHold()
	}
	switch {
	case p.mem == 0 || want > p.mem:
		p.mem = want
		p.bumped = fromKill
	case want < p.mem/(1+hyst) && now.Sub(p.lastDecr) >= gap && now.Sub(p.oomAt) >= hold:
		if !p.bumped {
			want = p.decreaseTo(p.mem, want)
		}
		p.mem = want
		p.lastDecr = now
		p.decreases++
		p.bumped = false
	}
	// Margin decays towards the profile's with OOM-free time: after an OOM
	// kill it grows by OOMMarginStep (in log space), and it falls by that
	// step per OOM-free period of one month / OOMsPerMonth, so that the
	// kills settle at the profile's rate.
	base0 := math.Log(p.prof.MemoryMargin)
	if p.logMargin > base0 {
		period := 30 * 24 * time.Hour.Hours() / p.prof.OOMsPerMonth
		p.logMargin = math.Max(base0, p.logMargin-p.opt.OOMMarginStep/period)
	}
	p.memLow = p.mem / (1 + p.opt.MemoryLowBand)
	p.memHigh = p.mem * (1 + p.opt.MemoryHysteresis)
}

// AddOOM implements recommend.Recommender: the memory target rises at once,
// to the largest peak the container has shown in MemoryDays when that is
// above the request, else by a factor that doubles with kills in quick
// succession; the margin grows.
func (p *Recommender) AddOOM(e model.OOMEvent) {
	if p.warm != nil {
		p.warm.AddOOM(e)
		p.warmRec, p.warmOK = p.warm.Recommend(e.Time)
	}
	for _, m := range p.models {
		m.AddOOM(e)
	}
	p.ooms++
	// A kill within an hour of the previous one at a higher request means
	// the last bump was too small: this one multiplies the request by
	// OOMStreakFactor, the next by its square, then its cube (a streak after
	// a request far below the need, such as a default one, ends in a few
	// kills), or by OOMStreakFactor each time with OOMStreakConstant. Kills at
	// the same request (the updater has not applied the bump yet, or the
	// request is held during warm-up) are one episode, and so is a kill at
	// a request below what the streak's last bump asked for (a stale
	// request: the updater had not applied the bump yet), which shows
	// nothing the bump does not cover.
	quick := !p.oomAt.IsZero() && e.Time.Sub(p.oomAt) < time.Hour
	stale := false
	switch {
	case quick && e.MemoryRequestBytes > p.oomReq && e.MemoryRequestBytes < staleShare*p.oomNeed:
		stale = true
	case quick && e.MemoryRequestBytes > p.oomReq:
		p.oomStreak++
		if p.opt.OOMStreakConstant {
			// A geometric search: x OOMStreakFactor per kill, whatever
			// the streak's length (after a crash loop's bump too).
			p.oomStreak = 1
		}
		p.loopKills = 0
	case quick && e.MemoryRequestBytes == p.oomReq:
		// A crash loop at a request that does not move (held during
		// warm-up): the need is unknown and well above, so the bump is a
		// streak's OOMLoopStreak-th (x OOMStreakFactor squared by default).
		if p.loopKills++; p.loopKills >= 3 {
			p.oomStreak = max(p.oomStreak, p.opt.OOMLoopStreak)
		}
	case !quick:
		p.oomStreak, p.loopKills = 0, 0
	}
	p.oomReq = e.MemoryRequestBytes
	p.oomAt = e.Time
	// The margin grows only when the kill surprised the plan: the request
	// was the planned one (not a cascade after a default or bumped-up-to
	// request) and the last growth is OOMHold ago.
	if p.mem > 0 && e.MemoryRequestBytes >= p.mem/(1+p.opt.MemoryHysteresis) && e.Time.Sub(p.marginAt) >= p.opt.OOMHold {
		p.logMargin = math.Min(p.logMargin+p.opt.OOMMarginStep, math.Log(0.5)) // margin at most 50 %
		p.marginAt = e.Time
	}
	used := math.Max(e.MemoryRequestBytes, e.MemoryUsageBytes)
	factor := p.opt.OOMBump
	if p.oomStreak > 0 {
		factor = math.Pow(p.opt.OOMStreakFactor, float64(min(p.oomStreak, 3)))
	}
	bump := oomBump(used, factor)
	if h := e.Time.Truncate(time.Hour).Unix(); !stale && (h != p.oomNeedHour || bump > p.oomNeed) {
		p.oomNeed, p.oomNeedHour = bump, h
	}
	// The hour's observed peak is cut at the limit: what one kill shows the
	// container needs (without the streak's escalation) counts as the
	// hour's peak, so that every plan keeps it for its window.
	p.peaks.raise(e.Time, oomBump(used, p.opt.OOMBump))
	if stale {
		return
	}
	// The container has needed more before: go at once to the least of the
	// memory plans' targets above the bump (a safer plan's level), not
	// through a cascade of kills.
	toPlan := false // the target is then a plan's level, not a guess to trim
	if p.opt.OOMToPlan {
		next := math.Inf(1)
		for _, c := range p.memPlans {
			if c.req > bump {
				next = math.Min(next, c.req)
			}
		}
		if !math.IsInf(next, 1) {
			bump, toPlan = next, true
		}
	}
	if p.mem > 0 && bump > p.mem {
		p.mem = bump
		p.bumped = !toPlan
		p.memHigh = p.mem * (1 + p.opt.MemoryHysteresis)
		p.memLow = p.mem / (1 + p.opt.MemoryLowBand)
	}
}

// staleShare: a kill in a streak at a request below this share of the
// streak's last bump is at a stale request (the bump was not applied yet;
// the share leaves room for a request rounded by the updater).
const staleShare = 0.95

// oomBump is the request after a kill at used: x factor, at least 100 MiB
// more.
func oomBump(used, factor float64) float64 {
	return math.Max(used*factor, used+100*model.MiB)
}

// Recommend implements recommend.Recommender.
func (p *Recommender) Recommend(now time.Time) (model.Recommendation, bool) {
	if p.warmingUp() {
		rec, ok := p.warmRec, p.warmOK
		if c := p.coldTarget; c > 0 {
			// CPU from the fleet's cold-start prior.
			rec.Target.CPUMillicores, rec.UncappedTarget.CPUMillicores = c, c
			rec.Lower.CPUMillicores, rec.Upper.CPUMillicores = c/(1+p.opt.CPULowBand), c*(1+p.opt.CPUBand)
			ok = true
		}
		if !ok {
			return model.Recommendation{}, false
		}
		// Memory is smart's own from the first hour: the peak so far plus
		// the margin (and what a kill of the last hour showed, in a crash
		// loop far more than the observed usage), so that the plan after
		// warm-up does not restart the container a second time.
		if m := p.warmupMemory(now); m > 0 {
			rec.Target.MemoryBytes, rec.UncappedTarget.MemoryBytes = m, m
			rec.Lower.MemoryBytes = m / (1 + p.opt.MemoryLowBand)
			rec.Upper.MemoryBytes = m * (1 + p.opt.MemoryHysteresis)
		}
		return applyPolicy(rec, p.cfg.Policy), true
	}
	var rec model.Recommendation
	rec.Target = model.Resources{CPUMillicores: p.cpu, MemoryBytes: p.mem}
	rec.UncappedTarget = rec.Target
	rec.Lower = model.Resources{CPUMillicores: p.cpuLow, MemoryBytes: math.Min(p.memLow, p.mem)}
	rec.Upper = model.Resources{CPUMillicores: p.cpuHigh, MemoryBytes: p.memHigh}
	return applyPolicy(rec, p.cfg.Policy), true
}

// Explain implements recommend.Recommender.
func (p *Recommender) Explain(now time.Time) recommend.Explanation {
	ex := recommend.Explanation{Recommender: Name, Resources: map[model.Resource]recommend.Evidence{}}
	if p.warmingUp() {
		if c := p.coldTarget; c > 0 {
			span := p.last.Sub(p.first)
			ex.Resources[model.CPU] = recommend.Evidence{SampleCount: p.coldCPU.n, HistorySpan: span, Confidence: span.Hours() / 24, Margin: c/p.coldCPU.peak - 1}
			ex.Notes = append(ex.Notes,
				fmt.Sprintf("warming up: %s of %s history; CPU from the fleet's cold-start prior for profile %s: the peak so far %.0fm x %.2f (what the coming %s needed on training series as bursty as this one: CPU usage's coefficient of variation %.2f) = %.0fm; memory is the peak so far plus the margin", span, p.opt.MinHistory, p.prof.Name, p.coldCPU.peak, c/p.coldCPU.peak, p.hor, p.coldCPU.cv(), c))
			return ex
		}
		ex.Notes = append(ex.Notes, fmt.Sprintf("warming up: %s of %s history, using %s for CPU; memory is the peak so far plus the margin", p.last.Sub(p.first), p.opt.MinHistory, WarmupRecommender))
		if p.warm != nil {
			inner := p.warm.Explain(now)
			ex.Resources = inner.Resources
			ex.Notes = append(ex.Notes, inner.Notes...)
		}
		return ex
	}
	rec, _ := p.Recommend(now)
	span := p.last.Sub(p.first)
	a := p.prof.CPUShortfall
	ex.Resources[model.CPU] = recommend.Evidence{
		LowerPercentile: 1 - math.Min(0.5, 4*a), TargetPercentile: 1 - a, UpperPercentile: 1 - a/4,
		SampleCount: float64(p.fc[p.chosen].samples), HistorySpan: span, Confidence: span.Hours() / 24,
		Margin: p.cpu/math.Max(p.fc[p.chosen].point, 1e-9) - 1, CapsApplied: policyCaps(rec, p.cfg.Policy, model.CPU)}
	ex.Resources[model.Memory] = recommend.Evidence{
		SampleCount: float64(p.peaks.peaks.Len()), HistorySpan: span, Confidence: span.Hours() / 24,
		Margin: math.Exp(p.logMargin), CapsApplied: policyCaps(rec, p.cfg.Policy, model.Memory)}
	calibration := ""
	switch {
	case p.shareAdj < 0:
		calibration = fmt.Sprintf(" (the fleet's weight x %.2f: risk lent while this container's share above stays below the profile's)", math.Exp(p.shareAdj))
	case p.shareAdj > 0:
		calibration = fmt.Sprintf(" (the fleet's weight x %.2f: raised while this container's share above stays over the profile's)", math.Exp(p.shareAdj))
	}
	ex.Notes = append(ex.Notes,
		fmt.Sprintf("profile %s: CPU above the request about %.1f %% of the time over a fleet (at most %.1f %% for any container); an OOM kill weighs as much as %g hours of the container's whole memory held idle", p.prof.Name, 100*a, 100*a*p.opt.CPUMaxShareFactor, p.opt.OOMCosts[p.prof.Name]),
		fmt.Sprintf("cpu: %s = %.0fm (the forecast that has cost least here), x %.2f where slack + %.3g x time above the request%s costs least over the next %s (from %d past forecasts) = %.0fm, held until %s",
			p.fcNames[p.chosen], p.fc[p.chosen].point, p.cpu/math.Max(p.fc[p.chosen].point, 1e-9), p.cpuWeight(), calibration, p.hor, p.fc[p.chosen].samples, p.cpu, p.planEnd.UTC().Format(time.RFC3339)),
		fmt.Sprintf("memory: peak of the last %s %.0fMi + %.0f %% margin (the plan that has cost least here); %d OOM kill(s), %d decrease(s) (each restarts; they need %.0f %%, %s since the last and %s since an OOM kill)",
			p.memWindow(), p.memBase/model.MiB, 100*math.Exp(p.logMargin), p.ooms, p.decreases, 100*p.opt.MemoryHysteresis, p.opt.MemoryDecreaseGap, p.opt.OOMHold))
	return ex
}

// memWindow is the window of the memory plan followed.
func (p *Recommender) memWindow() time.Duration {
	if p.memPlan < len(p.memPlans) {
		return p.memPlans[p.memPlan].window
	}
	return memPlanWindows(p.opt)[0]
}

// warmupMemory is the memory target during warm-up: the peak of the history
// plus the margin, at least what a kill of the last hour showed; 0 before
// the first full hour.
func (p *Recommender) warmupMemory(now time.Time) float64 {
	if p.last.Sub(p.first) < time.Hour {
		return 0
	}
	m := p.peakOver(now, time.Duration(p.opt.MemoryDays)*24*time.Hour) * (1 + math.Exp(p.logMargin))
	if now.Sub(p.oomAt) < time.Hour {
		m = math.Max(m, p.oomNeed)
	}
	return m
}
