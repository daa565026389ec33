package smart

import (
	"fmt"
	"math"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

// ColdStart is smart's fleet prior for the CPU of a container it has seen for
// less than MinHistory, learned from the training workloads (train's cold
// start): the request is the CPU peak seen so far times a factor. A container
// is put in a class by the burstiness of its CPU usage so far (the
// coefficient of variation of its samples: series alike in shape need alike
// factors), and the factor is the one of its class, profile and the longest
// history length of Hours it has seen, in the prior of the longest horizon up
// to smart's (the shortest when none is). Each factor is the one of least
// cost on the training series over that horizon, the cost smart plans CPU
// by: slack in units of the mean usage so far plus the profile's weight
// (scaled by the container's size) times the share of time above.
//
// Until the first of Hours, and in the last plan period of the warm-up,
// smart answers with the warm-up recommender for CPU: the request an update
// applies as the warm-up ends is held for the budget, and with a day of
// history vpa's did better there than the prior's or smart's own shadow plan
// (under a 12 h budget, CPU slack 0.810 x vpa's against 0.829 and 0.817 on
// the training series, share 3.1 % against 2.9 and 3.2 %). Memory needs no
// prior: it is smart's own from the first hour (the peak so far plus the
// margin; an OOM kill raises it at once, whatever the budget).
type ColdStart struct {
	// Hours are the history lengths, in hours, increasing.
	Hours []float64 `json:"hours"`
	// Classes are the increasing bounds of the coefficient of variation
	// that part the classes (n bounds, n+1 classes).
	Classes []float64 `json:"classes"`
	// Priors are the factors per horizon, shortest first.
	Priors []ColdPrior `json:"priors"`
}

// ColdPrior is the cold start's factors for one horizon.
type ColdPrior struct {
	Horizon time.Duration `json:"horizon"`
	// Factors are, per profile, per class, per history length of Hours,
	// the log of the factor on the CPU peak so far.
	Factors map[string][][]float64 `json:"factors"`
}

// check range-checks c as the field "coldStart" of a model file.
func (c *ColdStart) check(ch *modelfile.Checker, minHistory time.Duration) {
	ch.Floats("coldStart.hours", c.Hours, 1, 24, 0.25, math.Max(minHistory.Hours(), 0.25))
	for i := 1; i < len(c.Hours); i++ {
		if c.Hours[i] <= c.Hours[i-1] {
			ch.Fail("coldStart.hours", "must increase")
		}
	}
	ch.Floats("coldStart.classes", c.Classes, 0, 8, 0, 100)
	for i := 1; i < len(c.Classes); i++ {
		if c.Classes[i] <= c.Classes[i-1] {
			ch.Fail("coldStart.classes", "must increase")
		}
	}
	ch.Len("coldStart.priors", len(c.Priors), 1, 8)
	for i, pr := range c.Priors {
		base := fmt.Sprintf("coldStart.priors[%d]", i)
		ch.Duration(base+".horizon", pr.Horizon, binWidth, 30*24*time.Hour)
		if i > 0 && pr.Horizon <= c.Priors[i-1].Horizon {
			ch.Fail("coldStart.priors", "horizons must increase")
		}
		for _, prof := range Profiles {
			cls, ok := pr.Factors[prof.Name]
			if !ok {
				ch.Fail(base+".factors", "has no factors for profile "+prof.Name)
				continue
			}
			f := base + ".factors." + prof.Name
			ch.Len(f, len(cls), len(c.Classes)+1, len(c.Classes)+1)
			for k, hs := range cls {
				ch.Floats(fmt.Sprintf("%s[%d]", f, k), hs, len(c.Hours), len(c.Hours), -5, 5)
			}
		}
		for name := range pr.Factors {
			if _, err := ProfileByName(name); err != nil {
				ch.Fail(base+".factors", fmt.Sprintf("names %q, not a profile", name))
			}
		}
	}
}

// Factor returns the log factor on the CPU peak so far for profile prof and
// horizon hor, for a usage so far of coefficient of variation cv seen for
// span, and false when span is shorter than the first of Hours.
func (c *ColdStart) Factor(prof string, hor time.Duration, cv float64, span time.Duration) (float64, bool) {
	h := -1
	for i, x := range c.Hours {
		if span.Hours() >= x {
			h = i
		}
	}
	if h < 0 || len(c.Priors) == 0 {
		return 0, false
	}
	pr := c.Priors[0]
	for _, q := range c.Priors {
		if q.Horizon <= hor {
			pr = q
		}
	}
	k := 0
	for k < len(c.Classes) && cv >= c.Classes[k] {
		k++
	}
	cls := pr.Factors[prof]
	if k >= len(cls) || h >= len(cls[k]) {
		return 0, false
	}
	return cls[k][h], true
}

// usageMoments are the running count, mean and sum of squared deviations
// of a usage series (Welford), and its peak.
type usageMoments struct {
	n, mean, m2, peak float64
}

func (m *usageMoments) add(x float64) {
	m.n++
	d := x - m.mean
	m.mean += d / m.n
	m.m2 += d * (x - m.mean)
	m.peak = math.Max(m.peak, x)
}

// cv is the coefficient of variation (0 for a series of mean 0).
func (m *usageMoments) cv() float64 {
	if m.n < 2 || m.mean <= 0 {
		return 0
	}
	return math.Sqrt(m.m2/(m.n-1)) / m.mean
}

// CoefficientOfVariation returns the coefficient of variation of xs, as
// smart measures a series' burstiness for its cold start.
func CoefficientOfVariation(xs []float64) float64 {
	var m usageMoments
	for _, x := range xs {
		m.add(x)
	}
	return m.cv()
}

// planCold sets the cold-start CPU target: the peak so far times its factor
// (Options.ColdStart, enough history, before the last plan period of the
// warm-up), else 0.
func (p *Recommender) planCold() {
	p.coldTarget = 0
	cs := p.opt.ColdStart
	span := p.last.Sub(p.first)
	if cs == nil || p.coldCPU.peak <= 0 || span >= p.opt.MinHistory-p.opt.PlanEvery {
		return
	}
	if k, ok := cs.Factor(p.prof.Name, p.hor, p.coldCPU.cv(), span); ok {
		p.coldTarget = p.coldCPU.peak * math.Exp(k)
	}
}
