package tuisource

import (
	"context"
	"encoding/json"
	"math"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/tui"
)

// The fixtures are those of package kube's tests (fixtures_test.go there),
// the ones the source needs.

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func rl(cpu, mem string) corev1.ResourceList {
	l := corev1.ResourceList{}
	if cpu != "" {
		l[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	if mem != "" {
		l[corev1.ResourceMemory] = resource.MustParse(mem)
	}
	return l
}

func container(name, reqCPU, reqMem, limCPU, limMem string) corev1.Container {
	return corev1.Container{Name: name, Image: "pause", Resources: corev1.ResourceRequirements{Requests: rl(reqCPU, reqMem), Limits: rl(limCPU, limMem)}}
}

func int32p(i int32) *int32 { return &i }

func ctrl(kind, name string, uid types.UID) []metav1.OwnerReference {
	t := true
	return []metav1.OwnerReference{{APIVersion: kube.APIVersion(kind), Kind: kind, Name: name, UID: uid, Controller: &t}}
}

func deployment(ns, name string, replicas int32, cs ...corev1.Container) *appsv1.Deployment {
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("d-" + name), Labels: map[string]string{"app": name}},
		Spec: appsv1.DeploymentSpec{
			Replicas: int32p(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}, Spec: corev1.PodSpec{Containers: cs}},
		},
	}
}

func replicaSet(ns, name, owner string) *appsv1.ReplicaSet {
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("rs-" + name)}}
	if owner != "" {
		rs.OwnerReferences = ctrl(kube.KindDeployment, owner, types.UID("d-"+owner))
	}
	return rs
}

func pod(ns, name string, owner []metav1.OwnerReference, labels map[string]string, cs ...corev1.Container) *corev1.Pod {
	p := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, OwnerReferences: owner, Labels: labels},
		Spec:       corev1.PodSpec{Containers: cs},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &metav1.Time{Time: t0.Add(-48 * time.Hour)}},
	}
	for _, c := range cs {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Ready: true})
	}
	return p
}

func cronJob(ns, name string, cs ...corev1.Container) *batchv1.CronJob {
	return &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("cj-" + name)},
		Spec: batchv1.CronJobSpec{Schedule: "*/10 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: cs}},
		}}},
	}
}

func job(ns, name, cronOwner string, cs ...corev1.Container) *batchv1.Job {
	j := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("j-" + name)},
		Spec:       batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: cs}}},
	}
	if cronOwner != "" {
		j.OwnerReferences = ctrl(kube.KindCronJob, cronOwner, types.UID("cj-"+cronOwner))
	}
	return j
}

func hpa(ns, name, target string, res ...corev1.ResourceName) *autoscalingv2.HorizontalPodAutoscaler {
	h := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: target},
			MaxReplicas:    6,
		},
	}
	for _, r := range res {
		h.Spec.Metrics = append(h.Spec.Metrics, autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: r}})
	}
	return h
}

// demoSnapshot is a namespace with a Deployment (2 pods, one with an OOM
// kill), a CronJob with a Job and its pod, and a bare pod with a native
// sidecar.
func demoSnapshot() ([]*appsv1.Deployment, *kube.Snapshot) {
	web := deployment("demo", "web", 2, container("web", "1", "1Gi", "", "1Gi"))
	api := deployment("demo", "api", 1, container("api", "100m", "128Mi", "200m", "512Mi"))
	snap := &kube.Snapshot{
		ReplicaSets: []appsv1.ReplicaSet{*replicaSet("demo", "web-7d9c5", "web"), *replicaSet("demo", "api-5f6b8", "api"), *replicaSet("demo", "lonely", "")},
		Jobs:        []batchv1.Job{*job("demo", "report-29000000", "report", container("report", "500m", "512Mi", "", ""))},
	}
	p1 := pod("demo", "web-7d9c5-abcde", ctrl(kube.KindReplicaSet, "web-7d9c5", "rs-web-7d9c5"), map[string]string{"app": "web"}, container("web", "1", "1Gi", "", "1Gi"))
	p2 := pod("demo", "web-7d9c5-fghij", ctrl(kube.KindReplicaSet, "web-7d9c5", "rs-web-7d9c5"), map[string]string{"app": "web"}, container("web", "1", "1Gi", "", "1Gi"))
	p2.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{Reason: "OOMKilled", FinishedAt: metav1.Time{Time: t0.Add(-time.Hour)}}
	p3 := pod("demo", "api-5f6b8-klmno", ctrl(kube.KindReplicaSet, "api-5f6b8", "rs-api-5f6b8"), map[string]string{"app": "api"}, container("api", "100m", "128Mi", "200m", "512Mi"))
	p4 := pod("demo", "report-29000000-pqrst", ctrl(kube.KindJob, "report-29000000", "j-report-29000000"), nil, container("report", "500m", "512Mi", "", ""))
	always := corev1.ContainerRestartPolicyAlways
	bare := pod("demo", "debug", nil, map[string]string{"app": "debug"}, container("main", "50m", "64Mi", "", ""))
	side := container("proxy", "20m", "32Mi", "", "")
	side.RestartPolicy = &always
	bare.Spec.InitContainers = []corev1.Container{side, container("init", "10m", "16Mi", "", "")}
	snap.Pods = []corev1.Pod{*p1, *p2, *p3, *p4, *bare}
	return []*appsv1.Deployment{web, api}, snap
}

