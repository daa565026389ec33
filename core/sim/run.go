package sim

import (
	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// Result is the outcome of one run: the metrics (flattened into the JSON
// object) and the recommender's last recommendation.
type Result struct {
	Workload    string `json:"workload"`
	Recommender string `json:"recommender"`
	// Dataset is the workload's dataset (Workload.Dataset); Degenerate is
	// true when its memory reads 0 in more than half of its samples.
	Dataset    string `json:"dataset,omitempty"`
	Degenerate bool   `json:"degenerate"`
	Metrics
	// LastRecommendation is the recommender's last answer, nil if it never
	// gave one. It is left out of the JSON: `simulate -o json` prints it per
	// resource.
	LastRecommendation *model.Recommendation `json:"-"`
}

// StepRecord is one step of a run, for trajectories.
type StepRecord struct {
	Observation Observation
	Info        Info
	Reward      float64
	// Action is the recommendation given to the step (zero for the first
	// sample, which Reset evaluates, and when the recommender had no answer).
	Action model.Recommendation
}

// Run replays workload w against recommender r with options opts and returns
// the result. Each step it feeds the last observed sample (and an OOM event
// when the container was killed) to r, asks r.Recommend at that sample's time
// and steps the environment with the answer.
func Run(w *Workload, r recommend.Recommender, opts Options) (Result, error) {
	return RunSteps(w, r, opts, 0, nil)
}

// RunSteps is Run with the environment seeded by seed and onStep, when not
// nil, called after every step (the first with the Reset observation).
func RunSteps(w *Workload, r recommend.Recommender, opts Options, seed int64, onStep func(StepRecord)) (Result, error) {
	env, err := NewEnv(opts)
	if err != nil {
		return Result{}, err
	}
	return runEnv(env, w, r, seed, onStep)
}

func runEnv(env *Env, w *Workload, r recommend.Recommender, seed int64, onStep func(StepRecord)) (Result, error) {
	if _, _, err := env.Reset(w, seed); err != nil {
		return Result{}, err
	}
	var (
		// last is the last answer when action holds none (hasLast: any);
		// while the recommender answers, action is its last answer.
		last          model.Recommendation
		hasLast, live bool
		reward        float64
		action        model.Recommendation
	)
	obs, info := &env.obs, &env.info
	for {
		r.AddSample(obs.Sample())
		if info.OOM {
			r.AddOOM(info.OOMEvent)
		}
		if onStep != nil {
			onStep(StepRecord{Observation: *obs, Info: *info, Reward: reward, Action: action})
		}
		if env.Done() {
			break
		}
		var ok bool
		var rec model.Recommendation
		rec, ok = r.Recommend(obs.Time)
		switch {
		case ok:
			action = rec
			hasLast, live = true, true
		case live:
			last, live = action, false
			action = model.Recommendation{}
		default:
			action = model.Recommendation{}
		}
		var err error
		if reward, err = env.step(&action); err != nil {
			return Result{}, err
		}
	}
	res := Result{Workload: w.ID, Recommender: r.Name(), Dataset: w.Dataset, Degenerate: degenerate(env.scanned.zeroShare), Metrics: env.Metrics()}
	if live {
		last = action
	}
	if hasLast {
		res.LastRecommendation = &last
	}
	return res, nil
}
