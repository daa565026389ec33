//go:build e2e

// Package e2e holds the end-to-end tests that run against the local control plane
// (hack/cluster-up.sh): `make e2e-run`, or `go test -tags e2e ./test/e2e/...`.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/smartvpa/smartvpa/test/e2e/framework"
)

func smokeDeployment(name string, replicas int32, cpu, memory string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{
					// read by kwok's ClusterResourceUsage "usage-from-annotation"
					"kwok.x-k8s.io/usage-cpu":    cpu,
					"kwok.x-k8s.io/usage-memory": memory,
				}},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"type": "kwok"},
					Containers: []corev1.Container{{
						Name:  "app",
						Image: "registry.k8s.io/pause:3.10",
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
							corev1.ResourceCPU:    resource.MustParse("100m"),
							corev1.ResourceMemory: resource.MustParse("64Mi"),
						}},
					}},
				},
			},
		},
	}
}

// waitRunningOnKwok waits until the deployment's pods are Running on kwok nodes and returns them.
func waitRunningOnKwok(t *testing.T, c *framework.Cluster, ns, app string, want int) []corev1.Pod {
	t.Helper()
	ctx := context.Background()
	var pods []corev1.Pod
	framework.Eventually(t, 2*time.Minute, func() (bool, error) {
		list, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
		if err != nil {
			return false, err
		}
		pods = pods[:0]
		for _, p := range list.Items {
			if p.Status.Phase != corev1.PodRunning || p.Spec.NodeName == "" {
				continue
			}
			node, err := c.Client.CoreV1().Nodes().Get(ctx, p.Spec.NodeName, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if !framework.KwokNode(node) {
				return false, fmt.Errorf("pod %s runs on %s, not a kwok node", p.Name, node.Name)
			}
			pods = append(pods, p)
		}
		return len(pods) == want, nil
	}, "%d pods of %s/%s Running on kwok nodes", want, ns, app)
	return pods
}

// TestSmoke creates a Deployment, sees its pods Running on kwok nodes and reads their metrics
// through the aggregator (metrics.k8s.io served by metrics-server).
func TestSmoke(t *testing.T) {
	c := framework.Get(t)
	ctx := context.Background()
	ns := c.Namespace(t, "e2e-smoke")

	if _, err := c.Client.AppsV1().Deployments(ns).Create(ctx, smokeDeployment("smoke", 2, "250m", "96Mi"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	pods := waitRunningOnKwok(t, c, ns, "smoke", 2)
	t.Logf("pods Running: %s on %s, %s on %s", pods[0].Name, pods[0].Spec.NodeName, pods[1].Name, pods[1].Spec.NodeName)

	// metrics-server needs two scrapes (15 s resolution) of kwok's emulated kubelet.
	framework.Eventually(t, 3*time.Minute, func() (bool, error) {
		list, err := c.Metrics.MetricsV1beta1().PodMetricses(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=smoke"})
		if err != nil {
			return false, err
		}
		if len(list.Items) != 2 {
			return false, fmt.Errorf("%d pod metrics, want 2", len(list.Items))
		}
		for _, pm := range list.Items {
			if len(pm.Containers) != 1 {
				return false, fmt.Errorf("pod %s: %d containers in metrics", pm.Name, len(pm.Containers))
			}
			cpu := pm.Containers[0].Usage.Cpu().MilliValue()
			mem := pm.Containers[0].Usage.Memory().Value()
			if math.Abs(float64(cpu)-250) > 25 || math.Abs(float64(mem)-96*(1<<20)) > 4*(1<<20) {
				return false, fmt.Errorf("pod %s: usage cpu %dm memory %d, want about 250m and 96Mi", pm.Name, cpu, mem)
			}
		}
		return true, nil
	}, "pod metrics of %s through the aggregator", ns)

	// A new annotation value shows within a resolution after two scrapes.
	patch := []byte(`{"metadata":{"annotations":{"kwok.x-k8s.io/usage-cpu":"700m"}}}`)
	if _, err := c.Client.CoreV1().Pods(ns).Patch(ctx, pods[0].Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("patch pod usage: %v", err)
	}
	framework.Eventually(t, 2*time.Minute, func() (bool, error) {
		pm, err := c.Metrics.MetricsV1beta1().PodMetricses(ns).Get(ctx, pods[0].Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		cpu := pm.Containers[0].Usage.Cpu().MilliValue()
		return math.Abs(float64(cpu)-700) <= 70, fmt.Errorf("cpu %dm", cpu)
	}, "pod %s metrics to follow its new usage annotation (700m)", pods[0].Name)

	nodes, err := c.Metrics.MetricsV1beta1().NodeMetricses().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("node metrics: %d items, err %v", len(nodes.Items), err)
	}
}

// TestViewOnly checks the view-only kubeconfig: reads and metrics work, writes are Forbidden.
func TestViewOnly(t *testing.T) {
	c := framework.Get(t)
	ctx := context.Background()
	ns := c.Namespace(t, "e2e-view")
	if _, err := c.Client.AppsV1().Deployments(ns).Create(ctx, smokeDeployment("viewed", 1, "50m", "32Mi"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	waitRunningOnKwok(t, c, ns, "viewed", 1)

	if _, err := c.ViewClient.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("view-only list pods: %v", err)
	}
	if _, err := c.ViewClient.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("view-only list nodes: %v", err)
	}
	if _, err := c.ViewMetrics.MetricsV1beta1().PodMetricses(ns).List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("view-only read pod metrics: %v", err)
	}
	if _, err := c.ViewMetrics.MetricsV1beta1().NodeMetricses().List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("view-only read node metrics: %v", err)
	}
	patch := []byte(`{"spec":{"replicas":2}}`)
	_, err := c.ViewClient.AppsV1().Deployments(ns).Patch(ctx, "viewed", types.MergePatchType, patch, metav1.PatchOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("view-only patch deployment: err %v, want Forbidden", err)
	}
	_, err = c.ViewClient.AppsV1().Deployments(ns).Patch(ctx, "viewed", types.MergePatchType, patch,
		metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}})
	if !apierrors.IsForbidden(err) {
		t.Errorf("view-only server-side dry-run patch: err %v, want Forbidden", err)
	}
}

