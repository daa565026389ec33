package tuisource

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/sim"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/kube/whatif"
	"github.com/smartvpa/smartvpa/tui"
)

// WhatIf implements tui.WhatIfer with kube/whatif: it resolves the workload,
// pulls its containers' history from Collector and replays it against every
// recommender of Names the simulator knows, as `backtest --history` does.
type WhatIf struct {
	// Resolve lists the target workloads (the Source's).
	Resolve func(ctx context.Context) ([]*kube.Workload, error)
	// Collector pulls the history; Label names it for the view.
	Collector *whatif.Collector
	Label     string
	// Names are the recommenders to replay, in the view's order.
	Names []string
	// Options are the simulator's options (nil: sim.DefaultOptions); the
	// warm-up is cut as whatif.Warmup says.
	Options *sim.Options
	// HistoryDuration is the history asked for (for the short-history note).
	HistoryDuration time.Duration
	// Step is the history's resolution (the warm-up is a multiple of it).
	Step   time.Duration
	Seed   int64
	Config recommend.Config
	// Now is the end of the history (nil: time.Now truncated to Step).
	Now func() time.Time
}

var _ tui.WhatIfer = (*WhatIf)(nil)

// WhatIf implements tui.WhatIfer.
func (s *WhatIf) WhatIf(ctx context.Context, ref tui.Ref) (tui.WhatIf, error) {
	ws, err := s.Resolve(ctx)
	if err != nil {
		return tui.WhatIf{}, err
	}
	var w *kube.Workload
	for _, x := range ws {
		if RefOf(x) == ref {
			w = x
		}
	}
	if w == nil {
		return tui.WhatIf{}, fmt.Errorf("%s is gone: refresh the table", ref)
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	} else if s.Step > 0 {
		now = now.Truncate(s.Step)
	}
	set, err := s.Collector.Collect(ctx, []*kube.Workload{w}, now)
	if err != nil {
		return tui.WhatIf{}, err
	}
	if len(set.Series) == 0 {
		return tui.WhatIf{}, fmt.Errorf("%s has no history of %s: nothing to replay", s.Label, ref)
	}
	opts := sim.DefaultOptions()
	if s.Options != nil {
		opts = *s.Options
	}
	res := tui.WhatIf{Ref: ref, Source: s.Label, Containers: len(set.Series), Notes: set.Notes}
	var note string
	opts.Warmup, note = whatif.Warmup(set, opts.Warmup, s.HistoryDuration, s.Step)
	if note != "" {
		res.Notes = append(res.Notes, note)
	}
	for _, r := range set.Missing {
		res.Notes = append(res.Notes, "no history for container "+r.Container)
	}
	res.Warmup = opts.Warmup
	var names []string
	for _, n := range s.Names {
		if slices.Contains(sim.RecommenderNames(), n) {
			names = append(names, n)
		}
	}
	results, err := whatif.Backtest(ctx, set, names, sim.BacktestOptions{Options: opts, Seed: s.Seed, Config: s.Config})
	if err != nil {
		return tui.WhatIf{}, err
	}
	replicas := float64(max(1, w.Replicas))
	for _, c := range w.Containers {
		res.Current.CPUMillicores += c.Requests.CPUMillicores * replicas
		res.Current.MemoryBytes += c.Requests.MemoryBytes * replicas
	}
	sum := sim.Summarize(names, results)
	for i, n := range names {
		row := tui.WhatIfRow{Recommender: n, CPUSlack: sum[i].CPU.RelativeSlack, MemorySlack: sum[i].Memory.RelativeSlack,
			OOMs: sum[i].Memory.OOMs, Restarts: sum[i].Restarts, UpdatesPerDay: sum[i].UpdatesPerContainerDay, HasRequest: true}
		for _, r := range results {
			if r.Recommender != n {
				continue
			}
			if r.LastRecommendation == nil {
				row.HasRequest = false
				continue
			}
			t := r.LastRecommendation.Target
			row.Request.CPUMillicores += t.CPUMillicores * replicas
			row.Request.MemoryBytes += t.MemoryBytes * replicas
		}
		res.Rows = append(res.Rows, row)
	}
	if len(sum) > 0 && sum[0].Workloads > 0 {
		res.Hours = sum[0].Hours / float64(sum[0].Workloads)
	}
	return res, nil
}
