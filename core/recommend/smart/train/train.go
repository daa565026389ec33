// Package train trains the models of the learned recommenders (autopilot,
// lstm, bandit, smart) on workloads and wraps them in model files
// (core/recommend/modelfile) with the seed and a hash of the training set.
//
// Training is deterministic: the same workloads, seed and options give the
// same model bytes. Workloads are split into training and validation by
// index (every Holdout-th workload, counting from 1, is held out); only the
// training workloads shape the model, and the validation workloads are only
// scored, against vpa, into the file's metrics.
//
// The sweeps (autopilot, smart) choose hyper-parameters by the objective
// Objective, which mirrors the acceptance comparison with vpa on the training
// workloads: slack relative to vpa's, plus penalties for more CPU
// over-request, OOM kills and restarts than vpa.
package train

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend/bandit"
	"github.com/smartvpa/smartvpa/core/recommend/forecast"
	"github.com/smartvpa/smartvpa/core/recommend/lstm"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
	_ "github.com/smartvpa/smartvpa/core/recommend/vpa" // the baseline
	"github.com/smartvpa/smartvpa/core/sim"
)

// Recommenders lists the recommenders Train can train.
var Recommenders = []string{"autopilot", "lstm", "bandit", "smart"}

// Options configure a training run.
type Options struct {
	Seed int64
	// Holdout holds out every Holdout-th workload for validation (0: none).
	Holdout int
	// Env are the simulator options of sweeps, RL episodes and validation.
	Env sim.Options
	// Workers runs that many simulations at once in sweeps (0: 1).
	Workers int
	// ModelFile is given to the recommenders the sweeps and validation
	// create (recommend.Config.ModelFile): a folder of model files makes
	// smart's candidates use them instead of the built-in models.
	ModelFile string
	// Quick shrinks epochs and grids (for tests).
	Quick bool
	// Progress receives progress lines ("epoch 3/8 loss 0.0123").
	Progress func(line string)
}

// Split returns the training and validation workloads of ws.
func Split(ws []sim.Workload, holdout int) (trainSet, validation []sim.Workload) {
	for i, w := range ws {
		if holdout > 0 && (i+1)%holdout == 0 {
			validation = append(validation, w)
		} else {
			trainSet = append(trainSet, w)
		}
	}
	return trainSet, validation
}

// Hash returns "sha256:" and the hex SHA-256 of the workloads' ids, initial
// requests and samples, in order.
func Hash(ws []sim.Workload) string {
	h := sha256.New()
	var b [8]byte
	put := func(f float64) {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(f))
		h.Write(b[:])
	}
	for _, w := range ws {
		h.Write([]byte(w.ID))
		h.Write([]byte{0})
		put(w.InitialRequest.CPUMillicores)
		put(w.InitialRequest.MemoryBytes)
		for _, s := range w.Samples {
			binary.LittleEndian.PutUint64(b[:], uint64(s.Time.UnixNano()))
			h.Write(b[:])
			put(s.CPUMillicores)
			put(s.MemoryBytes)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func ids(ws []sim.Workload) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.ID
	}
	sort.Strings(out)
	return out
}

// Train trains recommender name on ws and returns its model file.
func Train(ctx context.Context, name string, ws []sim.Workload, o Options) (*modelfile.File, error) {
	trainSet, validation := Split(ws, o.Holdout)
	if len(trainSet) == 0 {
		return nil, fmt.Errorf("no training workloads left after holding out every %d-th: give more workloads or a larger --holdout", o.Holdout)
	}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x736d61727476))
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	var params any
	var err error
	switch name {
	case "lstm":
		params, err = trainLSTM(trainSet, o, rng, progress)
	case "bandit":
		params, err = trainRL(trainSet, o, rng, progress)
	case "autopilot":
		params, err = sweepAutopilot(ctx, trainSet, o, progress)
	case "smart":
		params, err = sweepSmart(ctx, trainSet, o, progress)
	default:
		return nil, fmt.Errorf("cannot train %q: choose one of autopilot, lstm, bandit, smart", name)
	}
	if err != nil {
		return nil, err
	}
	f, err := modelfile.New(name, o.Seed, modelfile.TrainingSet{Hash: Hash(trainSet), Workloads: ids(trainSet), Validation: ids(validation)}, params)
	if err != nil {
		return nil, err
	}
	if len(validation) > 0 {
		m, err := validate(ctx, name, params, validation, o)
		if err != nil {
			return nil, err
		}
		f.Metrics = m
	}
	return f, nil
}

func windows(ws []sim.Workload, width time.Duration) [][]forecast.Window {
	var out [][]forecast.Window
	for _, w := range ws {
		win := forecast.Windower{Width: width, MaxGapFill: int(24 * time.Hour / width)}
		for _, s := range w.Samples {
			win.Add(s)
		}
		out = append(out, win.Windows())
	}
	return out
}

func trainLSTM(ws []sim.Workload, o Options, rng *rand.Rand, progress func(string)) (any, error) {
	to := lstm.DefaultTrainOptions()
	if o.Quick {
		to.Epochs, to.Hidden, to.MaxExamples = 2, 4, 200
	}
	return lstm.Train(windows(ws, to.Window), to, rng, func(res string, ep, eps int, loss float64) {
		progress(fmt.Sprintf("lstm %s epoch %d/%d pinball loss %.5f", res, ep, eps, loss))
	})
}

func trainRL(ws []sim.Workload, o Options, rng *rand.Rand, progress func(string)) (any, error) {
	to := bandit.DefaultTrainOptions()
	to.Env = o.Env
	if o.Quick {
		to.Epochs = 2
	}
	return bandit.Train(ws, to, rng, func(ep, eps int, r float64) {
		progress(fmt.Sprintf("bandit epoch %d/%d mean reward per sample %.5f", ep, eps, r))
	})
}
