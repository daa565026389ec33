package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/updater"
	"github.com/smartvpa/smartvpa/kube"
)

// Condition types written to status.conditions. RecommendationProvided and
// LowConfidence are upstream's; MetricsAvailable is smartvpa's own and says
// whether the last read of metrics.k8s.io worked.
const (
	CondRecommendationProvided = "RecommendationProvided"
	CondLowConfidence          = "LowConfidence"
	CondMetricsAvailable       = "MetricsAvailable"
)

// Config configures the controller.
type Config struct {
	// RecommenderName is the name VPAs put in spec.recommenders (smartvpa).
	RecommenderName string
	// Recommender is the registry name of the recommender run per container.
	Recommender string
	// ModelFile is passed to recommenders that take a model.
	ModelFile string
	// Interval is the time between reconcile passes (metrics sampling).
	Interval time.Duration
	// LowConfidenceSpan: a container with less history is LowConfidence.
	LowConfidenceSpan time.Duration
	// CheckpointNamespace holds the checkpoint ConfigMaps.
	CheckpointNamespace string
	// CheckpointInterval is the time between checkpoint writes.
	CheckpointInterval time.Duration
	// MaxJournal is the number of samples per container kept for the
	// checkpoint (older ones are dropped from the checkpoint, not from the
	// running recommender).
	MaxJournal int
	// Updater enables the updater for VPAs whose update mode is not Off.
	Updater bool
	// UpdatePolicy is the updater policy (mode from each VPA).
	UpdatePolicy updater.Policy
	// UpdateLimiter limits pod updates (in-place resizes and evictions);
	// nil means no limit.
	UpdateLimiter Limiter
	// Workers is the number of concurrent status writers (default 8).
	Workers int
	// Clock returns the time (nil: wall clock).
	Clock func() time.Time
	Log   *slog.Logger
	// Metrics receives the series (nil: a private registry).
	Metrics *Metrics
}

// Limiter is the part of golang.org/x/time/rate.Limiter the updater uses.
type Limiter interface{ Allow() bool }

// Clients are the API clients the controller uses.
type Clients struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	Metrics metricsclient.Interface
}

// Controller is the VPA recommender controller: informers on VPAs, pods and
// workload controllers; a reconcile pass every interval samples
// metrics.k8s.io, feeds the per-container recommenders and writes the VPA
// status. It is not safe to call Pass concurrently.
type Controller struct {
	cfg Config
	cl  Clients
	log *slog.Logger
	m   *Metrics

	dynFactory dynamicinformer.DynamicSharedInformerFactory
	factory    informers.SharedInformerFactory
	vpaInf     cache.SharedIndexInformer
	listers    listers

	mu     sync.Mutex
	states map[string]*vpaState // by VPA namespace/name
	// lastPass is when the last pass ended (for /healthz).
	lastPass     time.Time
	lastCkpt     time.Time
	metricsErr   error
	restoredFrom int
}

type listers struct {
	pods        func(ns string, sel labels.Selector) ([]*corev1.Pod, error)
	get         func(kind, ns, name string) (runtime.Object, error)
	synced      []cache.InformerSynced
	podInformer cache.SharedIndexInformer
}

// vpaState is the recommender state of one VPA.
type vpaState struct {
	uid        string
	containers map[string]*containerState
	// seen: pod/container -> timestamp of the last metrics window used.
	seen map[string]time.Time
	// oomSeen: pod/container -> finish time of the last OOM kill recorded.
	oomSeen map[string]time.Time
	dirty   bool
}

// containerState is one container's recommender and the journal its
// checkpoint replays.
type containerState struct {
	rec     recommend.Recommender
	journal []model.Sample
	ooms    []model.OOMEvent
	first   time.Time
	last    time.Time
	samples int
}

