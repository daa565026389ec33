package kube

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/smartvpa/smartvpa/core/model"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file %s: %v (run go test -update)", path, err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs (run go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

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
	return []metav1.OwnerReference{{APIVersion: APIVersion(kind), Kind: kind, Name: name, UID: uid, Controller: &t}}
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
		rs.OwnerReferences = ctrl(KindDeployment, owner, types.UID("d-"+owner))
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
		j.OwnerReferences = ctrl(KindCronJob, cronOwner, types.UID("cj-"+cronOwner))
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
func demoSnapshot() ([]*appsv1.Deployment, *Snapshot) {
	web := deployment("demo", "web", 2, container("web", "1", "1Gi", "", "1Gi"))
	api := deployment("demo", "api", 1, container("api", "100m", "128Mi", "200m", "512Mi"))
	snap := &Snapshot{
		ReplicaSets: []appsv1.ReplicaSet{*replicaSet("demo", "web-7d9c5", "web"), *replicaSet("demo", "api-5f6b8", "api"), *replicaSet("demo", "lonely", "")},
		Jobs:        []batchv1.Job{*job("demo", "report-29000000", "report", container("report", "500m", "512Mi", "", ""))},
	}
	p1 := pod("demo", "web-7d9c5-abcde", ctrl(KindReplicaSet, "web-7d9c5", "rs-web-7d9c5"), map[string]string{"app": "web"}, container("web", "1", "1Gi", "", "1Gi"))
	p2 := pod("demo", "web-7d9c5-fghij", ctrl(KindReplicaSet, "web-7d9c5", "rs-web-7d9c5"), map[string]string{"app": "web"}, container("web", "1", "1Gi", "", "1Gi"))
	p2.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{Reason: "OOMKilled", FinishedAt: metav1.Time{Time: t0.Add(-time.Hour)}}
	p3 := pod("demo", "api-5f6b8-klmno", ctrl(KindReplicaSet, "api-5f6b8", "rs-api-5f6b8"), map[string]string{"app": "api"}, container("api", "100m", "128Mi", "200m", "512Mi"))
	p4 := pod("demo", "report-29000000-pqrst", ctrl(KindJob, "report-29000000", "j-report-29000000"), nil, container("report", "500m", "512Mi", "", ""))
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
