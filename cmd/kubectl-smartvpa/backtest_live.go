package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartvpa/smartvpa/core/sim"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/kube/operator"
	"github.com/smartvpa/smartvpa/kube/whatif"
	"github.com/smartvpa/smartvpa/workloads"
)

// liveBacktest holds the flags of `backtest --history`: the what-if on a
// cluster's own history. It reuses the live commands' connection, target
// resolution and history sources.
type liveBacktest struct {
	opts      liveOptions
	History   string
	MaxSeries int
	SaveStore string

	targets []string
}

// liveHistoryModes are the values of backtest's --history: the sources that
// keep a time line.
var liveHistoryModes = []string{"prometheus", "checkpoints"}

// liveOnlyFlags are the flags that need --history.
var liveOnlyFlags = []string{"all-namespaces", "selector", "prometheus-url", "history-duration", "step", "checkpoint-namespace", "max-series", "save-store"}

// defaultMaxSeries is the default --max-series: the 5,000-pod scale
// namespace of hack/scale.sh fits twice.
const defaultMaxSeries = 10000

func (l *liveBacktest) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&l.History, "history", "", "what-if on the cluster's own history instead of --workloads: "+strings.Join(liveHistoryModes, " or "))
	f.BoolVarP(&l.opts.AllNamespaces, "all-namespaces", "A", false, "--history: workloads in every namespace")
	f.StringVarP(&l.opts.Selector, "selector", "l", "", "--history: label selector for the workloads, e.g. app=web")
	l.opts.PrometheusURL = os.Getenv("PROMETHEUS_URL")
	f.StringVar(&l.opts.PrometheusURL, "prometheus-url", l.opts.PrometheusURL, "--history prometheus: Prometheus base URL (default $PROMETHEUS_URL)")
	l.opts.HistoryDuration = 8 * 24 * time.Hour
	f.Var(durationFlag{&l.opts.HistoryDuration}, "history-duration", "--history prometheus: how far back the history goes (8d, 36h)")
	l.opts.Step = 5 * time.Minute
	f.Var(durationFlag{&l.opts.Step}, "step", "--history prometheus: time between samples of the range queries (5m)")
	f.StringVar(&l.opts.CheckpointNamespace, "checkpoint-namespace", operator.DefaultCheckpointNamespace, "--history checkpoints: namespace of serve's journal ConfigMaps (serve's --checkpoint-namespace)")
	l.MaxSeries = defaultMaxSeries
	f.IntVar(&l.MaxSeries, "max-series", l.MaxSeries, "--history: most pod containers (live pods x containers) whose history is pulled; 0: no bound")
	f.StringVar(&l.SaveStore, "save-store", "", "--history: also save the history as a workload store in this folder, for offline backtests")
	f.BoolVar(&l.opts.DebugRequests, "debug-requests", false, "print the number of API requests per verb and resource to stderr")
	_ = f.MarkHidden("debug-requests")
	_ = cmd.RegisterFlagCompletionFunc("history", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return liveHistoryModes, cobra.ShellCompDirectiveNoFileComp
	})
}

func (l *liveBacktest) complete(cmd *cobra.Command, args []string) {
	l.opts.cmd = cmd.CommandPath()
	l.opts.History = l.History
	l.targets = args
}

func (l *liveBacktest) validate() error {
	cmd := l.opts.cmd
	known := false
	for _, m := range liveHistoryModes {
		known = known || m == l.History
	}
	switch {
	case !known:
		return usageErrorf(cmd, "unknown --history %q: use prometheus or checkpoints (the sources with a time line to replay)", l.History)
	case l.History == "prometheus" && l.opts.PrometheusURL == "":
		return usageErrorf(cmd, "--history prometheus needs --prometheus-url (or PROMETHEUS_URL)")
	case l.opts.HistoryDuration <= 0:
		return usageErrorf(cmd, "invalid --history-duration %s: use a positive duration such as 8d", l.opts.HistoryDuration)
	case l.opts.Step < time.Second:
		return usageErrorf(cmd, "invalid --step %s: use 1s or more, e.g. 5m", l.opts.Step)
	case l.MaxSeries < 0:
		return usageErrorf(cmd, "invalid --max-series %d: use 0 (no bound) or more", l.MaxSeries)
	case l.opts.AllNamespaces && strings.Contains(strings.Join(l.targets, " "), "/"):
		return usageErrorf(cmd, "a resource cannot be named across namespaces with -A: drop -A or the name")
	}
	return nil
}

// collector returns the history collector of the flags and the end of the
// history: for Prometheus the current time on a whole step, so every sample
// falls on a whole second as the store keeps it.
func (l *liveBacktest) collector() (*whatif.Collector, time.Time, error) {
	c, err := l.opts.connect()
	if err != nil {
		return nil, time.Time{}, err
	}
	if l.History == "prometheus" {
		p := &kube.PrometheusMeans{Prometheus: l.opts.prometheus()}
		return &whatif.Collector{Source: p, Meta: p.MeansMeta(), MaxSeries: l.MaxSeries}, time.Now().Truncate(p.EffectiveStep()), nil
	}
	meta := workloads.Meta{Source: "import", Type: "checkpoints", Conversions: []string{
		"cpu_millicores and memory_bytes: the samples of smartvpa serve's journal (ConfigMaps in " + l.opts.CheckpointNamespace + "), mean over the workload's pods sampled in the same second",
	}}
	return &whatif.Collector{Source: l.opts.checkpoints(c), Meta: meta, MaxSeries: l.MaxSeries}, time.Now().Truncate(time.Second), nil
}