// New builds a controller and its informers (not started).
func New(cl Clients, cfg Config) (*Controller, error) {
	if cfg.RecommenderName == "" {
		cfg.RecommenderName = "smartvpa"
	}
	if cfg.Recommender == "" {
		cfg.Recommender = DefaultRecommender()
	}
	if _, err := recommend.New(cfg.Recommender, recommend.Config{ModelFile: cfg.ModelFile}); err != nil {
		return nil, err
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.LowConfidenceSpan <= 0 {
		cfg.LowConfidenceSpan = 24 * time.Hour
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = 10 * time.Minute
	}
	if cfg.MaxJournal <= 0 {
		cfg.MaxJournal = int(8 * 24 * time.Hour / cfg.Interval)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.UpdatePolicy.Mode == "" {
		cfg.UpdatePolicy = updater.DefaultPolicy()
	}
	c := &Controller{cfg: cfg, cl: cl, log: cfg.Log, m: cfg.Metrics, states: map[string]*vpaState{}}
	c.dynFactory = dynamicinformer.NewDynamicSharedInformerFactory(cl.Dynamic, 0)
	c.vpaInf = c.dynFactory.ForResource(kube.VPAResource).Informer()
	c.factory = informers.NewSharedInformerFactory(cl.Kube, 0)
	pods := c.factory.Core().V1().Pods()
	deps := c.factory.Apps().V1().Deployments()
	sts := c.factory.Apps().V1().StatefulSets()
	dss := c.factory.Apps().V1().DaemonSets()
	rss := c.factory.Apps().V1().ReplicaSets()
	jobs := c.factory.Batch().V1().Jobs()
	c.listers = listers{
		podInformer: pods.Informer(),
		pods: func(ns string, sel labels.Selector) ([]*corev1.Pod, error) {
			return pods.Lister().Pods(ns).List(sel)
		},
		get: func(kind, ns, name string) (runtime.Object, error) {
			switch kind {
			case kube.KindDeployment:
				return deps.Lister().Deployments(ns).Get(name)
			case kube.KindStatefulSet:
				return sts.Lister().StatefulSets(ns).Get(name)
			case kube.KindDaemonSet:
				return dss.Lister().DaemonSets(ns).Get(name)
			case kube.KindReplicaSet:
				return rss.Lister().ReplicaSets(ns).Get(name)
			case kube.KindJob:
				return jobs.Lister().Jobs(ns).Get(name)
			}
			return nil, fmt.Errorf("target kind %s is not supported: use a Deployment, StatefulSet, DaemonSet, ReplicaSet or Job", kind)
		},
		synced: []cache.InformerSynced{pods.Informer().HasSynced, deps.Informer().HasSynced, sts.Informer().HasSynced,
			dss.Informer().HasSynced, rss.Informer().HasSynced, jobs.Informer().HasSynced},
	}
	c.listers.synced = append(c.listers.synced, c.vpaInf.HasSynced)
	return c, nil
}

// DefaultRecommender is smart when it is registered, else vpa.
func DefaultRecommender() string {
	for _, n := range recommend.Names() {
		if n == "smart" {
			return n
		}
	}
	return "vpa"
}

// Start starts the informers and waits for their caches.
func (c *Controller) Start(ctx context.Context) error {
	c.dynFactory.Start(ctx.Done())
	c.factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), c.listers.synced...) {
		return fmt.Errorf("informer caches did not sync: %w", context.Cause(ctx))
	}
	return nil
}

// Healthy reports an error when the leader's passes stopped: the last pass
// ended more than three intervals ago.
func (c *Controller) Healthy(now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastPass.IsZero() {
		return nil
	}
	if d := now.Sub(c.lastPass); d > 3*c.cfg.Interval {
		return fmt.Errorf("last reconcile pass ended %s ago (interval %s)", d.Round(time.Second), c.cfg.Interval)
	}
	return nil
}

// Run restores the checkpoints, then runs a pass every interval until ctx
// ends, and writes the checkpoints a last time.
func (c *Controller) Run(ctx context.Context) error {
	if n, err := c.Restore(ctx); err != nil {
		c.m.Errors.WithLabelValues("checkpoint").Inc()
		c.log.Error("restore checkpoints", "err", err)
	} else {
		c.log.Info("restored checkpoints", "vpas", n)
	}
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		c.Pass(ctx)
		if c.cfg.Clock().Sub(c.lastCkpt) >= c.cfg.CheckpointInterval {
			c.checkpointAll(ctx)
		}
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
			defer cancel()
			c.checkpointAll(sctx)
			return nil
		case <-t.C:
		}
	}
}

