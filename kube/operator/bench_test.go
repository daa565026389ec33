package operator

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	dynfake "k8s.io/client-go/dynamic/fake"
	kfake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	mfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"

	"github.com/smartvpa/smartvpa/core/model"
	_ "github.com/smartvpa/smartvpa/core/recommend/bandit" // a smart candidate, as in the binary
	_ "github.com/smartvpa/smartvpa/core/recommend/smart"
	"github.com/smartvpa/smartvpa/kube"
	_ "github.com/smartvpa/smartvpa/models" // the shipped models, as the binary runs smart
)

// BenchmarkPass1000 runs reconcile passes over 1,000 VPAs, each on its own
// one-pod Deployment with fresh metrics every pass, on fake clientsets (so
// API latency is not in the figure; the status patches are), for the vpa and
// smart recommenders. ns/op is a pass and the status writes it queued
// (Flush); s/pass the pass alone (what smartvpa_reconcile_duration_seconds
// observes), patches/pass the status patches sent, MB-serve the live heap
// after the passes less the fake clientsets' (informer caches, recommender
// states, queues; the fakes' growing action log adds about 1 KB a patch).
func BenchmarkPass1000(b *testing.B) {
	for _, rec := range []string{"vpa", "smart"} {
		b.Run(rec, func(b *testing.B) { benchPass(b, 1000, rec) })
	}
}

func benchPass(b *testing.B, n int, recommender string) {
	// The fake clients' watchers buffer 100 events and panic when full: a
	// pass writes up to n statuses faster than the informer may drain them.
	defer func(n int32) { watch.DefaultChanSize = n }(watch.DefaultChanSize)
	watch.DefaultChanSize = int32(4 * n)
	var objs, vpas []k8sruntime.Object
	one := int32(1)
	for i := range n {
		name := fmt.Sprintf("app-%d", i)
		labels := map[string]string{"app": name}
		spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")}}}}}
		objs = append(objs, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "scale"},
			Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}}},
			&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name + "-x", Namespace: "scale", Labels: labels}, Spec: spec,
				Status: corev1.PodStatus{Phase: corev1.PodRunning}})
		v := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
			"metadata": map[string]any{"name": name, "namespace": "scale", "uid": "u" + name},
			"spec": map[string]any{"targetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
				"recommenders": []any{map[string]any{"name": "smartvpa"}}}}}
		vpas = append(vpas, v)
	}
	kc := kfake.NewClientset(objs...)
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(k8sruntime.NewScheme(),
		map[schema.GroupVersionResource]string{kube.VPAResource: "VerticalPodAutoscalerList"}, vpas...)
	now := t0
	mc := &mfake.Clientset{}
	mc.AddReactor("list", "pods", func(clienttesting.Action) (bool, k8sruntime.Object, error) {
		list := &metricsv1beta1.PodMetricsList{}
		for i := range n {
			list.Items = append(list.Items, metricsv1beta1.PodMetrics{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%d-x", i), Namespace: "scale"},
				Timestamp: metav1.NewTime(now), Containers: []metricsv1beta1.ContainerMetrics{{Name: "app", Usage: corev1.ResourceList{
					corev1.ResourceCPU: *resource.NewMilliQuantity(int64(100+i%50), resource.DecimalSI), corev1.ResourceMemory: *resource.NewQuantity(int64(200+i%30)<<20, resource.BinarySI)}}}})
		}
		return true, list, nil
	})
	heap0 := liveHeap()
	c, err := New(Clients{Kube: kc, Dynamic: dyn, Metrics: mc}, Config{Recommender: recommender, Clock: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	patches0 := countPatches(dyn)
	var passTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Minute)
		r := c.Pass(ctx)
		if r.VPAs != n || r.Samples != n {
			b.Fatalf("pass = %+v", r)
		}
		passTime += r.Duration
		c.Flush()
	}
	b.StopTimer()
	b.ReportMetric(passTime.Seconds()/float64(b.N), "s/pass")
	b.ReportMetric(float64(countPatches(dyn)-patches0)/float64(b.N), "patches/pass")
	b.ReportMetric(float64(liveHeap()-heap0)/1e6, "MB-serve")
	runtime.KeepAlive(c) // its states are what MB-serve is about
}

// BenchmarkContainerState reports the live heap of one container's state in
// serve (recommender and the samples not yet checkpointed, written every 10
// minutes) after an hour and after 8 days of 1-minute samples, for vpa and
// smart (KiB/container, over 100 containers), fed by one pod or (vpa) by 5
// pods with a memory window each.
func BenchmarkContainerState(b *testing.B) {
	for _, rec := range []string{"vpa", "smart"} {
		for _, run := range []struct{ hours, pods int }{{1, 1}, {8 * 24, 1}, {8 * 24, 5}} {
			hours, pods := run.hours, run.pods
			if rec == "smart" && pods > 1 {
				continue // smart's state does not grow with pods beyond vpa's
			}
			b.Run(fmt.Sprintf("%s/%dh/%dpods", rec, hours, pods), func(b *testing.B) {
				const n = 100
				c := &Controller{cfg: Config{Recommender: rec, MaxJournal: 8 * 24 * 60}}
				var kib float64
				for b.Loop() {
					h0 := liveHeap()
					states := make([]*containerState, n)
					for i := range states {
						cs, err := c.newContainer(1)
						if err != nil {
							b.Fatal(err)
						}
						for k := range hours * 60 {
							for p := range pods {
								cs.add(podNames[p], p, model.Sample{Time: t0.Add(time.Duration(k)*time.Minute + time.Duration(p)),
									CPUMillicores: float64(100 + (k*7+i+p)%50), MemoryBytes: float64(200+(k*3+i+p)%30) * model.MiB})
							}
							if k%10 == 9 {
								// A checkpoint write every 10 minutes takes the
								// pending samples to the ConfigMap.
								cs.pending = cs.pending.after(cs.pending.Len())
							}
						}
						states[i] = cs
					}
					kib = float64(liveHeap()-h0) / n / 1024
					runtime.KeepAlive(states)
				}
				b.ReportMetric(kib, "KiB/container")
			})
		}
	}
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

var podNames = []string{"pod-0", "pod-1", "pod-2", "pod-3", "pod-4"}
