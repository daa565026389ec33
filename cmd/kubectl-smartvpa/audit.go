package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/workloads"
)

// AuditOptions holds the flags of `audit`.
type AuditOptions struct {
	genericiooptions.IOStreams
	liveOptions

	Files    []string
	Usage    string
	MaxDrift float64
	Output   string
	whatIf   auditWhatIf

	args    []string
	now     time.Time
	changed func(name string) bool
}

func (c *cli) newAuditCmd() *cobra.Command {
	o := &AuditOptions{IOStreams: c.streams, liveOptions: liveOptions{configFlags: c.configFlags}, MaxDrift: 0.3}
	cmd := c.bind(&cobra.Command{
		Use:   "audit [TYPE[.VERSION][.GROUP] [NAME...] | TYPE/NAME...] [-n NS | -A] | -f DIR|FILE [--usage DIR]",
		Short: "Check that requests are within --max-drift of the recommendations (for CI)",
		Long: `Compare the containers' requests with the recommendations and fail when any
drifts more than --max-drift for CPU or memory, or a recommended resource has
no request. Drift is recommend's, (request - target) / min(request, target):
+ over-provisioned, - under-provisioned, symmetric (with 0.3 the request may be
up to 1.3 times the target and down to 1/1.3 of it).

Live: the targets of the cluster (same flags as recommend). Offline: -f reads
YAML or JSON manifests (files or folders, multi-document), and the usage comes
from --usage, a workload store folder (the trace of a container is the pod
template's smartvpa.io/workload annotation, else <name>-<container>, else
<name>), or from Prometheus (--prometheus-url).

What-if (--what-if): replay the targets' own history (as 'backtest
--history' does; --history prometheus, or checkpoints for serve's journal;
auto takes prometheus when --prometheus-url is set) with --recommender and
the others (--against, default every recommender but the oracle), and fail
when --recommender would have been beaten by more than --margin: (its cost -
the best cost) / its cost > margin, where cost is minus the simulator's
reward summed over the containers (slack, OOM kills, CPU over-request,
restarts and updates; see 'kubectl smartvpa simulate --help').

audit only reads: it works with read-only RBAC and never writes.
Exit codes: 0 no container drifts (--what-if: not beaten), 1 some do (--what-if:
beaten by more than --margin), 2 usage or input error, 3 cluster or API error.`,
		Example: `  kubectl smartvpa audit -n demo
  kubectl smartvpa audit -A --max-drift 0.5 -o junit > audit.xml
  kubectl smartvpa audit -f deploy/ --usage data/workloads
  kubectl smartvpa audit -f app.yaml --prometheus-url http://prometheus:9090 -o json
  kubectl smartvpa audit -n demo --what-if --prometheus-url http://prometheus:9090
  kubectl smartvpa audit -A --what-if --recommender smart --against vpa,autopilot --margin 0.1 -o json`,
	}, o)
	o.addFlags(cmd, true)
	f := cmd.Flags()
	f.StringArrayVarP(&o.Files, "filename", "f", nil, "offline: manifest files or folders (repeatable)")
	f.StringVar(&o.Usage, "usage", "", "offline: workload store folder with the containers' usage traces")
	f.Float64Var(&o.MaxDrift, "max-drift", o.MaxDrift, "largest accepted |drift|, drift = (request - target) / min(request, target)")
	addOutputFlag(cmd, &o.Output, kube.AuditFormats...)
	o.whatIf.addFlags(cmd)
	return cmd
}

// Complete records the arguments.
func (o *AuditOptions) Complete(cmd *cobra.Command, args []string) error {
	o.cmd = cmd.CommandPath()
	o.args = args
	o.changed = cmd.Flags().Changed
	if o.now.IsZero() {
		o.now = time.Now()
	}
	return nil
}

// Validate checks the flags.
func (o *AuditOptions) Validate() error {
	changed := o.changed
	if changed == nil {
		changed = func(string) bool { return false }
	}
	if err := o.whatIf.validate(o, changed); err != nil {
		return err
	}
	switch {
	case o.MaxDrift <= 0:
		return usageErrorf(o.cmd, "invalid --max-drift %g: use a positive fraction such as 0.3", o.MaxDrift)
	case len(o.Files) > 0 && len(o.args) > 0:
		return usageErrorf(o.cmd, "use either -f or targets, not both")
	case len(o.Files) > 0 && o.Usage == "" && o.PrometheusURL == "":
		return usageErrorf(o.cmd, "an offline audit (-f) needs usage: pass --usage DIR (workload store) or --prometheus-url")
	case len(o.Files) == 0 && o.Usage != "":
		return usageErrorf(o.cmd, "--usage is for offline audits: add -f with the manifests")
	}
	if o.Usage != "" {
		if st, err := os.Stat(o.Usage); err != nil || !st.IsDir() {
			return inputError(fmt.Errorf("--usage %s is not a folder: give the workload store folder (e.g. data/workloads)", o.Usage))
		}
	}
	return o.validate()
}

// Run audits and maps the verdict to the exit code.
func (o *AuditOptions) Run(ctx context.Context) error {
	if o.whatIf.WhatIf {
		return o.runWhatIf(ctx)
	}
	defer func() { o.counter.print(o.ErrOut) }()
	var rep *kube.Report
	var err error
	if len(o.Files) > 0 {
		rep, err = o.offline(ctx)
	} else {
		rep, err = o.reportAt(ctx, o.args, false, o.now)
	}
	if err != nil {
		return err
	}
	a := kube.Audit(rep, o.MaxDrift)
	if err := kube.PrintAudit(o.Out, a, o.Output); err != nil {
		return err
	}
	if a.Status == kube.AuditDrift {
		return errFound
	}
	return nil
}

func (o *AuditOptions) offline(ctx context.Context) (*kube.Report, error) {
	ns := "default"
	if o.configFlags.Namespace != nil && *o.configFlags.Namespace != "" {
		ns = *o.configFlags.Namespace
	}
	ws, err := kube.ReadManifests(o.Files, ns)
	if err != nil {
		return nil, inputError(err)
	}
	e := &kube.Engine{
		Recommender: o.Recommender, Config: recommend.Config{Seed: o.Seed, ModelFile: o.ModelFile},
		Profile: o.profile, Floors: o.floors, CPUPrice: o.CPUPrice, MemoryPrice: o.MemoryPrice,
	}
	now := o.now
	if o.Usage != "" {
		e.Sources = []kube.HistorySource{&kube.Traces{Store: workloads.OpenStore(o.Usage), Duration: o.HistoryDuration}}
	} else {
		e.Sources = []kube.HistorySource{&kube.Prometheus{URL: o.PrometheusURL, Duration: o.HistoryDuration, Step: o.Step}}
	}
	h, notes, err := e.FetchHistory(ctx, ws, now)
	if err != nil && !errors.Is(err, kube.ErrNoHistory) {
		if o.Usage != "" {
			return nil, inputError(err)
		}
		return nil, clusterError(err)
	}
	if errors.Is(err, kube.ErrNoHistory) {
		notes = append(notes, err.Error())
	}
	if o.Usage != "" && h != nil {
		now = h.End()
	}
	return e.Recommend(ctx, ws, h, notes, now)
}
