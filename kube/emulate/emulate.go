package emulate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/sim"
	"github.com/smartvpa/smartvpa/core/updater"
	"github.com/smartvpa/smartvpa/kube"
)

// Labels on every pod the emulator creates.
const (
	// LabelRun names the emulation run; Cleanup deletes by it.
	LabelRun = "smartvpa.io/emulate"
	// LabelManagedBy marks the objects as the plugin's.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ContainerName is the name of the emulated container.
	ContainerName = "workload"
)

// Backend is how the emulated pod produces its usage.
type Backend interface {
	// Name is the backend's name ("kwok" or "stress").
	Name() string
	// Setup deploys what the backend needs in namespace ns before the first
	// pod (the stress backend: the utilisation server).
	Setup(ctx context.Context, c kubernetes.Interface, ns string) error
	// Pod returns the pod to create: container ContainerName with the given
	// requests and limits, starting with usage u.
	Pod(name string, requests, limits model.Resources, u model.Sample) *corev1.Pod
	// Drive makes the pod produce usage u from now on.
	Drive(ctx context.Context, c kubernetes.Interface, pod *corev1.Pod, u model.Sample) error
	// ClockAtPodStart is true when the workload plays from the pod's start
	// whatever the emulator does (stress: the utilisation server plays it),
	// false when the emulator drives each sample and can hold the first
	// until metrics.k8s.io reports the pod (kwok).
	ClockAtPodStart() bool
	// Teardown removes what Setup deployed.
	Teardown(ctx context.Context, c kubernetes.Interface, ns string) error
}

// Reading is one metrics.k8s.io reading of the container: the usage over the
// window ending at Time (wall time).
type Reading struct {
	Time          time.Time
	CPUMillicores float64
	MemoryBytes   float64
}

// UsageSource reads the container's current usage; ok is false while the
// metrics pipeline has nothing for the pod.
type UsageSource interface {
	Usage(ctx context.Context, namespace, pod, container string) (r Reading, ok bool, err error)
}

// Config configures one emulation run.
type Config struct {
	Client  kubernetes.Interface
	Usage   UsageSource
	Backend Backend
	// Namespace must exist; Name prefixes the pods' names (<name>-<n>) and
	// labels them (LabelRun).
	Namespace, Name string
	// Workload is the workload to play, already cut to the emulated duration.
	Workload    *sim.Workload
	Recommender recommend.Recommender
	// Options are the simulator's options: warm-up, updater policy, limit
	// ratios, reward weights.
	Options sim.Options
	// Speedup is workload seconds per wall second.
	Speedup float64
	// HoldReadings feeds the recommender the latest metrics.k8s.io reading
	// at every sample, at the sample's workload time, as a recommender that
	// polls the metrics API once per sample interval would get it; false
	// feeds each reading once, at its scrape's workload time. See the
	// package doc, "Time".
	HoldReadings bool
	// OnStep, when set, gets every sample's record (the trajectory).
	OnStep func(sim.StepRecord)
	// Progress, when set, gets a progress line every ProgressEvery of wall
	// time (default 10 s).
	Progress      io.Writer
	ProgressEvery time.Duration
	// StartTimeout bounds the wait for a pod to run and, on kwok, for its
	// first metrics (default 3 min).
	StartTimeout time.Duration
	// Now and Sleep are the wall clock (tests inject them); nil: real time.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Result is the outcome of a run.
type Result struct {
	sim.Result
	// MetricsSamples counts the distinct metrics.k8s.io readings (scrapes).
	MetricsSamples int
	// FedSamples counts the samples fed to the recommender: MetricsSamples,
	// or with HoldReadings one per sample from the first reading on.
	FedSamples int
	// Pods counts the pods created (1 + restarts).
	Pods int
	// FailedUpdates counts updates the API server refused (logged to
	// Progress); the request stayed as it was.
	FailedUpdates int
	// Wall is the wall time of the emulation, from the clock's start.
	Wall time.Duration
	// MaxLag is the largest delay of a sample behind its wall schedule.
	MaxLag time.Duration
	// Clock is the wall/workload time mapping of the run.
	Clock Clock
}

func (c *Config) validate() error {
	switch {
	case c.Client == nil || c.Usage == nil || c.Backend == nil || c.Recommender == nil || c.Workload == nil:
		return errors.New("emulate: client, usage source, backend, recommender and workload are required")
	case !(c.Speedup > 0):
		return fmt.Errorf("speed-up %v must be positive", c.Speedup)
	case c.Namespace == "":
		return errors.New("emulate: no namespace")
	}
	if errs := validation.IsDNS1123Label(c.Name + "-999"); len(errs) > 0 {
		return fmt.Errorf("name %q: %s", c.Name, errs[0])
	}
	if err := c.Options.Validate(); err != nil {
		return err
	}
	return c.Workload.Validate()
}

// run is the state of one emulation.
type run struct {
	cfg   *Config
	clock Clock
	acc   sim.Accountant
	res   Result

	pod                      *corev1.Pod
	gen                      int
	request, limit           model.Resources
	podStart, containerStart time.Time
	lastOOM                  updater.OOMKill
	hasOOM                   bool

	lastReading time.Time // wall time of the last reading fed
	lastFed     time.Time // workload time of the last sample fed
	observed    model.Sample
}

// Run emulates cfg.Workload on the cluster: it creates the pod with the
// workload's initial request, plays the workload's samples at the speed-up
// (driving the pod's usage through the backend), feeds the recommender the
// metrics.k8s.io readings at their workload time, and at every sample lets the
// updater policy decide at workload time and carries its decision out through
// the API (pods/resize in place; Eviction API and a new pod for an eviction or
// rollout). See the package doc for the time mapping and the accounting. The
// pods stay until Cleanup.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 3 * time.Minute
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 10 * time.Second
	}
	r := &run{cfg: &cfg}
	return r.run(ctx)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (r *run) logf(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, "emulate: "+format+"\n", args...)
	}
}

