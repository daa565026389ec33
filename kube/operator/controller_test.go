package operator

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynfake "k8s.io/client-go/dynamic/fake"
	kfake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	mfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	_ "github.com/smartvpa/smartvpa/core/recommend/vpa"
	"github.com/smartvpa/smartvpa/kube"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// fixture is a namespace with a Deployment "web" (pods web-0, web-1,
// container app), a VPA "web" naming smartvpa and a VPA "other" naming
// another recommender, and a metrics API whose usage the test sets.
type fixture struct {
	kube    *kfake.Clientset
	dyn     *dynfake.FakeDynamicClient
	metrics *mfake.Clientset

	mu         sync.Mutex
	now        time.Time
	usage      map[string]model.Resources // pod -> usage of container app
	metricsErr error
}

func vpaObject(name, recommender, mode string, policies ...map[string]any) *unstructured.Unstructured {
	spec := map[string]any{
		"targetRef":    map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
		"updatePolicy": map[string]any{"updateMode": mode},
	}
	if recommender != "" {
		spec["recommenders"] = []any{map[string]any{"name": recommender}}
	}
	if len(policies) > 0 {
		var cps []any
		for _, p := range policies {
			cps = append(cps, p)
		}
		spec["resourcePolicy"] = map[string]any{"containerPolicies": cps}
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
		"metadata": map[string]any{"name": name, "namespace": "demo", "uid": "uid-" + name},
		"spec":     spec,
	}}
	return u
}

func pod(name string, cpu, mem string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "demo", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)},
		}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &metav1.Time{Time: t0.Add(-48 * time.Hour)}},
	}
}

func newFixture(t *testing.T, vpas []*unstructured.Unstructured, pods ...*corev1.Pod) *fixture {
	t.Helper()
	replicas := int32(len(pods))
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "demo"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: pods[0].Spec}},
	}
	objs := []runtime.Object{dep}
	for _, p := range pods {
		objs = append(objs, p)
	}
	f := &fixture{kube: kfake.NewClientset(objs...), metrics: &mfake.Clientset{}, now: t0, usage: map[string]model.Resources{}}
	var dobjs []runtime.Object
	for _, v := range vpas {
		dobjs = append(dobjs, v)
	}
	f.dyn = dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{kube.VPAResource: "VerticalPodAutoscalerList", kube.VPACheckpointResource: "VerticalPodAutoscalerCheckpointList"}, dobjs...)
	f.metrics.AddReactor("list", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.metricsErr != nil {
			return true, nil, f.metricsErr
		}
		list := &metricsv1beta1.PodMetricsList{}
		names := make([]string, 0, len(f.usage))
		for n := range f.usage {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			u := f.usage[n]
			list.Items = append(list.Items, metricsv1beta1.PodMetrics{
				ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: "demo"},
				Timestamp:  metav1.NewTime(f.now), Window: metav1.Duration{Duration: 15 * time.Second},
				Containers: []metricsv1beta1.ContainerMetrics{{Name: "app", Usage: corev1.ResourceList{
					corev1.ResourceCPU:    *resource.NewMilliQuantity(int64(u.CPUMillicores), resource.DecimalSI),
					corev1.ResourceMemory: *resource.NewQuantity(int64(u.MemoryBytes), resource.BinarySI),
				}}},
			})
		}
		return true, list, nil
	})
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) set(now time.Time, usage map[string]model.Resources) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now, f.usage = now, usage
}

