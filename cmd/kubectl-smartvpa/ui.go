package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/kube/tuisource"
	"github.com/smartvpa/smartvpa/tui"
)

// UIOptions holds the flags of `ui`. The targets, history and recommender
// flags are recommend's (liveOptions).
type UIOptions struct {
	genericiooptions.IOStreams
	liveOptions

	Demo         bool
	Refresh      time.Duration
	Recommenders []string
	NoColor      bool
	ReadOnly     bool

	args          []string
	recommenderOK bool // --recommender was given
	names         []string
	uiNamespace   string // -n as given, for the demo's first namespace
}

func (c *cli) newUICmd() *cobra.Command {
	o := &UIOptions{IOStreams: c.streams, liveOptions: liveOptions{configFlags: c.configFlags}, Refresh: 5 * time.Second}
	cmd := c.bind(&cobra.Command{
		Use:   "ui [TYPE[.VERSION][.GROUP] [NAME...] | TYPE/NAME...] [-n NS | -A] [-l SELECTOR] [--demo]",
		Short: "Browse workloads and recommendations in a terminal UI; approve and apply them",
		Long: `Open a k9s-style terminal UI: a table of workloads with their CPU and memory
requests against the recommendation, drift, confidence, monthly saving and
status (approved, applied, HPA conflict); a detail view per container with
charts of usage against the request and the recommended lower bound, target
and upper bound, and the recommender's explanation; a confirm dialog that
shows the patch and the server dry-run before applying the approved
workloads. Press ? for the keys.

On a cluster the targets, history and recommender flags are recommend's
(deploy/web, -n, -A, -l, --history, --prometheus-url, --profile, ...); r
cycles through --recommenders. The list is read again every --refresh
without blocking the keys; the history is fetched again at most once a
minute (plus --sample-for with --history live). a only marks a workload: A
opens the confirm dialog with the patch and the server dry-run of the marked
workloads, and y applies them the way 'apply --mode patch' does (one
strategic-merge patch of the pod template per workload, field manager
smartvpa, limits kept in proportion, a resource an HPA scales on left
unchanged). "applied" means smartvpa set the requests last and they lie
within the recommended bounds.

b on a workload is the what-if: its containers' own history (Prometheus, or
serve's journal when there is no --prometheus-url; not with --history live)
is replayed in the background against every recommender of the picker, as
'backtest --history' does (a spinner; esc cancels), then one row per
recommender shows CPU and memory slack, OOM kills, restarts, updates per day
and the monthly cost of its last recommendation at the current replicas;
enter (or a) approves the workload with the recommender under the cursor and
switches the table to it.

When RBAC lets you patch none of the workload kinds (checked with
SelfSubjectAccessReviews) the UI is read-only: the apply keys are off and the
status line says why.

--demo runs on generated workloads (seeded by --seed) with no cluster,
starting on the same default recommender; its dry-runs and applies are
simulated and say so (--read-only shows the read-only mode there). Colours
follow NO_COLOR and --no-color.

The numbers are recommend's: CPU± and MEM± are the drift, (request - target)
/ min(request, target), + over-provisioned, - under-provisioned; $/MO is the
saving at --cpu-price and --memory-price, totalled in the header. An
approval keeps the numbers it was made with when r shows another
recommender. k9s habits: :ns NAME, :deploy (:sts, :ds, ...), :rec NAME; s
sorts, S reverses; y shows the patch as YAML; from 160 columns the table adds
replicas, limits and usage as a share of the request.`,
		Example: `  kubectl smartvpa ui -n demo
  kubectl smartvpa ui -A -l team=shop --refresh 10s
  kubectl smartvpa ui -n demo deploy/web deploy/api --recommender vpa --history prometheus --prometheus-url http://127.0.0.1:9090
  kubectl smartvpa ui --demo
  NO_COLOR=1 kubectl smartvpa ui --demo --read-only`,
	}, o)
	o.addFlags(cmd, true)
	f := cmd.Flags()
	f.BoolVar(&o.Demo, "demo", o.Demo, "run on generated workloads, without a cluster")
	f.DurationVar(&o.Refresh, "refresh", o.Refresh, "interval of the live refresh")
	f.StringSliceVar(&o.Recommenders, "recommenders", nil, "recommenders offered by r, comma-separated (default: all registered)")
	f.BoolVar(&o.NoColor, "no-color", false, "draw without colours (also when NO_COLOR is set)")
	f.BoolVar(&o.ReadOnly, "read-only", false, "demo only: behave as if RBAC forbade patching")
	f.Lookup("recommender").Usage = "recommender shown first, on a cluster and in the demo (r cycles through --recommenders; the first of them when this one is not offered)"
	f.Lookup("seed").Usage = "seed for recommenders that use randomness, and of the demo workloads"
	return cmd
}

