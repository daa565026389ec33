package kube

import (
	"sort"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// ContainerKey names one container of one workload (Workload.Key()).
type ContainerKey struct {
	Workload  string
	Container string
}

// History is the usage evidence one source found for containers.
type History struct {
	// Source names where it came from: prometheus, checkpoints, live.
	Source string
	// Samples are each container's usage samples over all its pods, in time
	// order.
	Samples map[ContainerKey][]model.Sample
	// Checkpoints are upstream VPA checkpoints (aggregated histograms).
	Checkpoints map[ContainerKey]*VPACheckpoint
	// Throttled is the fraction of CFS periods throttled, where known.
	Throttled map[ContainerKey]float64
	// Partial marks containers whose samples are only the most recent part
	// of their history (a journal that dropped older samples); PerContainer
	// prefers a later source's whole-history checkpoint for them.
	Partial map[ContainerKey]bool
	// LowConfidence marks evidence too short to trust (live sampling).
	LowConfidence bool
	// Notes are remarks about the source, e.g. a raised step.
	Notes []string

	pods map[ContainerKey][]string
}

// NewHistory returns an empty history from source.
func NewHistory(source string) *History {
	return &History{
		Source:      source,
		Samples:     map[ContainerKey][]model.Sample{},
		Checkpoints: map[ContainerKey]*VPACheckpoint{},
		Throttled:   map[ContainerKey]float64{},
		pods:        map[ContainerKey][]string{},
	}
}

// Empty reports whether the history holds no evidence at all.
func (h *History) Empty() bool {
	if h == nil {
		return true
	}
	for _, s := range h.Samples {
		if len(s) > 0 {
			return false
		}
	}
	return len(h.Checkpoints) == 0
}

// Has reports whether the history holds evidence for container k.
func (h *History) Has(k ContainerKey) bool {
	return h != nil && (len(h.Samples[k]) > 0 || h.Checkpoints[k] != nil)
}

// Span returns the time between the first and last evidence for k.
func (h *History) Span(k ContainerKey) time.Duration {
	if cp := h.Checkpoints[k]; cp != nil {
		return cp.LastSampleStart.Sub(cp.FirstSampleStart)
	}
	s := h.Samples[k]
	if len(s) < 2 {
		return 0
	}
	return s[len(s)-1].Time.Sub(s[0].Time)
}

// SampleCount returns the number of samples behind k.
func (h *History) SampleCount(k ContainerKey) int {
	if cp := h.Checkpoints[k]; cp != nil {
		return cp.TotalSamplesCount
	}
	return len(h.Samples[k])
}

func (h *History) merge(o *History) {
	for k, s := range o.Samples {
		h.Samples[k] = append(h.Samples[k], s...)
	}
	for k, c := range o.Checkpoints {
		h.Checkpoints[k] = c
	}
	for k, p := range o.Partial {
		if h.Partial == nil {
			h.Partial = map[ContainerKey]bool{}
		}
		h.Partial[k] = h.Partial[k] || p
	}
	for k, f := range o.Throttled {
		if f > h.Throttled[k] {
			h.Throttled[k] = f
		}
	}
	for k, p := range o.pods {
		h.pods[k] = append(h.pods[k], p...)
	}
	h.Notes = append(h.Notes, o.Notes...)
	h.LowConfidence = h.LowConfidence || o.LowConfidence
}

func (h *History) sortSamples() {
	for _, s := range h.Samples {
		sort.SliceStable(s, func(i, j int) bool { return s[i].Time.Before(s[j].Time) })
	}
}
