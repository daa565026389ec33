package autopilot

import (
	"fmt"
	"math"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/forecast"
	"github.com/smartvpa/smartvpa/core/recommend/forecast/ring"
)

// Statistic is how a moving-window recommender summarises history.
type Statistic string

// The moving-window statistics of the paper (section 3.1).
const (
	Peak            Statistic = "peak"
	WeightedAverage Statistic = "weighted-average"
	Percentile      Statistic = "percentile"
)

// WindowResource configures one resource of the moving-window recommender.
type WindowResource struct {
	Statistic Statistic
	// Percentile in [0, 1] for the Percentile statistic.
	Percentile float64
	// LoadAdjusted weights each sample by its value (a percentile of the usage
	// rather than of the time), as the paper does for CPU.
	LoadAdjusted bool
	HalfLife     time.Duration
	// PeakWindow bounds the history the Peak statistic looks at.
	PeakWindow time.Duration
	Margin     float64
	Floor      float64
}

// WindowOptions configure the moving-window recommender.
type WindowOptions struct {
	CPU, Memory WindowResource
	// Hold is how long a recommendation is held as a floor: the output is the
	// maximum of the recommendations over the last Hold (1 h in the paper), so
	// decreases are slow and increases immediate.
	Hold time.Duration
	// MinHistory is the history needed before the first recommendation.
	MinHistory time.Duration
}

// DefaultWindowOptions are the paper's choices: CPU p95 of load-adjusted usage
// with a 12 h half-life, memory the peak with a 48 h half-life, margins of 15 %
// and 10 %, and the maximum over the last hour.
func DefaultWindowOptions() WindowOptions {
	return WindowOptions{
		CPU:        WindowResource{Statistic: Percentile, Percentile: 0.95, LoadAdjusted: true, HalfLife: 12 * time.Hour, PeakWindow: 7 * 24 * time.Hour, Margin: 0.15, Floor: 10},
		Memory:     WindowResource{Statistic: Peak, Percentile: 0.98, HalfLife: 48 * time.Hour, PeakWindow: 48 * time.Hour, Margin: 0.10, Floor: 32 * model.MiB},
		Hold:       time.Hour,
		MinHistory: time.Hour,
	}
}

// hourPeak is the peak of one hour; the hour's start is kept as Unix
// seconds (exact for any time: it is a whole second), 16 bytes rather than
// the 32 of a time.Time and a float64.
type hourPeak struct {
	hour int64
	v    float64
}

// heldValue is a raw recommendation and the time it was made, as nanoseconds
// since the resource's holdRef (exact while the times held are within 146
// years of the first one).
type heldValue struct {
	at int64
	v  float64
}

type windowResource struct {
	opt  WindowResource
	hist *decayed
	// peaks are the per-hour peaks, kept only for the Peak statistic (the
	// only one that reads them); hold the recent raw recommendations.
	// Both are rings: serve keeps one recommender per container, and a
	// re-sliced slice that is appended to keeps slack and dead prefixes.
	peaks   ring.Ring[hourPeak]
	hold    ring.Ring[heldValue]
	holdRef time.Time
	// The maxima of peaks and hold, kept as values arrive and recomputed
	// only after some left (stale): Recommend and raw run after every
	// sample. A maximum does not depend on the order it is taken in
	// (math.Max is commutative, NaN and signed zeros included).
	peakMax, holdMax     float64
	peakStale, holdStale bool
}

// addPeak merges v into the peak of the hour of t, or starts a new hour.
func (r *windowResource) addPeak(t time.Time, v float64, merge bool) {
	hour := t.Truncate(time.Hour).Unix()
	if n := r.peaks.Len(); merge && n > 0 && r.peaks.At(n-1).hour == hour {
		p := r.peaks.Ptr(n - 1)
		p.v = math.Max(p.v, v)
	} else {
		r.peaks.Push(hourPeak{hour, v})
	}
	r.peakMax = math.Max(r.peakMax, v)
}

func (r *windowResource) addHold(t time.Time, v float64) {
	if r.hold.Len() == 0 {
		r.holdRef = t // no offset is in use: rebase
	}
	r.hold.Push(heldValue{int64(t.Sub(r.holdRef)), v})
	r.holdMax = math.Max(r.holdMax, v)
}

func (r *windowResource) holdTime(i int) time.Time {
	return r.holdRef.Add(time.Duration(r.hold.At(i).at))
}

func (r *windowResource) maxPeaks() float64 {
	var m float64
	for i := range r.peaks.Len() {
		m = math.Max(m, r.peaks.At(i).v)
	}
	return m
}

func (r *windowResource) maxHold() float64 {
	var m float64
	for i := range r.hold.Len() {
		m = math.Max(m, r.hold.At(i).v)
	}
	return m
}

// Window is the Autopilot moving-window recommender.
type Window struct {
	opt     WindowOptions
	cfg     recommend.Config
	res     [2]*windowResource
	first   time.Time
	last    time.Time
	samples int
}

// NewWindow creates a moving-window recommender. With cfg.CPUOnly it has no
// memory side (res[1] is nil): memory is 0 in its recommendations and absent
// from Explain.
func NewWindow(o WindowOptions, cfg recommend.Config) *Window {
	w := &Window{opt: o, cfg: cfg}
	w.res[0] = &windowResource{opt: o.CPU, hist: newDecayed(newGrid(1, 1e7, 1.05), o.CPU.HalfLife.Seconds())}
	if !cfg.CPUOnly {
		w.res[1] = &windowResource{opt: o.Memory, hist: newDecayed(newGrid(model.MiB, 1e13, 1.05), o.Memory.HalfLife.Seconds())}
	}
	return w
}

