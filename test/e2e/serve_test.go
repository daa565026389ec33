//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"

	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/kube/operator"
	"github.com/smartvpa/smartvpa/test/e2e/framework"
)

const serveInterval = 10 * time.Second

// serveEnv prepares what serve needs: the VPA CRDs (skip when absent), the
// deploy/ namespace and RBAC, and a kubeconfig with the smartvpa-serve
// ServiceAccount's token.
func serveEnv(t *testing.T, c *framework.Cluster) (dynamic.Interface, string) {
	t.Helper()
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(kube.VPAResource).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		t.Skipf("no VerticalPodAutoscaler API on the cluster (%v): apply deploy/crds/vpa-crds.yaml", err)
	}
	out, err := exec.Command("kubectl", "--kubeconfig", c.Kubeconfig, "apply",
		"-f", filepath.Join(c.Root, "deploy", "00-namespace.yaml"), "-f", filepath.Join(c.Root, "deploy", "10-rbac.yaml")).CombinedOutput()
	if err != nil {
		t.Fatalf("apply deploy RBAC: %v\n%s", err, out)
	}
	tok, err := c.Client.CoreV1().ServiceAccounts("smartvpa-system").CreateToken(ctx, "smartvpa-serve",
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(3600))}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token of smartvpa-serve: %v", err)
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	data := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: %s
    insecure-skip-tls-verify: true
users:
- name: smartvpa-serve
  user:
    token: %s
contexts:
- name: c
  context: {cluster: c, user: smartvpa-serve}
