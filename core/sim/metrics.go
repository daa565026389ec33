package sim

import (
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// CPUMetrics are the CPU figures of one run (see the package doc).
type CPUMetrics struct {
	// RelativeSlack is the mean of max(0, request-usage)/request over samples.
	RelativeSlack float64 `json:"relativeSlack"`
	// AbsoluteSlackCoreHours is the unused requested CPU, in core-hours.
	AbsoluteSlackCoreHours float64 `json:"absoluteSlackCoreHours"`
	// OverRequestShare is the share of samples with usage above the request.
	OverRequestShare float64 `json:"overRequestShare"`
	// ThrottledShare is the share of samples with usage above the CPU limit.
	ThrottledShare float64 `json:"throttledShare"`
}

// MemoryMetrics are the memory figures of one run (see the package doc).
type MemoryMetrics struct {
	// RelativeSlack is the mean of max(0, request-usage)/request over samples.
	RelativeSlack float64 `json:"relativeSlack"`
	// AbsoluteSlackGiBHours is the unused requested memory, in GiB-hours.
	AbsoluteSlackGiBHours float64 `json:"absoluteSlackGiBHours"`
	// OOMs counts OOM kills.
	OOMs int `json:"ooms"`
}

// Metrics are the figures of one run over the samples after the warm-up.
type Metrics struct {
	CPU    CPUMetrics    `json:"cpu"`
	Memory MemoryMetrics `json:"memory"`
	// Updates counts the decisions that changed the requests.
	Updates int `json:"updates"`
	// Restarts counts the updates that restarted the container.
	Restarts int `json:"restarts"`
	// Samples is the number of samples the metrics cover.
	Samples int `json:"samples"`
	// Reward is the sum of the step rewards.
	Reward float64 `json:"reward"`
	// TimeToFirstRecommendationSeconds is the time from the first sample to
	// the first non-zero action, in seconds; null when there was none.
	TimeToFirstRecommendationSeconds *float64 `json:"timeToFirstRecommendationSeconds"`
}

// Accountant sums a run's per-sample figures into Metrics, without
// allocating: the one place the simulator's slack, risk and reward formulas
// live (see the package doc). Env uses it, and so does anything that measures
// a live run the same way (kube/emulate). The zero value works with zero
// weights and a zero interval; set Weights, Interval (the time one sample
// stands for) and Start (the first sample's time).
type Accountant struct {
	Weights  Weights
	Interval time.Duration
	Start    time.Time

	dtSec                        float64
	samples                      int
	cpuRelSlack, memRelSlack     float64
	cpuSlackMilliSec             float64 // millicore-seconds
	memSlackByteSec              float64 // byte-seconds
	overRequest, throttled, ooms int
	updates, restarts            int
	reward                       float64
	firstRec                     time.Duration
	hasRec                       bool
}

// Judge fills info's OverRequest, Throttled and OOM for a sample whose demand
// is info.Demand under request and info.Limits, by the container model:
// CPU above the request is over-request, CPU above a CPU limit is throttled,
// memory above a memory limit is an OOM kill.
func Judge(info *Info, request model.Resources) {
	cpu, mem := info.Demand.CPUMillicores, info.Demand.MemoryBytes
	info.OverRequest = cpu > request.CPUMillicores
	info.Throttled = info.Limits.CPUMillicores > 0 && cpu > info.Limits.CPUMillicores
	info.OOM = info.Limits.MemoryBytes > 0 && mem > info.Limits.MemoryBytes
}

// Observed returns the usage a metrics pipeline reports for the sample judged
// in info: the demand capped at the limits (the rest of the CPU is throttled;
// an OOM-killed container never reports more than its memory limit).
func Observed(info *Info) model.Sample {
	s := info.Demand
	if info.Throttled {
		s.CPUMillicores = info.Limits.CPUMillicores
	}
	if info.OOM {
		s.MemoryBytes = info.Limits.MemoryBytes
	}
	return s
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
func (a *Accountant) Add(info *Info, request model.Resources) float64 {
	if info.Warmup {
		return 0
	}
	if a.dtSec == 0 {
		a.dtSec = a.Interval.Seconds()
	}
	cpu, mem := info.Demand.CPUMillicores, info.Demand.MemoryBytes
	a.samples++
	cs := relSlack(request.CPUMillicores, cpu)
	ms := relSlack(request.MemoryBytes, mem)
	a.cpuRelSlack += cs
	a.memRelSlack += ms
	a.cpuSlackMilliSec += absSlack(request.CPUMillicores, cpu) * a.dtSec
	a.memSlackByteSec += absSlack(request.MemoryBytes, mem) * a.dtSec
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

// Metrics returns the figures so far.
func (a *Accountant) Metrics() Metrics {
	m := Metrics{Samples: a.samples, Updates: a.updates, Restarts: a.restarts, Reward: a.reward}
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

// relSlack is max(0, request-usage)/request, 0 without a request.
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
