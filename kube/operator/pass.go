package operator

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/vpa"
	"github.com/smartvpa/smartvpa/kube"
)

// PassResult summarises a reconcile pass (for logs and tests).
type PassResult struct {
	VPAs        int
	Recommended int // containers with a recommendation
	Samples     int
	// Backlog is the number of statuses of earlier passes not yet written
	// when this pass started (0 while the writers keep up).
	Backlog  int
	Duration time.Duration
}

// Pass runs one reconcile pass at the clock's time: it samples the metrics,
// feeds the recommenders, queues every VPA's status for the writers (which
// patch only those that changed; see Flush) and runs the updater.
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
			c.gone[k] = true // its checkpoint ConfigMap goes too (collectCheckpoints)
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

	// Statuses go to the writers (status.go), which patch those that
	// changed; the pass does not wait for them.
	res.Backlog = c.writes.Len()
	for _, j := range jobs {
		c.writes.put(j.v, j.o.status)
	}
	// Updater actions, by a few workers, within the pass.
	if c.cfg.Updater {
		var wg sync.WaitGroup
		ch := make(chan job)
		for range c.cfg.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range ch {
					if err := c.update(ctx, j.v, j.o.workload, j.o.act, now); err != nil {
						c.m.Errors.WithLabelValues("updater").Inc()
						c.log.Warn("updater", "vpa", j.v.Key(), "err", err)
					}
				}
			}()
		}
		for _, j := range jobs {
			if j.o.workload != nil && len(j.o.act) > 0 {
				ch <- j
			}
		}
		close(ch)
		wg.Wait()
	}

	res.Duration = time.Since(start)
	c.m.ReconcileSeconds.Observe(res.Duration.Seconds())
	c.mu.Lock()
	c.lastPass = c.cfg.Clock()
	c.mu.Unlock()
	c.log.Info("reconcile pass", "vpas", res.VPAs, "containers_recommended", res.Recommended, "samples", res.Samples,
		"status_backlog", res.Backlog, "duration", res.Duration)
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
		s = newVPAState(v.UID)
		c.states[v.Key()] = s
	}
	return s
}

func newVPAState(uid string) *vpaState {
	return &vpaState{uid: uid, containers: map[string]*containerState{}, seen: map[string]time.Time{}, oomSeen: map[string]time.Time{},
		slots: map[string]int{}}
}

// newContainer returns the state of one container of a pod of containers
// containers (the recommender splits the pod minimums between them, as
// upstream does).
func (c *Controller) newContainer(containers int) (*containerState, error) {
	// The policy is applied by serve (ApplyPolicy), not by the recommender:
	// a VPA's resourcePolicy can change without resetting the history.
	r, err := recommend.New(c.cfg.Recommender, recommend.Config{ModelFile: c.cfg.ModelFile, Profile: c.cfg.Profile, ContainersInPod: containers})
	if err != nil {
		return nil, err
	}
	return &containerState{rec: r, pending: newJournal(c.cfg.MaxJournal)}, nil
}

func (s *vpaState) container(c *Controller, name string, containers int) (*containerState, error) {
	cs := s.containers[name]
	if cs == nil {
		var err error
		if cs, err = c.newContainer(containers); err != nil {
			return nil, err
		}
		s.containers[name] = cs
	}
	return cs, nil
}

// add feeds a new sample of pod (in slot) and keeps it for the next
// checkpoint write.
func (cs *containerState) add(pod string, slot int, smp model.Sample) {
	tag := cs.tagFor(pod, slot)
	cs.feed(tag, smp)
	cs.pending.addTagged(tag, smp)
}

// tagFor returns the pod tag of an event of pod in slot: a start when the
// slot last fed another pod to this container's recommender.
func (cs *containerState) tagFor(pod string, slot int) podTag {
	if slot >= len(cs.slotPod) {
		cs.slotPod = append(cs.slotPod, make([]string, slot+1-len(cs.slotPod))...)
	}
	start := cs.slotPod[slot] != pod
	cs.slotPod[slot] = pod
	return makeTag(slot, start)
}

// feed gives a sample to the recommender (add, or a restore's replay).
func (cs *containerState) feed(tag podTag, smp model.Sample) {
	recommend.AddReplicaSample(cs.rec, tag.slot(), tag.start(), smp)
	if cs.samples == 0 {
		cs.first = smp.Time
	}
	cs.last = smp.Time
	cs.samples++
}

func (cs *containerState) addOOM(tag podTag, e model.OOMEvent) {
	recommend.AddReplicaOOM(cs.rec, tag.slot(), tag.start(), e)
	cs.ooms = append(cs.ooms, oomRecord{e: e, tag: tag})
	if len(cs.ooms) > 64 {
		cs.ooms = cs.ooms[len(cs.ooms)-64:]
	}
}

type podSample struct {
	container string
	pod       string
	slot      int
	smp       model.Sample
}

// oomRecord is an OOM kill fed to a container's recommender, with the pod
// tag it was fed with.
type oomRecord struct {
	e   model.OOMEvent
	tag podTag
}

