//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"

	"github.com/smartvpa/smartvpa/test/e2e/framework"
)

// uiPane is kubectl-smartvpa ui running in a tmux pane of its own tmux
// server (test/tui/run.sh does the same for the demo).
type uiPane struct {
	t    *testing.T
	sock string
	conf string
}

// startUI runs `kubectl-smartvpa ui args...` with kubeconfig in a w x h pane.
func startUI(t *testing.T, c *framework.Cluster, kubeconfig string, w, h int, args ...string) *uiPane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not found: install it (apt-get install tmux) to run the TUI end-to-end tests")
	}
	bin := plugin(t, c)
	dir := t.TempDir()
	p := &uiPane{t: t, sock: fmt.Sprintf("smartvpa-e2e-ui-%d", os.Getpid()), conf: filepath.Join(dir, "tmux.conf")}
	if err := os.WriteFile(p.conf, []byte("set -g status off\nset -g remain-on-exit on\nset -g escape-time 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	quoted := []string{shellQuote(bin), "ui"}
	for _, a := range args {
		quoted = append(quoted, shellQuote(a))
	}
	command := fmt.Sprintf("env KUBECONFIG=%s PROMETHEUS_URL=%s NO_COLOR=1 %s; echo \"exit=$?\"",
		shellQuote(kubeconfig), shellQuote(c.PrometheusURL), strings.Join(quoted, " "))
	p.tmux("new-session", "-d", "-s", "ui", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), command)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", p.sock, "kill-server").Run() })
	return p
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (p *uiPane) tmux(args ...string) string {
	p.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-L", p.sock, "-f", p.conf}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		p.t.Fatalf("tmux %v: %v: %s", args, err, errOut.String())
	}
	return out.String()
}

func (p *uiPane) capture() string { return p.tmux("capture-pane", "-p", "-t", "ui") }

// keys sends tmux key names (Enter, Escape, a, A, ...).
func (p *uiPane) keys(keys ...string) { p.tmux(append([]string{"send-keys", "-t", "ui"}, keys...)...) }

// text types s literally.
func (p *uiPane) text(s string) { p.tmux("send-keys", "-t", "ui", "-l", s) }

