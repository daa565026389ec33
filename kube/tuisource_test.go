package kube

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/smartvpa/smartvpa/core/model"
	_ "github.com/smartvpa/smartvpa/core/recommend/autopilot" // registers autopilot
	"github.com/smartvpa/smartvpa/tui"
)

// countingSource is a HistorySource that serves a fixed history and counts
// its calls.
type countingSource struct {
	mu    sync.Mutex
	h     *History
	calls int
}

func (c *countingSource) Name() string { return "prometheus" }

func (c *countingSource) History(context.Context, []*Workload, time.Time) (*History, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	return c.h, nil
}

func (c *countingSource) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// tuiFixture is the demo snapshot behind a TUISource: web (2 pods, an HPA on
// cpu, 8 days of history), api (12 hours of history), the CronJob and the
// bare pod (no history); the clock stands at t0.
type tuiFixture struct {
	src     *TUISource
	client  *fake.Clientset
	history *countingSource
	now     time.Time
	resolve int
	// webVersion is deploy/web's resourceVersion in the next list.
	webVersion string
}

func newTUIFixture(t *testing.T) *tuiFixture {
	t.Helper()
	deps, _ := demoSnapshot()
	f := &tuiFixture{now: t0}
	f.client = fake.NewSimpleClientset(deps[0], deps[1], hpa("demo", "web", "web", corev1.ResourceCPU))
	h := NewHistory("prometheus")
	h.Samples[ContainerKey{Workload: "demo/Deployment/web", Container: "web"}] = series(t0.Add(-8*24*time.Hour), 5*time.Minute, 8*24*12, func(i int) (float64, float64) {
		x := math.Sin(2 * math.Pi * float64(i) / (24 * 12))
		return 350 + 250*x, (400 + 20*x) * model.MiB
	})
	h.Samples[ContainerKey{Workload: "demo/Deployment/api", Container: "api"}] = series(t0.Add(-12*time.Hour), 5*time.Minute, 12*12, func(int) (float64, float64) {
		return 150, 260 * model.MiB
	})
	f.history = &countingSource{h: h}
	f.src = &TUISource{
		Resolve: func(context.Context) ([]*Workload, error) {
			f.resolve++
			deps, snap := demoSnapshot() // fresh objects, as a new list would give
			deps[0].ResourceVersion = f.webVersion
			objs := []runtime.Object{deps[0], deps[1], cronJob("demo", "report", container("report", "500m", "512Mi", "", ""))}
			return Group(objs, snap, true, labels.Everything()), nil
		},
		Engine: &Engine{Floors: model.Resources{CPUMillicores: DefaultMinCPUMillicores, MemoryBytes: DefaultMinMemoryBytes},
			CPUPrice: DefaultCPUPrice, MemoryPrice: DefaultMemoryPrice, Client: f.client, Sources: []HistorySource{f.history}},
		Names:     []string{"vpa"},
		Client:    f.client,
		Namespace: "demo",
		Now:       func() time.Time { return f.now },
	}
	return f
}

func findRow(t *testing.T, rows []tui.Workload, kindName string) tui.Workload {
	t.Helper()
	for _, r := range rows {
		if r.Ref.KindName() == kindName {
			return r
		}
	}
	t.Fatalf("no row %s in %v", kindName, rows)
	return tui.Workload{}
}

