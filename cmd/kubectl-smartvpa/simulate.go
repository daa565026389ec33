package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/sim"
	"github.com/smartvpa/smartvpa/core/updater"
	"github.com/smartvpa/smartvpa/kube/whatif"
	"github.com/smartvpa/smartvpa/workloads"
)

// simFlags are the simulator flags simulate and backtest share.
type simFlags struct {
	Store            string
	Seed             int64
	Warmup           time.Duration
	MeasureFor       time.Duration
	UpdateMode       string
	MemoryLimitRatio float64
	CPULimitRatio    float64
	OracleWindow     time.Duration
	OracleQuantile   float64
	ModelFile        string
	Profile          string
	actuationFlags
}

func defaultSimFlags() simFlags {
	return simFlags{
		Store:            workloads.DefaultStoreDir,
		Seed:             1,
		Warmup:           sim.DefaultWarmup,
		UpdateMode:       string(updater.ModeInPlaceOrRecreate),
		MemoryLimitRatio: 1,
		OracleWindow:     sim.DefaultOracleWindow,
		actuationFlags:   defaultActuationFlags(),
	}
}

func (s *simFlags) addFlags(f *pflag.FlagSet) {
	f.StringVar(&s.Store, "store", s.Store, "workload store folder where workload ids are looked up")
	f.Int64Var(&s.Seed, "seed", s.Seed, "random seed given to the recommenders; the same seed prints the same bytes")
	f.Var(durationFlag{&s.Warmup}, "warmup", "warm-up: the recommender observes, the request stays at the initial request, no metrics (d and w allowed)")
	modes := make([]string, len(updater.Modes))
	for i, m := range updater.Modes {
		modes[i] = string(m)
	}
	f.StringVar(&s.UpdateMode, "update-mode", s.UpdateMode, "how updates are applied: "+strings.Join(modes, ", "))
	f.Float64Var(&s.MemoryLimitRatio, "memory-limit-ratio", s.MemoryLimitRatio, "memory limit / memory request (0: no limit, no OOM kills)")
	f.Float64Var(&s.CPULimitRatio, "cpu-limit-ratio", s.CPULimitRatio, "cpu limit / cpu request (0: no cpu limit, no throttling)")
	f.Var(durationFlag{&s.OracleWindow}, "oracle-window", "window of the oracle: one change per window, at the window's peak (d and w allowed)")
	f.Float64Var(&s.OracleQuantile, "oracle-quantile", 0, "quantile of a window's CPU usage the oracle requests (0 or 1: the peak; memory is always the peak)")
	f.StringVar(&s.ModelFile, "model", "", "trained model file, or a folder of them named NAME.json, for recommenders that take one (default: their built-in model)")
	addProfileFlag(f, &s.Profile)
}

// addMeasureFlag adds --measure-for (simulate and backtest: emulate has
// its own --duration).
func (s *simFlags) addMeasureFlag(f *pflag.FlagSet) {
	f.Var(durationFlag{&s.MeasureFor}, "measure-for", "measure only this long after the warm-up, then stop (--warmup 1h --measure-for 1d: a container's first day; 0: to the end of the trace)")
}

// options validates the flags and returns the simulator options.
func (s *simFlags) options(cmdPath string) (sim.Options, error) {
	o := sim.DefaultOptions()
	mode, err := updater.ParseMode(s.UpdateMode)
	if err != nil {
		return o, usageErrorf(cmdPath, "%s", err.Error())
	}
	o.Updater.Mode = mode
	o.Warmup = s.Warmup
	o.MeasureFor = s.MeasureFor
	o.MemoryLimitRatio = s.MemoryLimitRatio
	o.CPULimitRatio = s.CPULimitRatio
	o.OracleWindow = s.OracleWindow
	o.OracleQuantile = s.OracleQuantile
	s.actuationFlags.apply(&o)
	if s.OracleWindow == 0 {
		return o, usageErrorf(cmdPath, "--oracle-window must be positive, e.g. 24h")
	}
	if err := o.Validate(); err != nil {
		return o, usageErrorf(cmdPath, "%s", err.Error())
	}
	if s.ModelFile != "" {
		if _, err := os.Stat(s.ModelFile); err != nil {
			return o, inputError(fmt.Errorf("model file: %w: give the path of a trained model or leave --model out", err))
		}
	}
	if err := checkProfile(cmdPath, s.Profile); err != nil {
		return o, err
	}
	return o, nil
}

