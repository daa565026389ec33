//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	"github.com/smartvpa/smartvpa/core/model"
	_ "github.com/smartvpa/smartvpa/core/recommend/vpa"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/kube/operator"
	"github.com/smartvpa/smartvpa/test/e2e/framework"
)

// Issue 20 case 17, where the truth is the API server's: a template patch
// carrying a stale metadata.resourceVersion is refused with a conflict, and
// apply refuses a change read before someone else's `kubectl set resources`,
// which stays in place.
func TestApplyConcurrentChange(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "conflict")
	ctx := context.Background()
	deps := c.Client.AppsV1().Deployments(ns)
	if _, err := deps.Create(ctx, testDeployment(ns, "big", 1, "1", "1Gi"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	read, err := deps.Get(ctx, "big", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Apply's view: a report from that read (8 days of synthetic usage).
	w := kube.NewWorkload(read)
	h := kube.NewHistory("prometheus")
	for _, ctr := range []string{"main", "side"} {
		k := kube.ContainerKey{Workload: w.Key(), Container: ctr}
		for i := range 8 * 24 * 12 {
			h.Samples[k] = append(h.Samples[k], model.Sample{Time: time.Now().Add(-time.Duration(8*24*12-i) * 5 * time.Minute), CPUMillicores: 240, MemoryBytes: 300 * model.MiB})
		}
	}
	rep, err := (&kube.Engine{Recommender: "vpa"}).Recommend(ctx, []*kube.Workload{w}, h, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	chs := kube.Changes(rep, true)
	if len(chs) != 1 || len(chs[0].New) != 2 {
		t.Fatalf("changes %+v", chs)
	}

	// Meanwhile: kubectl set resources -c main --requests=cpu=500m.
	var cur *appsv1.Deployment
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var err error
		if cur, err = deps.Get(ctx, "big", metav1.GetOptions{}); err != nil {
			return err
		}
		d := cur.DeepCopy()
		d.Spec.Template.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("500m")
		_, err = deps.Update(ctx, d, metav1.UpdateOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// The API server refuses a patch whose precondition is the stale read.
	stale := fmt.Sprintf(`{"metadata":{"resourceVersion":%q},"spec":{"template":{"spec":{"containers":[{"name":"main","resources":{"requests":{"cpu":"250m"}}}]}}}}`, read.ResourceVersion)
	_, err = kube.PatchWorkload(ctx, c.Client, w, []byte(stale), nil)
	if !apierrors.IsConflict(err) {
		t.Fatalf("patch with a stale resourceVersion: %v, want a conflict", err)
	}

	// Apply re-reads, sees the change and applies nothing.
	a := &kube.Applier{Client: c.Client, Mode: kube.ModePatch, DryRun: kube.DryRunNone}
	_, err = a.Apply(ctx, chs[0])
	var conflict *kube.ConflictError
	if !errors.As(err, &conflict) || !strings.Contains(err.Error(), "container main: cpu request 1000m -> 500m") {
		t.Fatalf("apply after a concurrent change: %v, want a conflict naming it", err)
	}
	updated, _ := deps.Get(ctx, "big", metav1.GetOptions{})
	if got := updated.Spec.Template.Spec.Containers[0].Resources.Requests.Cpu().String(); got != "500m" || updated.Generation != cur.Generation+1 {
		t.Fatalf("after apply: cpu %s, generation %d, want the concurrent change (500m, generation %d) kept", got, updated.Generation, cur.Generation+1)
	}
}

// Issue 20 cases 18 and 19 through the binary: with Prometheus down, apply
// shows why the numbers are weak and refuses them (exit 2) unless
// --allow-low-confidence; a rollout not complete within --watch-timeout
// exits 3 naming the workload once.
func TestApplyLowConfidenceAndWatchExit(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "lowconf")
	ctx := context.Background()
	if _, err := c.Client.AppsV1().Deployments(ns).Create(ctx, testDeployment(ns, "big", 1, "1", "1Gi"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	runningPods(t, c, ns, "big", 1)
	framework.Eventually(t, 90*time.Second, func() (bool, error) {
		r := smartvpa(t, c, c.Kubeconfig, "", "recommend", "-n", ns, "deploy/big", "--history", "live", "-o", "json")
		return r.code == 0 && strings.Contains(r.stdout, `"target"`), nil
	}, "a live recommendation for %s/big", ns)
	before, _ := c.Client.AppsV1().Deployments(ns).Get(ctx, "big", metav1.GetOptions{})

	down := "http://127.0.0.1:1" // Prometheus down
	r := smartvpa(t, c, c.Kubeconfig, "", "apply", "-n", ns, "deploy/big", "--prometheus-url", down, "--checkpoint-namespace", "", "--yes")
	t.Logf("apply with Prometheus down: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	if r.code != 2 || !strings.Contains(r.stderr, "refusing to apply low-confidence recommendations") ||
		!strings.Contains(r.stdout, "note: --history auto chose live") || !strings.Contains(r.stdout, "note: prometheus:") ||
		!strings.Contains(r.stdout, "confidence low: a single snapshot from live sampling") {
		t.Fatalf("want exit 2, the notes and the refusal")
	}
	mid, _ := c.Client.AppsV1().Deployments(ns).Get(ctx, "big", metav1.GetOptions{})
	if mid.Generation != before.Generation {
		t.Fatalf("refused apply changed the deployment: generation %d -> %d", before.Generation, mid.Generation)
	}

	r = smartvpa(t, c, c.Kubeconfig, "", "apply", "-n", ns, "deploy/big", "--prometheus-url", down, "--checkpoint-namespace", "",
		"--yes", "--allow-low-confidence", "--watch", "--watch-timeout", "1ns")
	t.Logf("apply --allow-low-confidence --watch --watch-timeout 1ns: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3", r.code)
	}
	want := "error: " + ns + "/deployment/big: rollout not complete after 1ns"
	if !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, ns+"/deployment/big") != 1 {
		t.Errorf("stderr %q, want %q naming the workload once", r.stderr, want)
	}
	after, _ := c.Client.AppsV1().Deployments(ns).Get(ctx, "big", metav1.GetOptions{})
	if after.Generation != before.Generation+1 {
		t.Errorf("generation %d -> %d: want the one patch", before.Generation, after.Generation)
	}
}

// Issue 20 cases 15 and 16 on the local control plane: serve publishes the
// minimums for a target whose pod has no metrics (pending), and keeps one
// memory window per pod (11 pods at 1 GiB and one at 2 GiB: the p90 target
// is 1 GiB's, not the 2 GiB peak's).
func TestServeUpstreamFidelity(t *testing.T) {
	c := framework.Get(t)
	dyn, kc := serveEnv(t, c)
	ns := c.Namespace(t, "serve-fid")
	ctx := context.Background()

	// A pod no node takes: Pending, never any metrics (kwok reports usage
	// for every running pod, annotated or not).
	quiet := serveDeployment(ns, "quiet", 1, nil)
	quiet.Spec.Template.Spec.NodeSelector = map[string]string{"smartvpa.io/no-such-node": "true"}
	if _, err := c.Client.AppsV1().Deployments(ns).Create(ctx, quiet, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 60*time.Second, func() (bool, error) {
		l, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=quiet"})
		return err == nil && len(l.Items) == 1 && l.Items[0].Status.Phase == corev1.PodPending, err
	}, "a pending pod of %s/quiet", ns)
	createVPAFor(t, dyn, ns, "quiet", "quiet")

	const replicas = 12
	wide := serveDeployment(ns, "wide", replicas, map[string]string{"kwok.x-k8s.io/usage-cpu": "100m", "kwok.x-k8s.io/usage-memory": "1Gi"})
	if _, err := c.Client.AppsV1().Deployments(ns).Create(ctx, wide, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	runningPods(t, c, ns, "wide", replicas)
	pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=wide"})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, p := range pods.Items {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	big := names[0]
	patch := []byte(`{"metadata":{"annotations":{"kwok.x-k8s.io/usage-memory":"2Gi"}}}`)
	if _, err := c.Client.CoreV1().Pods(ns).Patch(ctx, big, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 3*time.Minute, func() (bool, error) {
		pms, err := c.Metrics.MetricsV1beta1().PodMetricses(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=wide"})
		if err != nil {
			return false, err
		}
		n, twoGi := 0, false
		for _, pm := range pms.Items {
			n++
			if pm.Name == big && len(pm.Containers) == 1 && pm.Containers[0].Usage.Memory().Cmp(resource.MustParse("2Gi")) == 0 {
				twoGi = true
			}
		}
		return n == replicas && twoGi, nil
	}, "metrics for %d pods, %s at 2Gi", replicas, big)
	createVPAFor(t, dyn, ns, "wide", "wide")

	startServe(t, c, kc, "smartvpa-e2e-"+ns)
	framework.Eventually(t, 3*serveInterval+15*time.Second, func() (bool, error) {
		recs, err := operator.ParseRecommendationStatus(getVPA(t, dyn, ns, "quiet"))
		return err == nil && len(recs) == 1, nil
	}, "status.recommendation on %s/quiet", ns)
	recs, _ := operator.ParseRecommendationStatus(getVPA(t, dyn, ns, "quiet"))
	m := model.Resources{CPUMillicores: 25, MemoryBytes: 250 * model.MiB}
	if got := recs["app"]; got.Target != m || got.Lower != m || got.Upper != m {
		t.Errorf("quiet: %+v, want the minimums 25m / 250Mi", got)
	}
	if lc := condition(getVPA(t, dyn, ns, "quiet"), "LowConfidence"); lc == nil || lc["status"] != "True" {
		t.Errorf("quiet LowConfidence %v", lc)
	}

	var got model.Recommendation
	framework.Eventually(t, 4*serveInterval+15*time.Second, func() (bool, error) {
		recs, err := operator.ParseRecommendationStatus(getVPA(t, dyn, ns, "wide"))
		if err != nil {
			return false, nil
		}
		got = recs["app"]
		return got.Target.MemoryBytes > 250*model.MiB, nil
	}, "a usage-based recommendation on %s/wide", ns)
	t.Logf("wide (11 pods at 1Gi, %s at 2Gi): memory target %s", big, kube.FormatMemory(got.Target.MemoryBytes))
	// vpa's target is the p90 bucket plus a 15 %% margin: about 1.2 GiB for
	// 1 GiB, about 2.4 GiB for the shared 2 GiB peak.
	if got.Target.MemoryBytes < model.GiB || got.Target.MemoryBytes > 1.5*model.GiB {
		t.Errorf("memory target %s, want about 1.2Gi (one peak per pod)", kube.FormatMemory(got.Target.MemoryBytes))
	}
}

func serveDeployment(ns, name string, replicas int32, annotations map[string]string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"node-role.kubernetes.io/agent": ""},
					Tolerations:  []corev1.Toleration{{Key: "kwok.x-k8s.io/node", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
					Containers: []corev1.Container{{Name: "app", Image: "fake", Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("4Gi")}}}}}}},
	}
}

func createVPAFor(t *testing.T, dyn dynamic.Interface, ns, name, target string) {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"targetRef":    map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
			"recommenders": []any{map[string]any{"name": "smartvpa"}},
			"updatePolicy": map[string]any{"updateMode": "Off"},
		},
	}}
	if _, err := dyn.Resource(kube.VPAResource).Namespace(ns).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
