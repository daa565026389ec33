package smart

import (
	"math"
	"time"
)

// memPlan is one memory plan smart can follow: the target it would have set
// with its window of hourly peaks, run in the shadow under the same rules as
// the real one (rises at once, gated decreases), and its decayed cost on
// this container: each hour, the slack above that hour's peak, and for an
// hour whose peak went above the plan's target, the profile's OOM cost (the
// plan then rises to the peak), and for each decrease its restart cost; all
// in hours of the container's size (its largest hourly peak of MemoryDays).
type memPlan struct {
	window   time.Duration
	req      float64
	lastDecr time.Time
	cost     float64
}

// memPlanWindows returns the windows of the memory plans of o.
func memPlanWindows(o Options) []time.Duration {
	if len(o.MemoryWindows) > 0 {
		return o.MemoryWindows
	}
	return []time.Duration{o.MemoryWindow}
}

// hourPeakAt returns the peak of the hour starting at Unix second hour, and
// whether there is one.
func (s *peakSeries) hourPeakAt(hour int64) (float64, bool) {
	for pos := s.end() - 1; pos >= s.first; pos-- {
		hp := s.at(pos)
		if hp.hour == hour {
			return hp.v, true
		}
		if hp.hour < hour {
			break
		}
	}
	return 0, false
}

// scoreMemPlans charges every plan for the hour before now's, once: its
// slack above the hour's peak (raised to what an OOM kill in that hour showed
// the container needed), and the OOM cost when the peak was above its
// target, which then rises to the peak plus the margin.
func (p *Recommender) scoreMemPlans(now time.Time) {
	hour := now.Truncate(time.Hour).Add(-time.Hour).Unix()
	if hour <= p.memScored {
		return
	}
	p.memScored = hour
	peak, ok := p.peaks.hourPeakAt(hour)
	if !ok {
		return
	}
	if p.oomNeedHour == hour {
		peak = math.Max(peak, p.oomNeed)
	}
	size := p.peakOver(now, time.Duration(p.opt.MemoryDays)*24*time.Hour)
	if size <= 0 {
		return
	}
	decay := math.Exp2(-1 / p.opt.MemoryCostHalfLife.Hours())
	oomCost := p.opt.OOMCosts[p.prof.Name]
	m := math.Exp(p.logMargin)
	for i := range p.memPlans {
		c := &p.memPlans[i]
		if c.req == 0 {
			continue
		}
		cost := math.Max(0, c.req-peak) / size
		if peak > c.req {
			cost += oomCost
			c.req = peak * (1 + m)
		}
		c.cost = c.cost*decay + cost
	}
}

// stepMemPlan moves plan c to want under the rules of the real plan and
// returns whether it decreased (a restart).
func (p *Recommender) stepMemPlan(c *memPlan, want float64, now time.Time) bool {
	switch {
	case c.req == 0 || want > c.req:
		c.req = want
	case want < c.req/(1+p.opt.MemoryHysteresis) && now.Sub(c.lastDecr) >= p.opt.MemoryDecreaseGap && now.Sub(p.oomAt) >= p.opt.OOMHold:
		c.req = want
		c.lastDecr = now
		return true
	}
	return false
}

// decreaseTo is where the target's decrease from cur towards want goes:
// want, or MemoryDecreaseStep x cur when that is higher, so that the target
// comes down in steps (a short window's peak is often below what the
// container needs again within days). The plans are not limited: each
// measures what its window's peak would cost.
func (p *Recommender) decreaseTo(cur, want float64) float64 {
	if f := p.opt.MemoryDecreaseStep; f > 0 && f < 1 {
		return math.Max(want, f*cur)
	}
	return want
}
