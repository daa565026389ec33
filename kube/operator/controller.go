package operator

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/updater"
	"github.com/smartvpa/smartvpa/kube"
)

// Condition types written to status.conditions. RecommendationProvided and
// LowConfidence are upstream's; MetricsAvailable is smartvpa's own and says
// whether the last read of metrics.k8s.io worked.
const (
	CondRecommendationProvided = "RecommendationProvided"
	CondLowConfidence          = "LowConfidence"
	CondMetricsAvailable       = "MetricsAvailable"
)

// Config configures the controller.
type Config struct {
	// RecommenderName is the name VPAs put in spec.recommenders (smartvpa).
	RecommenderName string
	// Recommender is the registry name of the recommender run per container.
	Recommender string
	// ModelFile is passed to recommenders that take a model.
	ModelFile string
	// Profile is passed to recommenders that take a risk profile (smart);
	// empty means their default.
	Profile string
	// Interval is the time between reconcile passes (metrics sampling).
	Interval time.Duration
	// LowConfidenceSpan: a container with less history is LowConfidence.
	LowConfidenceSpan time.Duration
	// CheckpointNamespace holds the checkpoint ConfigMaps.
	CheckpointNamespace string
	// CheckpointInterval is the time between checkpoint writes.
	CheckpointInterval time.Duration
	// MaxJournal is the number of samples per container kept for the
	// checkpoint (older ones are dropped from the checkpoint, not from the
	// running recommender).
	MaxJournal int
	// Updater enables the updater for VPAs whose update mode is not Off.
	Updater bool
	// UpdatePolicy is the updater policy (mode from each VPA).
	UpdatePolicy updater.Policy
	// UpdateLimiter limits pod updates (in-place resizes and evictions);
	// nil means no limit.
	UpdateLimiter Limiter
	// Workers is the number of concurrent status writers, and of updater
	// workers in a pass (default 8).
	Workers int
	// Clock returns the time (nil: wall clock).
	Clock func() time.Time
	Log   *slog.Logger
	// Metrics receives the series (nil: a private registry).
	Metrics *Metrics
}

// Limiter is the part of golang.org/x/time/rate.Limiter the updater uses.
type Limiter interface{ Allow() bool }

// Clients are the API clients the controller uses.
type Clients struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	Metrics metricsclient.Interface
}

// Controller is the VPA recommender controller: informers on VPAs, pods and
// workload controllers; a reconcile pass every interval samples
// metrics.k8s.io, feeds the per-container recommenders and writes the VPA
// status. It is not safe to call Pass concurrently.
type Controller struct {
	cfg Config
	cl  Clients
	log *slog.Logger
	m   *Metrics

	dynFactory dynamicinformer.DynamicSharedInformerFactory
	factory    informers.SharedInformerFactory
	vpaInf     cache.SharedIndexInformer
	listers    listers

	// writes queues the statuses of the passes for the writers.
	writes *statusQueue

	mu     sync.Mutex
	states map[string]*vpaState // by VPA namespace/name
	// lastPass is when the last pass ended (for /healthz).
	lastPass time.Time
	lastCkpt time.Time
	// gone are the keys of VPAs whose state a pass dropped (deleted, or no
	// longer naming us): their checkpoint ConfigMaps are to be deleted.
	gone         map[string]bool
	metricsErr   error
	restoredFrom int
	// up remembers the upstream checkpoints written (upstream_checkpoint.go).
	up upstreamCheckpoints
}

type listers struct {
	pods        func(ns string, sel labels.Selector) ([]*corev1.Pod, error)
	get         func(kind, ns, name string) (runtime.Object, error)
	synced      []cache.InformerSynced
	podInformer cache.SharedIndexInformer
}

// vpaState is the recommender state of one VPA.
type vpaState struct {
	uid        string
	containers map[string]*containerState
	// seen: pod/container -> timestamp of the last metrics window used.
	seen map[string]time.Time
	// oomSeen: pod/container -> finish time of the last OOM kill recorded.
	oomSeen map[string]time.Time
	// slots: pod (UID) -> its slot for the recommenders' per-pod state.
	slots map[string]int
	dirty bool
}

