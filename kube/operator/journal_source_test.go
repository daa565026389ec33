package operator

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynfake "k8s.io/client-go/dynamic/fake"
	kfake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	vpareco "github.com/smartvpa/smartvpa/core/recommend/vpa"
	"github.com/smartvpa/smartvpa/kube"
)

// webWorkload is the Deployment demo/web with the given containers, as the
// resolver returns it.
func webWorkload(containers ...string) *kube.Workload {
	w := &kube.Workload{Namespace: "demo", Kind: "Deployment", Name: "web", Replicas: 2}
	for _, c := range containers {
		w.Containers = append(w.Containers, kube.Container{Name: c,
			Requests: model.Resources{CPUMillicores: 500, MemoryBytes: 512 * model.MiB}})
	}
	return w
}

// targetVPA is VPA ns/name (uid "uid-<name>") targeting Deployment target.
func targetVPA(ns, name, target string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
		"metadata": map[string]any{"name": name, "namespace": ns, "uid": "uid-" + name},
		"spec": map[string]any{"targetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
			"recommenders": []any{map[string]any{"name": "smartvpa"}}},
	}}
}

// journalOf is a container journal of n samples a minute apart from start.
func journalOf(start time.Time, n int, cpu float64) ContainerCheckpoint {
	cc := ContainerCheckpoint{Start: start.UnixNano(), First: start, Last: start.Add(time.Duration(n-1) * time.Minute), Total: n}
	for i := range n {
		cc.Samples = append(cc.Samples, [3]float64{float64(time.Duration(i) * time.Minute), cpu + float64(i%5), 300 * model.MiB})
	}
	return cc
}

// checkpointConfigMap is the ConfigMap serve writes for VPA key (as
// WriteCheckpoints names, labels and annotates it), in version 2.
func checkpointConfigMap(t *testing.T, ns, key, uid string, written time.Time, containers map[string]ContainerCheckpoint) *corev1.ConfigMap {
	t.Helper()
	ck := &Checkpoint{Recommender: "smart", VPA: key, UID: uid, Written: written, Containers: containers}
	data, err := journalFileFromV1(ck, math.MaxInt).encode()
	if err != nil {
		t.Fatal(err)
	}
	vns, vname := splitKey(key)
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: CheckpointName(vns, vname), Namespace: ns,
			Labels: map[string]string{CheckpointLabel: "2"}, Annotations: map[string]string{annotVPA: key}},
		BinaryData: map[string][]byte{JournalKey: data},
	}
}

// checkpointConfigMapV1 is checkpointConfigMap as serve wrote it before
// version 2 (gzip JSON).
func checkpointConfigMapV1(t *testing.T, ns, key, uid string, written time.Time, containers map[string]ContainerCheckpoint) *corev1.ConfigMap {
	t.Helper()
	data, err := EncodeCheckpoint(&Checkpoint{Version: 1, Recommender: "smart", VPA: key, UID: uid, Written: written, Containers: containers})
	if err != nil {
		t.Fatal(err)
	}
	cm := checkpointConfigMap(t, ns, key, uid, written, nil)
	cm.Labels[CheckpointLabel] = "1"
	cm.BinaryData = map[string][]byte{CheckpointKey: data}
	return cm
}

func fakeVPAs(objs ...runtime.Object) *dynfake.FakeDynamicClient {
	return dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{kube.VPAResource: "VerticalPodAutoscalerList", kube.VPACheckpointResource: "VerticalPodAutoscalerCheckpointList"}, objs...)
}

