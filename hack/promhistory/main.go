// Command promhistory writes synthetic cAdvisor history for every running
// pod of a namespace as OpenMetrics text, one file per day, for promtool to
// backfill into a Prometheus: `backtest -A --history prometheus` over the
// 5,000-pod scale namespace of hack/scale.sh can then be measured on 8 days
// of history without waiting 8 days (hack/whatif-scale.sh does it all).
//
//	promhistory --kubeconfig K --namespace scale --out DIR [--history 192h] [--step 5m] [--end UNIX]
//
// Series and labels are those the local control plane's Prometheus scrapes
// (container_cpu_usage_seconds_total, container_memory_working_set_bytes;
// namespace, pod, container, node, instance = node, job = kubelet). Per pod:
// CPU follows a daily cycle around a level of 5-49 m (by the pod's index),
// memory 12-31 MiB plus a ramp; samples every --step up to --end (default
// now, on a whole step).
//
// This lives under hack/ because it is test-bed tooling, not part of the plugin.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file")
	ns := flag.String("namespace", "scale", "namespace of the pods")
	out := flag.String("out", "", "folder for day-N.om (required)")
	history := flag.Duration("history", 192*time.Hour, "history per pod")
	step := flag.Duration("step", 5*time.Minute, "time between samples")
	end := flag.Int64("end", 0, "Unix time of the last sample (default now, on a whole step)")
	flag.Parse()
	if err := run(*kubeconfig, *ns, *out, *history, *step, *end); err != nil {
		fmt.Fprintln(os.Stderr, "promhistory:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, ns, out string, history, step time.Duration, end int64) error {
	if out == "" || step < time.Second || history < step {
		return fmt.Errorf("give --out, a --step of 1s or more and a --history of at least one step")
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	kc, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	pods, err := kc.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return fmt.Errorf("list pods in %s: %w", ns, err)
	}
	type series struct{ pod, container, node string }
	var ss []series
	for _, p := range pods.Items {
		if p.Spec.NodeName == "" {
			continue
		}
		for _, c := range p.Spec.Containers {
			ss = append(ss, series{p.Name, c.Name, p.Spec.NodeName})
		}
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].pod < ss[j].pod })
	if len(ss) == 0 {
		return fmt.Errorf("no scheduled pods in %s: run hack/scale.sh first", ns)
	}
	st := int64(step / time.Second)
	if end == 0 {
		end = time.Now().Unix() / st * st
	}
	start := end - int64(history/time.Second)
	const day = 86400
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for d := 0; start+int64(d)*day < end; d++ {
		from, to := start+int64(d)*day, min(start+int64(d+1)*day, end+1)
		f, err := os.Create(filepath.Join(out, fmt.Sprintf("day-%d.om", d)))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		labels := func(s series) string {
			return fmt.Sprintf(`{container=%q,instance=%q,job="kubelet",namespace=%q,node=%q,pod=%q}`, s.container, s.node, ns, s.node, s.pod)
		}
		fmt.Fprintln(w, "# TYPE container_cpu_usage_seconds_total counter")
		for i, s := range ss {
			l := labels(s)
			cores := float64(5+i%45) / 1000
			for t := from; t < to; t += st {
				// The integral of cores * (1 + 0.5 sin(2 pi t / day)): a
				// counter that never decreases.
				x := float64(t - start)
				used := cores * (x + 0.5*day/(2*math.Pi)*(1-math.Cos(2*math.Pi*x/day)))
				fmt.Fprintf(w, "container_cpu_usage_seconds_total%s %.4f %d\n", l, used, t)
			}
		}
		fmt.Fprintln(w, "# TYPE container_memory_working_set_bytes gauge")
		for i, s := range ss {
			l := labels(s)
			base := float64(12+i%20) * (1 << 20)
			for t := from; t < to; t += st {
				ramp := float64((t-start)%(6*3600)) / (6 * 3600) * 4 * (1 << 20)
				fmt.Fprintf(w, "container_memory_working_set_bytes%s %.0f %d\n", l, base+ramp, t)
			}
		}
		fmt.Fprintln(w, "# EOF")
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	fmt.Printf("%d series of %s, %s at %s, up to %s\n", len(ss), ns, history, step, time.Unix(end, 0).UTC().Format(time.RFC3339))
	return nil
}
