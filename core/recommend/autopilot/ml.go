package autopilot

import (
	"fmt"
	"math"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/forecast"
)

// MLResource holds the hyper-parameters of the ML recommender for one
// resource (the paper's w_o, w_u, w_ΔL, w_Δm, the model grid and the decay of
// the model cost).
type MLResource struct {
	// HalfLives are the decays d_m of the models, as half-lives.
	HalfLives []time.Duration `json:"halfLives"`
	// Margins are the safety margins M_m of the models, as fractions.
	Margins []float64 `json:"margins"`
	// WOverrun, WUnderrun, WChangeLimit and WChangeModel weigh overrun,
	// underrun, a change of limit and a change of model.
	WOverrun     float64 `json:"wOverrun"`
	WUnderrun    float64 `json:"wUnderrun"`
	WChangeLimit float64 `json:"wChangeLimit"`
	WChangeModel float64 `json:"wChangeModel"`
	// CostHalfLife is the decay of the models' costs (equation 8).
	CostHalfLife time.Duration `json:"costHalfLife"`
	Floor        float64       `json:"floor"`
}

// MLOptions configure the ML recommender.
type MLOptions struct {
	CPU    MLResource `json:"cpu"`
	Memory MLResource `json:"memory"`
	// Step is the length of one decision step; samples of a step form one
	// histogram s[t].
	Step time.Duration `json:"step"`
	// MinSteps is the number of steps before the first recommendation.
	MinSteps int `json:"minSteps"`
}

// DefaultMLOptions returns defaults chosen by a sweep on the training traces
// (see docs/quality.md); the paper publishes none.
func DefaultMLOptions() MLOptions {
	hl := []time.Duration{2 * time.Hour, 12 * time.Hour, 48 * time.Hour}
	return MLOptions{
		CPU: MLResource{HalfLives: hl, Margins: []float64{0, 0.05, 0.1, 0.2, 0.4},
			WOverrun: 20, WUnderrun: 1, WChangeLimit: 0.05, WChangeModel: 0.5, CostHalfLife: 24 * time.Hour, Floor: 10},
		Memory: MLResource{HalfLives: hl, Margins: []float64{0.05, 0.1, 0.2, 0.4},
			WOverrun: 100, WUnderrun: 1, WChangeLimit: 0.5, WChangeModel: 2, CostHalfLife: 48 * time.Hour, Floor: 32 * model.MiB},
		Step:     5 * time.Minute,
		MinSteps: 12,
	}
}

// mlResource is the state of equations 4-9 for one resource.
type mlResource struct {
	opt MLResource
	g   grid
	d   []float64 // per decay: d = 1 - 2^(-step/halfLife)
	// Per decay, the decayed overrun and underrun of the candidate limits,
	// stored only where they can differ from limit to limit. Every limit
	// below low has been under every sample so far: its overrun has had
	// the same history (oLow[di]) and its underrun is 0. Every limit from
	// high up has been at or over every sample: its overrun is 0. So o[di]
	// holds limits low to high-1 (o[di][j-low]) and u[di] limits low to
	// g.n-1. Serve keeps one recommender per container, and a container's
	// usage spans a fraction of the grid. Before the first step, low = g.n
	// and high = 0: nothing is stored, every value is 0.
	low, high int
	oLow      []float64
	o, u      [][]float64
	lp        []int // per decay: L'_d[t] as a bucket index (-1 before the first)
	// per model (decay index x margin index)
	lim    []float64 // L_m[t]
	cost   []float64 // c_m[t]
	chosen int       // m[t]
	limit  float64   // L[t]
	lower  float64
	steps  int
	// best and bestCost are step's per-decay arg-min (len(d) each: the
	// step's overrun and underrun per limit are not kept, see step).
	best     []int
	bestCost []float64
}

func newMLResource(o MLResource, g grid, step time.Duration) *mlResource {
	nd := len(o.HalfLives)
	r := &mlResource{opt: o, g: g, chosen: -1, low: g.n, high: 0, oLow: make([]float64, nd), o: make([][]float64, nd), u: make([][]float64, nd)}
	for _, hl := range o.HalfLives {
		r.d = append(r.d, 1-math.Exp2(-step.Seconds()/hl.Seconds()))
		r.lp = append(r.lp, -1)
	}
	nm := len(o.HalfLives) * len(o.Margins)
	r.lim = make([]float64, nm)
	r.cost = make([]float64, nm)
	r.best = make([]int, len(o.HalfLives))
	r.bestCost = make([]float64, len(o.HalfLives))
	return r
}