func TestJournalSource(t *testing.T) {
	start := t0.Add(-3 * time.Hour)
	app := kube.ContainerKey{Workload: "demo/Deployment/web", Container: "app"}
	side := kube.ContainerKey{Workload: "demo/Deployment/web", Container: "side"}
	tests := []struct {
		name  string
		cms   []runtime.Object
		vpas  []runtime.Object
		want  map[kube.ContainerKey]int // samples per container
		cpu   float64                   // first CPU sample of app
		notes []string                  // substrings of the notes
	}{{
		name: "journal of the VPA targeting the deployment",
		cms: []runtime.Object{checkpointConfigMap(t, "smartvpa-system", "demo/web", "uid-web", t0,
			map[string]ContainerCheckpoint{"app": journalOf(start, 120, 100), "not-in-pod": journalOf(start, 5, 1)})},
		vpas:  []runtime.Object{targetVPA("demo", "web", "web")},
		want:  map[kube.ContainerKey]int{app: 120},
		cpu:   100,
		notes: []string{"checkpoints: samples of 1 container(s) from the serve journal in 1 ConfigMap(s) (smartvpa-system/" + CheckpointName("demo", "web") + "), newest written 2026-11-01T00:00:00Z"},
	}, {
		name: "version 1 journal",
		cms: []runtime.Object{checkpointConfigMapV1(t, "smartvpa-system", "demo/web", "uid-web", t0,
			map[string]ContainerCheckpoint{"app": journalOf(start, 90, 150)})},
		vpas:  []runtime.Object{targetVPA("demo", "web", "web")},
		want:  map[kube.ContainerKey]int{app: 90},
		cpu:   150,
		notes: []string{"samples of 1 container(s) from the serve journal in 1 ConfigMap(s)"},
	}, {
		name: "newest of two VPAs on the same deployment, per container",
		cms: []runtime.Object{
			checkpointConfigMap(t, "smartvpa-system", "demo/old", "uid-old", t0.Add(-time.Hour),
				map[string]ContainerCheckpoint{"app": journalOf(start, 10, 7), "side": journalOf(start, 30, 9)}),
			checkpointConfigMap(t, "smartvpa-system", "demo/web", "uid-web", t0, map[string]ContainerCheckpoint{"app": journalOf(start, 60, 200)}),
		},
		vpas:  []runtime.Object{targetVPA("demo", "web", "web"), targetVPA("demo", "old", "web")},
		want:  map[kube.ContainerKey]int{app: 60, side: 30},
		cpu:   200,
		notes: []string{"samples of 2 container(s) from the serve journal in 2 ConfigMap(s)", "1 older journal(s) for the same containers ignored"},
	}, {
		name: "VPA gone, VPA of another workload, other namespace, other checkpoint namespace",
		cms: []runtime.Object{
			checkpointConfigMap(t, "smartvpa-system", "demo/gone", "uid-gone", t0, map[string]ContainerCheckpoint{"app": journalOf(start, 10, 1)}),
			checkpointConfigMap(t, "smartvpa-system", "demo/api", "uid-api", t0, map[string]ContainerCheckpoint{"app": journalOf(start, 10, 1)}),
			checkpointConfigMap(t, "smartvpa-system", "prod/web", "uid-web", t0, map[string]ContainerCheckpoint{"app": journalOf(start, 10, 1)}),
			checkpointConfigMap(t, "elsewhere", "demo/web", "uid-web", t0, map[string]ContainerCheckpoint{"app": journalOf(start, 10, 1)}),
		},
		vpas: []runtime.Object{targetVPA("demo", "api", "api"), targetVPA("prod", "web", "web")},
		want: map[kube.ContainerKey]int{},
	}, {
		name: "VPA recreated since the checkpoint",
		cms: []runtime.Object{checkpointConfigMap(t, "smartvpa-system", "demo/web", "uid-of-an-earlier-web", t0,
			map[string]ContainerCheckpoint{"app": journalOf(start, 10, 1)})},
		vpas:  []runtime.Object{targetVPA("demo", "web", "web")},
		want:  map[kube.ContainerKey]int{},
		notes: []string{"1 ConfigMap(s) written for an earlier VPA of the same name skipped (" + CheckpointName("demo", "web") + ")"},
	}, {
		name: "undecodable checkpoint",
		cms: []runtime.Object{&corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "smartvpa-ckpt-broken", Namespace: "smartvpa-system", Labels: map[string]string{CheckpointLabel: "1"},
				Annotations: map[string]string{annotVPA: "demo/web"}},
			BinaryData: map[string][]byte{CheckpointKey: []byte("not gzip")}}},
		vpas:  []runtime.Object{targetVPA("demo", "web", "web")},
		want:  map[kube.ContainerKey]int{},
		notes: []string{"serve journal: configmap smartvpa-system/smartvpa-ckpt-broken: checkpoint is not gzip"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &JournalSource{Client: kfake.NewClientset(tc.cms...), Dynamic: fakeVPAs(tc.vpas...)}
			h, err := src.History(context.Background(), []*kube.Workload{webWorkload("app", "side")}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if h.Source != "checkpoints" || len(h.Checkpoints) != 0 {
				t.Fatalf("source %q, %d upstream checkpoints", h.Source, len(h.Checkpoints))
			}
			got := map[kube.ContainerKey]int{}
			for k, s := range h.Samples {
				got[k] = len(s)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("samples per container %v, want %v", got, tc.want)
			}
			for k, n := range tc.want {
				if got[k] != n {
					t.Fatalf("samples per container %v, want %v", got, tc.want)
				}
			}
			if s := h.Samples[app]; len(s) > 0 {
				if !s[0].Time.Equal(start) || s[0].CPUMillicores != tc.cpu || s[0].MemoryBytes != 300*model.MiB ||
					!s[len(s)-1].Time.Equal(start.Add(time.Duration(len(s)-1)*time.Minute)) {
					t.Fatalf("app samples %+v .. %+v", s[0], s[len(s)-1])
				}
			}
			all := strings.Join(h.Notes, "\n")
			for _, n := range tc.notes {
				if !strings.Contains(all, n) {
					t.Errorf("notes %q lack %q", h.Notes, n)
				}
			}
			if len(tc.notes) == 0 && len(h.Notes) != 0 {
				t.Errorf("notes %q, want none", h.Notes)
			}
		})
	}
}

