package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestSimulateJSON(t *testing.T) {
	dir, ids := simStore(t)
	code, out, stderr := runArgs("simulate", "--store", dir, "--workload", ids[0], "--recommender", "vpa", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	simGolden(t, "simulate.json", out)
	var got SimulateResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	lr := got.LastRecommendation
	if got.Workload != ids[0] || got.Recommender != "vpa" || got.Samples != 3*288 || lr == nil {
		t.Fatalf("got %+v", got)
	}
	if !(lr.CPUMillicores.Lower <= lr.CPUMillicores.Target && lr.CPUMillicores.Target <= lr.CPUMillicores.Upper &&
		lr.MemoryBytes.Lower <= lr.MemoryBytes.Target && lr.MemoryBytes.Target <= lr.MemoryBytes.Upper && lr.MemoryBytes.Target > 1e6) {
		t.Fatalf("last recommendation out of order or not in bytes: %+v", lr)
	}
	var raw map[string]map[string]map[string]any
	var whole map[string]json.RawMessage
	_ = json.Unmarshal([]byte(out), &whole)
	if err := json.Unmarshal([]byte(`{"x":`+string(whole["lastRecommendation"])+`}`), &raw); err != nil {
		t.Fatal(err)
	}
	for _, res := range []string{"cpuMillicores", "memoryBytes"} {
		for _, k := range []string{"lower", "target", "upper", "uncappedTarget"} {
			if _, ok := raw["x"][res][k]; !ok {
				t.Fatalf("lastRecommendation.%s has no %s", res, k)
			}
		}
	}
}

// simulate -o csv prints the header and one row whose numbers are the JSON
// output's.
func TestSimulateCSV(t *testing.T) {
	dir, ids := simStore(t)
	args := []string{"simulate", "--store", dir, "--workload", ids[0], "--recommender", "vpa"}
	code, out, stderr := runArgs(append(args, "-o", "csv")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv %v: %d rows, want 2:\n%s", err, len(rows), out)
	}
	if strings.Join(rows[0], ",") != strings.Join(simulateCSVHeader, ",") || len(rows[1]) != len(rows[0]) {
		t.Fatalf("header %v, row of %d cells", rows[0], len(rows[1]))
	}
	_, js, _ := runArgs(append(args, "-o", "json")...)
	var r SimulateResult
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatal(err)
	}
	cell := map[string]string{}
	for i, h := range rows[0] {
		cell[h] = rows[1][i]
	}
	for name, want := range map[string]string{
		"workload": r.Workload, "recommender": "vpa", "warmup_seconds": "86400", "seed": "1",
		"cpu_relative_slack": simNum(r.CPU.RelativeSlack), "memory_ooms": strconv.Itoa(r.Memory.OOMs),
		"updates": strconv.Itoa(r.Updates), "reward": simNum(r.Reward),
		"last_cpu_target_millicores": simNum(r.LastRecommendation.CPUMillicores.Target),
	} {
		if cell[name] != want {
			t.Errorf("%s = %q, want %q (as -o json)", name, cell[name], want)
		}
	}
}

