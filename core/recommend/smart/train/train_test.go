package train

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
	"github.com/smartvpa/smartvpa/core/recommend/smart"
	"github.com/smartvpa/smartvpa/core/sim"
)

func workloads(n, days int) []sim.Workload {
	rng := rand.New(rand.NewPCG(3, 3))
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var out []sim.Workload
	for k := 0; k < n; k++ {
		w := sim.Workload{ID: string(rune('a' + k)), InitialRequest: model.Resources{CPUMillicores: 2000, MemoryBytes: 4 * model.GiB}}
		base := 200 * float64(k+1)
		for i := 0; i < days*288; i++ {
			h := float64(i%288) / 12
			w.Samples = append(w.Samples, model.Sample{
				Time:          t0.Add(time.Duration(i) * 5 * time.Minute),
				CPUMillicores: base * (1 + 0.5*math.Sin(2*math.Pi*h/24)) * (1 + 0.1*rng.Float64()),
				MemoryBytes:   model.GiB * (1 + 0.3*math.Sin(2*math.Pi*h/24)) * (1 + 0.02*rng.Float64()),
			})
		}
		out = append(out, w)
	}
	return out
}

func TestSplitAndHash(t *testing.T) {
	ws := workloads(5, 1)
	tr, val := Split(ws, 3)
	if len(tr) != 4 || len(val) != 1 || val[0].ID != "c" {
		t.Fatalf("split: %d train, validation %v", len(tr), ids(val))
	}
	if Hash(ws[:2]) == Hash(ws[1:3]) || Hash(ws) != Hash(workloads(5, 1)) {
		t.Fatal("hash does not follow the data")
	}
}

func TestTrainDeterministic(t *testing.T) {
	ws := workloads(3, 4)
	for _, name := range Recommenders {
		t.Run(name, func(t *testing.T) {
			var outs [][]byte
			var lines int
			for i := 0; i < 2; i++ {
				o := Options{Seed: 42, Holdout: 3, Env: sim.DefaultOptions(), Quick: true, Workers: 2, Progress: func(string) { lines++ }}
				f, err := Train(context.Background(), name, ws, o)
				if err != nil {
					t.Fatal(err)
				}
				b, err := f.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				outs = append(outs, b)
				if _, err := modelfile.Parse("m", b, name); err != nil {
					t.Fatal(err)
				}
				if f.Seed != 42 || len(f.TrainingSet.Workloads) != 2 || len(f.TrainingSet.Validation) != 1 || !strings.HasPrefix(f.TrainingSet.Hash, "sha256:") {
					t.Fatalf("envelope %+v", f.TrainingSet)
				}
				if f.Metrics["validation"] == nil {
					t.Fatal("no validation metrics")
				}
			}
			if !bytes.Equal(outs[0], outs[1]) {
				t.Fatal("same seed, different model bytes")
			}
			if lines == 0 {
				t.Fatal("no progress lines")
			}
		})
	}
}

func TestTrainErrors(t *testing.T) {
	if _, err := Train(context.Background(), "vpa", workloads(2, 1), Options{Env: sim.DefaultOptions()}); err == nil || err.Error() != `cannot train "vpa": choose one of autopilot, lstm, bandit, smart` {
		t.Fatalf("error %v", err)
	}
	if _, err := Train(context.Background(), "lstm", workloads(1, 1), Options{Holdout: 1, Env: sim.DefaultOptions()}); err == nil || !strings.HasPrefix(err.Error(), "no training workloads left") {
		t.Fatalf("error %v", err)
	}
}

// res is a result of workload w of family fam with memory slack mem GiB-h,
// ooms OOM kills and rst restarts.
func res(fam, w string, mem float64, ooms, rst int) sim.Result {
	r := sim.Result{Workload: w, Dataset: fam}
	r.Samples = 100
	r.Memory.AbsoluteSlackGiBHours, r.Memory.OOMs, r.Restarts = mem, ooms, rst
	return r
}

func TestMemoryObjective(t *testing.T) {
	// vpa: family a (two workloads, 20 OOM kills, 10 restarts), family b
	// (one workload, 100 times a's slack, no OOM kill).
	vpa := []sim.Result{res("a", "a1", 100, 10, 5), res("a", "a2", 100, 10, 5), res("b", "b1", 20000, 0, 1)}
	// Each family's slack term is the larger of (ratio of totals / 0.75)
	// and the geometric mean: 4/3 at ratios 1.
	const one = 1 / 0.75
	// Against itself: ratios 1, and on a its 20 OOM kills are above the
	// bound 0.45 x 20 + 0.2.
	if got, want := MemoryObjective(vpa, vpa, time.Hour), (2*one+math.Log(20/9.2))/2; math.Abs(got-want) > 1e-9 {
		t.Fatalf("vpa against itself = %g, want %g", got, want)
	}
	for _, tt := range []struct {
		name string
		t    []sim.Result
		want float64
	}{
		// Half the slack on family a, within the bounds (OOM 9 <= 0.45*20+0.2,
		// restarts 11 <= 1.15*10+0.2): family a scores 0.5 / 0.75, b 4/3.
		{"half the slack on a", []sim.Result{res("a", "a1", 50, 4, 5), res("a", "a2", 50, 5, 6), res("b", "b1", 20000, 0, 1)}, 1},
		// Each family counts alike: halving b's (large) slack is worth as much.
		{"half the slack on b", []sim.Result{res("a", "a1", 100, 4, 5), res("a", "a2", 100, 5, 5), res("b", "b1", 10000, 0, 1)}, 1},
		// OOM kills above the bound cost ln(kills / bound): 2 kills on b
		// against a bound of 0.1 (one workload, vpa none).
		{"OOM kills where vpa has none", []sim.Result{res("a", "a1", 100, 4, 5), res("a", "a2", 100, 5, 5), res("b", "b1", 20000, 2, 1)}, (2*one + math.Log(2/0.1)) / 2},
		// Restarts above 1.15 x vpa's + 0.1 per workload: 2.3 on a.
		{"restarts above the bound", []sim.Result{res("a", "a1", 100, 4, 12), res("a", "a2", 100, 5, 11), res("b", "b1", 20000, 0, 1)}, (2*one + math.Log(23/11.7)) / 2},
	} {
		if got := MemoryObjective(tt.t, vpa, time.Hour); math.Abs(got-tt.want) > 1e-4 { // slack + 0.001 in the geometric mean
			t.Errorf("%s: MemoryObjective = %.6f, want %.6f", tt.name, got, tt.want)
		}
	}
}

