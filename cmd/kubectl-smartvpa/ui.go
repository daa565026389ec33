package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/core/recommend"
	_ "github.com/smartvpa/smartvpa/core/recommend/autopilot" // registers autopilot, autopilot-window
	_ "github.com/smartvpa/smartvpa/core/recommend/forecast"  // registers forecast, holtwinters, ar
	_ "github.com/smartvpa/smartvpa/core/recommend/vpa"       // registers vpa
	"github.com/smartvpa/smartvpa/tui"
)

func init() { subcommands = append(subcommands, newUICmd) }

// UIOptions holds the flags of `ui`.
type UIOptions struct {
	configFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams

	Demo         bool
	Refresh      time.Duration
	Seed         int64
	Recommender  string
	Recommenders []string
	NoColor      bool
	ReadOnly     bool

	cmd       string
	namespace string
}

func newUICmd(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &UIOptions{configFlags: configFlags, IOStreams: streams, Refresh: 5 * time.Second, Seed: 1, Recommender: "vpa"}
	cmd := &cobra.Command{
		Use:   "ui [--demo] [--refresh 5s]",
		Short: "Browse workloads and recommendations in a terminal UI; approve and apply them",
		Long: `Open a k9s-style terminal UI: a table of workloads with their CPU and memory
requests against the recommendation, drift, confidence, monthly saving and
status; a detail view per container with charts of usage against the request
and the recommended lower bound, target and upper bound, and the recommender's
explanation; a confirm dialog that shows the patch and the server dry-run
before applying the approved workloads. Press ? for the keys.

--demo runs on generated workloads (seeded by --seed) with no cluster. The
cluster source comes with the live commands; until then use --demo.

Colours follow NO_COLOR and --no-color. When patching is forbidden the UI is
read-only: the apply keys are off and the status line says why (--read-only
shows this mode in the demo).`,
		Example: `  kubectl smartvpa ui --demo
  kubectl smartvpa ui --demo --refresh 10s --recommender autopilot
  NO_COLOR=1 kubectl smartvpa ui --demo --read-only`,
		Args:         noArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Demo, "demo", o.Demo, "run on generated workloads, without a cluster")
	f.DurationVar(&o.Refresh, "refresh", o.Refresh, "interval of the live refresh")
	f.Int64Var(&o.Seed, "seed", o.Seed, "seed of the demo workloads")
	f.StringVar(&o.Recommender, "recommender", o.Recommender, "recommender shown first (r cycles through them)")
	f.StringSliceVar(&o.Recommenders, "recommenders", nil, "recommenders offered by r, comma-separated (default: all registered)")
	f.BoolVar(&o.NoColor, "no-color", false, "draw without colours (also when NO_COLOR is set)")
	f.BoolVar(&o.ReadOnly, "read-only", false, "demo only: behave as if RBAC forbade patching")
	return cmd
}

// Complete fills in the values that come from the environment.
func (o *UIOptions) Complete(cmd *cobra.Command) error {
	o.cmd = cmd.CommandPath()
	if os.Getenv("NO_COLOR") != "" {
		o.NoColor = true
	}
	if o.configFlags != nil && o.configFlags.Namespace != nil {
		o.namespace = *o.configFlags.Namespace
	}
	return nil
}

// Validate checks the flags.
func (o *UIOptions) Validate() error {
	if o.Refresh <= 0 {
		return usageErrorf(o.cmd, "invalid --refresh %s: use a positive duration such as 5s", o.Refresh)
	}
	if !o.Demo {
		return usageErrorf(o.cmd, "the cluster source for ui is not available yet: run 'kubectl smartvpa ui --demo' to browse generated workloads")
	}
	names := o.Recommenders
	if len(names) == 0 {
		names = recommend.Names()
	}
	found := false
	for _, n := range names {
		if _, err := recommend.New(n, recommend.Config{}); err != nil {
			return usageErrorf(o.cmd, "invalid --recommenders: %v", err)
		}
		found = found || n == o.Recommender
	}
	if !found {
		return usageErrorf(o.cmd, "invalid --recommender %q: choose one of %s", o.Recommender, strings.Join(names, ", "))
	}
	return nil
}

// Run opens the UI on the terminal.
func (o *UIOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	readOnly := ""
	if o.ReadOnly {
		readOnly = "demo started with --read-only (as if RBAC forbade patch on workloads)"
	}
	src, err := tui.NewDemoSource(tui.DemoOptions{Seed: o.Seed, Recommenders: o.Recommenders, ReadOnly: readOnly})
	if err != nil {
		return inputError(err)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	return tui.Run(ctx, tui.Options{
		Source:      src,
		Actions:     src,
		Refresh:     o.Refresh,
		Recommender: o.Recommender,
		Namespace:   o.namespace,
		NoColor:     o.NoColor,
	}, o.In, o.Out)
}