func (f *fixture) controller(t *testing.T, cfg Config) (*Controller, context.CancelFunc) {
	t.Helper()
	if cfg.Recommender == "" {
		cfg.Recommender = "vpa"
	}
	cfg.Clock = f.clock
	if cfg.CheckpointNamespace == "" {
		cfg.CheckpointNamespace = "smartvpa-system"
	}
	c, err := New(Clients{Kube: f.kube, Dynamic: f.dyn, Metrics: f.metrics}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := c.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return c, cancel
}

func (f *fixture) getVPA(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := f.dyn.Resource(kube.VPAResource).Namespace("demo").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func conditions(u *unstructured.Unstructured) map[string]map[string]any {
	out := map[string]map[string]any{}
	list, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, x := range list {
		m := x.(map[string]any)
		out[m["type"].(string)] = m
	}
	return out
}

// usageAt is a deterministic usage pattern for minute i.
func usageAt(i int, pod int) model.Resources {
	return model.Resources{
		CPUMillicores: float64(100 + 50*((i+pod)%7)),
		MemoryBytes:   float64(200+10*((i*3+pod)%11)) * model.MiB,
	}
}

// feed runs n passes a minute apart, starting at minute from.
func feed(t *testing.T, f *fixture, c *Controller, from, n int) []PassResult {
	t.Helper()
	var out []PassResult
	for i := from; i < from+n; i++ {
		f.set(t0.Add(time.Duration(i)*time.Minute), map[string]model.Resources{"web-0": usageAt(i, 0), "web-1": usageAt(i, 1)})
		out = append(out, c.Pass(context.Background()))
		c.Flush()
	}
	return out
}

// expected feeds a fresh recommender as serve does (replica samples a
// nanosecond apart, each pod in its slot) and applies the policy.
func expected(t *testing.T, from, n int, pol model.ContainerPolicy) model.Recommendation {
	t.Helper()
	r, err := recommend.New("vpa", recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < from+n; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		for p := 0; p < 2; p++ {
			u := usageAt(i, p)
			recommend.AddReplicaSample(r, p, i == from, model.Sample{Time: at.Add(time.Duration(p)), CPUMillicores: u.CPUMillicores, MemoryBytes: u.MemoryBytes})
		}
	}
	rec, ok := r.Recommend(t0.Add(time.Duration(from+n-1) * time.Minute))
	if !ok {
		t.Fatal("reference recommender has no recommendation")
	}
	out, _ := ApplyPolicy(rec, pol)
	return out
}

func TestPassWritesStatusForOurVPAsOnly(t *testing.T) {
	pol := map[string]any{"containerName": "app", "maxAllowed": map[string]any{"memory": "220Mi"}, "minAllowed": map[string]any{"cpu": "300m"}}
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off", pol), vpaObject("other", "default", "Off"), vpaObject("none", "", "Off")},
		pod("web-0", "100m", "128Mi"), pod("web-1", "100m", "128Mi"))
	c, _ := f.controller(t, Config{})
	res := feed(t, f, c, 0, 30)
	last := res[len(res)-1]
	if last.VPAs != 1 || last.Recommended != 1 || last.Samples != 2 {
		t.Fatalf("last pass = %+v, want 1 VPA, 1 container, 2 samples", last)
	}
	got, err := ParseRecommendationStatus(f.getVPA(t, "web"))
	if err != nil {
		t.Fatal(err)
	}
	want := expected(t, 0, 30, model.ContainerPolicy{MaxAllowed: model.Resources{MemoryBytes: 220 * model.MiB}, MinAllowed: model.Resources{CPUMillicores: 300}})
	// The status holds quantities rounded up to a millicore and a MiB.
	round := func(r model.Resources) model.Resources {
		return model.Resources{CPUMillicores: math.Ceil(r.CPUMillicores - 1e-9), MemoryBytes: math.Ceil(r.MemoryBytes/model.MiB-1e-9) * model.MiB}
	}
	w := model.Recommendation{Lower: round(want.Lower), Target: round(want.Target), Upper: round(want.Upper), UncappedTarget: round(want.UncappedTarget)}
	if got["app"] != w {
		t.Fatalf("status recommendation:\n got %+v\nwant %+v", got["app"], w)
	}
	if got["app"].Upper.MemoryBytes != 220*model.MiB || got["app"].Lower.CPUMillicores < 300 {
		t.Fatalf("policy caps not applied: %+v", got["app"])
	}
	conds := conditions(f.getVPA(t, "web"))
	for typ, status := range map[string]string{CondRecommendationProvided: "True", CondLowConfidence: "True", CondMetricsAvailable: "True"} {
		if conds[typ]["status"] != status {
			t.Errorf("condition %s = %v, want %s", typ, conds[typ], status)
		}
	}
	// The message names the containers, not their (growing) history span,
	// so it does not change, and the status is not rewritten, every pass.
	if m := conds[CondLowConfidence]["message"]; m != "less than 24h0m0s of history: app" {
		t.Errorf("LowConfidence message %q", m)
	}
	for _, name := range []string{"other", "none"} {
		if _, ok := f.getVPA(t, name).Object["status"]; ok {
			t.Errorf("VPA %s naming another recommender got a status", name)
		}
	}
	// The recommendation series are exported.
	if n := testutilCount(t, c.m, "smartvpa_recommendation"); n != 8 {
		t.Errorf("smartvpa_recommendation has %d series, want 8 (2 resources x 4 bounds)", n)
	}
}

func TestStatusNotRewrittenWhenUnchanged(t *testing.T) {
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pod("web-0", "100m", "128Mi"), pod("web-1", "100m", "128Mi"))
	c, _ := f.controller(t, Config{})
	feed(t, f, c, 0, 3)
	waitFor(t, func() bool {
		o, ok, _ := c.vpaInf.GetStore().GetByKey("demo/web")
		if !ok {
			return false
		}
		// The cache holds a digest of the recommendation (trimVPA).
		d, has, _ := unstructured.NestedString(o.(*unstructured.Unstructured).Object, "status", recDigestKey)
		return has && d != jsonDigest(nil)
	})
	// The informer may still hold an older status than the last patch wrote
	// (the store catches up asynchronously, slowly on a loaded machine): wait
	// until a pass finds nothing to write. A controller that rewrites status
	// on every pass never gets there and fails here.
	waitFor(t, func() bool {
		r := c.Pass(context.Background())
		return r.Samples == 0 && c.Flush().StatusUpdates == 0
	})
	// Same usage at the same time: no new sample, same status, no patch.
	before := countPatches(f.dyn)
	r := c.Pass(context.Background())
	w := c.Flush()
	if r.Samples != 0 || w.StatusUpdates != 0 || countPatches(f.dyn) != before {
		t.Fatalf("pass with nothing new = %+v, writes %+v (%d patches, before %d), want no samples and no status update", r, w, countPatches(f.dyn), before)
	}
}