// widen stores the limits from low (at most r.low) and the overruns up to
// high (at least r.high), with the values they have had.
func (r *mlResource) widen(low, high int) {
	low, high = min(low, r.low), max(high, r.high)
	if low == r.low && high == r.high {
		return
	}
	for di := range r.o {
		o := make([]float64, high-low)
		u := make([]float64, r.g.n-low)
		for j := low; j < high; j++ {
			switch {
			case j < r.low:
				o[j-low] = r.oLow[di] // and u stays 0
			case j < r.high:
				o[j-low] = r.o[di][j-r.low]
			} // else: an overrun of 0
		}
		copy(u[r.low-low:], r.u[di])
		r.o[di], r.u[di] = o, u
	}
	r.low, r.high = low, high
}

// step consumes the samples of one step (equations 4 to 9).
func (r *mlResource) step(xs []float64, stepSeconds float64) {
	if len(xs) == 0 {
		return
	}
	n := float64(len(xs))
	// Score the limits that were in force during this step (the honest cost
	// of each model), then update the models.
	cd := 1 - math.Exp2(-stepSeconds/r.opt.CostHalfLife.Seconds())
	nMargins := len(r.opt.Margins)
	if r.steps > 0 {
		for m := range r.lim {
			var ov, un float64
			L := r.lim[m]
			for _, x := range xs {
				if x > L {
					ov++
				} else {
					un += (L - x) / L
				}
			}
			c := r.opt.WOverrun*ov/n + r.opt.WUnderrun*un/n
			r.cost[m] = (1-cd)*r.cost[m] + cd*c
		}
	}
	// This step's overrun (share of samples above L) and underrun (mean
	// relative slack below L) for every candidate limit L = edge(j+1),
	// folded into every decay's history at once, so that they need no
	// array of their own. Each decay still meets the limits in increasing
	// order, so its arg-min, ties included, is the same.
	//
	// The k lowest limits are under every sample of this step: their
	// overrun is n/n = 1 and their underrun 0 without a pass over xs. The
	// limits from K up are at or over every sample: their overrun is 0.
	k, K := r.g.n, 0
	for _, x := range xs {
		j := r.g.under(x)
		k, K = min(k, j), max(K, j)
	}
	r.widen(max(0, k-spare), min(r.g.n, K+spare))
	for di, d := range r.d {
		r.oLow[di] = (1-d)*r.oLow[di] + d*1 // an overrun of 1, as below
		r.best[di], r.bestCost[di] = 0, math.Inf(1)
	}
	for j := 0; j < r.g.n; j++ {
		ovj, unj := 1.0, 0.0
		if j >= k {
			L := r.g.edge(j + 1)
			var ov, un float64
			for _, x := range xs {
				if x > L {
					ov++
				} else {
					un += (L - x) / L
				}
			}
			ovj, unj = ov/n, un/n
		}
		for di, d := range r.d {
			oj, uj := r.oLow[di], 0.0
			if j >= r.low {
				i := j - r.low
				u := r.u[di]
				u[i] = (1-d)*u[i] + d*unj
				oj, uj = 0, u[i]
				if j < r.high {
					o := r.o[di]
					o[i] = (1-d)*o[i] + d*ovj
					oj = o[i]
				}
			}
			c := r.opt.WOverrun*oj + r.opt.WUnderrun*uj
			if r.lp[di] >= 0 && j != r.lp[di] {
				c += r.opt.WChangeLimit
			}
			if c < r.bestCost[di] {
				r.best[di], r.bestCost[di] = j, c
			}
		}
	}
	for di, best := range r.best {
		r.lp[di] = best
		base := math.Max(r.g.edge(best+1), r.opt.Floor)
		for mi, M := range r.opt.Margins {
			r.lim[di*nMargins+mi] = base * (1 + M)
		}
	}
	// Equation 9: the model with the least cost plus switching penalties.
	if r.steps > 0 {
		best, bestCost := 0, math.Inf(1)
		for m := range r.lim {
			c := r.cost[m]
			if r.chosen >= 0 && m != r.chosen {
				c += r.opt.WChangeModel * cd
			}
			if r.limit > 0 && r.lim[m] != r.limit {
				c += r.opt.WChangeLimit * cd
			}
			if c < bestCost {
				best, bestCost = m, c
			}
		}
		r.chosen = best
	} else {
		r.chosen = len(r.lim) - 1 // the most conservative model until costs exist
		if len(r.opt.Margins) > 1 {
			r.chosen = (len(r.opt.HalfLives)-1)*nMargins + nMargins/2
		}
	}
	r.limit = r.lim[r.chosen]
	r.lower = math.Max(r.g.edge(r.lp[r.chosen/nMargins]+1), r.opt.Floor)
	r.steps++
}

// ML is the Autopilot ML recommender: an ensemble of arg-min models over
// (decay, margin) choosing by decayed cost with switching penalties.
type ML struct {
	opt     MLOptions
	cfg     recommend.Config
	res     [2]*mlResource
	buf     [2][]float64
	stepAt  time.Time
	first   time.Time
	last    time.Time
	samples int
}

