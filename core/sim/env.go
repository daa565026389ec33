package sim

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/updater"
)

// Weights weigh the terms of the reward (see the package doc).
type Weights struct {
	Slack    float64 `json:"slack"`
	OOM      float64 `json:"oom"`
	Throttle float64 `json:"throttle"`
	// Change is the cost of an update that restarts the container.
	Change float64 `json:"change"`
	// Update is the cost of an update that does not restart it (in place).
	Update float64 `json:"update"`
}

// DefaultWeights are the documented default reward weights.
var DefaultWeights = Weights{Slack: 1, OOM: 100, Throttle: 1, Change: 10, Update: DefaultUpdateCost}

// DefaultUpdateCost is the default reward cost of an in-place update: as
// much as one sample of a fully idle request.
const DefaultUpdateCost = 1.0

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
	// Interval is the time the sample stands for: up to the next sample (a
	// gap longer than GapFactor x the median interval counts as the median
	// interval, and Gap is set); the last sample stands for the median.
	// Zero means the Accountant's Interval.
	Interval time.Duration
	// Gap is true when the time to the next sample was longer than
	// GapFactor x the median interval (missing data, not integrated).
	Gap bool
	// Limits are the limits in force at the end of the sample (a zero field:
	// no limit).
	Limits model.Resources
	// Decision is the updater's decision on the step's action.
	Decision updater.Decision
	// Updated and Restarted say whether the decision changed the requests and
	// whether that restarted the container. Small is true for an update that
	// changed no request by SmallUpdate or more (relative).
	Updated, Restarted, Small bool
	// Down is how long the container served nothing during the sample (a
	// restart's or an OOM kill's downtime).
	Down time.Duration
	// OOM is true when the container was OOM-killed at this sample; then
	// OOMEvent describes it.
	OOM      bool
	OOMEvent model.OOMEvent
	// Throttled is true when CPU demand exceeded the CPU limit.
	Throttled bool
	// OverRequest is true when CPU demand exceeded the CPU request.
	OverRequest bool
}

// GapFactor: an interval longer than GapFactor x the workload's median
// interval is a gap in the data and is not integrated.
const GapFactor = 10

// SmallUpdate is the relative change below which an update is counted as
// small (Metrics.SmallUpdates): upstream's minimum change priority.
const SmallUpdate = 0.1

// Reasons of the simulator's own decisions to leave the container alone.
const (
	ReasonWarmup        = "warm-up"
	ReasonResizePending = "in-place resize in progress"
	ReasonRestarting    = "container restarting"
	ReasonUpdateBudget  = "update budget: min update interval not elapsed"
)

