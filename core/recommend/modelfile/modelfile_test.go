package modelfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type params struct {
	A float64 `json:"a"`
	B []int   `json:"b"`
}

func TestRoundTripAndRefusals(t *testing.T) {
	f, err := New("lstm", 7, TrainingSet{Hash: "sha256:00", Workloads: []string{"a", "b"}}, params{A: 1.5, B: []int{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	good, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := f.Marshal()
	if !bytes.Equal(good, again) {
		t.Fatal("marshal is not stable")
	}
	got, err := Parse("m.json", good, "lstm")
	if err != nil {
		t.Fatal(err)
	}
	var p params
	if err := got.DecodeParams(&p); err != nil || p.A != 1.5 || len(p.B) != 2 {
		t.Fatalf("params %+v %v", p, err)
	}
	tests := []struct {
		name, data, rec, want string
	}{
		{"garbage", "{not json", "lstm", "model file m.json is corrupted (not valid JSON"},
		{"wrong format", strings.Replace(string(good), Format, "other", 1), "lstm", `model file m.json is not a smartvpa model (format "other"`},
		{"wrong version", strings.Replace(string(good), `"version": 1`, `"version": 2`, 1), "lstm", "model file m.json has version 2, but this build reads version 1: retrain it with 'kubectl smartvpa train'"},
		{"corrupted params", strings.Replace(string(good), `"a": 1.5`, `"a": 1.6`, 1), "lstm", "model file m.json is corrupted (checksum mismatch): retrain it with 'kubectl smartvpa train'"},
		{"corrupted seed", strings.Replace(string(good), `"seed": 7`, `"seed": 8`, 1), "lstm", "model file m.json is corrupted (checksum mismatch): retrain it with 'kubectl smartvpa train'"},
		{"wrong recommender", string(good), "bandit", `model file m.json is a "lstm" model, not a "bandit" one`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("m.json", []byte(tt.data), tt.rec)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestWriteAndResolve(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bandit.json")
	f, _ := New("bandit", 1, TrainingSet{}, params{A: 2})
	if err := f.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temp files left behind: %v", entries)
	}
	got, err := Resolve(path, "bandit")
	if err != nil || got.Seed != 1 {
		t.Fatalf("resolve file: %+v %v", got, err)
	}
	if got, err := Resolve(path, "lstm"); got != nil || err != nil {
		t.Fatalf("resolve a bandit file for lstm = %v %v, want the default (none)", got, err)
	}
	if got, err := Resolve("", "nothing-registered"); got != nil || err != nil {
		t.Fatalf("resolve without default = %v %v, want nil nil", got, err)
	}
	b, _ := f.Marshal()
	SetDefault("bandit", b)
	if got, err := Resolve("", "bandit"); err != nil || got == nil || got.Recommender != "bandit" {
		t.Fatalf("resolve default: %+v %v", got, err)
	}
	if _, err := Resolve(filepath.Join(dir, "missing.json"), "bandit"); err == nil || !strings.HasPrefix(err.Error(), "read model file: ") {
		t.Fatalf("missing file error = %v", err)
	}
}
