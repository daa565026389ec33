//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/smartvpa/smartvpa/kube/emulate"
	"github.com/smartvpa/smartvpa/test/e2e/framework"
	"github.com/smartvpa/smartvpa/workloads"
)

// emulateStore writes a generated workload of the given length at 5 minutes
// into a fresh store and returns the store and the id.
func emulateStore(t *testing.T, typ string, d time.Duration) (string, string) {
	t.Helper()
	dir := t.TempDir()
	tr, err := workloads.Generate(typ, nil, 1, d, 5*time.Minute, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	tr.ID, tr.Meta.ID = typ+"-e2e", typ+"-e2e"
	if _, err := workloads.OpenStore(dir).Save(tr); err != nil {
		t.Fatal(err)
	}
	return dir, tr.ID
}

func emulatePods(t *testing.T, c *framework.Cluster, ns string) int {
	t.Helper()
	list, err := c.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: emulate.LabelRun})
	if err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}

// A short emulation on kwok: 3 h of a workload at 180x (about 1 min of wall
// time) completes, reads metrics.k8s.io, writes simulate's trajectory shape,
// compares with the simulator and removes its pods.
func TestEmulateKwok(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "e2e-emulate")
	store, id := emulateStore(t, "sinusoidal", 3*time.Hour)
	traj := filepath.Join(t.TempDir(), "emu.csv")
	r := smartvpa(t, c, c.Kubeconfig, "", "emulate", "--store", store, "--workload", id, "--recommender", "vpa",
		"--duration", "3h", "--warmup", "1h", "--speedup", "180", "-n", ns, "--trajectory", traj, "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	t.Logf("took %s", r.took)
	var got struct {
		Samples int `json:"samples"`
		CPU     struct {
			RelativeSlack float64 `json:"relativeSlack"`
		} `json:"cpu"`
		Memory struct {
			RelativeSlack float64 `json:"relativeSlack"`
			OOMs          int     `json:"ooms"`
		} `json:"memory"`
		Emulation struct {
			Backend        string  `json:"backend"`
			Namespace      string  `json:"namespace"`
			MetricsSamples int     `json:"metricsSamples"`
			Pods           int     `json:"pods"`
			WallSeconds    float64 `json:"wallSeconds"`
		} `json:"emulation"`
		Simulated struct {
			Samples int `json:"samples"`
			CPU     struct {
				RelativeSlack float64 `json:"relativeSlack"`
			} `json:"cpu"`
			Memory struct {
				RelativeSlack float64 `json:"relativeSlack"`
				OOMs          int     `json:"ooms"`
			} `json:"memory"`
		} `json:"simulated"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r.stdout)
	}
	e := got.Emulation
	if got.Samples != 24 || got.Simulated.Samples != 24 {
		t.Errorf("measured %d samples (simulated %d), want 24 (3h - 1h warm-up at 5m)", got.Samples, got.Simulated.Samples)
	}
	// 3 h at 180x is 60 s of wall time: 4 scrapes at 15 s, give or take one
	if e.Backend != "kwok" || e.Namespace != ns || e.Pods < 1 || e.MetricsSamples < 3 || e.MetricsSamples > 6 {
		t.Errorf("emulation %+v: want kwok in %s, at least one pod and 3-6 metrics samples", e, ns)
	}
	if e.WallSeconds < 55 || e.WallSeconds > 90 {
		t.Errorf("wall time %.1f s, want about 60 s (3 h at 180x)", e.WallSeconds)
	}
	for _, f := range []struct {
		name      string
		sim, emul float64
	}{{"cpu relative slack", got.Simulated.CPU.RelativeSlack, got.CPU.RelativeSlack}, {"memory relative slack", got.Simulated.Memory.RelativeSlack, got.Memory.RelativeSlack}} {
		if math.Abs(f.emul-f.sim) > 0.1*f.sim {
			t.Errorf("%s: emulated %.4f, simulated %.4f: more than 10%% apart", f.name, f.emul, f.sim)
		}
	}
	if got.Memory.OOMs != got.Simulated.Memory.OOMs {
		t.Errorf("OOM kills: emulated %d, simulated %d", got.Memory.OOMs, got.Simulated.Memory.OOMs)
	}
	if !strings.Contains(r.stderr, "emulate: workload 03h00m of 03h00m (sample 36/36)") || !strings.Contains(r.stderr, "emulate: cleaned up (pods)") {
		t.Errorf("stderr lacks the final progress line or the clean-up:\n%s", r.stderr)
	}
	f, err := os.Open(traj)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 37 || rows[0][0] != "timestamp" || rows[0][len(rows[0])-1] != "reason" || len(rows[0]) != 19 {
		t.Errorf("trajectory: %d rows, header %v; want 36 samples under simulate's 19-column header", len(rows), rows[0])
	}
	if n := emulatePods(t, c, ns); n != 0 {
		t.Errorf("%d emulation pods left in %s", n, ns)
	}
}

// Ctrl-C during an emulation removes its pods and prints nothing on stdout.
func TestEmulateInterruptCleansUp(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "e2e-emulate-int")
	store, id := emulateStore(t, "step", 24*time.Hour)
	cmd := exec.Command(plugin(t, c), "emulate", "--store", store, "--workload", id, "--duration", "1d", "--warmup", "6h", "--speedup", "60", "-n", ns)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	framework.Eventually(t, 3*time.Minute, func() (bool, error) {
		return emulatePods(t, c, ns) > 0 && strings.Contains(errOut.String(), "emulate: kwok backend"), nil
	}, "the emulation's pod in %s", ns)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("interrupted emulation exited 0")
		}
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("emulate did not exit within a minute of SIGINT; stderr:\n%s", errOut.String())
	}
	if out.Len() != 0 {
		t.Errorf("stdout after an interrupt: %q", out.String())
	}
	if !strings.Contains(errOut.String(), "emulate: cleaned up (pods)") {
		t.Errorf("stderr does not report the clean-up:\n%s", errOut.String())
	}
	framework.Eventually(t, 30*time.Second, func() (bool, error) { return emulatePods(t, c, ns) == 0, nil }, "no emulation pod in %s", ns)
}