// TestDemo checks the seeded demo namespace: its pods run on kwok nodes, the usage driver moves
// their usage annotations, metrics-server reports them, and Prometheus holds 8 days of history.
func TestDemo(t *testing.T) {
	c := framework.Get(t)
	ctx := context.Background()
	ns := framework.DemoNamespace

	for _, kind := range []struct {
		name string
		get  func() error
	}{
		{"deployment web", func() error {
			_, err := c.Client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
			return err
		}},
		{"statefulset db", func() error {
			_, err := c.Client.AppsV1().StatefulSets(ns).Get(ctx, "db", metav1.GetOptions{})
			return err
		}},
		{"daemonset node-agent", func() error {
			_, err := c.Client.AppsV1().DaemonSets(ns).Get(ctx, "node-agent", metav1.GetOptions{})
			return err
		}},
		{"cronjob report", func() error {
			_, err := c.Client.BatchV1().CronJobs(ns).Get(ctx, "report", metav1.GetOptions{})
			return err
		}},
		{"pdb web", func() error {
			_, err := c.Client.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "web", metav1.GetOptions{})
			return err
		}},
		{"hpa web", func() error {
			_, err := c.Client.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, "web", metav1.GetOptions{})
			return err
		}},
	} {
		if err := kind.get(); err != nil {
			t.Errorf("seed %s: %v", kind.name, err)
		}
	}
	vpa, err := c.Client.Discovery().ServerResourcesForGroupVersion("autoscaling.k8s.io/v1")
	if err != nil || len(vpa.APIResources) == 0 {
		t.Errorf("VPA CRDs (autoscaling.k8s.io/v1) not served: %v", err)
	}

	// The usage driver changes the annotations as the trace plays.
	usage := func() (string, error) {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, "db-0", metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return p.Annotations["kwok.x-k8s.io/usage-cpu"] + "/" + p.Annotations["kwok.x-k8s.io/usage-memory"], nil
	}
	first, err := usage()
	if err != nil || first == "/" {
		t.Fatalf("demo pod db-0 has no usage annotations (%q, %v): is the usage driver running?", first, err)
	}
	framework.Eventually(t, 90*time.Second, func() (bool, error) {
		now, err := usage()
		return err == nil && now != first, err
	}, "the usage of demo/db-0 to change from %s", first)

	framework.Eventually(t, 2*time.Minute, func() (bool, error) {
		list, err := c.Metrics.MetricsV1beta1().PodMetricses(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=db"})
		return err == nil && len(list.Items) == 2, err
	}, "metrics of the demo db pods")

	end := time.Now()
	series, err := c.PromQueryRange(ctx, `container_memory_working_set_bytes{namespace="demo",pod="db-0"}`, end.Add(-8*24*time.Hour), end, time.Hour)
	if err != nil {
		t.Fatalf("prometheus: %v", err)
	}
	if len(series) == 0 {
		t.Fatalf("prometheus has no memory series for demo/db-0")
	}
	var first8d, last time.Time
	for _, s := range series {
		if len(s.Times) == 0 {
			continue
		}
		if first8d.IsZero() || s.Times[0].Before(first8d) {
			first8d = s.Times[0]
		}
		if l := s.Times[len(s.Times)-1]; l.After(last) {
			last = l
		}
	}
	if span := last.Sub(first8d); span < 7*24*time.Hour+12*time.Hour {
		t.Errorf("prometheus history of demo/db-0 spans %s (%s .. %s), want about 8 days", span, first8d, last)
	}
	b, _ := json.Marshal(series[0].Labels)
	t.Logf("prometheus: %d series, %s .. %s, labels %s", len(series), first8d.Format(time.RFC3339), last.Format(time.RFC3339), b)
}
