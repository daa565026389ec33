package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/vpa"
	"github.com/smartvpa/smartvpa/kube"
)

// Upstream checkpoints. With the vpa recommender, serve also keeps its state
// the way the upstream recommender does: one VerticalPodAutoscalerCheckpoint
// (autoscaling.k8s.io/v1) per VPA container, named <vpa>-<container> in the
// VPA's namespace, without owner references (as upstream's), its status the
// recommender's vpa.Checkpoint (10000-level bucket weights, reference
// timestamps, sample count and span; the memory peak of the window still
// open left out, as upstream's checkpoint writer does). So:
//
//   - the upstream recommender can take over a VPA from smartvpa (or the
//     reverse) without losing history: both read <vpa>-<container>;
//   - `kubectl smartvpa recommend --history checkpoints` reads them;
//   - on start, a VPA with no smartvpa journal (the ConfigMap, see
//     checkpoint.go) is restored from them, and a container whose journal
//     does not cover its whole history (it was dropped past MaxJournal, or
//     the state itself came from an upstream checkpoint) is restored from its
//     upstream checkpoint plus the journal's samples after it. A journal
//     that covers everything is exact and wins.
//
// They are written with the journal (every --checkpoint-interval and on
// shutdown), only when the status changed, by Config.Workers writers, as
// upstream writes them: a JSON
// patch of /status, or a create when the object does not exist. With a CRD
// that declares a status subresource (deploy/crds/vpa-crds.yaml does;
// upstream's own CRD does not) the status subresource is patched as well.
// Objects serve created carry the label app.kubernetes.io/managed-by=smartvpa
// and are deleted once their VPA object is gone (as upstream's garbage
// collection does); a VPA that names another recommender keeps them, so
// that recommender can start from them.
//
// Only the vpa recommender: smart keeps its inner vpa to itself, and the
// other recommenders have no histogram; their state is the journal alone.

// upstreamManagedBy labels the checkpoint objects serve created.
const upstreamManagedBy = "app.kubernetes.io/managed-by"

// upstreamCheckpoints is the writer's memory of what it wrote.
type upstreamCheckpoints struct {
	mu sync.Mutex
	// written: namespace/object name -> status last written (without its
	// LastUpdateTime), to skip unchanged ones.
	written map[string]vpa.Checkpoint
}

// UpstreamCheckpoints reports whether serve writes and restores upstream
// VerticalPodAutoscalerCheckpoint objects: with the vpa recommender while
// checkpoints are on.
func (c *Controller) UpstreamCheckpoints() bool {
	return c.cfg.CheckpointNamespace != "" && c.cfg.Recommender == vpa.Name
}

type upstreamItem struct {
	ns, vpaName, container string
	cp                     vpa.Checkpoint
}

// upstreamItems returns the checkpoints of every vpa recommender at now.
func (c *Controller) upstreamItems(now time.Time) []upstreamItem {
	var items []upstreamItem
	c.mu.Lock()
	for key, s := range c.states {
		ns, name := splitKey(key)
		for cname, cs := range s.containers {
			r, ok := recommend.Unwrap(cs.rec).(*vpa.Recommender)
			if !ok {
				continue
			}
			cp := r.SaveToCheckpoint(now)
			if cp.TotalSamplesCount == 0 {
				continue
			}
			items = append(items, upstreamItem{ns, name, cname, cp})
		}
	}
	c.mu.Unlock()
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		return a.ns+"/"+a.vpaName+"/"+a.container < b.ns+"/"+b.vpaName+"/"+b.container
	})
	return items
}

