package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/stress"
)

// StressAgentOptions holds the flags of `stress agent`.
type StressAgentOptions struct {
	genericiooptions.IOStreams
	Server         string
	Pod            string
	Token          string
	TokenFile      string
	Backend        string
	Workers        int
	ReportInterval time.Duration
	Workload       string
	Service        string
	Speedup        float64
	Loop           bool

	cmd     string
	backend stress.Backend
}

func (c *cli) newStressAgentCmd() *cobra.Command {
	o := &StressAgentOptions{IOStreams: c.streams, Server: fmt.Sprintf("http://127.0.0.1:%d", stress.DefaultPort), Pod: stress.PodName(),
		Backend: "native", ReportInterval: 5 * time.Second}
	if s := os.Getenv("SMARTVPA_STRESS_SERVER"); s != "" {
		o.Server = s
	}
	cmd := c.bind(&cobra.Command{
		Use:   "agent [--server URL] [--pod NAME] [--backend native|stress-ng] [--workers N]",
		Short: "Run the stress agent: consume the CPU and memory the utilisation server asks for",
		Long: `Run the stress pod's process. It connects to the utilisation server as --pod,
receives the initial usage and one target every interval, and produces it:

  native     CPU by duty-cycled busy loops on --workers OS threads (default
             GOMAXPROCS, which follows the container's CPU limit), each
             burning its share of every 100ms as measured by its thread's CPU
             clock, corrected by the process's CPU time; memory by mapping and
             touching 1 MiB chunks of anonymous pages, unmapped when the target
             drops, so that the resident set follows the target.
  stress-ng  runs stress-ng (--cpu/--cpu-load, --vm/--vm-bytes) and restarts
             it when the target moves; it must be on PATH.

With --workload the agent registers its own pod (step 2) when the server does
not know it, as the pods of 'stress run' do. Every --report-interval it reports the CPU and resident set it measured. It
retries when the server is unreachable or the pod is not registered yet, holds
the last target when a workload ends, and exits 0 on SIGTERM or SIGINT after
releasing its memory. The server defaults to $SMARTVPA_STRESS_SERVER, the pod
name to $POD_NAME or the host name, the token to $SMARTVPA_STRESS_TOKEN.`,
		Example: `  kubectl smartvpa stress agent --server http://127.0.0.1:8090 --pod stress-0
  kubectl smartvpa stress agent --server http://stress-server:8090 --token-file /var/run/secrets/stress/token
  kubectl smartvpa stress agent --pod stress-0 --backend stress-ng`,
		Args: noArgs,
	}, o)
	f := cmd.Flags()
	f.StringVar(&o.Server, "server", o.Server, "utilisation server URL")
	f.StringVar(&o.Pod, "pod", o.Pod, "pod name registered on the server")
	f.StringVar(&o.Token, "token", "", "bearer token of the server (default $"+stressTokenEnv+")")
	f.StringVar(&o.TokenFile, "token-file", "", "file holding the bearer token")
	f.StringVar(&o.Backend, "backend", o.Backend, "how load is produced: native or stress-ng")
	f.IntVar(&o.Workers, "workers", 0, "CPU worker threads, at most 4 per CPU (default GOMAXPROCS)")
	f.DurationVar(&o.ReportInterval, "report-interval", o.ReportInterval, "how often measured usage is reported")
	f.StringVar(&o.Workload, "workload", "", "register the pod for this uploaded workload when the server does not know it (step 2)")
	f.StringVar(&o.Service, "service", "", "with --workload: the pod's service")
	f.Float64Var(&o.Speedup, "speedup", 0, "with --workload: the speed-up (0: the server's default)")
	f.BoolVar(&o.Loop, "loop", false, "with --workload: replay the workload from the start when it ends")
	return cmd
}

// Complete resolves the token.
func (o *StressAgentOptions) Complete(cmd *cobra.Command, _ []string) error {
	o.cmd = cmd.CommandPath()
	tok, err := stressToken(o.cmd, o.Token, o.TokenFile)
	o.Token = tok
	return err
}

// Validate checks the flags and builds the backend.
func (o *StressAgentOptions) Validate() error {
	u, err := url.Parse(o.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf(o.cmd, "--server %q is not an http(s) URL, e.g. http://127.0.0.1:8090", o.Server)
	}
	if o.Pod == "" {
		return usageErrorf(o.cmd, "--pod is required when neither $POD_NAME nor the host name is set")
	}
	if o.Workers < 0 || o.Workers > stress.MaxWorkers() {
		return usageErrorf(o.cmd, "--workers must be from 0 (GOMAXPROCS) to %d (4 per CPU), got %d", stress.MaxWorkers(), o.Workers)
	}
	if o.ReportInterval <= 0 {
		return usageErrorf(o.cmd, "--report-interval must be positive, e.g. 5s")
	}
	if o.Speedup < 0 {
		return usageErrorf(o.cmd, "--speedup must not be negative (0: the server's default)")
	}
	if o.Workload == "" && (o.Service != "" || o.Speedup != 0 || o.Loop) {
		return usageErrorf(o.cmd, "--service, --speedup and --loop register the pod and need --workload")
	}
	switch o.Backend {
	case "native":
		o.backend = stress.NewNative(stress.NativeConfig{Workers: o.Workers})
	case "stress-ng":
		b, err := stress.NewStressNG(o.Workers, o.ErrOut)
		if err != nil {
			return inputError(err)
		}
		o.backend = b
	default:
		return usageErrorf(o.cmd, "unknown backend %q: use native or stress-ng", o.Backend)
	}
	return nil
}

// Run follows the server until ctx is done.
func (o *StressAgentOptions) Run(ctx context.Context) error {
	cfg := stress.AgentConfig{
		Client: &stress.Client{BaseURL: o.Server, Token: o.Token}, Pod: o.Pod, Backend: o.backend,
		ReportInterval: o.ReportInterval, Log: o.ErrOut,
	}
	if o.Workload != "" {
		cfg.Register = &stress.PodRegistration{Workload: o.Workload, Service: o.Service, Speedup: o.Speedup, Loop: o.Loop}
	}
	a := stress.NewAgent(cfg)
	fmt.Fprintf(o.ErrOut, "stress agent %s (%s backend) following %s\n", o.Pod, o.Backend, o.Server)
	err := a.Run(ctx)
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	fmt.Fprintf(o.ErrOut, "stress agent %s stopped\n", o.Pod)
	return nil
}
