package sim

import (
	"fmt"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/updater"
)

// Weights weigh the terms of the reward (see the package doc).
type Weights struct {
	Slack    float64 `json:"slack"`
	OOM      float64 `json:"oom"`
	Throttle float64 `json:"throttle"`
	Change   float64 `json:"change"`
}

// DefaultWeights are the documented default reward weights.
var DefaultWeights = Weights{Slack: 1, OOM: 100, Throttle: 1, Change: 10}

// DefaultWarmup is the default warm-up.
const DefaultWarmup = 24 * time.Hour

// Observation is what the environment shows after a step (gym's observation):
// the usage a metrics pipeline would report (capped at the limits) and the
// requests in force.
type Observation struct {
	Time                 time.Time `json:"time"`
	CPUUsageMillicores   float64   `json:"cpu_usage"`
	MemoryUsageBytes     float64   `json:"ram_usage"`
	CPURequestMillicores float64   `json:"cpu_request"`
	MemoryRequestBytes   float64   `json:"ram_request"`
}

// Sample returns the observed usage as a sample, as fed to recommenders.
func (o Observation) Sample() model.Sample {
	return model.Sample{Time: o.Time, CPUMillicores: o.CPUUsageMillicores, MemoryBytes: o.MemoryUsageBytes}
}

// Vector returns the observation as [cpu_usage, ram_usage, cpu_request,
// ram_request] (millicores and bytes).
func (o Observation) Vector() [4]float64 {
	return [4]float64{o.CPUUsageMillicores, o.MemoryUsageBytes, o.CPURequestMillicores, o.MemoryRequestBytes}
}

// Info tells what happened in a step beyond the observation.
type Info struct {
	// Index is the sample's index in the workload.
	Index int
	// Warmup is true for a sample in the warm-up (no update, no metrics).
	Warmup bool
	// Demand is the trace's usage at this sample, before limits.
	Demand model.Sample
	// Limits are the limits in force (a zero field: no limit).
	Limits model.Resources
	// Decision is the updater's decision on the step's action.
	Decision updater.Decision
	// Updated and Restarted say whether the decision changed the requests and
	// whether that restarted the container.
	Updated, Restarted bool
	// OOM is true when the container was OOM-killed at this sample; then
	// OOMEvent describes it.
	OOM      bool
	OOMEvent model.OOMEvent
	// Throttled is true when CPU demand exceeded the CPU limit.
	Throttled bool
	// OverRequest is true when CPU demand exceeded the CPU request.
	OverRequest bool
}

// Env is the gym-style environment for one container. It is not safe for
// concurrent use; use one Env per goroutine.
type Env struct {
	opts Options

	w         *Workload
	seed      int64
	i         int // index of the current sample
	warmupEnd int // index of the first sample after the warm-up
	start     time.Time

	request, limit model.Resources
	// podStart is when the pod (re)started: an eviction or rollout resets it.
	// containerStart is when the container last started: an OOM kill resets
	// it too. lastOOM is the container's last OOM kill (hasOOM: any).
	podStart, containerStart time.Time
	lastOOM                  updater.OOMKill
	hasOOM                   bool

	// pod is the updater's view of the container, refreshed before each
	// decision (its Policy is opts.ContainerPolicy, set by NewEnv).
	pod updater.PodState

	// obs and info are the current sample's observation and info.
	obs  Observation
	info Info

	acc Accountant
}

// NewEnv returns an environment with the given options, which it validates.
func NewEnv(opts Options) (*Env, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return &Env{opts: opts, pod: updater.PodState{Policy: opts.ContainerPolicy}}, nil
}

// Options returns the environment's options.
func (e *Env) Options() Options { return e.opts }

// Seed returns the seed of the last Reset.
func (e *Env) Seed() int64 { return e.seed }

// Reset starts an episode on w: the container runs with w's initial request
// at the first sample, which the returned observation shows. The seed is
// recorded (the environment itself is deterministic; see the package doc).
// w's samples are read, never written, and must stay unchanged during the
// episode.
func (e *Env) Reset(w *Workload, seed int64) (Observation, Info, error) {
	if err := w.Validate(); err != nil {
		return Observation{}, Info{}, err
	}
	e.w = w
	e.seed = seed
	e.i = 0
	e.start = w.Samples[0].Time
	warmupEnd := e.start.Add(e.opts.Warmup)
	e.warmupEnd = len(w.Samples)
	for i, s := range w.Samples {
		if !s.Time.Before(warmupEnd) {
			e.warmupEnd = i
			break
		}
	}
	e.acc = Accountant{Weights: e.opts.Weights, Interval: w.SampleInterval(), Start: e.start}
	r := w.initialRequest()
	e.request = r
	e.limit = model.Resources{
		CPUMillicores: r.CPUMillicores * e.opts.CPULimitRatio,
		MemoryBytes:   r.MemoryBytes * e.opts.MemoryLimitRatio,
	}
	e.podStart, e.containerStart = e.start, e.start
	e.hasOOM = false
	e.info.Decision = updater.Decision{Action: updater.None, Reason: "first sample"}
	e.evaluate(&w.Samples[0])
	return e.obs, e.info, nil
}

