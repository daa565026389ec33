package bandit

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

// Name is the registry name.
const Name = "bandit"

// LoadParams returns the agent of the model file at path, of the default
// model when path is empty and one is registered, else an untrained agent.
func LoadParams(path string) (*Params, bool, error) {
	f, err := modelfile.Resolve(path, Name)
	if err != nil {
		return nil, false, err
	}
	if f == nil {
		return DefaultParams(), false, nil
	}
	p := new(Params)
	if err := f.DecodeParams(p); err != nil {
		return nil, false, err
	}
	c := f.Check()
	p.Check(c)
	if err := c.Err(); err != nil {
		return nil, false, err
	}
	return p, true, nil
}

// decoded holds the agents of the model files loaded by the registry so far,
// by checksum: a recommender per container (serve, recommend -A) then neither
// decodes the file again nor holds a copy of the Q table of its own. The
// Recommender only reads its Params (LoadParams still returns a fresh copy,
// which training may change).
var decoded sync.Map

func loadShared(path string) (*Params, bool, error) {
	f, err := modelfile.Resolve(path, Name)
	if err != nil || f == nil {
		return LoadParams(path)
	}
	if p, ok := decoded.Load(f.Checksum); ok {
		return p.(*Params), true, nil
	}
	p, trained, err := LoadParams(path)
	if err == nil && trained {
		decoded.Store(f.Checksum, p)
	}
	return p, trained, err
}

// Check range-checks p (the fields of a model file's "params"): the window
// and the multipliers in ranges that give positive, finite requests, and a
// Q table of NumStates x actions finite values.
func (p *Params) Check(c *modelfile.Checker) {
	c.Duration("window", p.Window, time.Minute, 24*time.Hour)
	c.Floats("cpuMultipliers", p.CPUMultipliers, 1, 64, 0.01, 100)
	c.Floats("memoryMultipliers", p.MemoryMultipliers, 1, 64, 0.01, 100)
	c.Duration("memoryDecreaseGap", p.MemoryDecreaseGap, 0, 365*24*time.Hour)
	c.Float("overRequestPenalty", p.OverRequestPenalty, 0, 1e6)
	c.Len("q", len(p.Q), NumStates, NumStates)
	c.Len("n", len(p.N), NumStates, NumStates)
	if c.Err() != nil {
		return
	}
	for s := range p.Q {
		c.Floats(fmt.Sprintf("q[%d]", s), p.Q[s], p.NumActions(), p.NumActions(), -math.MaxFloat64, math.MaxFloat64)
		c.Len(fmt.Sprintf("n[%d]", s), len(p.N[s]), p.NumActions(), p.NumActions())
		for a, n := range p.N[s] {
			c.Int(fmt.Sprintf("n[%d][%d]", s, a), n, 0, math.MaxInt)
		}
	}
}

func init() {
	recommend.Register(Name, func(cfg recommend.Config) (recommend.Recommender, error) {
		p, trained, err := loadShared(cfg.ModelFile)
		if err != nil {
			return nil, err
		}
		return &Recommender{a: newAgent(p, cfg.CPUOnly), cfg: cfg, trained: trained}, nil
	})
}

// Recommender acts greedily with a trained agent.
type Recommender struct {
	a       *agent
	cfg     recommend.Config
	trained bool
	samples int
	first   time.Time
	last    time.Time
}

// New returns a greedy recommender for trained parameters p.
func New(p *Params, cfg recommend.Config) *Recommender {
	return &Recommender{a: newAgent(p, cfg.CPUOnly), cfg: cfg, trained: true}
}

// Name implements recommend.Recommender.
func (r *Recommender) Name() string { return Name }

// AddSample implements recommend.Recommender.
func (r *Recommender) AddSample(s model.Sample) {
	if r.samples == 0 {
		r.first = s.Time
	}
	r.samples++
	r.last = s.Time
	if r.a.observe(s) {
		if st, ok := r.a.features(s.Time); ok {
			r.a.state = st
			r.a.decide(s.Time, r.a.p.Greedy(st))
		}
	}
}

// AddOOM implements recommend.Recommender.
func (r *Recommender) AddOOM(e model.OOMEvent) { r.a.oom(e) }

// Recommend implements recommend.Recommender.
func (r *Recommender) Recommend(now time.Time) (model.Recommendation, bool) {
	if !r.a.ready {
		return model.Recommendation{}, false
	}
	return forecast.ApplyPolicy(r.a.recommendation(), r.cfg.Policy), true
}

// Explain implements recommend.Recommender.
func (r *Recommender) Explain(now time.Time) recommend.Explanation {
	ex := recommend.Explanation{Recommender: Name, Resources: map[model.Resource]recommend.Evidence{}}
	if !r.trained {
		ex.Notes = append(ex.Notes, "no trained model (no --model and no default model): the agent takes the most conservative action")
	}
	if !r.a.ready {
		ex.Notes = append(ex.Notes, fmt.Sprintf("warming up: need two %s windows", r.a.p.Window))
		return ex
	}
	p := r.a.p
	nm := len(p.MemoryMultipliers)
	rec, _ := r.Recommend(now)
	for _, res := range model.AllResources {
		ex.Resources[res] = recommend.Evidence{
			SampleCount: float64(r.samples),
			HistorySpan: r.last.Sub(r.first),
			Confidence:  float64(min(p.N[r.a.state][r.a.action], 100)) / 100,
			CapsApplied: forecast.PolicyCaps(rec, r.cfg.Policy, res),
		}
	}
	ex.Notes = append(ex.Notes, fmt.Sprintf("state %d, action cpu x%.2f of the last %s peak, memory x%.2f of the day's peak (Q %.4g from %d updates)",
		r.a.state, p.CPUMultipliers[r.a.action/nm], p.Window, p.MemoryMultipliers[r.a.action%nm], p.Q[r.a.state][r.a.action], p.N[r.a.state][r.a.action]))
	return ex
}