// source names where the history is read, for messages.
func (l *liveBacktest) source() string {
	if l.History == "prometheus" {
		return "prometheus at " + l.opts.PrometheusURL
	}
	return "serve's journal in namespace " + l.opts.CheckpointNamespace
}

// collect resolves the targets and pulls their history, with notes on stderr.
func (l *liveBacktest) collect(ctx context.Context, errOut io.Writer) (*whatif.Set, error) {
	ws, err := l.opts.resolve(ctx, l.targets)
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, inputError(errors.New("no workloads match: check the namespace (-n), the names and the selector"))
	}
	col, now, err := l.collector()
	if err != nil {
		return nil, err
	}
	nss := map[string]bool{}
	for _, w := range ws {
		nss[w.Namespace] = true
	}
	bar := newProgressBar(errOut, "history", 0, nil)
	bar.Line(fmt.Sprintf("history: reading %d pod container(s) of %d workload(s) in %d namespace(s) from %s", whatif.PodSeries(ws), len(ws), len(nss), l.source()))
	set, err := col.Collect(ctx, ws, now)
	bar.Done()
	switch {
	case errors.Is(err, whatif.ErrTooManySeries):
		return nil, usageErrorf(l.opts.cmd, "%v", err)
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("interrupted while reading the history: %w", ctx.Err())
	case err != nil && l.History == "prometheus":
		return nil, clusterError(fmt.Errorf("%w: check --prometheus-url and that Prometheus is up", err))
	case err != nil:
		return nil, clusterError(fmt.Errorf("%w: check that the identity may read ConfigMaps in %s", err, l.opts.CheckpointNamespace))
	}
	for _, n := range set.Notes {
		fmt.Fprintf(errOut, "note: %s\n", n)
	}
	if len(set.Missing) > 0 && len(set.Series) > 0 {
		const shown = 20
		var names []string
		for _, r := range set.Missing[:min(shown, len(set.Missing))] {
			names = append(names, r.String())
		}
		if len(set.Missing) > shown {
			names = append(names, fmt.Sprintf("and %d more (-o json lists them under \"missing\")", len(set.Missing)-shown))
		}
		fmt.Fprintf(errOut, "note: %d container(s) have no history in %s and are left out: %s\n", len(set.Missing), l.source(), strings.Join(names, ", "))
	}
	if len(set.Series) == 0 {
		var names []string
		for _, w := range ws {
			names = append(names, w.Namespace+"/"+w.Ref())
		}
		if l.History != "prometheus" {
			return nil, inputError(fmt.Errorf("%s has no samples for %s: run 'kubectl smartvpa serve' so it journals them, or use --history prometheus",
				l.source(), strings.Join(names, ", ")))
		}
		return nil, inputError(fmt.Errorf("%s has no history for %s in the last %s: check --prometheus-url, --history-duration and that the containers ran",
			l.source(), strings.Join(names, ", "), l.opts.HistoryDuration))
	}
	return set, nil
}

// liveBacktestReport is `backtest --history -o json`: the offline report and
// where each series came from.
type liveBacktestReport struct {
	sim.Report
	History string       `json:"history"`
	Warmup  string       `json:"warmup"`
	Series  []whatif.Ref `json:"series"`
	Missing []whatif.Ref `json:"missing,omitempty"`
}

// runLive is Run for --history: resolve, pull, (save,) replay, print.
func (o *BacktestOptions) runLive(ctx context.Context) error {
	l := &o.live
	defer func() { l.opts.counter.print(o.ErrOut) }()
	set, err := l.collect(ctx, o.ErrOut)
	if err != nil {
		return err
	}
	opts := o.opts
	var note string
	asked := l.opts.HistoryDuration
	if l.History != "prometheus" {
		asked = 0
	}
	opts.Warmup, note = whatif.Warmup(set, o.opts.Warmup, asked, l.opts.Step)
	if note != "" && opts.Warmup != o.opts.Warmup {
		note += fmt.Sprintf(" (an offline backtest of the same history needs --warmup %s; name the targets to leave a short-lived workload out)", opts.Warmup)
	}
	if note != "" {
		fmt.Fprintf(o.ErrOut, "note: %s\n", note)
	}
	if l.SaveStore != "" {
		if err := wlSave(ctx, l.SaveStore, true, set.Traces()); err != nil {
			return err
		}
		fmt.Fprintf(o.ErrOut, "saved %d series to %s: 'kubectl smartvpa backtest --workloads %s --warmup %s' replays them offline\n",
			len(set.Series), l.SaveStore, l.SaveStore, opts.Warmup)
	}
	report, err := o.backtest(ctx, len(set.Series), func(i int) (*sim.Workload, error) {
		return whatif.SimWorkload(set.Series[i].Trace), nil
	}, opts)
	if err != nil {
		return err
	}
	switch o.Output {
	case "json":
		return writeJSON(o.Out, liveBacktestReport{Report: report, History: set.Source, Warmup: opts.Warmup.String(), Series: set.Refs(), Missing: set.Missing})
	case "csv":
		refs := map[string]whatif.Ref{}
		for _, r := range set.Refs() {
			refs[r.Workload] = r
		}
		return writeBacktestCSV(o.Out, report, refs)
	}
	fmt.Fprintf(o.Out, "WHAT-IF on %d container(s) from %s; warm-up %s, measured after it\n\n", len(set.Series), l.source(), opts.Warmup)
	return printBacktestTable(o.Out, report)
}
