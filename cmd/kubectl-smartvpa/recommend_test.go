package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/workloads"
)

func TestLiveUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"recommend output", []string{"recommend", "-o", "xml"},
			"error: unknown output format \"xml\": use table, wide, json, yaml, csv or patch; run 'kubectl smartvpa recommend --help' for usage\n"},
		{"recommend profile", []string{"recommend", "--profile", "cheap"},
			"error: unknown profile \"cheap\": use savings, balanced or reliability; run 'kubectl smartvpa recommend --help' for usage\n"},
		{"recommend history", []string{"recommend", "--history", "disk"},
			"error: unknown --history \"disk\": use auto, prometheus, checkpoints, live; run 'kubectl smartvpa recommend --help' for usage\n"},
		{"recommend prometheus without url", []string{"recommend", "--history", "prometheus", "--prometheus-url", ""},
			"error: --history prometheus needs --prometheus-url (or PROMETHEUS_URL); run 'kubectl smartvpa recommend --help' for usage\n"},
		{"recommend recommender", []string{"recommend", "--recommender", "magic"},
			"error: unknown recommender \"magic\": use one of "},
		{"recommend history duration", []string{"recommend", "--history-duration", "8x"},
			"error: invalid argument \"8x\" for \"--history-duration\" flag: not a duration \"8x\": use Go durations with d and w for days and weeks, e.g. 8d, 1d12h, 90m; run 'kubectl smartvpa recommend --help' for usage\n"},
		{"apply mode", []string{"apply", "--mode", "yolo"},
			"error: invalid --mode \"yolo\": use patch, in-place or evict; run 'kubectl smartvpa apply --help' for usage\n"},
		{"apply dry run", []string{"apply", "--dry-run=maybe"},
			"error: invalid --dry-run \"maybe\": use none, client or server; run 'kubectl smartvpa apply --help' for usage\n"},
		{"apply everything", []string{"apply", "-A"},
			"error: refusing to apply to every workload of every namespace: name the workloads, or add -l; run 'kubectl smartvpa apply --help' for usage\n"},
		{"apply watch mode", []string{"apply", "--watch", "--mode", "evict"},
			"error: --watch follows a rollout: use it with --mode patch; run 'kubectl smartvpa apply --help' for usage\n"},
		{"audit output", []string{"audit", "-o", "yaml"},
			"error: unknown output format \"yaml\": use table, json or junit; run 'kubectl smartvpa audit --help' for usage\n"},
		{"audit max drift", []string{"audit", "--max-drift", "0"},
			"error: invalid --max-drift 0: use a positive fraction such as 0.3; run 'kubectl smartvpa audit --help' for usage\n"},
		{"audit offline without usage", []string{"audit", "-f", "testdata/audit/app.yaml", "--prometheus-url", ""},
			"error: an offline audit (-f) needs usage: pass --usage DIR (workload store) or --prometheus-url; run 'kubectl smartvpa audit --help' for usage\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runArgs(tt.args...)
			if code != exitUsage {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, exitUsage, stderr)
			}
			if !strings.HasPrefix(stderr, tt.wantErr) {
				t.Errorf("stderr = %q, want %q", stderr, tt.wantErr)
			}
		})
	}
}

func TestParseLongDurationHistory(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"8d", 8 * 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"36h", 36 * time.Hour, false},
		{"xd", 0, true},
		{"8", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseLongDuration(tt.in)
			if (err != nil) != tt.bad || got != tt.want {
				t.Fatalf("parseLongDuration(%q) = %v, %v", tt.in, got, err)
			}
		})
	}
}

// The offline audit needs no cluster: manifests + workload traces.
func TestAuditOffline(t *testing.T) {
	store := t.TempDir()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	mk := func(id string, cpu, mem float64) {
		tr := &workloads.Trace{ID: id, Meta: workloads.Meta{Source: "generator", Type: "constant"}}
		for i := 0; i < 9*24*12; i++ {
			tr.Append(start.Add(time.Duration(i)*5*time.Minute), cpu, mem)
		}
		if _, err := workloads.OpenStore(store).Save(tr); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		cpu, mem float64
		wantCode int
	}{
		{"over-provisioned", 200, 300 * 1024 * 1024, exitFound},
		{"right-sized", 850, 880 * 1024 * 1024, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = os.RemoveAll(filepath.Join(store, "web-web"))
			mk("web-web", tt.cpu, tt.mem)
			code, out, stderr := runArgs("audit", "-f", "testdata/audit", "--usage", store, "--recommender", "vpa", "-o", "json", "--max-drift", "0.3")
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, out, stderr)
			}
			var a struct {
				Status   string `json:"status"`
				Checked  int    `json:"checked"`
				Drifting int    `json:"drifting"`
			}
			if err := json.Unmarshal([]byte(out), &a); err != nil || a.Checked != 1 {
				t.Fatalf("json: %v %+v\n%s", err, a, out)
			}
		})
	}
}
