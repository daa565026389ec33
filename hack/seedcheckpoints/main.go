// Command seedcheckpoints writes serve's checkpoint ConfigMaps (version 2)
// holding --history of synthetic samples, one a --step, for every container
// of every VerticalPodAutoscaler in --namespace that names
// --recommender-name, so that `kubectl smartvpa serve` restores that much
// history on start: its memory and pass time after days of history can be
// measured without waiting days (issue 8's 1,000-VPA figures).
//
//	seedcheckpoints --kubeconfig K --namespace scale-serve --recommender-name smartvpa-scale \
//	    --checkpoint-namespace ckpt --recommender smart [--history 192h] [--step 1m]
//
// The samples end now: CPU and memory follow a daily cycle with noise
// around a per-VPA level (seeded by the VPA's name, so a rerun writes the
// same samples). The container names come from the VPA's targetRef
// Deployment. Existing ConfigMaps of the same names are replaced.
//
// This lives under hack/ because it is test-bed tooling, not part of the plugin.
package main

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/kube/operator"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file")
	ns := flag.String("namespace", "scale", "namespace of the VPAs")
	recName := flag.String("recommender-name", "smartvpa", "seed VPAs whose spec.recommenders names this")
	ckptNS := flag.String("checkpoint-namespace", "smartvpa-system", "namespace of serve's checkpoint ConfigMaps")
	recommender := flag.String("recommender", operator.DefaultRecommender(), "recommender the checkpoints are for (serve's --recommender)")
	history := flag.Duration("history", 192*time.Hour, "history per container")
	step := flag.Duration("step", time.Minute, "time between samples (serve's --interval)")
	flag.Parse()
	if err := run(*kubeconfig, *ns, *recName, *ckptNS, *recommender, *history, *step); err != nil {
		fmt.Fprintln(os.Stderr, "seedcheckpoints:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, ns, recName, ckptNS, recommender string, history, step time.Duration) error {
	if step <= 0 || history < step {
		return fmt.Errorf("--step must be above 0 and --history at least one step")
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = 100, 200
	kc, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	dc, err := dynamic.NewForConfig(rc)
	if err != nil {
		return err
	}
	ctx := context.Background()
	list, err := dc.Resource(kube.VPAResource).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list verticalpodautoscalers in %s: %w", ns, err)
	}
	now := time.Now().UTC().Truncate(step)
	n := int(history / step)
	start := time.Now()
	written := 0
	for i := range list.Items {
		v, err := operator.ParseVPA(&list.Items[i])
		if err != nil || !v.Names(recName) {
			continue
		}
		containers, err := targetContainers(ctx, kc, v)
		if err != nil {
			return err
		}
		ck := &operator.Checkpoint{Recommender: recommender, VPA: v.Key(), UID: v.UID, Written: now,
			Containers: map[string]operator.ContainerCheckpoint{}, Seen: map[string]time.Time{}}
		for _, c := range containers {
			ck.Containers[c] = synthetic(v.Key()+"/"+c, now, n, step)
		}
		data, err := operator.EncodeJournal(ck)
		if err != nil {
			return err
		}
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: operator.CheckpointName(v.Namespace, v.Name), Namespace: ckptNS,
				Labels:      map[string]string{operator.CheckpointLabel: fmt.Sprint(operator.CheckpointVersion), "app.kubernetes.io/managed-by": "smartvpa"},
				Annotations: map[string]string{"smartvpa.io/vpa": v.Key()}},
			BinaryData: map[string][]byte{operator.JournalKey: data},
		}
		cms := kc.CoreV1().ConfigMaps(ckptNS)
		if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
			old, gerr := cms.Get(ctx, cm.Name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			cm.ResourceVersion = old.ResourceVersion
			_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
			if err != nil {
				return err
			}
		} else if err != nil {
			return fmt.Errorf("create configmap %s/%s: %w", ckptNS, cm.Name, err)
		}
		written++
		if written%100 == 0 {
			fmt.Fprintf(os.Stderr, "seedcheckpoints: %d VPAs written (%s)\n", written, time.Since(start).Round(time.Second))
		}
	}
	fmt.Printf("seedcheckpoints: %d checkpoint ConfigMaps in %s with %s of samples every %s (%d per container)\n", written, ckptNS, history, step, n)
	return nil
}

// targetContainers returns the container names of the VPA's target
// Deployment.
func targetContainers(ctx context.Context, kc kubernetes.Interface, v *operator.VPA) ([]string, error) {
	if v.Target.Kind != "Deployment" {
		return nil, fmt.Errorf("verticalpodautoscaler %s targets a %s: only Deployments are seeded", v.Key(), v.Target.Kind)
	}
	d, err := kc.AppsV1().Deployments(v.Namespace).Get(ctx, v.Target.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("verticalpodautoscaler %s: %w", v.Key(), err)
	}
	var out []string
	for _, c := range d.Spec.Template.Spec.Containers {
		out = append(out, c.Name)
	}
	return out, nil
}

// synthetic is n samples one step apart ending at end: whole millicores and
// bytes (as metrics.k8s.io gives) on a daily cycle with noise.
func synthetic(seed string, end time.Time, n int, step time.Duration) operator.ContainerCheckpoint {
	h := fnv.New64a()
	h.Write([]byte(seed))
	rng := rand.New(rand.NewPCG(h.Sum64(), 1))
	cpu0 := 20 + rng.Float64()*200
	mem0 := (50 + rng.Float64()*400) * (1 << 20)
	first := end.Add(-time.Duration(n-1) * step)
	cc := operator.ContainerCheckpoint{Start: first.UnixNano(), First: first, Last: end, Total: n}
	for i := range n {
		at := first.Add(time.Duration(i) * step)
		day := math.Sin(2 * math.Pi * float64(at.Unix()%86400) / 86400)
		cpu := math.Round(math.Max(1, cpu0*(1+0.5*day)*(1+0.2*rng.NormFloat64())))
		mem := math.Round(math.Max(1<<20, mem0*(1+0.1*day)*(1+0.02*rng.NormFloat64())))
		cc.Samples = append(cc.Samples, [3]float64{float64(at.UnixNano() - cc.Start), cpu, mem})
	}
	return cc
}
