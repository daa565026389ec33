package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/time/rate"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/updater"
	"github.com/smartvpa/smartvpa/kube/operator"
)

// ServeOptions holds the flags of `serve`.
type ServeOptions struct {
	genericiooptions.IOStreams
	configFlags *genericclioptions.ConfigFlags

	RecommenderName     string
	Recommender         string
	ModelFile           string
	Profile             string
	Interval            time.Duration
	MetricsAddr         string
	Profiling           bool
	GCPercent           int
	CheckpointNamespace string
	CheckpointInterval  time.Duration
	LowConfidenceSpan   time.Duration
	Updater             bool
	MinReplicas         int
	EvictionTolerance   float64
	UpdateRate          float64
	UpdateBurst         int
	LeaderElect         bool
	LeaseNamespace      string
	LeaseName           string
	QPS                 float32
	Burst               int
	LogFormat           string
	LogLevel            string

	policy       updater.Policy
	cmd          string
	gcPercentSet bool
}

func (c *cli) newServeCmd() *cobra.Command {
	o := &ServeOptions{IOStreams: c.streams, configFlags: c.configFlags}
	cmd := c.bind(&cobra.Command{
		Use:   "serve [--recommender-name NAME] [--interval 1m] [--updater]",
		Short: "Run as a recommender (and optionally updater) for upstream VerticalPodAutoscaler objects",
		Long: `Run as a custom recommender for autoscaling.k8s.io/v1 VerticalPodAutoscalers
whose spec.recommenders names --recommender-name (default smartvpa).

Every --interval, serve samples metrics.k8s.io for the pods of each VPA's
targetRef, feeds one recommender per container (--recommender, default smart)
and writes status.recommendation.containerRecommendations (target, lowerBound,
upperBound, uncappedTarget) capped by spec.resourcePolicy, with the conditions
RecommendationProvided, LowConfidence and MetricsAvailable. VPAs naming
another recommender are left alone.

State is checkpointed to ConfigMaps in --checkpoint-namespace every
--checkpoint-interval and on shutdown, and replayed on start (or when another
replica takes over the leader Lease).

--updater applies the updater policy to VPAs in Recreate/Auto or
InPlaceOrRecreate mode: in-place resize through pods/resize (falling back to
eviction in InPlaceOrRecreate), evictions through the Eviction API (so
PodDisruptionBudgets hold), --min-replicas, --eviction-tolerance and a rate
limit of --update-rate pods per second.

/metrics (Prometheus) and /healthz listen on --metrics-addr.`,
		Example: `  # run locally against the current context, without leader election
  kubectl smartvpa serve --leader-elect=false --metrics-addr :8080

  # as deployed (deploy/): leader election, updater on
  kubectl smartvpa serve --updater --checkpoint-namespace smartvpa-system --lease-namespace smartvpa-system`,
		Args: noArgs,
	}, o)
	f := cmd.Flags()
	f.StringVar(&o.RecommenderName, "recommender-name", "smartvpa", "serve VPAs whose spec.recommenders names this")
	f.StringVar(&o.Recommender, "recommender", operator.DefaultRecommender(), "recommender per container: "+strings.Join(recommend.Names(), ", "))
	f.StringVar(&o.ModelFile, "model", "", "trained model file for recommenders that take one")
	addProfileFlag(f, &o.Profile)
	f.DurationVar(&o.Interval, "interval", time.Minute, "time between reconcile passes (metrics sampling)")
	f.StringVar(&o.MetricsAddr, "metrics-addr", ":8080", "address of /metrics and /healthz (empty disables them)")
	f.IntVar(&o.GCPercent, "gc-percent", 50, "Go GC target: heap growth in percent of the live heap before a collection (Go's default is 100; serve's state is long-lived, so 50 keeps it nearer its live size for little CPU). GOGC in the environment wins unless this flag is given")
	f.BoolVar(&o.Profiling, "profiling", false, "also serve Go's pprof profiles under /debug/pprof/ on --metrics-addr (heap, CPU, goroutines)")
	f.StringVar(&o.CheckpointNamespace, "checkpoint-namespace", "smartvpa-system", "namespace of the checkpoint ConfigMaps (empty disables checkpoints)")
	f.DurationVar(&o.CheckpointInterval, "checkpoint-interval", 10*time.Minute, "time between checkpoint writes")
	f.DurationVar(&o.LowConfidenceSpan, "low-confidence-span", 24*time.Hour, "containers with less history than this are LowConfidence")
	f.BoolVar(&o.Updater, "updater", false, "apply recommendations to pods of VPAs whose updateMode is not Off or Initial")
	def := updater.DefaultPolicy()
	f.IntVar(&o.MinReplicas, "min-replicas", def.MinReplicas, "updater: leave replica groups with fewer live pods alone (a VPA's updatePolicy.minReplicas wins)")
	f.Float64Var(&o.EvictionTolerance, "eviction-tolerance", def.EvictionTolerance, "updater: fraction of a group's replicas that may be disrupted at once")
	f.Float64Var(&o.UpdateRate, "update-rate", 1, "updater: pod updates (resizes and evictions) per second, cluster-wide")
	f.IntVar(&o.UpdateBurst, "update-burst", 5, "updater: burst of pod updates")
	f.BoolVar(&o.LeaderElect, "leader-elect", true, "elect a leader through a Lease so several replicas can run")
	f.StringVar(&o.LeaseNamespace, "lease-namespace", "smartvpa-system", "namespace of the leader Lease")
	f.StringVar(&o.LeaseName, "lease-name", "smartvpa-serve", "name of the leader Lease")
	f.Float32Var(&o.QPS, "kube-api-qps", 50, "client-side queries per second to the API server")
	f.IntVar(&o.Burst, "kube-api-burst", 100, "client-side burst of queries to the API server")
	f.StringVar(&o.LogFormat, "log-format", "text", "log format: text or json (log/slog, to stderr)")
	f.StringVar(&o.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	return cmd
}

// Complete fills derived fields.
func (o *ServeOptions) Complete(cmd *cobra.Command, _ []string) error {
	o.cmd = cmd.CommandPath()
	o.gcPercentSet = cmd.Flags().Changed("gc-percent")
	o.policy = updater.DefaultPolicy()
	o.policy.MinReplicas = o.MinReplicas
	o.policy.EvictionTolerance = o.EvictionTolerance
	return nil
}

// Validate checks the flags.
func (o *ServeOptions) Validate() error {
	if err := checkProfile(o.cmd, o.Profile); err != nil {
		return err
	}
	known := false
	for _, n := range recommend.Names() {
		known = known || n == o.Recommender
	}
	switch {
	case !known:
		return usageErrorf(o.cmd, "unknown recommender %q: use one of %s", o.Recommender, strings.Join(recommend.Names(), ", "))
	case o.RecommenderName == "":
		return usageErrorf(o.cmd, "--recommender-name is empty: give the name VPAs list in spec.recommenders")
	case o.Interval < time.Second:
		return usageErrorf(o.cmd, "--interval %s is too short: use 1s or more (metrics-server resolves 15s)", o.Interval)
	case o.CheckpointInterval < o.Interval:
		return usageErrorf(o.cmd, "--checkpoint-interval %s is shorter than --interval %s: use at least the interval", o.CheckpointInterval, o.Interval)
	case o.UpdateRate <= 0 || o.UpdateBurst < 1:
		return usageErrorf(o.cmd, "--update-rate must be above 0 and --update-burst at least 1")
	case o.GCPercent < 10:
		return usageErrorf(o.cmd, "--gc-percent %d is too low: use 10 or more (100 is Go's default)", o.GCPercent)
	case o.Profiling && o.MetricsAddr == "":
		return usageErrorf(o.cmd, "--profiling needs --metrics-addr: profiles are served on the metrics address")
	case o.LeaderElect && o.LeaseNamespace == "":
		return usageErrorf(o.cmd, "--lease-namespace is empty: give a namespace or --leader-elect=false")
	case o.LogFormat != "text" && o.LogFormat != "json":
		return usageErrorf(o.cmd, "--log-format %q: use text or json", o.LogFormat)
	case o.QPS <= 0 || o.Burst < 1:
		return usageErrorf(o.cmd, "--kube-api-qps must be above 0 and --kube-api-burst at least 1")
	}
	if err := o.policy.Validate(); err != nil {
		return usageErrorf(o.cmd, "%v", err)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return usageErrorf(o.cmd, "--log-level %q: use debug, info, warn or error", o.LogLevel)
	}
	return nil
}

// Run builds the clients and serves until SIGINT or SIGTERM.
func (o *ServeOptions) Run(ctx context.Context) error {
	gc := "GOGC=" + os.Getenv("GOGC")
	if o.gcPercentSet || os.Getenv("GOGC") == "" {
		debug.SetGCPercent(o.GCPercent)
		gc = fmt.Sprint(o.GCPercent)
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(o.LogLevel))
	hopts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewTextHandler(o.ErrOut, hopts)
	if o.LogFormat == "json" {
		h = slog.NewJSONHandler(o.ErrOut, hopts)
	}
	log := slog.New(h)

	rc, err := o.configFlags.ToRESTConfig()
	if err != nil {
		return clusterError(fmt.Errorf("load kubeconfig: %w", err))
	}
	rc.QPS, rc.Burst = o.QPS, o.Burst
	rc.UserAgent = "kubectl-smartvpa-serve"
	kc, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return clusterError(err)
	}
	dc, err := dynamic.NewForConfig(rc)
	if err != nil {
		return clusterError(err)
	}
	mc, err := metricsclient.NewForConfig(rc)
	if err != nil {
		return clusterError(err)
	}
	c, err := operator.New(operator.Clients{Kube: kc, Dynamic: dc, Metrics: mc}, operator.Config{
		RecommenderName:     o.RecommenderName,
		Recommender:         o.Recommender,
		ModelFile:           o.ModelFile,
		Profile:             o.Profile,
		Interval:            o.Interval,
		LowConfidenceSpan:   o.LowConfidenceSpan,
		CheckpointNamespace: o.CheckpointNamespace,
		CheckpointInterval:  o.CheckpointInterval,
		Updater:             o.Updater,
		UpdatePolicy:        o.policy,
		UpdateLimiter:       rate.NewLimiter(rate.Limit(o.UpdateRate), o.UpdateBurst),
		Log:                 log,
	})
	if err != nil {
		return usageErrorf(o.cmd, "%v", err)
	}
	host, _ := os.Hostname()
	id := fmt.Sprintf("%s_%d", host, os.Getpid())
	log.Info("starting serve", "identity", id, "metrics_addr", o.MetricsAddr, "leader_elect", o.LeaderElect, "gc_percent", gc)
	err = operator.Serve(ctx, c, kc, operator.ServeOptions{
		MetricsAddr:    o.MetricsAddr,
		Profiling:      o.Profiling,
		LeaderElect:    o.LeaderElect,
		LeaseNamespace: o.LeaseNamespace,
		LeaseName:      o.LeaseName,
		Identity:       id,
		LeaseDuration:  15 * time.Second,
		RenewDeadline:  10 * time.Second,
		RetryPeriod:    2 * time.Second,
	})
	if err != nil {
		return clusterError(err)
	}
	log.Info("serve stopped")
	return nil
}