// waitFor waits until cond holds for the pane's text and returns that text.
func (p *uiPane) waitFor(timeout time.Duration, what string, cond func(pane string) bool) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		pane := p.capture()
		if cond(pane) {
			return pane
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out after %s waiting for %s; the pane shows:\n%s", timeout, what, pane)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// quit presses q and checks that the program exited 0 (the shell's echo, on
// the normal screen or in its scrollback).
func (p *uiPane) quit() {
	p.t.Helper()
	p.keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for {
		all := p.tmux("capture-pane", "-p", "-S", "-1000", "-t", "ui")
		if strings.Contains(all, "exit=0") {
			return
		}
		if m := regexp.MustCompile(`exit=\d+`).FindString(all); m != "" || time.Now().After(deadline) {
			p.t.Fatalf("after q: want exit=0, the pane and its scrollback show:\n%s", all)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (p *uiPane) waitText(timeout time.Duration, text string) string {
	p.t.Helper()
	return p.waitFor(timeout, fmt.Sprintf("%q", text), func(pane string) bool { return strings.Contains(pane, text) })
}

// rowOf returns the table row of kindName ("deploy/api") in the pane.
func rowOf(pane, kindName string) string {
	// The row marker: the cursor (>), then * approved, ! HPA conflict,
	// = applied.
	re := regexp.MustCompile(`(?m)^[> ][ *!=]demo +` + regexp.QuoteMeta(kindName) + ` .*$`)
	return re.FindString(pane)
}

// shownOf returns the number of rows shown, from the header's "shown/total".
func shownOf(pane string) string {
	first, _, _ := strings.Cut(pane, "\n")
	m := regexp.MustCompile(` (\d+)/\d+ `).FindStringSubmatch(first)
	if m == nil {
		return ""
	}
	return m[1]
}

// demoManifestResources reads the container resources of the demo
// Deployments from hack/cluster/manifests/20-demo.yaml, the source of truth
// the other tests expect.
func demoManifestResources(t *testing.T, c *framework.Cluster, names ...string) map[string][]corev1.Container {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(c.Root, "hack", "cluster", "manifests", "20-demo.yaml"))
	if err != nil {
		t.Fatalf("demo manifest: %v", err)
	}
	out := map[string][]corev1.Container{}
	for _, doc := range strings.Split(string(data), "\n---") {
		var d appsv1.Deployment
		if err := yaml.Unmarshal([]byte(doc), &d); err != nil || d.Kind != "Deployment" {
			continue
		}
		out[d.Name] = d.Spec.Template.Spec.Containers
	}
	for _, n := range names {
		if out[n] == nil {
			t.Fatalf("deployment %s not in the demo manifest", n)
		}
	}
	return out
}

// sameResources reports whether the deployment's containers have the
// manifest's resources (compared as quantities).
func sameResources(d *appsv1.Deployment, want []corev1.Container) bool {
	byName := map[string]corev1.ResourceRequirements{}
	for _, c := range want {
		byName[c.Name] = c.Resources
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		w := byName[c.Name]
		for _, pair := range [][2]corev1.ResourceList{{c.Resources.Requests, w.Requests}, {c.Resources.Limits, w.Limits}} {
			if len(pair[0]) != len(pair[1]) {
				return false
			}
			for k, q := range pair[1] {
				if got, ok := pair[0][k]; !ok || got.Cmp(q) != 0 {
					return false
				}
			}
		}
	}
	return true
}

// restoreDemo sets the demo Deployments' container resources back to the
// manifest's and waits for their rollouts.
func restoreDemo(t *testing.T, c *framework.Cluster, want map[string][]corev1.Container, names ...string) {
	t.Helper()
	ctx := context.Background()
	for _, n := range names {
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			d, err := c.Client.AppsV1().Deployments(framework.DemoNamespace).Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if sameResources(d, want[n]) {
				return nil
			}
			byName := map[string]corev1.ResourceRequirements{}
			for _, c := range want[n] {
				byName[c.Name] = c.Resources
			}
			for i := range d.Spec.Template.Spec.Containers {
				ct := &d.Spec.Template.Spec.Containers[i]
				ct.Resources = byName[ct.Name]
			}
			_, err = c.Client.AppsV1().Deployments(framework.DemoNamespace).Update(ctx, d, metav1.UpdateOptions{FieldManager: "smartvpa-e2e-restore"})
			return err
		})
		if err != nil {
			t.Errorf("restore demo deployment %s: %v", n, err)
		}
	}
	for _, n := range names {
		framework.Eventually(t, 90*time.Second, func() (bool, error) {
			d, err := c.Client.AppsV1().Deployments(framework.DemoNamespace).Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			want := int32(1)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			return d.Status.ObservedGeneration == d.Generation && d.Status.UpdatedReplicas == want &&
				d.Status.AvailableReplicas == want && d.Status.Replicas == want, nil
		}, "demo deployment %s rolled back to its manifest requests", n)
	}
}

// Acceptance (#10, cluster half): `kubectl smartvpa ui -n demo`, approve two
// workloads, apply, confirm: the Deployments change (checked with the API)
// and the table shows them applied. The demo Deployments get the manifest's
// requests back at the end.
func TestUIApplyDemo(t *testing.T) {
	c := framework.Get(t)
	ctx := context.Background()
	names := []string{"api", "worker"} // web has an HPA on cpu: the UI refuses to approve it
	orig := demoManifestResources(t, c, names...)
	before := map[string]*appsv1.Deployment{}
	for _, n := range names {
		d, err := c.Client.AppsV1().Deployments(framework.DemoNamespace).Get(ctx, n, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !sameResources(d, orig[n]) {
			t.Logf("demo deployment %s does not have its manifest requests (an earlier run?): restoring them first", n)
			restoreDemo(t, c, orig, n)
			if d, err = c.Client.AppsV1().Deployments(framework.DemoNamespace).Get(ctx, n, metav1.GetOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		before[n] = d
	}
	t.Cleanup(func() { restoreDemo(t, c, orig, names...) })

	p := startUI(t, c, c.Kubeconfig, 200, 50, "-n", "demo", "--refresh", "3s")
	start := time.Now()
	pane := p.waitFor(60*time.Second, "the demo workloads with recommendations and the apply keys", func(pane string) bool {
		return strings.Contains(pane, "A apply") && strings.Contains(rowOf(pane, "deploy/api"), "→") &&
			strings.Contains(rowOf(pane, "deploy/worker"), "→") && !strings.Contains(pane, "loading")
	})
	t.Logf("table after %s:\n%s", time.Since(start).Round(time.Millisecond), pane)
	if !strings.Contains(rowOf(pane, "deploy/web"), "HPA conflict") {
		t.Errorf("deploy/web (HPA on cpu) not shown as an HPA conflict:\n%s", rowOf(pane, "deploy/web"))
	}

	for i, n := range names {
		p.keys("/")
		p.text("deploy/" + n)
		p.keys("Enter")
		p.waitFor(10*time.Second, "the filter to show only deploy/"+n, func(pane string) bool {
			return strings.HasPrefix(rowOf(pane, "deploy/"+n), ">") && shownOf(pane) == "1"
		})
		p.keys("a")
		// The approval is bound to the recommender shown (smart, the default).
		p.waitText(10*time.Second, fmt.Sprintf("demo/Deployment/%s approved with smart (%d approved; A applies)", n, i+1))
		p.keys("Escape")
		p.waitFor(10*time.Second, "the filter cleared", func(pane string) bool { return shownOf(pane) != "1" && shownOf(pane) != "" })
	}

	p.keys("A")
	pane = p.waitText(60*time.Second, "y apply 2 that passed the dry-run")
	t.Logf("confirm dialog:\n%s", pane)
	for _, n := range names {
		for _, want := range []string{"demo/Deployment/" + n, "deployment.apps/" + n + " patched (server dry run)", `patch: {"spec":{"template":{"spec":{"containers":[{"name":"` + n + `"`} {
			if !strings.Contains(pane, want) {
				t.Errorf("the confirm dialog lacks %q", want)
			}
		}
		d, _ := c.Client.AppsV1().Deployments(framework.DemoNamespace).Get(ctx, n, metav1.GetOptions{})
		if d.ResourceVersion != before[n].ResourceVersion {
			t.Errorf("the server dry-run changed deploy/%s: resourceVersion %s -> %s", n, before[n].ResourceVersion, d.ResourceVersion)
		}
	}

	p.keys("y")
	p.waitText(60*time.Second, "applied 2 workload(s)")
	for _, n := range names {
		d, err := c.Client.AppsV1().Deployments(framework.DemoNamespace).Get(ctx, n, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Generation != before[n].Generation+1 {
			t.Errorf("deploy/%s generation %d -> %d: want exactly one update for all its containers", n, before[n].Generation, d.Generation)
		}
		if reflect.DeepEqual(d.Spec.Template.Spec.Containers[0].Resources.Requests, before[n].Spec.Template.Spec.Containers[0].Resources.Requests) {
			t.Errorf("deploy/%s requests unchanged: %v", n, d.Spec.Template.Spec.Containers[0].Resources.Requests)
		}
		managed := false
		for _, m := range d.ManagedFields {
			managed = managed || m.Manager == "smartvpa"
		}
		if !managed {
			t.Errorf("deploy/%s has no managedFields entry of field manager smartvpa", n)
		}
		b, a := before[n].Spec.Template.Spec.Containers[0].Resources.Requests, d.Spec.Template.Spec.Containers[0].Resources.Requests
		t.Logf("deploy/%s requests: cpu %s -> %s, memory %s -> %s", n, b.Cpu(), a.Cpu(), b.Memory(), a.Memory())
	}
	pane = p.waitFor(60*time.Second, "deploy/api and deploy/worker shown applied", func(pane string) bool {
		return strings.HasSuffix(strings.TrimSpace(rowOf(pane, "deploy/api")), "applied") &&
			strings.HasSuffix(strings.TrimSpace(rowOf(pane, "deploy/worker")), "applied")
	})
	t.Logf("table after apply:\n%s", pane)
	for _, other := range []string{"deploy/web", "sts/db", "ds/node-agent"} {
		if strings.HasSuffix(strings.TrimSpace(rowOf(pane, other)), "applied") {
			t.Errorf("%s shown applied although nothing was applied to it", other)
		}
	}

	p.quit()
}

// Acceptance: with the view-only kubeconfig the UI is read-only and says why;
// the apply keys do nothing and nothing changes.
func TestUIViewOnly(t *testing.T) {
	c := framework.Get(t)
	ctx := context.Background()
	before, err := c.Client.AppsV1().Deployments(framework.DemoNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := startUI(t, c, c.KubeconfigView, 200, 30, "-n", "demo")
	pane := p.waitText(60*time.Second, "read-only: RBAC forbids patching workloads in namespace demo for system:serviceaccount:smartvpa-system:smartvpa-viewer")
	p.waitFor(60*time.Second, "the demo workloads", func(pane string) bool { return strings.Contains(rowOf(pane, "deploy/api"), "→") })
	if strings.Contains(pane, "A apply") || strings.Contains(pane, "a approve") {
		t.Errorf("the hint line offers approve/apply in read-only mode:\n%s", pane)
	}
	p.keys("a")
	p.waitText(10*time.Second, "· approve, apply and dry-run are off in read-only mode")
	p.keys("A")
	p.keys("d")
	time.Sleep(time.Second)
	pane = p.capture()
	if strings.Contains(pane, "Apply ") || strings.Contains(pane, "Dry-run") {
		t.Errorf("a dialog opened in read-only mode:\n%s", pane)
	}
	t.Logf("read-only pane:\n%s", pane)
	p.quit()
	after, err := c.Client.AppsV1().Deployments(framework.DemoNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The generation counts spec changes; the status may still move (a
	// rollout of an earlier test settling), which is not a change by the UI.
	gen := map[string]int64{}
	for _, d := range before.Items {
		gen[d.Name] = d.Generation
	}
	for _, d := range after.Items {
		if gen[d.Name] != d.Generation {
			t.Errorf("deploy/%s spec changed during a read-only session (generation %d -> %d)", d.Name, gen[d.Name], d.Generation)
		}
	}
}
