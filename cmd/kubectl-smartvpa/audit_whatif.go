package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/sim"
	"github.com/smartvpa/smartvpa/kube/whatif"
)

// auditWhatIf holds the flags of `audit --what-if`: would the configured
// recommender (--recommender) have been beaten on the cluster's own history?
type auditWhatIf struct {
	WhatIf    bool
	Margin    float64
	Against   []string
	MaxSeries int
}

// defaultMargin is the default --margin.
const defaultMargin = 0.2

func (a *auditWhatIf) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&a.WhatIf, "what-if", false, "replay the targets' own history (--history prometheus or checkpoints) and fail when --recommender would have been beaten by more than --margin")
	a.Margin = defaultMargin
	f.Float64Var(&a.Margin, "margin", a.Margin, "--what-if: largest accepted (cost - best cost) / cost of --recommender, a fraction")
	f.StringSliceVar(&a.Against, "against", nil, "--what-if: recommenders --recommender is compared with (default: every other recommender but the oracle)")
	a.MaxSeries = defaultMaxSeries
	f.IntVar(&a.MaxSeries, "max-series", a.MaxSeries, "--what-if: most pod containers (live pods x containers) whose history is pulled; 0: no bound")
	_ = cmd.RegisterFlagCompletionFunc("against", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return recommend.Names(), cobra.ShellCompDirectiveNoFileComp
	})
}

// validate checks the what-if flags of o.
func (a *auditWhatIf) validate(o *AuditOptions, changed func(string) bool) error {
	if !a.WhatIf {
		for _, name := range []string{"margin", "against", "max-series"} {
			if changed(name) {
				return usageErrorf(o.cmd, "--%s is for --what-if: add --what-if", name)
			}
		}
		return nil
	}
	switch {
	case len(o.Files) > 0 || o.Usage != "":
		return usageErrorf(o.cmd, "--what-if replays the cluster's history: drop -f and --usage")
	case !(a.Margin >= 0 && a.Margin < 1):
		return usageErrorf(o.cmd, "invalid --margin %g: use a fraction from 0 up to 1, e.g. 0.2", a.Margin)
	case a.MaxSeries < 0:
		return usageErrorf(o.cmd, "invalid --max-series %d: use 0 (no bound) or more", a.MaxSeries)
	case o.History == "live":
		return usageErrorf(o.cmd, "--what-if needs a history with a time line: use --history prometheus or checkpoints")
	case o.Output != "table" && o.Output != "json":
		return usageErrorf(o.cmd, "--what-if prints table or json, not %s", o.Output)
	}
	for _, r := range a.Against {
		if err := checkRecommender(o.cmd, r); err != nil {
			return err
		}
		switch r {
		case sim.OracleName:
			return usageErrorf(o.cmd, "--against %s: the oracle knows the future and would beat any recommender; name real recommenders", r)
		case o.Recommender:
			return usageErrorf(o.cmd, "--against %s is --recommender itself: name the others", r)
		}
	}
	if !slices.Contains(sim.RecommenderNames(), o.Recommender) {
		return usageErrorf(o.cmd, "--recommender %s cannot be simulated: choose one of %s", o.Recommender, strings.Join(sim.RecommenderNames(), ", "))
	}
	return nil
}

// recommenders returns the configured recommender, then the others.
func (a *auditWhatIf) recommenders(configured string) []string {
	out := []string{configured}
	if len(a.Against) > 0 {
		return append(out, a.Against...)
	}
	for _, n := range sim.RecommenderNames() {
		if n != configured && n != sim.OracleName {
			out = append(out, n)
		}
	}
	return out
}

// WhatIfCost is one recommender's figures in `audit --what-if`.
type WhatIfCost struct {
	Recommender string `json:"recommender"`
	// Cost is minus the simulator's reward summed over the series: slack,
	// OOM kills, CPU over-request, restarts and updates, weighted as in
	// 'kubectl smartvpa simulate --help'. Lower is better.
	Cost                   float64 `json:"cost"`
	CPUSlack               float64 `json:"cpuRelativeSlack"`
	MemorySlack            float64 `json:"memoryRelativeSlack"`
	OOMs                   int     `json:"ooms"`
	Restarts               int     `json:"restarts"`
	UpdatesPerContainerDay float64 `json:"updatesPerContainerDay"`
}

// WhatIfAudit is the verdict of `audit --what-if` (its -o json).
type WhatIfAudit struct {
	Recommender string       `json:"recommender"`
	Margin      float64      `json:"margin"`
	History     string       `json:"history"`
	Warmup      string       `json:"warmup"`
	Series      []whatif.Ref `json:"series"`
	Costs       []WhatIfCost `json:"costs"`
	// Best is the recommender with the lowest cost; Excess is (cost of
	// Recommender - cost of Best) / cost of Recommender.
	Best   string  `json:"best"`
	Excess float64 `json:"excess"`
	// Status is "ok" or "beaten" (Excess > Margin: exit code 1).
	Status string `json:"status"`
}

