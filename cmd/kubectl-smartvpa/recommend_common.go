package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/kube/operator"
)

// liveOptions are the flags recommend, apply and audit share: targets, history
// and the recommender.
type liveOptions struct {
	configFlags *genericclioptions.ConfigFlags

	AllNamespaces bool
	Selector      string

	Recommender     string
	ModelFile       string
	Seed            int64
	Profile         string
	History         string
	PrometheusURL   string
	HistoryDuration time.Duration
	Step            time.Duration
	SampleFor       time.Duration
	SampleInterval  time.Duration
	MinCPU          string
	MinMemory       string
	CPUPrice        float64
	MemoryPrice     float64

	// CheckpointNamespace is where serve writes its journal ConfigMaps.
	CheckpointNamespace string

	// DebugRequests prints the API requests made, per verb and resource, to
	// stderr (hidden flag, for measurements).
	DebugRequests bool

	cmd      string
	floors   model.Resources
	profile  kube.Profile
	counter  *requestCounter
	clients  *liveClients
	explicit bool
}

type liveClients struct {
	config  *rest.Config
	client  kubernetes.Interface
	dynamic dynamic.Interface
	metrics metricsclient.Interface
}

// defaultRecommender is smart when registered, else vpa.
func defaultRecommender() string {
	for _, n := range recommend.Names() {
		if n == "smart" {
			return "smart"
		}
	}
	return "vpa"
}

// historyModes are the values of --history.
var historyModes = []string{"auto", "prometheus", "checkpoints", "live"}

func (o *liveOptions) addFlags(cmd *cobra.Command, withSelection bool) {
	f := cmd.Flags()
	if withSelection {
		f.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "workloads in every namespace")
		f.StringVarP(&o.Selector, "selector", "l", "", "label selector for the workloads, e.g. app=web")
	}
	o.Recommender = defaultRecommender()
	f.StringVar(&o.Recommender, "recommender", o.Recommender, "recommender: "+strings.Join(recommend.Names(), ", "))
	f.StringVar(&o.ModelFile, "model", "", "trained model file for recommenders that take one")
	f.Int64Var(&o.Seed, "seed", 1, "seed for recommenders that use randomness")
	f.StringVar(&o.Profile, "profile", "balanced", "savings, balanced or reliability: smart plans for it itself (see 'simulate --help'); for the other recommenders savings moves the target half-way to the lower bound, balanced keeps it, reliability moves it half-way to the upper bound (at most 2x)")
	f.StringVar(&o.History, "history", "auto", "usage history: auto (first with data of prometheus, checkpoints, live), prometheus, checkpoints (per container: the samples serve journals in --checkpoint-namespace, else the upstream VerticalPodAutoscalerCheckpoint), live (metrics.k8s.io)")
	f.StringVar(&o.CheckpointNamespace, "checkpoint-namespace", operator.DefaultCheckpointNamespace, "namespace of serve's checkpoint ConfigMaps (serve's --checkpoint-namespace), read by --history checkpoints (empty: upstream checkpoints only)")
	o.PrometheusURL = os.Getenv("PROMETHEUS_URL")
	f.StringVar(&o.PrometheusURL, "prometheus-url", o.PrometheusURL, "Prometheus base URL (default $PROMETHEUS_URL)")
	o.HistoryDuration = 8 * 24 * time.Hour
	f.Var(durationFlag{&o.HistoryDuration}, "history-duration", "how far back Prometheus history goes (8d, 36h)")
	o.Step = 5 * time.Minute
	f.DurationVar(&o.Step, "step", o.Step, "resolution of the Prometheus range queries")
	f.DurationVar(&o.SampleFor, "sample-for", 0, "live history: sample metrics.k8s.io for this long (0: one snapshot); always low confidence")
	f.DurationVar(&o.SampleInterval, "sample-interval", 15*time.Second, "live history: time between samples")
	f.StringVar(&o.MinCPU, "min-cpu", "10m", "floor: never recommend a CPU request below this")
	f.StringVar(&o.MinMemory, "min-memory", "32Mi", "floor: never recommend a memory request below this")
	f.Float64Var(&o.CPUPrice, "cpu-price", kube.DefaultCPUPrice, "price of one CPU core per hour, for savings (USD)")
	f.Float64Var(&o.MemoryPrice, "memory-price", kube.DefaultMemoryPrice, "price of one GiB of memory per hour, for savings (USD)")
	f.BoolVar(&o.DebugRequests, "debug-requests", false, "print the number of API requests per verb and resource to stderr")
	_ = f.MarkHidden("debug-requests")
	_ = cmd.RegisterFlagCompletionFunc("recommender", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return recommend.Names(), cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("history", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return historyModes, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("profile", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"savings", "balanced", "reliability"}, cobra.ShellCompDirectiveNoFileComp
	})
}