func TestMetricsUnavailable(t *testing.T) {
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pod("web-0", "100m", "128Mi"), pod("web-1", "100m", "128Mi"))
	c, _ := f.controller(t, Config{})
	f.metricsErr = errors.New(`the server could not find the requested resource (get pods.metrics.k8s.io)`)
	r := c.Pass(context.Background())
	c.Flush()
	// As upstream, the pods' containers get the minimums before any sample.
	if r.VPAs != 1 || r.Recommended != 1 || r.Samples != 0 {
		t.Fatalf("pass = %+v", r)
	}
	conds := conditions(f.getVPA(t, "web"))
	if conds[CondMetricsAvailable]["status"] != "False" || conds[CondLowConfidence]["status"] != "True" {
		t.Fatalf("conditions = %v, want MetricsAvailable False and LowConfidence True", conds)
	}
	// Metrics come back: recommendations follow.
	f.metricsErr = nil
	feed(t, f, c, 0, 2)
	conds = conditions(f.getVPA(t, "web"))
	if conds[CondMetricsAvailable]["status"] != "True" || conds[CondRecommendationProvided]["status"] != "True" {
		t.Fatalf("after recovery conditions = %v", conds)
	}
}

func TestTargetNotFound(t *testing.T) {
	v := vpaObject("ghost", "smartvpa", "Off")
	_ = unstructured.SetNestedField(v.Object, "nothere", "spec", "targetRef", "name")
	f := newFixture(t, []*unstructured.Unstructured{v}, pod("web-0", "100m", "128Mi"))
	c, _ := f.controller(t, Config{})
	c.Pass(context.Background())
	c.Flush()
	conds := conditions(f.getVPA(t, "ghost"))
	if conds[CondRecommendationProvided]["reason"] != "TargetNotResolved" {
		t.Fatalf("conditions = %v", conds)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pod("web-0", "100m", "128Mi"), pod("web-1", "100m", "128Mi"))
	for _, rec := range []string{"vpa", DefaultRecommenderForTest()} {
		t.Run(rec, func(t *testing.T) {
			c1, cancel1 := f.controller(t, Config{Recommender: rec})
			feed(t, f, c1, 0, 120)
			n, err := c1.WriteCheckpoints(context.Background())
			if err != nil || n != 1 {
				t.Fatalf("WriteCheckpoints = %d, %v; want 1, nil", n, err)
			}
			cancel1()
			c2, _ := f.controller(t, Config{Recommender: rec})
			if n, err := c2.Restore(context.Background()); err != nil || n != 1 {
				t.Fatalf("Restore = %d, %v; want 1, nil", n, err)
			}
			now := f.clock()
			a, b := c1.states["demo/web"].containers["app"], c2.states["demo/web"].containers["app"]
			ra, oka := a.rec.Recommend(now)
			rb, okb := b.rec.Recommend(now)
			if ra != rb || oka != okb || !oka {
				t.Fatalf("restored recommendation %+v (%v), want %+v (%v)", rb, okb, ra, oka)
			}
			if a.samples != b.samples || !a.first.Equal(b.first) || !a.last.Equal(b.last) {
				t.Fatalf("restored history %d %v..%v, want %d %v..%v", b.samples, b.first, b.last, a.samples, a.first, a.last)
			}
			// The next pass after a restart adds no sample twice.
			r := c2.Pass(context.Background())
			if r.Samples != 0 {
				t.Fatalf("first pass after restore added %d samples of already-seen windows", r.Samples)
			}
			// Both continue identically.
			feed(t, f, c1, 120, 5)
			feed(t, f, c2, 120, 5)
			ra, _ = a.rec.Recommend(f.clock())
			rb, _ = b.rec.Recommend(f.clock())
			if ra != rb {
				t.Fatalf("after 5 more passes: restored %+v, original %+v", rb, ra)
			}
		})
	}
}

