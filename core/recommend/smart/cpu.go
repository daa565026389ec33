package smart

import (
	"math"
	"sync"
	"time"
)

// binWidth is the width of the CPU bins the planner keeps (the peak of the
// samples in each 5 minutes).
const binWidth = 5 * time.Minute

// cpuBins is the CPU usage of the last days in fixed 5-minute bins, by
// absolute bin number (Unix time / binWidth), in a circular buffer: bin b
// is at b mod len(v). A bin without samples holds NaN.
type cpuBins struct {
	v    []float32
	last int64 // newest bin number (math.MinInt64 before the first sample)
}

func newCPUBins(days int) cpuBins {
	v := make([]float32, days*int(24*time.Hour/binWidth))
	for i := range v {
		v[i] = float32(math.NaN())
	}
	return cpuBins{v: v, last: math.MinInt64}
}

func binOf(t time.Time) int64 { return t.Unix() / int64(binWidth/time.Second) }

// add merges x into the bin of t (keeping the bin's peak). Samples arrive in
// time order; one older than the buffer is dropped.
func (c *cpuBins) add(t time.Time, x float64) {
	b := binOf(t)
	n := int64(len(c.v))
	switch {
	case c.last == math.MinInt64:
		c.last = b
	case b > c.last:
		// Clear the bins between the previous newest and this one.
		for k := c.last + 1; k <= b && k <= c.last+n; k++ {
			c.v[k%n] = float32(math.NaN())
		}
		c.last = b
	case b <= c.last-n:
		return
	}
	i := b % n
	if old := c.v[i]; math.IsNaN(float64(old)) || float32(x) > old {
		c.v[i] = float32(x)
	}
}

// appendRange appends the values of the bins [from, to] that are held and
// not empty.
func (c *cpuBins) appendRange(dst []float64, from, to int64) []float64 {
	n := int64(len(c.v))
	from = max(from, c.last-n+1)
	to = min(to, c.last)
	for b := from; b <= to; b++ {
		if x := c.v[b%n]; !math.IsNaN(float64(x)) {
			dst = append(dst, float64(x))
		}
	}
	return dst
}

// quantile returns the q-quantile of xs, linearly interpolated between
// order statistics. It reorders xs (a selection, O(n), not a sort: smart
// takes quantiles of up to a week of bins at every plan).
func quantile(xs []float64, q float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	pos := q * float64(n-1)
	i := min(int(pos), n-1)
	lo := selectKth(xs, i)
	if i == n-1 {
		return lo
	}
	// After the selection, xs[i+1:] holds the values >= xs[i]: the next
	// order statistic is their minimum.
	hi := xs[i+1]
	for _, x := range xs[i+2:] {
		hi = min(hi, x)
	}
	return lo + (pos-float64(i))*(hi-lo)
}

// selectKth reorders xs so that xs[k] is its k-th smallest value (0-based),
// the values before it are no larger and those after no smaller, and
// returns it (Hoare's selection with a median-of-three pivot).
func selectKth(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// Median of three to xs[mid].
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		pivot := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}

// scratch holds the buffers plans gather values in: one per plan in
// progress rather than one per container (a week of bins is 16 KiB).
var scratch = sync.Pool{New: func() any { return new([]float64) }}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// Score histogram: log(usage / point forecast) in buckets of scoreStep over
// [-scoreSpan, scoreSpan] (clamped), weighted by time.
const (
	scoreStep    = 0.05
	scoreSpan    = 3.0
	scoreBuckets = int(2 * scoreSpan / scoreStep)
)

// scoreHist is a decaying histogram of conformal scores: a score observed
// at time t weighs 2^((t - ref) / halfLife), so older scores count half as
// much per half-life (weights are rescaled before they overflow).
type scoreHist struct {
	w     [scoreBuckets]float64
	total float64
	ref   time.Time
	n     int
}

func (h *scoreHist) add(t time.Time, score float64, halfLife time.Duration) {
	if h.n == 0 {
		h.ref = t
	}
	h.n++
	age := t.Sub(h.ref).Seconds() / halfLife.Seconds()
	if age > 60 {
		// Rescale: move ref to t.
		f := math.Exp2(-age)
		for i := range h.w {
			h.w[i] *= f
		}
		h.total *= f
		h.ref, age = t, 0
	}
	w := math.Exp2(age)
	i := int((math.Max(-scoreSpan, math.Min(scoreSpan-1e-9, score)) + scoreSpan) / scoreStep)
	h.w[i] += w
	h.total += w
}

