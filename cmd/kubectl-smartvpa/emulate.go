package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/smartvpa/smartvpa/workloads"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/smartvpa/smartvpa/core/sim"
	"github.com/smartvpa/smartvpa/core/updater"
	"github.com/smartvpa/smartvpa/kube/emulate"
	"github.com/smartvpa/smartvpa/kube/stressdeploy"
)

// Emulation defaults and bounds.
const (
	defaultEmulateNamespace = "smartvpa-emulate"
	defaultEmulateSpeedup   = 60
	maxEmulateSpeedup       = 1000
)

// EmulateOptions holds the flags of `emulate`.
type EmulateOptions struct {
	configFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams
	simFlags
	Workload    string
	Recommender string
	Duration    time.Duration
	Speedup     float64
	Backend     string
	Trajectory  string
	Output      string
	Hold        bool
	// stress backend
	Image, ServerImage string
	Interval           time.Duration

	cmd  string
	opts sim.Options
}

func (c *cli) newEmulateCmd() *cobra.Command {
	o := &EmulateOptions{configFlags: c.configFlags, IOStreams: c.streams, simFlags: defaultSimFlags(), Recommender: "vpa",
		Speedup: defaultEmulateSpeedup, Backend: "kwok", Hold: true,
		Image: stressImageRepo + "/smartvpa-stress-agent:" + version, ServerImage: stressImageRepo + "/smartvpa-stress-server:" + version,
		Interval: time.Second}
	cmd := c.bind(&cobra.Command{
		Use:   "emulate --workload ID|PATH --duration D [--recommender NAME] [--speedup X] [--backend kwok|stress] [-n NS] [--trajectory out.csv] [-o table|json]",
		Short: "Run a recommender and the updater live against a pod that replays a workload, and compare with the simulator",
		Long: `Deploy one pod that replays a workload's usage at a speed-up, run the
recommender and the updater live against it, and print the simulator's
metrics for the run, then the same workload simulated, side by side. The
cluster carries out resizes and restarts itself, so the simulated run it is
compared with actuates instantly (simulate's --resize-delay and
--restart-downtime do not apply here).

The pod starts with the workload's original request (limits in the
simulator's ratios). The recommender reads the pod's usage from
metrics.k8s.io only; the updater (--update-mode, upstream VPA rules) decides at
workload time and its decisions go through the API server: pods/resize in
place, or the Eviction API and a new pod with the new requests. The workload's
first --duration is played; workload time runs --speedup times faster than
wall time.

Backends:
  kwok    a pause pod on a kwok node (the local control plane); the emulator
          sets its kwok.x-k8s.io/usage-cpu and usage-memory annotations at
          every sample and metrics-server scrapes what kwok reports.
  stress  the stress controller deploys the utilisation server with the
          workload and the pod runs the stress agent, which burns CPU and holds
          memory for real (needs a cluster that runs containers and the
          images of 'make images'; --update-mode in-place or off, since a new
          agent pod would replay the workload from its start).

Speed-up: metrics-server scrapes on its own period (--metric-resolution, 15 s
on the local control plane), so there is one new reading per 15 s x speed-up
of workload time: one per 5-minute sample at 20x, one per 15 minutes at 60x
(the default), one per 45 minutes at 180x. By default (--hold-readings) the
recommender gets the latest reading at every sample, as a recommender polling
metrics-server once per sample interval would: as many samples as in the
simulator, up to one scrape stale. With --hold-readings=false it gets each
reading once, at its scrape's workload time. 1 day takes 24 min at 60x, 8 min
at 180x, 7.2 min at 200x. At 180x slack and OOM kills came within 10 % of
the simulator's on 1-day sinusoidal, step and low_high workloads, but not on
spikes (CPU slack +36 % at 180x, +57 % at 60x): a few scrapes that fall in
short spikes weigh more than the spikes' share of samples and move a
percentile near that share. Above about 200x the recommender sees too few
readings even on smooth workloads. At most 1000x.

OOM kills: a kwok pod is never OOM-killed, so, as in the simulator, a sample
whose memory demand is above the pod's memory limit counts as an OOM kill: it
is reported to the recommender and the updater, the usage driven is capped at
the limit, and the pod keeps running. Slack, OOM kills, updates and restarts
are accounted per workload sample with the simulator's formulas, against the
requests the API server holds for the pod.

The pods run in their own namespace (-n, default smartvpa-emulate, created
and deleted when missing); everything is removed on exit and on Ctrl-C.
Progress (workload time, metrics readings, updates) goes to stderr.
--trajectory writes one CSV row per sample in simulate's shape; its usage
columns are the last metrics.k8s.io reading. -o json prints simulate's
object plus "emulation" {backend, namespace, speedup, holdReadings,
wallSeconds, metricsSamples, fedSamples, pods, failedUpdates, maxLagSeconds}
and "simulated" (the simulator's metrics on the same workload and options).`,
		Example: `  # 1 day of a workload in about 9 minutes on the local control plane
  kubectl smartvpa emulate --workload step-api --duration 1d --warmup 6h --speedup 180
  kubectl smartvpa emulate --workload sinusoidal-web --recommender autopilot --duration 12h --warmup 3h --trajectory emu.csv -o json
  kubectl smartvpa emulate --workload step-api --duration 2d --backend stress --update-mode in-place -n load`,
		Args: noArgs,
	}, o)
	f := cmd.Flags()
	f.StringVar(&o.Workload, "workload", "", "workload id in --store, workload folder or trace.csv file (required)")
	f.StringVar(&o.Recommender, "recommender", o.Recommender, "recommender: "+strings.Join(sim.RecommenderNames(), ", "))
	f.Var(durationFlag{&o.Duration}, "duration", "workload time to play from the workload's start (required; d and w allowed, e.g. 1d)")
	f.Float64Var(&o.Speedup, "speedup", o.Speedup, "workload seconds per wall second (at most 1000; see above for what works)")
	f.StringVar(&o.Backend, "backend", o.Backend, "how the pod produces the usage: kwok or stress")
	f.StringVar(&o.Trajectory, "trajectory", "", "write the per-sample trajectory to this CSV file")
	addOutputFlag(cmd, &o.Output, "table", "json")
	f.BoolVar(&o.Hold, "hold-readings", o.Hold, "feed the latest metrics.k8s.io reading at every sample (false: each reading once, at its scrape's time)")
	f.StringVar(&o.Image, "image", o.Image, "stress backend: stress agent image")
	f.StringVar(&o.ServerImage, "server-image", o.ServerImage, "stress backend: utilisation server image")
	f.DurationVar(&o.Interval, "interval", o.Interval, "stress backend: wall time between two targets sent to the pod")
	o.simFlags.addFlags(f)
	_ = cmd.RegisterFlagCompletionFunc("recommender", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return sim.RecommenderNames(), cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("backend", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"kwok", "stress"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Complete records the command path.
func (o *EmulateOptions) Complete(cmd *cobra.Command, _ []string) error {
	o.cmd = cmd.CommandPath()
	return nil
}

// Validate checks the flags.
func (o *EmulateOptions) Validate() error {
	if o.Workload == "" {
		return usageErrorf(o.cmd, "--workload is required: give a workload id, folder or trace.csv file")
	}
	if o.Duration <= 0 {
		return usageErrorf(o.cmd, "--duration is required and must be positive: give the workload time to play, e.g. 1d")
	}
	if !(o.Speedup > 0) || o.Speedup > maxEmulateSpeedup || math.IsNaN(o.Speedup) {
		return usageErrorf(o.cmd, "--speedup %v is out of range: give a number above 0 and at most %d, e.g. 60", o.Speedup, maxEmulateSpeedup)
	}
	if err := checkRecommender(o.cmd, o.Recommender); err != nil {
		return err
	}
	// The cluster carries out resizes and restarts itself: the simulator run
	// compared with it actuates instantly (no --resize-delay or
	// --restart-downtime on this command).
	o.simFlags.ResizeDelay, o.simFlags.RestartDowntime = 0, 0
	opts, err := o.simFlags.options(o.cmd)
	if err != nil {
		return err
	}
	if opts.Warmup >= o.Duration {
		return usageErrorf(o.cmd, "--warmup %s leaves nothing to measure in --duration %s: give a shorter --warmup, e.g. --warmup %s",
			o.Warmup, o.Duration, o.Duration/4)
	}
	switch o.Backend {
	case "kwok":
	case "stress":
		if m := opts.Updater.Mode; m != updater.ModeInPlace && m != updater.ModeOff {
			return usageErrorf(o.cmd, "--backend stress needs --update-mode in-place or off (got %s): a new stress pod would replay the workload from its start", m)
		}
		if o.Interval <= 0 {
			return usageErrorf(o.cmd, "--interval must be positive, e.g. 1s")
		}
		if o.Image == "" || o.ServerImage == "" {
			return usageErrorf(o.cmd, "--image and --server-image must not be empty")
		}
	default:
		return usageErrorf(o.cmd, "unknown backend %q: use kwok or stress", o.Backend)
	}
	o.opts = opts
	return nil
}

// EmulateResult is the JSON shape of `emulate -o json`: simulate's object
// for the emulated run, how the emulation went, and the simulator's metrics
// on the same workload.
type EmulateResult struct {
	SimulateResult
	Emulation EmulationJSON `json:"emulation"`
	Simulated sim.Metrics   `json:"simulated"`
}

// EmulationJSON describes how an emulation ran.
type EmulationJSON struct {
	Backend        string  `json:"backend"`
	Namespace      string  `json:"namespace"`
	Speedup        float64 `json:"speedup"`
	HoldReadings   bool    `json:"holdReadings"`
	WallSeconds    float64 `json:"wallSeconds"`
	MetricsSamples int     `json:"metricsSamples"`
	FedSamples     int     `json:"fedSamples"`
	Pods           int     `json:"pods"`
	FailedUpdates  int     `json:"failedUpdates"`
	MaxLagSeconds  float64 `json:"maxLagSeconds"`
}

// Run emulates and prints.
func (o *EmulateOptions) Run(ctx context.Context) error {
	t, err := loadTrace(o.Workload, o.Store)
	if err != nil {
		return err
	}
	full := simWorkload(t)
	w := emulate.CutWorkload(full, o.Duration)
	if len(w.Samples) < 2 {
		return inputError(fmt.Errorf("workload %s: --duration %s holds %d sample(s): give a longer --duration", w.ID, formatDuration(o.Duration), len(w.Samples)))
	}
	if len(w.Samples) == len(full.Samples) && w.Samples[len(w.Samples)-1].Time.Sub(w.Samples[0].Time)+w.SampleInterval() < o.Duration {
		fmt.Fprintf(o.ErrOut, "emulate: workload %s is shorter than --duration %s: playing all of it\n", w.ID, formatDuration(o.Duration))
	}
	rec, err := sim.NewRecommender(o.Recommender, w, o.config(), o.opts)
	if err != nil {
		return inputError(fmt.Errorf("recommender %s: %w", o.Recommender, err))
	}
	simRec, err := sim.NewRecommender(o.Recommender, w, o.config(), o.opts)
	if err != nil {
		return inputError(fmt.Errorf("recommender %s: %w", o.Recommender, err))
	}
	simRes, err := sim.RunSteps(w, simRec, o.opts, o.Seed, nil)
	if err != nil {
		return inputError(fmt.Errorf("simulate %s: %w", w.ID, err))
	}

	client, metrics, err := o.clients()
	if err != nil {
		return err
	}
	ns := defaultEmulateNamespace
	if o.configFlags.Namespace != nil && *o.configFlags.Namespace != "" {
		ns = *o.configFlags.Namespace
	}
	name := emulate.RunName(w.ID)
	backend, err := o.backend(name, t)
	if err != nil {
		return err
	}

	var traj *trajectoryWriter
	if o.Trajectory != "" {
		traj, err = newTrajectoryWriter(o.Trajectory)
		if err != nil {
			return inputError(err)
		}
		defer traj.abort()
	}

	sess := &emulate.Session{Client: client, Backend: backend, Namespace: ns, Name: name}
	if err := sess.EnsureNamespace(ctx); err != nil {
		return clusterError(err)
	}
	defer o.cleanup(sess)
	// A previous run interrupted before its clean-up may have left pods.
	if err := sess.ClearLeftovers(ctx); err != nil {
		return clusterError(err)
	}

	ecfg := emulate.Config{
		Client: client, Usage: emulate.MetricsAPI{Client: metrics}, Backend: backend,
		Namespace: ns, Name: name, Workload: w, Recommender: rec, Options: o.opts, Speedup: o.Speedup,
		HoldReadings: o.Hold, Progress: o.ErrOut,
	}
	if traj != nil {
		ecfg.OnStep = traj.write
	}
	res, err := emulate.Run(ctx, ecfg)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("emulation interrupted after %d metrics readings: nothing printed", res.MetricsSamples)
		}
		return clusterError(fmt.Errorf("emulate %s: %w", w.ID, err))
	}
	if traj != nil {
		if err := traj.commit(); err != nil {
			return err
		}
	}
	return o.print(EmulateResult{
		SimulateResult: SimulateResult{
			Workload: res.Workload, Recommender: res.Recommender, UpdateMode: string(o.opts.Updater.Mode),
			Warmup: o.opts.Warmup.String(), Seed: o.Seed, Metrics: res.Metrics,
			LastRecommendation: recommendationJSON(res.LastRecommendation),
		},
		Emulation: EmulationJSON{
			Backend: o.Backend, Namespace: ns, Speedup: o.Speedup, HoldReadings: o.Hold, WallSeconds: res.Wall.Seconds(),
			MetricsSamples: res.MetricsSamples, FedSamples: res.FedSamples, Pods: res.Pods, FailedUpdates: res.FailedUpdates, MaxLagSeconds: res.MaxLag.Seconds(),
		},
		Simulated: simRes.Metrics,
	}, w)
}

// clients connects to the cluster of the kubeconfig flags.
func (o *EmulateOptions) clients() (kubernetes.Interface, metricsclient.Interface, error) {
	cfg, err := o.configFlags.ToRESTConfig()
	if err != nil {
		return nil, nil, usageErrorf(o.cmd, "kubeconfig: %v", err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, clusterError(err)
	}
	metrics, err := metricsclient.NewForConfig(cfg)
	if err != nil {
		return nil, nil, clusterError(err)
	}
	return client, metrics, nil
}

// backend returns the --backend of run name playing t.
func (o *EmulateOptions) backend(name string, t *workloads.Trace) (emulate.Backend, error) {
	if o.Backend != "stress" {
		return &emulate.Kwok{}, nil
	}
	dep := &stressdeploy.Deployment{Name: name, Trace: t, AgentImage: o.Image, ServerImage: o.ServerImage, Speedup: o.Speedup,
		Interval: o.Interval.String(), CPURequest: resource.MustParse("100m"), MemoryRequest: resource.MustParse("128Mi")}
	if _, _, _, _, err := dep.Objects(); err != nil {
		return nil, inputError(err)
	}
	return &emulate.Stress{Deployment: dep}, nil
}

// print writes the result of the emulation of w in the -o format.
func (o *EmulateOptions) print(out EmulateResult, w *sim.Workload) error {
	if o.Output == "json" {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if err := printSimulateTable(o.Out, out.SimulateResult, len(w.Samples), w.SampleInterval()); err != nil {
		return err
	}
	return printEmulation(o.Out, out)
}

// cleanup closes the session with a context of its own (the run's may be
// cancelled) and says what it removed, or what to remove by hand.
func (o *EmulateOptions) cleanup(sess *emulate.Session) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := sess.Close(ctx); err != nil {
		fmt.Fprintf(o.ErrOut, "emulate: clean-up: %v; delete the pods labelled %s=%s in %s by hand\n", err, emulate.LabelRun, sess.Name, sess.Namespace)
		return
	}
	what := "pods"
	if sess.CreatedNamespace() {
		what = "pods and namespace " + sess.Namespace
	}
	fmt.Fprintf(o.ErrOut, "emulate: cleaned up (%s)\n", what)
}

// printEmulation prints how the emulation ran and the emulated figures next
// to the simulated ones.
func printEmulation(out io.Writer, r EmulateResult) error {
	e := r.Emulation
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\n")
	fmt.Fprintf(tw, "EMULATION\t%s backend in %s at %gx: %s wall, %d metrics readings, %d samples fed, %d pod(s), %d failed update(s), at most %s behind\n",
		e.Backend, e.Namespace, e.Speedup, time.Duration(e.WallSeconds*float64(time.Second)).Round(time.Second), e.MetricsSamples, e.FedSamples, e.Pods,
		e.FailedUpdates, time.Duration(e.MaxLagSeconds*float64(time.Second)).Round(time.Millisecond))
	fmt.Fprintf(tw, "\n")
	fmt.Fprintf(tw, "SIDE BY SIDE\tSIMULATE\tEMULATE\tDIFF\n")
	s, m := r.Simulated, r.Metrics
	pct := func(a, b float64) string { return simPct(a) + "\t" + simPct(b) }
	rows := []struct {
		name      string
		cells     string
		sim, emul float64
	}{
		{"cpu relative slack", pct(s.CPU.RelativeSlack, m.CPU.RelativeSlack), s.CPU.RelativeSlack, m.CPU.RelativeSlack},
		{"cpu absolute slack", fmt.Sprintf("%.2f core-h\t%.2f core-h", s.CPU.AbsoluteSlackCoreHours, m.CPU.AbsoluteSlackCoreHours), s.CPU.AbsoluteSlackCoreHours, m.CPU.AbsoluteSlackCoreHours},
		{"cpu over request", pct(s.CPU.OverRequestShare, m.CPU.OverRequestShare), s.CPU.OverRequestShare, m.CPU.OverRequestShare},
		{"memory relative slack", pct(s.Memory.RelativeSlack, m.Memory.RelativeSlack), s.Memory.RelativeSlack, m.Memory.RelativeSlack},
		{"memory absolute slack", fmt.Sprintf("%.2f GiB-h\t%.2f GiB-h", s.Memory.AbsoluteSlackGiBHours, m.Memory.AbsoluteSlackGiBHours), s.Memory.AbsoluteSlackGiBHours, m.Memory.AbsoluteSlackGiBHours},
		{"OOM kills", fmt.Sprintf("%d\t%d", s.Memory.OOMs, m.Memory.OOMs), float64(s.Memory.OOMs), float64(m.Memory.OOMs)},
		{"updates", fmt.Sprintf("%d\t%d", s.Updates, m.Updates), float64(s.Updates), float64(m.Updates)},
		{"restarts", fmt.Sprintf("%d\t%d", s.Restarts, m.Restarts), float64(s.Restarts), float64(m.Restarts)},
		{"reward", fmt.Sprintf("%.2f\t%.2f", s.Reward, m.Reward), s.Reward, m.Reward},
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", row.name, row.cells, relDiff(row.sim, row.emul))
	}
	return tw.Flush()
}

// relDiff is (emulated - simulated) / |simulated| as a signed percentage;
// "=" when both are equal and "n/a" when only the simulated one is 0.
func relDiff(simulated, emulated float64) string {
	if emulated == simulated {
		return "="
	}
	if simulated == 0 {
		return "n/a"
	}
	d := 100 * (emulated - simulated) / math.Abs(simulated)
	return fmt.Sprintf("%+.1f%%", d)
}