// WriteUpstreamCheckpoints writes the VerticalPodAutoscalerCheckpoint of
// every container whose state changed since it was last written, and
// deletes those serve created whose VPA is gone. It returns the number
// written.
func (c *Controller) WriteUpstreamCheckpoints(ctx context.Context) (int, error) {
	if !c.UpstreamCheckpoints() {
		return 0, nil
	}
	items := c.upstreamItems(c.cfg.Clock())
	c.up.mu.Lock()
	defer c.up.mu.Unlock()
	if c.up.written == nil {
		c.up.written = map[string]vpa.Checkpoint{}
	}
	type job struct {
		key string
		it  upstreamItem
		cmp vpa.Checkpoint
	}
	var jobs []job
	for _, it := range items {
		key := it.ns + "/" + kube.VPACheckpointName(it.vpaName, it.container)
		cmp := it.cp
		cmp.LastUpdateTime = time.Time{}
		if prev, ok := c.up.written[key]; ok && reflect.DeepEqual(prev, cmp) {
			continue
		}
		jobs = append(jobs, job{key, it, cmp})
	}
	// Config.Workers writers: the API round trips overlap.
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(c.cfg.Workers, len(jobs)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = c.putUpstream(ctx, jobs[i].it)
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	written := 0
	for i, j := range jobs {
		if errs[i] == nil {
			c.up.written[j.key] = j.cmp
			written++
		}
	}
	if err := c.collectUpstream(ctx); err != nil {
		errs = append(errs, err)
	}
	return written, errors.Join(errs...)
}

// putUpstream writes one checkpoint as upstream's CreateOrUpdateVpaCheckpoint
// does: a JSON patch of /status, a create when the object is missing.
func (c *Controller) putUpstream(ctx context.Context, it upstreamItem) error {
	res := c.cl.Dynamic.Resource(kube.VPACheckpointResource).Namespace(it.ns)
	name := kube.VPACheckpointName(it.vpaName, it.container)
	status := kube.VPACheckpointStatus(it.cp)
	// "add" replaces /status when it exists and creates it when it does not.
	patch, err := json.Marshal([]map[string]any{{"op": "add", "path": "/status", "value": status}})
	if err != nil {
		return err
	}
	opts := metav1.PatchOptions{FieldManager: kube.FieldManager}
	got, err := res.Patch(ctx, name, types.JSONPatchType, patch, opts)
	if apierrors.IsNotFound(err) {
		obj := kube.NewVPACheckpointObject(it.ns, it.vpaName, it.container, it.cp, map[string]string{upstreamManagedBy: "smartvpa"})
		got, err = res.Create(ctx, obj, metav1.CreateOptions{FieldManager: kube.FieldManager})
	}
	if err == nil {
		// A CRD with a status subresource ignored the status above.
		if at, _, _ := unstructured.NestedString(got.Object, "status", "lastUpdateTime"); at != status["lastUpdateTime"] {
			_, err = res.Patch(ctx, name, types.JSONPatchType, patch, opts, "status")
		}
	}
	if err != nil {
		return fmt.Errorf("write verticalpodautoscalercheckpoint %s/%s: %w", it.ns, name, err)
	}
	return nil
}

// collectUpstream deletes the checkpoint objects serve created whose VPA
// object no longer exists (whatever recommender it names). Called with c.up.mu
// held.
func (c *Controller) collectUpstream(ctx context.Context) error {
	if !c.vpaInf.HasSynced() {
		return nil
	}
	res := c.cl.Dynamic.Resource(kube.VPACheckpointResource)
	list, err := res.Namespace(metav1.NamespaceAll).List(ctx, metav1.ListOptions{LabelSelector: upstreamManagedBy + "=smartvpa"})
	if err != nil {
		return fmt.Errorf("list verticalpodautoscalercheckpoints: %w", err)
	}
	store := c.vpaInf.GetStore()
	var errs []error
	for i := range list.Items {
		u := &list.Items[i]
		vpaName, _, _ := unstructured.NestedString(u.Object, "spec", "vpaObjectName")
		if _, exists, _ := store.GetByKey(u.GetNamespace() + "/" + vpaName); exists {
			continue
		}
		if err := res.Namespace(u.GetNamespace()).Delete(ctx, u.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete verticalpodautoscalercheckpoint %s/%s: %w", u.GetNamespace(), u.GetName(), err))
			continue
		}
		delete(c.up.written, u.GetNamespace()+"/"+u.GetName())
	}
	return errors.Join(errs...)
}

// RestoreUpstream loads upstream checkpoints (one list call) for our VPAs
// whose state the journal did not restore, or restored only in part (see
// the package comment). It returns the number of containers restored.
func (c *Controller) RestoreUpstream(ctx context.Context) (int, error) {
	if !c.UpstreamCheckpoints() {
		return 0, nil
	}
	list, err := c.cl.Dynamic.Resource(kube.VPACheckpointResource).Namespace(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, fmt.Errorf("list verticalpodautoscalercheckpoints: %w", err)
	}
	var errs []error
	byVPA := map[string][]*kube.VPACheckpoint{}
	for i := range list.Items {
		cp, err := kube.ParseVPACheckpoint(&list.Items[i])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		byVPA[cp.Namespace+"/"+cp.VPA] = append(byVPA[cp.Namespace+"/"+cp.VPA], cp)
	}
	n := 0
	for _, v := range c.ourVPAs() {
		if cps := byVPA[v.Key()]; len(cps) > 0 {
			k, err := c.restoreUpstreamVPA(v, cps)
			n += k
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return n, errors.Join(errs...)
}

func (c *Controller) restoreUpstreamVPA(v *VPA, cps []*kube.VPACheckpoint) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.states[v.Key()]
	newState := s == nil || s.uid != v.UID
	if newState {
		s = newVPAState(v.UID)
	}
	var errs []error
	n := 0
	for _, cp := range cps {
		cs := s.containers[cp.Container]
		if cs != nil && cs.samples > 0 && cs.journaled+cs.pending.Len() >= cs.samples {
			continue // the journal holds the whole history: exact
		}
		fresh, err := c.newContainer(len(cps))
		if err != nil {
			return n, err
		}
		r, ok := recommend.Unwrap(fresh.rec).(*vpa.Recommender)
		if !ok {
			return n, fmt.Errorf("recommender %s cannot load upstream checkpoints", c.cfg.Recommender)
		}
		if err := r.LoadFromCheckpoint(&cp.Checkpoint); err != nil {
			errs = append(errs, fmt.Errorf("verticalpodautoscalercheckpoint %s/%s: %w", cp.Namespace, cp.Name, err))
			continue
		}
		if cs == nil {
			cs = fresh
			cs.first, cs.last, cs.samples = cp.FirstSampleStart, cp.LastSampleStart, cp.TotalSamplesCount
		} else {
			replayAfter(r, cs, cp.LastSampleStart)
			if !cp.FirstSampleStart.IsZero() && (cs.first.IsZero() || cp.FirstSampleStart.Before(cs.first)) {
				cs.first = cp.FirstSampleStart
			}
			if cp.LastSampleStart.After(cs.last) {
				cs.last = cp.LastSampleStart
			}
			cs.samples = max(cs.samples, cp.TotalSamplesCount)
		}
		cs.rec = r
		s.containers[cp.Container] = cs
		n++
	}
	if n > 0 && newState {
		// The metrics windows already in the checkpoint are not fed again.
		if w, err := c.target(v); err == nil {
			for _, p := range w.Pods {
				for name, cs := range s.containers {
					s.seen[p.Name+"/"+name] = cs.last
				}
			}
		}
		s.dirty = true
		c.states[v.Key()] = s
	}
	return n, errors.Join(errs...)
}

// replayAfter feeds r the journal's samples and OOM kills after t, in time
// order. The API server keeps t in whole seconds, and replicas' samples of
// one metrics window are a nanosecond apart: everything before the next
// whole second is in the checkpoint already.
func replayAfter(r *vpa.Recommender, cs *containerState, t time.Time) {
	t = t.Truncate(time.Second).Add(time.Second - 1)
	oi := 0
	for oi < len(cs.ooms) && !cs.ooms[oi].e.Time.After(t) {
		oi++
	}
	replay := func(tag podTag, smp model.Sample) bool {
		if !smp.Time.After(t) {
			return true
		}
		for oi < len(cs.ooms) && !cs.ooms[oi].e.Time.After(smp.Time) {
			o := cs.ooms[oi]
			r.AddReplicaOOM(o.tag.slot(), o.tag.start(), o.e)
			oi++
		}
		r.AddReplicaSample(tag.slot(), tag.start(), smp)
		return true
	}
	if cs.restored != nil {
		cs.restored.eachTagged(replay)
	}
	cs.pending.eachTagged(replay)
	for ; oi < len(cs.ooms); oi++ {
		o := cs.ooms[oi]
		r.AddReplicaOOM(o.tag.slot(), o.tag.start(), o.e)
	}
}

// dropRestored lets go of the journals kept from the restore for
// RestoreUpstream: the ConfigMaps hold them.
func (c *Controller) dropRestored() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.states {
		for _, cs := range s.containers {
			cs.restored = nil
		}
	}
}

// restoreUpstreamAtStart is Run's hook after the journal restore.
func (c *Controller) restoreUpstreamAtStart(ctx context.Context) {
	if !c.UpstreamCheckpoints() {
		if c.cfg.CheckpointNamespace != "" {
			c.log.Info("upstream VerticalPodAutoscalerCheckpoints are not used", "recommender", c.cfg.Recommender,
				"reason", "only the vpa recommender's state has upstream's shape; the ConfigMap journal holds this one's")
		}
		return
	}
	n, err := c.RestoreUpstream(ctx)
	if err != nil {
		c.m.Errors.WithLabelValues("checkpoint").Inc()
		c.log.Error("restore upstream checkpoints", "err", err)
	}
	c.log.Info("restored upstream checkpoints", "containers", n)
}

// writeUpstreamHook is checkpointAll's hook after the journal write.
func (c *Controller) writeUpstreamHook(ctx context.Context) {
	if !c.UpstreamCheckpoints() {
		return
	}
	n, err := c.WriteUpstreamCheckpoints(ctx)
	if err != nil {
		c.m.Errors.WithLabelValues("checkpoint").Inc()
		c.log.Error("write upstream checkpoints", "err", err)
		return
	}
	c.log.Info("wrote upstream checkpoints", "verticalpodautoscalercheckpoints", n)
}