// upper returns the score with share a of the weight above it, the weight
// of a bucket spread evenly over it.
func (h *scoreHist) upper(a float64) float64 {
	limit := a * h.total
	acc := 0.0
	for i := scoreBuckets - 1; i >= 0; i-- {
		if w := h.w[i]; acc+w > limit {
			// The bucket holds the level: interpolate from its top end.
			return -scoreSpan + (float64(i+1)-(limit-acc)/w)*scoreStep
		}
		acc += h.w[i]
	}
	return -scoreSpan
}

// level returns the score s at which a request point x e^s costs least
// under the histogram: k x E[(e^s - e^score)+] (the slack, with k the point
// in units of the container's mean usage) plus weight x P(score > s) (the
// share of time above the request), among the bucket ends whose share above
// is at most maxShare. A common weight across containers spends the risk
// where it saves most slack (a heavy-tailed container takes more, a steady
// one less), which a fixed quantile per container does not.
func (h *scoreHist) level(k, weight, maxShare float64) float64 {
	if h.total <= 0 {
		return 0
	}
	best, bestCost := scoreSpan, math.Inf(1)
	var below, belowExp float64 // weight and weight x e^centre of the buckets at or below j
	for j := range scoreBuckets {
		w := h.w[j]
		below += w
		belowExp += w * math.Exp(-scoreSpan+(float64(j)+0.5)*scoreStep)
		above := math.Max(0, h.total-below) / h.total
		if above > maxShare {
			continue
		}
		end := -scoreSpan + float64(j+1)*scoreStep
		cost := k*(math.Exp(end)*below-belowExp)/h.total + weight*above
		if cost < bestCost {
			best, bestCost = end, cost
		}
	}
	return best
}

// The CPU forecasters. Each gives a point forecast of the usage over the
// next horizon; its conformal scores log(usage / point) over the horizons
// it has forecast give the quantile the target is taken at.
const (
	fcLevel         = iota // mean of the last hour
	fcPeak                 // peak of the last hour
	fcSeasonal             // mean of the same window on the last CPUDays days
	fcSeasonalLevel        // last hour's mean x (same window / same last hour) on past days
	fcDay                  // the (1 - shortfall) quantile of the last day
	fcWeek                 // the (1 - shortfall) quantile of the last CPUDays days
	fcSeasonalQ            // the (1 - shortfall) quantile of the same window on the last CPUDays days and the last hour
	numForecasters
)

var forecasterNames = [numForecasters]string{"last hour's mean", "last hour's peak", "same hours of past days", "last hour's mean with the daily shape", "last day's quantile", "last week's quantile", "quantile of the same hours of past days"}

// forecaster is one CPU forecaster's state: its point forecast for the plan
// in force, its conformal score histogram and its decayed cost at
// the profile's level.
type forecaster struct {
	point float64
	// past are the plans of the last horizon, newest last: a plan stays in
	// force for up to a horizon after it is applied, and when it is
	// applied is the updater's choice, so a usage sample is scored against
	// each of them.
	past    []pastPlan
	factor  float64 // e^level of the last plan (0: not ready then)
	hist    scoreHist
	samples int // samples scored
	loss    float64
	scored  int
}

// pastPlan is one plan of a forecaster: its point forecast and its target
// (0: the forecaster was not ready then).
type pastPlan struct{ point, target float64 }

// ready reports whether a forecaster has scored enough samples to be used:
// two hours' worth, and a horizon's.
func (p *Recommender) ready(f *forecaster) bool {
	return f.samples >= 24 && f.hist.n > 0 && p.last.Sub(p.planStart) >= p.hor
}

func (f *forecaster) target() float64 {
	return math.Max(f.point*f.factor, 1)
}

