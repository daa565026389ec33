package emulate

import (
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/sim"
)

// Judge fills info's OverRequest, Throttled and OOM for a sample whose demand
// is info.Demand under request and info.Limits, by the simulator's container
// model (core/sim): CPU above the request is over-request, CPU above a CPU
// limit is throttled, memory above a memory limit is an OOM kill.
func Judge(info *sim.Info, request model.Resources) {
	cpu, mem := info.Demand.CPUMillicores, info.Demand.MemoryBytes
	info.OverRequest = cpu > request.CPUMillicores
	info.Throttled = info.Limits.CPUMillicores > 0 && cpu > info.Limits.CPUMillicores
	info.OOM = info.Limits.MemoryBytes > 0 && mem > info.Limits.MemoryBytes
}

// Observed returns the usage a metrics pipeline reports for the sample judged
// in info: the demand capped at the limits (the rest of the CPU is throttled;
// an OOM-killed container never reports more than its memory limit).
func Observed(info *sim.Info) model.Sample {
	s := info.Demand
	if info.Throttled {
		s.CPUMillicores = info.Limits.CPUMillicores
	}
	if info.OOM {
		s.MemoryBytes = info.Limits.MemoryBytes
	}
	return s
}

// Accountant sums the figures of a run exactly as core/sim does (see the sim
// package doc, "Metrics" and "Reward"), from per-sample outcomes that the
// caller measured: the emulator gives it the request in force as the API
// server has it and the demand it drove.
type Accountant struct {
	// Weights weigh the reward terms.
	Weights sim.Weights
	// Interval is the time one sample stands for.
	Interval time.Duration
	// Start is the first sample's time, for the time to the first
	// recommendation.
	Start time.Time

	samples                      int
	cpuRelSlack, memRelSlack     float64
	cpuSlackMilliSec             float64
	memSlackByteSec              float64
	overRequest, throttled, ooms int
	updates, restarts            int
	reward                       float64
	firstRec                     time.Duration
	hasRec                       bool
}

// Action records the action given to the sample at t (zero: none), for the
// time to the first recommendation.
func (a *Accountant) Action(t time.Time, action *model.Recommendation) {
	if !a.hasRec && !action.IsZero() {
		a.hasRec = true
		a.firstRec = t.Sub(a.Start)
	}
}

// Add accounts one judged sample (see Judge) under request and returns its
// reward. Samples in the warm-up count for nothing.
func (a *Accountant) Add(info *sim.Info, request model.Resources) float64 {
	if info.Warmup {
		return 0
	}
	cpu, mem := info.Demand.CPUMillicores, info.Demand.MemoryBytes
	dt := a.Interval.Seconds()
	a.samples++
	cs := relSlack(request.CPUMillicores, cpu)
	ms := relSlack(request.MemoryBytes, mem)
	a.cpuRelSlack += cs
	a.memRelSlack += ms
	a.cpuSlackMilliSec += absSlack(request.CPUMillicores, cpu) * dt
	a.memSlackByteSec += absSlack(request.MemoryBytes, mem) * dt
	w := &a.Weights
	r := w.Slack * (cs + ms) / 2
	if info.OverRequest {
		a.overRequest++
	}
	if info.Throttled {
		a.throttled++
		r += w.Throttle
	}
	if info.OOM {
		a.ooms++
		r += w.OOM
	}
	if info.Updated {
		a.updates++
	}
	if info.Restarted {
		a.restarts++
		r += w.Change
	}
	a.reward -= r
	return -r
}

// Metrics returns the figures so far, in the simulator's shape.
func (a *Accountant) Metrics() sim.Metrics {
	m := sim.Metrics{Samples: a.samples, Updates: a.updates, Restarts: a.restarts, Reward: a.reward}
	m.Memory.OOMs = a.ooms
	m.CPU.AbsoluteSlackCoreHours = a.cpuSlackMilliSec / 1000 / 3600
	m.Memory.AbsoluteSlackGiBHours = a.memSlackByteSec / model.GiB / 3600
	if a.samples > 0 {
		n := float64(a.samples)
		m.CPU.RelativeSlack = a.cpuRelSlack / n
		m.Memory.RelativeSlack = a.memRelSlack / n
		m.CPU.OverRequestShare = float64(a.overRequest) / n
		m.CPU.ThrottledShare = float64(a.throttled) / n
	}
	if a.hasRec {
		s := a.firstRec.Seconds()
		m.TimeToFirstRecommendationSeconds = &s
	}
	return m
}

func relSlack(request, usage float64) float64 {
	if request <= 0 || usage >= request {
		return 0
	}
	return (request - usage) / request
}

func absSlack(request, usage float64) float64 {
	if usage >= request {
		return 0
	}
	return request - usage
}
