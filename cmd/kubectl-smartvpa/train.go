package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/core/recommend/smart/train"
	"github.com/smartvpa/smartvpa/core/sim"
	"github.com/smartvpa/smartvpa/core/updater"
	"github.com/smartvpa/smartvpa/workloads"
)

// TrainOptions holds the flags of `train`.
type TrainOptions struct {
	genericiooptions.IOStreams
	Recommender string
	Workloads   []string
	OutFile     string
	Seed        int64
	Holdout     int
	Store       string
	UpdateMode  string
	Workers     int
	ModelFile   string
	actuationFlags

	cmd  string
	refs []string
	env  sim.Options
}

func (c *cli) newTrainCmd() *cobra.Command {
	o := &TrainOptions{IOStreams: c.streams, Seed: 1, Holdout: 3, Store: workloads.DefaultStoreDir, UpdateMode: string(updater.ModeInPlaceOrRecreate), actuationFlags: defaultActuationFlags()}
	cmd := c.bind(&cobra.Command{
		Use:   "train --recommender bandit|lstm|autopilot|smart --workloads DIR|ID|PATH... --out FILE [--seed N]",
		Short: "Train a recommender's model on workloads and write a model file",
		Long: `Train the model of a learned recommender on workloads and write it as a
versioned model file (format smartvpa-model, version 1) holding the seed, a
hash and the ids of the training workloads, the ids held out for validation,
and validation figures against vpa.

  lstm       LSTM predicting the next hour's peak quantile (pinball loss, Adam)
  bandit     contextual bandit (one-step, no sequential planning) trained in the simulator
  autopilot  sweep of the ML recommender's cost weights in the simulator
  smart      sweep of its CPU weight per profile and its memory planning in the simulator

Every --holdout-th workload (in the order given, a store folder sorted by id)
is held out: it never shapes the model and is only scored. The same workloads
and seed give the same bytes. Pass the file to simulate or backtest with
--model FILE; without --model they use the default models built into the
binary (make models rebuilds them). Epochs and losses show on a progress line
when stderr is a terminal.`,
		Example: `  kubectl smartvpa train --recommender lstm --workloads data/workloads --out models/lstm.json
  kubectl smartvpa train --recommender bandit --workloads /tmp/wl --out /tmp/bandit.json --seed 7 --holdout 4
  kubectl smartvpa backtest --workloads /tmp/wl --recommenders bandit,vpa --model /tmp/bandit.json`,
	}, o)
	f := cmd.Flags()
	f.StringVar(&o.Recommender, "recommender", "", "recommender to train: "+strings.Join(train.Recommenders, ", ")+" (required)")
	f.StringSliceVar(&o.Workloads, "workloads", nil, "store folder, workload ids, workload folders or trace.csv files (required)")
	f.StringVar(&o.OutFile, "out", "", "model file to write, e.g. models/lstm.json (required)")
	f.Int64Var(&o.Seed, "seed", o.Seed, "random seed; the same seed and workloads give the same bytes")
	f.IntVar(&o.Holdout, "holdout", o.Holdout, "hold out every N-th workload for validation (0: none)")
	f.StringVar(&o.Store, "store", o.Store, "workload store folder where workload ids are looked up")
	f.StringVar(&o.UpdateMode, "update-mode", o.UpdateMode, "simulator update mode of sweeps, episodes and validation")
	f.IntVar(&o.Workers, "workers", 0, "simulations run at once in sweeps (default GOMAXPROCS)")
	f.StringVar(&o.ModelFile, "model", "", "folder of model files (NAME.json) the trained recommender's candidates use in sweeps and validation (default: the built-in models)")
	o.actuationFlags.addFlags(f)
	_ = cmd.RegisterFlagCompletionFunc("recommender", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return train.Recommenders, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Complete takes workloads listed after the flags as more workloads.
func (o *TrainOptions) Complete(cmd *cobra.Command, args []string) error {
	o.cmd = cmd.CommandPath()
	o.Workloads = append(o.Workloads, args...)
	return nil
}

// Validate checks the flags and expands store folders.
func (o *TrainOptions) Validate() error {
	known := false
	for _, r := range train.Recommenders {
		known = known || r == o.Recommender
	}
	switch {
	case o.Recommender == "":
		return usageErrorf(o.cmd, "--recommender is required: choose one of %s", strings.Join(train.Recommenders, ", "))
	case !known:
		return usageErrorf(o.cmd, "cannot train %q: choose one of %s", o.Recommender, strings.Join(train.Recommenders, ", "))
	case len(o.Workloads) == 0:
		return usageErrorf(o.cmd, "--workloads is required: give a workload store folder, workload ids or trace files")
	case o.OutFile == "":
		return usageErrorf(o.cmd, "--out is required: name the model file to write, e.g. models/%s.json", o.Recommender)
	case o.Holdout < 0 || o.Holdout == 1:
		return usageErrorf(o.cmd, "--holdout %d would leave no training workloads: use 0 (none) or 2 or more", o.Holdout)
	case o.Workers < 0:
		return usageErrorf(o.cmd, "--workers %d is negative: use 0 (GOMAXPROCS) or more", o.Workers)
	}
	mode, err := updater.ParseMode(o.UpdateMode)
	if err != nil {
		return usageErrorf(o.cmd, "%s", err.Error())
	}
	o.env = sim.DefaultOptions()
	o.env.Updater.Mode = mode
	o.actuationFlags.apply(&o.env)
	if err := o.env.Validate(); err != nil {
		return usageErrorf(o.cmd, "%s", err.Error())
	}
	if o.ModelFile != "" {
		if _, err := os.Stat(o.ModelFile); err != nil {
			return inputError(fmt.Errorf("model folder: %w: give a folder of model files or leave --model out", err))
		}
	}
	o.refs = nil
	for _, ref := range o.Workloads {
		refs, err := expandWorkloadRef(ref)
		if err != nil {
			return err
		}
		o.refs = append(o.refs, refs...)
	}
	if len(o.refs) == 0 {
		return inputError(fmt.Errorf("no workloads in %s: generate some with 'kubectl smartvpa workload generate'", strings.Join(o.Workloads, ", ")))
	}
	return nil
}

func (o *TrainOptions) load() ([]sim.Workload, error) {
	ws := make([]sim.Workload, 0, len(o.refs))
	for _, ref := range o.refs {
		var t *workloads.Trace
		var err error
		if _, statErr := os.Stat(ref); statErr == nil {
			t, err = workloads.LoadPath(ref)
		} else if idErr := workloads.ValidateID(ref); idErr != nil {
			return nil, inputError(fmt.Errorf("workload %q is neither a file nor a folder nor a workload id: %w", ref, idErr))
		} else {
			t, err = workloads.OpenStore(o.Store).Load(ref)
		}
		if err != nil {
			return nil, inputError(fmt.Errorf("workload %s: %w", ref, err))
		}
		ws = append(ws, *simWorkload(t))
	}
	return ws, nil
}

// Run trains and writes the model file.
func (o *TrainOptions) Run(ctx context.Context) error {
	ws, err := o.load()
	if err != nil {
		return err
	}
	progress := newProgressBar(o.ErrOut, "training", 0, nil) // epochs and losses, as lines
	topts := train.Options{Seed: o.Seed, Holdout: o.Holdout, Env: o.env, Workers: o.Workers, Progress: progress.Line, ModelFile: o.ModelFile}
	if topts.Workers == 0 {
		topts.Workers = runtime.GOMAXPROCS(0)
	}
	f, err := train.Train(ctx, o.Recommender, ws, topts)
	progress.Done()
	if err != nil {
		return inputError(fmt.Errorf("train %s: %w", o.Recommender, err))
	}
	if dir := filepath.Dir(o.OutFile); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return inputError(fmt.Errorf("create the folder of %s: %w", o.OutFile, err))
		}
	}
	if err := f.WriteFile(o.OutFile); err != nil {
		return inputError(err)
	}
	fmt.Fprintf(o.Out, "trained %s on %d workloads (%d held out for validation), seed %d, training set %s: wrote %s\n",
		o.Recommender, len(f.TrainingSet.Workloads), len(f.TrainingSet.Validation), o.Seed, f.TrainingSet.Hash[:19], o.OutFile)
	return nil
}