func (s *simFlags) config() recommend.Config {
	return recommend.Config{Seed: s.Seed, ModelFile: s.ModelFile, Profile: s.Profile}
}

// checkRecommender reports an unknown recommender name as a usage error.
func checkRecommender(cmdPath, name string) error {
	if err := sim.CheckRecommender(name); err != nil {
		return usageErrorf(cmdPath, "%s", err.Error())
	}
	return nil
}

// loadTrace loads a workload given as a path (a workload directory or a
// trace.csv file) or as an id in the store.
func loadTrace(ref, store string) (*workloads.Trace, error) {
	if _, err := os.Stat(ref); err == nil {
		t, err := workloads.LoadPath(ref)
		if err != nil {
			return nil, inputError(fmt.Errorf("workload %s: %w", ref, err))
		}
		return t, nil
	}
	if strings.ContainsRune(ref, os.PathSeparator) || strings.ContainsRune(ref, '/') || strings.HasSuffix(ref, ".csv") {
		return nil, inputError(fmt.Errorf("workload %s: no such file or folder: give a workload folder, a trace.csv file or a workload id", ref))
	}
	if err := workloads.ValidateID(ref); err != nil {
		return nil, inputError(fmt.Errorf("workload %q is neither a file nor a folder nor a workload id: %w", ref, err))
	}
	t, err := workloads.OpenStore(store).Load(ref)
	if err != nil {
		return nil, inputError(err)
	}
	return t, nil
}

// simWorkload converts a trace into the simulator's input, as the what-if
// of a live history does (whatif.SimWorkload): the original request when the
// trace knows it, the trace's nominal interval and its dataset.
func simWorkload(t *workloads.Trace) *sim.Workload { return whatif.SimWorkload(t) }

// SimulateOptions holds the flags of `simulate`.
type SimulateOptions struct {
	genericiooptions.IOStreams
	simFlags
	Workload    string
	Recommender string
	Trajectory  string
	Output      string

	cmd  string
	opts sim.Options
}

