package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/stress"
	"github.com/smartvpa/smartvpa/workloads"
)

// StressServerOptions holds the flags of `stress server`.
type StressServerOptions struct {
	genericiooptions.IOStreams
	Listen           string
	Store            string
	Interval         time.Duration
	Speedup          float64
	MaxBodyBytes     int64
	MaxWorkloads     int
	MaxWorkloadBytes int64
	MaxCPUMillicores float64
	MaxMemory        string
	Token            string
	TokenFile        string
	Workloads        []string

	cmd string
	cfg stress.ServerConfig
	// ready, when set, gets the listening address (tests).
	ready func(net.Addr)
}

func (c *cli) newStressServerCmd() *cobra.Command {
	def := stress.DefaultServerConfig()
	o := &StressServerOptions{IOStreams: c.streams, Listen: fmt.Sprintf("127.0.0.1:%d", stress.DefaultPort), Store: workloads.DefaultStoreDir,
		Interval: def.Interval, Speedup: def.Speedup, MaxBodyBytes: def.MaxBodyBytes, MaxCPUMillicores: def.MaxCPUMillicores, MaxMemory: "256Gi",
		MaxWorkloads: def.MaxWorkloads, MaxWorkloadBytes: def.MaxWorkloadBytes}
	cmd := c.bind(&cobra.Command{
		Use:   "server [--listen 127.0.0.1:8090] [--store data/workloads] [--interval 5s] [--speedup X] [--token T]",
		Short: "Run the utilisation server that tells stress pods what CPU and memory to use",
		Long: `Run the utilisation server: an HTTP JSON API (docs/stress-api.md) that follows
the four-step lifecycle:

  1. upload a workload: POST /v1/workloads {"id": ID} loads it from --store,
     or send its samples inline;
  2. register a pod and its service: POST /v1/pods {"pod", "service",
     "workload", "speedup"};
  3. the pod's agent connects: GET /v1/pods/{pod}/connect answers a stream
     whose first line is the initial usage;
  4. one more target every --interval, following the workload at the pod's
     speed-up (workload seconds per wall second).

Every request is validated: bodies above --max-body-bytes get 413, and so
does a workload larger than --max-workload-bytes; an upload that would hold
more than --max-workloads workloads or --max-workload-bytes in all (24 bytes a
sample) gets 429 (delete workloads first); usage that
is negative or above --max-cpu-millicores / --max-memory gets 400, an unknown
workload or pod gets 404, each with a message saying what to do; the server
keeps serving. It listens on loopback unless --listen says otherwise. With a
token (--token, --token-file or $SMARTVPA_STRESS_TOKEN) every /v1 request needs
'Authorization: Bearer <token>'. SIGINT or SIGTERM stops it.`,
		Example: `  kubectl smartvpa stress server
  kubectl smartvpa stress server --listen 0.0.0.0:8090 --token-file /var/run/secrets/stress/token --workload step-3f2a
  curl -s -XPOST localhost:8090/v1/workloads -d '{"id":"step-3f2a"}'`,
		Args: noArgs,
	}, o)
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", o.Listen, "address to listen on (host:port); the default accepts only local connections")
	f.StringVar(&o.Store, "store", o.Store, "workload store folder that uploads by id load from")
	f.DurationVar(&o.Interval, "interval", o.Interval, "wall time between two targets sent to a pod")
	f.Float64Var(&o.Speedup, "speedup", o.Speedup, "default speed-up (workload seconds per wall second) of pods that give none")
	f.Int64Var(&o.MaxBodyBytes, "max-body-bytes", o.MaxBodyBytes, "largest request body accepted")
	f.IntVar(&o.MaxWorkloads, "max-workloads", o.MaxWorkloads, "most workloads held at once")
	f.Int64Var(&o.MaxWorkloadBytes, "max-workload-bytes", o.MaxWorkloadBytes, "most bytes of workload samples held at once, 24 a sample")
	f.Float64Var(&o.MaxCPUMillicores, "max-cpu-millicores", o.MaxCPUMillicores, "largest CPU usage accepted, in millicores")
	f.StringVar(&o.MaxMemory, "max-memory", o.MaxMemory, "largest memory usage accepted (a quantity, e.g. 64Gi)")
	f.StringVar(&o.Token, "token", "", "bearer token required on every /v1 request (default $"+stressTokenEnv+")")
	f.StringVar(&o.TokenFile, "token-file", "", "file holding the bearer token")
	f.StringSliceVar(&o.Workloads, "workload", nil, "workload ids in --store to upload at start (repeatable)")
	return cmd
}

// Complete resolves the token.
func (o *StressServerOptions) Complete(cmd *cobra.Command, _ []string) error {
	o.cmd = cmd.CommandPath()
	tok, err := stressToken(o.cmd, o.Token, o.TokenFile)
	o.Token = tok
	return err
}

// Validate checks the flags.
func (o *StressServerOptions) Validate() error {
	if _, _, err := net.SplitHostPort(o.Listen); err != nil {
		return usageErrorf(o.cmd, "--listen %q is not host:port, e.g. 127.0.0.1:8090", o.Listen)
	}
	q, err := resource.ParseQuantity(o.MaxMemory)
	if err != nil {
		return usageErrorf(o.cmd, "--max-memory %q is not a quantity, e.g. 64Gi", o.MaxMemory)
	}
	o.cfg = stress.ServerConfig{
		Store: workloads.OpenStore(o.Store), Interval: o.Interval, Speedup: o.Speedup, MaxBodyBytes: o.MaxBodyBytes,
		MaxWorkloads: o.MaxWorkloads, MaxWorkloadBytes: o.MaxWorkloadBytes,
		MaxCPUMillicores: o.MaxCPUMillicores, MaxMemoryBytes: float64(q.Value()), Token: o.Token, Log: o.ErrOut,
	}
	if err := o.cfg.Validate(); err != nil {
		return usageErrorf(o.cmd, "%s", err)
	}
	for _, id := range o.Workloads {
		if err := workloads.ValidateID(id); err != nil {
			return usageErrorf(o.cmd, "--workload: %s", err)
		}
	}
	return nil
}

// Run serves until ctx is done; o.ready, when set, gets the listening
// address.
func (o *StressServerOptions) Run(ctx context.Context) error {
	srv, err := stress.NewServer(o.cfg)
	if err != nil {
		return usageErrorf(o.cmd, "%s", err)
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return inputError(fmt.Errorf("listen on %s: %w: choose a free address with --listen", o.Listen, err))
	}
	defer ln.Close() //nolint:errcheck // Serve has stopped accepting; a close error changes nothing
	if !stress.IsLoopback(o.Listen) && o.Token == "" {
		fmt.Fprintf(o.ErrOut, "warning: listening on %s without a token: anyone who reaches it can drive the stress pods; set --token-file\n", o.Listen)
	}
	for _, id := range o.Workloads {
		if _, err := srv.Preload(id); err != nil {
			return inputError(err)
		}
	}
	fmt.Fprintf(o.Out, "utilisation server listening on http://%s (interval %s, default speed-up %g)\n", ln.Addr(), o.cfg.Interval, o.cfg.Speedup)
	if o.ready != nil {
		o.ready(ln.Addr())
	}
	return srv.Serve(ctx, ln)
}
