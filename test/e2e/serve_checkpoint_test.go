//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/vpa"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/kube/operator"
	"github.com/smartvpa/smartvpa/test/e2e/framework"
)

func getUpstreamCheckpoint(t *testing.T, dyn dynamic.Interface, ns, name string) *kube.VPACheckpoint {
	t.Helper()
	u, err := dyn.Resource(kube.VPACheckpointResource).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	cp, err := kube.ParseVPACheckpoint(u)
	if err != nil {
		t.Fatalf("parse %s/%s: %v", ns, name, err)
	}
	return cp
}

// setUsage sets the kwok usage annotations of every pod of svc in ns.
func setUsage(t *testing.T, c *framework.Cluster, ns, cpu, mem string) {
	t.Helper()
	ctx := context.Background()
	pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=svc"})
	if err != nil {
		t.Fatal(err)
	}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{"kwok.x-k8s.io/usage-cpu":%q,"kwok.x-k8s.io/usage-memory":%q}}}`, cpu, mem)
	for _, p := range pods.Items {
		if _, err := c.Client.CoreV1().Pods(ns).Patch(ctx, p.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// replayJournal rebuilds, from serve's ConfigMap journal, the vpa
// recommender serve had when it wrote the journal (exact: the journal holds
// every sample of this short run).
func replayJournal(t *testing.T, c *framework.Cluster, ns, vpaName, container string) (*vpa.Recommender, int) {
	t.Helper()
	cm, err := c.Client.CoreV1().ConfigMaps("smartvpa-system").Get(context.Background(), operator.CheckpointName(ns, vpaName), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("journal of %s/%s: %v", ns, vpaName, err)
	}
	ck, err := operator.ReadCheckpoint(cm)
	if err != nil {
		t.Fatal(err)
	}
	cc, ok := ck.Containers[container]
	if !ok {
		t.Fatalf("journal has no container %s", container)
	}
	if len(cc.Samples) != cc.Total || len(cc.OOMs) != 0 {
		t.Fatalf("journal holds %d of %d samples and %d OOM kills: not an exact replay", len(cc.Samples), cc.Total, len(cc.OOMs))
	}
	r, err := vpa.New(vpa.DefaultOptions(), recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range cc.Samples {
		r.AddSample(model.Sample{Time: time.Unix(0, cc.Start+int64(x[0])).UTC(), CPUMillicores: x[1], MemoryBytes: x[2]})
	}
	return r, cc.Total
}

// Acceptance (issue 8, upstream-compatible checkpoints): serve with the vpa
// recommender writes VerticalPodAutoscalerCheckpoint <vpa>-<container>; the
// checkpoint holds serve's histograms with < 1 % of the weight lost (against
// an exact replay of serve's journal); a restart without the journal
// restores from it (the history continues: same first sample, no sample
// lost, < 1 % of the weight lost in the checkpoint the restarted serve
// writes); `recommend --history checkpoints` uses it and says so.
func TestServeUpstreamCheckpoints(t *testing.T) {
	c := framework.Get(t)
	dyn, kc := serveEnv(t, c)
	ns := c.Namespace(t, "serve-ckpt")
	serveWorkload(t, c, ns, 2, "100m", "128Mi")
	createVPA(t, dyn, ns, "mine", "smartvpa", "Off")
	ctx := context.Background()

	p := startServe(t, c, kc, "smartvpa-e2e-"+ns)
	// Usage moves between levels so the CPU histogram has several buckets.
	for _, u := range [][2]string{{"150m", "200Mi"}, {"420m", "260Mi"}, {"90m", "240Mi"}, {"260m", "300Mi"}} {
		setUsage(t, c, ns, u[0], u[1])
		time.Sleep(20 * time.Second)
	}
	framework.Eventually(t, 3*serveInterval, func() (bool, error) {
		cp := getUpstreamCheckpoint(t, dyn, ns, "mine-app")
		return cp != nil && cp.TotalSamplesCount >= 10, nil
	}, "VerticalPodAutoscalerCheckpoint %s/mine-app with 10 samples", ns)
	p.stop(t)

	a := getUpstreamCheckpoint(t, dyn, ns, "mine-app")
	if a.VPA != "mine" || a.Container != "app" || a.Version != "v3" || len(a.CPUHistogram.BucketWeights) < 2 {
		t.Fatalf("checkpoint written at shutdown: %+v", a)
	}
	orig, total := replayJournal(t, c, ns, "mine", "app")
	if total != a.TotalSamplesCount {
		t.Fatalf("journal has %d samples, checkpoint %d: not written from the same state", total, a.TotalSamplesCount)
	}
	lostCPU, lostMem, err := vpa.CheckpointWeightLost(orig, &a.Checkpoint, a.LastUpdateTime)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("checkpoint at shutdown: %d samples, cpu buckets %v (total weight %.4g), memory buckets %v; weight lost against serve's state: cpu %.5f%%, memory %.5f%%",
		a.TotalSamplesCount, a.CPUHistogram.BucketWeights, a.CPUHistogram.TotalWeight, a.MemoryHistogram.BucketWeights, 100*lostCPU, 100*lostMem)
	if lostCPU >= 0.01 || lostMem >= 0.01 {
		t.Errorf("weight lost cpu %.4f%%, memory %.4f%% (limit 1%%)", 100*lostCPU, 100*lostMem)
	}

	// Restart without the journal: serve restores from the upstream object.
	if err := c.Client.CoreV1().ConfigMaps("smartvpa-system").Delete(ctx, operator.CheckpointName(ns, "mine"), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	p2 := startServe(t, c, kc, "smartvpa-e2e-"+ns)
	framework.Eventually(t, 60*time.Second, func() (bool, error) {
		return strings.Contains(p2.log(), "restored upstream checkpoints"), nil
	}, "serve restarted and restored upstream checkpoints")
	if !strings.Contains(p2.log(), `restored upstream checkpoints" containers=1`) {
		t.Fatalf("restart did not restore the container from the upstream checkpoint:\n%s", tail(p2.log(), 10))
	}
	var b *kube.VPACheckpoint
	framework.Eventually(t, 3*serveInterval, func() (bool, error) {
		b = getUpstreamCheckpoint(t, dyn, ns, "mine-app")
		return b != nil && b.LastUpdateTime.After(a.LastUpdateTime), nil
	}, "the restarted serve's first checkpoint")
	p2.stop(t)
	if !b.FirstSampleStart.Equal(a.FirstSampleStart) || b.TotalSamplesCount < a.TotalSamplesCount {
		t.Fatalf("history did not continue: before %d samples from %v, after %d from %v", a.TotalSamplesCount, a.FirstSampleStart, b.TotalSamplesCount, b.FirstSampleStart)
	}
	ra, _ := vpa.New(vpa.DefaultOptions(), recommend.Config{})
	if err := ra.LoadFromCheckpoint(&a.Checkpoint); err != nil {
		t.Fatal(err)
	}
	// Weight of a's history that b no longer holds (samples b added since
	// are not counted as lost).
	lostRestart, _, err := vpa.CheckpointWeightLost(ra, &b.Checkpoint, b.LastUpdateTime)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after the restart: %d samples from %v (before: %d); cpu weight of the old history lost %.5f%%", b.TotalSamplesCount, b.FirstSampleStart, a.TotalSamplesCount, 100*lostRestart)
	if lostRestart >= 0.01 {
		t.Errorf("restart lost %.4f%% of the CPU histogram weight (limit 1%%)", 100*lostRestart)
	}

	// recommend --history checkpoints reads the object, with vpa and with smart.
	for _, rec := range []string{"vpa", "smart"} {
		res := smartvpa(t, c, c.Kubeconfig, "", "recommend", "-n", ns, "deploy/svc", "--history", "checkpoints", "--recommender", rec, "-o", "json")
		if res.code != 0 {
			t.Fatalf("recommend --recommender %s: exit %d\n%s%s", rec, res.code, res.stdout, res.stderr)
		}
		// The report's JSON shape (README): only the fields checked here.
		var rep struct {
			History      string   `json:"history"`
			HistoryNotes []string `json:"historyNotes"`
			Workloads    []struct {
				Containers []struct {
					Samples        int      `json:"samples"`
					Notes          []string `json:"notes"`
					Recommendation *struct {
						Target struct {
							CPU float64 `json:"cpuMillicores"`
						} `json:"target"`
					} `json:"recommendation"`
				} `json:"containers"`
			} `json:"workloads"`
		}
		if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
			t.Fatalf("recommend -o json: %v\n%s", err, res.stdout)
		}
		notes := strings.Join(rep.HistoryNotes, "\n")
		if rep.History != "checkpoints" || !strings.Contains(notes, "upstream VerticalPodAutoscalerCheckpoint object(s) ("+ns+"/mine-app)") {
			t.Fatalf("history %q, notes:\n%s", rep.History, notes)
		}
		if len(rep.Workloads) != 1 || len(rep.Workloads[0].Containers) != 1 {
			t.Fatalf("report:\n%s", res.stdout)
		}
		cr := rep.Workloads[0].Containers[0]
		if cr.Recommendation == nil || cr.Samples != b.TotalSamplesCount {
			t.Fatalf("container report %+v (checkpoint has %d samples)\n%s", cr, b.TotalSamplesCount, res.stdout)
		}
		if fallback := strings.Contains(strings.Join(cr.Notes, "; "), "recommended by vpa from checkpoint mine-app (smart cannot load histograms)"); fallback != (rec == "smart") {
			t.Fatalf("%s: container notes %q", rec, cr.Notes)
		}
		t.Logf("recommend --history checkpoints --recommender %s: cpu target %.0fm from %d samples; notes %q; %s", rec, cr.Recommendation.Target.CPU, cr.Samples, cr.Notes, notes)
	}
	table := smartvpa(t, c, c.Kubeconfig, "", "recommend", "-n", ns, "deploy/svc", "--history", "checkpoints", "--recommender", "vpa")
	if table.code != 0 || !strings.Contains(table.stdout, "history from checkpoints") {
		t.Fatalf("table output (exit %d):\n%s%s", table.code, table.stdout, table.stderr)
	}
}