// TestJournalSourceForbidden: a checkpoint namespace the caller cannot read
// is a note naming the flag, not an error; another error is an error.
func TestJournalSourceForbidden(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		wantErr bool
	}{
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "", errors.New("rbac")), false},
		{"server error", apierrors.NewInternalError(errors.New("etcd down")), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := kfake.NewClientset()
			cl.PrependReactor("list", "configmaps", func(clienttesting.Action) (bool, runtime.Object, error) { return true, nil, tc.err })
			src := &JournalSource{Client: cl, Dynamic: fakeVPAs(), Namespace: "ops"}
			h, err := src.History(context.Background(), []*kube.Workload{webWorkload("app")}, t0)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "list checkpoint configmaps in ops") {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || !h.Empty() || len(h.Notes) != 1 || !strings.Contains(h.Notes[0], "pass --checkpoint-namespace") {
				t.Fatalf("history %+v, err %v", h, err)
			}
		})
	}
}

// TestJournalSourceFromServe: what serve's controller writes on a
// checkpoint, recommend reads back: the same samples, so recommend with the
// recommender serve ran gives serve's recommendation.
func TestJournalSourceFromServe(t *testing.T) {
	f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", "Off")}, pod("web-0", "100m", "128Mi"), pod("web-1", "100m", "128Mi"))
	c, _ := f.controller(t, Config{Recommender: "vpa"})
	feed(t, f, c, 0, 120)
	if n, err := c.WriteCheckpoints(context.Background()); err != nil || n != 1 {
		t.Fatalf("WriteCheckpoints = %d, %v", n, err)
	}
	now := f.clock()
	src := &JournalSource{Client: f.kube, Dynamic: f.dyn}
	ws := []*kube.Workload{webWorkload("app")}
	e := &kube.Engine{Recommender: "vpa", Sources: []kube.HistorySource{src}, Floors: model.Resources{CPUMillicores: 1, MemoryBytes: 1}}
	h, notes, err := e.FetchHistory(context.Background(), ws, now)
	if err != nil {
		t.Fatal(err)
	}
	k := kube.ContainerKey{Workload: "demo/Deployment/web", Container: "app"}
	if got := len(h.Samples[k]); got != 240 {
		t.Fatalf("%d samples, want 240 (120 passes of 2 pods)", got)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "from the serve journal") {
		t.Fatalf("notes %q", notes)
	}
	rep, err := e.Recommend(context.Background(), ws, h, notes, now)
	if err != nil {
		t.Fatal(err)
	}
	cr := rep.Workloads[0].Containers[0]
	want, ok := c.states["demo/web"].containers["app"].rec.Recommend(now)
	if !ok || cr.Recommendation == nil || cr.Recommendation.Target != want.Target {
		t.Fatalf("recommend's target %+v, serve's %+v (%v)", cr.Recommendation, want.Target, ok)
	}
	if cr.Samples != 240 || rep.History != "checkpoints" {
		t.Fatalf("samples %d, history %q", cr.Samples, rep.History)
	}
}

