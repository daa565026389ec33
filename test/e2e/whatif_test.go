//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/smartvpa/smartvpa/kube/operator"
	"github.com/smartvpa/smartvpa/test/e2e/framework"
)

// whatIfJSON is the part of `backtest --history -o json` the tests read.
type whatIfJSON struct {
	Warmup string `json:"warmup"`
	Series []struct {
		Workload, Namespace, Kind, Name, Container string
	} `json:"series"`
	Results []struct {
		Workload, Recommender string
	} `json:"results"`
}

// demoContainers lists "Kind/name/container" of every workload of the demo
// namespace, from the API server.
func demoContainers(t *testing.T, c *framework.Cluster) []string {
	t.Helper()
	ctx, ns := context.Background(), framework.DemoNamespace
	var out []string
	add := func(kind, name string, containers []string) {
		for _, ct := range containers {
			out = append(out, kind+"/"+name+"/"+ct)
		}
	}
	names := func(n int, name func(i int) string) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = name(i)
		}
		return s
	}
	deps, err := c.Client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps.Items {
		add("Deployment", d.Name, names(len(d.Spec.Template.Spec.Containers), func(i int) string { return d.Spec.Template.Spec.Containers[i].Name }))
	}
	stss, err := c.Client.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range stss.Items {
		add("StatefulSet", d.Name, names(len(d.Spec.Template.Spec.Containers), func(i int) string { return d.Spec.Template.Spec.Containers[i].Name }))
	}
	dss, err := c.Client.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dss.Items {
		add("DaemonSet", d.Name, names(len(d.Spec.Template.Spec.Containers), func(i int) string { return d.Spec.Template.Spec.Containers[i].Name }))
	}
	cjs, err := c.Client.BatchV1().CronJobs(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range cjs.Items {
		cs := d.Spec.JobTemplate.Spec.Template.Spec.Containers
		add("CronJob", d.Name, names(len(cs), func(i int) string { return cs[i].Name }))
	}
	sort.Strings(out)
	return out
}

// Acceptance: backtest -n demo --history prometheus --recommenders vpa,smart
// -o json parses, names every demo container, and its figures are the same
// bytes as an offline backtest of the history it saved with --save-store.
func TestWhatIfBacktestDemo(t *testing.T) {
	c := framework.Get(t)
	store := filepath.Join(t.TempDir(), "history")
	r := smartvpa(t, c, c.Kubeconfig, "", "backtest", "-n", framework.DemoNamespace, "--history", "prometheus",
		"--recommenders", "vpa,smart", "--seed", "7", "-o", "json", "--save-store", store)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	t.Logf("backtest --history prometheus -n demo took %s; stderr:\n%s", r.took, r.stderr)
	var live whatIfJSON
	if err := json.Unmarshal([]byte(r.stdout), &live); err != nil {
		t.Fatalf("-o json does not parse: %v\n%s", err, r.stdout)
	}
	var named []string
	for _, s := range live.Series {
		if s.Namespace != framework.DemoNamespace || s.Workload == "" {
			t.Errorf("series %+v: wrong namespace or no id", s)
		}
		named = append(named, s.Kind+"/"+s.Name+"/"+s.Container)
	}
	sort.Strings(named)
	if want := demoContainers(t, c); strings.Join(named, " ") != strings.Join(want, " ") {
		t.Errorf("series name %v, want every demo container %v", named, want)
	}
	if len(live.Results) != 2*len(live.Series) {
		t.Errorf("%d results for %d series and 2 recommenders", len(live.Results), len(live.Series))
	}
	entries, err := os.ReadDir(store)
	if err != nil || len(entries) < len(live.Series) {
		t.Fatalf("--save-store %s: %d entries, %v", store, len(entries), err)
	}
	off := smartvpa(t, c, c.Kubeconfig, "", "backtest", "--workloads", store, "--recommenders", "vpa,smart", "--seed", "7",
		"--warmup", live.Warmup, "-o", "json")
	if off.code != 0 {
		t.Fatalf("offline backtest of the saved store: exit %d: %s", off.code, off.stderr)
	}
	var a, b map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(off.stdout), &b); err != nil {
		t.Fatal(err)
	}
	for k, offline := range b {
		if string(a[k]) != string(offline) {
			t.Errorf("%q differs between the live what-if and the offline backtest of its saved history:\n--- live\n%.2000s\n--- offline\n%.2000s", k, a[k], offline)
		}
	}
	for _, k := range []string{"results", "summary", "comparison"} {
		if len(b[k]) < 10 {
			t.Errorf("offline %q is empty: %s", k, b[k])
		}
	}
}

