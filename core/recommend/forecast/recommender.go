// Package forecast holds forecasting recommenders: additive Holt-Winters with
// the season found by autocorrelation (none, daily or weekly) and AR(p) fitted
// by least squares. Usage is aggregated into windows (default one hour) and
// each resource's series of window peaks is forecast; the recommendation is
// the forecast peak over the next horizon plus a quantile of the one-step
// residuals, and lower and upper come from the empirical prediction interval
// (residual quantiles).
//
// Models are refitted once per closed window, not per sample, so a backtest
// that asks for a recommendation at every sample stays cheap.
//
// Registered names: "forecast" (Holt-Winters when a season is found, AR
// otherwise), "holt-winters" and "ar".
package forecast

import (
	"fmt"
	"math"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// Method selects the forecasting model.
type Method string

// The methods.
const (
	MethodAuto        Method = "auto"
	MethodHoltWinters Method = "holt-winters"
	MethodAR          Method = "ar"
)

// ResourceOptions tune one resource.
type ResourceOptions struct {
	// Horizon is the number of windows whose forecast peak the target covers.
	Horizon int
	// TargetQuantile, LowerQuantile and UpperQuantile are the residual
	// quantiles added to the forecast peak for target, lower and upper.
	TargetQuantile, LowerQuantile, UpperQuantile float64
	// Margin is a fractional safety margin applied to the target and bounds.
	Margin float64
	// Floor is the smallest target (millicores or bytes).
	Floor float64
}

// Options configure the recommender. DefaultOptions holds the defaults.
type Options struct {
	Method Method
	// Window is the aggregation window; the models forecast window peaks.
	Window time.Duration
	// History is the number of windows kept (3 weeks of hours by default).
	History int
	// MinWindows is the number of closed windows before the first recommendation.
	MinWindows int
	// SeasonThreshold is the autocorrelation a daily or weekly season needs.
	SeasonThreshold float64
	// ARLags is p of the AR(p) model.
	ARLags int
	// Phi damps the Holt-Winters trend (1 = undamped).
	Phi float64
	// ResidualWindow is how many recent residuals the quantiles use.
	ResidualWindow int
	// FollowCurrent keeps the target at least the peak of the window being filled.
	FollowCurrent bool
	// Mean forecasts the windows' mean usage instead of their peak (a level
	// for a caller that scales it to a risk of its own).
	Mean        bool
	CPU, Memory ResourceOptions
}

// DefaultOptions returns the default options for method m.
func DefaultOptions(m Method) Options {
	return Options{
		Method:          m,
		Window:          time.Hour,
		History:         21 * 24,
		MinWindows:      6,
		SeasonThreshold: 0.3,
		ARLags:          3,
		Phi:             0.9,
		ResidualWindow:  7 * 24,
		FollowCurrent:   true,
		CPU:             ResourceOptions{Horizon: 1, TargetQuantile: 0.9, LowerQuantile: 0.5, UpperQuantile: 0.99, Margin: 0.05, Floor: 10},
		Memory:          ResourceOptions{Horizon: 24, TargetQuantile: 0.99, LowerQuantile: 0.9, UpperQuantile: 1, Margin: 0.1, Floor: 32 * model.MiB},
	}
}

func init() {
	for _, m := range []Method{MethodAuto, MethodHoltWinters, MethodAR} {
		name := string(m)
		if m == MethodAuto {
			name = "forecast"
		}
		method := m
		recommend.Register(name, func(cfg recommend.Config) (recommend.Recommender, error) {
			o := DefaultOptions(method)
			return New(name, o, cfg), nil
		})
	}
}

// Recommender forecasts window peaks per resource.
type Recommender struct {
	name string
	opt  Options
	cfg  recommend.Config

	win      Windower
	samples  int
	first    time.Time
	last     time.Time
	fitted   bool
	rec      model.Recommendation
	fit      [2]fitInfo
	ooms     int
	oomBoost float64
}

type fitInfo struct {
	method   Method
	season   Season
	peakFc   float64
	resid    [3]float64 // lower, target, upper residual quantiles
	params   string
	nWindows int
}

// New creates a forecast recommender with options o.
func New(name string, o Options, cfg recommend.Config) *Recommender {
	r := &Recommender{name: name, opt: o, cfg: cfg, oomBoost: 1}
	// The models read one series per resource (peaks, or means with
	// o.Mean): the windower keeps only that one.
	keep := KeepPeak
	if o.Mean {
		keep = KeepMean
	}
	r.win = Windower{Width: o.Window, MaxGapFill: int(24 * time.Hour / o.Window), Cap: o.History, Keep: keep, CPUOnly: cfg.CPUOnly}
	return r
}

// resources are the resources r forecasts: CPU alone with cfg.CPUOnly.
func (r *Recommender) resources() []model.Resource {
	if r.cfg.CPUOnly {
		return model.AllResources[:1]
	}
	return model.AllResources
}

// Name implements recommend.Recommender.
func (r *Recommender) Name() string { return r.name }

// AddSample implements recommend.Recommender.
func (r *Recommender) AddSample(s model.Sample) {
	if r.samples == 0 {
		r.first = s.Time
	}
	r.samples++
	r.last = s.Time
	if r.win.Add(s) {
		r.refit()
	}
}

// AddOOM implements recommend.Recommender: an OOM raises the memory target
// by 20 % until the next refit sees the usage that caused it.
func (r *Recommender) AddOOM(e model.OOMEvent) {
	r.ooms++
	if r.cfg.CPUOnly {
		return
	}
	used := math.Max(e.MemoryRequestBytes, e.MemoryUsageBytes)
	if r.fitted && used > 0 {
		t := math.Max(r.rec.Target.MemoryBytes, used*1.2)
		r.rec.Target.MemoryBytes = t
		r.rec.UncappedTarget.MemoryBytes = t
		r.rec.Lower.MemoryBytes = math.Max(r.rec.Lower.MemoryBytes, t)
		r.rec.Upper.MemoryBytes = math.Max(r.rec.Upper.MemoryBytes, t)
	}
}

func (r *Recommender) refit() {
	nWindows := r.win.Len()
	if nWindows < r.opt.MinWindows {
		return
	}
	var rec model.Recommendation
	for ri, res := range r.resources() {
		ro := r.opt.CPU
		if res == model.Memory {
			ro = r.opt.Memory
		}
		var y []float64
		if r.opt.Mean {
			y = r.win.MeanSeries(ri)
		} else {
			y = r.win.PeakSeries(ri)
		}
		fi := r.fitOne(y, ro)
		fi.nWindows = nWindows
		r.fit[ri] = fi
		m := 1 + ro.Margin
		lo := math.Max(0, fi.peakFc+fi.resid[0]) * m
		tg := math.Max(0, fi.peakFc+fi.resid[1]) * m
		up := math.Max(0, fi.peakFc+fi.resid[2]) * m
		tg = math.Max(tg, ro.Floor)
		lo = math.Min(math.Max(lo, ro.Floor), tg)
		up = math.Max(up, tg)
		rec.Lower = rec.Lower.Set(res, lo)
		rec.Target = rec.Target.Set(res, tg)
		rec.Upper = rec.Upper.Set(res, up)
		rec.UncappedTarget = rec.UncappedTarget.Set(res, tg)
	}
	r.rec = rec
	r.fitted = true
}

func (r *Recommender) fitOne(y []float64, ro ResourceOptions) fitInfo {
	fi := fitInfo{method: r.opt.Method}
	h := ro.Horizon
	if h < 1 {
		h = 1
	}
	var fc, resid []float64
	if r.opt.Method != MethodAR {
		season, period := DetectSeason(y, r.opt.Window, r.opt.SeasonThreshold)
		if r.opt.Method == MethodHoltWinters || season != SeasonNone {
			if hw, err := FitHoltWinters(y, period, r.opt.Phi); err == nil {
				fi.method, fi.season = MethodHoltWinters, season
				fc, resid = hw.Forecast(h), hw.Residuals
				fi.params = fmt.Sprintf("alpha=%.2f beta=%.2f gamma=%.2f period=%d", hw.Alpha, hw.Beta, hw.Gamma, hw.Period)
			}
		}
	}
	if fc == nil {
		if ar, err := FitAR(y, r.opt.ARLags); err == nil {
			fi.method = MethodAR
			fc, resid = ar.Forecast(h), ar.Residuals
			fi.params = fmt.Sprintf("p=%d c=%.3g coef=%.3g", len(ar.Coef), ar.C, ar.Coef)
		}
	}
	if fc == nil {
		// Too short for any model: the recent peak is the forecast.
		fi.method = "peak"
		fc = []float64{maxOf(y)}
		resid = []float64{0}
	}
	if len(resid) > r.opt.ResidualWindow {
		resid = resid[len(resid)-r.opt.ResidualWindow:]
	}
	// An explosive fit (an AR with a root outside the unit circle, a trend
	// running away) must not leave the range the series has seen: the forecast
	// is kept within [0, 2 x the history's peak], residuals within ± that peak.
	hi := maxOf(y)
	fi.peakFc = clamp(maxOf(fc), 0, 2*hi)
	fi.resid = [3]float64{Quantile(resid, ro.LowerQuantile), Quantile(resid, ro.TargetQuantile), Quantile(resid, ro.UpperQuantile)}
	for i := range fi.resid {
		fi.resid[i] = clamp(fi.resid[i], -hi, hi)
	}
	return fi
}

func clamp(v, lo, hi float64) float64 {
	if math.IsNaN(v) {
		return hi
	}
	return math.Min(math.Max(v, lo), hi)
}

func maxOf(xs []float64) float64 {
	m := math.Inf(-1)
	for _, v := range xs {
		m = math.Max(m, v)
	}
	if math.IsInf(m, -1) {
		return 0
	}
	return m
}

// Recommend implements recommend.Recommender.
func (r *Recommender) Recommend(now time.Time) (model.Recommendation, bool) {
	if !r.fitted {
		return model.Recommendation{}, false
	}
	rec := r.rec
	if r.opt.FollowCurrent {
		if cur, ok := r.win.Current(); ok {
			for ri, res := range r.resources() {
				m := 1 + r.opt.CPU.Margin
				if res == model.Memory {
					m = 1 + r.opt.Memory.Margin
				}
				p := cur.Peak[ri] * m
				if p > rec.Target.Get(res) {
					rec.Target = rec.Target.Set(res, p)
					rec.UncappedTarget = rec.UncappedTarget.Set(res, p)
					rec.Upper = rec.Upper.Set(res, math.Max(p, rec.Upper.Get(res)))
				}
			}
		}
	}
	return ApplyPolicy(rec, r.cfg.Policy), true
}

// Explain implements recommend.Recommender.
func (r *Recommender) Explain(now time.Time) recommend.Explanation {
	ex := recommend.Explanation{Recommender: r.name, Resources: map[model.Resource]recommend.Evidence{}}
	if !r.fitted {
		ex.Notes = append(ex.Notes, fmt.Sprintf("warming up: %d of %d windows of %s", r.win.Len(), r.opt.MinWindows, r.opt.Window))
		return ex
	}
	for ri, res := range r.resources() {
		ro := r.opt.CPU
		if res == model.Memory {
			ro = r.opt.Memory
		}
		fi := r.fit[ri]
		ex.Resources[res] = recommend.Evidence{
			LowerPercentile:  ro.LowerQuantile,
			TargetPercentile: ro.TargetQuantile,
			UpperPercentile:  ro.UpperQuantile,
			SampleCount:      float64(r.samples),
			HistorySpan:      r.last.Sub(r.first),
			Confidence:       math.Min(1, float64(fi.nWindows)*r.opt.Window.Hours()/(7*24)),
			Margin:           ro.Margin,
			CapsApplied:      PolicyCaps(r.rec, r.cfg.Policy, res),
		}
		ex.Notes = append(ex.Notes, fmt.Sprintf("%s: %s (season %s, %s) peak forecast %.4g over %d x %s, residual quantiles %.3g/%.3g/%.3g",
			res, fi.method, fi.season, fi.params, fi.peakFc, ro.Horizon, r.opt.Window, fi.resid[0], fi.resid[1], fi.resid[2]))
	}
	return ex
}
