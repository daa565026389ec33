package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// wlUpdateGolden rewrites the wlGolden files of the workload tests
// (go test ./cmd/kubectl-smartvpa -run Workload -update). It reuses an -update
// flag another test file of the package may already define.
var wlUpdateGolden = func() *bool {
	if f := flag.Lookup("update"); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			if b, ok := g.Get().(bool); ok {
				v := b
				return &v
			}
		}
	}
	return flag.Bool("update", false, "rewrite wlGolden files")
}()

func wlGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "workload", name)
	if *wlUpdateGolden || wlFlagSet("update") {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("output differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

func wlFlagSet(name string) bool {
	f := flag.Lookup(name)
	return f != nil && f.Value.String() == "true"
}

const wlFixtures = "../../workloads/testdata"

func TestWorkloadGenerate(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	args := []string{"workload", "generate", "--type", "spikes", "--seed", "3", "--duration", "2d", "--interval", "5m"}
	code, outA, errA := runArgs(append(args, "--out", a)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errA)
	}
	code, outB, _ := runArgs(append(args, "--out", b)...)
	if code != 0 || outA != outB || !strings.HasPrefix(outA, "spikes-") {
		t.Fatalf("ids %q and %q", outA, outB)
	}
	id := strings.TrimSpace(outA)
	ta, _ := os.ReadFile(filepath.Join(a, id, "trace.csv"))
	tb, _ := os.ReadFile(filepath.Join(b, id, "trace.csv"))
	if len(ta) == 0 || !bytes.Equal(ta, tb) {
		t.Fatal("the same seed gave different trace.csv files")
	}
	if n := bytes.Count(ta, []byte("\n")); n != 2*24*12+1 {
		t.Fatalf("trace.csv has %d lines, want 577", n)
	}
	code, out, _ := runArgs("workload", "generate", "--type", "step", "--id", "my-step", "--duration", "1h", "--out", a)
	if code != 0 || out != "my-step\n" {
		t.Fatalf("--id: exit %d, %q", code, out)
	}
	if _, err := os.Stat(filepath.Join(a, "my-step", "meta.json")); err != nil {
		t.Fatal(err)
	}
}

func TestWorkloadErrors(t *testing.T) {
	dir := t.TempDir()
	badCfg := filepath.Join(dir, "bad.json")
	mustWrite(t, badCfg, []byte(`{"cpu": {"min": 1, "max": 2, "minHold": "1h", "maxHold": "2h", "nosie": 0}, "memory": {}}`), 0o644)
	badRow := filepath.Join(dir, "1.csv")
	mustWrite(t, badRow, []byte("Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\tMemory capacity provisioned [KB];\tMemory usage [KB]\n1;\t2;\t100;\t1;\t10;\t5\n2;\t2;\t100;\tabc;\t10;\t5\n"), 0o644)
	out := filepath.Join(dir, "out")
	t.Setenv("PROMETHEUS_URL", "")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"generate without type", []string{"workload", "generate"}, "error: --type is required: use one of low_high, sinusoidal, spikes, step, trend, weekly; run 'kubectl smartvpa workload generate --help' for usage\n"},
		{"unknown type", []string{"workload", "generate", "--type", "square"}, "error: unknown workload type \"square\": use one of low_high, sinusoidal, spikes, step, trend, weekly; run 'kubectl smartvpa workload generate --help' for usage\n"},
		{"bad duration", []string{"workload", "generate", "--type", "step", "--duration", "eight days"}, "error: invalid argument \"eight days\" for \"--duration\" flag: not a duration \"eight days\": use Go durations with d and w for days and weeks, e.g. 8d, 1d12h, 90m; run 'kubectl smartvpa workload generate --help' for usage\n"},
		{"bad interval", []string{"workload", "generate", "--type", "step", "--interval", "1500ms"}, "error: invalid --interval 1.5s: use a whole number of seconds, at least 1s; run 'kubectl smartvpa workload generate --help' for usage\n"},
		{"bad id", []string{"workload", "generate", "--type", "step", "--id", "../x"}, "error: invalid workload id \"../x\": use letters, digits, '.', '_' and '-', starting with a letter or digit; run 'kubectl smartvpa workload generate --help' for usage\n"},
		{"bad config", []string{"workload", "generate", "--type", "step", "--config", badCfg, "--out", out}, "error: " + badCfg + ": field \"cpu.nosie\": unknown field: check the spelling against the shipped config\n"},
		{"unknown format", []string{"workload", "import", "--format", "parquet", badRow, "--out", out}, "error: unknown format \"parquet\": use one of alibaba-container, alibaba-machine, azure, google2011, google2019, bitbrains, jobs, csv, prometheus; run 'kubectl smartvpa workload import --help' for usage\n"},
		{"import without format", []string{"workload", "import", badRow}, "error: --format is required: use one of alibaba-container, alibaba-machine, azure, google2011, google2019, bitbrains, jobs, csv, prometheus; run 'kubectl smartvpa workload import --help' for usage\n"},
		{"import without paths", []string{"workload", "import", "--format", "jobs"}, "error: kubectl smartvpa workload import needs at least 1 argument(s), got 0; run 'kubectl smartvpa workload import --help' for usage\n"},
		{"bad row", []string{"workload", "import", "--format", "bitbrains", wlFixtures + "/bitbrains/7.csv", badRow, "--out", out}, "error: " + badRow + ":3: field \"CPU usage [MHZ]\": not a number \"abc\"\n"},
		{"missing file", []string{"workload", "import", "--format", "jobs", filepath.Join(dir, "nope.csv"), "--out", out}, "error: open input: stat " + filepath.Join(dir, "nope.csv") + ": no such file or directory\n"},
		{"bad machine memory", []string{"workload", "import", "--format", "jobs", badRow, "--machine-memory", "lots"}, "error: invalid --machine-memory \"lots\": use a positive quantity such as 32Gi, at most 1Ei; run 'kubectl smartvpa workload import --help' for usage\n"},
		{"bad resample", []string{"workload", "import", "--format", "jobs", badRow, "--resample", "1500ms", "--out", out}, "error: invalid --resample \"1500ms\": use auto, none or a whole number of seconds such as 5m; run 'kubectl smartvpa workload import --help' for usage\n"},
		{"prometheus without url", []string{"workload", "import", "--format", "prometheus", "-n", "demo", "deploy/web", "--out", out}, "error: --format prometheus needs --prometheus-url (or PROMETHEUS_URL); run 'kubectl smartvpa workload import --help' for usage\n"},
		{"prometheus without workloads", []string{"workload", "import", "--format", "prometheus", "--prometheus-url", "http://127.0.0.1:9090", "--out", out}, "error: --format prometheus needs workloads: give TYPE/NAME (e.g. deploy/web), -l SELECTOR or -A; run 'kubectl smartvpa workload import --help' for usage\n"},
		{"prometheus bad step", []string{"workload", "import", "--format", "prometheus", "--prometheus-url", "http://127.0.0.1:9090", "deploy/web", "--step", "10ms", "--out", out}, "error: invalid --step 10ms: use 1s or more, e.g. 5m; run 'kubectl smartvpa workload import --help' for usage\n"},
		{"unknown workload", []string{"workload", "show", "nope", "--dir", out}, "error: workload \"nope\" not found in " + out + ": run 'kubectl smartvpa workload list --store " + out + "' to see the ids\n"},
		{"plot with json", []string{"workload", "show", "x", "--plot", "-o", "json"}, "error: --plot draws text charts: drop it or -o json; run 'kubectl smartvpa workload show --help' for usage\n"},
		{"list output", []string{"workload", "list", "-o", "yaml"}, "error: unknown output format \"yaml\": use table or json; run 'kubectl smartvpa workload list --help' for usage\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runArgs(tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if stderr != tt.want {
				t.Errorf("stderr:\n got %q\nwant %q", stderr, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("the output folder holds %d entries after a failure", len(entries))
			}
		})
	}
}

