package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/smartvpa/smartvpa/stress"
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