func TestCheckpointRefusesUnknownVersion(t *testing.T) {
	data, err := EncodeCheckpoint(&Checkpoint{Version: 99})
	if err != nil {
		t.Fatal(err)
	}
	_, err = DecodeCheckpoint(data)
	if err == nil || err.Error() != "checkpoint version 99 is not supported in state.json.gz (this serve reads versions 1 to 3)" {
		t.Fatalf("v1 key: err = %v", err)
	}
	hdr := `{"version":4,"containers":[]}`
	v4 := append(append([]byte(JournalMagic), byte(len(hdr))), hdr...)
	_, err = ReadCheckpoint(&corev1.ConfigMap{BinaryData: map[string][]byte{JournalKey: v4}})
	if err == nil || err.Error() != "checkpoint version 4 is not supported (this serve reads versions 1 to 3)" {
		t.Fatalf("v2 key: err = %v", err)
	}
}

// checkpointFile reads the VPA's checkpoint ConfigMap from the fake API.
func checkpointFile(t *testing.T, f *fixture, key string, maxSamples int) (*journalFile, *corev1.ConfigMap) {
	t.Helper()
	ns, name := splitKey(key)
	cm, err := f.kube.CoreV1().ConfigMaps("smartvpa-system").Get(context.Background(), CheckpointName(ns, name), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	jf, err := readJournalFile(cm, maxSamples)
	if err != nil {
		t.Fatal(err)
	}
	return jf, cm
}

// TestCheckpointAppends: the journal lives in the ConfigMap; memory keeps
// only the samples since the last write, and each write appends them.
func TestCheckpointAppends(t *testing.T) {
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pod("web-0", "100m", "128Mi"), pod("web-1", "100m", "128Mi"))
	c, _ := f.controller(t, Config{Recommender: "vpa"})
	var fed, stored []model.Sample
	for round := range 3 {
		feed(t, f, c, round*40, 40)
		cs := c.states["demo/web"].containers["app"]
		if cs.pending.Len() != 80 {
			t.Fatalf("round %d: %d samples pending, want the 80 of this round", round, cs.pending.Len())
		}
		for s := range cs.pending.All() {
			fed = append(fed, s)
		}
		if n, err := c.WriteCheckpoints(context.Background()); err != nil || n != 1 {
			t.Fatalf("round %d: WriteCheckpoints = %d, %v", round, n, err)
		}
		if cs.pending.Len() != 0 || cs.journaled != len(fed) {
			t.Fatalf("round %d: %d pending and %d journaled after the write, want 0 and %d", round, cs.pending.Len(), cs.journaled, len(fed))
		}
	}
	jf, cm := checkpointFile(t, f, "demo/web", c.cfg.MaxJournal)
	if _, ok := cm.BinaryData[CheckpointKey]; ok || cm.Labels[CheckpointLabel] != "3" || jf.meta.Version != 3 {
		t.Fatalf("configmap labels %v keys %v header version %d: want version 3 only", cm.Labels, keysOf(cm.BinaryData), jf.meta.Version)
	}
	for s := range jf.journals["app"].All() {
		stored = append(stored, s)
	}
	if !sameSamples(stored, fed) {
		t.Fatalf("configmap journal holds %d samples, not the %d fed in order", len(stored), len(fed))
	}
	if m := jf.meta.Containers; len(m) != 1 || m[0].Total != 240 || m[0].Name != "app" {
		t.Fatalf("header containers %+v", m)
	}
	// Nothing new: nothing written.
	if n, err := c.WriteCheckpoints(context.Background()); err != nil || n != 0 {
		t.Fatalf("idle WriteCheckpoints = %d, %v; want 0", n, err)
	}
}

