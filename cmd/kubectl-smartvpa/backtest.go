package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/core/sim"
	"github.com/smartvpa/smartvpa/kube/whatif"
	"github.com/smartvpa/smartvpa/workloads"
)

// BacktestOptions holds the flags of `backtest`.
type BacktestOptions struct {
	genericiooptions.IOStreams
	simFlags
	Workloads    []string
	Recommenders []string
	Workers      int
	Output       string
	Baseline     string

	// live is the what-if on a cluster's own history (--history).
	live liveBacktest

	cmd  string
	opts sim.Options
	refs []string // workload paths or ids, in order
}

func (c *cli) newBacktestCmd() *cobra.Command {
	o := &BacktestOptions{IOStreams: c.streams, simFlags: defaultSimFlags(), Recommenders: []string{"vpa", sim.OracleName}}
	o.live.opts.configFlags = c.configFlags
	cmd := c.bind(&cobra.Command{
		Use: "backtest --workloads DIR|ID|PATH... [--recommenders vpa,oracle,...] [--warmup 24h] [--seed N] [-o table|json|csv]\n" +
			"  kubectl smartvpa backtest --history prometheus|checkpoints [TYPE/NAME... | -l SELECTOR] [-n NS | -A] [--recommenders vpa,smart,...]",
		Short: "Run recommenders x workloads in the simulator and rank them against the oracle",
		Long: `Run every recommender on every workload in the simulator (see 'kubectl
smartvpa simulate --help' for the model and the metrics), on a pool of
GOMAXPROCS workers, and print one row per workload and recommender followed by
a summary per recommender: relative slack and shares are means over
workloads; absolute slack, OOM kills, updates and restarts are totals.

--workloads takes a workload store folder (every workload in it), workload
ids (looked up in --store, default data/workloads), workload folders or
trace.csv files; repeat it, separate with commas, or list more after it.
Results come in a stable order: workloads as given (a store folder sorted by
id), then recommenders as given. The same seed prints the same bytes.

--baseline (default vpa) is compared with every other recommender: per
workload, the ratio of each figure to the baseline's (CPU and memory absolute
slack, OOM kills, restarts, updates; slack ratios add 0.001 to both sides,
counts add 1), summarised by the geometric mean, the median, a 95 % bootstrap
confidence interval of the geometric mean over workloads (seeded by --seed)
and the ratio of the totals, over all workloads ("all"), per dataset (the
import format, or "generated") and over the degenerate workloads (memory 0 in
more than half of the samples), which the datasets leave out. The table ends
with a plain verdict line per recommender.

-o json prints
  {"recommenders": [...],
   "results": [{"workload", "recommender", "dataset", "degenerate",
                "cpu": {"relativeSlack", "absoluteSlackCoreHours", "overRequestShare", "throttledShare", "unservedCoreHours"},
                "memory": {"relativeSlack", "absoluteSlackGiBHours", "ooms"},
                "updates", "smallUpdates", "updatesPerContainerDay", "restarts", "downtimeHours",
                "samples", "hours", "gaps", "reward", "timeToFirstRecommendationSeconds"}],
   "summary": [{"recommender", "cpu": {...}, "memory": {...}, "updates", "smallUpdates",
                "updatesPerContainerDay", "restarts", "workloads", "hours", "reward"}],
   "datasets": [{"dataset", "summary": [...]}],
   "baseline": "vpa",
   "comparison": [{"recommender", "baseline", "dataset", "workloads",
                   "cpuSlack": {"total", "geomean", "median", "ci95": [lo, hi], "value", "baseline"},
                   "memorySlack": {...}, "ooms": {...}, "restarts": {...}, "updates": {...},
                   "cpuOverRequestShare", "baselineCpuOverRequestShare",
                   "updatesPerContainerDay", "baselineUpdatesPerContainerDay"}]}
-o csv prints the results, one row per workload and recommender, with a header.
A progress bar goes to stderr when it is a terminal.

What-if on your own cluster (--history prometheus|checkpoints): instead of
--workloads, the arguments are workloads as for recommend (deploy/web,
"deploy web api", -l app=web, -n NS, -A; none: every workload of the
namespace; kubectl's connection flags such as --kubeconfig and --context
apply, not listed below). Each container's usage history is pulled into memory as a
workload trace (at each --step the mean over the workload's pods, the current
request as the initial request) and replayed per container with the same
flags, results, comparison and verdict as above; --save-store DIR also saves it as a workload store (replacing
series with the same ids), and an offline backtest of DIR with the same seed
and warm-up prints the same figures. Sources:
  prometheus   range queries over --history-duration at --step, one CPU and
               one memory query per namespace and 64 workloads, each
               workload's pods averaged by Prometheus (--prometheus-url)
  checkpoints  the samples serve journals in --checkpoint-namespace (upstream
               VerticalPodAutoscalerCheckpoints are histograms with no time
               line and cannot be replayed: they are noted and skipped)
The warm-up is cut, when the history is short, so at least half of every
series is measured; a note on stderr says so. --max-series bounds the pod
containers whose history is pulled (live pods x containers): beyond it
nothing is queried. -o json adds to the shape above "history" (the source),
"warmup" (the warm-up used), "series" (per series: "workload" (the id in the
results), "namespace", "kind", "name", "container") and "missing" (containers
without history); -o csv adds namespace, kind, name and container columns.
It only reads the cluster: a view-only identity is enough.`,
		Example: `  kubectl smartvpa backtest --workloads data/workloads
  kubectl smartvpa backtest --workloads step-3f2a,sinusoidal-9c1d --recommenders vpa,autopilot,oracle -o json
  kubectl smartvpa backtest --workloads /tmp/wl --update-mode recreate --warmup 48h -o csv > results.csv
  kubectl smartvpa backtest --workloads /tmp/wl --recommenders vpa,smart --min-update-interval 12h
  kubectl smartvpa backtest --workloads /tmp/wl --recommenders vpa,smart --warmup 1h --measure-for 1d   # the first day: cold start
  kubectl smartvpa backtest -n demo --history prometheus --recommenders vpa,smart
  kubectl smartvpa backtest -n demo deploy/web --history prometheus --history-duration 14d --step 10m -o json
  kubectl smartvpa backtest -A --history prometheus --recommenders vpa,smart --save-store /tmp/cluster-history
  kubectl smartvpa backtest -n demo --history checkpoints --recommenders vpa,autopilot,smart --baseline vpa`,
	}, o)
	f := cmd.Flags()
	f.StringSliceVar(&o.Workloads, "workloads", nil, "store folder, workload ids, workload folders or trace.csv files (required)")
	f.StringSliceVar(&o.Recommenders, "recommenders", o.Recommenders, "recommenders to compare: "+strings.Join(sim.RecommenderNames(), ", ")+"; NAME:PROFILE runs a recommender that plans for a risk profile at that one (smart:reliability, smart:savings)")
	f.IntVar(&o.Workers, "workers", 0, "worker goroutines (default GOMAXPROCS)")
	addOutputFlag(cmd, &o.Output, "table", "json", "csv")
	f.StringVar(&o.Baseline, "baseline", "vpa", "recommender the others are compared with, per workload and per dataset (when it is among --recommenders)")
	o.simFlags.addFlags(f)
	o.simFlags.addMeasureFlag(f)
	o.actuationFlags.addFlags(f)
	o.live.addFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("recommenders", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return sim.RecommenderNames(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Complete takes the workloads listed after --workloads as more workloads.
func (o *BacktestOptions) Complete(cmd *cobra.Command, args []string) error {
	o.cmd = cmd.CommandPath()
	if o.live.History != "" {
		o.live.complete(cmd, args)
		return nil
	}
	o.Workloads = append(o.Workloads, args...)
	for _, name := range liveOnlyFlags {
		if cmd.Flags().Changed(name) {
			return usageErrorf(o.cmd, "--%s is for the what-if on a cluster's history: add --history prometheus or --history checkpoints", name)
		}
	}
	return nil
}

// Validate checks the flags and expands a store folder into its workloads.
func (o *BacktestOptions) Validate() error {
	if o.live.History != "" {
		if len(o.Workloads) > 0 {
			return usageErrorf(o.cmd, "--workloads and --history are exclusive: backtest stored workloads or the cluster's history, not both")
		}
		if err := o.live.validate(); err != nil {
			return err
		}
	} else if len(o.Workloads) == 0 {
		return usageErrorf(o.cmd, "--workloads is required: give a workload store folder, workload ids or trace files, or replay the cluster's own history with --history prometheus|checkpoints")
	}
	if len(o.Recommenders) == 0 {
		return usageErrorf(o.cmd, "--recommenders is empty: name at least one, e.g. vpa,oracle")
	}
	seen := map[string]bool{}
	for _, r := range o.Recommenders {
		if err := checkRecommender(o.cmd, r); err != nil {
			return err
		}
		if seen[r] {
			return usageErrorf(o.cmd, "recommender %q is listed twice: name each once", r)
		}
		seen[r] = true
	}
	if o.Baseline != "vpa" && !seen[o.Baseline] {
		return usageErrorf(o.cmd, "--baseline %q is not among --recommenders: add it to --recommenders or leave --baseline out", o.Baseline)
	}
	if o.Workers < 0 {
		return usageErrorf(o.cmd, "--workers %d is negative: use 0 (GOMAXPROCS) or more", o.Workers)
	}
	opts, err := o.simFlags.options(o.cmd)
	if err != nil {
		return err
	}
	o.opts = opts
	if o.live.History != "" {
		return nil
	}
	o.refs = o.refs[:0]
	for _, ref := range o.Workloads {
		refs, err := expandWorkloadRef(ref)
		if err != nil {
			return err
		}
		o.refs = append(o.refs, refs...)
	}
	if len(o.refs) == 0 {
		return inputError(fmt.Errorf("no workloads in %s: generate some with 'kubectl smartvpa workload generate --store DIR'", strings.Join(o.Workloads, ", ")))
	}
	return nil
}

// expandWorkloadRef turns a store folder (a folder without trace.csv) into
// the paths of its workloads, sorted by id; anything else stays as it is.
func expandWorkloadRef(ref string) ([]string, error) {
	st, err := os.Stat(ref)
	if err != nil || !st.IsDir() {
		return []string{ref}, nil
	}
	if _, err := os.Stat(filepath.Join(ref, workloads.TraceFile)); err == nil {
		return []string{ref}, nil
	}
	metas, err := workloads.OpenStore(ref).List()
	if err != nil {
		return nil, inputError(fmt.Errorf("workload store %s: %w", ref, err))
	}
	out := make([]string, len(metas))
	for i, m := range metas {
		out[i] = filepath.Join(ref, m.ID)
	}
	return out, nil
}

// Run backtests and prints.
func (o *BacktestOptions) Run(ctx context.Context) error {
	if o.live.History != "" {
		return o.runLive(ctx)
	}
	load := func(i int) (*sim.Workload, error) {
		t, err := loadTrace(o.refs[i], o.Store)
		if err != nil {
			return nil, err
		}
		return simWorkload(t), nil
	}
	report, err := o.backtest(ctx, len(o.refs), load, o.opts)
	if err != nil {
		return err
	}
	switch o.Output {
	case "json":
		return writeJSON(o.Out, report)
	case "csv":
		return writeBacktestCSV(o.Out, report, nil)
	}
	return printBacktestTable(o.Out, report)
}

// backtest runs the recommenders on n workloads with opts, prints the notes
// about gaps and unmeasured workloads to stderr and returns the report; the
// offline and the live backtest share it.
func (o *BacktestOptions) backtest(ctx context.Context, n int, load func(i int) (*sim.Workload, error), opts sim.Options) (sim.Report, error) {
	bo := sim.BacktestOptions{Options: opts, Seed: o.Seed, Config: o.config(), Workers: o.Workers}
	if bar := newProgressBar(o.ErrOut, "backtest", 0, runs); bar != nil {
		bo.Progress = func(done, total int) { bar.Set(int64(done), int64(total)) }
		defer bar.Done()
	}
	results, err := sim.BacktestLoad(ctx, n, load, o.Recommenders, bo)
	if err != nil {
		return sim.Report{}, inputError(err)
	}
	report := sim.NewReport(o.Recommenders, results, o.Baseline, o.Seed)
	var unmeasured []string
	for i, r := range results {
		if r.Samples == 0 && i%len(o.Recommenders) == 0 {
			unmeasured = append(unmeasured, r.Workload)
		}
	}
	gaps := map[string]int{}
	var gapped []string
	for _, r := range results {
		if r.Gaps > 0 && gaps[r.Workload] == 0 {
			gaps[r.Workload] = r.Gaps
			gapped = append(gapped, fmt.Sprintf("%s (%d)", r.Workload, r.Gaps))
		}
	}
	if len(gapped) > 0 {
		fmt.Fprintf(o.ErrOut, "note: %d workload(s) have gaps longer than %d x their median sample interval, not integrated: %s\n",
			len(gapped), sim.GapFactor, strings.Join(gapped, ", "))
	}
	if len(unmeasured) > 0 {
		fmt.Fprintf(o.ErrOut, "note: %d workload(s) no longer than the %s warm-up measured nothing and are left out of the summaries and comparisons: %s\n",
			len(unmeasured), opts.Warmup, strings.Join(unmeasured, ", "))
	}
	return report, nil
}

// writeJSON prints v as indented JSON.
func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printBacktestTable(out io.Writer, r sim.Report) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tRECOMMENDER\tCPU SLACK\tCPU CORE-H\tCPU>REQ\tTHROTTLED\tMEM SLACK\tMEM GIB-H\tOOMS\tUPDATES\tSMALL\tRESTARTS")
	for _, x := range r.Results {
		name := x.Workload
		if x.Degenerate {
			name += " (degenerate)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t%s\t%s\t%.2f\t%d\t%d\t%d\t%d\n", name, x.Recommender,
			simPct(x.CPU.RelativeSlack), x.CPU.AbsoluteSlackCoreHours, simPct(x.CPU.OverRequestShare), simPct(x.CPU.ThrottledShare),
			simPct(x.Memory.RelativeSlack), x.Memory.AbsoluteSlackGiBHours, x.Memory.OOMs, x.Updates, x.SmallUpdates, x.Restarts)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	summary := func(title string, ss []sim.Summary) error {
		n := 0
		if len(ss) > 0 {
			n = ss[0].Workloads
		}
		fmt.Fprintf(out, "\n%s over %d workload(s): slack and shares are means, core-h, GiB-h, OOMs, updates and restarts totals\n", title, n)
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RECOMMENDER\tCPU SLACK\tCPU CORE-H\tCPU>REQ\tTHROTTLED\tMEM SLACK\tMEM GIB-H\tOOMS\tUPDATES\tUPD/DAY\tSMALL\tRESTARTS")
		for _, s := range ss {
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%s\t%s\t%.2f\t%d\t%d\t%.2f\t%d\t%d\n", s.Recommender,
				simPct(s.CPU.RelativeSlack), s.CPU.AbsoluteSlackCoreHours, simPct(s.CPU.OverRequestShare), simPct(s.CPU.ThrottledShare),
				simPct(s.Memory.RelativeSlack), s.Memory.AbsoluteSlackGiBHours, s.Memory.OOMs, s.Updates, s.UpdatesPerContainerDay, s.SmallUpdates, s.Restarts)
		}
		return tw.Flush()
	}
	if err := summary("SUMMARY", r.Summary); err != nil {
		return err
	}
	if len(r.Datasets) > 1 {
		for _, d := range r.Datasets {
			if err := summary("SUMMARY "+d.Dataset, d.Summary); err != nil {
				return err
			}
		}
	}
	if len(r.Comparison) == 0 {
		return nil
	}
	fmt.Fprintf(out, "\nAGAINST %s: ratios to the baseline per workload (geometric mean [95 %% bootstrap CI]) and of the totals; datasets leave degenerate workloads (memory 0 in over half the samples) to their own row\n", r.Baseline)
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECOMMENDER\tDATASET\tWORKLOADS\tCPU SLACK\tMEM SLACK\tOOMS\tRESTARTS\tUPDATES")
	stat := func(s sim.Stat) string {
		return fmt.Sprintf("%.2f [%.2f, %.2f] tot %.2f", s.Geomean, s.CI95[0], s.CI95[1], s.Total)
	}
	for _, c := range r.Comparison {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", c.Recommender, c.Dataset, c.Workloads,
			stat(c.CPUSlack), stat(c.MemorySlack), stat(c.OOMs), stat(c.Restarts), stat(c.Updates))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	for _, c := range r.Comparison {
		if c.Dataset == sim.DatasetAll {
			fmt.Fprintf(out, "verdict: %s\n", sim.Verdict(c))
		}
	}
	return nil
}

// backtestCSVHeader is the header of `backtest -o csv`.
var backtestCSVHeader = []string{
	"workload", "recommender",
	"cpu_relative_slack", "cpu_absolute_slack_core_hours", "cpu_over_request_share", "cpu_throttled_share",
	"memory_relative_slack", "memory_absolute_slack_gib_hours", "memory_ooms",
	"updates", "restarts", "samples", "reward",
	"dataset", "degenerate", "small_updates", "updates_per_container_day", "cpu_unserved_core_hours", "downtime_hours", "hours", "gaps",
}

// writeBacktestCSV prints the results; with refs (the live backtest: the
// workload reference of each series by id) four columns more name the
// namespace, kind, name and container.
func writeBacktestCSV(out io.Writer, r sim.Report, refs map[string]whatif.Ref) error {
	cw := csv.NewWriter(out)
	header := backtestCSVHeader
	if refs != nil {
		header = append(append([]string(nil), header...), "namespace", "kind", "name", "container")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, x := range r.Results {
		row := []string{x.Workload, x.Recommender,
			simNum(x.CPU.RelativeSlack), simNum(x.CPU.AbsoluteSlackCoreHours), simNum(x.CPU.OverRequestShare), simNum(x.CPU.ThrottledShare),
			simNum(x.Memory.RelativeSlack), simNum(x.Memory.AbsoluteSlackGiBHours), strconv.Itoa(x.Memory.OOMs),
			strconv.Itoa(x.Updates), strconv.Itoa(x.Restarts), strconv.Itoa(x.Samples), simNum(x.Reward),
			x.Dataset, strconv.FormatBool(x.Degenerate), strconv.Itoa(x.SmallUpdates), simNum(x.UpdatesPerContainerDay),
			simNum(x.CPU.UnservedCoreHours), simNum(x.DowntimeHours), simNum(x.Hours), strconv.Itoa(x.Gaps)}
		if refs != nil {
			ref := refs[x.Workload]
			row = append(row, ref.Namespace, ref.Kind, ref.Name, ref.Container)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
