package kube

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/vpa"
)

// The upstream VPA API objects read by the checkpoints source.
var (
	VPAResource           = schema.GroupVersionResource{Group: "autoscaling.k8s.io", Version: "v1", Resource: "verticalpodautoscalers"}
	VPACheckpointResource = schema.GroupVersionResource{Group: "autoscaling.k8s.io", Version: "v1", Resource: "verticalpodautoscalercheckpoints"}
)

// VPACheckpoint is an upstream VerticalPodAutoscalerCheckpoint: the upstream
// recommender's aggregated, decaying CPU and memory histograms for one
// container of one VPA object (or smartvpa serve's, which writes the same
// objects for its vpa recommender). The status is vpa.Checkpoint, field for
// field.
type VPACheckpoint struct {
	// Namespace and Name of the object; VPA and Container from its spec.
	Namespace, Name, VPA, Container string
	vpa.Checkpoint
}

// CheckpointLoader is implemented by recommenders that can start from an
// upstream VPA checkpoint (vpa.Recommender).
type CheckpointLoader interface {
	LoadFromCheckpoint(cp *vpa.Checkpoint) error
}

// VPACheckpointName is the object name upstream gives the checkpoint of a
// VPA's container: <vpa>-<container>.
func VPACheckpointName(vpaName, container string) string { return vpaName + "-" + container }

// Checkpoints reads upstream VerticalPodAutoscalerCheckpoint objects through
// the dynamic client and attributes them to workloads through the
// targetRef of their VerticalPodAutoscaler. A cluster without the VPA CRDs
// has no checkpoints, which is not an error. When several VPAs target the
// same workload, a container gets the most recently written checkpoint.
type Checkpoints struct {
	Client dynamic.Interface
}

// Name returns "checkpoints".
func (c *Checkpoints) Name() string { return "checkpoints" }

// History implements HistorySource: one list of VPAs and one of checkpoints
// (per namespace, or cluster-wide when the workloads span namespaces).
func (c *Checkpoints) History(ctx context.Context, ws []*Workload, now time.Time) (*History, error) {
	h := NewHistory(c.Name())
	byNS := map[string][]*Workload{}
	for _, w := range ws {
		byNS[w.Namespace] = append(byNS[w.Namespace], w)
	}
	nss := make([]string, 0, len(byNS))
	for ns := range byNS {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	if len(nss) > 1 {
		nss = []string{metav1.NamespaceAll}
	}
	wanted := map[string]*Workload{}
	for _, w := range ws {
		wanted[w.Key()] = w
	}
	used := map[ContainerKey]string{} // -> ns/object name
	skipped := 0
	for _, ns := range nss {
		vpas, err := c.Client.Resource(VPAResource).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
				h.Notes = append(h.Notes, "no VerticalPodAutoscaler API: "+err.Error())
				return h, nil
			}
			return nil, fmt.Errorf("list verticalpodautoscalers: %w", err)
		}
		target := map[string]string{} // ns/vpa -> workload key
		for _, v := range vpas.Items {
			kind, _, _ := unstructured.NestedString(v.Object, "spec", "targetRef", "kind")
			name, _, _ := unstructured.NestedString(v.Object, "spec", "targetRef", "name")
			target[v.GetNamespace()+"/"+v.GetName()] = v.GetNamespace() + "/" + kind + "/" + name
		}
		cps, err := c.Client.Resource(VPACheckpointResource).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
				h.Notes = append(h.Notes, "no VerticalPodAutoscalerCheckpoint API: "+err.Error())
				return h, nil
			}
			return nil, fmt.Errorf("list verticalpodautoscalercheckpoints: %w", err)
		}
		for i := range cps.Items {
			cp, err := ParseVPACheckpoint(&cps.Items[i])
			if err != nil {
				h.Notes = append(h.Notes, err.Error())
				continue
			}
			w := wanted[target[cp.Namespace+"/"+cp.VPA]]
			if w == nil || w.Container(cp.Container) == nil {
				continue
			}
			if cp.Version != vpa.CheckpointVersion {
				h.Notes = append(h.Notes, fmt.Sprintf("checkpoint %s/%s: version %q is not supported (vpa reads %q): skipped", cp.Namespace, cp.Name, cp.Version, vpa.CheckpointVersion))
				continue
			}
			k := ContainerKey{Workload: w.Key(), Container: cp.Container}
			if old := h.Checkpoints[k]; old != nil {
				skipped++
				if !cp.LastUpdateTime.After(old.LastUpdateTime) {
					continue
				}
			}
			h.Checkpoints[k] = cp
			used[k] = cp.Namespace + "/" + cp.Name
		}
	}
	if len(h.Checkpoints) > 0 {
		h.Notes = append(h.Notes, checkpointsNote(h, used, skipped))
	}
	return h, nil
}

