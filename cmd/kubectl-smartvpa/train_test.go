package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrainUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no recommender", []string{"train", "--workloads", "x", "--out", "m.json"},
			"error: --recommender is required: choose one of autopilot, lstm, bandit, smart; run 'kubectl smartvpa train --help' for usage\n"},
		{"vpa", []string{"train", "--recommender", "vpa", "--workloads", "x", "--out", "m.json"},
			"error: cannot train \"vpa\": choose one of autopilot, lstm, bandit, smart; run 'kubectl smartvpa train --help' for usage\n"},
		{"no workloads", []string{"train", "--recommender", "bandit", "--out", "m.json"},
			"error: --workloads is required: give a workload store folder, workload ids or trace files; run 'kubectl smartvpa train --help' for usage\n"},
		{"no out", []string{"train", "--recommender", "bandit", "--workloads", "x"},
			"error: --out is required: name the model file to write, e.g. models/bandit.json; run 'kubectl smartvpa train --help' for usage\n"},
		{"holdout 1", []string{"train", "--recommender", "bandit", "--workloads", "x", "--out", "m.json", "--holdout", "1"},
			"error: --holdout 1 would leave no training workloads: use 0 (none) or 2 or more; run 'kubectl smartvpa train --help' for usage\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runArgs(tt.args...)
			if code != exitUsage || stderr != tt.want {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

func TestTrainSameSeedSameBytesAndModelRefusals(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "wl")
	for _, typ := range []string{"sinusoidal", "step", "weekly"} {
		if code, _, stderr := runArgs("workload", "generate", "--type", typ, "--duration", "4d", "--interval", "5m", "--out", store); code != 0 {
			t.Fatalf("generate %s: %s", typ, stderr)
		}
	}
	var outs [][]byte
	for i := 0; i < 2; i++ {
		out := filepath.Join(dir, "m", "bandit.json")
		code, stdout, stderr := runArgs("train", "--recommender", "bandit", "--workloads", store, "--out", out, "--seed", "5")
		if code != 0 {
			t.Fatalf("train: exit %d: %s", code, stderr)
		}
		if !strings.HasPrefix(stdout, "trained bandit on 2 workloads (1 held out for validation), seed 5, training set sha256:") {
			t.Fatalf("stdout %q", stdout)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("training twice with one seed wrote different bytes")
	}
	model := filepath.Join(dir, "m", "bandit.json")
	wl := filepath.Join(store, mustFirstEntry(t, store))
	// The trained model runs.
	if code, _, stderr := runArgs("simulate", "--workload", wl, "--recommender", "bandit", "--model", model); code != 0 {
		t.Fatalf("simulate with the model: exit %d: %s", code, stderr)
	}
	tests := []struct {
		name, edit, want string
	}{
		{"corrupted", `"q": [`, "is corrupted (checksum mismatch): retrain it with 'kubectl smartvpa train'"},
		{"wrong version", `"version": 1`, "has version 9, but this build reads version 1: retrain it with 'kubectl smartvpa train'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := filepath.Join(dir, tt.name+".json")
			s := string(outs[0])
			switch tt.name {
			case "corrupted":
				s = strings.Replace(s, "0.", "1.", 1)
			case "wrong version":
				s = strings.Replace(s, tt.edit, `"version": 9`, 1)
			}
			if err := os.WriteFile(bad, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := runArgs("simulate", "--workload", wl, "--recommender", "bandit", "--model", bad)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

func mustFirstEntry(t *testing.T, dir string) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil || len(es) == 0 {
		t.Fatalf("read %s: %v", dir, err)
	}
	return es[0].Name()
}