// TestMemoryObjectiveLongBudget: at a 12 h budget the bars are 0.8 of
// vpa's memory slack and 0.7 of its OOM kills (the bound 0.65 x vpa's + 0.1
// per workload), not the hourly 0.75 and 0.5.
func TestMemoryObjectiveLongBudget(t *testing.T) {
	vpa := []sim.Result{res("a", "a1", 100, 10, 5), res("a", "a2", 100, 10, 5)}
	// 0.6 of the slack with 12 of vpa's 20 kills: within 12 h's bound 13.2,
	// above the hour's 9.2.
	half := []sim.Result{res("a", "a1", 60, 6, 5), res("a", "a2", 60, 6, 5)}
	if got, want := MemoryObjective(half, vpa, 12*time.Hour), 0.6/0.8; math.Abs(got-want) > 1e-4 {
		t.Errorf("at 12 h: %.6f, want %.6f", got, want)
	}
	if got, want := MemoryObjective(half, vpa, time.Hour), 0.6/0.75+math.Log(12/9.2); math.Abs(got-want) > 1e-4 {
		t.Errorf("at 1 h: %.6f, want %.6f", got, want)
	}
}

var update = flag.Bool("update", false, "rewrite testdata/checksums.txt")

// TestTrainedModelChecksums retrains one small model of each recommender
// (quick settings, three synthetic workloads, seed 42) and compares the
// SHA-256 of its bytes with testdata/checksums.txt: training is reproducible
// across runs and builds, and a change to a model's bytes is a visible diff
// (go test -run TestTrainedModelChecksums -update rewrites the file).
func TestTrainedModelChecksums(t *testing.T) {
	ws := workloads(3, 4)
	var got strings.Builder
	for _, name := range Recommenders {
		o := Options{Seed: 42, Holdout: 3, Env: sim.DefaultOptions(), Quick: true, Workers: 2}
		f, err := Train(context.Background(), name, ws, o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&got, "%s %x\n", name, sha256.Sum256(b))
	}
	path := filepath.Join("testdata", "checksums.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got.String() != string(want) {
		t.Fatalf("trained model checksums differ from %s:\ngot\n%swant\n%s", path, got.String(), want)
	}
}

// TestCPUObjective: the CPU slack term of each family is the larger of the
// ratio of totals over 0.75 and the geometric mean of the per-workload
// ratios; families count alike.
func TestCPUObjective(t *testing.T) {
	cpu := func(fam, w string, slack float64) sim.Result {
		r := res(fam, w, 0, 0, 0)
		r.CPU.AbsoluteSlackCoreHours = slack
		return r
	}
	vpa := []sim.Result{cpu("a", "a1", 10), cpu("a", "a2", 1000), cpu("b", "b1", 100)}
	// a: the small workload's slack is halved (totals 0.995, GM 0.707):
	// max(0.995 / 0.75, 0.707) = 1.327; b: totals 0.6 / 0.75 = 0.8.
	got := CPUObjective([]sim.Result{cpu("a", "a1", 5), cpu("a", "a2", 1000), cpu("b", "b1", 60)}, vpa)
	if want := (1005.0/1010/0.75 + 0.6/0.75) / 2; math.Abs(got-want) > 1e-4 {
		t.Fatalf("CPUObjective = %.5f, want %.5f", got, want)
	}
}

// TestLongAxes: every long-only axis is a memory axis, and reads as the
// value in force at long horizons (unset: the short one), so that a variant
// setting the short value again has the key of the one it behaves as.
func TestLongAxes(t *testing.T) {
	names := map[string]bool{}
	for _, a := range memoryAxes {
		names[a.name] = true
	}
	for n := range longAxes {
		if !names[n] {
			t.Errorf("long axis %q is not a memory axis", n)
		}
	}
	o := smart.DefaultOptions()
	o.OOMStreakFactor, o.OOMLoopStreak = 2, 3
	for _, a := range memoryAxes {
		if !longAxes[a.name] {
			continue
		}
		short := map[string]float64{"oomStreakFactorLong": 2, "oomLoopStreakLong": 3}[a.name]
		if got := a.get(o); got != short {
			t.Errorf("%s unset reads %g, want the short value %g", a.name, got, short)
		}
		set := o
		a.set(&set, 1.5)
		if a.name == "oomLoopStreakLong" {
			a.set(&set, 2)
		}
		if got := a.get(set); got == short {
			t.Errorf("%s set to another value still reads the short value %g", a.name, got)
		}
	}
}