// wlStore fills a store with a generated and an imported workload.
func wlStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"workload", "generate", "--type", "weekly", "--seed", "2", "--duration", "3d", "--interval", "10m", "--id", "weekly-demo", "--out", dir},
		{"workload", "import", "--format", "bitbrains", wlFixtures + "/bitbrains/7.csv", "--out", dir},
		{"workload", "import", "--format", "azure", wlFixtures + "/azure", "--out", dir},
	} {
		if code, _, stderr := runArgs(args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	return dir
}

func TestWorkloadImportPrintsIDs(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := runArgs("workload", "import", "--format", "azure", wlFixtures+"/azure/vm_cpu_readings-file-1-of-1.csv",
		"--meta", wlFixtures+"/azure/vmtable.csv", "--limit", "2", "--out", dir)
	if code != 0 || out != "azure-vmA\nazure-vmB\n" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("store holds %d entries, want 2 (no staging leftovers)", len(entries))
	}
}

func TestWorkloadListAndShowGolden(t *testing.T) {
	dir := wlStore(t)
	tests := []struct{ name, wlGolden string }{
		{"list", "list.txt"},
		{"list -o json", "list.json"},
		{"show weekly-demo", "show-weekly.txt"},
		{"show bitbrains-7 -o json", "show-bitbrains.json"},
		{"show bitbrains-7 --plot --width 60", "show-bitbrains-plot.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"workload"}, strings.Fields(tt.name)...)
			code, out, stderr := runArgs(append(args, "--dir", dir)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			wlGolden(t, tt.wlGolden, out)
		})
	}
}

func TestWorkloadPlotFitsWidth(t *testing.T) {
	dir := wlStore(t)
	for _, width := range []int{40, 80, 132} {
		code, out, stderr := runArgs("workload", "show", "weekly-demo", "--plot", "--width", strconv.Itoa(width), "--dir", dir)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		charts := strings.SplitN(out, "\n\n", 3)[2]
		widest := 0
		for _, l := range strings.Split(charts, "\n") {
			widest = max(widest, utf8.RuneCountInString(l))
		}
		if widest > width || widest < width-15 {
			t.Errorf("width %d: widest chart line has %d columns", width, widest)
		}
	}
}

func TestWorkloadListEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	code, out, stderr := runArgs("workload", "list", "--dir", dir)
	if code != 0 || out != "" || !strings.HasPrefix(stderr, "No workloads in "+dir) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	code, out, _ = runArgs("workload", "list", "--dir", dir, "-o", "json")
	if code != 0 || out != "[]\n" {
		t.Fatalf("json: exit %d, %q", code, out)
	}
}

func TestWorkloadParseLongDuration(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  bool
	}{
		{"8d", "192h0m0s", false}, {"1w", "168h0m0s", false}, {"1d12h", "36h0m0s", false}, {"90m", "1h30m0s", false},
		{"1.5d", "36h0m0s", false}, {"d", "", true}, {"", "", true}, {"8 days", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := parseLongDuration(tt.in)
			if (err != nil) != tt.err || !tt.err && d.String() != tt.want {
				t.Fatalf("parseLongDuration(%q) = %v, %v", tt.in, d, err)
			}
		})
	}
}

// mustWrite writes a test input file.
func mustWrite(t *testing.T, path string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatal(err)
	}
}
