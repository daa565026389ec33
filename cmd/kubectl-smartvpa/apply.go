package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/core/updater"
	"github.com/smartvpa/smartvpa/kube"
)

// ApplyOptions holds the flags of `apply`.
type ApplyOptions struct {
	genericiooptions.IOStreams
	liveOptions

	DryRun             string
	Mode               string
	Yes                bool
	AllowHPA           bool
	Watch              bool
	WatchTimeout       time.Duration
	AllowLowConfidence bool
	MinReplicas        int
	EvictionTolerance  float64

	args []string
	now  time.Time
	// isTerminal reports whether stdin is a terminal (tests override it).
	isTerminal func() bool
	// watchInterval is the rollout watcher's poll interval (0: its default).
	watchInterval time.Duration
}

func (c *cli) newApplyCmd() *cobra.Command {
	o := &ApplyOptions{IOStreams: c.streams, liveOptions: liveOptions{configFlags: c.configFlags}}
	cmd := c.bind(&cobra.Command{
		Use:   "apply [TYPE[.VERSION][.GROUP] [NAME...] | TYPE/NAME...] [-n NS | -A] [-l SELECTOR]",
		Short: "Apply recommended CPU and memory requests to workloads",
		Long: `Apply the recommendations of 'recommend' (same targets, history and
recommender flags) to the workloads.

--mode patch (default) patches the controller's pod template with field
  manager smartvpa, all containers of a workload in one request; the
  controller rolls the pods. A Job's template is immutable and is skipped.
--mode in-place resizes the running pods through their resize subresource
  (the pod template is unchanged), falling back to patch where the server
  has no resize subresource.
--mode evict evicts the pods the updater policy selects (requests outside
  [lower, upper], or a large change on pods older than 12 h) through the
  Eviction API, so PodDisruptionBudgets, --min-replicas and
  --eviction-tolerance hold. Recreated pods get their requests from the pod
  template (or an admission controller such as upstream VPA's).

--dry-run has kubectl's meaning: client prints what would change, server
sends the requests with dryRun=All (validated, nothing persisted), none
applies. Limits keep their ratio to the requests; requests never go below
--min-cpu and --min-memory. A resource an HPA scales on is left unchanged
unless --allow-hpa. On a terminal apply asks for confirmation unless --yes;
elsewhere --yes is required.

apply prints the history notes and each container's confidence as
'recommend' does, and refuses low-confidence recommendations (live
sampling, e.g. when Prometheus is down under --history auto, or less than a
day of history) unless --allow-low-confidence.

Before patching, apply reads the workload again: if its requests or limits
changed since they were read (for example while the prompt waited), it
applies nothing to it and exits 3; the patch carries the resourceVersion it
read as a precondition. --watch follows the rollout and, when new pods are
OOM-killed or crash-loop within --watch-timeout, restores what apply
replaced (containers changed by someone else since are left alone). A
rollback, a rollout not complete within --watch-timeout and a conflict exit
3.`,
		Example: `  kubectl smartvpa apply -n demo deploy/web --dry-run=server
  kubectl smartvpa apply -n demo deploy/api --yes --watch --watch-timeout 5m
  kubectl smartvpa apply -n demo deploy/web --allow-hpa --yes
  kubectl smartvpa apply -n demo sts/db --mode in-place --yes
  kubectl smartvpa apply -n demo deploy/web --mode evict --yes`,
	}, o)
	o.addFlags(cmd, true)
	f := cmd.Flags()
	f.StringVar(&o.DryRun, "dry-run", "none", "none, client (print only) or server (validated by the server, nothing persisted)")
	f.Lookup("dry-run").NoOptDefVal = "client"
	f.StringVar(&o.Mode, "mode", "patch", "patch (pod template), in-place (pods/resize) or evict (updater policy + Eviction API)")
	f.BoolVarP(&o.Yes, "yes", "y", false, "apply without asking")
	f.BoolVar(&o.AllowHPA, "allow-hpa", false, "also change resources that a HorizontalPodAutoscaler scales on")
	f.BoolVar(&o.Watch, "watch", false, "follow the rollout; restore the previous requests if new pods are OOM-killed or crash")
	f.DurationVar(&o.WatchTimeout, "watch-timeout", 5*time.Minute, "how long --watch follows the rollout")
	f.BoolVar(&o.AllowLowConfidence, "allow-low-confidence", false, "also apply recommendations of low confidence (live sampling, or less than a day of history)")
	def := updater.DefaultPolicy()
	f.IntVar(&o.MinReplicas, "min-replicas", def.MinReplicas, "evict: no pod is evicted from a workload with fewer live pods")
	f.Float64Var(&o.EvictionTolerance, "eviction-tolerance", def.EvictionTolerance, "evict: fraction of a workload's replicas that may be down at once")
	_ = cmd.RegisterFlagCompletionFunc("mode", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"patch", "in-place", "evict"}, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("dry-run", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"none", "client", "server"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Complete records the arguments.
func (o *ApplyOptions) Complete(cmd *cobra.Command, args []string) error {
	o.cmd = cmd.CommandPath()
	o.args = args
	if o.now.IsZero() {
		o.now = time.Now()
	}
	if o.isTerminal == nil {
		o.isTerminal = func() bool { return isTerminal(o.In) }
	}
	return nil
}

// Validate checks the flags.
func (o *ApplyOptions) Validate() error {
	switch o.DryRun {
	case "none", "client", "server":
	default:
		return usageErrorf(o.cmd, "invalid --dry-run %q: use none, client or server", o.DryRun)
	}
	switch o.Mode {
	case "patch", "in-place", "evict":
	default:
		return usageErrorf(o.cmd, "invalid --mode %q: use patch, in-place or evict", o.Mode)
	}
	switch {
	case o.Watch && o.WatchTimeout <= 0:
		return usageErrorf(o.cmd, "invalid --watch-timeout %s: use a positive duration such as 5m", o.WatchTimeout)
	case o.Watch && o.Mode != "patch":
		return usageErrorf(o.cmd, "--watch follows a rollout: use it with --mode patch")
	case o.MinReplicas < 0:
		return usageErrorf(o.cmd, "invalid --min-replicas %d: use 0 or more", o.MinReplicas)
	case o.EvictionTolerance < 0 || o.EvictionTolerance > 1:
		return usageErrorf(o.cmd, "invalid --eviction-tolerance %g: use a fraction between 0 and 1", o.EvictionTolerance)
	case o.AllNamespaces && len(o.args) == 0 && o.Selector == "":
		return usageErrorf(o.cmd, "refusing to apply to every workload of every namespace: name the workloads, or add -l")
	}
	return o.validate()
}

// Run recommends, shows the changes, asks, applies and optionally watches.
func (o *ApplyOptions) Run(ctx context.Context) error {
	defer func() { o.counter.print(o.ErrOut) }()
	rep, err := o.reportAt(ctx, o.args, false, o.now)
	if err != nil {
		return err
	}
	return o.apply(ctx, rep)
}

// apply shows the changes of rep with their confidence and the history
// notes, refuses low-confidence ones unless --allow-low-confidence, asks,
// applies and optionally watches.
func (o *ApplyOptions) apply(ctx context.Context, rep *kube.Report) error {
	changes := kube.Changes(rep, o.AllowHPA)
	if len(rep.Workloads) == 0 {
		fmt.Fprintln(o.Out, "no workloads found")
		return nil
	}
	hist := rep.History
	if hist == "" {
		hist = "none"
	}
	fmt.Fprintf(o.Out, "recommender %s, profile %s, history from %s\n", rep.Recommender, rep.Profile, hist)
	for _, n := range rep.HistoryNotes {
		fmt.Fprintf(o.Out, "note: %s\n", n)
	}
	todo := 0
	var low []string
	for i := range changes {
		ch := &changes[i]
		wr := ch.Report
		fmt.Fprintf(o.Out, "%s/%s:\n", wr.Namespace, wr.Ref())
		ch.Describe(o.Out)
		todo += len(ch.New)
		for _, l := range ch.LowConfidence() {
			low = append(low, wr.Namespace+"/"+wr.Ref()+" "+l)
		}
	}
	if todo == 0 {
		fmt.Fprintln(o.Out, "nothing to change: requests already match the recommendations")
		return nil
	}
	if len(low) > 0 && !o.AllowLowConfidence {
		if o.DryRun == "none" {
			return usageErrorf(o.cmd, "refusing to apply low-confidence recommendations (%s): give it more history (--prometheus-url, or serve's checkpoints after a day) or pass --allow-low-confidence",
				strings.Join(low, "; "))
		}
		fmt.Fprintf(o.Out, "note: without --dry-run, apply refuses these low-confidence recommendations unless --allow-low-confidence\n")
	}
	if o.DryRun == "none" && !o.Yes {
		if !o.isTerminal() {
			return usageErrorf(o.cmd, "refusing to apply without confirmation: stdin is not a terminal; pass --yes (or --dry-run=server to check)")
		}
		fmt.Fprintf(o.Out, "Apply these changes (mode %s)? [y/N] ", o.Mode)
		line, _ := bufio.NewReader(o.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(o.Out, "nothing applied")
			return nil
		}
	}
	pol := updater.DefaultPolicy()
	pol.MinReplicas, pol.EvictionTolerance = o.MinReplicas, o.EvictionTolerance
	a := &kube.Applier{Client: o.clients.client, Mode: kube.ApplyMode(o.Mode), DryRun: kube.DryRun(o.DryRun), Policy: pol, Out: o.Out, Now: func() time.Time { return o.now }}
	// A workload that changed since it was read, or whose rollout failed,
	// does not stop the others; they all make the exit code 3.
	var failed []error
	for _, ch := range changes {
		if len(ch.New) == 0 {
			continue
		}
		since := time.Now()
		res, err := a.Apply(ctx, ch)
		var conflict *kube.ConflictError
		if errors.As(err, &conflict) {
			fmt.Fprintf(o.Out, "%s/%s: not applied: changed since apply read it\n", ch.Report.Namespace, ch.Report.Ref())
			failed = append(failed, err)
			continue
		}
		if err != nil {
			return applyError(err)
		}
		if o.Watch && res.Patched && o.DryRun == "none" {
			if err := o.watch(ctx, a, ch, since); err != nil {
				failed = append(failed, err)
			}
		}
	}
	if len(failed) > 0 {
		return clusterError(errors.Join(failed...))
	}
	return nil
}

// watch follows one workload's rollout and rolls back what apply replaced
// when its pods fail. Every error it returns names the workload once and is
// a cluster outcome (exit 3).
func (o *ApplyOptions) watch(ctx context.Context, a *kube.Applier, ch kube.Change, since time.Time) error {
	w := ch.Report.Workload()
	name := w.Namespace + "/" + w.Ref()
	fmt.Fprintf(o.Out, "%s: watching the rollout for up to %s\n", name, o.WatchTimeout)
	rw := &kube.RolloutWatcher{Client: o.clients.client, Timeout: o.WatchTimeout, Interval: o.watchInterval}
	err := rw.Watch(ctx, w, since)
	if err == nil {
		fmt.Fprintf(o.Out, "%s: rollout complete\n", name)
		return nil
	}
	var rf *kube.RolloutFailure
	if !errors.As(err, &rf) {
		return clusterError(err) // the watcher's errors name the workload
	}
	fmt.Fprintf(o.Out, "%s: %s; restoring the previous requests\n", name, rf)
	res, err := a.Rollback(ctx, ch)
	if err != nil {
		return applyError(fmt.Errorf("rollback failed: %w", err))
	}
	if !res.Patched {
		return clusterError(fmt.Errorf("%s: nothing rolled back after %s: every container changed since apply", name, rf))
	}
	return clusterError(fmt.Errorf("%s: rolled back after %s", name, rf))
}

// applyError makes API refusals readable and exit 3.
func applyError(err error) error {
	if apierrors.IsForbidden(err) {
		return clusterError(fmt.Errorf("forbidden: %w; nothing was changed by this request: ask for patch rights on the workload, or use --dry-run=client", err))
	}
	return clusterError(err)
}