// validate checks the shared flags.
func (o *liveOptions) validate() error {
	known := false
	for _, n := range recommend.Names() {
		known = known || n == o.Recommender
	}
	if !known {
		return usageErrorf(o.cmd, "unknown recommender %q: use one of %s", o.Recommender, strings.Join(recommend.Names(), ", "))
	}
	p, err := kube.ParseProfile(o.Profile)
	if err != nil {
		return usageErrorf(o.cmd, "%v", err)
	}
	o.profile = p
	okMode := false
	for _, m := range historyModes {
		okMode = okMode || m == o.History
	}
	switch {
	case !okMode:
		return usageErrorf(o.cmd, "unknown --history %q: use %s", o.History, strings.Join(historyModes, ", "))
	case o.History == "prometheus" && o.PrometheusURL == "":
		return usageErrorf(o.cmd, "--history prometheus needs --prometheus-url (or PROMETHEUS_URL)")
	case o.HistoryDuration <= 0:
		return usageErrorf(o.cmd, "invalid --history-duration %s: use a positive duration such as 8d", o.HistoryDuration)
	case o.Step < time.Second:
		return usageErrorf(o.cmd, "invalid --step %s: use 1s or more, e.g. 5m", o.Step)
	case o.SampleFor < 0:
		return usageErrorf(o.cmd, "invalid --sample-for %s: use 0 or more", o.SampleFor)
	case o.SampleInterval < time.Second:
		return usageErrorf(o.cmd, "invalid --sample-interval %s: use 1s or more", o.SampleInterval)
	case o.CPUPrice < 0 || o.MemoryPrice < 0:
		return usageErrorf(o.cmd, "prices must not be negative")
	}
	cpu, err := kube.ParseCPU(o.MinCPU)
	if err != nil || cpu < 0 {
		return usageErrorf(o.cmd, "invalid --min-cpu %q: use a quantity such as 10m", o.MinCPU)
	}
	mem, err := kube.ParseMemory(o.MinMemory)
	if err != nil || mem < 0 {
		return usageErrorf(o.cmd, "invalid --min-memory %q: use a quantity such as 32Mi", o.MinMemory)
	}
	o.floors = model.Resources{CPUMillicores: cpu, MemoryBytes: mem}
	if o.ModelFile != "" {
		if _, err := os.Stat(o.ModelFile); err != nil {
			return inputError(fmt.Errorf("model file: %w", err))
		}
	}
	return nil
}

// connect builds the clients once, counting requests when asked.
func (o *liveOptions) connect() (*liveClients, error) {
	if o.clients != nil {
		return o.clients, nil
	}
	if o.DebugRequests && o.counter == nil {
		o.counter = &requestCounter{counts: map[string]int{}}
		prev := o.configFlags.WrapConfigFn
		o.configFlags.WrapConfigFn = func(c *rest.Config) *rest.Config {
			if prev != nil {
				c = prev(c)
			}
			c.Wrap(o.counter.wrap)
			return c
		}
	}
	cfg, err := o.configFlags.ToRESTConfig()
	if err != nil {
		return nil, usageErrorf(o.cmd, "kubeconfig: %v", err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 100, 200
	c := &liveClients{config: cfg}
	if c.client, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, clusterError(err)
	}
	if c.dynamic, err = dynamic.NewForConfig(cfg); err != nil {
		return nil, clusterError(err)
	}
	if c.metrics, err = metricsclient.NewForConfig(cfg); err != nil {
		return nil, clusterError(err)
	}
	o.clients = c
	return c, nil
}

func (o *liveOptions) namespace() (string, error) {
	ns, _, err := o.configFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", usageErrorf(o.cmd, "kubeconfig: %v", err)
	}
	return ns, nil
}

// resolve finds the target workloads.
func (o *liveOptions) resolve(ctx context.Context, args []string) ([]*kube.Workload, error) {
	c, err := o.connect()
	if err != nil {
		return nil, err
	}
	ns, err := o.namespace()
	if err != nil {
		return nil, err
	}
	o.explicit = len(args) > 0
	r := &kube.Resolver{NewBuilder: func() *resource.Builder { return resource.NewBuilder(o.configFlags) }, Client: c.client}
	ws, err := r.Resolve(ctx, kube.TargetOptions{Args: args, Namespace: ns, AllNamespaces: o.AllNamespaces, Selector: o.Selector})
	if err != nil {
		return nil, classifyResolveError(o.cmd, err)
	}
	return ws, nil
}