// TestJournalBeforeUpstreamCheckpoint: combined as recommend --history
// checkpoints combines them, a container with a journal gets its samples
// (its upstream checkpoint is not used), and a container with only an
// upstream checkpoint falls back to it.
func TestJournalBeforeUpstreamCheckpoint(t *testing.T) {
	start := t0.Add(-3 * time.Hour)
	v, err := vpareco.New(vpareco.DefaultOptions(), recommend.Config{ContainersInPod: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 600 {
		v.AddSample(model.Sample{Time: start.Add(time.Duration(i) * time.Minute), CPUMillicores: 250, MemoryBytes: 400 * model.MiB})
	}
	cp := v.SaveToCheckpoint(t0)
	dyn := fakeVPAs(targetVPA("demo", "web", "web"),
		kube.NewVPACheckpointObject("demo", "web", "app", cp, nil),
		kube.NewVPACheckpointObject("demo", "web", "side", cp, nil),
		kube.NewVPACheckpointObject("demo", "web", "restored", cp, nil))
	// restored: serve restored it from the upstream checkpoint, so its
	// journal holds only the samples since.
	partial := journalOf(t0.Add(-5*time.Minute), 5, 100)
	partial.Total, partial.First = 605, start
	cms := kfake.NewClientset(checkpointConfigMap(t, "smartvpa-system", "demo/web", "uid-web", t0,
		map[string]ContainerCheckpoint{"app": journalOf(start, 120, 100), "restored": partial}))
	src := &kube.PerContainer{Label: "checkpoints", Kinds: []string{"serve journal", "upstream VerticalPodAutoscalerCheckpoint"},
		Sources: []kube.HistorySource{&JournalSource{Client: cms, Dynamic: dyn}, &kube.Checkpoints{Client: dyn}}}
	ws := []*kube.Workload{webWorkload("app", "side", "restored")}
	e := &kube.Engine{Recommender: "smart", Sources: []kube.HistorySource{src}, Floors: model.Resources{CPUMillicores: 1, MemoryBytes: 1}}
	h, notes, err := e.FetchHistory(context.Background(), ws, t0)
	if err != nil {
		t.Fatal(err)
	}
	app := kube.ContainerKey{Workload: "demo/Deployment/web", Container: "app"}
	side := kube.ContainerKey{Workload: "demo/Deployment/web", Container: "side"}
	restored := kube.ContainerKey{Workload: "demo/Deployment/web", Container: "restored"}
	if len(h.Samples[restored]) != 0 || h.Checkpoints[restored] == nil {
		t.Fatalf("restored: %d samples of a partial journal used over the upstream checkpoint", len(h.Samples[restored]))
	}
	if len(h.Samples[app]) != 120 || h.Checkpoints[app] != nil || h.Checkpoints[side] == nil || len(h.Samples[side]) != 0 {
		t.Fatalf("app: %d samples, checkpoint %v; side: checkpoint %v", len(h.Samples[app]), h.Checkpoints[app] != nil, h.Checkpoints[side] != nil)
	}
	all := strings.Join(notes, "\n")
	for _, n := range []string{"from the serve journal", "upstream VerticalPodAutoscalerCheckpoint object(s)",
		"1 journal(s) hold only their most recent samples",
		"checkpoints: 1 container(s) whose samples cover only the recent part of their history use a whole-history checkpoint instead",
		"checkpoints: containers by source (the first with evidence for a container wins): 1 from serve journal, 2 from upstream VerticalPodAutoscalerCheckpoint"} {
		if !strings.Contains(all, n) {
			t.Errorf("notes %q lack %q", notes, n)
		}
	}
	rep, err := e.Recommend(context.Background(), ws, h, notes, t0)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]kube.ContainerReport{}
	for _, cr := range rep.Workloads[0].Containers {
		byName[cr.Name] = cr
	}
	if cr := byName["app"]; cr.Samples != 120 || cr.Recommendation == nil || strings.Contains(strings.Join(cr.Notes, ";"), "checkpoint") {
		t.Fatalf("app: %d samples, recommendation %v, notes %q", cr.Samples, cr.Recommendation, cr.Notes)
	}
	if cr := byName["side"]; cr.Samples != 600 || cr.Recommendation == nil || !strings.Contains(strings.Join(cr.Notes, ";"), "recommended by vpa from checkpoint web-side") {
		t.Fatalf("side: %d samples, recommendation %v, notes %q", cr.Samples, cr.Recommendation, cr.Notes)
	}
}
