// Package lstm is a small LSTM recommender written with gonum: one LSTM layer
// over the last Seq windows (default 24 hours) of a resource's usage (window
// peak and mean, scaled by the sequence's mean peak, and the hour of day)
// predicting a quantile of the next window's peak, trained with the pinball
// loss by back-propagation through time and Adam (see Train). One network
// per resource.
//
// The recommender predicts once per closed window; between windows the
// target is held (and raised to the peak of the window being filled). With no
// model file and no default model registered it falls back to the peak of
// the last Seq windows and says so in Explain.
package lstm

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/forecast"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

func init() {
	recommend.Register("lstm", func(cfg recommend.Config) (recommend.Recommender, error) {
		f, err := modelfile.Resolve(cfg.ModelFile, "lstm")
		if err != nil {
			return nil, err
		}
		var p *Params
		if f != nil {
			if c, ok := decoded.Load(f.Checksum); ok {
				return New(c.(*Params), cfg), nil
			}
			p = new(Params)
			if err := f.DecodeParams(p); err != nil {
				return nil, err
			}
			c := f.Check()
			p.Check(c)
			if err := c.Err(); err != nil {
				return nil, err
			}
			decoded.Store(f.Checksum, p)
		}
		return New(p, cfg), nil
	})
}

// decoded holds the parameters of the model files decoded so far, by their
// checksum: a recommender per container (serve, recommend -A) then neither
// decodes the file again nor holds a copy of the weights of its own. The
// recommenders only read their Params.
var decoded sync.Map

// The ranges of a model file's parameters: wide enough for any training
// run, narrow enough that the network's output stays finite and the target
// positive.
const (
	maxSeq    = 10_000
	maxHidden = 1024
	maxWeight = 1e4
	maxMargin = 10
)

// Check range-checks p (the fields of a model file's "params").
func (p *Params) Check(c *modelfile.Checker) {
	c.Duration("window", p.Window, time.Minute, 7*24*time.Hour)
	c.Int("seq", p.Seq, 1, maxSeq)
	c.Int("hidden", p.Hidden, 1, maxHidden)
	if c.Err() != nil {
		return
	}
	n := Net{D: Features, H: p.Hidden}
	for _, r := range []struct {
		name string
		np   NetParams
	}{{"cpu", p.CPU}, {"memory", p.Memory}} {
		c.Float(r.name+".quantile", r.np.Quantile, 0, 1)
		c.Float(r.name+".margin", r.np.Margin, 0, maxMargin)
		c.Floats(r.name+".weights", r.np.Weights, n.NumParams(), n.NumParams(), -maxWeight, maxWeight)
	}
}

// Recommender is the LSTM recommender.
type Recommender struct {
	p       *Params
	nets    [2]*Net
	cfg     recommend.Config
	win     forecast.Windower
	seq     int
	window  time.Duration
	samples int
	first   time.Time
	last    time.Time
	ready   bool
	pred    [2]float64 // raw predicted next-window peak
	margin  [2]float64
	floor   [2]float64
}

// New creates an LSTM recommender from trained parameters (nil: fallback).
func New(p *Params, cfg recommend.Config) *Recommender {
	r := &Recommender{p: p, cfg: cfg, seq: 24, window: time.Hour, margin: [2]float64{0.05, 0.1}, floor: [2]float64{10, 32 * model.MiB}}
	if p != nil {
		r.seq, r.window = p.Seq, p.Window
		for i, np := range []NetParams{p.CPU, p.Memory} {
			r.nets[i] = &Net{D: Features, H: p.Hidden, P: np.Weights}
			r.margin[i] = np.Margin
		}
	}
	r.win = forecast.Windower{Width: r.window, MaxGapFill: int(24 * time.Hour / r.window), Cap: 2 * r.seq, CPUOnly: cfg.CPUOnly}
	return r
}

// resources are the resources r predicts: CPU alone with cfg.CPUOnly (then
// memory is 0 in its recommendations and absent from Explain).
func (r *Recommender) resources() []model.Resource {
	if r.cfg.CPUOnly {
		return model.AllResources[:1]
	}
	return model.AllResources
}

// Name implements recommend.Recommender.
func (r *Recommender) Name() string { return "lstm" }

// AddSample implements recommend.Recommender.
func (r *Recommender) AddSample(s model.Sample) {
	if r.samples == 0 {
		r.first = s.Time
	}
	r.samples++
	r.last = s.Time
	if r.win.Add(s) {
		r.predict()
	}
}

func (r *Recommender) predict() {
	ws := r.win.Windows()
	if len(ws) < r.seq {
		return
	}
	for i := range r.resources() {
		if r.nets[i] == nil {
			var m float64
			for _, w := range ws[len(ws)-r.seq:] {
				m = math.Max(m, w.Peak[i])
			}
			r.pred[i] = m
			continue
		}
		xs, s := sequence(ws, i, len(ws), r.seq)
		r.pred[i] = math.Max(0, r.nets[i].Forward(xs, nil)*s)
	}
	r.ready = true
}

// AddOOM implements recommend.Recommender: the memory prediction rises to
// 20 % above the usage at the kill until the next window.
func (r *Recommender) AddOOM(e model.OOMEvent) {
	if r.cfg.CPUOnly {
		return
	}
	r.pred[1] = math.Max(r.pred[1], 1.2*math.Max(e.MemoryRequestBytes, e.MemoryUsageBytes))
}

// Recommend implements recommend.Recommender.
func (r *Recommender) Recommend(now time.Time) (model.Recommendation, bool) {
	if !r.ready {
		return model.Recommendation{}, false
	}
	cur, hasCur := r.win.Current()
	var rec model.Recommendation
	for i, res := range r.resources() {
		v := r.pred[i]
		if hasCur {
			v = math.Max(v, cur.Peak[i])
		}
		tg := math.Max(v, r.floor[i]) * (1 + r.margin[i])
		rec.Lower = rec.Lower.Set(res, tg/(1+2*r.margin[i]))
		rec.Target = rec.Target.Set(res, tg)
		rec.Upper = rec.Upper.Set(res, tg*(1+2*r.margin[i]))
		rec.UncappedTarget = rec.UncappedTarget.Set(res, tg)
	}
	return forecast.ApplyPolicy(rec, r.cfg.Policy), true
}

// Explain implements recommend.Recommender.
func (r *Recommender) Explain(now time.Time) recommend.Explanation {
	ex := recommend.Explanation{Recommender: r.Name(), Resources: map[model.Resource]recommend.Evidence{}}
	if r.p == nil {
		ex.Notes = append(ex.Notes, "no trained model (no --model and no default model): using the peak of the last windows")
	}
	rec, ok := r.Recommend(now)
	if !ok {
		ex.Notes = append(ex.Notes, fmt.Sprintf("warming up: %d of %d windows of %s", len(r.win.Windows()), r.seq, r.window))
		return ex
	}
	for i, res := range r.resources() {
		ev := recommend.Evidence{
			SampleCount: float64(r.samples),
			HistorySpan: r.last.Sub(r.first),
			Confidence:  1,
			Margin:      r.margin[i],
			CapsApplied: forecast.PolicyCaps(rec, r.cfg.Policy, res),
		}
		q := 0.0
		if r.p != nil {
			q = []NetParams{r.p.CPU, r.p.Memory}[i].Quantile
			ev.TargetPercentile = q
		}
		ex.Resources[res] = ev
		ex.Notes = append(ex.Notes, fmt.Sprintf("%s: predicted p%.0f of the next %s peak %.4g from the last %d windows", res, 100*q, r.window, r.pred[i], r.seq))
	}
	return ex
}