func (c *cli) newSimulateCmd() *cobra.Command {
	o := &SimulateOptions{IOStreams: c.streams, simFlags: defaultSimFlags(), Recommender: "vpa"}
	cmd := c.bind(&cobra.Command{
		Use:   "simulate --workload ID|PATH [--recommender NAME] [--trajectory out.csv] [--seed N] [--update-mode M] [--warmup 24h] [-o table|json|csv]",
		Short: "Replay a workload against a recommender and the updater, and print what it cost",
		Long: `Replay one workload's usage against a recommender and the updater policy in the
simulator, and print the run's metrics and the last recommendation.

The container starts with the workload's original request when the trace has
one, else 1000m CPU and 1 GiB. During the warm-up (--warmup, default 24h) the
recommender observes but the request stays put and nothing is measured. Then
at every sample the recommender's answer goes through the updater
(--update-mode): in-place-or-recreate (CPU changes and memory increases in
place, a memory decrease restarts), recreate (every update restarts), in-place
(never restarts), rollout, or off. The memory limit is --memory-limit-ratio x
the request (default 1): usage above it is an OOM kill, reported to the
recommender. There is no CPU limit unless --cpu-limit-ratio is set; CPU above
it is throttled. CPU above the request counts as over-request.

Actuation, the same for every recommender: an in-place resize applies
--resize-delay (1m) after the updater decides it, and the updater waits for
it; a restart (eviction, rollout, OOM kill) leaves the container down for
--restart-downtime (30s): its CPU demand goes unserved and it starts with
empty memory. A container OOM-killed less than 10 min after it started is a
quick OOM (upstream's rule) until its pod is recreated. --min-update-interval
is an update budget: no update sooner than that after the last one, except a
memory increase after an OOM kill. Each sample stands for the time to the
next one; a gap over 10 x the median interval is not integrated (counted as
gaps).

Metrics (after the warm-up): relative slack (time-weighted mean of
(request-usage)/request, at least 0), absolute slack in core-hours and
GiB-hours, share of time with CPU over the request and throttled, CPU demand
unserved while down, OOM kills, updates (per container-day, and those under
10 %), restarts, downtime, reward -(1*slack + 100*oom + 1*throttled +
10*restart + --update-cost*in-place update) per sample, and the time to the
first recommendation.

The recommender "oracle" sees the future: per --oracle-window (24h) it
requests the window's peak, so it never OOMs; it is the bound to compare with.

--workload is a workload id in --store (default data/workloads), a workload
folder or a trace.csv file. --trajectory writes one CSV row per sample.
-o json prints {workload, recommender, updateMode, warmup, measureFor (with
--measure-for), seed, dataset, degenerate, cpu{relativeSlack,
absoluteSlackCoreHours, overRequestShare, throttledShare, unservedCoreHours},
memory{...}, updates, smallUpdates, updatesPerContainerDay, restarts,
downtimeHours, samples, hours, gaps, reward, timeToFirstRecommendationSeconds,
lastRecommendation{cpuMillicores{lower, target, upper, uncappedTarget},
memoryBytes{...}}}. -o csv prints a header and
one row with backtest's column names (plus update_mode, warmup_seconds, seed,
time_to_first_recommendation_seconds and the last targets), so that the rows
of several runs join into one file.`,
		Example: `  kubectl smartvpa simulate --workload step-3f2a --recommender vpa
  kubectl smartvpa simulate --workload data/workloads/step-3f2a --recommender oracle -o json
  kubectl smartvpa simulate --workload trace.csv --recommender vpa --update-mode recreate --trajectory run.csv
  kubectl smartvpa simulate --workload step-3f2a --recommender smart -o csv > smart.csv`,
		Args: noArgs,
	}, o)
	f := cmd.Flags()
	f.StringVar(&o.Workload, "workload", "", "workload id in --store, workload folder or trace.csv file (required)")
	_ = cmd.RegisterFlagCompletionFunc("workload", completeWorkloadIDs)
	f.StringVar(&o.Recommender, "recommender", o.Recommender, "recommender: "+strings.Join(sim.RecommenderNames(), ", "))
	f.StringVar(&o.Trajectory, "trajectory", "", "write the per-sample trajectory to this CSV file")
	addOutputFlag(cmd, &o.Output, "table", "json", "csv")
	o.simFlags.addFlags(f)
	o.simFlags.addMeasureFlag(f)
	o.actuationFlags.addFlags(f)
	_ = cmd.RegisterFlagCompletionFunc("recommender", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return sim.RecommenderNames(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Complete records the command path.
func (o *SimulateOptions) Complete(cmd *cobra.Command, _ []string) error {
	o.cmd = cmd.CommandPath()
	return nil
}

// Validate checks the flags.
func (o *SimulateOptions) Validate() error {
	if o.Workload == "" {
		return usageErrorf(o.cmd, "--workload is required: give a workload id, folder or trace.csv file")
	}
	if err := checkRecommender(o.cmd, o.Recommender); err != nil {
		return err
	}
	opts, err := o.simFlags.options(o.cmd)
	if err != nil {
		return err
	}
	o.opts = opts
	return nil
}

// SimulateResult is the JSON shape of `simulate -o json`.
type SimulateResult struct {
	Workload    string `json:"workload"`
	Recommender string `json:"recommender"`
	UpdateMode  string `json:"updateMode"`
	Warmup      string `json:"warmup"`
	// MeasureFor is --measure-for when set: the run ended that long after
	// the warm-up.
	MeasureFor string `json:"measureFor,omitempty"`
	Seed       int64  `json:"seed"`
	sim.Metrics
	LastRecommendation *RecommendationJSON `json:"lastRecommendation"`
}

// RecommendationJSON is a recommendation per resource, CPU in millicores and
// memory in bytes.
type RecommendationJSON struct {
	CPUMillicores BoundsJSON `json:"cpuMillicores"`
	MemoryBytes   BoundsJSON `json:"memoryBytes"`
}

// BoundsJSON is one resource of a recommendation.
type BoundsJSON struct {
	Lower          float64 `json:"lower"`
	Target         float64 `json:"target"`
	Upper          float64 `json:"upper"`
	UncappedTarget float64 `json:"uncappedTarget"`
}

func recommendationJSON(r *model.Recommendation) *RecommendationJSON {
	if r == nil {
		return nil
	}
	b := func(res model.Resource) BoundsJSON {
		return BoundsJSON{Lower: r.Lower.Get(res), Target: r.Target.Get(res), Upper: r.Upper.Get(res), UncappedTarget: r.UncappedTarget.Get(res)}
	}
	return &RecommendationJSON{CPUMillicores: b(model.CPU), MemoryBytes: b(model.Memory)}
}

// Run simulates and prints.
func (o *SimulateOptions) Run(ctx context.Context) error {
	t, err := loadTrace(o.Workload, o.Store)
	if err != nil {
		return err
	}
	w := simWorkload(t)
	if err := sim.CheckMeasurable(w, o.opts.Warmup); err != nil {
		return inputError(err)
	}
	rec, err := sim.NewRecommender(o.Recommender, w, o.config(), o.opts)
	if err != nil {
		return inputError(fmt.Errorf("recommender %s: %w", o.Recommender, err))
	}
	var traj *trajectoryWriter
	var onStep func(sim.StepRecord)
	if o.Trajectory != "" {
		traj, err = newTrajectoryWriter(o.Trajectory)
		if err != nil {
			return inputError(err)
		}
		defer traj.abort()
		onStep = traj.write
	}
	res, err := sim.RunSteps(w, rec, o.opts, o.Seed, onStep)
	if err != nil {
		return inputError(fmt.Errorf("simulate %s: %w", w.ID, err))
	}
	if traj != nil {
		if err := traj.commit(); err != nil {
			return err
		}
	}
	if res.Gaps > 0 {
		fmt.Fprintf(o.ErrOut, "note: %s has %d gap(s) longer than %d x its median sample interval (%s), not integrated\n",
			w.ID, res.Gaps, sim.GapFactor, w.MedianInterval())
	}
	out := SimulateResult{
		Workload: res.Workload, Recommender: res.Recommender, UpdateMode: string(o.opts.Updater.Mode),
		Warmup: o.opts.Warmup.String(), Seed: o.Seed, Metrics: res.Metrics,
		LastRecommendation: recommendationJSON(res.LastRecommendation),
	}
	if o.opts.MeasureFor > 0 {
		out.MeasureFor = o.opts.MeasureFor.String()
	}
	switch o.Output {
	case "json":
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "csv":
		return writeSimulateCSV(o.Out, out, o.opts.Warmup)
	}
	return printSimulateTable(o.Out, out, len(w.Samples), w.SampleInterval())
}

// simulateCSVHeader is the header of `simulate -o csv`: backtest's names
// for the same numbers, so that the rows of several runs can be joined.
var simulateCSVHeader = []string{
	"workload", "recommender", "update_mode", "warmup_seconds", "seed",
	"cpu_relative_slack", "cpu_absolute_slack_core_hours", "cpu_over_request_share", "cpu_throttled_share", "cpu_unserved_core_hours",
	"memory_relative_slack", "memory_absolute_slack_gib_hours", "memory_ooms",
	"updates", "small_updates", "updates_per_container_day", "restarts", "downtime_hours",
	"samples", "hours", "gaps", "reward", "time_to_first_recommendation_seconds",
	"last_cpu_target_millicores", "last_memory_target_bytes",
}

// writeSimulateCSV prints the result as a header and one row; a number that
// does not exist (no recommendation yet) is empty.
func writeSimulateCSV(w io.Writer, r SimulateResult, warmup time.Duration) error {
	cw := csv.NewWriter(w)
	first, cpuT, memT := "", "", ""
	if s := r.TimeToFirstRecommendationSeconds; s != nil {
		first = simNum(*s)
	}
	if lr := r.LastRecommendation; lr != nil {
		cpuT, memT = simNum(lr.CPUMillicores.Target), simNum(lr.MemoryBytes.Target)
	}
	row := []string{r.Workload, r.Recommender, r.UpdateMode, simNum(warmup.Seconds()), strconv.FormatInt(r.Seed, 10),
		simNum(r.CPU.RelativeSlack), simNum(r.CPU.AbsoluteSlackCoreHours), simNum(r.CPU.OverRequestShare), simNum(r.CPU.ThrottledShare), simNum(r.CPU.UnservedCoreHours),
		simNum(r.Memory.RelativeSlack), simNum(r.Memory.AbsoluteSlackGiBHours), strconv.Itoa(r.Memory.OOMs),
		strconv.Itoa(r.Updates), strconv.Itoa(r.SmallUpdates), simNum(r.UpdatesPerContainerDay), strconv.Itoa(r.Restarts), simNum(r.DowntimeHours),
		strconv.Itoa(r.Samples), simNum(r.Hours), strconv.Itoa(r.Gaps), simNum(r.Reward), first, cpuT, memT}
	if err := cw.Write(simulateCSVHeader); err != nil {
		return err
	}
	if err := cw.Write(row); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func printSimulateTable(out io.Writer, r SimulateResult, samples int, interval time.Duration) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	first := "never"
	if s := r.TimeToFirstRecommendationSeconds; s != nil {
		first = formatDuration(time.Duration(*s * float64(time.Second)))
	}
	warmup := r.Warmup
	if d, err := time.ParseDuration(r.Warmup); err == nil {
		warmup = formatDuration(d)
	}
	measured := fmt.Sprintf("%d measured after a %s warm-up", r.Samples, warmup)
	if d, err := time.ParseDuration(r.MeasureFor); err == nil && d > 0 {
		measured = fmt.Sprintf("%d measured: the %s after a %s warm-up", r.Samples, formatDuration(d), warmup)
	}
	fmt.Fprintf(tw, "WORKLOAD\t%s (%d samples every %s in the trace; %s)\n", r.Workload, samples, formatDuration(interval), measured)
	fmt.Fprintf(tw, "RECOMMENDER\t%s (update mode %s, seed %d)\n", r.Recommender, r.UpdateMode, r.Seed)
	fmt.Fprintf(tw, "\n")
	fmt.Fprintf(tw, "\tCPU\tMEMORY\n")
	fmt.Fprintf(tw, "relative slack\t%s\t%s\n", simPct(r.CPU.RelativeSlack), simPct(r.Memory.RelativeSlack))
	fmt.Fprintf(tw, "absolute slack\t%.2f core-h\t%.2f GiB-h\n", r.CPU.AbsoluteSlackCoreHours, r.Memory.AbsoluteSlackGiBHours)
	fmt.Fprintf(tw, "over request\t%s\t-\n", simPct(r.CPU.OverRequestShare))
	fmt.Fprintf(tw, "throttled\t%s\t-\n", simPct(r.CPU.ThrottledShare))
	fmt.Fprintf(tw, "unserved (down)\t%.2f core-h\t-\n", r.CPU.UnservedCoreHours)
	fmt.Fprintf(tw, "OOM kills\t-\t%d\n", r.Memory.OOMs)
	fmt.Fprintf(tw, "\n")
	fmt.Fprintf(tw, "updates\t%d (%.2f per day, %d under 10 %%)\n", r.Updates, r.UpdatesPerContainerDay, r.SmallUpdates)
	fmt.Fprintf(tw, "restarts\t%d (down %s)\n", r.Restarts, formatDuration(time.Duration(r.DowntimeHours*float64(time.Hour))))
	fmt.Fprintf(tw, "reward\t%.2f\n", r.Reward)
	fmt.Fprintf(tw, "first recommendation\t%s\n", first)
	if lr := r.LastRecommendation; lr != nil {
		fmt.Fprintf(tw, "\n")
		fmt.Fprintf(tw, "LAST RECOMMENDATION\tCPU\tMEMORY\n")
		for _, row := range []struct {
			name     string
			cpu, mem float64
		}{
			{"lower", lr.CPUMillicores.Lower, lr.MemoryBytes.Lower},
			{"target", lr.CPUMillicores.Target, lr.MemoryBytes.Target},
			{"upper", lr.CPUMillicores.Upper, lr.MemoryBytes.Upper},
			{"uncapped target", lr.CPUMillicores.UncappedTarget, lr.MemoryBytes.UncappedTarget},
		} {
			fmt.Fprintf(tw, "%s\t%.0fm\t%.0fMi\n", row.name, row.cpu, row.mem/model.MiB)
		}
	}
	return tw.Flush()
}

func simPct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

// trajectoryHeader is the first line of a trajectory CSV.
var trajectoryHeader = []string{
	"timestamp", "warmup",
	"cpu_usage_millicores", "memory_usage_bytes",
	"cpu_demand_millicores", "memory_demand_bytes",
	"cpu_request_millicores", "memory_request_bytes",
	"cpu_limit_millicores", "memory_limit_bytes",
	"cpu_target_millicores", "memory_target_bytes",
	"action", "restart", "oom", "throttled", "over_request", "reward", "reason",
}

// trajectoryWriter writes a trajectory to a temporary file renamed into place
// by commit, so an interrupted run leaves no half file.
type trajectoryWriter struct {
	path string
	f    *os.File
	bw   *bufio.Writer
	cw   *csv.Writer
	row  []string
	err  error
}

func newTrajectoryWriter(path string) (*trajectoryWriter, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("trajectory: %w: give a file in a writable folder", err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	t := &trajectoryWriter{path: path, f: f, bw: bw, cw: csv.NewWriter(bw), row: make([]string, len(trajectoryHeader))}
	t.err = t.cw.Write(trajectoryHeader)
	return t, nil
}

func simNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func simBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func (t *trajectoryWriter) write(s sim.StepRecord) {
	if t.err != nil {
		return
	}
	o, in := s.Observation, s.Info
	r := t.row
	r[0] = o.Time.UTC().Format(time.RFC3339)
	r[1] = simBool(in.Warmup)
	r[2], r[3] = simNum(o.CPUUsageMillicores), simNum(o.MemoryUsageBytes)
	r[4], r[5] = simNum(in.Demand.CPUMillicores), simNum(in.Demand.MemoryBytes)
	r[6], r[7] = simNum(o.CPURequestMillicores), simNum(o.MemoryRequestBytes)
	r[8], r[9] = simNum(in.Limits.CPUMillicores), simNum(in.Limits.MemoryBytes)
	r[10], r[11] = simNum(s.Action.Target.CPUMillicores), simNum(s.Action.Target.MemoryBytes)
	r[12] = string(in.Decision.Action)
	r[13], r[14], r[15], r[16] = simBool(in.Restarted), simBool(in.OOM), simBool(in.Throttled), simBool(in.OverRequest)
	r[17] = simNum(s.Reward)
	r[18] = in.Decision.Reason
	t.err = t.cw.Write(r)
}

// commit flushes the file and renames it into place.
func (t *trajectoryWriter) commit() error {
	t.cw.Flush()
	err := errors.Join(t.err, t.cw.Error(), t.bw.Flush(), t.f.Chmod(0o644), t.f.Close())
	if err == nil {
		err = os.Rename(t.f.Name(), t.path)
	}
	if err != nil {
		_ = os.Remove(t.f.Name()) // best effort: err says what failed
		t.f = nil
		return fmt.Errorf("trajectory %s: %w", t.path, err)
	}
	t.f = nil
	return nil
}

// abort removes the temporary file unless commit succeeded.
func (t *trajectoryWriter) abort() {
	if t.f != nil {
		// Best effort: the run failed already, and its error is what counts.
		_ = t.f.Close()
		_ = os.Remove(t.f.Name())
		t.f = nil
	}
}