func (r *run) run(ctx context.Context) (Result, error) {
	cfg := r.cfg
	w := cfg.Workload
	samples := w.Samples
	start := samples[0].Time
	opts := &cfg.Options
	r.acc = sim.Accountant{Weights: opts.Weights, Interval: w.SampleInterval(), Start: start}
	warmupEnd := len(samples)
	for i, s := range samples {
		if !s.Time.Before(start.Add(opts.Warmup)) {
			warmupEnd = i
			break
		}
	}

	if err := cfg.Backend.Setup(ctx, cfg.Client, cfg.Namespace); err != nil {
		return r.res, err
	}
	// The initial request, limits in the configured ratio, as the simulator.
	req := initialRequest(w)
	lim := model.Resources{CPUMillicores: req.CPUMillicores * opts.CPULimitRatio, MemoryBytes: req.MemoryBytes * opts.MemoryLimitRatio}
	first := sim.Info{Demand: samples[0], Limits: lim}
	sim.Judge(&first, req)
	if err := r.createPod(ctx, req, lim, sim.Observed(&first)); err != nil {
		return r.res, err
	}
	wallStart, err := r.waitReady(ctx)
	if err != nil {
		return r.res, err
	}
	r.clock = Clock{WallStart: wallStart, WorkloadStart: start, Speedup: cfg.Speedup}
	r.res.Clock = r.clock
	r.podStart, r.containerStart = start, start
	r.logf("%s backend, pod %s/%s, %d samples every %s at %gx: %s of workload in about %s of wall time",
		cfg.Backend.Name(), cfg.Namespace, r.pod.Name, len(samples), w.SampleInterval(), cfg.Speedup,
		samples[len(samples)-1].Time.Sub(start)+w.SampleInterval(), r.clock.WallDuration(samples[len(samples)-1].Time.Sub(start)).Round(time.Second))

	var (
		action  model.Recommendation
		last    model.Recommendation
		hasLast bool
		reward  float64
	)
	nextProgress := cfg.Now().Add(cfg.ProgressEvery)
	for i := range samples {
		s := &samples[i]
		due := r.clock.WallTime(s.Time)
		if err := cfg.Sleep(ctx, due.Sub(cfg.Now())); err != nil {
			return r.res, err
		}
		if lag := cfg.Now().Sub(due); lag > r.res.MaxLag {
			r.res.MaxLag = lag
		}
		info := sim.Info{Index: i, Warmup: i < warmupEnd, Demand: *s}
		switch {
		case i == 0:
			info.Decision = updater.Decision{Action: updater.None, Reason: "first sample"}
		case info.Warmup:
			info.Decision = updater.Decision{Action: updater.None, Reason: "warm-up"}
		case action.IsZero():
			info.Decision = updater.Decision{Action: updater.None, Reason: "no recommendation"}
		default:
			pod := updater.PodState{Requests: r.request, Limits: r.limit, StartTime: r.podStart, Policy: opts.ContainerPolicy}
			if r.hasOOM {
				oom := r.lastOOM
				pod.LastOOM = &oom
			}
			updater.DecideTo(&info.Decision, s.Time, &pod, &action, &opts.Updater)
		}
		if i > 0 {
			r.acc.Action(s.Time, &action)
		}
		if info.Decision.Action != updater.None {
			if err := r.carryOut(ctx, &info, s); err != nil {
				if ctx.Err() != nil {
					return r.res, ctx.Err()
				}
				r.res.FailedUpdates++
				info.Decision.Reason += " (not applied: " + err.Error() + ")"
				r.logf("sample %d: update refused: %v", i, err)
			}
		}
		info.Limits = r.limit
		sim.Judge(&info, r.request)
		if info.OOM {
			info.OOMEvent = model.OOMEvent{Time: s.Time, MemoryRequestBytes: r.request.MemoryBytes, MemoryUsageBytes: r.limit.MemoryBytes}
			r.lastOOM = updater.OOMKill{StartedAt: r.containerStart, FinishedAt: s.Time}
			r.hasOOM = true
			r.containerStart = s.Time
		}
		if err := cfg.Backend.Drive(ctx, cfg.Client, r.pod, sim.Observed(&info)); err != nil {
			if ctx.Err() != nil {
				return r.res, ctx.Err()
			}
			r.logf("sample %d: %v", i, err)
		}
		reward = r.acc.Add(&info, r.request)
		if err := r.feed(ctx, s.Time); err != nil {
			return r.res, err
		}
		if info.OOM {
			cfg.Recommender.AddOOM(info.OOMEvent)
		}
		if cfg.OnStep != nil {
			cfg.OnStep(sim.StepRecord{
				Observation: sim.Observation{Time: s.Time, CPUUsageMillicores: r.observed.CPUMillicores, MemoryUsageBytes: r.observed.MemoryBytes,
					CPURequestMillicores: r.request.CPUMillicores, MemoryRequestBytes: r.request.MemoryBytes},
				Info: info, Reward: reward, Action: action,
			})
		}
		var ok bool
		action, ok = cfg.Recommender.Recommend(s.Time)
		if ok {
			last, hasLast = action, true
			roundRecommendation(&action)
		} else {
			action = model.Recommendation{}
		}
		if now := cfg.Now(); !now.Before(nextProgress) || i == len(samples)-1 {
			nextProgress = now.Add(cfg.ProgressEvery)
			m := r.acc.Metrics()
			r.logf("workload %s of %s (sample %d/%d), metrics readings %d, updates %d, restarts %d, OOM kills %d, behind %s",
				fmtDur(s.Time.Sub(start)+w.SampleInterval()), fmtDur(samples[len(samples)-1].Time.Sub(start)+w.SampleInterval()),
				i+1, len(samples), r.res.MetricsSamples, m.Updates, m.Restarts, m.Memory.OOMs, max(now.Sub(due), 0).Round(10*time.Millisecond))
		}
	}
	r.res.Wall = cfg.Now().Sub(r.clock.WallStart)
	r.res.Result = sim.Result{Workload: w.ID, Recommender: cfg.Recommender.Name(), Metrics: r.acc.Metrics()}
	if hasLast {
		r.res.LastRecommendation = &last
	}
	return r.res, nil
}