// points computes every forecaster's point forecast for [now, now + horizon].
func (p *Recommender) points(now time.Time) {
	b := binOf(now)
	hb := int64(p.hor / binWidth)
	hour := int64(time.Hour / binWidth)
	day := int64(24 * time.Hour / binWidth)
	days := int64(p.opt.CPUDays)
	buf := scratch.Get().(*[]float64)
	defer scratch.Put(buf)
	xs := p.bins.appendRange((*buf)[:0], b-hour+1, b)
	level, peak := mean(xs), 0.0
	for _, x := range xs {
		peak = math.Max(peak, x)
	}
	var seas, seasNow float64
	nd := 0
	for d := int64(1); d <= days; d++ {
		w := p.bins.appendRange(xs[:0], b-d*day+1, b-d*day+hb)
		if len(w) == 0 {
			continue
		}
		m := mean(w)
		c := p.bins.appendRange(xs[:0], b-d*day-hour+1, b-d*day)
		if len(c) == 0 {
			continue
		}
		seas += m
		seasNow += mean(c)
		nd++
	}
	p.fc[fcLevel].point = level
	p.fc[fcPeak].point = peak
	p.fc[fcSeasonal].point, p.fc[fcSeasonalLevel].point = 0, 0
	if nd > 0 {
		p.fc[fcSeasonal].point = seas / float64(nd)
		if seasNow > 0 {
			p.fc[fcSeasonalLevel].point = level * math.Max(0.5, math.Min(2, seas/seasNow))
		}
	}
	a := p.prof.CPUShortfall
	xs = p.bins.appendRange(xs[:0], b-day+1, b)
	p.fc[fcDay].point = quantile(xs, 1-a)
	p.dayPeak = 0
	for _, x := range xs {
		p.dayPeak = max(p.dayPeak, x)
	}
	xs = p.bins.appendRange(xs[:0], b-days*day+1, b)
	p.weekPeak = 0
	for _, x := range xs {
		p.weekPeak = max(p.weekPeak, x)
	}
	p.fc[fcWeek].point = quantile(xs, 1-a)
	xs = p.bins.appendRange(xs[:0], b-hour+1, b)
	for d := int64(1); d <= days; d++ {
		xs = p.bins.appendRange(xs, b-d*day+1, b-d*day+hb)
	}
	p.fc[fcSeasonalQ].point = quantile(xs, 1-a)
	*buf = xs
	for i, m := range p.models {
		rec, ok := m.Recommend(now)
		p.fc[numForecasters+i].point = 0
		if ok {
			p.fc[numForecasters+i].point = rec.Target.CPUMillicores
		}
	}
}

// scoreCPU scores every forecaster's plan in force on usage u seen dt after
// the previous sample: its conformal score, and its cost (slack + weight x
// above) at level
// 1 - shortfall (the proper score of that quantile), relative to the
// container's mean usage and decayed.
func (p *Recommender) scoreCPU(t time.Time, dt time.Duration, u float64) {
	d := 1.0
	if p.samples > 1 && dt > 0 {
		d = 1 - math.Exp2(-dt.Seconds()/p.opt.LossHalfLife.Seconds())
	}
	if p.samples == 1 {
		p.scale = u
	} else {
		p.scale += d * (u - p.scale)
	}
	if p.cpu == 0 {
		return
	}
	if p.cpuWeighed {
		p.calibrateShare(dt, u > p.cpu)
	}
	scale, weight := math.Max(p.scale, 1), p.cpuWeight()
	lu := math.Log(math.Max(u, 1e-3))
	for k := range p.fc {
		f := &p.fc[k]
		if f.point <= 0 {
			continue
		}
		// Each plan of the last horizon: its conformal score, and its cost
		// on this sample (slack in units of the mean usage, plus the
		// weight when the usage is above it); the forecaster's cost is the
		// mean over them, once its newest plan is ready.
		l, n := 0.0, 0
		for _, pp := range f.past {
			if pp.point > 0 {
				f.hist.add(t, lu-math.Log(pp.point), p.opt.ScoreHalfLife)
			}
			if pp.target > 0 {
				l += math.Max(0, pp.target-u) / scale
				if u > pp.target {
					l += weight
				}
				n++
			}
		}
		if f.factor > 0 && n > 0 {
			l /= float64(n)
			if f.scored == 0 {
				f.loss = l
			} else {
				f.loss += d * (l - f.loss)
			}
			f.scored++
		}
		f.samples++
	}
}