// checkpointsNote says which upstream checkpoint objects were used.
func checkpointsNote(h *History, used map[ContainerKey]string, skipped int) string {
	names := make([]string, 0, len(used))
	var newest time.Time
	for k, n := range used {
		names = append(names, n)
		if t := h.Checkpoints[k].LastUpdateTime; t.After(newest) {
			newest = t
		}
	}
	sort.Strings(names)
	msg := fmt.Sprintf("checkpoints: %d upstream VerticalPodAutoscalerCheckpoint object(s) (%s), newest written %s",
		len(names), joinFirst(names, 3), newest.UTC().Format(time.RFC3339))
	if skipped > 0 {
		msg += fmt.Sprintf("; %d older one(s) for the same containers ignored", skipped)
	}
	return msg
}

func joinFirst(s []string, n int) string {
	out := ""
	for i, x := range s {
		if i == n {
			return out + fmt.Sprintf(" and %d more", len(s)-n)
		}
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// checkpointNote is the engine's history note when containers are
// recommended from checkpoints by a recommender that cannot load them.
func (e *Engine) checkpointNote(h *History) string {
	if h == nil || len(h.Checkpoints) == 0 || e.loadsCheckpoints() {
		return ""
	}
	return fmt.Sprintf("checkpoints hold histograms, not samples: recommender %s cannot start from them, so containers with only a checkpoint are recommended by vpa seeded with it (as %s answers with vpa until it has samples of its own)",
		e.Recommender, e.Recommender)
}

func (e *Engine) loadsCheckpoints() bool {
	r, err := recommend.New(e.Recommender, e.Config)
	if err != nil {
		return false
	}
	_, ok := recommend.Unwrap(r).(CheckpointLoader)
	return ok
}

// fromCheckpoint starts recommender r from checkpoint cp. A recommender that
// cannot load checkpoints is replaced by vpa (with cfg), seeded with it, and
// note says so.
func (e *Engine) fromCheckpoint(r recommend.Recommender, cfg recommend.Config, cp *VPACheckpoint) (recommend.Recommender, string, error) {
	note := ""
	l, ok := recommend.Unwrap(r).(CheckpointLoader)
	if !ok {
		v, err := vpa.New(vpa.DefaultOptions(), cfg)
		if err != nil {
			return nil, "", err
		}
		r, l = recommend.Guard(v, cfg.CPUOnly), v
		note = fmt.Sprintf("recommended by vpa from checkpoint %s (%s cannot load histograms)", cp.Name, e.Recommender)
	}
	if err := l.LoadFromCheckpoint(&cp.Checkpoint); err != nil {
		return nil, "", fmt.Errorf("load checkpoint %s/%s: %w", cp.Namespace, cp.Name, err)
	}
	if len(cp.MemoryHistogram.BucketWeights) == 0 && cp.TotalSamplesCount > 0 {
		// Upstream leaves the peak of the day still open out of a checkpoint:
		// within a container's first day its memory histogram is empty.
		note = joinNotes(note, fmt.Sprintf("checkpoint %s holds no memory peak yet (the current day's is left out until the day ends): the memory recommendation is the floor", cp.Name))
	}
	return r, note, nil
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// ParseVPACheckpoint reads an upstream VerticalPodAutoscalerCheckpoint.
func ParseVPACheckpoint(u *unstructured.Unstructured) (*VPACheckpoint, error) {
	cp := &VPACheckpoint{Namespace: u.GetNamespace(), Name: u.GetName()}
	where := func(field string, err error) error {
		return fmt.Errorf("checkpoint %s/%s: %s: %w", u.GetNamespace(), u.GetName(), field, err)
	}
	cp.VPA, _, _ = unstructured.NestedString(u.Object, "spec", "vpaObjectName")
	cp.Container, _, _ = unstructured.NestedString(u.Object, "spec", "containerName")
	if cp.VPA == "" || cp.Container == "" {
		return nil, fmt.Errorf("checkpoint %s/%s: spec.vpaObjectName and spec.containerName are required", u.GetNamespace(), u.GetName())
	}
	status, _, _ := unstructured.NestedMap(u.Object, "status")
	cp.Version, _ = status["version"].(string)
	var err error
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"lastUpdateTime", &cp.LastUpdateTime}, {"firstSampleStart", &cp.FirstSampleStart}, {"lastSampleStart", &cp.LastSampleStart}} {
		if *f.dst, err = parseTime(status[f.name]); err != nil {
			return nil, where("status."+f.name, err)
		}
	}
	n, err := toNumber(status["totalSamplesCount"])
	if err != nil || n < 0 || n != math.Trunc(n) || n > math.MaxInt32 {
		return nil, where("status.totalSamplesCount", fmt.Errorf("%v is not a sample count", status["totalSamplesCount"]))
	}
	cp.TotalSamplesCount = int(n)
	for _, f := range []struct {
		name string
		dst  *vpa.HistogramCheckpoint
	}{{"cpuHistogram", &cp.CPUHistogram}, {"memoryHistogram", &cp.MemoryHistogram}} {
		m, _ := status[f.name].(map[string]any)
		if err := parseHistogram(m, f.dst); err != nil {
			return nil, where("status."+f.name, err)
		}
	}
	return cp, nil
}

func parseHistogram(m map[string]any, h *vpa.HistogramCheckpoint) error {
	var err error
	if h.ReferenceTimestamp, err = parseTime(m["referenceTimestamp"]); err != nil {
		return fmt.Errorf("referenceTimestamp: %w", err)
	}
	if h.TotalWeight, err = toNumber(m["totalWeight"]); err != nil || h.TotalWeight < 0 {
		return fmt.Errorf("totalWeight: %v is not a weight", m["totalWeight"])
	}
	h.BucketWeights = map[int]uint32{}
	bw, _ := m["bucketWeights"].(map[string]any)
	for k, v := range bw {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 {
			return fmt.Errorf("bucketWeights: bucket %q is not a bucket index", k)
		}
		w, err := toNumber(v)
		if err != nil || w < 0 || w > math.MaxUint32 || w != math.Trunc(w) {
			return fmt.Errorf("bucketWeights: bucket %d weight %v is not a whole number from 0 to %d", i, v, uint32(math.MaxUint32))
		}
		h.BucketWeights[i] = uint32(w)
	}
	return nil
}

// parseTime reads a metav1.Time: RFC 3339, or null/absent for zero.
func parseTime(v any) (time.Time, error) {
	if v == nil {
		return time.Time{}, nil
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("%v is not an RFC 3339 time", v)
	}
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, s)
}