func TestTUISourceList(t *testing.T) {
	f := newTUIFixture(t)
	rows, err := f.src.List(context.Background(), "vpa")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rows {
		names = append(names, r.Ref.String())
	}
	want := "demo/Deployment/api demo/Deployment/web demo/ReplicaSet/lonely demo/CronJob/report demo/Pod/debug"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("rows = %s, want %s", got, want)
	}
	web := findRow(t, rows, "deploy/web")
	if web.HPAConflict != "hpa/web scales on cpu" || web.Replicas != 2 {
		t.Errorf("web: HPAConflict %q, replicas %d", web.HPAConflict, web.Replicas)
	}
	if c := web.Containers[0]; !c.OK || c.Confidence != 1 || c.Request != (model.Resources{CPUMillicores: 1000, MemoryBytes: model.GiB}) {
		t.Errorf("web container = %+v, want a recommendation with confidence 1 (8 days) and requests 1 / 1Gi", c)
	}
	if web.Applied {
		t.Errorf("web shown applied without smartvpa having set its requests")
	}
	api := findRow(t, rows, "deploy/api")
	if c := api.Containers[0]; !c.OK || c.Confidence < 0.14 || c.Confidence >= 0.15 {
		t.Errorf("api confidence = %v, want 0.15 x 12h/24h just under (low grade, 12 hours)", c.Confidence)
	}
	if api.HPAConflict != "" {
		t.Errorf("api HPAConflict = %q", api.HPAConflict)
	}
	report := findRow(t, rows, "cj/report")
	if report.Containers[0].OK || report.Containers[0].Confidence != 0 {
		t.Errorf("report without history: %+v", report.Containers[0])
	}
	if _, err := f.src.List(context.Background(), "nope"); err == nil || err.Error() != `unknown recommender "nope": use one of vpa` {
		t.Errorf("unknown recommender: %v", err)
	}
}

func TestTUISourceHistoryCache(t *testing.T) {
	f := newTUIFixture(t)
	ctx := context.Background()
	steps := []struct {
		name      string
		advance   time.Duration
		do        func() error
		wantFetch int
	}{
		{"first list fetches", 0, func() error { _, err := f.src.List(ctx, "vpa"); return err }, 1},
		{"refresh within a minute reuses", 30 * time.Second, func() error { _, err := f.src.List(ctx, "vpa"); return err }, 1},
		{"detail of a listed workload reuses", 0, func() error {
			d, err := f.src.Detail(ctx, tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "web"}, "vpa")
			if err == nil && (len(d.Containers) != 1 || len(d.Containers[0].History) != 8*24*12 || d.Containers[0].Explanation.Recommender == "") {
				t.Errorf("detail = %d containers, history and explanation missing", len(d.Containers))
			}
			return err
		}, 1},
		{"refresh after a minute fetches again", 31 * time.Second, func() error { _, err := f.src.List(ctx, "vpa"); return err }, 2},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			f.now = f.now.Add(s.advance)
			if err := s.do(); err != nil {
				t.Fatal(err)
			}
			if got := f.history.count(); got != s.wantFetch {
				t.Fatalf("history fetched %d times, want %d", got, s.wantFetch)
			}
		})
	}
	if f.resolve != 3 {
		t.Errorf("workloads resolved %d times, want on every list (3)", f.resolve)
	}
	if _, err := f.src.Detail(ctx, tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "gone"}, "vpa"); err == nil ||
		err.Error() != "workload demo/Deployment/gone not found: press R to refresh the list" {
		t.Errorf("detail of an unknown workload: %v", err)
	}
}

func patchImpls(c *fake.Clientset) []k8stesting.PatchActionImpl {
	var out []k8stesting.PatchActionImpl
	for _, a := range c.Actions() {
		if p, ok := a.(k8stesting.PatchActionImpl); ok {
			out = append(out, p)
		}
	}
	return out
}