func (c *Controller) checkpointAll(ctx context.Context) {
	n, err := c.WriteCheckpoints(ctx)
	if err != nil {
		c.m.Errors.WithLabelValues("checkpoint").Inc()
		c.log.Error("write checkpoints", "err", err)
	} else {
		c.log.Info("wrote checkpoints", "configmaps", n)
	}
	c.lastCkpt = c.cfg.Clock()
}

// ourVPAs returns the VPAs in the informer cache naming our recommender,
// sorted by key.
func (c *Controller) ourVPAs() []*VPA {
	var out []*VPA
	for _, o := range c.vpaInf.GetStore().List() {
		u, ok := o.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		v, err := ParseVPA(u)
		if err != nil {
			c.m.Errors.WithLabelValues("parse").Inc()
			c.log.Warn("skip vpa", "err", err)
			continue
		}
		if v.Names(c.cfg.RecommenderName) {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// PassResult summarises a reconcile pass (for logs and tests).
type PassResult struct {
	VPAs          int
	Recommended   int // containers with a recommendation
	Samples       int
	StatusUpdates int
	Errors        int
	Duration      time.Duration
}

// Pass runs one reconcile pass at the clock's time.
func (c *Controller) Pass(ctx context.Context) PassResult {
	start := time.Now()
	now := c.cfg.Clock()
	vpas := c.ourVPAs()
	res := PassResult{VPAs: len(vpas)}
	c.m.VPAs.Set(float64(len(vpas)))

	// Forget VPAs that are gone or were recreated.
	live := map[string]bool{}
	for _, v := range vpas {
		live[v.Key()] = true
	}
	c.mu.Lock()
	for k := range c.states {
		if !live[k] {
			delete(c.states, k)
		}
	}
	c.mu.Unlock()

	pms, merr := c.podMetrics(ctx, vpas)
	c.mu.Lock()
	c.metricsErr = merr
	c.mu.Unlock()
	if merr != nil {
		c.m.MetricsAvailable.Set(0)
		c.m.Errors.WithLabelValues("metrics_api").Inc()
		c.log.Warn("metrics.k8s.io unavailable", "err", merr)
	} else {
		c.m.MetricsAvailable.Set(1)
	}

	type job struct {
		v *VPA
		o outcome
	}
	var jobs []job
	for _, v := range vpas {
		o := c.reconcileOne(v, pms, merr, now)
		res.Samples += o.samples
		res.Recommended += len(o.recs)
		jobs = append(jobs, job{v, o})
	}
	c.m.Samples.Add(float64(res.Samples))
	c.m.RecommendationsOK.Set(float64(res.Recommended))

	// Status writes and updater actions, by a few workers.
	var wg sync.WaitGroup
	var rmu sync.Mutex
	ch := make(chan job)
	for range c.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				wrote, err := c.writeStatus(ctx, j.v, j.o.status)
				rmu.Lock()
				if err != nil {
					res.Errors++
				} else if wrote {
					res.StatusUpdates++
				}
				rmu.Unlock()
				if c.cfg.Updater && j.o.workload != nil && len(j.o.recs) > 0 {
					if err := c.update(ctx, j.v, j.o.workload, j.o.recs, now); err != nil {
						c.m.Errors.WithLabelValues("updater").Inc()
						c.log.Warn("updater", "vpa", j.v.Key(), "err", err)
					}
				}
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()

	res.Duration = time.Since(start)
	c.m.ReconcileSeconds.Observe(res.Duration.Seconds())
	c.mu.Lock()
	c.lastPass = c.cfg.Clock()
	c.mu.Unlock()
	c.log.Info("reconcile pass", "vpas", res.VPAs, "containers_recommended", res.Recommended, "samples", res.Samples,
		"status_updates", res.StatusUpdates, "errors", res.Errors, "duration", res.Duration)
	return res
}

// podMetrics lists pod metrics in the VPAs' namespaces: one list call for a
// single namespace, one cluster-wide call otherwise.
func (c *Controller) podMetrics(ctx context.Context, vpas []*VPA) (map[string]*metricsv1beta1.PodMetrics, error) {
	nss := map[string]bool{}
	for _, v := range vpas {
		nss[v.Namespace] = true
	}
	if len(nss) == 0 {
		return nil, nil
	}
	scope := metav1.NamespaceAll
	if len(nss) == 1 {
		for ns := range nss {
			scope = ns
		}
	}
	list, err := c.cl.Metrics.MetricsV1beta1().PodMetricses(scope).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("read metrics.k8s.io pod metrics (is metrics-server running?): %w", err)
	}
	out := make(map[string]*metricsv1beta1.PodMetrics, len(list.Items))
	for i := range list.Items {
		pm := &list.Items[i]
		if nss[pm.Namespace] {
			out[pm.Namespace+"/"+pm.Name] = pm
		}
	}
	return out, nil
}

// target resolves a VPA's targetRef to a workload with its live pods.
func (c *Controller) target(v *VPA) (*kube.Workload, error) {
	if v.Target.Kind == "" || v.Target.Name == "" {
		return nil, errors.New("spec.targetRef has no kind or name")
	}
	obj, err := c.listers.get(v.Target.Kind, v.Namespace, v.Target.Name)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("target %s/%s not found", v.Target.Kind, v.Target.Name)
		}
		return nil, err
	}
	w := kube.NewWorkload(obj)
	if w == nil {
		return nil, fmt.Errorf("target kind %s is not supported", v.Target.Kind)
	}
	sel, err := selectorOf(obj)
	if err != nil {
		return nil, err
	}
	pods, err := c.listers.pods(v.Namespace, sel)
	if err != nil {
		return nil, err
	}
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed || p.DeletionTimestamp != nil {
			continue
		}
		w.Pods = append(w.Pods, p)
	}
	sort.Slice(w.Pods, func(i, j int) bool { return w.Pods[i].Name < w.Pods[j].Name })
	return w, nil
}

