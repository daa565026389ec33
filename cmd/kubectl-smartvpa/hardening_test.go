package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/smartvpa/smartvpa/stress"
	"github.com/smartvpa/smartvpa/workloads"
)

// TestLocalFileErrorsExit2: a local file-system error is an input error
// (exit 2), not a cluster error (exit 3).
func TestLocalFileErrorsExit2(t *testing.T) {
	file := filepath.Join(t.TempDir(), "regular")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runArgs("workload", "generate", "--type", "step", "--duration", "1h", "--out", file)
	if code != 2 || !strings.Contains(errOut, "not a directory") {
		t.Fatalf("generate --out a regular file: exit %d, %q; want 2", code, errOut)
	}
}

// TestStressWorkersBounded: thousands of worker threads are refused (they
// used to die with "fatal error: thread exhaustion").
func TestStressWorkersBounded(t *testing.T) {
	max := stress.MaxWorkers()
	want := fmt.Sprintf("--workers must be from 0 (GOMAXPROCS) to %d (4 per CPU), got 20000", max)
	for _, args := range [][]string{
		{"stress", "agent", "--server", "http://127.0.0.1:1", "--pod", "p", "--workers", "20000"},
		{"stress", "local", "--workload", "x", "--workers", "20000"},
	} {
		code, _, errOut := runArgs(args...)
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, %q; want 2 and %q", strings.Join(args, " "), code, errOut, want)
		}
	}
}

// TestPlotWidthBounded: --width is bounded (100000000 columns grew to
// gigabytes), and so is a huge $COLUMNS.
func TestPlotWidthBounded(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runArgs("workload", "generate", "--type", "step", "--duration", "1d", "--id", "w", "--out", dir); code != 0 {
		t.Fatalf("generate: %s", errOut)
	}
	for _, w := range []string{"100000000", "1001", "29"} {
		code, out, errOut := runArgs("workload", "show", filepath.Join(dir, "w"), "--plot", "--width", w)
		want := "error: invalid --width " + w + ": use 30 to 1000 columns"
		if code != 2 || out != "" || !strings.HasPrefix(errOut, want) {
			t.Errorf("--width %s: exit %d, %d bytes out, %q; want 2 and %q", w, code, len(out), errOut, want)
		}
	}
	t.Setenv("COLUMNS", "100000000")
	code, out, errOut := runArgs("workload", "show", filepath.Join(dir, "w"), "--plot")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > 1000 {
			t.Fatalf("a line of %d columns with COLUMNS=100000000, want at most 1000", n)
		}
	}
}

