package operator

import (
	"context"
	"fmt"
	"math"
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

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/vpa"
	"github.com/smartvpa/smartvpa/kube"
)

func upstreamObject(t *testing.T, f *fixture, name string) *kube.VPACheckpoint {
	t.Helper()
	u, err := f.dyn.Resource(kube.VPACheckpointResource).Namespace("demo").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := kube.ParseVPACheckpoint(u)
	if err != nil {
		t.Fatal(err)
	}
	if u.GetLabels()["app.kubernetes.io/managed-by"] != "smartvpa" || len(u.GetOwnerReferences()) != 0 {
		t.Fatalf("labels %v owners %v", u.GetLabels(), u.GetOwnerReferences())
	}
	return cp
}

func vpaRec(t *testing.T, c *Controller) *vpa.Recommender {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.states["demo/web"]
	if s == nil || s.containers["app"] == nil {
		t.Fatal("no state for demo/web app")
	}
	return recommend.Unwrap(s.containers["app"].rec).(*vpa.Recommender)
}

// TestUpstreamCheckpointWriteAndRestore: serve with vpa writes
// demo/web-app in upstream's shape, only when it changed; a restart with no
// journal restores it with < 1 % of the histogram weight lost, does not feed
// the last metrics windows again, and continues like the original.
func TestUpstreamCheckpointWriteAndRestore(t *testing.T) {
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pod("web-0", "100m", "128Mi"), pod("web-1", "100m", "128Mi"))
	c1, cancel1 := f.controller(t, Config{Recommender: "vpa"})
	feed(t, f, c1, 0, 180)
	ctx := context.Background()
	if n, err := c1.WriteUpstreamCheckpoints(ctx); err != nil || n != 1 {
		t.Fatalf("WriteUpstreamCheckpoints = %d, %v; want 1, nil", n, err)
	}
	if n, err := c1.WriteUpstreamCheckpoints(ctx); err != nil || n != 0 {
		t.Fatalf("unchanged: WriteUpstreamCheckpoints = %d, %v; want 0, nil", n, err)
	}
	cp := upstreamObject(t, f, "web-app")
	if cp.VPA != "web" || cp.Container != "app" || cp.Version != "v3" || cp.TotalSamplesCount != 360 ||
		!cp.FirstSampleStart.Equal(t0) || !cp.LastUpdateTime.Equal(f.clock()) {
		t.Fatalf("checkpoint %+v", cp)
	}
	orig := vpaRec(t, c1)
	lostCPU, lostMem, err := vpa.CheckpointWeightLost(orig, &cp.Checkpoint, f.clock())
	if err != nil {
		t.Fatal(err)
	}
	cancel1()

	c2, _ := f.controller(t, Config{Recommender: "vpa"})
	if n, err := c2.Restore(ctx); err != nil || n != 0 {
		t.Fatalf("journal Restore = %d, %v; want 0 (none written)", n, err)
	}
	if n, err := c2.RestoreUpstream(ctx); err != nil || n != 1 {
		t.Fatalf("RestoreUpstream = %d, %v; want 1, nil", n, err)
	}
	restored := vpaRec(t, c2)
	// What the restored recommender holds against the original's state.
	saved := restored.SaveToCheckpoint(f.clock())
	if saved.TotalSamplesCount != 360 || !saved.FirstSampleStart.Equal(t0) {
		t.Fatalf("restored %+v", saved)
	}
	if lostCPU >= 0.01 || lostMem >= 0.01 {
		t.Fatalf("weight lost cpu %.4f%%, memory %.4f%%", 100*lostCPU, 100*lostMem)
	}
	t.Logf("weight lost by the upstream checkpoint: cpu %.5f%%, memory %.5f%%", 100*lostCPU, 100*lostMem)
	if r := c2.Pass(ctx); r.Samples != 0 {
		t.Fatalf("first pass after restore fed %d samples of windows already in the checkpoint", r.Samples)
	}
	feed(t, f, c1, 180, 30)
	feed(t, f, c2, 180, 30)
	ra, _ := orig.Recommend(f.clock())
	rb, ok := restored.Recommend(f.clock())
	if !ok {
		t.Fatal("restored recommender gives nothing")
	}
	for _, p := range [][2]float64{{ra.Target.CPUMillicores, rb.Target.CPUMillicores}, {ra.Target.MemoryBytes, rb.Target.MemoryBytes}} {
		if math.Abs(p[1]/p[0]-1) > 0.0501 {
			t.Fatalf("30 passes after the restart: restored %+v, original %+v", rb, ra)
		}
	}
	// The journal written after an upstream restore carries the whole
	// history's bounds.
	if n, err := c2.WriteCheckpoints(ctx); err != nil || n != 1 {
		t.Fatalf("WriteCheckpoints = %d, %v", n, err)
	}
}

