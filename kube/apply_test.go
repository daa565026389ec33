package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/updater"
)

func TestChangesHPA(t *testing.T) {
	rep, _ := demoReport(t, ProfileBalanced, false)
	tests := []struct {
		name     string
		allowHPA bool
		wantCPU  string
	}{
		{"hpa resource left alone", false, "1000m"},
		{"allow hpa", true, "671m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var web *Change
			chs := Changes(rep, tt.allowHPA)
			for i := range chs {
				if chs[i].Report.Name == "web" {
					web = &chs[i]
				}
			}
			if web == nil || len(web.New) != 1 {
				t.Fatalf("no change for web: %+v", chs)
			}
			if got := FormatCPU(web.New[0].Requests.CPUMillicores); got != tt.wantCPU {
				t.Errorf("web cpu = %s, want %s", got, tt.wantCPU)
			}
			skipped := strings.Join(web.Skipped, ";")
			if !tt.allowHPA && !strings.Contains(skipped, "HorizontalPodAutoscaler web scales on cpu") {
				t.Errorf("skipped = %q", skipped)
			}
		})
	}
}

func patchActions(c *fake.Clientset) []k8stesting.PatchAction {
	var out []k8stesting.PatchAction
	for _, a := range c.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok {
			out = append(out, p)
		}
	}
	return out
}

func TestApplyPatch(t *testing.T) {
	rep, _ := demoReport(t, ProfileBalanced, false)
	deps, _ := demoSnapshot()
	for _, dry := range []DryRun{DryRunNone, DryRunServer, DryRunClient} {
		t.Run(string(dry), func(t *testing.T) {
			client := fake.NewSimpleClientset(deps[0], deps[1])
			var out bytes.Buffer
			a := &Applier{Client: client, Mode: ModePatch, DryRun: dry, Out: &out}
			for _, ch := range Changes(rep, true) {
				if ch.Report.Kind != KindDeployment {
					continue
				}
				if _, err := a.Apply(context.Background(), ch); err != nil {
					t.Fatal(err)
				}
			}
			pas := patchActions(client)
			if dry == DryRunClient {
				if len(pas) != 0 {
					t.Fatalf("client dry run sent %d patches", len(pas))
				}
				return
			}
			// One request per workload.
			if len(pas) != 2 {
				t.Fatalf("patches = %d, want 2 (one per deployment)", len(pas))
			}
			for _, p := range pas {
				opts := p.(k8stesting.PatchActionImpl).PatchOptions
				if opts.FieldManager != "smartvpa" {
					t.Errorf("field manager = %q", opts.FieldManager)
				}
				if (dry == DryRunServer) != (len(opts.DryRun) == 1 && opts.DryRun[0] == metav1.DryRunAll) {
					t.Errorf("dry run options = %v for %s", opts.DryRun, dry)
				}
				if string(p.GetPatchType()) != "application/strategic-merge-patch+json" {
					t.Errorf("patch type = %s", p.GetPatchType())
				}
			}
			if dry == DryRunNone {
				d, err := client.AppsV1().Deployments("demo").Get(context.Background(), "api", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				r := d.Spec.Template.Spec.Containers[0].Resources
				if r.Requests.Cpu().String() != "224m" || r.Limits.Cpu().String() != "448m" {
					t.Errorf("api resources after patch = %v / %v", r.Requests, r.Limits)
				}
			}
		})
	}
}

func TestApplyRefusesJobTemplate(t *testing.T) {
	j := job("demo", "once", "", container("main", "1", "1Gi", "", ""))
	client := fake.NewSimpleClientset(j)
	w := NewWorkload(j)
	a := &Applier{Client: client, Mode: ModePatch, Out: &bytes.Buffer{}}
	ch := Change{Report: &WorkloadReport{Namespace: "demo", Kind: KindJob, Name: "once", workload: w},
		New: []ContainerResources{{Name: "main", Requests: model.Resources{CPUMillicores: 100, MemoryBytes: 100 * model.MiB}}}}
	res, err := a.Apply(context.Background(), ch)
	if err != nil {
		t.Fatal(err)
	}
	if res.Patched || len(patchActions(client)) != 0 || !strings.Contains(strings.Join(res.Refused, ""), "immutable") {
		t.Fatalf("result = %+v", res)
	}
}

func TestApplyInPlace(t *testing.T) {
	rep, _ := demoReport(t, ProfileBalanced, false)
	_, snap := demoSnapshot()
	objs := []runtime.Object{}
	for i := range snap.Pods {
		objs = append(objs, &snap.Pods[i])
	}
	client := fake.NewSimpleClientset(objs...)
	a := &Applier{Client: client, Mode: ModeInPlace, DryRun: DryRunNone, Out: &bytes.Buffer{}}
	for _, ch := range Changes(rep, true) {
		if ch.Report.Name != "web" {
			continue
		}
		res, err := a.Apply(context.Background(), ch)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Resized) != 2 || res.Patched {
			t.Fatalf("result = %+v", res)
		}
	}
	pas := patchActions(client)
	if len(pas) != 2 {
		t.Fatalf("patches = %d", len(pas))
	}
	for _, p := range pas {
		if p.GetSubresource() != "resize" || p.GetResource().Resource != "pods" {
			t.Errorf("patched %s/%s, want pods/resize", p.GetResource().Resource, p.GetSubresource())
		}
		var body map[string]any
		_ = json.Unmarshal(p.GetPatch(), &body)
		if _, ok := body["spec"].(map[string]any)["containers"]; !ok {
			t.Errorf("patch body = %s", p.GetPatch())
		}
	}
}

