package stressdeploy

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/smartvpa/smartvpa/workloads"
)

func testDeployment() *Deployment {
	return &Deployment{Namespace: "load", Name: "stress", Trace: stepTrace("step"), AgentImage: "agent:v1", ServerImage: "server:v1",
		Replicas: 2, Speedup: 60, Interval: "5s", Token: "tok", CPURequest: resource.MustParse("250m"), MemoryRequest: resource.MustParse("256Mi")}
}

func TestControllerApplyDelete(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	created, err := Apply(ctx, c, testDeployment())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"configmap/stress-workload", "secret/stress-token", "service/stress-server", "service/stress", "deployment/stress-server", "deployment/stress"}
	if !slices.Equal(created, want) {
		t.Fatalf("created %v, want %v", created, want)
	}
	agents, err := c.AppsV1().Deployments("load").Get(ctx, "stress", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctr := agents.Spec.Template.Spec.Containers[0]
	if *agents.Spec.Replicas != 2 || ctr.Image != "agent:v1" || !slices.Equal(ctr.Args, []string{"--workload", "step", "--service", "stress", "--speedup", "60"}) {
		t.Fatalf("agent deployment: replicas %d image %s args %v", *agents.Spec.Replicas, ctr.Image, ctr.Args)
	}
	env := map[string]string{}
	for _, e := range ctr.Env {
		env[e.Name] = e.Value
	}
	if env["SMARTVPA_STRESS_SERVER"] != "http://stress-server.load.svc:8090" {
		t.Fatalf("agent env %v", env)
	}
	server, err := c.AppsV1().Deployments("load").Get(ctx, "stress-server", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if args := strings.Join(server.Spec.Template.Spec.Containers[0].Args, " "); args != "--listen 0.0.0.0:8090 --store /data/workloads --workload step --interval 5s --speedup 60" {
		t.Fatalf("server args %q", args)
	}
	cm, err := c.CoreV1().ConfigMaps("load").Get(ctx, "stress-workload", metav1.GetOptions{})
	if err != nil || !strings.HasPrefix(cm.Data["trace.csv"], "timestamp,cpu_millicores,memory_bytes\n") {
		t.Fatalf("configmap %v %v", cm, err)
	}

	// a second run with the same name is refused with what to do
	if _, err := Apply(ctx, c, testDeployment()); err == nil || err.Error() != "configmap load/stress-workload already exists: run 'kubectl smartvpa stress delete --name stress -n load' first" {
		t.Fatalf("second apply: %v", err)
	}

	deleted, err := Delete(ctx, c, "load", "stress")
	if err != nil {
		t.Fatal(err)
	}
	if len(deleted) != 6 {
		t.Fatalf("deleted %v", deleted)
	}
	deps, _ := c.AppsV1().Deployments("load").List(ctx, metav1.ListOptions{})
	svcs, _ := c.CoreV1().Services("load").List(ctx, metav1.ListOptions{})
	cms, _ := c.CoreV1().ConfigMaps("load").List(ctx, metav1.ListOptions{})
	secs, _ := c.CoreV1().Secrets("load").List(ctx, metav1.ListOptions{})
	if n := len(deps.Items) + len(svcs.Items) + len(cms.Items) + len(secs.Items); n != 0 {
		t.Fatalf("%d objects left after delete", n)
	}
}

func TestControllerWorkloadTooLarge(t *testing.T) {
	d := testDeployment()
	tr := stepTrace("big")
	for i := 4; i < 40000; i++ {
		tr.Append(tr.Times[0].Add(tr.Times[1].Sub(tr.Times[0])*time.Duration(i)), 123.456, 123456789)
	}
	d.Trace = tr
	_, _, _, _, err := d.Objects()
	if err == nil || !strings.Contains(err.Error(), "more than a ConfigMap holds (1 MiB): use a shorter workload or a longer interval") {
		t.Fatalf("got %v", err)
	}
}

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// stepTrace is a 4-minute step workload (stress's test fixture of that name).
func stepTrace(id string) *workloads.Trace {
	t := &workloads.Trace{ID: id}
	t.Meta.Interval = time.Minute
	for i, v := range [][2]float64{{100, 64 << 20}, {500, 128 << 20}, {300, 256 << 20}, {200, 64 << 20}} {
		t.Append(t0.Add(time.Duration(i)*time.Minute), v[0], v[1])
	}
	return t
}
