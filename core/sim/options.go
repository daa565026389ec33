package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/updater"
)

// Options configure the environment. Start from DefaultOptions: the zero
// value means no warm-up, no memory limit and zero reward weights.
type Options struct {
	// Warmup is how long from the first sample the request stays at the
	// initial request and samples are left out of the metrics (default 24 h).
	Warmup time.Duration
	// MeasureFor, when positive, ends an episode that long after the warm-up:
	// only the samples of the trace's first Warmup + Duration are run, for
	// example a container's first day (0: to the end of the trace).
	MeasureFor time.Duration
	// Updater is the updater policy; its Mode is the update mode (default
	// in-place-or-recreate).
	Updater updater.Policy
	// ContainerPolicy is the container's resource policy given to the
	// updater (which resources and values an update controls).
	ContainerPolicy model.ContainerPolicy
	// MemoryLimitRatio is the memory limit / memory request (default 1; 0 =
	// no memory limit, so no OOM kills). At least 1 when set.
	MemoryLimitRatio float64
	// CPULimitRatio is the CPU limit / CPU request (default 0 = no CPU limit).
	// At least 1 when set.
	CPULimitRatio float64
	// Weights weigh the reward terms (default DefaultWeights).
	Weights Weights
	// OracleWindow is the oracle's window (default 24 h).
	OracleWindow time.Duration
	// OracleQuantile is the quantile of a window's CPU usage the oracle
	// requests (default 0 and 1 both mean the peak); memory is always the
	// window's peak.
	OracleQuantile float64

	// ResizeDelay is how long an in-place resize takes to apply after the
	// updater decides it (the kubelet applies it asynchronously; default
	// 1m). While a resize is pending the updater is not consulted.
	ResizeDelay time.Duration
	// RestartDowntime is how long a restarted container serves nothing:
	// after an eviction or rollout and after an OOM kill (default 30s). Its
	// CPU demand is counted as unserved and it starts with empty memory.
	RestartDowntime time.Duration
	// MinUpdateInterval is the update budget: no update sooner than this
	// after the previous one, except a memory increase after an OOM kill
	// (default 0: the updater's upstream rules only).
	MinUpdateInterval time.Duration
}

// Actuation defaults.
const (
	DefaultResizeDelay     = time.Minute
	DefaultRestartDowntime = 30 * time.Second
)

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{
		Warmup:           DefaultWarmup,
		Updater:          updater.DefaultPolicy(),
		MemoryLimitRatio: 1,
		Weights:          DefaultWeights,
		OracleWindow:     DefaultOracleWindow,
		ResizeDelay:      DefaultResizeDelay,
		RestartDowntime:  DefaultRestartDowntime,
	}
}

// Validate reports the first invalid option.
func (o Options) Validate() error {
	if o.Warmup < 0 {
		return fmt.Errorf("warm-up %s is negative: use 0 or a positive duration such as 24h", o.Warmup)
	}
	if o.OracleWindow < 0 {
		return fmt.Errorf("oracle window %s is negative: use a positive duration such as 24h (0 means 24h)", o.OracleWindow)
	}
	for _, d := range []struct {
		name, example string
		v             time.Duration
	}{{"resize delay", "1m", o.ResizeDelay}, {"restart downtime", "30s", o.RestartDowntime}, {"min update interval", "1h", o.MinUpdateInterval}, {"measured span (--measure-for)", "24h", o.MeasureFor}} {
		if d.v < 0 {
			return fmt.Errorf("%s %s is negative: use 0 or a positive duration such as %s", d.name, d.v, d.example)
		}
	}
	if o.OracleQuantile < 0 || o.OracleQuantile > 1 || math.IsNaN(o.OracleQuantile) {
		return fmt.Errorf("oracle quantile %v is outside [0, 1]: use a fraction such as 0.99 (0 or 1: the window's peak)", o.OracleQuantile)
	}
	if err := o.Updater.Validate(); err != nil {
		return err
	}
	if !validRatio(o.MemoryLimitRatio) {
		return fmt.Errorf("memory limit ratio %v is invalid: use 0 (no limit) or a number of at least 1 (limit >= request)", o.MemoryLimitRatio)
	}
	if !validRatio(o.CPULimitRatio) {
		return fmt.Errorf("cpu limit ratio %v is invalid: use 0 (no limit) or a number of at least 1 (limit >= request)", o.CPULimitRatio)
	}
	for _, w := range []struct {
		name string
		v    float64
	}{{"slack", o.Weights.Slack}, {"oom", o.Weights.OOM}, {"throttle", o.Weights.Throttle}, {"change", o.Weights.Change}, {"update", o.Weights.Update}} {
		if w.v < 0 || math.IsNaN(w.v) || math.IsInf(w.v, 0) {
			return fmt.Errorf("reward weight %s %v is invalid: use a finite number of 0 or more", w.name, w.v)
		}
	}
	return nil
}

func validRatio(r float64) bool {
	return r == 0 || (r >= 1 && !math.IsInf(r, 0))
}