// Complete fills in the values that come from the environment.
func (o *UIOptions) Complete(cmd *cobra.Command, args []string) error {
	o.cmd = cmd.CommandPath()
	o.args = args
	if os.Getenv("NO_COLOR") != "" {
		o.NoColor = true
	}
	if f := cmd.Flags().Lookup("recommender"); f != nil {
		o.recommenderOK = f.Changed
	}
	if o.configFlags != nil && o.configFlags.Namespace != nil {
		o.uiNamespace = *o.configFlags.Namespace
	}
	return nil
}

// Validate checks the flags.
func (o *UIOptions) Validate() error {
	if o.Refresh <= 0 {
		return usageErrorf(o.cmd, "invalid --refresh %s: use a positive duration such as 5s", o.Refresh)
	}
	if o.Demo && (len(o.args) > 0 || o.AllNamespaces || o.Selector != "") {
		return usageErrorf(o.cmd, "--demo takes no targets, -A or -l: drop them, or drop --demo to browse the cluster")
	}
	if !o.Demo && o.ReadOnly {
		return usageErrorf(o.cmd, "--read-only is for the demo; on a cluster the UI is read-only when RBAC forbids patching")
	}
	if !o.Demo && o.AllNamespaces && len(o.args) > 0 && strings.Contains(strings.Join(o.args, " "), "/") {
		return usageErrorf(o.cmd, "a resource cannot be named across namespaces with -A: drop -A or the name")
	}
	names := o.Recommenders
	if len(names) == 0 {
		names = recommend.Names()
	}
	for _, n := range names {
		if _, err := recommend.New(n, recommend.Config{}); err != nil {
			return usageErrorf(o.cmd, "invalid --recommenders: %v", err)
		}
	}
	if !o.recommenderOK {
		o.Recommender = firstRecommender(names, o.Recommender)
	}
	if !slices.Contains(names, o.Recommender) {
		return usageErrorf(o.cmd, "invalid --recommender %q: choose one of %s", o.Recommender, strings.Join(names, ", "))
	}
	o.names = names
	if o.Demo {
		return nil
	}
	return o.validate()
}

// firstRecommender is the recommender the UI starts on when --recommender is
// not given: def (recommend's default, the one --help names), on a cluster
// and in the demo alike, or the first offered when def is not.
func firstRecommender(names []string, def string) string {
	if !slices.Contains(names, def) && len(names) > 0 {
		return names[0]
	}
	return def
}

// Run opens the UI on the terminal.
func (o *UIOptions) Run(ctx context.Context) error {
	opts := tui.Options{
		Refresh:     o.Refresh,
		Recommender: o.Recommender,
		Namespace:   o.uiNamespace,
		NoColor:     o.NoColor,
		Prices:      model.Prices{CPUCoreHour: o.CPUPrice, MemoryGiBHour: o.MemoryPrice},
		Simulated:   o.Demo,
	}
	if o.Demo {
		readOnly := ""
		if o.ReadOnly {
			readOnly = "demo started with --read-only (as if RBAC forbade patch on workloads)"
		}
		src, err := tui.NewDemoSource(tui.DemoOptions{Seed: o.Seed, Recommenders: o.Recommenders, ReadOnly: readOnly})
		if err != nil {
			return inputError(err)
		}
		opts.Source, opts.Actions = src, src
		return tui.Run(ctx, opts, o.In, o.Out)
	}
	defer func() { o.counter.print(o.ErrOut) }() // --debug-requests, after the screen is restored
	src, err := o.clusterSource(ctx)
	if err != nil {
		return err
	}
	opts.Source, opts.Actions = src, src
	opts.WhatIf = o.whatIf(src)
	opts.Namespace = ""
	// Live sampling (--sample-for) makes a history fetch last that long.
	opts.Timeout = 30*time.Second + o.SampleFor
	return tui.Run(ctx, opts, o.In, o.Out)
}

// clusterSource connects, resolves the targets once (so that a bad target or
// an unreachable cluster fails before the screen opens, with recommend's
// exit codes) and returns the cluster source.
func (o *UIOptions) clusterSource(ctx context.Context) (*tuisource.Source, error) {
	c, err := o.connect()
	if err != nil {
		return nil, err
	}
	if _, err := o.resolve(ctx, o.args); err != nil {
		return nil, err
	}
	e, err := o.engine()
	if err != nil {
		return nil, err
	}
	ns := ""
	if !o.AllNamespaces {
		if ns, err = o.namespace(); err != nil {
			return nil, err
		}
	}
	return &tuisource.Source{
		Resolve: func(ctx context.Context) ([]*kube.Workload, error) {
			ws, err := o.resolve(ctx, o.args)
			if err != nil {
				return nil, fmt.Errorf("list workloads: %w", err)
			}
			return ws, nil
		},
		Engine:        e,
		Names:         o.names,
		Client:        c.client,
		Namespace:     ns,
		HistoryMaxAge: time.Minute + o.SampleFor,
	}, nil
}