func fmtDur(d time.Duration) string {
	h := int(d / time.Hour)
	m := int(d % time.Hour / time.Minute)
	return fmt.Sprintf("%02dh%02dm", h, m)
}

// roundRecommendation rounds each bound up to what a request on the API
// server can hold (whole millicores, whole MiB; kube.ToResourceList), as a
// recommendation in a VPA object's status is. Unrounded, a request the API
// server rounded up would differ from its target by a hair, and the updater's
// quick-OOM rule (any non-zero diff) would resize at every sample.
func roundRecommendation(r *model.Recommendation) {
	for _, res := range []*model.Resources{&r.Lower, &r.Target, &r.Upper, &r.UncappedTarget} {
		*res = kube.FromResourceList(kube.ToResourceList(*res))
	}
}

func initialRequest(w *sim.Workload) model.Resources {
	r := w.InitialRequest
	if r.CPUMillicores <= 0 {
		r.CPUMillicores = sim.DefaultInitialRequest.CPUMillicores
	}
	if r.MemoryBytes <= 0 {
		r.MemoryBytes = sim.DefaultInitialRequest.MemoryBytes
	}
	return r
}

// feed reads the metrics API and feeds the recommender (see
// Config.HoldReadings). A new reading is placed at its workload time, capped
// at now (the current sample's workload time) so the recommender never sees
// past the sample it answers for, and floored at the workload's start (a
// reading from before the clock started is of the held first sample).
func (r *run) feed(ctx context.Context, now time.Time) error {
	rd, ok, err := r.cfg.Usage.Usage(ctx, r.cfg.Namespace, r.pod.Name, ContainerName)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.logf("read metrics.k8s.io: %v", err)
		ok = false
	}
	fresh := ok && rd.Time.After(r.lastReading)
	if fresh {
		r.lastReading = rd.Time
		r.res.MetricsSamples++
		t := r.clock.WorkloadTime(rd.Time)
		if t.Before(r.clock.WorkloadStart) {
			t = r.clock.WorkloadStart
		}
		if t.After(now) {
			t = now
		}
		r.observed = model.Sample{Time: t, CPUMillicores: rd.CPUMillicores, MemoryBytes: rd.MemoryBytes}
	}
	s := r.observed
	switch {
	case r.res.MetricsSamples == 0:
		return nil
	case r.cfg.HoldReadings:
		s.Time = now
	case !fresh:
		return nil
	}
	if r.res.FedSamples > 0 && !s.Time.After(r.lastFed) {
		return nil
	}
	r.lastFed = s.Time
	r.cfg.Recommender.AddSample(s)
	r.res.FedSamples++
	return nil
}