// NewML creates an ML recommender. With cfg.CPUOnly it has no memory side
// (res[1] is nil): memory is 0 in its recommendations and absent from
// Explain.
func NewML(o MLOptions, cfg recommend.Config) *ML {
	m := &ML{opt: o, cfg: cfg}
	m.res[0] = newMLResource(o.CPU, newGrid(1, 1e7, 1.1), o.Step)
	if !cfg.CPUOnly {
		m.res[1] = newMLResource(o.Memory, newGrid(model.MiB, 1e13, 1.1), o.Step)
	}
	return m
}

// resources are the resources m recommends: CPU alone with cfg.CPUOnly.
func (m *ML) resources() []model.Resource {
	if m.res[1] == nil {
		return model.AllResources[:1]
	}
	return model.AllResources
}

func init() {
	recommend.Register("autopilot", func(cfg recommend.Config) (recommend.Recommender, error) {
		o, err := LoadOptions(cfg.ModelFile)
		if err != nil {
			return nil, err
		}
		return NewML(o, cfg), nil
	})
}

// Name implements recommend.Recommender.
func (m *ML) Name() string { return "autopilot" }

// AddSample implements recommend.Recommender.
func (m *ML) AddSample(s model.Sample) {
	if m.samples == 0 {
		m.first = s.Time
		m.stepAt = s.Time.Truncate(m.opt.Step)
	}
	m.samples++
	m.last = s.Time
	if st := s.Time.Truncate(m.opt.Step); st.After(m.stepAt) {
		m.flush()
		m.stepAt = st
	}
	m.buf[0] = append(m.buf[0], s.CPUMillicores)
	if m.res[1] != nil {
		m.buf[1] = append(m.buf[1], s.MemoryBytes)
	}
}

func (m *ML) flush() {
	for i := range m.resources() {
		m.res[i].step(m.buf[i], m.opt.Step.Seconds())
		m.buf[i] = m.buf[i][:0]
	}
}

// AddOOM implements recommend.Recommender: the OOM enters the memory history
// as a sample 20 % above the request at the kill, and the limit rises at once.
func (m *ML) AddOOM(e model.OOMEvent) {
	if m.res[1] == nil {
		return
	}
	v := 1.2 * math.Max(e.MemoryRequestBytes, e.MemoryUsageBytes)
	m.buf[1] = append(m.buf[1], v)
	r := m.res[1]
	if v > r.limit {
		r.limit = v
	}
}

// Recommend implements recommend.Recommender.
func (m *ML) Recommend(now time.Time) (model.Recommendation, bool) {
	if m.res[0].steps < m.opt.MinSteps {
		return model.Recommendation{}, false
	}
	var rec model.Recommendation
	for i, res := range m.resources() {
		r := m.res[i]
		tg := r.limit
		// The step being filled: never recommend below what it already used.
		for _, x := range m.buf[i] {
			tg = math.Max(tg, x)
		}
		M := r.opt.Margins[r.chosen%len(r.opt.Margins)]
		rec.Lower = rec.Lower.Set(res, math.Min(r.lower, tg))
		rec.Target = rec.Target.Set(res, tg)
		rec.Upper = rec.Upper.Set(res, tg*(1+math.Max(M, 0.1)))
		rec.UncappedTarget = rec.UncappedTarget.Set(res, tg)
	}
	return forecast.ApplyPolicy(rec, m.cfg.Policy), true
}

// Explain implements recommend.Recommender.
func (m *ML) Explain(now time.Time) recommend.Explanation {
	ex := recommend.Explanation{Recommender: m.Name(), Resources: map[model.Resource]recommend.Evidence{}}
	rec, ok := m.Recommend(now)
	if !ok {
		ex.Notes = []string{fmt.Sprintf("warming up: %d of %d steps of %s", m.res[0].steps, m.opt.MinSteps, m.opt.Step)}
		return ex
	}
	for i, res := range m.resources() {
		r := m.res[i]
		nM := len(r.opt.Margins)
		di, mi := r.chosen/nM, r.chosen%nM
		ex.Resources[res] = recommend.Evidence{
			SampleCount: float64(m.samples),
			HistorySpan: m.last.Sub(m.first),
			Confidence:  math.Min(1, m.last.Sub(m.first).Hours()/r.opt.CostHalfLife.Hours()),
			Margin:      r.opt.Margins[mi],
			CapsApplied: forecast.PolicyCaps(rec, m.cfg.Policy, res),
		}
		ex.Notes = append(ex.Notes, fmt.Sprintf("%s: model %d of %d (decay half-life %s, margin %.0f %%), decayed cost %.4g",
			res, r.chosen+1, len(r.lim), r.opt.HalfLives[di], 100*r.opt.Margins[mi], r.cost[r.chosen]))
	}
	return ex
}