func selectorOf(obj runtime.Object) (labels.Selector, error) {
	var ls *metav1.LabelSelector
	switch o := obj.(type) {
	case *appsv1.Deployment:
		ls = o.Spec.Selector
	case *appsv1.StatefulSet:
		ls = o.Spec.Selector
	case *appsv1.DaemonSet:
		ls = o.Spec.Selector
	case *appsv1.ReplicaSet:
		ls = o.Spec.Selector
	case *batchv1.Job:
		ls = o.Spec.Selector
	}
	if ls == nil {
		return nil, errors.New("target has no spec.selector")
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return nil, fmt.Errorf("target spec.selector: %w", err)
	}
	if sel.Empty() {
		return nil, errors.New("target spec.selector is empty")
	}
	return sel, nil
}

// stateFor returns the state of VPA v, creating it (or resetting it when the
// VPA was recreated with a new UID).
func (c *Controller) stateFor(v *VPA) *vpaState {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.states[v.Key()]
	if s == nil || s.uid != v.UID {
		s = &vpaState{uid: v.UID, containers: map[string]*containerState{}, seen: map[string]time.Time{}, oomSeen: map[string]time.Time{}}
		c.states[v.Key()] = s
	}
	return s
}

func (c *Controller) newContainer() (*containerState, error) {
	// The policy is applied by serve (ApplyPolicy), not by the recommender:
	// a VPA's resourcePolicy can change without resetting the history.
	r, err := recommend.New(c.cfg.Recommender, recommend.Config{ModelFile: c.cfg.ModelFile})
	if err != nil {
		return nil, err
	}
	return &containerState{rec: r}, nil
}