// whatIfVerdict turns a backtest's summaries into the audit's verdict.
func whatIfVerdict(configured string, margin float64, summary []sim.Summary, results []sim.Result) WhatIfAudit {
	a := WhatIfAudit{Recommender: configured, Margin: margin, Status: "ok"}
	cost := map[string]float64{}
	for _, r := range results {
		cost[r.Recommender] -= r.Reward
	}
	for _, s := range summary {
		a.Costs = append(a.Costs, WhatIfCost{Recommender: s.Recommender, Cost: cost[s.Recommender],
			CPUSlack: s.CPU.RelativeSlack, MemorySlack: s.Memory.RelativeSlack, OOMs: s.Memory.OOMs,
			Restarts: s.Restarts, UpdatesPerContainerDay: s.UpdatesPerContainerDay})
	}
	a.Best = configured
	for _, c := range a.Costs {
		if c.Cost < cost[a.Best] {
			a.Best = c.Recommender
		}
	}
	if own := cost[configured]; own > 0 {
		a.Excess = (own - cost[a.Best]) / own
	}
	if a.Excess > margin {
		a.Status = "beaten"
	}
	return a
}

// runWhatIf is audit's Run for --what-if.
func (o *AuditOptions) runWhatIf(ctx context.Context) error {
	mode := o.History
	if mode == "auto" {
		mode = "checkpoints"
		if o.PrometheusURL != "" {
			mode = "prometheus"
		}
	}
	l := &liveBacktest{opts: o.liveOptions, History: mode, MaxSeries: o.whatIf.MaxSeries, targets: o.args}
	defer func() { l.opts.counter.print(o.ErrOut) }()
	set, err := l.collect(ctx, o.ErrOut)
	if err != nil {
		return err
	}
	opts := sim.DefaultOptions()
	asked := l.opts.HistoryDuration
	if mode != "prometheus" {
		asked = 0
	}
	var note string
	opts.Warmup, note = whatif.Warmup(set, opts.Warmup, asked, l.opts.Step)
	if note != "" {
		fmt.Fprintf(o.ErrOut, "note: %s\n", note)
	}
	recs := o.whatIf.recommenders(o.Recommender)
	bo := sim.BacktestOptions{Options: opts, Seed: o.Seed, Config: recommend.Config{Seed: o.Seed, ModelFile: o.ModelFile, Profile: o.Profile}}
	if bar := newProgressBar(o.ErrOut, "what-if", 0, runs); bar != nil {
		bo.Progress = func(done, total int) { bar.Set(int64(done), int64(total)) }
		defer bar.Done()
	}
	results, err := whatif.Backtest(ctx, set, recs, bo)
	if err != nil {
		return inputError(err)
	}
	a := whatIfVerdict(o.Recommender, o.whatIf.Margin, sim.Summarize(recs, results), results)
	a.History, a.Warmup, a.Series = set.Source, opts.Warmup.String(), set.Refs()
	if o.Output == "json" {
		err = writeJSON(o.Out, a)
	} else {
		err = printWhatIfAudit(o.Out, a, len(set.Series), l.source())
	}
	if err != nil {
		return err
	}
	if a.Status != "ok" {
		return errFound
	}
	return nil
}

func printWhatIfAudit(out io.Writer, a WhatIfAudit, series int, source string) error {
	fmt.Fprintf(out, "WHAT-IF on %d container(s) from %s; warm-up %s; cost = -reward (see simulate --help), lower is better\n\n", series, source, a.Warmup)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECOMMENDER\tCOST\tVS "+strings.ToUpper(a.Recommender)+"\tCPU SLACK\tMEM SLACK\tOOMS\tRESTARTS\tUPD/DAY")
	own := 0.0
	for _, c := range a.Costs {
		if c.Recommender == a.Recommender {
			own = c.Cost
		}
	}
	for _, c := range a.Costs {
		vs := "-"
		if own > 0 {
			vs = fmt.Sprintf("%+.1f%%", 100*(c.Cost-own)/own)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%s\t%s\t%s\t%d\t%d\t%.2f\n", c.Recommender, c.Cost, vs,
			simPct(c.CPUSlack), simPct(c.MemorySlack), c.OOMs, c.Restarts, c.UpdatesPerContainerDay)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	if a.Status == "ok" {
		if a.Best == a.Recommender {
			_, err := fmt.Fprintf(out, "ok: %s has the lowest cost on this history\n", a.Recommender)
			return err
		}
		_, err := fmt.Fprintf(out, "ok: %s would have beaten %s by %.1f %%, within --margin %.0f %%\n", a.Best, a.Recommender, 100*a.Excess, 100*a.Margin)
		return err
	}
	_, err := fmt.Fprintf(out, "beaten: %s would have beaten %s by %.1f %%, more than --margin %.0f %%: consider --recommender %s\n", a.Best, a.Recommender, 100*a.Excess, 100*a.Margin, a.Best)
	return err
}