func TestApplyEvict(t *testing.T) {
	rep, _ := demoReport(t, ProfileBalanced, false)
	_, snap := demoSnapshot()
	pdb := func(allowed int32) *policyv1.PodDisruptionBudget {
		min := intstr.FromInt32(2)
		return &policyv1.PodDisruptionBudget{
			ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web"},
			Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &min, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
			Status:     policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: allowed, CurrentHealthy: 2, DesiredHealthy: 2},
		}
	}
	tests := []struct {
		name        string
		pdb         *policyv1.PodDisruptionBudget
		minReplicas int
		wantEvicted int
		wantRefused string
	}{
		{"pdb allows none", pdb(0), 2, 0, "PodDisruptionBudget web allows no disruption (2 healthy, 2 required)"},
		{"tolerance allows one", pdb(1), 2, 1, ""},
		{"min replicas", pdb(1), 3, 0, "too few replicas: 2 live, min 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := []runtime.Object{tt.pdb}
			for i := range snap.Pods {
				objs = append(objs, &snap.Pods[i])
			}
			client := fake.NewSimpleClientset(objs...)
			pol := updater.DefaultPolicy()
			pol.MinReplicas = tt.minReplicas
			a := &Applier{Client: client, Mode: ModeEvict, Policy: pol, Out: &bytes.Buffer{}, Now: func() time.Time { return t0 }}
			var res Result
			for _, ch := range Changes(rep, true) {
				if ch.Report.Name == "web" {
					var err error
					if res, err = a.Apply(context.Background(), ch); err != nil {
						t.Fatal(err)
					}
				}
			}
			if len(res.Evicted) != tt.wantEvicted {
				t.Errorf("evicted %v, want %d (refused %q)", res.Evicted, tt.wantEvicted, res.Refused)
			}
			if tt.wantRefused != "" && !strings.Contains(strings.Join(res.Refused, ";"), tt.wantRefused) {
				t.Errorf("refused = %q, want %q", res.Refused, tt.wantRefused)
			}
			evictions := 0
			for _, act := range client.Actions() {
				if act.GetSubresource() == "eviction" {
					evictions++
				}
			}
			if evictions != tt.wantEvicted {
				t.Errorf("eviction requests = %d, want %d", evictions, tt.wantEvicted)
			}
		})
	}
}

func TestWatch(t *testing.T) {
	deps, snap := demoSnapshot()
	oom := snap.Pods[0].DeepCopy()
	oom.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{Reason: "OOMKilled", FinishedAt: metav1.Time{Time: t0.Add(time.Minute)}}
	oldOOM := snap.Pods[0].DeepCopy()
	oldOOM.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{Reason: "OOMKilled", FinishedAt: metav1.Time{Time: t0.Add(-time.Minute)}}
	done := deps[0].DeepCopy()
	done.Status = appsv1.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}
	tests := []struct {
		name    string
		objs    []runtime.Object
		wantErr string
	}{
		{"oom after the patch fails", []runtime.Object{deps[0], oom}, "OOMKilled"},
		{"oom before the patch is ignored; rollout complete", []runtime.Object{done, oldOOM}, ""},
		{"timeout", []runtime.Object{deps[0], oldOOM}, "rollout not complete after 1m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewSimpleClientset(tt.objs...)
			clock := t0
			rw := &RolloutWatcher{Client: client, Timeout: time.Minute,
				Sleep: func(context.Context, time.Duration) error { clock = clock.Add(10 * time.Second); return nil },
				Now:   func() time.Time { return clock }}
			err := rw.Watch(context.Background(), NewWorkload(deps[0]), t0)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			var rf *RolloutFailure
			if tt.wantErr == "OOMKilled" && !errors.As(err, &rf) {
				t.Fatalf("err %T is not a RolloutFailure", err)
			}
		})
	}
}

// apiChange returns the demo report's change of deployment api.
func apiChange(t *testing.T) Change {
	t.Helper()
	rep, _ := demoReport(t, ProfileBalanced, false)
	for _, ch := range Changes(rep, true) {
		if ch.Report.Name == "api" {
			return ch
		}
	}
	t.Fatal("no change for deployment api")
	return Change{}
}

