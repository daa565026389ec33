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

// accumulator sums per-sample figures without allocating.
type accumulator struct {
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

// metrics turns the sums into Metrics.
func (a *accumulator) metrics() Metrics {
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
