package tui

import (
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"money small", fmtMoney(1.26), "$1.3"},
		{"money", fmtMoney(52.4), "$52"},
		{"money k", fmtMoney(1234), "$1.2k"},
		{"money big", fmtMoney(-23456), "-$23k"},
		{"qty cpu", quantityCPU(120.01), "121m"},
		{"qty mem", quantityMem(100*model.MiB + 1), "101Mi"},
		{"interval s", fmtInterval(5 * time.Second), "5s"},
		{"interval h", fmtInterval(time.Hour), "1h"},
		{"interval m", fmtInterval(90 * time.Second), "1m30s"},
		{"dur days", fmtDur(8 * 24 * time.Hour), "8d"},
		{"dur hours", fmtDur(36 * time.Hour), "36h"},
		{"fit pad", fit("ab", 4), "ab  "},
		{"fit cut", fit("abcdef", 4), "abc…"},
		{"fitRight", fitRight("ab", 4), "  ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestDownsampleKeepsPeaks(t *testing.T) {
	hist := make([]model.Sample, 100)
	for i := range hist {
		hist[i].CPUMillicores = 10
	}
	hist[37].CPUMillicores = 999
	got := downsampleMax(hist, model.CPU, 10)
	if len(got) != 10 || got[3] != 999 {
		t.Fatalf("downsample lost the peak: %v", got)
	}
	if short := downsampleMax(hist[:5], model.CPU, 10); len(short) != 5 {
		t.Fatalf("short history resampled: %v", short)
	}
}
