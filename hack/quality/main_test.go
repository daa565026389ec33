package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
	"github.com/smartvpa/smartvpa/core/recommend/smart"
	"github.com/smartvpa/smartvpa/core/sim"
)

// TestSmartChoices: the report states what smart's sweep chose in a fold.
func TestSmartChoices(t *testing.T) {
	o := smart.DefaultOptions()
	o.OverrunWeights = map[string]float64{"reliability": 256, "balanced": 45.25, "savings": 2.83}
	o.CPUWeightSizeExponent, o.CPUWeightSizeFloor, o.MemoryQuantile, o.MemoryHysteresis = 0.25, 250, 0.95, 1
	o.MemoryDecreaseGap, o.OOMStreakFactor, o.OOMToPlan = 96*time.Hour, 2, true
	o.MemoryDecreaseStep, o.OOMTrimHold, o.OOMLoopStreak = 0.35, 2*time.Hour, 3
	o.CPUShareCeiling = 0 // calibration down only, until the case that sets it
	// choices states o's choices, and returns the model file too.
	choices := func(o smart.Options) (string, *modelfile.File) {
		t.Helper()
		m, err := modelfile.New(smart.Name, 1, modelfile.TrainingSet{}, o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := smartChoices(m)
		if err != nil {
			t.Fatal(err)
		}
		return got, m
	}
	got, _ := choices(o)
	want := "smart's sweep chose: CPU weights 256 / 45.25 / 2.83 (reliability / balanced / savings), size power 0.25 (a container below 250m weighed as one of 250m), no share calibration; memory: 0.95 quantile of the hourly peaks, hysteresis 1, 96 h between decreases, a decrease to at least 0.35 x the target, a bump falls back 2 h after the last kill, streak factor 2 (a crash loop at one request: its power 3), kill to the next plan yes."
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	o.OOMLoopStreakLong, o.OOMStreakConstant, o.CPUShareRate, o.CPUShareRange, o.CPUShadowFrom = 2, true, 3, 16, 6*time.Hour
	got, _ = choices(o)
	if w := "streak factor 2 at every kill (a crash loop at one request: its power 3) (at budgets of 6 h or more: 2, power 2), kill"; !strings.Contains(got, w) {
		t.Errorf("long-horizon escalation: got\n%s\nwant it to contain %q", got, w)
	}
	if w := "250m), share calibration at rate 3 down to 1/16 of the weight, CPU plans in the shadow of the warm-up from 6 h; memory"; !strings.Contains(got, w) {
		t.Errorf("share calibration: got\n%s\nwant it to contain %q", got, w)
	}
	o.OOMStreakConstant, o.OOMStreakConstantLong, o.CPUShareBurst = false, true, true
	got, m := choices(o)
	if w := "streak factor 2 (at every kill at budgets of 6 h or more) (a crash loop"; !strings.Contains(got, w) {
		t.Errorf("geometric search at long budgets only: got\n%s\nwant it to contain %q", got, w)
	}
	if w := "down to 1/16 of the weight (a burst above counted once per plan), CPU plans"; !strings.Contains(got, w) {
		t.Errorf("burst-counted calibration: got\n%s\nwant it to contain %q", got, w)
	}
	o.CPUShareCeiling = 4
	got, _ = choices(o)
	if w := "(a burst above counted once per plan) and up to 4 x it while a container's share above is over the profile's, CPU plans"; !strings.Contains(got, w) {
		t.Errorf("calibration with a ceiling: got\n%s\nwant it to contain %q", got, w)
	}
	m.Params = []byte(`{"memoryHysteresis": "x"}`)
	if _, err := smartChoices(m); err == nil {
		t.Error("parameters that are not smart's: no error")
	}
}

// TestValidationPaths: the held-out series are found in the family stores,
// and model files that disagree on them, or a series in no store, fail.
func TestValidationPaths(t *testing.T) {
	dir, models := t.TempDir(), t.TempDir()
	for _, p := range []string{"bitbrains/bitbrains-3", "bitbrains/bitbrains-1", "google/jobs-9", "google/jobs-2"} {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(rec string, val []string) {
		t.Helper()
		m, err := modelfile.New(rec, 1, modelfile.TrainingSet{Hash: "sha256:0", Workloads: []string{"bitbrains-1", "jobs-2"}, Validation: val}, map[string]int{})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.WriteFile(filepath.Join(models, rec+".json")); err != nil {
			t.Fatal(err)
		}
	}
	write("bandit", []string{"bitbrains-3", "jobs-9"})
	write("lstm", []string{"bitbrains-3", "jobs-9"})
	in := input{dir: dir, families: []string{"generated", "bitbrains", "google"}, models: models}
	paths, family, err := validationPaths(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "bitbrains", "bitbrains-3"), filepath.Join(dir, "google", "jobs-9")}
	if !slices.Equal(paths, want) {
		t.Errorf("paths %v, want %v", paths, want)
	}
	if family["bitbrains-3"] != "bitbrains" || family["jobs-9"] != "google" || len(family) != 2 {
		t.Errorf("families %v", family)
	}

	write("lstm", []string{"bitbrains-3", "jobs-9", "jobs-10"})
	if _, _, err := validationPaths(in); err == nil || !strings.Contains(err.Error(), "hold out different workloads") {
		t.Errorf("model files holding out different series: %v", err)
	}
	write("bandit", []string{"bitbrains-3", "jobs-9", "jobs-10"})
	if _, _, err := validationPaths(in); err == nil || !strings.Contains(err.Error(), "jobs-10") {
		t.Errorf("a held-out series in no store: %v", err)
	}
	empty := t.TempDir()
	if _, _, err := validationPaths(input{dir: dir, families: in.families, models: empty}); err == nil {
		t.Error("no model files: no error")
	}
}

// TestAtRisk: the profiles' line is read log-log between the two profiles
// that bracket the risk, in any order, and not outside them.
func TestAtRisk(t *testing.T) {
	pts := []riskPoint{{0.03, 0.4}, {0.005, 1.6}, {0.015, 0.8}}
	for _, tt := range []struct {
		r, want float64
		ok      bool
	}{
		{0.015, 0.8, true},
		{0.005, 1.6, true},
		{math.Sqrt(0.015 * 0.03), math.Sqrt(0.8 * 0.4), true}, // the log-log midpoint
		{0.01, 0, true}, // checked below: between 0.8 and 1.6
		{0.004, 0, false},
		{0.05, 0, false},
		{0, 0, false},
	} {
		got, ok := atRisk(pts, tt.r)
		if ok != tt.ok {
			t.Errorf("risk %g: ok %v, want %v", tt.r, ok, tt.ok)
			continue
		}
		if tt.want > 0 && math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("risk %g: slack %g, want %g", tt.r, got, tt.want)
		}
		if tt.r == 0.01 && !(got > 0.8 && got < 1.6) {
			t.Errorf("risk 0.01: slack %g, want between the bracketing profiles' 0.8 and 1.6", got)
		}
	}
	if got := riskRange(pts, func(v float64) string { return fmt.Sprintf("%.1f %%", 100*v) }); got != "outside (profiles 0.5 % to 3.0 %)" {
		t.Errorf("range: %q", got)
	}
}

