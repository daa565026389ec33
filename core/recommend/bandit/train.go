package bandit

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/sim"
)

// TrainOptions configure training.
type TrainOptions struct {
	Epochs int
	// Epsilon is the exploration rate of the first epoch; it falls linearly
	// to EpsilonMin in the last.
	Epsilon, EpsilonMin float64
	// MinAlpha bounds the learning rate from below (1/N before that).
	MinAlpha float64
	// Env are the simulator options of the training episodes.
	Env sim.Options
}

// DefaultTrainOptions returns the defaults.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{Epochs: 6, Epsilon: 0.3, EpsilonMin: 0.05, MinAlpha: 0.02, Env: sim.DefaultOptions()}
}

// Progress receives a line per epoch: the mean reward per sample.
type Progress func(epoch, epochs int, meanReward float64)

// Train learns the agent's Q table by running episodes of the simulator on
// the workloads (training traces only) with epsilon-greedy exploration drawn
// from rng. The result depends only on the workloads, the options and rng.
func Train(ws []sim.Workload, o TrainOptions, rng *rand.Rand, progress Progress) (*Params, error) {
	if len(ws) == 0 {
		return nil, fmt.Errorf("bandit: no training workloads: give at least one")
	}
	p := DefaultParams()
	env, err := sim.NewEnv(o.Env)
	if err != nil {
		return nil, err
	}
	for ep := 0; ep < o.Epochs; ep++ {
		eps := o.Epsilon
		if o.Epochs > 1 {
			eps = o.Epsilon + (o.EpsilonMin-o.Epsilon)*float64(ep)/float64(o.Epochs-1)
		}
		var total float64
		var n int
		for i := range ws {
			r, k, err := episode(env, &ws[i], p, o, eps, rng)
			if err != nil {
				return nil, err
			}
			total += r
			n += k
		}
		if progress != nil {
			progress(ep+1, o.Epochs, total/math.Max(1, float64(n)))
		}
	}
	return p, nil
}

func episode(env *sim.Env, w *sim.Workload, p *Params, o TrainOptions, eps float64, rng *rand.Rand) (float64, int, error) {
	obs, info, err := env.Reset(w, 0)
	if err != nil {
		return 0, 0, err
	}
	a := newAgent(p, false)
	var (
		pending      bool
		ps, pa       int
		acc, total   float64
		nAcc, nTotal int
		reward       float64
		action       model.Recommendation
		stepErr      error
	)
	update := func() {
		if !pending || nAcc == 0 {
			return
		}
		p.N[ps][pa]++
		alpha := math.Max(1/float64(p.N[ps][pa]), o.MinAlpha)
		p.Q[ps][pa] += alpha * (acc/float64(nAcc) - p.Q[ps][pa])
	}
	for {
		closed := a.observe(obs.Sample())
		if info.OOM {
			a.oom(info.OOMEvent)
		}
		if closed {
			if st, ok := a.features(obs.Time); ok {
				update()
				act := p.Greedy(st)
				if rng.Float64() < eps {
					act = rng.IntN(p.NumActions())
				}
				a.decide(obs.Time, act)
				ps, pa, pending = st, act, true
				acc, nAcc = 0, 0
			}
		}
		if env.Done() {
			break
		}
		action = model.Recommendation{}
		if a.ready {
			action = a.recommendation()
		}
		obs, reward, _, info, stepErr = env.Step(action)
		if stepErr != nil {
			return 0, 0, stepErr
		}
		if !info.Warmup && pending {
			if info.OverRequest {
				reward -= p.OverRequestPenalty
			}
			acc += reward
			nAcc++
			total += reward
			nTotal++
		}
	}
	update()
	return total, nTotal, nil
}