// containerState is one container's recommender and the samples fed since
// its checkpoint was last written (the journal itself is in the ConfigMap).
type containerState struct {
	rec recommend.Recommender
	// pending are the samples not yet in the checkpoint ConfigMap.
	pending *journal
	// journaled is the number of samples the ConfigMap's journal held when
	// last read or written; restored is that journal between a restore and
	// the upstream checkpoint restore that may replay it (nil otherwise).
	journaled int
	restored  *journal
	ooms      []oomRecord
	// slotPod is the pod each slot last fed to the recommender: an event of
	// another pod in that slot starts a new pod's state (tagFor).
	slotPod []string
	first   time.Time
	last    time.Time
	samples int
}

// New builds a controller and its informers (not started).
func New(cl Clients, cfg Config) (*Controller, error) {
	if cfg.RecommenderName == "" {
		cfg.RecommenderName = "smartvpa"
	}
	if cfg.Recommender == "" {
		cfg.Recommender = DefaultRecommender()
	}
	if _, err := recommend.New(cfg.Recommender, recommend.Config{ModelFile: cfg.ModelFile, Profile: cfg.Profile}); err != nil {
		return nil, err
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.LowConfidenceSpan <= 0 {
		cfg.LowConfidenceSpan = 24 * time.Hour
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = 10 * time.Minute
	}
	if cfg.MaxJournal <= 0 {
		cfg.MaxJournal = int(8 * 24 * time.Hour / cfg.Interval)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.UpdatePolicy.Mode == "" {
		cfg.UpdatePolicy = updater.DefaultPolicy()
	}
	c := &Controller{cfg: cfg, cl: cl, log: cfg.Log, m: cfg.Metrics, states: map[string]*vpaState{}, gone: map[string]bool{}, writes: newStatusQueue()}
	c.dynFactory = dynamicinformer.NewDynamicSharedInformerFactory(cl.Dynamic, 0)
	c.vpaInf = c.dynFactory.ForResource(kube.VPAResource).Informer()
	// The caches hold only what serve reads (informers.go).
	_ = c.vpaInf.SetTransform(trimVPA)
	c.factory = informers.NewSharedInformerFactoryWithOptions(cl.Kube, 0, informers.WithTransform(trimObject))
	pods := c.factory.Core().V1().Pods()
	deps := c.factory.Apps().V1().Deployments()
	sts := c.factory.Apps().V1().StatefulSets()
	dss := c.factory.Apps().V1().DaemonSets()
	rss := c.factory.Apps().V1().ReplicaSets()
	jobs := c.factory.Batch().V1().Jobs()
	if err := pods.Informer().AddIndexers(cache.Indexers{podLabelIndex: podLabelKeys}); err != nil {
		return nil, err
	}
	c.listers = listers{
		podInformer: pods.Informer(),
		pods: func(ns string, sel labels.Selector) ([]*corev1.Pod, error) {
			return selectPods(pods.Informer().GetIndexer(), ns, sel, func() ([]*corev1.Pod, error) {
				return pods.Lister().Pods(ns).List(sel)
			})
		},
		get: func(kind, ns, name string) (runtime.Object, error) {
			switch kind {
			case kube.KindDeployment:
				return deps.Lister().Deployments(ns).Get(name)
			case kube.KindStatefulSet:
				return sts.Lister().StatefulSets(ns).Get(name)
			case kube.KindDaemonSet:
				return dss.Lister().DaemonSets(ns).Get(name)
			case kube.KindReplicaSet:
				return rss.Lister().ReplicaSets(ns).Get(name)
			case kube.KindJob:
				return jobs.Lister().Jobs(ns).Get(name)
			}
			return nil, fmt.Errorf("target kind %s is not supported: use a Deployment, StatefulSet, DaemonSet, ReplicaSet or Job", kind)
		},
		synced: []cache.InformerSynced{pods.Informer().HasSynced, deps.Informer().HasSynced, sts.Informer().HasSynced,
			dss.Informer().HasSynced, rss.Informer().HasSynced, jobs.Informer().HasSynced},
	}
	c.listers.synced = append(c.listers.synced, c.vpaInf.HasSynced)
	return c, nil
}

// DefaultRecommender is smart when it is registered, else vpa.
func DefaultRecommender() string {
	for _, n := range recommend.Names() {
		if n == "smart" {
			return n
		}
	}
	return "vpa"
}

// Start starts the informers and the status writers, and waits for the
// informers' caches. The writers stop when ctx ends.
func (c *Controller) Start(ctx context.Context) error {
	c.runWriters(ctx)
	c.dynFactory.Start(ctx.Done())
	c.factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), c.listers.synced...) {
		return fmt.Errorf("informer caches did not sync: %w", context.Cause(ctx))
	}
	return nil
}

