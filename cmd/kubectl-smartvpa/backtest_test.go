package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/workloads"
)

// simUpdateFlag makes `go test -update` known to the package; another test
// file may define it first, so it is looked up at test time (simUpdate).
var _ = func() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
	return true
}()

func simUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// simGolden compares got with testdata/sim/name, or rewrites it with -update.
func simGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "sim", name)
	if simUpdate() {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Fatalf("output differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

// simStore generates the step, sinusoidal and low_high workloads (4 days at
// 5-minute samples, seed 1) into a fresh store and returns its folder and ids.
func simStore(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	st := workloads.OpenStore(dir)
	var ids []string
	for _, typ := range []string{"step", "sinusoidal", "low_high"} {
		tr, err := workloads.Generate(typ, nil, 1, 4*24*time.Hour, 5*time.Minute, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Save(tr); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tr.ID)
	}
	sort.Strings(ids)
	return dir, ids
}

func TestBacktestJSONShape(t *testing.T) {
	dir, ids := simStore(t)
	args := []string{"backtest", "--workloads", dir, "--recommenders", "vpa,oracle", "-o", "json"}
	code, out, stderr := runArgs(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Fatalf("stderr is not a terminal, yet got %q", stderr)
	}
	simGolden(t, "backtest.json", out)

	// The shape of issue 4, key by key (more keys are allowed).
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(doc["recommenders"], []any{"vpa", "oracle"}) {
		t.Fatalf("recommenders = %v", doc["recommenders"])
	}
	results := doc["results"].([]any)
	if len(results) != 6 {
		t.Fatalf("%d results, want 6", len(results))
	}
	wantKeys := map[string][]string{
		"":       {"workload", "recommender", "cpu", "memory", "updates", "restarts"},
		"cpu":    {"relativeSlack", "absoluteSlackCoreHours", "overRequestShare", "throttledShare"},
		"memory": {"relativeSlack", "absoluteSlackGiBHours", "ooms"},
	}
	for k, r := range results {
		m := r.(map[string]any)
		for part, keys := range wantKeys {
			obj := m
			if part != "" {
				obj = m[part].(map[string]any)
			}
			for _, key := range keys {
				if _, ok := obj[key]; !ok {
					t.Fatalf("result %d: %s has no %q", k, part, key)
				}
			}
		}
		if want := ids[k/2]; m["workload"] != want {
			t.Fatalf("result %d is for %v, want %s (sorted by id)", k, m["workload"], want)
		}
		if m["recommender"] == "oracle" && m["memory"].(map[string]any)["ooms"] != 0.0 {
			t.Fatalf("oracle has OOMs on %v", m["workload"])
		}
	}
	summary := doc["summary"].([]any)
	if len(summary) != 2 {
		t.Fatalf("%d summary rows, want 2", len(summary))
	}
	for _, s := range summary {
		m := s.(map[string]any)
		for _, key := range []string{"recommender", "cpu", "memory", "updates", "restarts"} {
			if _, ok := m[key]; !ok {
				t.Fatalf("summary has no %q: %v", key, m)
			}
		}
		for _, key := range []string{"relativeSlack", "absoluteSlackCoreHours", "overRequestShare"} {
			if _, ok := m["cpu"].(map[string]any)[key]; !ok {
				t.Fatalf("summary cpu has no %q", key)
			}
		}
		for _, key := range []string{"relativeSlack", "absoluteSlackGiBHours", "ooms"} {
			if _, ok := m["memory"].(map[string]any)[key]; !ok {
				t.Fatalf("summary memory has no %q", key)
			}
		}
	}
}

func TestBacktestSameSeedSameBytes(t *testing.T) {
	dir, ids := simStore(t)
	for _, format := range []string{"json", "table", "csv"} {
		t.Run(format, func(t *testing.T) {
			base := []string{"backtest", "--store", dir, "--recommenders", "oracle,vpa", "--seed", "7", "-o", format}
			_, a, _ := runArgs(append(base, "--workloads", strings.Join(ids, ","))...)
			// ids listed after the flag, one worker: the same bytes
			code, b, stderr := runArgs(append(base, "--workers", "1", "--workloads", ids[0], ids[1], ids[2])...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if a != b || a == "" {
				t.Fatalf("same seed, different bytes:\n%s\n---\n%s", a, b)
			}
			simGolden(t, "backtest-seed7."+format, a)
		})
	}
}

func TestBacktestCSVParses(t *testing.T) {
	dir, _ := simStore(t)
	code, out, stderr := runArgs("backtest", "--workloads", dir, "--recommenders", "oracle", "-o", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || !reflect.DeepEqual(rows[0], backtestCSVHeader) {
		t.Fatalf("csv rows %v", rows)
	}
}

func TestBacktestErrors(t *testing.T) {
	dir, _ := simStore(t)
	empty := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no workloads", []string{"backtest"}, exitUsage,
			"error: --workloads is required: give a workload store folder, workload ids or trace files, or replay the cluster's own history with --history prometheus|checkpoints; run 'kubectl smartvpa backtest --help' for usage\n"},
		{"unknown recommender", []string{"backtest", "--workloads", dir, "--recommenders", "vpa,nope"}, exitUsage,
			`error: unknown recommender "nope": choose one of `},
		{"duplicate recommender", []string{"backtest", "--workloads", dir, "--recommenders", "vpa,vpa"}, exitUsage,
			"error: recommender \"vpa\" is listed twice: name each once; run 'kubectl smartvpa backtest --help' for usage\n"},
		{"bad output", []string{"backtest", "--workloads", dir, "-o", "yaml"}, exitUsage,
			"error: unknown output format \"yaml\": use table, json or csv; run 'kubectl smartvpa backtest --help' for usage\n"},
		{"bad mode", []string{"backtest", "--workloads", dir, "--update-mode", "sometimes"}, exitUsage,
			"error: unknown update mode \"sometimes\": use one of in-place-or-recreate, recreate, in-place, rollout, off; run 'kubectl smartvpa backtest --help' for usage\n"},
		{"bad ratio", []string{"backtest", "--workloads", dir, "--memory-limit-ratio", "0.5"}, exitUsage,
			"error: memory limit ratio 0.5 is invalid: use 0 (no limit) or a number of at least 1 (limit >= request); run 'kubectl smartvpa backtest --help' for usage\n"},
		{"negative warmup", []string{"backtest", "--workloads", dir, "--warmup", "-1h"}, exitUsage,
			"error: warm-up -1h0m0s is negative: use 0 or a positive duration such as 24h; run 'kubectl smartvpa backtest --help' for usage\n"},
		{"empty store", []string{"backtest", "--workloads", empty}, exitUsage,
			"error: no workloads in " + empty + ": generate some with 'kubectl smartvpa workload generate --store DIR'\n"},
		{"unknown id", []string{"backtest", "--store", dir, "--workloads", "nope-123"}, exitUsage,
			`error: load workload 0: workload "nope-123" not found in ` + dir},
		{"baseline not run", []string{"backtest", "--workloads", dir, "--recommenders", "vpa,oracle", "--baseline", "smart"}, exitUsage,
			"error: --baseline \"smart\" is not among --recommenders: add it to --recommenders or leave --baseline out; run 'kubectl smartvpa backtest --help' for usage\n"},
		{"negative resize delay", []string{"backtest", "--workloads", dir, "--resize-delay", "-1m"}, exitUsage,
			"error: resize delay -1m0s is negative: use 0 or a positive duration such as 1m; run 'kubectl smartvpa backtest --help' for usage\n"},
		{"negative budget", []string{"backtest", "--workloads", dir, "--min-update-interval", "-1h"}, exitUsage,
			"error: min update interval -1h0m0s is negative: use 0 or a positive duration such as 1h; run 'kubectl smartvpa backtest --help' for usage\n"},
		{"negative update cost", []string{"backtest", "--workloads", dir, "--update-cost", "-1"}, exitUsage,
			"error: reward weight update -1 is invalid: use a finite number of 0 or more; run 'kubectl smartvpa backtest --help' for usage\n"},
		{"oracle quantile", []string{"backtest", "--workloads", dir, "--oracle-quantile", "1.5"}, exitUsage,
			"error: oracle quantile 1.5 is outside [0, 1]: use a fraction such as 0.99 (0 or 1: the window's peak); run 'kubectl smartvpa backtest --help' for usage\n"},
		{"missing model", []string{"backtest", "--workloads", dir, "--model", filepath.Join(empty, "m.json")}, exitUsage,
			"error: model file: stat " + filepath.Join(empty, "m.json") + ": no such file or directory: give the path of a trained model or leave --model out\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runArgs(tt.args...)
			if code != tt.code || !strings.HasPrefix(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}

// An update budget binds: fewer updates at 12h than at 0, and the JSON
// carries the per-result rates and the comparison against vpa.
func TestBacktestBudgetAndComparison(t *testing.T) {
	dir, ids := simStore(t)
	type report struct {
		Results []struct {
			Workload, Recommender  string
			Updates                int
			UpdatesPerContainerDay *float64 `json:"updatesPerContainerDay"`
		} `json:"results"`
		Comparison []struct {
			Recommender, Baseline, Dataset string
			CPUSlack                       struct {
				Geomean float64    `json:"geomean"`
				CI95    [2]float64 `json:"ci95"`
			} `json:"cpuSlack"`
		} `json:"comparison"`
	}
	updates := func(budget string) (int, report) {
		code, out, stderr := runArgs("backtest", "--workloads", dir, "--recommenders", "vpa,oracle", "--oracle-window", "2h",
			"--min-update-interval", budget, "-o", "json")
		if code != 0 {
			t.Fatalf("budget %s: exit %d: %s", budget, code, stderr)
		}
		var r report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range r.Results {
			if x.UpdatesPerContainerDay == nil {
				t.Fatalf("result %s/%s has no updatesPerContainerDay", x.Workload, x.Recommender)
			}
			if x.Recommender == "oracle" {
				n += x.Updates
			}
		}
		return n, r
	}
	free, r := updates("0")
	bound, _ := updates("12h")
	if bound >= free {
		t.Fatalf("oracle with 2h windows: %d updates at a 12h budget, %d without: the budget does not bind", bound, free)
	}
	var datasets []string
	for _, c := range r.Comparison {
		if c.Recommender != "oracle" || c.Baseline != "vpa" {
			t.Fatalf("comparison %+v: want oracle against vpa", c)
		}
		if c.CPUSlack.CI95[0] > c.CPUSlack.Geomean || c.CPUSlack.CI95[1] < c.CPUSlack.Geomean {
			t.Fatalf("interval %v without its geometric mean %v", c.CPUSlack.CI95, c.CPUSlack.Geomean)
		}
		datasets = append(datasets, c.Dataset)
	}
	if want := []string{"all", "generated"}; !reflect.DeepEqual(datasets, want) {
		t.Fatalf("datasets %v, want %v (%d workloads)", datasets, want, len(ids))
	}
}

// Issue 20 case 8: a warm-up covering every trace measures nothing; backtest
// says so and summarises nothing (no perfect 0 % slack).
func TestBacktestWarmupCoversTrace(t *testing.T) {
	dir, _ := simStore(t)
	code, out, stderr := runArgs("backtest", "--workloads", dir, "--recommenders", "vpa,oracle", "--warmup", "5d", "-o", "json")
	if code != 0 || !strings.HasPrefix(stderr, "note: 3 workload(s) no longer than the 120h0m0s warm-up measured nothing and are left out of the summaries and comparisons: ") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var r struct {
		Summary []struct {
			Workloads int `json:"workloads"`
		} `json:"summary"`
		Comparison []any `json:"comparison"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Summary) != 2 || r.Summary[0].Workloads != 0 || r.Summary[1].Workloads != 0 || len(r.Comparison) != 0 {
		t.Fatalf("summary %+v, %d comparisons: want nothing summarised", r.Summary, len(r.Comparison))
	}
}