func TestTUISourceDryRunAndApply(t *testing.T) {
	to := model.Resources{CPUMillicores: 120, MemoryBytes: 200 * model.MiB}
	tests := []struct {
		name       string
		dryRun     bool
		ref        string
		wantDryRun []string
		wantPatch  string
		wantMsg    string
	}{
		{"dry-run", true, "api", []string{metav1.DryRunAll},
			`{"spec":{"template":{"spec":{"containers":[{"name":"api","resources":{"limits":{"cpu":"240m","memory":"800Mi"},"requests":{"cpu":"120m","memory":"200Mi"}}}]}}}}`,
			"deployment.apps/api patched (server dry run)"},
		{"apply", false, "api", nil,
			`{"spec":{"template":{"spec":{"containers":[{"name":"api","resources":{"limits":{"cpu":"240m","memory":"800Mi"},"requests":{"cpu":"120m","memory":"200Mi"}}}]}}}}`,
			"deployment.apps/api patched"},
		{"HPA resource left alone", false, "web", nil,
			`{"spec":{"template":{"spec":{"containers":[{"name":"web","resources":{"limits":{"memory":"200Mi"},"requests":{"cpu":"1","memory":"200Mi"}}}]}}}}`,
			"deployment.apps/web patched; cpu requests left unchanged: HorizontalPodAutoscaler web scales on cpu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTUIFixture(t)
			ctx := context.Background()
			if _, err := f.src.List(ctx, "vpa"); err != nil {
				t.Fatal(err)
			}
			f.client.ClearActions()
			ch := tui.Change{Ref: tui.Ref{Namespace: "demo", Kind: "Deployment", Name: tt.ref}, Recommender: "vpa",
				Containers: []tui.ContainerChange{{Name: tt.ref, To: to}}}
			do := f.src.Apply
			if tt.dryRun {
				do = f.src.DryRun
			}
			res, err := do(ctx, []tui.Change{ch})
			if err != nil || len(res) != 1 {
				t.Fatalf("results %v, err %v", res, err)
			}
			r := res[0]
			if r.Err != nil || r.Patch != tt.wantPatch || !strings.HasPrefix(r.Message, tt.wantMsg) {
				t.Errorf("result = patch %s, message %q, err %v\nwant patch %s, message %q", r.Patch, r.Message, r.Err, tt.wantPatch, tt.wantMsg)
			}
			ps := patchImpls(f.client)
			if len(ps) != 1 {
				t.Fatalf("%d patch requests, want 1", len(ps))
			}
			p := ps[0]
			if p.PatchType != "application/strategic-merge-patch+json" || p.PatchOptions.FieldManager != FieldManager ||
				strings.Join(p.PatchOptions.DryRun, ",") != strings.Join(tt.wantDryRun, ",") || string(p.Patch) != tt.wantPatch {
				t.Errorf("patch request: type %s, manager %q, dryRun %v, body %s", p.PatchType, p.PatchOptions.FieldManager, p.PatchOptions.DryRun, p.Patch)
			}
		})
	}
}