// Env is the gym-style environment for one container. It is not safe for
// concurrent use; use one Env per goroutine.
type Env struct {
	opts Options

	w         *Workload
	seed      int64
	i         int // index of the current sample
	warmupEnd int // index of the first sample after the warm-up
	start     time.Time
	median    time.Duration // median sample interval
	scanned   scanned

	request, limit model.Resources
	// podStart is when the pod was (re)created: an eviction or rollout
	// resets it. containerStart is when the container last started (an OOM
	// kill restarts it after the downtime). term is the container's last
	// termination (always an OOM kill here; hasTerm: any), as the kubelet
	// keeps it in lastState until the pod is recreated.
	// Times the simulator compares at every sample are Unix nanoseconds.
	podStart       time.Time
	containerStart int64
	term           updater.OOMKill
	hasTerm        bool
	// downUntil: the container serves nothing before this time.
	downUntil int64
	// pending is an in-place resize decided but not yet applied.
	pending struct {
		active           bool
		at               int64
		requests, limits model.Resources
	}
	// lastUpdate is the time of the last update (hasUpdate: any);
	// oomSinceUpdate: an OOM kill happened after it.
	lastUpdate                int64
	hasUpdate, oomSinceUpdate bool

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
// episode. A warm-up that covers the whole trace leaves nothing to measure
// (Metrics.Samples is 0; see CheckMeasurable). With Options.MeasureFor the
// episode ends that long after the warm-up.
func (e *Env) Reset(w *Workload, seed int64) (Observation, Info, error) {
	if d := e.opts.MeasureFor; d > 0 && len(w.Samples) > 0 {
		end := w.Samples[0].Time.Add(e.opts.Warmup + d)
		if k := sort.Search(len(w.Samples), func(i int) bool { return !w.Samples[i].Time.Before(end) }); k > 0 && k < len(w.Samples) {
			cut := *w
			cut.Samples = w.Samples[:k]
			w = &cut
		}
	}
	sc, err := w.scan()
	if err != nil {
		return Observation{}, Info{}, err
	}
	e.scanned = sc
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
	e.median = sc.median
	e.acc = Accountant{Weights: e.opts.Weights, Interval: e.median, Start: e.start}
	r := w.initialRequest()
	e.request = r
	e.limit = model.Resources{
		CPUMillicores: r.CPUMillicores * e.opts.CPULimitRatio,
		MemoryBytes:   r.MemoryBytes * e.opts.MemoryLimitRatio,
	}
	e.podStart, e.containerStart = e.start, e.start.UnixNano()
	e.hasTerm = false
	e.downUntil = math.MinInt64
	e.pending.active = false
	e.hasUpdate, e.oomSinceUpdate = false, false
	e.info.Decision = updater.Decision{Action: updater.None, Reason: "first sample"}
	e.evaluate(&w.Samples[0])
	return e.obs, e.info, nil
}

// CheckMeasurable returns an error when a warm-up of warmup covers the whole
// of w, so that a run would measure nothing.
func CheckMeasurable(w *Workload, warmup time.Duration) error {
	if len(w.Samples) == 0 || warmup <= 0 {
		return nil
	}
	first, last := w.Samples[0].Time, w.Samples[len(w.Samples)-1].Time
	if last.Sub(first) < warmup {
		return fmt.Errorf("workload %q: the warm-up of %s covers the whole trace (%s from the first to the last sample): nothing would be measured; use a shorter --warmup", w.ID, warmup, last.Sub(first))
	}
	return nil
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
	e.acc.Action(s.Time, action)
	info := &e.info
	switch {
	case e.i < e.warmupEnd:
		info.Decision = updater.Decision{Action: updater.None, Reason: ReasonWarmup}
	case action.IsZero():
		info.Decision = updater.Decision{Action: updater.None, Reason: updater.ReasonNoRecommendation}
	case e.pending.active:
		info.Decision = updater.Decision{Action: updater.None, Reason: ReasonResizePending}
	case s.Time.UnixNano() < e.downUntil:
		info.Decision = updater.Decision{Action: updater.None, Reason: ReasonRestarting}
	default:
		e.decide(&info.Decision, s.Time, action)
	}
	return e.evaluate(s), nil
}

// decide asks the updater policy what to do with action at now and writes
// the decision to d; the update budget (Options.MinUpdateInterval) comes
// first.
func (e *Env) decide(d *updater.Decision, now time.Time, action *model.Recommendation) {
	if e.hasUpdate && e.opts.MinUpdateInterval > 0 && now.UnixNano()-e.lastUpdate < int64(e.opts.MinUpdateInterval) {
		// Within the budget only a memory increase after an OOM kill goes
		// through, and only its memory part.
		if !e.oomSinceUpdate || action.Target.MemoryBytes <= e.request.MemoryBytes {
			*d = updater.Decision{Action: updater.None, Reason: ReasonUpdateBudget, Requests: e.request, Limits: e.limit}
			return
		}
		memOnly := *action
		memOnly.Lower.CPUMillicores, memOnly.Target.CPUMillicores, memOnly.Upper.CPUMillicores, memOnly.UncappedTarget.CPUMillicores = 0, 0, 0, 0
		action = &memOnly
	}
	pod := &e.pod
	pod.Requests, pod.Limits, pod.StartTime = e.request, e.limit, e.podStart
	pod.LastOOM = nil
	if e.hasTerm {
		pod.LastOOM = &e.term
	}
	updater.DecideTo(d, now, pod, action, &e.opts.Updater)
}

// evaluate carries out the decision in e.info at sample s, runs s against
// the container over the sample's interval, fills e.info and e.obs and
// returns the step's reward.
func (e *Env) evaluate(s *model.Sample) float64 {
	info := &e.info
	d := &info.Decision
	t := s.Time
	tn := t.UnixNano()
	info.Index = e.i
	info.Warmup = e.i < e.warmupEnd
	info.Demand = *s
	dt, gap := e.interval(e.i, tn)
	info.Interval, info.Gap = time.Duration(dt), gap
	info.Updated, info.Restarted, info.Small = false, false, false
	info.OOM, info.Throttled, info.OverRequest = false, false, false
	info.Down = 0
	info.OOMEvent = model.OOMEvent{}
	if d.Action != updater.None {
		info.Updated = true
		info.Restarted = d.Restarts()
		info.Small = smallChange(e.request, d.Requests)
		e.lastUpdate, e.hasUpdate, e.oomSinceUpdate = tn, true, false
		switch {
		case info.Restarted:
			// The pod is recreated with the new requests: no termination
			// state, the container starts after the downtime.
			e.request, e.limit = d.Requests, d.Limits
			e.podStart = t
			e.downUntil = tn + int64(e.opts.RestartDowntime)
			e.containerStart = e.downUntil
			e.hasTerm = false
			e.pending.active = false
		case e.opts.ResizeDelay > 0:
			e.pending.active, e.pending.at = true, tn+int64(e.opts.ResizeDelay)
			e.pending.requests, e.pending.limits = d.Requests, d.Limits
		default:
			e.request, e.limit = d.Requests, d.Limits
		}
	}
	acc := &e.acc
	acc.begin(info)
	if !e.pending.active && e.downUntil <= tn && (e.limit.MemoryBytes <= 0 || s.MemoryBytes <= e.limit.MemoryBytes) {
		// The common case: the container runs the whole sample under one
		// set of requests and is not killed.
		cpu := s.CPUMillicores
		if e.limit.CPUMillicores > 0 && cpu > e.limit.CPUMillicores {
			info.Throttled = true
			cpu = e.limit.CPUMillicores
		}
		info.OverRequest = s.CPUMillicores > e.request.CPUMillicores
		acc.segment(info, e.request, e.limit, float64(dt)/1e9, false)
		info.Limits = e.limit
		o := &e.obs
		o.Time = t
		o.CPUUsageMillicores, o.MemoryUsageBytes = cpu, s.MemoryBytes
		o.CPURequestMillicores, o.MemoryRequestBytes = e.request.CPUMillicores, e.request.MemoryBytes
		return acc.end(info)
	}
	end := tn + dt
	var cpuServed, cpuLast float64 // millicore-seconds the container served; the last stretch's CPU
	running, segments := false, 0
	for cur := tn; cur < end; {
		if e.pending.active && e.pending.at <= cur {
			e.request, e.limit = e.pending.requests, e.pending.limits
			e.pending.active = false
		}
		next := end
		if e.pending.active && e.pending.at < next {
			next = e.pending.at
		}
		down := cur < e.downUntil
		if down && e.downUntil < next {
			next = e.downUntil
		}
		if !down && !info.OOM && e.limit.MemoryBytes > 0 && s.MemoryBytes > e.limit.MemoryBytes {
			// OOM kill at the start of this stretch: at most one per
			// sample (the rest of a crash loop is not counted).
			info.OOM = true
			info.OOMEvent = model.OOMEvent{Time: t, MemoryRequestBytes: e.request.MemoryBytes, MemoryUsageBytes: e.limit.MemoryBytes}
			e.term = updater.OOMKill{StartedAt: time.Unix(0, e.containerStart).UTC(), FinishedAt: time.Unix(0, cur).UTC()}
			e.hasTerm, e.oomSinceUpdate = true, true
			e.downUntil = cur + int64(e.opts.RestartDowntime)
			e.containerStart = e.downUntil
			if e.opts.RestartDowntime > 0 {
				continue
			}
		}
		sec := float64(next-cur) / 1e9
		if down {
			info.Down += time.Duration(next - cur)
		} else {
			running = true
			cpu := s.CPUMillicores
			if e.limit.CPUMillicores > 0 && cpu > e.limit.CPUMillicores {
				info.Throttled = true
				cpu = e.limit.CPUMillicores
			}
			if s.CPUMillicores > e.request.CPUMillicores {
				info.OverRequest = true
			}
			cpuServed += cpu * sec
			cpuLast = cpu
		}
		segments++
		acc.segment(info, e.request, e.limit, sec, down)
		cur = next
	}
	info.Limits = e.limit
	// What a metrics pipeline reports: usage capped at the limits, CPU
	// averaged over the sample (nothing while down), memory nothing when the
	// container never ran in the sample.
	o := &e.obs
	o.Time = t
	switch {
	case segments == 1 && running:
		o.CPUUsageMillicores = cpuLast
	default:
		o.CPUUsageMillicores = cpuServed / (float64(dt) / 1e9)
	}
	o.MemoryUsageBytes = 0
	if running || info.OOM {
		o.MemoryUsageBytes = s.MemoryBytes
		if e.limit.MemoryBytes > 0 && s.MemoryBytes > e.limit.MemoryBytes {
			o.MemoryUsageBytes = e.limit.MemoryBytes
		}
	}
	o.CPURequestMillicores, o.MemoryRequestBytes = e.request.CPUMillicores, e.request.MemoryBytes
	return acc.end(info)
}

// interval returns the time sample i (at tn, Unix nanoseconds) stands for,
// in nanoseconds, and whether it is followed by a gap (see Info.Interval).
func (e *Env) interval(i int, tn int64) (int64, bool) {
	ss := e.w.Samples
	if i+1 >= len(ss) {
		return int64(e.median), false
	}
	d := ss[i+1].Time.UnixNano() - tn
	if d > GapFactor*int64(e.median) {
		return int64(e.median), true
	}
	return d, false
}

// smallChange reports whether no request changed by SmallUpdate or more.
func smallChange(before, after model.Resources) bool {
	return relChange(before.CPUMillicores, after.CPUMillicores) < SmallUpdate &&
		relChange(before.MemoryBytes, after.MemoryBytes) < SmallUpdate
}

func relChange(before, after float64) float64 {
	if before == after {
		return 0
	}
	if before <= 0 {
		return math.Inf(1)
	}
	return math.Abs(after-before) / before
}