func (s *vpaState) container(c *Controller, name string) (*containerState, error) {
	cs := s.containers[name]
	if cs == nil {
		var err error
		if cs, err = c.newContainer(); err != nil {
			return nil, err
		}
		s.containers[name] = cs
	}
	return cs, nil
}

func (cs *containerState) add(smp model.Sample, maxJournal int) {
	cs.rec.AddSample(smp)
	if cs.samples == 0 {
		cs.first = smp.Time
	}
	cs.last = smp.Time
	cs.samples++
	cs.journal = append(cs.journal, smp)
	if over := len(cs.journal) - maxJournal; over > 0 {
		// Drop in chunks so the append above stays amortised O(1).
		drop := max(over, maxJournal/8)
		drop = min(drop, len(cs.journal))
		cs.journal = append(cs.journal[:0], cs.journal[drop:]...)
	}
}

func (cs *containerState) addOOM(e model.OOMEvent) {
	cs.rec.AddOOM(e)
	cs.ooms = append(cs.ooms, e)
	if len(cs.ooms) > 64 {
		cs.ooms = cs.ooms[len(cs.ooms)-64:]
	}
}

type podSample struct {
	container string
	smp       model.Sample
}

// outcome is what reconciling one VPA gives: the status to write, the
// capped recommendations by container, the target and the samples added.
type outcome struct {
	status   map[string]any
	recs     map[string]model.Recommendation
	workload *kube.Workload
	samples  int
}

// reconcileOne feeds the new samples of VPA v and returns the status to
// write with the recommendations.
func (c *Controller) reconcileOne(v *VPA, pms map[string]*metricsv1beta1.PodMetrics, merr error, now time.Time) outcome {
	w, terr := c.target(v)
	if terr != nil {
		c.m.Errors.WithLabelValues("target").Inc()
		c.log.Warn("resolve target", "vpa", v.Key(), "err", terr)
		c.forget(v)
		return outcome{status: c.statusFor(v, nil, nil, merr, terr, now)}
	}
	s := c.stateFor(v)
	c.mu.Lock()
	defer c.mu.Unlock()
	var fresh []podSample
	for _, p := range w.Pods {
		pm := pms[p.Namespace+"/"+p.Name]
		if pm != nil {
			at := pm.Timestamp.Time.UTC()
			if at.IsZero() {
				at = now.UTC()
			}
			for _, mc := range pm.Containers {
				if w.Container(mc.Name) == nil {
					continue
				}
				id := p.Name + "/" + mc.Name
				if last, ok := s.seen[id]; ok && !at.After(last) {
					continue // the same metrics window again
				}
				s.seen[id] = at
				fresh = append(fresh, podSample{mc.Name, model.Sample{Time: at,
					CPUMillicores: kube.CPUMillicores(mc.Usage.Cpu().DeepCopy()),
					MemoryBytes:   kube.MemoryBytes(mc.Usage.Memory().DeepCopy())}})
			}
		}
		// OOM kills from the containers' last termination.
		for _, st := range append(append([]corev1.ContainerStatus{}, p.Status.ContainerStatuses...), p.Status.InitContainerStatuses...) {
			t := st.LastTerminationState.Terminated
			if t == nil || t.Reason != "OOMKilled" || w.Container(st.Name) == nil {
				continue
			}
			id := p.Name + "/" + st.Name
			if !t.FinishedAt.Time.After(s.oomSeen[id]) {
				continue
			}
			s.oomSeen[id] = t.FinishedAt.Time
			cs, err := s.container(c, st.Name)
			if err != nil {
				continue
			}
			req := w.Container(st.Name).Requests.MemoryBytes
			for _, pc := range kube.ContainersOf(&p.Spec) {
				if pc.Name == st.Name && pc.Requests.MemoryBytes > 0 {
					req = pc.Requests.MemoryBytes
				}
			}
			cs.addOOM(model.OOMEvent{Time: t.FinishedAt.Time.UTC(), MemoryRequestBytes: req})
			s.dirty = true
		}
	}
	// Samples of several replicas share metrics windows; the recommenders
	// take samples in strictly increasing time order, so samples at the same
	// time are spread by a nanosecond each (in pod order).
	sort.SliceStable(fresh, func(i, j int) bool { return fresh[i].smp.Time.Before(fresh[j].smp.Time) })
	for _, ps := range fresh {
		cs, err := s.container(c, ps.container)
		if err != nil {
			continue
		}
		if !cs.last.IsZero() && !ps.smp.Time.After(cs.last) {
			ps.smp.Time = cs.last.Add(time.Nanosecond)
		}
		cs.add(ps.smp, c.cfg.MaxJournal)
		s.dirty = true
	}
	recs := map[string]model.Recommendation{}
	low := []string{}
	for _, ct := range w.Containers {
		pol := v.PolicyFor(ct.Name)
		cs := s.containers[ct.Name]
		if pol.Off || cs == nil {
			c.clearSeries(v, ct.Name)
			continue
		}
		rec, ok := cs.rec.Recommend(now)
		if !ok {
			c.clearSeries(v, ct.Name)
			continue
		}
		capped, ok := ApplyPolicy(rec, pol)
		if !ok {
			continue
		}
		recs[ct.Name] = capped
		c.setSeries(v, ct.Name, capped)
		if span := cs.last.Sub(cs.first); span < c.cfg.LowConfidenceSpan {
			low = append(low, fmt.Sprintf("%s: %s of history", ct.Name, span.Round(time.Second)))
		}
	}
	return outcome{status: c.statusFor(v, recs, low, merr, nil, now), recs: recs, workload: w, samples: len(fresh)}
}

