//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/smartvpa/smartvpa/kube/operator"
	"github.com/smartvpa/smartvpa/test/e2e/framework"
)

// Issue 8, `recommend --history checkpoints` reads serve's own checkpoints:
// serve --recommender smart runs a few intervals and is stopped (SIGTERM writes the journal ConfigMap); then
// recommend --history checkpoints on the Deployment takes its samples from
// that journal and says so.
func TestRecommendFromServeJournal(t *testing.T) {
	c := framework.Get(t)
	dyn, kc := serveEnv(t, c)
	ns := c.Namespace(t, "rec-journal")
	serveWorkload(t, c, ns, 2, "100m", "128Mi")
	createVPA(t, dyn, ns, "mine", "smartvpa", "Off")
	cmName := operator.CheckpointName(ns, "mine")
	t.Cleanup(func() {
		_ = c.Client.CoreV1().ConfigMaps("smartvpa-system").Delete(context.Background(), cmName, metav1.DeleteOptions{})
	})

	p := startServe(t, c, kc, "smartvpa-e2e-"+ns, "--recommender", "smart")
	setUsage(t, c, ns, "150m", "200Mi")
	framework.Eventually(t, 6*serveInterval, func() (bool, error) {
		return checkpointTotal(t, c, ns, "mine") >= 4, nil
	}, "serve's journal of %s/mine with 4 samples", ns)
	p.stop(t)
	total := checkpointTotal(t, c, ns, "mine")

	res := smartvpa(t, c, c.Kubeconfig, "", "recommend", "-n", ns, "deploy/svc", "--history", "checkpoints", "-o", "json")
	if res.code != 0 {
		t.Fatalf("recommend: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	var rep struct {
		History      string   `json:"history"`
		HistoryNotes []string `json:"historyNotes"`
		Workloads    []struct {
			Containers []struct {
				Name    string   `json:"name"`
				Samples int      `json:"samples"`
				Notes   []string `json:"notes"`
			} `json:"containers"`
		} `json:"workloads"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("recommend -o json: %v\n%s", err, res.stdout)
	}
	notes := strings.Join(rep.HistoryNotes, "\n")
	t.Logf("journal: %d samples; history %q, notes:\n%s", total, rep.History, notes)
	if rep.History != "checkpoints" || !strings.Contains(notes, "from the serve journal in 1 ConfigMap(s) (smartvpa-system/"+cmName+")") {
		t.Fatalf("history %q, notes:\n%s", rep.History, notes)
	}
	// Where serve also wrote an upstream checkpoint of the container, the
	// journal's raw samples are preferred: no container falls back to it.
	if strings.Contains(notes, "containers by source") || strings.Contains(notes, "upstream VerticalPodAutoscalerCheckpoint object(s)") {
		t.Fatalf("a container fell back to an upstream checkpoint:\n%s", notes)
	}
	if len(rep.Workloads) != 1 || len(rep.Workloads[0].Containers) != 1 {
		t.Fatalf("report:\n%s", res.stdout)
	}
	cr := rep.Workloads[0].Containers[0]
	if cr.Samples != total || strings.Contains(strings.Join(cr.Notes, "; "), "from checkpoint") {
		t.Fatalf("container %+v, want the journal's %d samples\n%s", cr, total, res.stdout)
	}

	// The human output names the source too.
	res = smartvpa(t, c, c.Kubeconfig, "", "recommend", "-n", ns, "deploy/svc", "--history", "checkpoints")
	if res.code != 0 || !strings.Contains(res.stdout+res.stderr, "serve journal") {
		t.Fatalf("recommend: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}