// carryOut applies the decision in info at sample s through the API and
// records the requests the API server now holds.
func (r *run) carryOut(ctx context.Context, info *sim.Info, s *model.Sample) error {
	d := &info.Decision
	if d.Restarts() {
		if err := r.evict(ctx); err != nil {
			return err
		}
		u := sim.Info{Demand: *s, Limits: d.Limits}
		sim.Judge(&u, d.Requests)
		if err := r.createPod(ctx, d.Requests, d.Limits, sim.Observed(&u)); err != nil {
			return err
		}
		if _, err := r.waitRunning(ctx); err != nil {
			return err
		}
		// As upstream and the simulator: a recreated pod has no termination
		// state, so a quick OOM no longer counts once the pod is recreated.
		r.podStart, r.containerStart = s.Time, s.Time
		r.hasOOM = false
		info.Updated, info.Restarted = true, true
		return nil
	}
	patch, err := json.Marshal(map[string]any{"spec": kube.PodSpecPatch([]kube.ContainerResources{{Name: ContainerName, Requests: d.Requests, Limits: d.Limits}})})
	if err != nil {
		return err
	}
	p, err := r.cfg.Client.CoreV1().Pods(r.cfg.Namespace).Patch(ctx, r.pod.Name, types.StrategicMergePatchType, patch,
		metav1.PatchOptions{FieldManager: kube.FieldManager}, "resize")
	if err != nil {
		return fmt.Errorf("resize pod %s/%s: %w", r.cfg.Namespace, r.pod.Name, err)
	}
	r.setPod(p)
	info.Updated = true
	return nil
}

// evict evicts the current pod through the Eviction API (a pod already gone
// is fine).
func (r *run) evict(ctx context.Context) error {
	ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: r.pod.Name, Namespace: r.cfg.Namespace}}
	err := r.cfg.Client.CoreV1().Pods(r.cfg.Namespace).EvictV1(ctx, ev)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("evict pod %s/%s: %w", r.cfg.Namespace, r.pod.Name, err)
	}
	return nil
}