// podKey identifies a pod for its slot: its UID (a recreated pod, even
// with the same name, is a new pod), else its name.
func podKey(p *corev1.Pod) string {
	if p.UID != "" {
		return string(p.UID)
	}
	return p.Name
}

// assignSlots gives every live pod of the target a slot (a small index, the
// lowest free one for a new pod) and frees the slots of pods that are gone,
// with their metrics and OOM bookkeeping. Upstream keeps one container state
// per pod; the recommenders keep theirs per slot (recommend.ReplicaRecommender).
func (s *vpaState) assignSlots(pods []*corev1.Pod) {
	live := make(map[string]bool, len(pods))
	names := make(map[string]bool, len(pods))
	for _, p := range pods {
		live[podKey(p)] = true
		names[p.Name] = true
	}
	for k := range s.slots {
		if !live[k] {
			delete(s.slots, k)
		}
	}
	for _, m := range []map[string]time.Time{s.seen, s.oomSeen} {
		for id := range m {
			if i := strings.IndexByte(id, '/'); i > 0 && !names[id[:i]] {
				delete(m, id)
			}
		}
	}
	used := make([]bool, len(pods)+len(s.slots))
	for _, slot := range s.slots {
		if slot < len(used) {
			used[slot] = true
		}
	}
	next := 0
	for _, p := range pods {
		k := podKey(p)
		if _, ok := s.slots[k]; ok {
			continue
		}
		for next < len(used) && used[next] {
			next++
		}
		s.slots[k] = next
		if next < len(used) {
			used[next] = true
		}
		next++
	}
}

// outcome is what reconciling one VPA gives: the status to write, the
// capped recommendations by container, the target and the samples added.
type outcome struct {
	status map[string]any
	// recs are the capped recommendations published, act those the
	// updater acts on (not the minimums published before a first sample).
	recs     map[string]model.Recommendation
	act      map[string]model.Recommendation
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
	s.assignSlots(w.Pods)
	var fresh []podSample
	for _, p := range w.Pods {
		pk := podKey(p)
		slot := s.slots[pk]
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
				fresh = append(fresh, podSample{mc.Name, pk, slot, model.Sample{Time: at,
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
			cs, err := s.container(c, st.Name, len(w.Containers))
			if err != nil {
				continue
			}
			req := w.Container(st.Name).Requests.MemoryBytes
			for _, pc := range kube.ContainersOf(&p.Spec) {
				if pc.Name == st.Name && pc.Requests.MemoryBytes > 0 {
					req = pc.Requests.MemoryBytes
				}
			}
			cs.addOOM(cs.tagFor(pk, slot), model.OOMEvent{Time: t.FinishedAt.Time.UTC(), MemoryRequestBytes: req})
			s.dirty = true
		}
	}
	// Samples of several replicas share metrics windows; the recommenders
	// take samples in strictly increasing time order, so samples at the same
	// time are spread by a nanosecond each (in pod order).
	sort.SliceStable(fresh, func(i, j int) bool { return fresh[i].smp.Time.Before(fresh[j].smp.Time) })
	for _, ps := range fresh {
		cs, err := s.container(c, ps.container, len(w.Containers))
		if err != nil {
			continue
		}
		if !cs.last.IsZero() && !ps.smp.Time.After(cs.last) {
			ps.smp.Time = cs.last.Add(time.Nanosecond)
		}
		cs.add(ps.pod, ps.slot, ps.smp)
		s.dirty = true
	}
	recs := map[string]model.Recommendation{}
	low := []string{}
	act := map[string]model.Recommendation{}
	for _, ct := range w.Containers {
		pol := v.PolicyFor(ct.Name)
		cs := s.containers[ct.Name]
		if pol.Off {
			c.clearSeries(v, ct.Name)
			continue
		}
		var rec model.Recommendation
		ok, minimums := false, false
		if cs != nil {
			rec, ok = cs.rec.Recommend(now)
		}
		if !ok {
			if len(w.Pods) == 0 {
				c.clearSeries(v, ct.Name)
				continue
			}
			// Before a container's first sample upstream publishes the pod
			// minimums split between the containers (its estimator on an
			// empty aggregate ends at the floors). The updater does not act
			// on them: it waits for a sample.
			rec, minimums = vpa.Minimums(vpa.DefaultOptions(), len(w.Containers)), true
		}
		capped, ok := ApplyPolicy(rec, pol)
		if !ok {
			continue
		}
		recs[ct.Name] = capped
		if !minimums {
			act[ct.Name] = capped
		}
		c.setSeries(v, ct.Name, capped)
		if minimums {
			low = append(low, ct.Name)
		} else if span := cs.last.Sub(cs.first); span < c.cfg.LowConfidenceSpan {
			// Names only: a message that changed every pass (the span)
			// would make every VPA's status be rewritten every pass.
			low = append(low, ct.Name)
		}
	}
	return outcome{status: c.statusFor(v, recs, low, merr, nil, now), recs: recs, act: act, workload: w, samples: len(fresh)}
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
