package emulate

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/kube/kwokusage"
	"github.com/smartvpa/smartvpa/kube/stressdeploy"
	"github.com/smartvpa/smartvpa/workloads"
)

func TestKwokPodAndDrive(t *testing.T) {
	k := &Kwok{}
	p := k.Pod("emu-1", model.Resources{CPUMillicores: 1500, MemoryBytes: model.GiB}, model.Resources{MemoryBytes: model.GiB},
		model.Sample{CPUMillicores: 400, MemoryBytes: 300 * model.MiB})
	p.Namespace = "ns"
	c := p.Spec.Containers[0]
	if c.Name != ContainerName || c.Resources.Requests.Cpu().String() != "1500m" || c.Resources.Limits.Memory().String() != "1Gi" || !c.Resources.Limits.Cpu().IsZero() {
		t.Errorf("container %s resources %+v: want %s, 1500m/1Gi requested, 1Gi memory limit, no CPU limit", c.Name, c.Resources, ContainerName)
	}
	if p.Annotations[kwokusage.AnnotationCPU] != "400m" || p.Annotations[kwokusage.AnnotationMemory] != "307200Ki" {
		t.Errorf("annotations %v", p.Annotations)
	}
	client := fake.NewClientset(p)
	if err := k.Drive(context.Background(), client, p, model.Sample{CPUMillicores: 900, MemoryBytes: 600 * model.MiB}); err != nil {
		t.Fatal(err)
	}
	got, err := client.CoreV1().Pods("ns").Get(context.Background(), "emu-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Annotations[kwokusage.AnnotationCPU] != "900m" || p.Annotations[kwokusage.AnnotationCPU] != "900m" {
		t.Errorf("after Drive: server %v, local copy %v", got.Annotations, p.Annotations)
	}
	// driving the same usage again makes no call
	before := len(client.Actions())
	if err := k.Drive(context.Background(), client, p, model.Sample{CPUMillicores: 900, MemoryBytes: 600 * model.MiB}); err != nil {
		t.Fatal(err)
	}
	if n := len(client.Actions()) - before; n != 0 {
		t.Errorf("Drive with unchanged usage made %d calls", n)
	}
}

func TestStressBackend(t *testing.T) {
	tr, err := workloads.Generate("step", nil, 1, 6*time.Hour, 5*time.Minute, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	tr.ID, tr.Meta.ID = "step-x", "step-x"
	s := &Stress{Deployment: &stressdeploy.Deployment{Name: "emu-step-x", Trace: tr, AgentImage: "agent:dev", ServerImage: "server:dev",
		Speedup: 60, Interval: "1s", Replicas: 3, CPURequest: resource.MustParse("100m"), MemoryRequest: resource.MustParse("128Mi")}}
	client := fake.NewClientset()
	if err := s.Setup(context.Background(), client, "ns"); err != nil {
		t.Fatal(err)
	}
	deps, err := client.AppsV1().Deployments("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var agents *metav1.LabelSelector
	for _, d := range deps.Items {
		if d.Name == "emu-step-x" {
			agents = d.Spec.Selector
			if *d.Spec.Replicas != 0 {
				t.Errorf("agent Deployment has %d replicas, want 0 (the emulator creates the pod)", *d.Spec.Replicas)
			}
		}
	}
	if agents == nil {
		t.Fatalf("no agent Deployment among %d", len(deps.Items))
	}
	p := s.Pod("emu-step-x-1", model.Resources{CPUMillicores: 250, MemoryBytes: 256 * model.MiB}, model.Resources{}, model.Sample{})
	sel, err := metav1.LabelSelectorAsSelector(agents)
	if err != nil {
		t.Fatal(err)
	}
	if sel.Matches(labels.Set(p.Labels)) {
		t.Errorf("pod labels %v match the agent Deployment's selector: its ReplicaSet would adopt and delete the pod", p.Labels)
	}
	c := p.Spec.Containers[0]
	if c.Name != ContainerName || c.Image != "agent:dev" || c.Resources.Requests.Cpu().String() != "250m" || len(c.Args) == 0 {
		t.Errorf("agent container %+v", c)
	}
	if !s.ClockAtPodStart() {
		t.Error("the stress server plays from the pod's start")
	}
	if err := s.Teardown(context.Background(), client, "ns"); err != nil {
		t.Fatal(err)
	}
	deps, _ = client.AppsV1().Deployments("ns").List(context.Background(), metav1.ListOptions{})
	if len(deps.Items) != 0 {
		t.Errorf("%d Deployments left after Teardown", len(deps.Items))
	}
}