// createPod creates the next generation's pod.
func (r *run) createPod(ctx context.Context, req, lim model.Resources, u model.Sample) error {
	r.gen++
	p := r.cfg.Backend.Pod(fmt.Sprintf("%s-%d", r.cfg.Name, r.gen), req, lim, u)
	p.Namespace = r.cfg.Namespace
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[LabelRun] = r.cfg.Name
	p.Labels[LabelManagedBy] = "kubectl-smartvpa"
	created, err := r.cfg.Client.CoreV1().Pods(r.cfg.Namespace).Create(ctx, p, metav1.CreateOptions{FieldManager: kube.FieldManager})
	if err != nil {
		return fmt.Errorf("create pod %s/%s: %w", r.cfg.Namespace, p.Name, err)
	}
	r.res.Pods++
	r.setPod(created)
	return nil
}

// setPod records p as the current pod and its container's requests and
// limits as the ones in force.
func (r *run) setPod(p *corev1.Pod) {
	r.pod = p
	for _, c := range p.Spec.Containers {
		if c.Name == ContainerName {
			r.request = kube.FromResourceList(c.Resources.Requests)
			r.limit = kube.FromResourceList(c.Resources.Limits)
		}
	}
}

// waitRunning waits for the current pod to run and returns when it started
// (wall time).
func (r *run) waitRunning(ctx context.Context) (time.Time, error) {
	deadline := r.cfg.Now().Add(r.cfg.StartTimeout)
	for {
		p, err := r.cfg.Client.CoreV1().Pods(r.cfg.Namespace).Get(ctx, r.pod.Name, metav1.GetOptions{})
		if err != nil && ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
		if err == nil && p.Status.Phase == corev1.PodRunning {
			at := r.cfg.Now()
			for _, cs := range p.Status.ContainerStatuses {
				if cs.Name == ContainerName && cs.State.Running != nil && !cs.State.Running.StartedAt.IsZero() {
					at = cs.State.Running.StartedAt.Time
				}
			}
			return at, nil
		}
		if r.cfg.Now().After(deadline) {
			why := "no such pod"
			if err == nil {
				why = "phase " + string(p.Status.Phase) + podConditions(p)
			}
			return time.Time{}, fmt.Errorf("pod %s/%s not running after %s (%s): check the nodes with 'kubectl get nodes' and the pod with 'kubectl describe pod -n %s %s'",
				r.cfg.Namespace, r.pod.Name, r.cfg.StartTimeout, why, r.cfg.Namespace, r.pod.Name)
		}
		if err := r.cfg.Sleep(ctx, 250*time.Millisecond); err != nil {
			return time.Time{}, err
		}
	}
}

func podConditions(p *corev1.Pod) string {
	var out []string
	for _, c := range p.Status.Conditions {
		if c.Status != corev1.ConditionTrue && c.Message != "" {
			out = append(out, c.Message)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return ": " + strings.Join(out, "; ")
}

// waitReady waits for the first pod to run and returns the wall time at which
// the workload's first sample plays: when the backend plays the workload from
// the pod's start, the container's start; otherwise the moment metrics.k8s.io
// first reports the pod (the first sample is held until then, so the
// recommender's first reading is not lost to the pipeline's start-up).
func (r *run) waitReady(ctx context.Context) (time.Time, error) {
	started, err := r.waitRunning(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if r.cfg.Backend.ClockAtPodStart() {
		return started, nil
	}
	r.logf("pod %s/%s running; waiting for metrics.k8s.io to report it (one or two scrapes)", r.cfg.Namespace, r.pod.Name)
	deadline := r.cfg.Now().Add(r.cfg.StartTimeout)
	for {
		rd, ok, err := r.cfg.Usage.Usage(ctx, r.cfg.Namespace, r.pod.Name, ContainerName)
		if err != nil && ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
		if err == nil && ok {
			_ = rd // fed at the first sample, at the workload's start
			return r.cfg.Now(), nil
		}
		if r.cfg.Now().After(deadline) {
			msg := "no reading"
			if err != nil {
				msg = err.Error()
			}
			return time.Time{}, fmt.Errorf("metrics.k8s.io has no usage for pod %s/%s after %s (%s): check 'kubectl top pod -n %s' and that metrics-server runs",
				r.cfg.Namespace, r.pod.Name, r.cfg.StartTimeout, msg, r.cfg.Namespace)
		}
		if err := r.cfg.Sleep(ctx, time.Second); err != nil {
			return time.Time{}, err
		}
	}
}
