// Command usagedriver makes the local control plane's demo pods report usage that follows a trace.
//
// Each pod carrying the annotation smartvpa.io/workload=<id> follows the trace <id>: the file
// data/workloads/<id>/trace.csv when the workloads store has it, otherwise a built-in generated
// curve (sinusoidal, step, spikes, low_high, constant, batch; chosen by the id's prefix).
//
// Time line: the trace's first --history of samples is the past (now - history .. anchor, at real
// speed, written as Prometheus history by `backfill`); after the anchor the trace plays at
// --speedup (one real minute = speedup trace minutes), wrapping at the end of the trace.
//
//	usagedriver run      --kubeconfig K --namespace demo --anchor T [--speedup 60] [--interval 5s]
//	usagedriver backfill --kubeconfig K --namespace demo --anchor T [--history 192h] [--step 60s] --out F
//	usagedriver show     --kubeconfig K --namespace demo --anchor T
//
// run patches the kwok.x-k8s.io/usage-cpu and kwok.x-k8s.io/usage-memory annotations that kwok's
// ClusterResourceUsage turns into the metrics metrics-server scrapes. backfill writes OpenMetrics
// text with cAdvisor-style series (container_cpu_usage_seconds_total,
// container_memory_working_set_bytes; labels namespace, pod, container, node) for promtool.
//
// This lives under hack/ because it is test-bed tooling, not part of the plugin.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/smartvpa/smartvpa/kube/kwokusage"
)

const annWorkload = "smartvpa.io/workload"

type options struct {
	kubeconfig string
	namespace  string
	dataDir    string
	anchor     time.Time
	history    time.Duration
	speedup    float64
	interval   time.Duration
	step       time.Duration
	out        string
	once       bool
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "usagedriver:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(3)
	}
}