// classifyResolveError turns the builder's argument errors into usage errors
// and API errors into cluster errors.
func classifyResolveError(cmdPath string, err error) error {
	if exitCode(err) == exitCluster {
		return clusterError(err)
	}
	msg := err.Error()
	if strings.Contains(msg, "the server doesn't have a resource type") || strings.Contains(msg, "is not a workload") ||
		strings.Contains(msg, "arguments in resource/name form") || strings.Contains(msg, "invalid label selector") {
		return usageErrorf(cmdPath, "%s", msg)
	}
	if strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") || strings.Contains(msg, "Unauthorized") || strings.Contains(msg, "forbidden") {
		return clusterError(err)
	}
	return clusterError(err)
}

// engine builds the recommend engine with the history sources of --history.
func (o *liveOptions) engine() (*kube.Engine, error) {
	c, err := o.connect()
	if err != nil {
		return nil, err
	}
	e := &kube.Engine{
		Recommender: o.Recommender,
		Config:      recommend.Config{Seed: o.Seed, ModelFile: o.ModelFile},
		Profile:     o.profile,
		Floors:      o.floors,
		CPUPrice:    o.CPUPrice, MemoryPrice: o.MemoryPrice,
		Client: c.client,
	}
	prom := o.prometheus()
	cps := o.checkpoints(c)
	live := &kube.Live{Client: c.metrics, SampleFor: o.SampleFor, Interval: o.SampleInterval}
	switch o.History {
	case "prometheus":
		e.Sources = []kube.HistorySource{prom}
	case "checkpoints":
		e.Sources = []kube.HistorySource{cps}
	case "live":
		e.Sources = []kube.HistorySource{live}
	default:
		if o.PrometheusURL != "" {
			e.Sources = append(e.Sources, prom)
		}
		e.Sources = append(e.Sources, cps, live)
	}
	return e, nil
}

// prometheus is the Prometheus history source of the flags.
func (o *liveOptions) prometheus() *kube.Prometheus {
	var rt http.RoundTripper
	if o.counter != nil {
		rt = o.counter.wrap(http.DefaultTransport)
	}
	return &kube.Prometheus{URL: o.PrometheusURL, Duration: o.HistoryDuration, Step: o.Step, RoundTripper: rt}
}

// checkpoints is the checkpoints history source: per container, serve's
// journal (raw samples, exact), else the upstream checkpoint (a histogram).
func (o *liveOptions) checkpoints(c *liveClients) kube.HistorySource {
	var cps kube.HistorySource = &kube.Checkpoints{Client: c.dynamic}
	if o.CheckpointNamespace != "" {
		cps = &kube.PerContainer{Label: "checkpoints", Kinds: []string{"serve journal", "upstream VerticalPodAutoscalerCheckpoint"},
			Sources: []kube.HistorySource{
				&operator.JournalSource{Client: c.client, Dynamic: c.dynamic, Namespace: o.CheckpointNamespace},
				cps,
			}}
	}
	return cps
}

// requestCounter counts HTTP requests by verb and path shape.
type requestCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

type countingRT struct {
	c    *requestCounter
	next http.RoundTripper
}

func (rt countingRT) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.c.add(req)
	return rt.next.RoundTrip(req)
}

func (c *requestCounter) wrap(next http.RoundTripper) http.RoundTripper {
	return countingRT{c: c, next: next}
}

func (c *requestCounter) add(req *http.Request) {
	key := req.Method + " " + requestShape(req)
	c.mu.Lock()
	c.counts[key]++
	c.mu.Unlock()
}

// requestShape names a request: "list pods", "get deployments", "prometheus
// query_range", "discovery".
func requestShape(req *http.Request) string {
	p := strings.Trim(req.URL.Path, "/")
	if strings.Contains(p, "api/v1/query") || strings.HasSuffix(p, "query_range") {
		return "prometheus " + p[strings.LastIndex(p, "/")+1:]
	}
	parts := strings.Split(p, "/")
	// /api/v1/... or /apis/group/version/...
	var rest []string
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		rest = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		rest = parts[3:]
	default:
		return "discovery " + p
	}
	if len(rest) == 0 {
		return "discovery " + p
	}
	if rest[0] == "namespaces" && len(rest) >= 3 {
		rest = rest[2:]
	}
	switch len(rest) {
	case 1:
		if req.Method == http.MethodGet {
			return "list " + rest[0]
		}
		return rest[0]
	case 2:
		return "one " + rest[0]
	}
	return rest[0] + "/" + rest[len(rest)-1]
}

func (c *requestCounter) print(w interface{ Write([]byte) (int, error) }) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.counts))
	total := 0
	for k, n := range c.counts {
		keys = append(keys, k)
		total += n
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "requests: %4d  %s\n", c.counts[k], k)
	}
	fmt.Fprintf(w, "requests: %4d  total\n", total)
}
