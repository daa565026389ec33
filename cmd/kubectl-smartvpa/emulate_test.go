package main

import (
	"strings"
	"testing"

	"github.com/smartvpa/smartvpa/core/sim"
)

func TestEmulateUsageErrors(t *testing.T) {
	hint := "; run 'kubectl smartvpa emulate --help' for usage\n"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no workload", []string{"--duration", "1d"},
			"error: --workload is required: give a workload id, folder or trace.csv file" + hint},
		{"no duration", []string{"--workload", "step-api"},
			"error: --duration is required and must be positive: give the workload time to play, e.g. 1d" + hint},
		{"speed-up zero", []string{"--workload", "step-api", "--duration", "1d", "--speedup", "0"},
			"error: --speedup 0 is out of range: give a number above 0 and at most 1000, e.g. 60" + hint},
		{"speed-up too high", []string{"--workload", "step-api", "--duration", "1d", "--speedup", "5000"},
			"error: --speedup 5000 is out of range: give a number above 0 and at most 1000, e.g. 60" + hint},
		{"warm-up eats the run", []string{"--workload", "step-api", "--duration", "1d"},
			"error: --warmup 24h0m0s leaves nothing to measure in --duration 24h0m0s: give a shorter --warmup, e.g. --warmup 6h0m0s" + hint},
		{"unknown backend", []string{"--workload", "step-api", "--duration", "2d", "--backend", "docker"},
			`error: unknown backend "docker": use kwok or stress` + hint},
		{"stress restarts", []string{"--workload", "step-api", "--duration", "2d", "--backend", "stress"},
			"error: --backend stress needs --update-mode in-place or off (got in-place-or-recreate): a new stress pod would replay the workload from its start" + hint},
		{"stress interval", []string{"--workload", "step-api", "--duration", "2d", "--backend", "stress", "--update-mode", "in-place", "--interval", "0s"},
			"error: --interval must be positive, e.g. 1s" + hint},
		{"bad output", []string{"--workload", "step-api", "--duration", "2d", "-o", "yaml"},
			`error: unknown output format "yaml": use table or json` + hint},
		{"unknown recommender", []string{"--workload", "step-api", "--duration", "2d", "--recommender", "nope"},
			`error: unknown recommender "nope": choose one of ` + strings.Join(sim.RecommenderNames(), ", ") + hint},
		{"bad update mode", []string{"--workload", "step-api", "--duration", "2d", "--update-mode", "sometimes"},
			""},
		{"arguments", []string{"extra"},
			`error: kubectl smartvpa emulate takes no arguments, got ["extra"]` + hint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runArgs(append([]string{"emulate"}, tt.args...)...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if tt.want == "" {
				if !strings.HasPrefix(stderr, "error: ") || !strings.HasSuffix(stderr, hint) {
					t.Errorf("stderr %q: want an error with the help hint", stderr)
				}
				return
			}
			if stderr != tt.want {
				t.Errorf("stderr\n got %q\nwant %q", stderr, tt.want)
			}
		})
	}
}

// A missing workload is an input error found before any cluster call.
func TestEmulateMissingWorkload(t *testing.T) {
	code, _, stderr := runArgs("emulate", "--store", t.TempDir(), "--workload", "no-such-id", "--duration", "2d")
	if code != exitUsage || !strings.Contains(stderr, "no-such-id") {
		t.Fatalf("exit %d, stderr %q; want exit %d naming the workload", code, stderr, exitUsage)
	}
}

func TestRelDiff(t *testing.T) {
	tests := []struct {
		sim, emu float64
		want     string
	}{{0.5, 0.5, "="}, {0.5, 0.55, "+10.0%"}, {4, 3, "-25.0%"}, {0, 1, "n/a"}, {-10, -11, "-10.0%"}}
	for _, tt := range tests {
		if got := relDiff(tt.sim, tt.emu); got != tt.want {
			t.Errorf("relDiff(%v, %v) = %q, want %q", tt.sim, tt.emu, got, tt.want)
		}
	}
}