// toNumber reads a JSON number as unstructured holds it; absent is 0.
func toNumber(v any) (float64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return float64(x), nil
	case int:
		return float64(x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fmt.Errorf("%v is not a finite number", x)
		}
		return x, nil
	}
	return 0, fmt.Errorf("%v is not a number", v)
}

// formatTime writes a metav1.Time as the API server stores it: RFC 3339 in
// UTC with whole seconds, null for zero.
func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func histogramStatus(h vpa.HistogramCheckpoint) map[string]any {
	m := map[string]any{"referenceTimestamp": formatTime(h.ReferenceTimestamp)}
	if h.TotalWeight != 0 {
		m["totalWeight"] = h.TotalWeight
	}
	if len(h.BucketWeights) > 0 {
		bw := make(map[string]any, len(h.BucketWeights))
		for b, w := range h.BucketWeights {
			bw[strconv.Itoa(b)] = int64(w)
		}
		m["bucketWeights"] = bw
	}
	return m
}

// VPACheckpointStatus is cp as the status of an upstream
// VerticalPodAutoscalerCheckpoint object, in the JSON shape upstream's
// types marshal to (times in whole seconds; empty bucketWeights, a zero
// totalWeight and a zero totalSamplesCount left out, as upstream's omitempty
// does).
func VPACheckpointStatus(cp vpa.Checkpoint) map[string]any {
	st := map[string]any{
		"lastUpdateTime":   formatTime(cp.LastUpdateTime),
		"version":          cp.Version,
		"cpuHistogram":     histogramStatus(cp.CPUHistogram),
		"memoryHistogram":  histogramStatus(cp.MemoryHistogram),
		"firstSampleStart": formatTime(cp.FirstSampleStart),
		"lastSampleStart":  formatTime(cp.LastSampleStart),
	}
	if cp.TotalSamplesCount != 0 {
		st["totalSamplesCount"] = int64(cp.TotalSamplesCount)
	}
	return st
}

// NewVPACheckpointObject returns the upstream VerticalPodAutoscalerCheckpoint
// object of container of VPA namespace/vpaName holding cp, named as upstream
// names it and without owner (as upstream's).
func NewVPACheckpointObject(namespace, vpaName, container string, cp vpa.Checkpoint, labels map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "autoscaling.k8s.io/v1",
		"kind":       "VerticalPodAutoscalerCheckpoint",
		"metadata":   map[string]any{"name": VPACheckpointName(vpaName, container), "namespace": namespace},
		"spec":       map[string]any{"vpaObjectName": vpaName, "containerName": container},
		"status":     VPACheckpointStatus(cp),
	}}
	if len(labels) > 0 {
		u.SetLabels(labels)
	}
	return u
}
