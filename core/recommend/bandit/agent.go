// Package bandit is a learned recommender: a contextual bandit
// (tabular Q-learning with a discount of 0) that, once per window (default one
// hour), picks multipliers on a base estimate per resource from a discretised
// state, and is trained in the simulator (core/sim) on training traces only.
//
// State (108 states): the last window's CPU peak relative to the day's peak
// (3 bins), the trend of the CPU peak over the last two windows (down, flat,
// up), whether an OOM kill happened in the last day, and the time of day of
// the coming window (6 bins of 4 hours).
//
// Action: a CPU multiplier on the last window's CPU peak and a memory
// multiplier on the peak memory of the last day (CPUMultipliers x
// MemoryMultipliers joint actions). Memory decreases are applied at most once
// per MemoryDecreaseGap, since each restarts the container.
//
// Reward: the simulator's reward (core/sim: slack, OOM kills, throttling,
// restarts) summed over the window, minus OverRequestPenalty per sample with
// CPU usage above the request (the simulator's reward has no such term, and
// without it the agent learns to request no CPU).
//
// It used to be called "rl"; with a discount of 0 it learns the best action
// for the coming window alone, not a sequence, so it is a contextual bandit
// and named so.
package bandit

import (
	"math"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend/forecast"
)

// Params are the trained agent: what the model file holds.
type Params struct {
	Window             time.Duration `json:"window"`
	CPUMultipliers     []float64     `json:"cpuMultipliers"`
	MemoryMultipliers  []float64     `json:"memoryMultipliers"`
	MemoryDecreaseGap  time.Duration `json:"memoryDecreaseGap"`
	OverRequestPenalty float64       `json:"overRequestPenalty"`
	// Q[state][action] is the mean reward per sample of an action in a state;
	// N counts the updates behind it.
	Q [][]float64 `json:"q"`
	N [][]int     `json:"n"`
}

// NumStates is the number of discrete states.
const NumStates = 3 * 3 * 2 * 6

// DefaultParams returns an untrained agent (all Q zero): it picks the first
// best action, the most conservative one by the order of the multipliers.
func DefaultParams() *Params {
	p := &Params{
		Window:             time.Hour,
		CPUMultipliers:     []float64{2, 1.5, 1.25, 1.1, 1},
		MemoryMultipliers:  []float64{1.5, 1.25, 1.1, 1.05},
		MemoryDecreaseGap:  24 * time.Hour,
		OverRequestPenalty: 2,
	}
	na := p.NumActions()
	p.Q = make([][]float64, NumStates)
	p.N = make([][]int, NumStates)
	for s := range p.Q {
		p.Q[s] = make([]float64, na)
		p.N[s] = make([]int, na)
	}
	return p
}

// NumActions is the number of joint actions.
func (p *Params) NumActions() int { return len(p.CPUMultipliers) * len(p.MemoryMultipliers) }

// Greedy returns the best action of state s (the first of equals; unvisited
// actions count as worse than any visited one).
func (p *Params) Greedy(s int) int {
	best, bestQ := 0, math.Inf(-1)
	for a, q := range p.Q[s] {
		if p.N[s][a] == 0 {
			q = math.Inf(-1)
		}
		if q > bestQ {
			best, bestQ = a, q
		}
	}
	return best
}

// agent is the per-container state shared by the recommender and training.
type agent struct {
	p *Params
	// cpuOnly: the memory target is not computed (memSet stays 0) and the
	// windows keep CPU only; OOM kills still enter the state.
	cpuOnly  bool
	win      forecast.Windower
	lastOOM  time.Time
	hasOOM   bool
	state    int
	action   int
	ready    bool
	cpu      float64
	memSet   float64
	lastDecr time.Time
}

func newAgent(p *Params, cpuOnly bool) *agent {
	return &agent{p: p, cpuOnly: cpuOnly, win: forecast.Windower{Width: p.Window, MaxGapFill: int(24 * time.Hour / p.Window), Cap: int(48 * time.Hour / p.Window), CPUOnly: cpuOnly}}
}

// observe feeds a sample; it reports whether a window closed (a decision is due).
func (a *agent) observe(s model.Sample) bool {
	return a.win.Add(s)
}

func (a *agent) oom(e model.OOMEvent) {
	a.lastOOM, a.hasOOM = e.Time, true
	if a.cpuOnly {
		return
	}
	bump := 1.2 * math.Max(e.MemoryRequestBytes, e.MemoryUsageBytes)
	if bump > a.memSet {
		a.memSet = bump
	}
}

// features computes the state at the end of the windows seen so far.
func (a *agent) features(now time.Time) (state int, ok bool) {
	ws := a.win.Windows()
	if len(ws) < 2 {
		return 0, false
	}
	day := int(24 * time.Hour / a.p.Window)
	var dayPeak float64
	for _, w := range ws[max(0, len(ws)-day):] {
		dayPeak = math.Max(dayPeak, w.Peak[0])
	}
	last, prev := ws[len(ws)-1].Peak[0], ws[len(ws)-2].Peak[0]
	ratio := 2
	if dayPeak > 0 {
		switch r := last / dayPeak; {
		case r < 0.33:
			ratio = 0
		case r < 0.66:
			ratio = 1
		}
	}
	trend := 1
	switch {
	case last < 0.9*prev:
		trend = 0
	case last > 1.1*prev:
		trend = 2
	}
	oom := 0
	if a.hasOOM && now.Sub(a.lastOOM) < 24*time.Hour {
		oom = 1
	}
	next := ws[len(ws)-1].Start.Add(2 * a.p.Window)
	tod := next.Hour() / 4
	return ((ratio*3+trend)*2+oom)*6 + tod, true
}

// decide sets the action for the coming window and the targets it implies.
func (a *agent) decide(now time.Time, action int) {
	ws := a.win.Windows()
	nm := len(a.p.MemoryMultipliers)
	a.action = action
	a.cpu = math.Max(10, ws[len(ws)-1].Peak[0]*a.p.CPUMultipliers[action/nm])
	a.ready = true
	if a.cpuOnly {
		return
	}
	day := int(24 * time.Hour / a.p.Window)
	var memPeak float64
	for _, w := range ws[max(0, len(ws)-day):] {
		memPeak = math.Max(memPeak, w.Peak[1])
	}
	want := math.Max(32*model.MiB, memPeak*a.p.MemoryMultipliers[action%nm])
	switch {
	case want > a.memSet:
		a.memSet = want
	case want < a.memSet/1.1 && now.Sub(a.lastDecr) >= a.p.MemoryDecreaseGap:
		a.memSet = want
		a.lastDecr = now
	}
}

func (a *agent) recommendation() model.Recommendation {
	cpu := model.Resources{CPUMillicores: a.cpu, MemoryBytes: a.memSet}
	return model.Recommendation{
		Lower:          model.Resources{CPUMillicores: a.cpu / 1.05, MemoryBytes: a.memSet},
		Target:         cpu,
		Upper:          model.Resources{CPUMillicores: a.cpu * 1.05, MemoryBytes: a.memSet},
		UncappedTarget: cpu,
	}
}