// TestRiskMatched: the table reads the profiles' line at vpa's CPU share
// and OOM kills, and says "outside" where no two profiles bracket them.
func TestRiskMatched(t *testing.T) {
	// One workload: vpa at a 2 % share, 100 core-h, 10 kills (ratio of
	// totals with counts + 1: (k + 1) / 11), 100 GiB-h.
	res := func(rec string, share, cpu float64, kills int, mem float64) sim.Result {
		r := sim.Result{Workload: "w", Recommender: rec, Dataset: "d"}
		r.Samples, r.Hours = 100, 100
		r.CPU.OverRequestShare, r.CPU.AbsoluteSlackCoreHours = share, cpu
		r.Memory.OOMs, r.Memory.AbsoluteSlackGiBHours = kills, mem
		return r
	}
	results := []sim.Result{
		res("vpa", 0.02, 100, 10, 100),
		res("smart:reliability", 0.005, 120, 1, 150),
		res("smart", 0.01, 80, 4, 110),
		res("smart:savings", 0.04, 40, 21, 70),
	}
	recs := []string{"vpa", "smart", "smart:reliability", "smart:savings"}
	set := barSet{name: "fam", results: map[string][]sim.Result{"1h": results, "12h": results}}
	var b bytes.Buffer
	riskMatched(&b, []barSet{set}, recs, 1, false)
	// CPU at 2 %: the log-log midpoint of 80 and 40 (1 % and 4 %): 56.57;
	// memory at kill ratio 1: between smart's 5/11 and savings' 22/11.
	cpu := math.Sqrt(0.8 * 0.4)
	lk, hk := math.Log(5.0/11), math.Log(22.0/11)
	mem := math.Exp(math.Log(1.1) + (0-lk)/(hk-lk)*(math.Log(0.7)-math.Log(1.1)))
	want := fmt.Sprintf("| fam | 2.00 %% | %.2f | %.2f | 2.00 %% | %.2f | %.2f |", cpu, mem, cpu, mem)
	if !strings.Contains(b.String(), want) {
		t.Errorf("got\n%s\nwant the row\n%s", b.String(), want)
	}
	if !strings.Contains(b.String(), "state different risks") {
		t.Error("the first table does not explain its reading")
	}
	// vpa's share above every profile's: outside, with their range.
	results[0].CPU.OverRequestShare = 0.05
	b.Reset()
	riskMatched(&b, []barSet{set}, recs, 1, true)
	if w := "| fam | 5.00 % | outside (profiles 0.50 % to 4.00 %) |"; !strings.Contains(b.String(), w) {
		t.Errorf("got\n%s\nwant the row to start\n%s", b.String(), w)
	}
	if strings.Contains(b.String(), "state different risks") {
		t.Error("the second table explains its reading again")
	}
}

