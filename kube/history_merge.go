package kube

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// PerContainer combines history sources container by container: each
// container takes its evidence from the first source that has any for it
// (e.g. serve's journal of raw samples, which is exact, before upstream
// checkpoints, which are histograms). Sources that fail are notes while
// another answers; when all fail, the errors are returned.
type PerContainer struct {
	// Label is the combined source's name.
	Label   string
	Sources []HistorySource
	// Kinds describe the sources in the notes, e.g. "serve journal"
	// (default: their names).
	Kinds []string
}

func (p *PerContainer) kind(i int) string {
	if i < len(p.Kinds) && p.Kinds[i] != "" {
		return p.Kinds[i]
	}
	return p.Sources[i].Name()
}

// Name returns the label.
func (p *PerContainer) Name() string { return p.Label }

// History implements HistorySource.
func (p *PerContainer) History(ctx context.Context, ws []*Workload, now time.Time) (*History, error) {
	out := NewHistory(p.Label)
	var errs []error
	from := map[ContainerKey]int{} // container -> index of its source
	low := make([]bool, len(p.Sources))
	answered := make([]bool, len(p.Sources))
	notes := make([][]string, len(p.Sources))
	had := make([]bool, len(p.Sources)) // the source had evidence
	replaced := 0
	for i, s := range p.Sources {
		h, err := s.History(ctx, ws, now)
		if err != nil {
			errs = append(errs, err)
			notes[i] = []string{fmt.Sprintf("%s (%s): %v", s.Name(), p.kind(i), err)}
			continue
		}
		answered[i], low[i] = true, h.LowConfidence
		notes[i] = h.Notes
		keys := map[ContainerKey]bool{}
		for k, smp := range h.Samples {
			if len(smp) > 0 {
				keys[k] = true
			}
		}
		for k := range h.Checkpoints {
			keys[k] = true
		}
		had[i] = len(keys) > 0
		for k := range keys {
			if out.Has(k) {
				// Samples covering only the recent part of a container's
				// history give way to a whole-history checkpoint.
				if !out.Partial[k] || h.Checkpoints[k] == nil || len(h.Samples[k]) > 0 {
					continue
				}
				delete(out.Samples, k)
				delete(out.Partial, k)
				delete(out.pods, k)
				delete(out.Throttled, k)
				replaced++
			}
			from[k] = i
			if len(h.Samples[k]) > 0 {
				out.Samples[k] = h.Samples[k]
				if h.Partial[k] {
					if out.Partial == nil {
						out.Partial = map[ContainerKey]bool{}
					}
					out.Partial[k] = true
				}
				if pods, ok := h.pods[k]; ok {
					out.pods[k] = pods
				}
			} else {
				out.Checkpoints[k] = h.Checkpoints[k]
			}
			if f, ok := h.Throttled[k]; ok {
				out.Throttled[k] = f
			}
		}
	}
	if len(errs) == len(p.Sources) && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	taken := make([]int, len(p.Sources))
	for _, i := range from {
		taken[i]++
		out.LowConfidence = out.LowConfidence || low[i]
	}
	// The notes of a source whose evidence was all superseded would read as
	// if it had been used: one note says it was not.
	for i := range p.Sources {
		if had[i] && taken[i] == 0 {
			out.Notes = append(out.Notes, fmt.Sprintf("%s: %s not used (an earlier source had evidence for each of its containers)", p.Label, p.kind(i)))
			continue
		}
		out.Notes = append(out.Notes, notes[i]...)
	}
	if replaced > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%s: %d container(s) whose samples cover only the recent part of their history use a whole-history checkpoint instead", p.Label, replaced))
	}
	var counts []string
	fallback := false
	for i := range p.Sources {
		if answered[i] {
			counts = append(counts, fmt.Sprintf("%d from %s", taken[i], p.kind(i)))
			fallback = fallback || (i > 0 && taken[i] > 0)
		}
	}
	if len(p.Sources) > 1 && fallback {
		out.Notes = append(out.Notes, fmt.Sprintf("%s: containers by source (the first with evidence for a container wins): %s", p.Label, joinFirst(counts, len(counts))))
	}
	return out, nil
}