current-context: c
`, c.Config.Host, tok.Status.Token)
	if err := os.WriteFile(kc, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return dyn, kc
}

func ptr[T any](v T) *T { return &v }

// serveProc is a running `kubectl smartvpa serve`.
type serveProc struct {
	cmd     *exec.Cmd
	addr    string
	logPath string
	done    chan error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startServe(t *testing.T, c *framework.Cluster, kubeconfig, lease string, extra ...string) *serveProc {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"serve", "--interval", serveInterval.String(), "--checkpoint-interval", serveInterval.String(),
		"--metrics-addr", addr, "--lease-name", lease, "--recommender", "vpa"}, extra...)
	cmd := exec.Command(plugin(t, c), args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	logPath := filepath.Join(t.TempDir(), "serve.log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr, cmd.Stdout = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, addr: addr, logPath: logPath, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); f.Close() }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("serve log:\n%s", tail(string(b), 40))
		}
	})
	return p
}

func (p *serveProc) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(40 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("serve did not stop within 40 s of SIGTERM")
	}
}

func (p *serveProc) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// serveWorkload creates a Deployment whose kwok pods report usage through
// the kwok usage annotations, and VPAs on it.
func serveWorkload(t *testing.T, c *framework.Cluster, ns string, replicas int32, cpuReq, memReq string) {
	t.Helper()
	labels := map[string]string{"app": "svc"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: ns},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{
					"kwok.x-k8s.io/usage-cpu": "200m", "kwok.x-k8s.io/usage-memory": "300Mi"}},
				Spec: corev1.PodSpec{
					// The demo's kwok nodes serve metrics; scale nodes (hack/scale.sh) do not.
					NodeSelector: map[string]string{"node-role.kubernetes.io/agent": ""},
					Tolerations:  []corev1.Toleration{{Key: "kwok.x-k8s.io/node", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
					Containers: []corev1.Container{{Name: "app", Image: "fake", Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpuReq), corev1.ResourceMemory: resource.MustParse(memReq)}}}}}}},
	}
	if _, err := c.Client.AppsV1().Deployments(ns).Create(context.Background(), dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 4*time.Minute, func() (bool, error) {
		pms, err := c.Metrics.MetricsV1beta1().PodMetricses(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		return len(pms.Items) == int(replicas), nil
	}, "metrics for %d pods of %s/svc", replicas, ns)
}

func createVPA(t *testing.T, dyn dynamic.Interface, ns, name, recommender, mode string) {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"targetRef":    map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "svc"},
			"recommenders": []any{map[string]any{"name": recommender}},
			"updatePolicy": map[string]any{"updateMode": mode},
		},
	}}
	if _, err := dyn.Resource(kube.VPAResource).Namespace(ns).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func getVPA(t *testing.T, dyn dynamic.Interface, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := dyn.Resource(kube.VPAResource).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func condition(u *unstructured.Unstructured, typ string) map[string]any {
	list, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, x := range list {
		if m, ok := x.(map[string]any); ok && m["type"] == typ {
			return m
		}
	}
	return nil
}

func checkpointTotal(t *testing.T, c *framework.Cluster, ns, vpa string) int {
	t.Helper()
	cm, err := c.Client.CoreV1().ConfigMaps("smartvpa-system").Get(context.Background(), operator.CheckpointName(ns, vpa), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return -1
	}
	if err != nil {
		t.Fatal(err)
	}
	ck, err := operator.ReadCheckpoint(cm)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, cc := range ck.Containers {
		total += cc.Total
	}
	return total
}

// Acceptance: serve as a local process with the deploy ServiceAccount's
// token; within two intervals the VPA naming smartvpa has a recommendation,
// the one naming another recommender gets nothing; /metrics has the
// documented series; a restart continues from the checkpoint.
func TestServeRecommendsAndRestarts(t *testing.T) {
	c := framework.Get(t)
	dyn, kc := serveEnv(t, c)
	ns := c.Namespace(t, "serve")
	serveWorkload(t, c, ns, 2, "100m", "128Mi")
	createVPA(t, dyn, ns, "mine", "smartvpa", "Off")
	createVPA(t, dyn, ns, "theirs", "someone-else", "Off")

	p := startServe(t, c, kc, "smartvpa-e2e-"+ns)
	start := time.Now()
	framework.Eventually(t, 2*serveInterval+15*time.Second, func() (bool, error) {
		_, ok, _ := unstructured.NestedSlice(getVPA(t, dyn, ns, "mine").Object, "status", "recommendation", "containerRecommendations")
		return ok, nil
	}, "status.recommendation on %s/mine", ns)
	t.Logf("first recommendation %s after serve started (interval %s)", time.Since(start).Round(100*time.Millisecond), serveInterval)
	if cond := condition(getVPA(t, dyn, ns, "mine"), "RecommendationProvided"); cond == nil || cond["status"] != "True" {
		t.Errorf("RecommendationProvided = %v", cond)
	}
	time.Sleep(serveInterval)
	if st, ok := getVPA(t, dyn, ns, "theirs").Object["status"]; ok {
		t.Errorf("VPA naming another recommender got a status: %v", st)
	}

	// /metrics exposes the documented series.
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, s := range operator.SeriesNames {
		if !strings.Contains(string(body), "\n"+s) {
			t.Errorf("/metrics lacks %s", s)
		}
	}
	if resp, err := http.Get("http://" + p.addr + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/healthz: %v %v", resp, err)
	}

	// Let history build, then restart.
	time.Sleep(2 * serveInterval)
	recBefore, _ := operator.ParseRecommendationStatus(getVPA(t, dyn, ns, "mine"))
	p.stop(t)
	before := checkpointTotal(t, c, ns, "mine")
	if before <= 0 {
		t.Fatalf("no checkpoint after shutdown (total %d)\n%s", before, tail(p.log(), 20))
	}
	p2 := startServe(t, c, kc, "smartvpa-e2e-"+ns)
	framework.Eventually(t, 60*time.Second, func() (bool, error) {
		return strings.Contains(p2.log(), "restored checkpoints"), nil
	}, "serve restarted and restored")
	if !strings.Contains(p2.log(), "vpas=") || strings.Contains(p2.log(), "restored checkpoints vpas=0") {
		t.Errorf("restart restored nothing:\n%s", tail(p2.log(), 10))
	}
	framework.Eventually(t, 3*serveInterval, func() (bool, error) {
		return checkpointTotal(t, c, ns, "mine") > before, nil
	}, "checkpoint growing past %d samples after restart", before)
	after := checkpointTotal(t, c, ns, "mine")
	recAfter, _ := operator.ParseRecommendationStatus(getVPA(t, dyn, ns, "mine"))
	t.Logf("samples in checkpoint: %d before restart, %d after; recommendation before %+v after %+v", before, after, recBefore["app"], recAfter["app"])
	lc := condition(getVPA(t, dyn, ns, "mine"), "LowConfidence")
	t.Logf("LowConfidence after restart: %v", lc["message"])
}

// Acceptance: with --updater, a VPA in InPlaceOrRecreate mode gets its pods
// resized; in Recreate mode a PodDisruptionBudget that allows no disruption
// holds.
func TestServeUpdater(t *testing.T) {
	c := framework.Get(t)
	dyn, kc := serveEnv(t, c)
	ns := c.Namespace(t, "serve-upd")
	serveWorkload(t, c, ns, 2, "10m", "16Mi")
	min := intstr.FromInt32(2)
	if _, err := c.Client.PolicyV1().PodDisruptionBudgets(ns).Create(context.Background(), &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "svc"},
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &min, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "svc"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createVPA(t, dyn, ns, "recreate", "smartvpa", "Recreate")
	p := startServe(t, c, kc, "smartvpa-e2e-"+ns, "--updater")
	framework.Eventually(t, 3*serveInterval+15*time.Second, func() (bool, error) {
		return strings.Contains(p.log(), "eviction refused"), nil
	}, "an eviction refused by the PodDisruptionBudget")
	pods, _ := c.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	for _, pod := range pods.Items {
		if pod.DeletionTimestamp != nil {
			t.Errorf("pod %s is being deleted despite the PDB", pod.Name)
		}
	}
	p.stop(t)

	// InPlaceOrRecreate: requests far below usage -> resized in place.
	if err := dyn.Resource(kube.VPAResource).Namespace(ns).Delete(context.Background(), "recreate", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	createVPA(t, dyn, ns, "inplace", "smartvpa", "InPlaceOrRecreate")
	p2 := startServe(t, c, kc, "smartvpa-e2e-"+ns, "--updater")
	framework.Eventually(t, 3*serveInterval+15*time.Second, func() (bool, error) {
		pods, err := c.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, pod := range pods.Items {
			if q := pod.Spec.Containers[0].Resources.Requests.Cpu(); q.MilliValue() > 10 {
				t.Logf("pod %s resized in place: cpu request %s, memory %s", pod.Name, q, pod.Spec.Containers[0].Resources.Requests.Memory())
				return true, nil
			}
		}
		return false, nil
	}, "a pod resized in place")
	sc := bufio.NewScanner(strings.NewReader(p2.log()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), "updater:") {
			t.Log(sc.Text())
		}
	}
}