// TestFirstDay: the cold-start section gives, per family and pooled, smart's
// totals against vpa's from the first-day reports, and fails on a missing one.
func TestFirstDay(t *testing.T) {
	dir := t.TempDir()
	res := func(w, rec string, cpu, share, mem float64, ooms, restarts int) sim.Result {
		r := sim.Result{Workload: w, Recommender: rec}
		r.CPU.AbsoluteSlackCoreHours, r.CPU.OverRequestShare = cpu, share
		r.Memory.AbsoluteSlackGiBHours, r.Memory.OOMs, r.Restarts = mem, ooms, restarts
		r.Samples, r.Hours = 288, 24
		return r
	}
	reports := map[string][]sim.Result{
		"a": {res("a1", "vpa", 10, 0.04, 20, 3, 1), res("a1", "smart", 5, 0.01, 30, 1, 0)},
		"b": {res("b1", "vpa", 30, 0.02, 20, 1, 1), res("b1", "smart", 45, 0.01, 10, 0, 2)},
	}
	for f, rs := range reports {
		data, err := json.Marshal(sim.Report{Recommenders: []string{"vpa", "smart"}, Results: rs})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f+"-firstday-1h.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	in := input{dir: dir, families: []string{"a", "b"}, firstDay: []string{"1h"}}
	if err := firstDay(&b, in); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| a | 1 | 0.50 | 1.00 % vs 4.00 % | 1.50 | 1 vs 3 | 0 vs 1 |",
		"| b | 1 | 1.50 | 1.00 % vs 2.00 % | 0.50 | 0 vs 1 | 2 vs 1 |",
		"| pooled | 2 | 1.25 | 1.00 % vs 3.00 % | 1.00 | 1 vs 4 | 2 vs 2 |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing row %q in\n%s", want, b.String())
		}
	}
	in.firstDay = []string{"12h"}
	if err := firstDay(&b, in); err == nil {
		t.Error("a missing first-day report: no error")
	}
}