func (c *Controller) forget(v *VPA) {
	c.mu.Lock()
	delete(c.states, v.Key())
	c.mu.Unlock()
}

func (c *Controller) setSeries(v *VPA, container string, r model.Recommendation) {
	for _, b := range []struct {
		name string
		x    model.Resources
	}{{"target", r.Target}, {"lower", r.Lower}, {"upper", r.Upper}, {"uncapped_target", r.UncappedTarget}} {
		c.m.Recommendation.WithLabelValues(v.Namespace, v.Name, container, "cpu", b.name).Set(b.x.CPUMillicores / 1000)
		c.m.Recommendation.WithLabelValues(v.Namespace, v.Name, container, "memory", b.name).Set(b.x.MemoryBytes)
	}
}

func (c *Controller) clearSeries(v *VPA, container string) {
	c.m.Recommendation.DeletePartialMatch(map[string]string{"namespace": v.Namespace, "vpa": v.Name, "container": container})
}

// statusFor builds the status (recommendation and conditions) for v.
func (c *Controller) statusFor(v *VPA, recs map[string]model.Recommendation, low []string, merr, terr error, now time.Time) map[string]any {
	var conds []map[string]any
	cond := func(typ string, ok bool, reason, msg string) {
		s := "False"
		if ok {
			s = "True"
		}
		conds = append(conds, map[string]any{"type": typ, "status": s, "reason": reason, "message": msg})
	}
	switch {
	case terr != nil:
		cond(CondRecommendationProvided, false, "TargetNotResolved", terr.Error())
	case len(recs) > 0:
		cond(CondRecommendationProvided, true, "RecommendationProvided",
			fmt.Sprintf("%d container(s) recommended by smartvpa (%s)", len(recs), c.cfg.Recommender))
	case merr != nil:
		cond(CondRecommendationProvided, false, "MetricsUnavailable", "no usage yet: "+merr.Error())
	default:
		cond(CondRecommendationProvided, false, "NotEnoughData", "no usage sample yet for the target's containers")
	}
	if len(recs) > 0 {
		if len(low) > 0 {
			cond(CondLowConfidence, true, "ShortHistory", fmt.Sprintf("less than %s of history: %s", c.cfg.LowConfidenceSpan, joinMax(low, 5)))
		} else {
			cond(CondLowConfidence, false, "EnoughHistory", fmt.Sprintf("every container has at least %s of history", c.cfg.LowConfidenceSpan))
		}
	}
	if merr != nil {
		cond(CondMetricsAvailable, false, "MetricsAPIError", merr.Error())
	} else {
		cond(CondMetricsAvailable, true, "MetricsAPIAvailable", "metrics.k8s.io answered the last read")
	}
	st := map[string]any{"conditions": conds}
	if len(recs) > 0 {
		st["recommendation"] = map[string]any{"containerRecommendations": RecommendationStatus(recs)}
	} else {
		st["recommendation"] = nil
	}
	return st
}