// TestUpstreamCheckpointCompletesPartialJournal: a journal that lost its
// oldest samples (MaxJournal) restores a different recommender; with the
// upstream checkpoint written at the same time, the restart loads the
// checkpoint plus the journal's tail instead, and loses < 1 %.
func TestUpstreamCheckpointCompletesPartialJournal(t *testing.T) {
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pod("web-0", "100m", "128Mi"), pod("web-1", "100m", "128Mi"))
	ctx := context.Background()
	cfg := Config{Recommender: "vpa", MaxJournal: 60}
	c1, cancel1 := f.controller(t, cfg)
	feed(t, f, c1, 0, 100)
	if _, err := c1.WriteUpstreamCheckpoints(ctx); err != nil {
		t.Fatal(err)
	}
	feed(t, f, c1, 100, 5) // the journal's tail after the upstream checkpoint
	if _, err := c1.WriteCheckpoints(ctx); err != nil {
		t.Fatal(err)
	}
	orig := vpaRec(t, c1)
	now := f.clock()
	cancel1()

	journalOnly, _ := f.controller(t, cfg)
	if _, err := journalOnly.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	c2, _ := f.controller(t, cfg)
	if _, err := c2.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := c2.RestoreUpstream(ctx); err != nil || n != 1 {
		t.Fatalf("RestoreUpstream = %d, %v; want 1", n, err)
	}
	cpJ := vpaRec(t, journalOnly).SaveToCheckpoint(now)
	cpU := vpaRec(t, c2).SaveToCheckpoint(now)
	lostJ, _, _ := vpa.CheckpointWeightLost(orig, &cpJ, now)
	lostU, lostUMem, _ := vpa.CheckpointWeightLost(orig, &cpU, now)
	t.Logf("cpu weight lost: journal of the last 60 samples only %.3f%%, upstream checkpoint + journal tail %.5f%% (memory %.5f%%); samples %d / %d",
		100*lostJ, 100*lostU, 100*lostUMem, cpU.TotalSamplesCount, orig.SaveToCheckpoint(now).TotalSamplesCount)
	if lostU >= 0.01 || lostUMem >= 0.01 || lostJ < 0.1 {
		t.Fatalf("weight lost: upstream+tail cpu %.4f memory %.4f, journal only %.4f", lostU, lostUMem, lostJ)
	}
	if cpU.TotalSamplesCount != 210 || !cpU.FirstSampleStart.Equal(t0) {
		t.Fatalf("restored history %d samples from %v", cpU.TotalSamplesCount, cpU.FirstSampleStart)
	}
}