func TestTUISourceApplyRefusals(t *testing.T) {
	ctx := context.Background()
	api := tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "api"}
	to := model.Resources{CPUMillicores: 120, MemoryBytes: 200 * model.MiB}
	tests := []struct {
		name    string
		change  tui.Change
		forbid  bool
		wantErr string
		wantMsg string
	}{
		{"forbidden", tui.Change{Ref: api, Containers: []tui.ContainerChange{{Name: "api", To: to}}}, true,
			"forbidden: patch demo/deployment/api: deployments.apps \"api\" is forbidden: RBAC says no; nothing was changed: ask for patch rights on deployment.apps", ""},
		{"unknown container", tui.Change{Ref: api, Containers: []tui.ContainerChange{{Name: "sidecar", To: to}}}, false,
			`container "sidecar" not found in demo/Deployment/api: press R to refresh`, ""},
		{"not listed", tui.Change{Ref: tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "gone"}}, false,
			"demo/Deployment/gone is no longer listed: press R to refresh", ""},
		{"bare pod", tui.Change{Ref: tui.Ref{Namespace: "demo", Kind: "Pod", Name: "debug"}, Containers: []tui.ContainerChange{{Name: "main", To: to}}}, false,
			"a bare Pod's resources change only in place (--mode in-place)", ""},
		{"nothing to change", tui.Change{Ref: api, Containers: []tui.ContainerChange{{Name: "api", To: model.Resources{CPUMillicores: 100, MemoryBytes: 128 * model.MiB}}}}, false,
			"", "nothing to change: the requests already match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTUIFixture(t)
			if tt.forbid {
				f.client.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "api", errors.New("RBAC says no"))
				})
			}
			if _, err := f.src.List(ctx, "vpa"); err != nil {
				t.Fatal(err)
			}
			res, err := f.src.Apply(ctx, []tui.Change{tt.change})
			if err != nil || len(res) != 1 {
				t.Fatalf("results %v, err %v", res, err)
			}
			gotErr := ""
			if res[0].Err != nil {
				gotErr = res[0].Err.Error()
			}
			if gotErr != tt.wantErr || res[0].Message != tt.wantMsg {
				t.Errorf("err %q, message %q; want err %q, message %q", gotErr, res[0].Message, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func TestTUISourcePermission(t *testing.T) {
	tests := []struct {
		name       string
		namespace  string
		allowed    map[string]bool
		reviewErr  error
		wantPatch  bool
		wantReason string
	}{
		{"deployments allowed", "demo", map[string]bool{"deployments": true}, nil, true, ""},
		{"cronjobs only", "demo", map[string]bool{"cronjobs": true}, nil, true, ""},
		{"view-only", "demo", nil, nil, false,
			"RBAC forbids patching workloads in namespace demo for system:serviceaccount:smartvpa-system:viewer"},
		{"view-only, all namespaces", "", nil, nil, false,
			"RBAC forbids patching workloads in all namespaces for system:serviceaccount:smartvpa-system:viewer"},
		{"review refused", "demo", nil, apierrors.NewForbidden(schema.GroupResource{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}, "", errors.New("no")), true,
			"permission unknown (access review refused); the dry-run will tell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewSimpleClientset()
			var asked []string
			client.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if tt.reviewErr != nil {
					return true, nil, tt.reviewErr
				}
				r := a.(k8stesting.CreateAction).GetObject().(*authzv1.SelfSubjectAccessReview)
				ra := r.Spec.ResourceAttributes
				if ra.Verb != "patch" || ra.Namespace != tt.namespace {
					t.Errorf("review of %s in %q", ra.Verb, ra.Namespace)
				}
				asked = append(asked, ra.Resource)
				r.Status.Allowed = tt.allowed[ra.Resource]
				return true, r, nil
			})
			client.PrependReactor("create", "selfsubjectreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, &authnv1.SelfSubjectReview{Status: authnv1.SelfSubjectReviewStatus{UserInfo: authnv1.UserInfo{Username: "system:serviceaccount:smartvpa-system:viewer"}}}, nil
			})
			src := &TUISource{Client: client, Namespace: tt.namespace}
			p, err := src.Permission(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if p.CanPatch != tt.wantPatch || p.Reason != tt.wantReason {
				t.Errorf("permission = %+v, want CanPatch %v, reason %q (asked %v)", p, tt.wantPatch, tt.wantReason, asked)
			}
			if !tt.wantPatch && strings.Join(asked, ",") != "deployments,statefulsets,daemonsets,replicasets,cronjobs" {
				t.Errorf("read-only after asking about %v, want every patched kind", asked)
			}
		})
	}
}

// managed returns managedFields in which manager owns the requests of the
// named containers under the pod spec at path.
func managed(manager string, path []string, list string, names ...string) []metav1.ManagedFieldsEntry {
	cs := map[string]any{}
	for _, n := range names {
		k, _ := json.Marshal(map[string]string{"name": n})
		cs["k:"+string(k)] = map[string]any{".": map[string]any{}, "f:resources": map[string]any{"f:requests": map[string]any{"f:cpu": map[string]any{}, "f:memory": map[string]any{}}}}
	}
	var body map[string]any = map[string]any{list: cs}
	for i := len(path) - 1; i >= 0; i-- {
		body = map[string]any{"f:" + path[i]: body}
	}
	raw, _ := json.Marshal(body)
	return []metav1.ManagedFieldsEntry{{Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate, FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: raw}}}
}