type usageError struct{ error }

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("want a subcommand: run, backfill or show")}
	}
	cmd := args[0]
	fs := flag.NewFlagSet("usagedriver "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var anchor string
	fs.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "admin kubeconfig of the cluster")
	fs.StringVar(&o.namespace, "namespace", "demo", "namespace of the pods to drive")
	fs.StringVar(&o.dataDir, "data-dir", "data/workloads", "workloads store (data/workloads/<id>/trace.csv)")
	fs.StringVar(&anchor, "anchor", "", "end of the history and start of live playback (RFC 3339 or Unix seconds; default now)")
	fs.DurationVar(&o.history, "history", 8*24*time.Hour, "length of the history before the anchor")
	fs.Float64Var(&o.speedup, "speedup", 60, "trace seconds played per real second after the anchor")
	fs.DurationVar(&o.interval, "interval", 5*time.Second, "run: how often to update the annotations")
	fs.BoolVar(&o.once, "once", false, "run: update once and exit")
	fs.DurationVar(&o.step, "step", time.Minute, "backfill: sample step")
	fs.StringVar(&o.out, "out", "-", "backfill: OpenMetrics output file (- for stdout)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	if anchor == "" {
		o.anchor = time.Now().UTC().Truncate(time.Second)
	} else {
		t, err := parseTimestamp(anchor)
		if err != nil {
			return usageError{fmt.Errorf("--anchor: %w", err)}
		}
		o.anchor = t
	}
	if o.speedup <= 0 {
		return usageError{errors.New("--speedup must be positive")}
	}
	if o.step <= 0 || o.interval <= 0 || o.history <= 0 {
		return usageError{errors.New("--step, --interval and --history must be positive")}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("load kubeconfig %q: %w (pass --kubeconfig or set KUBECONFIG)", o.kubeconfig, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := &driver{o: o, cs: cs, traces: map[string]*Trace{}, log: stderr}
	switch cmd {
	case "run":
		return d.loop(ctx)
	case "backfill":
		return d.backfill(ctx, stdout)
	case "show":
		return d.show(ctx, stdout)
	default:
		return usageError{fmt.Errorf("unknown subcommand %q: want run, backfill or show", cmd)}
	}
}

type driver struct {
	o      options
	cs     kubernetes.Interface
	traces map[string]*Trace
	log    io.Writer
}

// offset maps wall-clock time to a trace offset (see the package doc).
func (d *driver) offset(t time.Time) time.Duration {
	if !t.After(d.o.anchor) {
		return t.Sub(d.o.anchor.Add(-d.o.history))
	}
	return d.o.history + time.Duration(float64(t.Sub(d.o.anchor))*d.o.speedup)
}

func (d *driver) trace(id string) (*Trace, error) {
	if tr, ok := d.traces[id]; ok {
		return tr, nil
	}
	tr, err := LoadTrace(d.o.dataDir, id)
	if err != nil {
		return nil, err
	}
	d.traces[id] = tr
	return tr, nil
}

func (d *driver) pods(ctx context.Context) ([]corev1.Pod, error) {
	list, err := d.cs.CoreV1().Pods(d.o.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list pods in %s: %w", d.o.namespace, err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.Annotations[annWorkload] != "" && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func cpuQuantity(m float64) string { return kwokusage.CPUQuantity(m) }
func memQuantity(b float64) string { return kwokusage.MemoryQuantity(b) }

func (d *driver) loop(ctx context.Context) error {
	fmt.Fprintf(d.log, "usagedriver: namespace %s, anchor %s, speedup %gx, every %s\n",
		d.o.namespace, d.o.anchor.Format(time.RFC3339), d.o.speedup, d.o.interval)
	tick := time.NewTicker(d.o.interval)
	defer tick.Stop()
	for {
		if err := d.update(ctx, time.Now()); err != nil {
			if d.o.once || ctx.Err() != nil {
				return err
			}
			fmt.Fprintln(d.log, "usagedriver:", err)
		}
		if d.o.once {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (d *driver) update(ctx context.Context, now time.Time) error {
	pods, err := d.pods(ctx)
	if err != nil {
		return err
	}
	off := d.offset(now)
	var errs []error
	for _, p := range pods {
		tr, err := d.trace(p.Annotations[annWorkload])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pt := tr.At(off)
		if kwokusage.Current(p.Annotations, pt.CPUMillicores, pt.MemoryBytes) {
			continue
		}
		err = kwokusage.Patch(ctx, d.cs, p.Namespace, p.Name, pt.CPUMillicores, pt.MemoryBytes)
		if err != nil && ctx.Err() == nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (d *driver) show(ctx context.Context, w io.Writer) error {
	pods, err := d.pods(ctx)
	if err != nil {
		return err
	}
	off := d.offset(time.Now())
	fmt.Fprintf(w, "POD\tWORKLOAD\tSOURCE\tCPU\tMEMORY\n")
	for _, p := range pods {
		tr, err := d.trace(p.Annotations[annWorkload])
		if err != nil {
			return err
		}
		pt := tr.At(off)
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", p.Name, tr.ID, tr.Source, cpuQuantity(pt.CPUMillicores), memQuantity(pt.MemoryBytes))
	}
	return nil
}

// backfill writes OpenMetrics text for promtool tsdb create-blocks-from openmetrics.
func (d *driver) backfill(ctx context.Context, stdout io.Writer) error {
	pods, err := d.pods(ctx)
	if err != nil {
		return err
	}
	if len(pods) == 0 {
		return fmt.Errorf("no pods with annotation %s in namespace %s: seed the namespace first", annWorkload, d.o.namespace)
	}
	w := stdout
	var tmp *os.File
	if d.o.out != "-" {
		tmp, err = os.CreateTemp(filepath.Dir(d.o.out), ".backfill-*.om")
		if err != nil {
			return fmt.Errorf("create %s: %w", d.o.out, err)
		}
		defer os.Remove(tmp.Name()) //nolint:errcheck // best effort: gone after the rename below
		w = tmp
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := writeOpenMetrics(bw, d, pods); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if tmp != nil {
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), d.o.out); err != nil {
			return err
		}
	}
	return nil
}

type series struct {
	labels string
	tr     *Trace
}

func writeOpenMetrics(w *bufio.Writer, d *driver, pods []corev1.Pod) error {
	var ss []series
	for _, p := range pods {
		tr, err := d.trace(p.Annotations[annWorkload])
		if err != nil {
			return err
		}
		for _, c := range p.Spec.Containers {
			ss = append(ss, series{
				//nolint:gocritic // OpenMetrics label values, not Go strings: %q's escapes differ
				labels: fmt.Sprintf(`container="%s",instance="%s",job="kubelet",namespace="%s",node="%s",pod="%s"`,
					c.Name, p.Spec.NodeName, p.Namespace, p.Spec.NodeName, p.Name),
				tr: tr,
			})
		}
	}
	start := d.o.anchor.Add(-d.o.history)
	stepSec := d.o.step.Seconds()
	fmt.Fprintln(w, "# HELP container_cpu_usage_seconds Cumulative cpu time consumed by the container in core-seconds")
	fmt.Fprintln(w, "# TYPE container_cpu_usage_seconds counter")
	for _, s := range ss {
		total := 0.0
		for t := start; !t.After(d.o.anchor); t = t.Add(d.o.step) {
			// the counter at t holds the CPU time used before t
			fmt.Fprintf(w, "container_cpu_usage_seconds_total{%s} %.3f %d\n", s.labels, total, t.Unix())
			total += s.tr.At(d.offset(t)).CPUMillicores / 1000 * stepSec
		}
	}
	fmt.Fprintln(w, "# HELP container_memory_working_set_bytes Current working set of the container in bytes")
	fmt.Fprintln(w, "# TYPE container_memory_working_set_bytes gauge")
	for _, s := range ss {
		for t := start; !t.After(d.o.anchor); t = t.Add(d.o.step) {
			fmt.Fprintf(w, "container_memory_working_set_bytes{%s} %.0f %d\n", s.labels, s.tr.At(d.offset(t)).MemoryBytes, t.Unix())
		}
	}
	_, err := fmt.Fprintln(w, "# EOF")
	return err
}