// TestUpstreamCheckpointCollectedWithItsVPA: the objects serve created go
// when their VPA object is deleted; other recommenders write none.
func TestUpstreamCheckpointCollectedWithItsVPA(t *testing.T) {
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pod("web-0", "100m", "128Mi"))
	ctx := context.Background()
	smart, cancelSmart := f.controller(t, Config{Recommender: DefaultRecommenderForTest()})
	if smart.cfg.Recommender != "vpa" {
		feed(t, f, smart, 0, 3)
		if n, err := smart.WriteUpstreamCheckpoints(ctx); n != 0 || err != nil || smart.UpstreamCheckpoints() {
			t.Fatalf("recommender %s wrote %d upstream checkpoints (%v)", smart.cfg.Recommender, n, err)
		}
	}
	cancelSmart()
	c, _ := f.controller(t, Config{Recommender: "vpa"})
	feed(t, f, c, 0, 3)
	if n, err := c.WriteUpstreamCheckpoints(ctx); n != 1 || err != nil {
		t.Fatalf("WriteUpstreamCheckpoints = %d, %v", n, err)
	}
	if err := f.dyn.Resource(kube.VPAResource).Namespace("demo").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(c.vpaInf.GetStore().List()) == 0 })
	if _, err := c.WriteUpstreamCheckpoints(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := f.dyn.Resource(kube.VPACheckpointResource).Namespace("demo").List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 0 {
		t.Fatalf("checkpoints left after their VPA was deleted: %d (%v)", len(list.Items), err)
	}
}

// BenchmarkWriteUpstream1000 writes the upstream checkpoints of 1,000 VPAs
// (one container each, every one changed since the last write) on fake
// clients: ns/op is one WriteUpstreamCheckpoints (snapshots, JSON patches,
// the collection's list), so API latency is not in it; patches/op counts the
// requests.
func BenchmarkWriteUpstream1000(b *testing.B) {
	const n = 1000
	defer func(n int32) { watch.DefaultChanSize = n }(watch.DefaultChanSize)
	watch.DefaultChanSize = int32(4 * n)
	var objs, dobjs []k8sruntime.Object
	one := int32(1)
	for i := range n {
		name := fmt.Sprintf("app-%d", i)
		labels := map[string]string{"app": name}
		spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}
		objs = append(objs, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "scale"},
			Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}}},
			&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name + "-x", Namespace: "scale", Labels: labels}, Spec: spec,
				Status: corev1.PodStatus{Phase: corev1.PodRunning}})
		dobjs = append(dobjs, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
			"metadata": map[string]any{"name": name, "namespace": "scale", "uid": "u" + name},
			"spec": map[string]any{"targetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
				"recommenders": []any{map[string]any{"name": "smartvpa"}}}}})
	}
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(k8sruntime.NewScheme(),
		map[schema.GroupVersionResource]string{kube.VPAResource: "VerticalPodAutoscalerList", kube.VPACheckpointResource: "VerticalPodAutoscalerCheckpointList"}, dobjs...)
	now := t0
	mc := &mfake.Clientset{}
	mc.AddReactor("list", "pods", func(clienttesting.Action) (bool, k8sruntime.Object, error) {
		list := &metricsv1beta1.PodMetricsList{}
		for i := range n {
			list.Items = append(list.Items, metricsv1beta1.PodMetrics{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%d-x", i), Namespace: "scale"},
				Timestamp: metav1.NewTime(now), Containers: []metricsv1beta1.ContainerMetrics{{Name: "app", Usage: corev1.ResourceList{
					corev1.ResourceCPU: *resource.NewMilliQuantity(int64(100+(i+now.Minute())%50), resource.DecimalSI), corev1.ResourceMemory: *resource.NewQuantity(int64(200+i%30)<<20, resource.BinarySI)}}}})
		}
		return true, list, nil
	})
	c, err := New(Clients{Kube: kfake.NewClientset(objs...), Dynamic: dyn, Metrics: mc},
		Config{Recommender: "vpa", CheckpointNamespace: "smartvpa-system", Clock: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	c.Pass(ctx)
	c.Flush()
	if w, err := c.WriteUpstreamCheckpoints(ctx); err != nil || w != n {
		b.Fatalf("first write: %d, %v", w, err)
	}
	patches := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		now = now.Add(time.Minute)
		c.Pass(ctx)
		c.Flush() // the VPA status patches are not counted
		p0 := countPatches(dyn)
		b.StartTimer()
		if w, err := c.WriteUpstreamCheckpoints(ctx); err != nil || w != n {
			b.Fatalf("write: %d, %v", w, err)
		}
		patches += countPatches(dyn) - p0
	}
	b.ReportMetric(float64(patches)/float64(b.N), "patches/op")
}
