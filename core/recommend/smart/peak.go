package smart

import (
	"fmt"
	"math"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/forecast/ring"
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

// peakSeries is a series of hourly memory peaks, oldest first, in a ring.
// Positions are absolute (counted from the first peak ever), so that
// readers keep theirs while old peaks are dropped.
//
// smart's peak candidates share one: a candidate's window of hours is a
// suffix of the series (see peakCandidate), so the series holds the hours of
// the longest window once instead of every candidate holding its own copy.
type peakSeries struct {
	peaks ring.Ring[hourPeak]
	first int // position of peaks.At(0)
}

// hourPeak is the peak of one hour, which starts at Unix second hour (a
// whole second: exact for any time, in 16 bytes rather than 32).
type hourPeak struct {
	hour int64
	v    float64
}

// add merges v into the newest hour when t is in it, else starts an hour.
func (s *peakSeries) add(t time.Time, v float64) {
	h := t.Truncate(time.Hour).Unix()
	if n := s.peaks.Len(); n > 0 && s.peaks.At(n-1).hour == h {
		p := s.peaks.Ptr(n - 1)
		p.v = math.Max(p.v, v)
	} else {
		s.peaks.Push(hourPeak{h, v})
	}
}

// end is the position after the newest peak.
func (s *peakSeries) end() int { return s.first + s.peaks.Len() }

func (s *peakSeries) at(pos int) hourPeak { return s.peaks.At(pos - s.first) }

// dropBefore drops the peaks before position pos.
func (s *peakSeries) dropBefore(pos int) {
	s.peaks.DropFront(pos - s.first)
	s.first = pos
}

// sharesSeries tells whether a candidate with this spec can read a shared
// series. A candidate's own list of hours was: merge the sample into the
// newest hour when the sample is in it, else append an hour; then drop the
// oldest hours while they are Window or more before the sample. The newest
// hour starts less than an hour before its sample, so with a Window of an
// hour or more it is never dropped: the list is never empty after the first
// sample, its newest hour is the series' newest hour, and the list is the
// series from the first hour the candidate has not dropped. A shorter
// window can drop every hour and start the next one afresh, so such a
// candidate keeps a series of its own.
func (p PeakSpec) sharesSeries() bool { return p.Window >= time.Hour }

// peakCandidate recommends memory only (its CPU target is 0: no opinion).
type peakCandidate struct {
	spec PeakSpec
	// series holds the candidate's hours from position from on. A shared
	// series is fed and trimmed by smart (Recommender.AddSample); an own
	// one by the candidate.
	series *peakSeries
	own    bool
	from   int
	bump   float64
	bumpT  time.Time
	// max caches the largest peak (valid unless stale): Recommend runs
	// after every sample and the window holds up to a week of hours.
	max   float64
	stale bool
}

func newPeakCandidate(spec PeakSpec, shared *peakSeries) *peakCandidate {
	if spec.sharesSeries() {
		return &peakCandidate{spec: spec, series: shared}
	}
	return &peakCandidate{spec: spec, series: &peakSeries{}, own: true}
}

func (p *peakCandidate) Name() string { return p.spec.name() }

func (p *peakCandidate) AddSample(s model.Sample) {
	if p.own {
		p.series.add(s.Time, s.MemoryBytes)
	}
	// The maximum of a set is the same in any order (math.Max is
	// commutative, NaN and signed zeros included), so the cache grows with
	// the new value and is recomputed only when peaks leave the window.
	p.max = math.Max(p.max, s.MemoryBytes)
	from := p.from
	for p.from < p.series.end() && s.Time.Sub(time.Unix(p.series.at(p.from).hour, 0)) >= p.spec.Window {
		p.from++
	}
	if p.from > from {
		p.stale = true
		if p.own {
			p.series.dropBefore(p.from)
		}
	}
}

// peaks is the number of hours in the candidate's window.
func (p *peakCandidate) peaks() int { return p.series.end() - p.from }

// AddOOM counts the usage at the kill as 20 % above the request for a window.
func (p *peakCandidate) AddOOM(e model.OOMEvent) {
	p.bump = 1.2 * math.Max(e.MemoryRequestBytes, e.MemoryUsageBytes)
	p.bumpT = e.Time
}

func (p *peakCandidate) Recommend(now time.Time) (model.Recommendation, bool) {
	if p.peaks() == 0 {
		return model.Recommendation{}, false
	}
	if p.stale {
		p.max = 0
		for pos := p.from; pos < p.series.end(); pos++ {
			p.max = math.Max(p.max, p.series.at(pos).v)
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
		model.Memory: {SampleCount: float64(p.peaks()), Margin: p.spec.Margin},
	}, Notes: []string{fmt.Sprintf("peak memory over the last %s plus %.0f %%", p.spec.Window, 100*p.spec.Margin)}}
}
