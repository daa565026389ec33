package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/kube"
)

var applyNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func webDeployment() *appsv1.Deployment {
	one := int32(1)
	labels := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web", Generation: 1},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "app", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")}}}}}}},
	}
}

// applyReport recommends for deployment web from samples of app's usage
// (live: a single snapshot, low confidence; else 8 days of 5-minute samples).
func applyReport(t *testing.T, live bool, notes []string) *kube.Report {
	t.Helper()
	w := kube.NewWorkload(webDeployment())
	h := kube.NewHistory("prometheus")
	n := 8 * 24 * 12
	if live {
		h = kube.NewHistory("live")
		h.LowConfidence = true
		n = 1
	}
	k := kube.ContainerKey{Workload: w.Key(), Container: "app"}
	for i := range n {
		h.Samples[k] = append(h.Samples[k], model.Sample{Time: applyNow.Add(-time.Duration(n-i) * 5 * time.Minute), CPUMillicores: 240, MemoryBytes: 300 * model.MiB})
	}
	e := &kube.Engine{Recommender: "vpa", Floors: model.Resources{CPUMillicores: 10, MemoryBytes: 32 * model.MiB}}
	rep, err := e.Recommend(context.Background(), []*kube.Workload{w}, h, notes, applyNow)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func applyOptions(client *fake.Clientset, out *bytes.Buffer) *ApplyOptions {
	return &ApplyOptions{IOStreams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: out},
		liveOptions: liveOptions{cmd: "kubectl smartvpa apply", History: "auto", clients: &liveClients{client: client}},
		DryRun:      "none", Mode: "patch", Yes: true, WatchTimeout: time.Minute, now: applyNow, isTerminal: func() bool { return false }}
}

func patches(client *fake.Clientset) int {
	n := 0
	for _, a := range client.Actions() {
		if _, ok := a.(k8stesting.PatchAction); ok {
			n++
		}
	}
	return n
}

// Issue 20 case 18: with Prometheus down, apply shows the history notes and
// the confidence, and refuses a single live snapshot unless
// --allow-low-confidence.
func TestApplyLowConfidence(t *testing.T) {
	notes := []string{"--history auto chose live", "prometheus: query_range: dial tcp 127.0.0.1:9090: connect: connection refused"}
	tests := []struct {
		name     string
		live     bool
		allow    bool
		dryRun   string
		wantCode int
		wantErr  string
		patched  bool
	}{
		{name: "live snapshot refused", live: true, wantCode: exitUsage,
			wantErr: "refusing to apply low-confidence recommendations (demo/deployment/web container app: a single snapshot from live sampling): " +
				"give it more history (--prometheus-url, or serve's checkpoints after a day) or pass --allow-low-confidence"},
		{name: "live snapshot allowed", live: true, allow: true, patched: true},
		{name: "live snapshot server dry run says it would refuse", live: true, dryRun: "server", patched: true},
		{name: "eight days of history", live: false, patched: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewSimpleClientset(webDeployment())
			var out bytes.Buffer
			o := applyOptions(client, &out)
			o.AllowLowConfidence = tt.allow
			if tt.dryRun != "" {
				o.DryRun = tt.dryRun
			}
			err := o.apply(context.Background(), applyReport(t, tt.live, notes))
			if code := exitCode(err); code != tt.wantCode {
				t.Fatalf("exit %d, want %d: %v\n%s", code, tt.wantCode, err, out.String())
			}
			if tt.wantErr != "" && err.Error() != tt.wantErr {
				t.Errorf("err = %q\nwant  %q", err, tt.wantErr)
			}
			if got := patches(client) > 0; got != tt.patched {
				t.Errorf("patched = %v, want %v\n%s", got, tt.patched, out.String())
			}
			for _, n := range notes {
				if !strings.Contains(out.String(), "note: "+n+"\n") {
					t.Errorf("output lacks history note %q:\n%s", n, out.String())
				}
			}
			conf := "    confidence high\n"
			if tt.live {
				conf = "    confidence low: a single snapshot from live sampling\n"
			}
			if !strings.Contains(out.String(), conf) {
				t.Errorf("output lacks %q:\n%s", conf, out.String())
			}
			if tt.dryRun != "" && !strings.Contains(out.String(), "note: without --dry-run, apply refuses these low-confidence recommendations") {
				t.Errorf("dry run does not say apply would refuse:\n%s", out.String())
			}
		})
	}
}

// Issue 20 case 19: --watch outcomes are cluster outcomes (exit 3), and the
// workload is named once in the error.
func TestApplyWatchExitCodes(t *testing.T) {
	oomPod := func() runtime.Object {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web-1", Labels: map[string]string{"app": "web"}},
			Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "app", LastTerminationState: corev1.ContainerState{
				Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", FinishedAt: metav1.Time{Time: time.Now().Add(time.Hour)}}}}}}}
	}
	tests := []struct {
		name    string
		objs    []runtime.Object
		timeout time.Duration
		wantErr string
		wantCPU string
	}{
		{name: "rollout not complete", timeout: time.Nanosecond,
			wantErr: "demo/deployment/web: rollout not complete after 1ns", wantCPU: "296m"},
		{name: "rolled back after an OOM kill", objs: []runtime.Object{oomPod()}, timeout: time.Minute,
			wantErr: "demo/deployment/web: rolled back after pod web-1 container app was OOMKilled", wantCPU: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewSimpleClientset(append([]runtime.Object{webDeployment()}, tt.objs...)...)
			var out bytes.Buffer
			o := applyOptions(client, &out)
			o.Watch, o.WatchTimeout = true, tt.timeout
			err := o.apply(context.Background(), applyReport(t, false, nil))
			if code := exitCode(err); code != exitCluster {
				t.Fatalf("exit %d, want %d: %v\n%s", code, exitCluster, err, out.String())
			}
			if err.Error() != tt.wantErr {
				t.Errorf("err = %q, want %q", err, tt.wantErr)
			}
			d, _ := client.AppsV1().Deployments("demo").Get(context.Background(), "web", metav1.GetOptions{})
			if got := d.Spec.Template.Spec.Containers[0].Resources.Requests.Cpu().String(); got != tt.wantCPU {
				t.Errorf("cpu request = %s, want %s\n%s", got, tt.wantCPU, out.String())
			}
		})
	}
}

// Issue 20 case 17: a workload changed while the prompt waited is not
// applied, and that is a cluster outcome (exit 3).
func TestApplyConflictExit(t *testing.T) {
	client := fake.NewSimpleClientset(webDeployment())
	rep := applyReport(t, false, nil)
	d := webDeployment()
	d.Spec.Template.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("500m")
	if _, err := client.AppsV1().Deployments("demo").Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := applyOptions(client, &out).apply(context.Background(), rep)
	var conflict *kube.ConflictError
	if exitCode(err) != exitCluster || !errors.As(err, &conflict) {
		t.Fatalf("exit %d, err %v: want 3 and a conflict\n%s", exitCode(err), err, out.String())
	}
	if patches(client) != 0 {
		t.Errorf("patched after a conflict")
	}
}
