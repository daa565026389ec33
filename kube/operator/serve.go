package operator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// ServeOptions are the process-level options of serve.
type ServeOptions struct {
	// MetricsAddr is where /metrics and /healthz listen ("" disables them).
	MetricsAddr string
	// Profiling serves Go's pprof handlers under /debug/pprof/ on MetricsAddr.
	Profiling bool
	// LeaderElect turns on leader election through a Lease.
	LeaderElect    bool
	LeaseNamespace string
	LeaseName      string
	Identity       string
	LeaseDuration  time.Duration
	RenewDeadline  time.Duration
	RetryPeriod    time.Duration
	// Ready, if set, receives the bound metrics address once it listens.
	Ready func(addr string)
}

// Serve runs the controller until ctx ends: the HTTP endpoints at once, the
// informers and passes while this replica leads. On ctx's end the controller
// writes its checkpoints before the Lease is released.
//
// A replica that loses the Lease (e.g. the API server was unreachable for
// longer than the renew deadline) stops its passes, writes its checkpoints
// and campaigns again with a fresh controller (new informers, state restored
// from the checkpoints), so serve recovers without a restart.
func Serve(ctx context.Context, c *Controller, kc kubernetes.Interface, o ServeOptions) error {
	var cur atomic.Pointer[Controller]
	cur.Store(c)
	errc := make(chan error, 1)
	var srv *http.Server
	if o.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(c.m.Registry, promhttp.HandlerOpts{}))
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
			hc := cur.Load()
			if err := hc.Healthy(hc.cfg.Clock()); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(w, "ok")
		})
		if o.Profiling {
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
			mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		}
		ln, err := net.Listen("tcp", o.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on --metrics-addr %s: %w (choose a free address)", o.MetricsAddr, err)
		}
		if o.Ready != nil {
			o.Ready(ln.Addr().String())
		}
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
	}
	lead := func(c *Controller, lctx context.Context) error {
		c.m.Leader.Set(1)
		defer c.m.Leader.Set(0)
		if err := c.Start(lctx); err != nil {
			return err
		}
		c.log.Info("informers synced; reconciling", "interval", c.cfg.Interval, "recommender", c.cfg.Recommender,
			"recommender_name", c.cfg.RecommenderName, "updater", c.cfg.Updater)
		return c.Run(lctx)
	}
	if !o.LeaderElect {
		go func() { errc <- lead(c, ctx) }()
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
			return <-errc
		}
	}
	for {
		err := campaign(ctx, c, kc, o, lead)
		if ctx.Err() != nil {
			return err
		}
		select {
		case err := <-errc:
			return err
		default:
		}
		if err != nil {
			c.log.Error("leader term ended with an error", "err", err)
		}
		c.log.Info("lost the leader Lease; campaigning again with a fresh controller")
		nc, nerr := c.Fresh()
		if nerr != nil {
			return nerr
		}
		c = nc
		cur.Store(c)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(o.RetryPeriod):
		}
	}
}

// campaign runs one leader-election term: it returns when ctx ends or the
// Lease is lost, after the controller wrote its checkpoints.
func campaign(ctx context.Context, c *Controller, kc kubernetes.Interface, o ServeOptions, lead func(*Controller, context.Context) error) error {
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: o.LeaseNamespace, Name: o.LeaseName},
		Client:     kc.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: o.Identity},
	}
	// The election runs under its own context, cancelled only after the
	// controller returned (checkpoints written), so the Lease is released
	// last.
	leCtx, leCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer leCancel()
	done := make(chan error, 1)
	var leading atomic.Bool
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   o.LeaseDuration,
		RenewDeadline:   o.RenewDeadline,
		RetryPeriod:     o.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            o.LeaseName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(lctx context.Context) {
				leading.Store(true)
				c.log.Info("became leader", "identity", o.Identity)
				runCtx, cancel := context.WithCancel(ctx)
				go func() {
					select {
					case <-lctx.Done():
					case <-runCtx.Done():
					}
					cancel()
				}()
				err := lead(c, runCtx)
				cancel()
				done <- err
				leCancel()
			},
			OnStoppedLeading: func() {
				c.log.Info("stopped leading", "identity", o.Identity)
			},
			OnNewLeader: func(id string) {
				if id != o.Identity {
					c.log.Info("leader is another replica", "leader", id)
				}
			},
		},
	})
	if err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-leCtx.Done():
			return
		}
		if !leading.Load() {
			leCancel() // not leading: nothing to checkpoint
			return
		}
		select {
		case <-time.After(30 * time.Second):
			leCancel()
		case <-leCtx.Done():
		}
	}()
	le.Run(leCtx)
	if !leading.Load() {
		return nil
	}
	// The term's controller is still writing its checkpoints.
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		return errors.New("controller did not stop within 30 s of losing the Lease")
	}
}
