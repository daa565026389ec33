package kube

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// The upstream VPA API objects read by the checkpoints source.
var (
	VPAResource           = schema.GroupVersionResource{Group: "autoscaling.k8s.io", Version: "v1", Resource: "verticalpodautoscalers"}
	VPACheckpointResource = schema.GroupVersionResource{Group: "autoscaling.k8s.io", Version: "v1", Resource: "verticalpodautoscalercheckpoints"}
)

// VPACheckpoint is an upstream VerticalPodAutoscalerCheckpoint's status: the
// upstream recommender's aggregated, decaying CPU and memory histograms for
// one container of one VPA object.
type VPACheckpoint struct {
	Namespace, VPA, Container string
	CPU, Memory               HistogramCheckpoint
	FirstSampleStart          time.Time
	LastSampleStart           time.Time
	TotalSamplesCount         int
	Version                   string
}

// HistogramCheckpoint is one upstream histogram checkpoint: bucket weights
// normalised so the largest is 10000, the total weight, and the reference
// time the decay is relative to.
type HistogramCheckpoint struct {
	ReferenceTimestamp time.Time
	BucketWeights      map[int]uint32
	TotalWeight        float64
}

// Checkpoints reads upstream VerticalPodAutoscalerCheckpoint objects through
// the dynamic client and attributes them to workloads through the
// targetRef of their VerticalPodAutoscaler. A cluster without the VPA CRDs
// has no checkpoints, which is not an error.
type Checkpoints struct {
	Client dynamic.Interface
}

// Name returns "checkpoints".
func (c *Checkpoints) Name() string { return "checkpoints" }

// History implements HistorySource.
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
				return h, nil
			}
			return nil, fmt.Errorf("list verticalpodautoscalercheckpoints: %w", err)
		}
		wanted := map[string]*Workload{}
		for _, w := range ws {
			wanted[w.Key()] = w
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
			h.Checkpoints[ContainerKey{Workload: w.Key(), Container: cp.Container}] = cp
		}
	}
	return h, nil
}

// ParseVPACheckpoint reads an upstream VerticalPodAutoscalerCheckpoint.
func ParseVPACheckpoint(u *unstructured.Unstructured) (*VPACheckpoint, error) {
	cp := &VPACheckpoint{Namespace: u.GetNamespace()}
	cp.VPA, _, _ = unstructured.NestedString(u.Object, "spec", "vpaObjectName")
	cp.Container, _, _ = unstructured.NestedString(u.Object, "spec", "containerName")
	if cp.VPA == "" || cp.Container == "" {
		return nil, fmt.Errorf("checkpoint %s/%s: spec.vpaObjectName and spec.containerName are required", u.GetNamespace(), u.GetName())
	}
	status, _, _ := unstructured.NestedMap(u.Object, "status")
	cp.Version, _ = status["version"].(string)
	var err error
	if cp.FirstSampleStart, err = parseTime(status["firstSampleStart"]); err != nil {
		return nil, fmt.Errorf("checkpoint %s/%s: status.firstSampleStart: %w", u.GetNamespace(), u.GetName(), err)
	}
	if cp.LastSampleStart, err = parseTime(status["lastSampleStart"]); err != nil {
		return nil, fmt.Errorf("checkpoint %s/%s: status.lastSampleStart: %w", u.GetNamespace(), u.GetName(), err)
	}
	cp.TotalSamplesCount = int(toFloat(status["totalSamplesCount"]))
	for _, f := range []struct {
		name string
		dst  *HistogramCheckpoint
	}{{"cpuHistogram", &cp.CPU}, {"memoryHistogram", &cp.Memory}} {
		m, _ := status[f.name].(map[string]any)
		if err := parseHistogram(m, f.dst); err != nil {
			return nil, fmt.Errorf("checkpoint %s/%s: status.%s: %w", u.GetNamespace(), u.GetName(), f.name, err)
		}
	}
	return cp, nil
}

func parseHistogram(m map[string]any, h *HistogramCheckpoint) error {
	var err error
	if h.ReferenceTimestamp, err = parseTime(m["referenceTimestamp"]); err != nil {
		return fmt.Errorf("referenceTimestamp: %w", err)
	}
	h.TotalWeight = toFloat(m["totalWeight"])
	h.BucketWeights = map[int]uint32{}
	bw, _ := m["bucketWeights"].(map[string]any)
	for k, v := range bw {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 {
			return fmt.Errorf("bucketWeights: bucket %q is not a bucket index", k)
		}
		w := toFloat(v)
		if w < 0 || w > 1<<32-1 {
			return fmt.Errorf("bucketWeights: bucket %d weight %v out of range", i, w)
		}
		h.BucketWeights[i] = uint32(w)
	}
	return nil
}

func parseTime(v any) (time.Time, error) {
	s, _ := v.(string)
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, s)
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case int:
		return float64(x)
	case float64:
		return x
	}
	return 0
}