func setResources(t *testing.T, client *fake.Clientset, name string, c corev1.Container) {
	t.Helper()
	d, err := client.AppsV1().Deployments("demo").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].Resources = c.Resources
	if _, err := client.AppsV1().Deployments("demo").Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func apiResources(t *testing.T, client *fake.Clientset) string {
	t.Helper()
	d, err := client.AppsV1().Deployments("demo").Get(context.Background(), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := d.Spec.Template.Spec.Containers[0].Resources
	return fmt.Sprintf("%s/%s %s/%s", r.Requests.Cpu(), r.Requests.Memory(), r.Limits.Cpu(), r.Limits.Memory())
}

// Issue 20 case 17: a change made while apply's prompt waits (kubectl set
// resources) is neither overwritten nor mixed with the stale limit ratio.
func TestApplyPatchRefusesConcurrentChange(t *testing.T) {
	deps, _ := demoSnapshot()
	ch := apiChange(t)
	client := fake.NewSimpleClientset(deps[1])
	// Someone else sets the requests after apply read them.
	setResources(t, client, "api", container("api", "300m", "256Mi", "600m", "1Gi"))
	a := &Applier{Client: client, Mode: ModePatch, Out: &bytes.Buffer{}}
	res, err := a.Apply(context.Background(), ch)
	var conflict *ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("err = %v (%T), want a *ConflictError", err, err)
	}
	want := "demo/deployment/api changed since apply read it (container api: cpu request 100m -> 300m; container api: memory request 128Mi -> 256Mi; " +
		"container api: cpu limit 200m -> 600m; container api: memory limit 512Mi -> 1024Mi): nothing applied to it; run apply again to recommend from its new requests"
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
	if res.Patched || len(patchActions(client)) != 0 {
		t.Errorf("patched after a conflict: %+v, %d patches", res, len(patchActions(client)))
	}
	if got := apiResources(t, client); got != "300m/256Mi 600m/1Gi" {
		t.Errorf("api resources = %s, want the concurrent change kept", got)
	}
}

// The patch carries the resourceVersion it re-read as a precondition (the
// API server refuses it when the object moved; the e2e test checks that).
func TestApplyPatchPrecondition(t *testing.T) {
	deps, _ := demoSnapshot()
	ch := apiChange(t)
	api := deps[1].DeepCopy()
	api.ResourceVersion = "41"
	client := fake.NewSimpleClientset(api)
	a := &Applier{Client: client, Mode: ModePatch, Out: &bytes.Buffer{}}
	if _, err := a.Apply(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	pas := patchActions(client)
	if len(pas) != 1 {
		t.Fatalf("patches = %d", len(pas))
	}
	var body struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(pas[0].GetPatch(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Metadata.ResourceVersion != "41" {
		t.Errorf("patch precondition resourceVersion = %q, want 41", body.Metadata.ResourceVersion)
	}
}

// A conflict answered by the server (the object moved between the re-read
// and the patch, e.g. a status update) is retried after a fresh read.
func TestApplyPatchRetriesServerConflict(t *testing.T) {
	deps, _ := demoSnapshot()
	ch := apiChange(t)
	client := fake.NewSimpleClientset(deps[1])
	conflicts := 1
	client.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts > 0 {
			conflicts--
			return true, nil, apierrors.NewConflict(appsv1.Resource("deployments"), "api", errors.New("the object has been modified"))
		}
		return false, nil, nil
	})
	a := &Applier{Client: client, Mode: ModePatch, Out: &bytes.Buffer{}}
	if _, err := a.Apply(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	if n := len(patchActions(client)); n != 2 {
		t.Errorf("patches = %d, want 2 (one conflict, one retry)", n)
	}
	if got := apiResources(t, client); !strings.HasPrefix(got, "224m/") {
		t.Errorf("api resources = %s, want the cpu request 224m applied", got)
	}
}

// A --watch rollback restores only what apply replaced: a container changed
// by someone else since apply keeps that change.
func TestRollbackRestoresOnlyWhatApplySet(t *testing.T) {
	deps, _ := demoSnapshot()
	ch := apiChange(t)
	tests := []struct {
		name      string
		meanwhile *corev1.Container
		want      string
		patched   bool
	}{
		{"unchanged since apply: restored", nil, "100m/128Mi 200m/512Mi", true},
		{"changed since apply: left alone", ptr(container("api", "700m", "1Gi", "", "")), "700m/1Gi 0/0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewSimpleClientset(deps[1].DeepCopy())
			var out bytes.Buffer
			a := &Applier{Client: client, Mode: ModePatch, Out: &out}
			if _, err := a.Apply(context.Background(), ch); err != nil {
				t.Fatal(err)
			}
			if tt.meanwhile != nil {
				setResources(t, client, "api", *tt.meanwhile)
			}
			res, err := a.Rollback(context.Background(), ch)
			if err != nil {
				t.Fatal(err)
			}
			if res.Patched != tt.patched {
				t.Errorf("rollback patched = %v, want %v (%+v)", res.Patched, tt.patched, res)
			}
			if got := apiResources(t, client); got != tt.want {
				t.Errorf("api resources after rollback = %s, want %s\n%s", got, tt.want, out.String())
			}
			if !tt.patched && !strings.Contains(strings.Join(res.Refused, ";"), "container api left as it is: changed since apply") {
				t.Errorf("refused = %q", res.Refused)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
