package rl

import (
	"fmt"
	"sync"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/forecast"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

// Name is the registry name.
const Name = "rl"

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
	if err := p.validate(); err != nil {
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

func (p *Params) validate() error {
	if p.Window <= 0 || len(p.CPUMultipliers) == 0 || len(p.MemoryMultipliers) == 0 || len(p.Q) != NumStates || len(p.N) != NumStates {
		return fmt.Errorf("rl model has an invalid shape (window %s, %d x %d actions, %d states): %w", p.Window, len(p.CPUMultipliers), len(p.MemoryMultipliers), len(p.Q), modelfile.ErrInvalid)
	}
	for s := range p.Q {
		if len(p.Q[s]) != p.NumActions() || len(p.N[s]) != p.NumActions() {
			return fmt.Errorf("rl model state %d has %d actions, want %d: %w", s, len(p.Q[s]), p.NumActions(), modelfile.ErrInvalid)
		}
	}
	return nil
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
