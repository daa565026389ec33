package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/smartvpa/smartvpa/core/sim"
)

// actuationFlags are the simulator's actuation flags, the same on simulate,
// backtest and train: every recommender plays by these rules.
type actuationFlags struct {
	ResizeDelay       time.Duration
	RestartDowntime   time.Duration
	MinUpdateInterval time.Duration
	UpdateCost        float64
}

func defaultActuationFlags() actuationFlags {
	return actuationFlags{
		ResizeDelay:     sim.DefaultResizeDelay,
		RestartDowntime: sim.DefaultRestartDowntime,
		UpdateCost:      sim.DefaultUpdateCost,
	}
}

func (a *actuationFlags) addFlags(f *pflag.FlagSet) {
	f.Var(durationFlag{&a.ResizeDelay}, "resize-delay", "time an in-place resize takes to apply; the updater waits for it")
	f.Var(durationFlag{&a.RestartDowntime}, "restart-downtime", "time a restarted container (eviction, rollout, OOM kill) serves nothing; its CPU demand counts as unserved")
	f.Var(durationFlag{&a.MinUpdateInterval}, "min-update-interval", "update budget: no update sooner than this after the last, except a memory increase after an OOM kill (0: upstream rules only; d and w allowed)")
	f.Float64Var(&a.UpdateCost, "update-cost", a.UpdateCost, "reward cost of an in-place update (a restart costs 10); training optimises it too")
}

// apply sets the actuation options of o (validated by o.Validate).
func (a *actuationFlags) apply(o *sim.Options) {
	o.ResizeDelay = a.ResizeDelay
	o.RestartDowntime = a.RestartDowntime
	o.MinUpdateInterval = a.MinUpdateInterval
	o.Weights.Update = a.UpdateCost
}