// resources are the resources w recommends: CPU alone with cfg.CPUOnly.
func (w *Window) resources() []model.Resource {
	if w.res[1] == nil {
		return model.AllResources[:1]
	}
	return model.AllResources
}

func init() {
	recommend.Register("autopilot-window", func(cfg recommend.Config) (recommend.Recommender, error) {
		return NewWindow(DefaultWindowOptions(), cfg), nil
	})
}

// Name implements recommend.Recommender.
func (w *Window) Name() string { return "autopilot-window" }

// AddSample implements recommend.Recommender.
func (w *Window) AddSample(s model.Sample) {
	if w.samples == 0 {
		w.first = s.Time
	}
	w.samples++
	w.last = s.Time
	ts := float64(s.Time.UnixNano()) / 1e9
	v := [2]float64{s.CPUMillicores, s.MemoryBytes}
	for i := range w.resources() {
		v := v[i]
		r := w.res[i]
		weight := 1.0
		if r.opt.LoadAdjusted {
			weight = math.Max(v, 1e-9)
		}
		r.hist.add(v, weight, ts)
		if r.opt.Statistic == Peak {
			r.addPeak(s.Time, v, true)
			cut := 0
			for cut < r.peaks.Len() && s.Time.Sub(time.Unix(r.peaks.At(cut).hour, 0)) > r.opt.PeakWindow {
				cut++
			}
			r.peaks.DropFront(cut)
			r.peakStale = r.peakStale || cut > 0
		}
		r.addHold(s.Time, r.raw())
		cut := 0
		for cut < r.hold.Len()-1 && s.Time.Sub(r.holdTime(cut)) >= w.opt.Hold {
			cut++
		}
		r.hold.DropFront(cut)
		r.holdStale = r.holdStale || cut > 0
	}
}

func (r *windowResource) raw() float64 {
	switch r.opt.Statistic {
	case Peak:
		if r.peakStale {
			r.peakMax, r.peakStale = r.maxPeaks(), false
		}
		return r.peakMax
	case WeightedAverage:
		if r.opt.LoadAdjusted {
			// The load-adjusted mean is sum(v^2)/sum(v); approximate by the
			// median of the load-adjusted histogram.
			return r.hist.percentile(0.5)
		}
		return r.hist.mean()
	}
	return r.hist.percentile(r.opt.Percentile)
}

// AddOOM implements recommend.Recommender: the usage at the OOM enters the
// memory history as a sample 20 % above the request.
func (w *Window) AddOOM(e model.OOMEvent) {
	r := w.res[1]
	if r == nil {
		return
	}
	v := 1.2 * math.Max(e.MemoryRequestBytes, e.MemoryUsageBytes)
	r.hist.add(v, 1, float64(e.Time.UnixNano())/1e9)
	if r.opt.Statistic == Peak {
		r.addPeak(e.Time, v, false) // an hour of its own, as a sample of its own
	}
	r.addHold(e.Time, v)
}

// Recommend implements recommend.Recommender.
func (w *Window) Recommend(now time.Time) (model.Recommendation, bool) {
	if w.samples == 0 || w.last.Sub(w.first) < w.opt.MinHistory {
		return model.Recommendation{}, false
	}
	var rec model.Recommendation
	for i, res := range w.resources() {
		r := w.res[i]
		if r.holdStale {
			r.holdMax, r.holdStale = r.maxHold(), false
		}
		hv := r.holdMax
		raw := math.Max(r.raw(), r.opt.Floor)
		tg := math.Max(hv, r.opt.Floor) * (1 + r.opt.Margin)
		rec.Lower = rec.Lower.Set(res, math.Min(raw, tg))
		rec.Target = rec.Target.Set(res, tg)
		rec.Upper = rec.Upper.Set(res, tg*(1+r.opt.Margin))
		rec.UncappedTarget = rec.UncappedTarget.Set(res, tg)
	}
	return forecast.ApplyPolicy(rec, w.cfg.Policy), true
}

// Explain implements recommend.Recommender.
func (w *Window) Explain(now time.Time) recommend.Explanation {
	ex := recommend.Explanation{Recommender: w.Name(), Resources: map[model.Resource]recommend.Evidence{}}
	rec, ok := w.Recommend(now)
	if !ok {
		ex.Notes = []string{fmt.Sprintf("warming up: need %s of history", w.opt.MinHistory)}
		return ex
	}
	for i, res := range w.resources() {
		r := w.res[i]
		ev := recommend.Evidence{
			SampleCount: float64(w.samples),
			HistorySpan: w.last.Sub(w.first),
			Confidence:  math.Min(1, w.last.Sub(w.first).Hours()/r.opt.HalfLife.Hours()),
			Margin:      r.opt.Margin,
			CapsApplied: forecast.PolicyCaps(rec, w.cfg.Policy, res),
		}
		if r.opt.Statistic == Percentile {
			ev.TargetPercentile = r.opt.Percentile
		}
		ex.Resources[res] = ev
		ex.Notes = append(ex.Notes, fmt.Sprintf("%s: %s (load-adjusted %v, half-life %s), maximum over the last %s, margin %.0f %%",
			res, r.opt.Statistic, r.opt.LoadAdjusted, r.opt.HalfLife, w.opt.Hold, 100*r.opt.Margin))
	}
	return ex
}