// Acceptance: with the view-only kubeconfig it works (read-only).
func TestWhatIfViewOnly(t *testing.T) {
	c := framework.Get(t)
	r := smartvpa(t, c, c.KubeconfigView, "", "backtest", "-n", framework.DemoNamespace, "deploy/web", "--history", "prometheus",
		"--recommenders", "vpa,smart", "-o", "json")
	if r.code != 0 {
		t.Fatalf("view-only: exit %d: %s", r.code, r.stderr)
	}
	var out whatIfJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Series) != 1 || out.Series[0].Name != "web" {
		t.Fatalf("view-only: series %+v, err %v", out.Series, err)
	}
}

// Acceptance: an unreachable Prometheus exits 3 with one line.
func TestWhatIfUnreachablePrometheus(t *testing.T) {
	c := framework.Get(t)
	r := smartvpa(t, c, c.Kubeconfig, "", "backtest", "-n", framework.DemoNamespace, "--history", "prometheus",
		"--prometheus-url", "http://127.0.0.1:1", "--recommenders", "vpa,smart")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: cannot reach Prometheus at http://127.0.0.1:1 (") || !strings.HasSuffix(lines[0], "check --prometheus-url (or PROMETHEUS_URL)") {
		t.Errorf("stderr %q: want one error line naming the URL and what to check", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
}

// Acceptance: audit --what-if -n demo exits 0 or 1 as the figures say, 2 on
// a usage error.
func TestAuditWhatIfDemo(t *testing.T) {
	c := framework.Get(t)
	for _, rec := range []string{"smart", "vpa"} {
		r := smartvpa(t, c, c.KubeconfigView, "", "audit", "--what-if", "-n", framework.DemoNamespace, "--recommender", rec, "-o", "json")
		var a struct {
			Recommender, Best, Status string
			Margin, Excess            float64
			Costs                     []struct {
				Recommender string
				Cost        float64
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &a); err != nil {
			t.Fatalf("%s: exit %d, json: %v\n%s\n%s", rec, r.code, err, r.stdout, r.stderr)
		}
		own, best := 0.0, a.Costs[0].Cost
		for _, x := range a.Costs {
			if x.Recommender == rec {
				own = x.Cost
			}
			best = min(best, x.Cost)
		}
		beaten := own > 0 && (own-best)/own > a.Margin
		want := 0
		if beaten {
			want = 1
		}
		if r.code != want || (a.Status == "beaten") != beaten {
			t.Errorf("%s: exit %d, status %s; costs %+v say beaten=%v (exit %d)", rec, r.code, a.Status, a.Costs, beaten, want)
		}
		t.Logf("audit --what-if --recommender %s: exit %d, best %s, excess %.3f", rec, r.code, a.Best, a.Excess)
	}
	r := smartvpa(t, c, c.Kubeconfig, "", "audit", "--what-if", "-n", framework.DemoNamespace, "--margin", "1.5")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "error: invalid --margin 1.5") {
		t.Errorf("usage error: exit %d, stderr %q; want 2", r.code, r.stderr)
	}
}

// Acceptance: in the TUI, b on a demo workload shows the comparison and Esc
// returns to the table.
func TestUIWhatIf(t *testing.T) {
	c := framework.Get(t)
	p := startUI(t, c, c.Kubeconfig, 140, 40, "-n", framework.DemoNamespace)
	p.waitFor(60*time.Second, "the demo rows", func(pane string) bool { return rowOf(pane, "deploy/web") != "" })
	p.text("/web")
	p.keys("Enter")
	p.keys("b")
	pane := p.waitText(60*time.Second, "$/MONTH")
	for _, want := range []string{"WHAT-IF demo/Deployment/web", "RECOMMENDER", "CPU SLACK", "MEM SLACK", "OOMS", "RESTARTS", "UPD/DAY", " vpa ", " smart "} {
		if !strings.Contains(pane, want) {
			t.Errorf("the what-if view lacks %q:\n%s", want, pane)
		}
	}
	p.keys("Escape")
	p.waitText(10*time.Second, "KIND/NAME")
	p.quit()
}

// The scale run of the issue: backtest -A --history prometheus over the
// 5,000-pod namespace of hack/scale.sh, one list per kind. The time is logged
// (see the report), not asserted.
func TestWhatIfScale(t *testing.T) {
	c := framework.Get(t)
	pods, err := c.Client.CoreV1().Pods("scale").List(context.Background(), metav1.ListOptions{ResourceVersion: "0"})
	if err != nil || len(pods.Items) < 1000 {
		t.Skip("run hack/scale.sh --metrics first (namespace scale with thousands of kwok pods)")
	}
	r := smartvpa(t, c, c.Kubeconfig, "", "backtest", "-A", "--history", "prometheus", "--recommenders", "vpa,smart",
		"--debug-requests", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out whatIfJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	t.Logf("backtest -A --history prometheus --recommenders vpa,smart over %d pods in namespace scale: %d series, %s\n%s", len(pods.Items), len(out.Series), r.took, r.stderr)
	for _, line := range strings.Split(r.stderr, "\n") {
		f := strings.Fields(strings.TrimPrefix(line, "requests:"))
		if len(f) >= 3 && f[1] == "GET" && f[2] == "list" && f[0] != "1" {
			t.Errorf("more than one list call for a kind: %s", line)
		}
	}
}

// backtest --history checkpoints replays the samples serve journals.
func TestWhatIfFromServeJournal(t *testing.T) {
	c := framework.Get(t)
	dyn, kc := serveEnv(t, c)
	ns := c.Namespace(t, "whatif-journal")
	serveWorkload(t, c, ns, 2, "100m", "128Mi")
	createVPA(t, dyn, ns, "mine", "smartvpa", "Off")
	cmName := operator.CheckpointName(ns, "mine")
	t.Cleanup(func() {
		_ = c.Client.CoreV1().ConfigMaps("smartvpa-system").Delete(context.Background(), cmName, metav1.DeleteOptions{})
	})
	p := startServe(t, c, kc, "smartvpa-e2e-"+ns, "--recommender", "vpa")
	setUsage(t, c, ns, "150m", "200Mi")
	framework.Eventually(t, 6*serveInterval, func() (bool, error) {
		return checkpointTotal(t, c, ns, "mine") >= 4, nil
	}, "serve's journal of %s/mine with 4 samples", ns)
	p.stop(t)

	r := smartvpa(t, c, c.KubeconfigView, "", "backtest", "-n", ns, "deploy/svc", "--history", "checkpoints", "--recommenders", "vpa,smart", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out struct {
		History string `json:"history"`
		Series  []struct{ Name, Container string }
		Results []struct {
			Dataset string `json:"dataset"`
			Samples int    `json:"samples"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if out.History != "checkpoints" || len(out.Series) != 1 || out.Series[0].Name != "svc" || len(out.Results) != 2 ||
		out.Results[0].Dataset != "checkpoints" || out.Results[0].Samples == 0 {
		t.Fatalf("what-if from the journal:\n%s\n%s", r.stdout, r.stderr)
	}
}