func TestSimulateTableAndTrajectory(t *testing.T) {
	dir, ids := simStore(t)
	traj := filepath.Join(t.TempDir(), "run.csv")
	// a workload given by its folder
	code, out, stderr := runArgs("simulate", "--workload", filepath.Join(dir, ids[1]), "--recommender", "oracle",
		"--update-mode", "recreate", "--trajectory", traj)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	simGolden(t, "simulate.txt", out)
	f, err := os.Open(traj)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // only read: closing it reports nothing to act on
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+4*288 || strings.Join(rows[0], ",") != strings.Join(trajectoryHeader, ",") {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	ooms, restarts := 0, 0
	for _, r := range rows[1:] {
		if r[14] == "1" && r[1] == "0" {
			ooms++
		}
		if r[13] == "1" {
			restarts++
		}
	}
	if ooms != 0 || restarts == 0 {
		t.Fatalf("oracle in recreate mode: %d OOMs after the warm-up, %d restarts in the trajectory", ooms, restarts)
	}
	entries, _ := os.ReadDir(filepath.Dir(traj))
	if len(entries) != 1 {
		t.Fatalf("trajectory folder holds %d files, want only run.csv (no temp file left)", len(entries))
	}
}

func TestSimulateErrors(t *testing.T) {
	dir, ids := simStore(t)
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("timestamp,cpu_millicores,memory_bytes\n1,x,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no workload", []string{"simulate"},
			"error: --workload is required: give a workload id, folder or trace.csv file; run 'kubectl smartvpa simulate --help' for usage\n"},
		{"unknown recommender", []string{"simulate", "--workload", ids[0], "--recommender", "nope"},
			`error: unknown recommender "nope": choose one of `},
		{"bad output", []string{"simulate", "--workload", ids[0], "-o", "xml"},
			"error: unknown output format \"xml\": use table, json or csv; run 'kubectl smartvpa simulate --help' for usage\n"},
		{"args", []string{"simulate", "x"},
			"error: kubectl smartvpa simulate takes no arguments, got [\"x\"]; run 'kubectl smartvpa simulate --help' for usage\n"},
		{"unknown id", []string{"simulate", "--store", dir, "--workload", "nope-1"},
			`error: workload "nope-1" not found in ` + dir},
		{"bad file", []string{"simulate", "--workload", bad}, "error: workload " + bad + ": "},
		{"missing path", []string{"simulate", "--workload", filepath.Join(dir, "gone")},
			"error: workload " + filepath.Join(dir, "gone") + ": no such file or folder: give a workload folder, a trace.csv file or a workload id\n"},
		{"bad id", []string{"simulate", "--workload", "-x"}, `error: workload "-x" is neither a file nor a folder nor a workload id: `},
		// --model reaches the recommender: lstm reads and rejects the file
		{"model file plumbed", []string{"simulate", "--store", dir, "--workload", ids[0], "--recommender", "lstm", "--model", bad},
			"error: recommender lstm: model file " + bad},
		// issue 20 case 8: a warm-up covering the trace measures nothing
		{"warm-up covers the trace", []string{"simulate", "--store", dir, "--workload", ids[0], "--warmup", "5d"},
			"error: workload \"" + ids[0] + "\": the warm-up of 120h0m0s covers the whole trace (95h55m0s from the first to the last sample): nothing would be measured; use a shorter --warmup\n"},
		{"unknown profile", []string{"simulate", "--store", dir, "--workload", ids[0], "--recommender", "smart", "--profile", "cheap"},
			"error: invalid --profile: unknown profile \"cheap\": use one of reliability, balanced, savings; run 'kubectl smartvpa simulate --help' for usage\n"},
		{"bad trajectory folder", []string{"simulate", "--store", dir, "--workload", ids[0], "--trajectory", filepath.Join(dir, "no", "such", "t.csv")},
			"error: trajectory: open "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runArgs(tt.args...)
			if code != exitUsage || !strings.HasPrefix(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and prefix %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

func TestSimulateLongDurations(t *testing.T) {
	dir, ids := simStore(t)
	_, a, _ := runArgs("simulate", "--store", dir, "--workload", ids[0], "--warmup", "2d", "--oracle-window", "12h", "--recommender", "oracle", "-o", "json")
	code, b, stderr := runArgs("simulate", "--store", dir, "--workload", ids[0], "--warmup", "48h", "--oracle-window", "0.5d", "--recommender", "oracle", "-o", "json")
	if code != 0 || a != b || !strings.Contains(a, `"warmup": "48h0m0s"`) || !strings.Contains(a, `"samples": 576`) {
		t.Fatalf("2d and 48h differ or were not applied (exit %d, %s):\n%s\n%s", code, stderr, a, b)
	}
}

// TestSimulateProfileReachesSmart: --profile is smart's risk: a stricter
// profile asks for more CPU on the same workload.
func TestSimulateProfileReachesSmart(t *testing.T) {
	dir, ids := simStore(t)
	target := func(profile string) float64 {
		code, out, stderr := runArgs("simulate", "--store", dir, "--workload", ids[0], "--recommender", "smart", "--profile", profile, "--warmup", "1d", "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var got SimulateResult
		if err := json.Unmarshal([]byte(out), &got); err != nil || got.LastRecommendation == nil {
			t.Fatalf("%v %s", err, out)
		}
		return got.LastRecommendation.CPUMillicores.Target
	}
	if r, s := target("reliability"), target("savings"); !(r > s) {
		t.Fatalf("cpu target reliability %.1f m, savings %.1f m: want reliability above", r, s)
	}
}

// --measure-for ends the run that long after the warm-up: the JSON says so
// (measureFor, absent without the flag) and the table's header counts the
// samples measured in that window, not the trace's.
func TestSimulateMeasureFor(t *testing.T) {
	dir, ids := simStore(t)
	args := []string{"simulate", "--store", dir, "--workload", ids[0], "--recommender", "vpa", "--warmup", "1h", "--measure-for", "1d"}
	code, out, stderr := runArgs(append(args, "-o", "json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got SimulateResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.MeasureFor != "24h0m0s" || got.Samples != 288 {
		t.Fatalf("measureFor %q, %d samples measured; want 24h0m0s and 288 (a day of 5-minute samples)", got.MeasureFor, got.Samples)
	}
	code, out, stderr = runArgs(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "(1152 samples every 5m in the trace; 288 measured: the 1d after a 1h warm-up)"; !strings.Contains(out, want) {
		t.Fatalf("table header lacks %q:\n%s", want, out)
	}
	_, out, _ = runArgs("simulate", "--store", dir, "--workload", ids[0], "--recommender", "vpa", "-o", "json")
	if strings.Contains(out, "measureFor") {
		t.Fatalf("measureFor printed without --measure-for:\n%s", out)
	}
}
