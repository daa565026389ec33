package operator

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// tenPods is the example: web-0 at 2 GiB, web-1..web-9 at 1 GiB.
func tenPods() ([]*corev1.Pod, map[string]model.Resources) {
	var pods []*corev1.Pod
	usage := map[string]model.Resources{}
	for i := range 10 {
		name := fmt.Sprintf("web-%d", i)
		p := pod(name, "100m", "1Gi")
		p.UID = types.UID("uid-" + name)
		pods = append(pods, p)
		usage[name] = model.Resources{CPUMillicores: 100, MemoryBytes: model.GiB}
	}
	usage["web-0"] = model.Resources{CPUMillicores: 100, MemoryBytes: 2 * model.GiB}
	return pods, usage
}

func vpaTarget(t *testing.T, mem float64, n int) float64 {
	t.Helper()
	r, err := recommend.New("vpa", recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		r.AddSample(model.Sample{Time: t0.Add(time.Duration(i) * time.Minute), CPUMillicores: 100, MemoryBytes: mem})
	}
	rec, _ := r.Recommend(t0.Add(time.Duration(n-1) * time.Minute))
	return rec.Target.MemoryBytes
}

// Issue 20 case 15: serve keeps one memory window per pod, as upstream: with
// 9 pods at 1 GiB and one at 2 GiB the p90 memory target is 1 GiB's, not
// the shared peak's 2 GiB. (web-0, the 2 GiB pod, sorts first, so its
// samples are fed first in each pass: its window's decayed weight is not
// above the others' and the 9/10 = p90 tie holds, as with upstream's equal
// window ends.) The state survives a checkpoint and restore.
func TestServeMemoryWindowPerPod(t *testing.T) {
	pods, usage := tenPods()
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pods...)
	c1, cancel1 := f.controller(t, Config{Recommender: "vpa"})
	for i := range 60 {
		f.set(t0.Add(time.Duration(i)*time.Minute), usage)
		c1.Pass(context.Background())
		c1.Flush()
	}
	got, err := ParseRecommendationStatus(f.getVPA(t, "web"))
	if err != nil {
		t.Fatal(err)
	}
	want := vpaTarget(t, model.GiB, 60)
	if shared := vpaTarget(t, 2*model.GiB, 60); want >= shared {
		t.Fatalf("test premise: 1 GiB target %.0f not below 2 GiB's %.0f", want, shared)
	}
	// The status rounds up to a MiB.
	if g := got["app"].Target.MemoryBytes; g != float64(int64(want/model.MiB+1-1e-9))*model.MiB && g != want {
		t.Errorf("status memory target %.0f MiB, want %.0f MiB (9 of 10 pods at 1 GiB)", g/model.MiB, want/model.MiB)
	}
	// Restored from its checkpoint, it continues with the same windows.
	if _, err := c1.WriteCheckpoints(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel1()
	c2, _ := f.controller(t, Config{Recommender: "vpa"})
	if n, err := c2.Restore(context.Background()); err != nil || n != 1 {
		t.Fatalf("Restore = %d, %v", n, err)
	}
	for i := 60; i < 70; i++ {
		f.set(t0.Add(time.Duration(i)*time.Minute), usage)
		c1.Pass(context.Background())
		c2.Pass(context.Background())
	}
	a, _ := c1.states["demo/web"].containers["app"].rec.Recommend(f.clock())
	b, _ := c2.states["demo/web"].containers["app"].rec.Recommend(f.clock())
	if a != b {
		t.Errorf("restored %+v, original %+v", b, a)
	}
}

// A recreated pod (new UID, same name, as a StatefulSet's) opens a window of
// its own: its peak adds to the histogram even within the old pod's window.
func TestServeRecreatedPodOpensNewWindow(t *testing.T) {
	p := pod("web-0", "100m", "1Gi")
	p.UID = "uid-a"
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, p)
	c, _ := f.controller(t, Config{Recommender: "vpa"})
	f.set(t0, map[string]model.Resources{"web-0": {CPUMillicores: 100, MemoryBytes: 500 * model.MiB}})
	c.Pass(context.Background())
	cs := c.states["demo/web"].containers["app"]
	if got := cs.slotPod; len(got) != 1 || got[0] != "uid-a" {
		t.Fatalf("slots = %v", got)
	}
	// The pod is deleted and recreated with the same name.
	if err := f.kube.CoreV1().Pods("demo").Delete(context.Background(), "web-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	p2 := p.DeepCopy()
	p2.UID, p2.ResourceVersion = "uid-b", ""
	if _, err := f.kube.CoreV1().Pods("demo").Create(context.Background(), p2, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		pods, _ := c.listers.pods("demo", labelsApp())
		return len(pods) == 1 && pods[0].UID == "uid-b"
	})
	f.set(t0.Add(time.Minute), map[string]model.Resources{"web-0": {CPUMillicores: 100, MemoryBytes: 300 * model.MiB}})
	c.Pass(context.Background())
	var tags []podTag
	for tag := range cs.pending.Tagged() {
		tags = append(tags, tag)
	}
	if len(tags) != 2 || tags[0] != makeTag(0, true) || tags[1] != makeTag(0, true) {
		t.Fatalf("journal tags %v, want both samples starting a pod in slot 0", tags)
	}
	if s := c.states["demo/web"].slots; len(s) != 1 || s["uid-b"] != 0 {
		t.Errorf("slots %v, want only uid-b in slot 0", s)
	}
}

// Issue 20 case 16: before the first sample upstream publishes the pod
// minimums split between the containers (25m / 250 MiB for one container),
// with low confidence.
func TestServePublishesMinimumsBeforeFirstSample(t *testing.T) {
	for _, rec := range []string{"vpa", DefaultRecommenderForTest()} {
		t.Run(rec, func(t *testing.T) {
			f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pod("web-0", "1", "1Gi"))
			c, _ := f.controller(t, Config{Recommender: rec})
			f.set(t0, nil) // no metrics yet
			res := c.Pass(context.Background())
			c.Flush()
			if res.Samples != 0 || res.Recommended != 1 {
				t.Fatalf("pass = %+v, want no sample and 1 container recommended", res)
			}
			got, err := ParseRecommendationStatus(f.getVPA(t, "web"))
			if err != nil {
				t.Fatal(err)
			}
			m := model.Resources{CPUMillicores: 25, MemoryBytes: 250 * model.MiB}
			want := model.Recommendation{Lower: m, Target: m, Upper: m, UncappedTarget: m}
			if got["app"] != want {
				t.Errorf("status before the first sample %+v, want the minimums %+v", got["app"], want)
			}
			conds := conditions(f.getVPA(t, "web"))
			if conds[CondRecommendationProvided]["status"] != "True" || conds[CondLowConfidence]["status"] != "True" {
				t.Errorf("conditions %v", conds)
			}
		})
	}
}

func labelsApp() labels.Selector { return labels.SelectorFromSet(labels.Set{"app": "web"}) }