func joinMax(s []string, n int) string {
	out := ""
	for i, x := range s {
		if i == n {
			out += fmt.Sprintf(", and %d more", len(s)-n)
			break
		}
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// writeStatus patches the VPA's status subresource when the recommendation
// or a condition changed. lastTransitionTime is kept for conditions whose
// status did not change.
func (c *Controller) writeStatus(ctx context.Context, v *VPA, st map[string]any) (bool, error) {
	obj, ok, err := c.vpaInf.GetStore().GetByKey(v.Key())
	if err != nil || !ok {
		return false, err
	}
	cur := obj.(*unstructured.Unstructured)
	now := metav1.NewTime(c.cfg.Clock()).UTC().Format(time.RFC3339)
	curConds, _, _ := unstructured.NestedSlice(cur.Object, "status", "conditions")
	byType := map[string]map[string]any{}
	for _, x := range curConds {
		if m, ok := x.(map[string]any); ok {
			t, _ := m["type"].(string)
			byType[t] = m
		}
	}
	newConds := st["conditions"].([]map[string]any)
	changed := false
	var conds []any
	for _, nc := range newConds {
		old := byType[nc["type"].(string)]
		nc["lastTransitionTime"] = now
		if old != nil && old["status"] == nc["status"] {
			if lt, ok := old["lastTransitionTime"]; ok {
				nc["lastTransitionTime"] = lt
			}
		}
		if old == nil || old["status"] != nc["status"] || old["reason"] != nc["reason"] || old["message"] != nc["message"] {
			changed = true
		}
		conds = append(conds, nc)
	}
	// Conditions of other writers (types we do not set) are kept.
	for t, m := range byType {
		mine := false
		for _, nc := range newConds {
			mine = mine || nc["type"] == t
		}
		if !mine {
			conds = append(conds, m)
		}
	}
	sort.SliceStable(conds, func(i, j int) bool {
		return conds[i].(map[string]any)["type"].(string) < conds[j].(map[string]any)["type"].(string)
	})
	curRec, _, _ := unstructured.NestedFieldNoCopy(cur.Object, "status", "recommendation")
	if !sameJSON(curRec, st["recommendation"]) {
		changed = true
	}
	if !changed {
		return false, nil
	}
	body := map[string]any{"status": map[string]any{"recommendation": st["recommendation"], "conditions": conds}}
	data, err := json.Marshal(body)
	if err != nil {
		return false, err
	}
	_, err = c.cl.Dynamic.Resource(kube.VPAResource).Namespace(v.Namespace).Patch(ctx, v.Name, types.MergePatchType, data,
		metav1.PatchOptions{FieldManager: kube.FieldManager}, "status")
	if err != nil {
		c.m.Errors.WithLabelValues("status_update").Inc()
		c.log.Warn("write status", "vpa", v.Key(), "err", err)
		return false, fmt.Errorf("patch status of verticalpodautoscaler %s: %w", v.Key(), err)
	}
	c.m.StatusUpdates.Inc()
	return true, nil
}

// sameJSON compares two values by their JSON form (the informer's object
// holds JSON numbers and strings, ours Go maps and slices).
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var x, y any
	_ = json.Unmarshal(ja, &x)
	_ = json.Unmarshal(jb, &y)
	return reflect.DeepEqual(x, y)
}

// Fresh returns a new controller with the same clients and configuration
// (and the same Metrics), with new informers and empty state.
func (c *Controller) Fresh() (*Controller, error) { return New(c.cl, c.cfg) }