// Done reports whether the episode has no sample left.
func (e *Env) Done() bool { return e.w == nil || e.i >= len(e.w.Samples)-1 }

// Request returns the requests in force.
func (e *Env) Request() model.Resources { return e.request }

// Limits returns the limits in force (a zero field: no limit).
func (e *Env) Limits() model.Resources { return e.limit }

// Metrics returns the metrics of the episode so far.
func (e *Env) Metrics() Metrics { return e.acc.Metrics() }

// Step applies action (a zero action means "no recommendation") through the
// updater policy at the next sample, evaluates that sample and returns its
// observation, the step's reward, whether the episode is over and what
// happened. Step after the end of the episode returns an error.
func (e *Env) Step(action model.Recommendation) (obs Observation, reward float64, done bool, info Info, err error) {
	reward, err = e.step(&action)
	if err != nil {
		return Observation{}, 0, true, Info{}, err
	}
	return e.obs, reward, e.Done(), e.info, nil
}

// step is Step without copies: the observation and info stay in e.obs and
// e.info.
func (e *Env) step(action *model.Recommendation) (float64, error) {
	if e.Done() {
		return 0, fmt.Errorf("step after the end of the episode: call Reset first")
	}
	e.i++
	s := &e.w.Samples[e.i]
	zero := action.IsZero()
	e.acc.Action(s.Time, action)
	info := &e.info
	switch {
	case e.i < e.warmupEnd:
		info.Decision = updater.Decision{Action: updater.None, Reason: "warm-up"}
	case zero:
		info.Decision = updater.Decision{Action: updater.None, Reason: "no recommendation"}
	default:
		e.decide(&info.Decision, s.Time, action)
	}
	return e.evaluate(s), nil
}

// decide asks the updater policy what to do with action at now and writes
// the decision to d.
func (e *Env) decide(d *updater.Decision, now time.Time, action *model.Recommendation) {
	pod := &e.pod
	pod.Requests, pod.Limits, pod.StartTime = e.request, e.limit, e.podStart
	pod.LastOOM = nil
	if e.hasOOM {
		pod.LastOOM = &e.lastOOM
	}
	updater.DecideTo(d, now, pod, action, &e.opts.Updater)
}

// evaluate applies the decision in e.info at sample s, runs s against the
// container, fills e.info and e.obs and returns the step's reward.
func (e *Env) evaluate(s *model.Sample) float64 {
	info := &e.info
	d := &info.Decision
	info.Index = e.i
	info.Warmup = e.i < e.warmupEnd
	info.Demand = *s
	info.Updated, info.Restarted = false, false
	if d.Action != updater.None {
		info.Updated = true
		info.Restarted = d.Restarts()
		e.request, e.limit = d.Requests, d.Limits
		if info.Restarted {
			e.podStart, e.containerStart = s.Time, s.Time
		}
	}
	info.Limits = e.limit
	Judge(info, e.request)
	info.OOMEvent = model.OOMEvent{}
	if info.OOM {
		info.OOMEvent = model.OOMEvent{Time: s.Time, MemoryRequestBytes: e.request.MemoryBytes, MemoryUsageBytes: e.limit.MemoryBytes}
		e.lastOOM = updater.OOMKill{StartedAt: e.containerStart, FinishedAt: s.Time}
		e.hasOOM = true
		e.containerStart = s.Time
	}
	// What a metrics pipeline reports: usage capped at the limits.
	seen := Observed(info)
	o := &e.obs
	o.Time = s.Time
	o.CPUUsageMillicores, o.MemoryUsageBytes = seen.CPUMillicores, seen.MemoryBytes
	o.CPURequestMillicores, o.MemoryRequestBytes = e.request.CPUMillicores, e.request.MemoryBytes
	return e.acc.Add(info, e.request)
}
