package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
