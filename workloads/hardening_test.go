package workloads

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStepHoldsAtLeastTheInterval: a step config whose holds are shorter
// than the interval is refused (a hold of 1ns used to loop for ever).
func TestStepHoldsAtLeastTheInterval(t *testing.T) {
	tests := []struct {
		name, config string
		interval     time.Duration
		want         string
	}{
		{"1ns holds", `{"cpu": {"min": 1, "max": 2, "minHold": "1ns", "maxHold": "1ns"}, "memory": {"min": 1, "max": 2, "minHold": "1h", "maxHold": "2h"}}`, time.Minute,
			`step.json: field "cpu.minHold": must be at least the sample interval (1m0s), got 1ns: use a longer hold or a shorter --interval`},
		{"memory hold below interval", `{"cpu": {"min": 1, "max": 2, "minHold": "1h", "maxHold": "2h"}, "memory": {"min": 1, "max": 2, "minHold": "4m", "maxHold": "2h"}}`, 5 * time.Minute,
			`step.json: field "memory.minHold": must be at least the sample interval (5m0s), got 4m0s: use a longer hold or a shorter --interval`},
		{"hold equal to the interval", `{"cpu": {"min": 1, "max": 2, "minHold": "5m", "maxHold": "5m"}, "memory": {"min": 1, "max": 2, "minHold": "5m", "maxHold": "1h"}}`, 5 * time.Minute, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("step", []byte(tt.config), "step.json")
			if err != nil {
				t.Fatal(err)
			}
			_, err = cfg.Generate([]byte(tt.config), 1, 24*time.Hour, tt.interval, time.Time{})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v\nwant    %s", err, tt.want)
			}
		})
	}
}

// TestGoogle2011WholeTraceSpan: start_time is in microseconds and the trace
// spans 29 days (2.5e12 us); rows past 1e12 us (11.6 days) were refused.
func TestGoogle2011WholeTraceSpan(t *testing.T) {
	p := filepath.Join(t.TempDir(), "part-00499-of-00500.csv")
	rows := "600000000,900000000,1,0,5,0.1,0.1,,,,,,,,,,,,,\n" + "2506200000000,2506500000000,1,0,5,0.2,0.1,,,,,,,,,,,,,\n"
	if err := os.WriteFile(p, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Import(FormatGoogle2011, []string{p}, ImportOptions{Resample: NoResample})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Len() != 2 {
		t.Fatalf("got %d traces", len(got))
	}
	last := got[0].Times[1].Sub(DefaultStart)
	if want := 2506200 * time.Second; last != want {
		t.Fatalf("last sample at start + %s, want + %s", last, want)
	}
}