func keysOf[V any](m map[string]V) []string { return sortedKeys(m) }

// TestCheckpointWriteFailureKeepsSamples: a failed write loses nothing; the
// next one appends everything since the last success.
func TestCheckpointWriteFailureKeepsSamples(t *testing.T) {
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pod("web-0", "100m", "128Mi"))
	c, _ := f.controller(t, Config{Recommender: "vpa"})
	feed(t, f, c, 0, 10)
	if _, err := c.WriteCheckpoints(context.Background()); err != nil {
		t.Fatal(err)
	}
	fail := true
	f.kube.PrependReactor("update", "configmaps", func(clienttesting.Action) (bool, runtime.Object, error) {
		if fail {
			return true, nil, errors.New("etcdserver: request timed out")
		}
		return false, nil, nil
	})
	feed(t, f, c, 10, 10)
	if n, err := c.WriteCheckpoints(context.Background()); err == nil || n != 0 || !strings.Contains(err.Error(), "request timed out") {
		t.Fatalf("failing WriteCheckpoints = %d, %v", n, err)
	}
	cs := c.states["demo/web"].containers["app"]
	if cs.pending.Len() != 10 || !c.states["demo/web"].dirty {
		t.Fatalf("after a failed write: %d pending (want 10), dirty %v", cs.pending.Len(), c.states["demo/web"].dirty)
	}
	feed(t, f, c, 20, 5)
	fail = false
	if n, err := c.WriteCheckpoints(context.Background()); err != nil || n != 1 {
		t.Fatalf("WriteCheckpoints = %d, %v", n, err)
	}
	jf, _ := checkpointFile(t, f, "demo/web", c.cfg.MaxJournal)
	if got := jf.journals["app"].Len(); got != 25 || cs.pending.Len() != 0 {
		t.Fatalf("configmap journal %d samples, %d pending; want 25 and 0", got, cs.pending.Len())
	}
}

// TestCheckpointReadsVersion1: a version 1 ConfigMap restores, and the next
// write turns it into version 2 with every sample.
func TestCheckpointReadsVersion1(t *testing.T) {
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pod("web-0", "100m", "128Mi"))
	c1, cancel := f.controller(t, Config{Recommender: "vpa"})
	feed(t, f, c1, 0, 30)
	if _, err := c1.WriteCheckpoints(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	jf, cm := checkpointFile(t, f, "demo/web", c1.cfg.MaxJournal)
	ck := jf.checkpoint()
	ck.Version = 1
	v1, err := EncodeCheckpoint(ck)
	if err != nil {
		t.Fatal(err)
	}
	cm.BinaryData = map[string][]byte{CheckpointKey: v1}
	cm.Labels[CheckpointLabel] = "1"
	if _, err := f.kube.CoreV1().ConfigMaps(cm.Namespace).Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	c2, _ := f.controller(t, Config{Recommender: "vpa"})
	if n, err := c2.Restore(context.Background()); err != nil || n != 1 {
		t.Fatalf("Restore of version 1 = %d, %v", n, err)
	}
	ra, _ := c1.states["demo/web"].containers["app"].rec.Recommend(f.clock())
	rb, _ := c2.states["demo/web"].containers["app"].rec.Recommend(f.clock())
	if ra != rb {
		t.Fatalf("restored from version 1: %+v, want %+v", rb, ra)
	}
	feed(t, f, c2, 30, 3)
	if n, err := c2.WriteCheckpoints(context.Background()); err != nil || n != 1 {
		t.Fatalf("WriteCheckpoints = %d, %v", n, err)
	}
	jf2, cm2 := checkpointFile(t, f, "demo/web", c2.cfg.MaxJournal)
	if _, ok := cm2.BinaryData[CheckpointKey]; ok || jf2.journals["app"].Len() != 33 {
		t.Fatalf("after the write: keys %v, %d samples; want version 2 with 33", keysOf(cm2.BinaryData), jf2.journals["app"].Len())
	}
}