func TestRequestsManagedBySmartVPA(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	side := container("proxy", "20m", "32Mi", "", "")
	side.RestartPolicy = &always
	tests := []struct {
		name   string
		object func() runtime.Object
		want   string
	}{
		{"deployment, smartvpa", func() runtime.Object {
			d := deployment("demo", "api", 1, container("api", "100m", "128Mi", "", ""), container("log", "10m", "16Mi", "", ""))
			d.ManagedFields = managed(FieldManager, []string{"spec", "template", "spec"}, "f:containers", "api")
			return d
		}, "api"},
		{"deployment, someone else", func() runtime.Object {
			d := deployment("demo", "api", 1, container("api", "100m", "128Mi", "", ""))
			d.ManagedFields = managed("kubectl-client-side-apply", []string{"spec", "template", "spec"}, "f:containers", "api")
			return d
		}, ""},
		{"cronjob and native sidecar", func() runtime.Object {
			c := cronJob("demo", "report", container("report", "500m", "512Mi", "", ""))
			c.Spec.JobTemplate.Spec.Template.Spec.InitContainers = []corev1.Container{side}
			c.ManagedFields = append(managed(FieldManager, []string{"spec", "jobTemplate", "spec", "template", "spec"}, "f:containers", "report"),
				managed(FieldManager, []string{"spec", "jobTemplate", "spec", "template", "spec"}, "f:initContainers", "proxy")...)
			return c
		}, "proxy report"},
		{"cronjob owned at the wrong path", func() runtime.Object {
			c := cronJob("demo", "report", container("report", "500m", "512Mi", "", ""))
			c.ManagedFields = managed(FieldManager, []string{"spec", "template", "spec"}, "f:containers", "report")
			return c
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := requestsManagedBySmartVPA(NewWorkload(tt.object()))
			var names []string
			for _, n := range []string{"api", "log", "proxy", "report"} {
				if got[n] {
					names = append(names, n)
				}
			}
			if s := strings.Join(names, " "); s != tt.want {
				t.Errorf("owned = %q, want %q", s, tt.want)
			}
		})
	}
}

