package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/kube"
)

// RecommendOptions holds the flags of `recommend`.
type RecommendOptions struct {
	genericiooptions.IOStreams
	liveOptions

	Output  string
	Explain bool

	args []string
	// now is the time of the recommendation (the wall clock; tests set it).
	now time.Time
}

func (c *cli) newRecommendCmd() *cobra.Command {
	o := &RecommendOptions{IOStreams: c.streams, liveOptions: liveOptions{configFlags: c.configFlags}}
	cmd := c.bind(&cobra.Command{
		Use:   "recommend [TYPE[.VERSION][.GROUP] [NAME...] | TYPE/NAME...] [-n NS | -A] [-l SELECTOR]",
		Short: "Recommend CPU and memory requests for workloads from their usage history",
		Long: `Recommend CPU and memory requests for the containers of workloads.

Targets are given as kubectl does: deploy/web, "deploy web api", deploy,sts,
-l app=web, -n NS, -A. Without arguments every Deployment, StatefulSet,
DaemonSet, CronJob (its Jobs grouped under it), standalone ReplicaSet and Job,
and bare Pod is covered. Pods are found by owner references; native sidecars
(init containers with restartPolicy Always) are included.

History (--history):
  prometheus   range queries over container_cpu_usage_seconds_total and
               container_memory_working_set_bytes, one per namespace and
               resource, grouped by (pod, container); --history-duration, --step
  checkpoints  upstream VerticalPodAutoscalerCheckpoint objects (written by the
               upstream recommender, or by serve --recommender vpa) of the
               VPAs targeting the workload, loaded into vpa; other
               recommenders cannot start from histograms, so vpa seeded
               with the checkpoint answers for them (each container's
               notes say so)
  live         metrics.k8s.io sampled for --sample-for; always low confidence
  auto         the first of these with data (prometheus only with a URL); the
               output says which

Columns: the CPU and memory request -> recommended target (lower-upper bound;
CPU always in millicores, memory in MiB), the CPU and the memory drift,
(request - target) / min(request, target): + over-provisioned,
- under-provisioned, +100% = twice the target, -100% = half of it (rows
riskiest first), confidence (high: 7 days of history or more,
medium: 1 day or more, low otherwise or live), notes (HPA on the same
resource, low confidence, OOM kills seen, CPU throttling). Savings use
--cpu-price per core-hour and --memory-price per GiB-hour (defaults 0.031611
and 0.004237 USD: 23.08 per core-month, 3.09 per GiB-month) over 730 hours a month at the current replica count.

-o patch prints one strategic-merge patch per workload that kubectl patch and
kustomize accept.`,
		Example: `  kubectl smartvpa recommend -n demo deploy/web
  kubectl smartvpa recommend -n demo deploy web api --explain
  kubectl smartvpa recommend -A -o wide
  kubectl smartvpa recommend -n demo -l app=web -o json
  kubectl smartvpa recommend -n demo deploy/web -o patch | kubectl patch -n demo deploy web --patch-file /dev/stdin
  kubectl smartvpa recommend -n demo --history live --sample-for 2m
  kubectl smartvpa recommend -n demo --recommender vpa --profile reliability --prometheus-url http://127.0.0.1:9090`,
	}, o)
	o.addFlags(cmd, true)
	addOutputFlag(cmd, &o.Output, kube.OutputFormats...)
	cmd.Flags().BoolVar(&o.Explain, "explain", false, "print the evidence behind each number (after the table; in JSON and YAML as explanation)")
	return cmd
}

// Complete records the arguments.
func (o *RecommendOptions) Complete(cmd *cobra.Command, args []string) error {
	o.cmd = cmd.CommandPath()
	o.args = args
	if o.now.IsZero() {
		o.now = time.Now()
	}
	return nil
}

// Validate checks the flags.
func (o *RecommendOptions) Validate() error {
	if o.AllNamespaces && len(o.args) > 0 && strings.Contains(strings.Join(o.args, " "), "/") {
		return usageErrorf(o.cmd, "a resource cannot be named across namespaces with -A: drop -A or the name")
	}
	return o.validate()
}

// Run resolves the workloads, reads their history and prints the report.
func (o *RecommendOptions) Run(ctx context.Context) error {
	defer func() { o.counter.print(o.ErrOut) }()
	rep, err := o.report(ctx, o.Explain)
	if err != nil {
		return err
	}
	return kube.PrintReport(o.Out, rep, o.Output, o.Explain)
}

func (o *RecommendOptions) report(ctx context.Context, explain bool) (*kube.Report, error) {
	return o.liveOptions.reportAt(ctx, o.args, explain, o.now)
}

// reportAt resolves args, fetches history and recommends at now; shared with
// apply and audit.
func (o *liveOptions) reportAt(ctx context.Context, args []string, explain bool, now time.Time) (*kube.Report, error) {
	ws, err := o.resolve(ctx, args)
	if err != nil {
		return nil, err
	}
	e, err := o.engine()
	if err != nil {
		return nil, err
	}
	e.Explain = explain
	var h *kube.History
	var notes []string
	if len(ws) > 0 {
		h, notes, err = e.FetchHistory(ctx, ws, now)
		if err != nil && !errors.Is(err, kube.ErrNoHistory) {
			if exitCode(err) == exitCluster || o.History != "auto" {
				return nil, clusterError(err)
			}
			return nil, err
		}
		if errors.Is(err, kube.ErrNoHistory) {
			notes = append(notes, err.Error())
		}
	}
	rep, err := e.Recommend(ctx, ws, h, notes, now)
	if err != nil {
		return nil, clusterError(err)
	}
	if rep.History != "" && o.History == "auto" {
		rep.HistoryNotes = append([]string{fmt.Sprintf("--history auto chose %s", rep.History)}, rep.HistoryNotes...)
	}
	return rep, nil
}