// TestLongDurationParser: the d/w parser refuses what does not fit a
// time.Duration (53376d53376d53376d53376d wrapped to a 25m26s warm-up).
func TestLongDurationParser(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"8d", 8 * 24 * time.Hour, ""},
		{"1w2d", 9 * 24 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"1d-5m", 24*time.Hour - 5*time.Minute, ""},
		{"90m", 90 * time.Minute, ""},
		{"106751d", 106751 * 24 * time.Hour, ""},
		{"53376d53376d53376d53376d", 0, `duration "53376d53376d53376d53376d" is too long: at most 106751d (about 292 years)`},
		{"106752d", 0, `duration "106752d" is too long: at most 106751d (about 292 years)`},
		{"1e300d", 0, `not a duration "1e300d": use Go durations with d and w for days and weeks, e.g. 8d, 1d12h, 90m`},
		{"99999999999999999999w", 0, `duration "99999999999999999999w" is too long: at most 106751d (about 292 years)`},
		{"106751d24h", 0, `duration "106751d24h" is too long: at most 106751d (about 292 years)`},
		{"9999999999h", 0, `duration "9999999999h" is too long: at most 106751d (about 292 years)`},
		{"0d", 0, "must be positive"},
		{"x", 0, `not a duration "x": use Go durations with d and w for days and weeks, e.g. 8d, 1d12h, 90m`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseLongDuration(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("got %s, %v; want error %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// TestAbsurdFlagsRefused: --machine-cpu NaN, a --start in year 1 and an
// overflowing --warmup are refused (they became the default, 2026-01-05, and
// a 25m26s warm-up).
func TestAbsurdFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "j.csv")
	if err := os.WriteFile(in, []byte("1 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"workload", "import", "--format", "jobs", "--machine-cpu", "NaN", "--out", dir, in}, "invalid --machine-cpu NaN: use a positive number of cores, at most 1000000"},
		{[]string{"workload", "import", "--format", "jobs", "--machine-cpu", "1e300", "--out", dir, in}, "invalid --machine-cpu 1e+300: use a positive number of cores, at most 1000000"},
		{[]string{"workload", "import", "--format", "jobs", "--machine-memory", "100Ei", "--out", dir, in}, `invalid --machine-memory "100Ei": use a positive quantity such as 32Gi, at most 1Ei`},
		{[]string{"workload", "import", "--format", "jobs", "--start", "0001-01-01T00:00:00Z", "--out", dir, in}, `invalid --start "0001-01-01T00:00:00Z": use a time from 1970 to 8999 (trace.csv holds Unix seconds, and the trace must end before year 10000)`},
		{[]string{"workload", "generate", "--type", "step", "--start", "0001-01-01T00:00:00Z", "--out", dir}, `invalid --start "0001-01-01T00:00:00Z": use a time from 1970 to 8999`},
		{[]string{"workload", "generate", "--type", "step", "--duration", "53376d53376d53376d53376d", "--out", dir}, `duration "53376d53376d53376d53376d" is too long`},
		{[]string{"simulate", "--workload", "x", "--warmup", "53376d53376d53376d53376d"}, `duration "53376d53376d53376d53376d" is too long`},
	}
	for _, tt := range tests {
		code, _, errOut := runArgs(tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: exit %d, %q; want 2 and %q", strings.Join(tt.args, " "), code, errOut, tt.want)
		}
	}
}

// TestNoSilentOverwrite: generate --id and import refuse to replace an
// existing workload without --overwrite.
func TestNoSilentOverwrite(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(t.TempDir(), "w.csv")
	if err := os.WriteFile(in, []byte("1 2\n3 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runArgs("workload", "import", "--format", "jobs", "--out", dir, in); code != 0 {
		t.Fatalf("import: exit %d %s", code, errOut)
	}
	want := "error: a jobs workload jobs-w already exists in " + dir + ": workload exists: pass --overwrite to replace it, or choose another id or --store\n"
	for _, args := range [][]string{
		{"workload", "import", "--format", "jobs", "--out", dir, in},
		{"workload", "generate", "--type", "step", "--duration", "1h", "--id", "jobs-w", "--out", dir},
	} {
		code, _, errOut := runArgs(args...)
		if code != 2 || errOut != want {
			t.Errorf("%s: exit %d, %q; want 2 and %q", strings.Join(args, " "), code, errOut, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "jobs-w", "meta.json")); !strings.Contains(string(b), `"type": "jobs"`) {
		t.Fatalf("the jobs workload was replaced: %s", b)
	}
	if code, _, errOut := runArgs("workload", "generate", "--type", "step", "--duration", "1h", "--id", "jobs-w", "--out", dir, "--overwrite"); code != 0 {
		t.Fatalf("--overwrite: exit %d %s", code, errOut)
	}
	// Without --id the id is a hash of the inputs: generating again writes
	// the same workload.
	for i := 0; i < 2; i++ {
		if code, _, errOut := runArgs("workload", "generate", "--type", "step", "--duration", "1h", "--out", dir); code != 0 {
			t.Fatalf("generate again: exit %d %s", code, errOut)
		}
	}
}

// TestStressLocalLoopNote: --duration is wall time, and the start line says
// how much workload time it plays and when the workload loops.
func TestStressLocalLoopNote(t *testing.T) {
	day := &workloads.Trace{ID: "d"}
	day.Meta.Interval = time.Hour
	for i := range 24 {
		day.Append(workloads.DefaultStart.Add(time.Duration(i)*time.Hour), 1, 1)
	}
	tests := []struct {
		speedup float64
		wall    time.Duration
		want    string
	}{
		{30, 0, ""},
		{30, 40 * time.Minute, "stress local: --duration 40m is wall time: 20h of workload time at speed-up 30"},
		{30, 2 * time.Hour, "stress local: --duration 2h is wall time: 2d12h of workload time at speed-up 30; the workload is 1d long, so it loops back to its first sample every 48m of wall time"},
	}
	for _, tt := range tests {
		if got := stressLocalLoopNote(day, tt.speedup, tt.wall); got != tt.want {
			t.Errorf("speed-up %g, %s: %q\nwant %q", tt.speedup, tt.wall, got, tt.want)
		}
	}
}
