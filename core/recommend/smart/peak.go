package smart

import (
	"fmt"
	"math"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// PeakSpec is a built-in memory candidate: the peak memory usage over Window
// times 1 + Margin (the Autopilot moving-window peak, without decay).
type PeakSpec struct {
	Window time.Duration `json:"window"`
	Margin float64       `json:"margin"`
}

func (p PeakSpec) name() string {
	return fmt.Sprintf("peak-%s+%.0f%%", p.Window, 100*p.Margin)
}

// peakCandidate recommends memory only (its CPU target is 0: no opinion).
type peakCandidate struct {
	spec  PeakSpec
	peaks []hourPeak
	bump  float64
	bumpT time.Time
	// max caches the largest peak (valid unless stale): Recommend runs
	// after every sample and the window holds up to a week of hours.
	max   float64
	stale bool
}

type hourPeak struct {
	hour time.Time
	v    float64
}

func (p *peakCandidate) Name() string { return p.spec.name() }

func (p *peakCandidate) AddSample(s model.Sample) {
	h := s.Time.Truncate(time.Hour)
	if n := len(p.peaks); n > 0 && p.peaks[n-1].hour.Equal(h) {
		p.peaks[n-1].v = math.Max(p.peaks[n-1].v, s.MemoryBytes)
	} else {
		p.peaks = append(p.peaks, hourPeak{h, s.MemoryBytes})
	}
	// The maximum of a set is the same in any order (math.Max is
	// commutative, NaN and signed zeros included), so the cache grows with
	// the new value and is recomputed only when peaks leave the window.
	p.max = math.Max(p.max, s.MemoryBytes)
	cut := 0
	for cut < len(p.peaks) && s.Time.Sub(p.peaks[cut].hour) >= p.spec.Window {
		cut++
	}
	if cut > 0 {
		p.peaks = append(p.peaks[:0], p.peaks[cut:]...)
		p.stale = true
	}
}

// AddOOM counts the usage at the kill as 20 % above the request for a window.
func (p *peakCandidate) AddOOM(e model.OOMEvent) {
	p.bump = 1.2 * math.Max(e.MemoryRequestBytes, e.MemoryUsageBytes)
	p.bumpT = e.Time
}

func (p *peakCandidate) Recommend(now time.Time) (model.Recommendation, bool) {
	if len(p.peaks) == 0 {
		return model.Recommendation{}, false
	}
	if p.stale {
		p.max = 0
		for _, h := range p.peaks {
			p.max = math.Max(p.max, h.v)
		}
		p.stale = false
	}
	m := p.max
	if now.Sub(p.bumpT) < p.spec.Window {
		m = math.Max(m, p.bump)
	}
	m *= 1 + p.spec.Margin
	r := model.Resources{MemoryBytes: m}
	return model.Recommendation{Lower: r, Target: r, Upper: r, UncappedTarget: r}, true
}

func (p *peakCandidate) Explain(now time.Time) recommend.Explanation {
	return recommend.Explanation{Recommender: p.Name(), Resources: map[model.Resource]recommend.Evidence{
		model.Memory: {SampleCount: float64(len(p.peaks)), Margin: p.spec.Margin},
	}, Notes: []string{fmt.Sprintf("peak memory over the last %s plus %.0f %%", p.spec.Window, 100*p.spec.Margin)}}
}
