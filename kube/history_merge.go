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
	var counts []string
	fallback := 0
	for i, s := range p.Sources {
		h, err := s.History(ctx, ws, now)
		if err != nil {
			errs = append(errs, err)
			out.Notes = append(out.Notes, fmt.Sprintf("%s (%s): %v", s.Name(), p.kind(i), err))
			continue
		}
		out.Notes = append(out.Notes, h.Notes...)
		keys := map[ContainerKey]bool{}
		for k, smp := range h.Samples {
			if len(smp) > 0 {
				keys[k] = true
			}
		}
		for k := range h.Checkpoints {
			keys[k] = true
		}
		taken := 0
		for k := range keys {
			if out.Has(k) {
				continue
			}
			taken++
			if len(h.Samples[k]) > 0 {
				out.Samples[k] = h.Samples[k]
				if p, ok := h.pods[k]; ok {
					out.pods[k] = p
				}
			} else {
				out.Checkpoints[k] = h.Checkpoints[k]
			}
			if f, ok := h.Throttled[k]; ok {
				out.Throttled[k] = f
			}
		}
		if taken > 0 {
			out.LowConfidence = out.LowConfidence || h.LowConfidence
			if i > 0 {
				fallback += taken
			}
		}
		counts = append(counts, fmt.Sprintf("%d from %s", taken, p.kind(i)))
	}
	if len(errs) == len(p.Sources) && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(p.Sources) > 1 && fallback > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%s: containers by source (the first with evidence for a container wins): %s", p.Label, joinFirst(counts, len(counts))))
	}
	return out, nil
}