func TestTUIWorkloadApplied(t *testing.T) {
	rec := model.Recommendation{
		Lower:  model.Resources{CPUMillicores: 100.4, MemoryBytes: 190.5 * model.MiB},
		Target: model.Resources{CPUMillicores: 119.2, MemoryBytes: 199.5 * model.MiB},
		Upper:  model.Resources{CPUMillicores: 150.2, MemoryBytes: 250.2 * model.MiB},
	}
	tests := []struct {
		name  string
		owner string
		req   model.Resources
		hpa   *HPAInfo
		want  bool
	}{
		{"set by smartvpa to the target", FieldManager, model.Resources{CPUMillicores: 120, MemoryBytes: 200 * model.MiB}, nil, true},
		{"set by smartvpa, within the bounds", FieldManager, model.Resources{CPUMillicores: 151, MemoryBytes: 190 * model.MiB}, nil, true},
		{"set by smartvpa, above the upper bound", FieldManager, model.Resources{CPUMillicores: 152, MemoryBytes: 200 * model.MiB}, nil, false},
		{"HPA resource not compared", FieldManager, model.Resources{CPUMillicores: 1000, MemoryBytes: 200 * model.MiB}, &HPAInfo{Name: "api", Resources: []model.Resource{model.CPU}}, true},
		{"set by someone else", "kubectl-edit", model.Resources{CPUMillicores: 120, MemoryBytes: 200 * model.MiB}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deployment("demo", "api", 1, container("api", "120m", "200Mi", "", ""))
			d.ManagedFields = managed(tt.owner, []string{"spec", "template", "spec"}, "f:containers", "api")
			w := NewWorkload(d)
			r := rec
			wr := &WorkloadReport{Namespace: "demo", Kind: KindDeployment, Name: "api", HPA: tt.hpa, workload: w,
				Containers: []ContainerReport{{Name: "api", Requests: tt.req, Recommendation: &r, Confidence: ConfidenceHigh}}}
			if got := tuiWorkload(wr).Applied; got != tt.want {
				t.Errorf("Applied = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConfidenceScore(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		grade Confidence
		span  time.Duration
		want  float64
	}{
		{ConfidenceNone, 0, 0},
		{ConfidenceLow, 0, 0},
		{ConfidenceLow, 12 * time.Hour, 0.15},
		{ConfidenceLow, 2 * day, 0.29}, // live sampling is low whatever the span
		{ConfidenceMedium, day, 0.3},
		{ConfidenceMedium, 4 * day, 0.5},
		{ConfidenceHigh, 8 * day, 1},
	}
	for _, tt := range tests {
		t.Run(string(tt.grade)+" "+tt.span.String(), func(t *testing.T) {
			got := confidenceScore(ContainerReport{Confidence: tt.grade, HistorySpan: Duration(tt.span)})
			if math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("score = %v, want %v", got, tt.want)
			}
		})
	}
}

// The UI calls the source from commands on several goroutines (go test -race).
func TestTUISourceConcurrentCalls(t *testing.T) {
	f := newTUIFixture(t)
	ctx := context.Background()
	if _, err := f.src.List(ctx, "vpa"); err != nil {
		t.Fatal(err)
	}
	api := tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "api"}
	ch := tui.Change{Ref: api, Containers: []tui.ContainerChange{{Name: "api", To: model.Resources{CPUMillicores: 120, MemoryBytes: 200 * model.MiB}}}}
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for i := 0; i < 10; i++ {
		wg.Add(3)
		go func() { defer wg.Done(); _, err := f.src.List(ctx, "vpa"); errs <- err }()
		go func() { defer wg.Done(); _, err := f.src.Detail(ctx, api, "vpa"); errs <- err }()
		go func() { defer wg.Done(); _, err := f.src.DryRun(ctx, []tui.Change{ch}); errs <- err }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// blockingSource serves a history only when released.
type blockingSource struct {
	h        *History
	started  chan struct{}
	released chan struct{}
}

func (b *blockingSource) Name() string { return "prometheus" }

func (b *blockingSource) History(ctx context.Context, _ []*Workload, _ time.Time) (*History, error) {
	b.started <- struct{}{}
	select {
	case <-b.released:
		return b.h, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// A dry-run does not wait for a refresh whose history fetch is slow (e.g.
// --history live --sample-for 2m).
func TestTUISourceDryRunDuringSlowRefresh(t *testing.T) {
	f := newTUIFixture(t)
	ctx := context.Background()
	if _, err := f.src.List(ctx, "vpa"); err != nil {
		t.Fatal(err)
	}
	slow := &blockingSource{h: f.history.h, started: make(chan struct{}, 1), released: make(chan struct{})}
	f.src.Engine.Sources = []HistorySource{slow}
	f.now = f.now.Add(2 * time.Minute) // the cached history is stale: the next List fetches
	listed := make(chan error, 1)
	go func() { _, err := f.src.List(ctx, "vpa"); listed <- err }()
	<-slow.started
	done := make(chan []tui.Result, 1)
	go func() {
		res, _ := f.src.DryRun(ctx, []tui.Change{{Ref: tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "api"},
			Containers: []tui.ContainerChange{{Name: "api", To: model.Resources{CPUMillicores: 120, MemoryBytes: 200 * model.MiB}}}}})
		done <- res
	}()
	select {
	case res := <-done:
		if len(res) != 1 || res[0].Err != nil {
			t.Errorf("dry-run during the fetch: %+v", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the dry-run waited for the history fetch")
	}
	close(slow.released)
	if err := <-listed; err != nil {
		t.Fatal(err)
	}
}

// hpaLists counts the HPA list calls, one per computed report.
func hpaLists(c *fake.Clientset) int {
	n := 0
	for _, a := range c.Actions() {
		if a.GetVerb() == "list" && a.GetResource().Resource == "horizontalpodautoscalers" {
			n++
		}
	}
	return n
}

func TestTUISourceReportCache(t *testing.T) {
	f := newTUIFixture(t)
	ctx := context.Background()
	f.src.Names = []string{"vpa", "autopilot"}
	steps := []struct {
		name        string
		rec         string
		advance     time.Duration
		webVersion  string
		wantReports int
	}{
		{"first list computes", "vpa", 0, "1", 1},
		{"same history and workloads: reused", "vpa", 10 * time.Second, "1", 1},
		{"other recommender computes", "autopilot", 0, "1", 2},
		{"first recommender still cached", "vpa", 0, "1", 2},
		{"workload changed: computes", "vpa", 0, "2", 3},
		{"new history: computes", "vpa", time.Minute, "2", 4},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			f.now = f.now.Add(s.advance)
			f.webVersion = s.webVersion
			rows, err := f.src.List(ctx, s.rec)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 5 {
				t.Fatalf("%d rows", len(rows))
			}
			if got := hpaLists(f.client); got != s.wantReports {
				t.Fatalf("%d reports computed, want %d", got, s.wantReports)
			}
		})
	}
}