// planCPU plans the CPU request for [now, now + horizon]: every forecaster
// gives its point forecast and its cost-minimising level; the one with the
// least decayed cost so far is followed.
func (p *Recommender) planCPU(now time.Time) {
	if p.planStart.IsZero() {
		p.planStart = now
	}
	p.points(now)
	keep := max(1, int(p.hor/p.opt.PlanEvery))
	for k := range p.fc {
		f := &p.fc[k]
		if len(f.past) == keep {
			copy(f.past, f.past[1:])
			f.past = f.past[:keep-1]
		}
		f.past = append(f.past, pastPlan{point: f.point})
	}
	a := p.prof.CPUShortfall
	for k := range p.fc {
		f := &p.fc[k]
		f.factor = 0
		if f.point > 0 && p.ready(f) {
			f.factor = math.Exp(f.hist.level(f.point/math.Max(p.scale, 1), p.cpuWeight(), p.opt.CPUMaxShareFactor*a))
		}
		if f.factor > 0 && f.point > 0 {
			f.past[len(f.past)-1].target = p.capCPU(f.target())
		}
	}
	// Losses are compared once they cover half a day; until then the last
	// day's quantile is followed (the forecaster least fooled by a short
	// history).
	best := -1
	if now.Sub(p.planStart) >= p.hor+12*time.Hour {
		for k := range p.fc {
			f := &p.fc[k]
			if f.factor <= 0 || f.scored == 0 {
				continue
			}
			if best < 0 || f.loss < p.fc[best].loss {
				best = k
			}
		}
	}
	if best < 0 && p.fc[fcDay].factor > 0 {
		best = fcDay
	}
	if best < 0 {
		// No forecaster has scored a horizon yet: the peak of the last day.
		p.cpu, p.cpuWeighed = math.Max(p.dayPeak, 1), false
		p.cpuLow, p.cpuHigh = p.cpu/(1+p.opt.CPULowBand), p.cpu*(1+p.opt.CPUBand)
		p.planEnd = now.Add(p.opt.PlanEvery)
		return
	}
	f := &p.fc[best]
	p.chosen, p.cpuWeighed = best, true
	t := p.capCPU(f.target())
	p.cpu = t
	p.cpuLow = t / (1 + p.opt.CPULowBand)
	p.cpuHigh = math.Max(t*(1+p.opt.CPUBand), p.capCPU(f.point*math.Exp(f.hist.upper(a/4))))
	p.planEnd = now.Add(p.opt.PlanEvery)
}

// cpuWeight is the weight of time above the request for this container: the
// profile's, times (1 core / the container's mean usage, that usage at least
// CPUWeightSizeFloor) to the power CPUWeightSizeExponent, so that with a
// positive exponent a large container takes more of the risk (its slack is
// more core-hours).
func (p *Recommender) cpuWeight() float64 {
	w := p.weight * math.Exp(p.shareAdj)
	if p.opt.CPUWeightSizeExponent == 0 {
		return w
	}
	return w * math.Pow(1000/math.Max(p.scale, math.Max(p.opt.CPUWeightSizeFloor, 1)), p.opt.CPUWeightSizeExponent)
}

// calibrateShare moves the container's calibration of its weight after a
// sample that spanned dt (at most an hour counts: a gap in the metrics says
// nothing about the risk) and was above the CPU target or not: up when
// above, down when not, in the proportion that settles at the profile's
// share above (CPUShareRate; with CPUShareBurst, only a plan's first
// sample above counts), never above the fleet's weight (CPUShareCeiling
// times it, when set): a container whose usage is steadier than the
// fleet's is lent risk up to the stated share, and one above it is left to
// the cap (CPUMaxShareFactor), or its weight raised up to the ceiling.
func (p *Recommender) calibrateShare(dt time.Duration, above bool) {
	r := p.opt.CPUShareRate
	if r <= 0 || dt <= 0 {
		return
	}
	a := p.prof.CPUShortfall
	miss := 0.0
	if above {
		if p.opt.CPUShareBurst && p.missPlan.Equal(p.planEnd) {
			// A burst: this plan's miss has been counted.
			return
		}
		miss, p.missPlan = 1, p.planEnd
	}
	days := min(dt, time.Hour).Hours() / 24
	p.shareAdj = math.Max(p.shareLo, math.Min(p.shareHi, p.shareAdj+r*days*(miss-a)/a))
}

// capCPU caps a CPU target at CPUPeakCap times the peak of the CPU history:
// a request above the most the container has used in CPUDays days serves
// nothing (a forecaster's point times its conformal factor can reach 20
// times a peak on a series that switches between idle and busy).
func (p *Recommender) capCPU(t float64) float64 {
	if c := p.opt.CPUPeakCap; c > 0 && p.weekPeak > 0 {
		return math.Min(t, c*p.weekPeak)
	}
	return t
}