// Healthy reports an error when the leader's passes stopped: the last pass
// ended more than three intervals ago.
func (c *Controller) Healthy(now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastPass.IsZero() {
		return nil
	}
	if d := now.Sub(c.lastPass); d > 3*c.cfg.Interval {
		return fmt.Errorf("last reconcile pass ended %s ago (interval %s)", d.Round(time.Second), c.cfg.Interval)
	}
	return nil
}

// Run restores the checkpoints, then runs a pass every interval until ctx
// ends, and writes the checkpoints a last time.
func (c *Controller) Run(ctx context.Context) error {
	if n, err := c.Restore(ctx); err != nil {
		c.m.Errors.WithLabelValues("checkpoint").Inc()
		c.log.Error("restore checkpoints", "err", err)
	} else {
		c.log.Info("restored checkpoints", "vpas", n)
	}
	c.restoreUpstreamAtStart(ctx)
	c.dropRestored()
	// The restore decoded and replayed every journal: give that transient
	// heap back to the OS now rather than over the next minutes.
	debug.FreeOSMemory()
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	// Checkpoints roll: each pass writes the share of the VPAs whose key
	// hashes to it, so every VPA is written once a checkpoint interval and a
	// round of reads and writes (two requests a VPA) does not stall one pass.
	shares := max(1, int(c.cfg.CheckpointInterval/c.cfg.Interval))
	for pass := 0; ; pass++ {
		c.Pass(ctx)
		if shares > 1 {
			c.checkpointShare(ctx, pass%shares, shares)
		}
		if c.cfg.Clock().Sub(c.lastCkpt) >= c.cfg.CheckpointInterval {
			if shares > 1 {
				c.collectAndUpstream(ctx)
			} else {
				c.checkpointAll(ctx)
			}
		}
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
			c.checkpointAll(sctx)
			cancel()
			return nil
		case <-t.C:
		}
	}
}

// checkpointShare writes the checkpoints of share of shares of the VPAs.
func (c *Controller) checkpointShare(ctx context.Context, share, shares int) {
	n, err := c.writeCheckpoints(ctx, func(key string) bool { return keyShare(key, shares) == share })
	if err != nil {
		c.m.Errors.WithLabelValues("checkpoint").Inc()
		c.log.Error("write checkpoints", "err", err, "share", share, "of", shares)
	} else if n > 0 {
		c.log.Debug("wrote checkpoints", "configmaps", n, "share", share, "of", shares)
	}
}

// keyShare is the share of a VPA key among shares (FNV-1a hash).
func keyShare(key string, shares int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(shares))
}

// collectAndUpstream is checkpointAll's work besides the ConfigMap writes,
// once a checkpoint interval while the writes roll.
func (c *Controller) collectAndUpstream(ctx context.Context) {
	if err := c.collectCheckpoints(ctx); err != nil {
		c.m.Errors.WithLabelValues("checkpoint").Inc()
		c.log.Error("delete checkpoints of deleted VPAs", "err", err)
	}
	c.writeUpstreamHook(ctx)
	c.lastCkpt = c.cfg.Clock()
}

func (c *Controller) checkpointAll(ctx context.Context) {
	start := time.Now()
	n, err := c.WriteCheckpoints(ctx)
	if err != nil {
		c.m.Errors.WithLabelValues("checkpoint").Inc()
		c.log.Error("write checkpoints", "err", err)
	} else {
		c.log.Info("wrote checkpoints", "configmaps", n, "duration", time.Since(start).Round(time.Millisecond))
	}
	c.writeUpstreamHook(ctx)
	c.lastCkpt = c.cfg.Clock()
}

// ourVPAs returns the VPAs in the informer cache naming our recommender,
// sorted by key.
func (c *Controller) ourVPAs() []*VPA {
	var out []*VPA
	for _, o := range c.vpaInf.GetStore().List() {
		u, ok := o.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		v, err := ParseVPA(u)
		if err != nil {
			c.m.Errors.WithLabelValues("parse").Inc()
			c.log.Warn("skip vpa", "err", err)
			continue
		}
		if v.Names(c.cfg.RecommenderName) {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// Fresh returns a new controller with the same clients and configuration
// (and the same Metrics), with new informers and empty state.
func (c *Controller) Fresh() (*Controller, error) { return New(c.cl, c.cfg) }