// series makes n samples every step from start with usage f(i).
func series(start time.Time, step time.Duration, n int, f func(i int) (cpu, mem float64)) []model.Sample {
	out := make([]model.Sample, n)
	for i := range out {
		c, m := f(i)
		out[i] = model.Sample{Time: start.Add(time.Duration(i) * step), CPUMillicores: c, MemoryBytes: m}
	}
	return out
}

// managed returns managedFields in which manager owns the requests of the
// named containers under the pod spec at path.
func managed(manager string, path []string, list string, names ...string) []metav1.ManagedFieldsEntry {
	cs := map[string]any{}
	for _, n := range names {
		k, _ := json.Marshal(map[string]string{"name": n})
		cs["k:"+string(k)] = map[string]any{".": map[string]any{}, "f:resources": map[string]any{"f:requests": map[string]any{"f:cpu": map[string]any{}, "f:memory": map[string]any{}}}}
	}
	body := map[string]any{list: cs}
	for i := len(path) - 1; i >= 0; i-- {
		body = map[string]any{"f:" + path[i]: body}
	}
	raw, _ := json.Marshal(body)
	return []metav1.ManagedFieldsEntry{{Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(string(raw))}}
}

// countingSource is a kube.HistorySource that serves a fixed history and counts
// its calls.
type countingSource struct {
	mu    sync.Mutex
	h     *kube.History
	calls int
}

func (c *countingSource) Name() string { return "prometheus" }

func (c *countingSource) History(context.Context, []*kube.Workload, time.Time) (*kube.History, error) {
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

// tuiFixture is the demo snapshot behind a Source: web (2 pods, an HPA on
// cpu, 8 days of history), api (12 hours of history), the CronJob and the
// bare pod (no history); the clock stands at t0.
type tuiFixture struct {
	src     *Source
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
	h := kube.NewHistory("prometheus")
	h.Samples[kube.ContainerKey{Workload: "demo/Deployment/web", Container: "web"}] = series(t0.Add(-8*24*time.Hour), 5*time.Minute, 8*24*12, func(i int) (float64, float64) {
		x := math.Sin(2 * math.Pi * float64(i) / (24 * 12))
		return 350 + 250*x, (400 + 20*x) * model.MiB
	})
	h.Samples[kube.ContainerKey{Workload: "demo/Deployment/api", Container: "api"}] = series(t0.Add(-12*time.Hour), 5*time.Minute, 12*12, func(int) (float64, float64) {
		return 150, 260 * model.MiB
	})
	f.history = &countingSource{h: h}
	f.src = &Source{
		Resolve: func(context.Context) ([]*kube.Workload, error) {
			f.resolve++
			deps, snap := demoSnapshot() // fresh objects, as a new list would give
			deps[0].ResourceVersion = f.webVersion
			objs := []runtime.Object{deps[0], deps[1], cronJob("demo", "report", container("report", "500m", "512Mi", "", ""))}
			return kube.Group(objs, snap, true, labels.Everything()), nil
		},
		Engine: &kube.Engine{Floors: model.Resources{CPUMillicores: kube.DefaultMinCPUMillicores, MemoryBytes: kube.DefaultMinMemoryBytes},
			CPUPrice: kube.DefaultCPUPrice, MemoryPrice: kube.DefaultMemoryPrice, Client: f.client, Sources: []kube.HistorySource{f.history}},
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