func TestJournalBounded(t *testing.T) {
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pod("web-0", "100m", "128Mi"), pod("web-1", "100m", "128Mi"))
	c, _ := f.controller(t, Config{MaxJournal: 50})
	for r := range 10 {
		feed(t, f, c, r*10, 10)
		if _, err := c.WriteCheckpoints(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	cs := c.states["demo/web"].containers["app"]
	jf, _ := checkpointFile(t, f, "demo/web", c.cfg.MaxJournal)
	j := jf.journals["app"]
	if n := j.Len(); n > 50 || n < 50-50/8 || cs.samples != 200 || jf.meta.Containers[0].Total != 200 {
		t.Fatalf("journal %d samples (max 50, at least 44), total %d (want 200)", n, cs.samples)
	}
	var last model.Sample
	for s := range j.All() {
		last = s
	}
	if !last.Time.Equal(cs.last) {
		t.Fatal("journal lost its newest sample")
	}
}

func DefaultRecommenderForTest() string { return DefaultRecommender() }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countPatches(d *dynfake.FakeDynamicClient) int {
	n := 0
	for _, a := range d.Actions() {
		if a.GetVerb() == "patch" {
			n++
		}
	}
	return n
}

func testutilCount(t *testing.T, m *Metrics, name string) int {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

var _ = types.MergePatchType
var _ = fmt.Sprint

// TestCheckpointShares: rolling writes take each VPA in the pass of its
// share, so a round of shares writes every dirty VPA once.
func TestCheckpointShares(t *testing.T) {
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pod("web-0", "100m", "128Mi"))
	c, _ := f.controller(t, Config{Recommender: "vpa"})
	feed(t, f, c, 0, 3)
	const shares = 3
	mine := keyShare("demo/web", shares)
	for share := range shares {
		c.checkpointShare(context.Background(), share, shares)
		_, err := f.kube.CoreV1().ConfigMaps("smartvpa-system").Get(context.Background(), CheckpointName("demo", "web"), metav1.GetOptions{})
		if written := err == nil; written != (share >= mine) {
			t.Fatalf("after share %d of %d: configmap written %v, want it written in share %d", share, shares, written, mine)
		}
	}
	if c.states["demo/web"].dirty || c.states["demo/web"].containers["app"].pending.Len() != 0 {
		t.Fatal("a round of shares left the VPA dirty")
	}
	// Keys spread over the shares.
	seen := map[int]bool{}
	for i := range 100 {
		seen[keyShare(fmt.Sprintf("ns/vpa-%d", i), 10)] = true
	}
	if len(seen) != 10 {
		t.Fatalf("100 keys fell in %d of 10 shares", len(seen))
	}
}

// TestCheckpointOfDeletedVPA: a deleted VPA's checkpoint ConfigMap goes
// with it (after the pass that drops its state, or at the next restore),
// without listing ConfigMaps; one whose VPA names another recommender stays.
func TestCheckpointOfDeletedVPA(t *testing.T) {
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off"), vpaObject("other", "someone-else", "Off")},
		pod("web-0", "100m", "128Mi"))
	c, _ := f.controller(t, Config{Recommender: "vpa"})
	feed(t, f, c, 0, 3)
	if _, err := c.WriteCheckpoints(context.Background()); err != nil {
		t.Fatal(err)
	}
	cms := f.kube.CoreV1().ConfigMaps("smartvpa-system")
	// A checkpoint of "other" (as another serve would write) and of a VPA
	// that no longer exists.
	for _, name := range []string{"other", "ghost"} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: CheckpointName("demo", name), Namespace: "smartvpa-system",
			Labels: map[string]string{CheckpointLabel: "2"}}, BinaryData: map[string][]byte{JournalKey: mustEncode(t, "demo/"+name)}}
		if _, err := cms.Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(name string) bool {
		_, err := cms.Get(context.Background(), CheckpointName("demo", name), metav1.GetOptions{})
		return err == nil
	}
	c2, _ := f.controller(t, Config{Recommender: "vpa"})
	if _, err := c2.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	if exists("ghost") || !exists("other") || !exists("web") {
		t.Fatalf("after restore: ghost %v other %v web %v; want only the ghost's checkpoint deleted", exists("ghost"), exists("other"), exists("web"))
	}
	if err := f.dyn.Resource(kube.VPAResource).Namespace("demo").Delete(context.Background(), "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, ok, _ := c2.vpaInf.GetStore().GetByKey("demo/web"); return !ok })
	c2.Pass(context.Background())
	c2.Flush()
	if err := c2.collectCheckpoints(context.Background()); err != nil {
		t.Fatal(err)
	}
	if exists("web") || !exists("other") {
		t.Fatalf("after the VPA's deletion: web %v other %v; want web's checkpoint deleted", exists("web"), exists("other"))
	}
}

func mustEncode(t *testing.T, key string) []byte {
	t.Helper()
	b, err := EncodeJournal(&Checkpoint{Recommender: "vpa", VPA: key, UID: "u-" + key})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
