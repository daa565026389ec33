//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/test/e2e/framework"
)

// Acceptance (#7): workload import --format prometheus saves each container's
// Prometheus history as a workload that the simulator can replay.
func TestWorkloadImportPrometheus(t *testing.T) {
	c := framework.Get(t)
	name := firstDemoDeployment(t, c)
	store := t.TempDir()
	r := smartvpa(t, c, c.KubeconfigView, "", "workload", "import", "--format", "prometheus", "-n", framework.DemoNamespace,
		"deploy/"+name, "--history-duration", "8d", "--step", "5m", "--out", store)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	ids := strings.Fields(r.stdout)
	if len(ids) == 0 {
		t.Fatalf("no workload ids printed:\n%s%s", r.stdout, r.stderr)
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "demo-"+name+"-") {
			t.Errorf("id %q, want demo-%s-<container>", id, name)
		}
		b, err := os.ReadFile(filepath.Join(store, id, "meta.json"))
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			Type            string `json:"type"`
			Samples         int    `json:"samples"`
			Start, End      time.Time
			Interval        string          `json:"interval"`
			OriginalRequest json.RawMessage `json:"originalRequest"`
		}
		if err := json.Unmarshal(b, &meta); err != nil {
			t.Fatal(err)
		}
		// 8 days at 5 minutes is 2,304 steps; the backfill covers all of it.
		if meta.Type != "prometheus" || meta.Interval != "5m0s" || meta.End.Sub(meta.Start) < 7*24*time.Hour || meta.Samples < 2000 || len(meta.OriginalRequest) == 0 {
			t.Errorf("%s: meta %+v, want 8 days of 5-minute prometheus samples with the original request", id, meta)
		}
		sim := smartvpa(t, c, c.Kubeconfig, "", "simulate", "--store", store, "--workload", id, "--recommender", "vpa", "-o", "json")
		if sim.code != 0 || !strings.Contains(sim.stdout, `"recommender"`) {
			t.Errorf("simulate %s: exit %d\n%s%s", id, sim.code, sim.stdout, sim.stderr)
		}
	}

	// Usage errors: no workloads named, and no Prometheus URL.
	if r := smartvpa(t, c, c.Kubeconfig, "", "workload", "import", "--format", "prometheus", "-n", framework.DemoNamespace, "--out", store); r.code != 2 ||
		!strings.Contains(r.stderr, "needs workloads") {
		t.Errorf("no targets: exit %d, %s", r.code, r.stderr)
	}
	if r := smartvpa(t, c, c.Kubeconfig, "", "workload", "import", "--format", "prometheus", "--prometheus-url", "http://127.0.0.1:1", "-n", framework.DemoNamespace,
		"deploy/"+name, "--out", store); r.code != 3 || !strings.Contains(r.stderr, "prometheus") {
		t.Errorf("unreachable prometheus: exit %d, %s", r.code, r.stderr)
	}
}
