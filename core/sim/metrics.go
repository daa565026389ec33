package sim

import (
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// CPUMetrics are the CPU figures of one run (see the package doc).
type CPUMetrics struct {
	// RelativeSlack is the time-weighted mean of max(0, request-usage)/request.
	RelativeSlack float64 `json:"relativeSlack"`
	// AbsoluteSlackCoreHours is the unused requested CPU, in core-hours.
	AbsoluteSlackCoreHours float64 `json:"absoluteSlackCoreHours"`
	// OverRequestShare is the share of time with usage above the request.
	OverRequestShare float64 `json:"overRequestShare"`
	// ThrottledShare is the share of time with usage above the CPU limit.
	ThrottledShare float64 `json:"throttledShare"`
	// UnservedCoreHours is the CPU demand the container did not serve
	// because it was down (restarting), in core-hours.
	UnservedCoreHours float64 `json:"unservedCoreHours"`
}

// MemoryMetrics are the memory figures of one run (see the package doc).
type MemoryMetrics struct {
	// RelativeSlack is the time-weighted mean of max(0, request-usage)/request.
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
	// SmallUpdates counts the updates that changed no request by 10 % or
	// more (SmallUpdate).
	SmallUpdates int `json:"smallUpdates"`
	// UpdatesPerContainerDay is Updates per day measured.
	UpdatesPerContainerDay float64 `json:"updatesPerContainerDay"`
	// Restarts counts the updates that restarted the container.
	Restarts int `json:"restarts"`
	// DowntimeHours is how long the container was down (restarts and OOM
	// kills), in hours.
	DowntimeHours float64 `json:"downtimeHours"`
	// Samples is the number of samples the metrics cover, Hours the time.
	Samples int     `json:"samples"`
	Hours   float64 `json:"hours"`
	// Gaps counts the intervals longer than GapFactor x the median interval
	// (not integrated).
	Gaps int `json:"gaps"`
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
// stands for when Info.Interval is zero, and the unit of the reward's
// per-sample terms) and Start (the first sample's time).
type Accountant struct {
	Weights  Weights
	Interval time.Duration

	Start time.Time

	nominalSec, invNominal         float64
	samples, gaps                  int
	seconds, downSec               float64
	cpuRelSlack, memRelSlack       float64 // relative slack x seconds
	cpuSlackMilliSec               float64 // millicore-seconds
	memSlackByteSec                float64 // byte-seconds
	unservedMilliSec               float64 // millicore-seconds
	overRequestSec, throttledSec   float64
	ooms, updates, small, restarts int
	reward, sampleReward           float64
	firstRec                       time.Duration
	hasRec                         bool
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

// Add accounts one judged sample (see Judge) under request, running for its
// whole interval, and returns its reward. Samples in the warm-up count for
// nothing.
func (a *Accountant) Add(info *Info, request model.Resources) float64 {
	a.begin(info)
	dt := info.Interval
	if dt == 0 {
		dt = a.Interval
	}
	a.segment(info, request, info.Limits, dt.Seconds(), false)
	return a.end(info)
}

// begin starts accounting a sample; segment accounts a stretch of it of sec
// seconds under request and limits (down: the container was not running);
// end accounts its events and returns its reward.
func (a *Accountant) begin(info *Info) {
	a.sampleReward = 0
	if a.nominalSec == 0 {
		a.nominalSec = a.Interval.Seconds()
		if a.nominalSec <= 0 {
			a.nominalSec = 1
		}
		a.invNominal = 1 / a.nominalSec
	}
}

func (a *Accountant) segment(info *Info, request, limits model.Resources, sec float64, down bool) {
	if info.Warmup {
		return
	}
	cpu, mem := info.Demand.CPUMillicores, info.Demand.MemoryBytes
	a.seconds += sec
	if down {
		// Nothing runs: the demand goes unserved, the request is held
		// for the pod that is starting.
		a.downSec += sec
		a.unservedMilliSec += cpu * sec
		cpu, mem = 0, 0
	}
	cs := relSlack(request.CPUMillicores, cpu)
	ms := relSlack(request.MemoryBytes, mem)
	a.cpuRelSlack += cs * sec
	a.memRelSlack += ms * sec
	a.cpuSlackMilliSec += absSlack(request.CPUMillicores, cpu) * sec
	a.memSlackByteSec += absSlack(request.MemoryBytes, mem) * sec
	frac := 1.0 // exactly 1 for a whole regular sample
	if sec != a.nominalSec {
		frac = sec * a.invNominal
	}
	r := a.Weights.Slack * (cs + ms) / 2 * frac
	if !down {
		if cpu > request.CPUMillicores {
			a.overRequestSec += sec
		}
		if limits.CPUMillicores > 0 && cpu > limits.CPUMillicores {
			a.throttledSec += sec
			r += a.Weights.Throttle * frac
		}
	}
	a.sampleReward += r
}

func (a *Accountant) end(info *Info) float64 {
	if info.Warmup {
		return 0
	}
	w := &a.Weights
	a.samples++
	r := a.sampleReward
	if info.Gap {
		a.gaps++
	}
	if info.OOM {
		a.ooms++
		r += w.OOM
	}
	if info.Updated {
		a.updates++
		if info.Small {
			a.small++
		}
		if !info.Restarted {
			r += w.Update
		}
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
	m := Metrics{Samples: a.samples, Updates: a.updates, SmallUpdates: a.small, Restarts: a.restarts, Reward: a.reward, Gaps: a.gaps}
	m.Memory.OOMs = a.ooms
	m.CPU.AbsoluteSlackCoreHours = a.cpuSlackMilliSec / 1000 / 3600
	m.CPU.UnservedCoreHours = a.unservedMilliSec / 1000 / 3600
	m.Memory.AbsoluteSlackGiBHours = a.memSlackByteSec / model.GiB / 3600
	m.Hours = a.seconds / 3600
	m.DowntimeHours = a.downSec / 3600
	if a.seconds > 0 {
		n := a.seconds
		m.CPU.RelativeSlack = a.cpuRelSlack / n
		m.Memory.RelativeSlack = a.memRelSlack / n
		m.CPU.OverRequestShare = a.overRequestSec / n
		m.CPU.ThrottledShare = a.throttledSec / n
		m.UpdatesPerContainerDay = float64(a.updates) / (n / 86400)
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
