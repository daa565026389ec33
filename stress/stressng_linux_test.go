//go:build linux

package stress

import (
	"slices"
	"testing"
)

func TestStressNGArgs(t *testing.T) {
	tests := []struct {
		name    string
		t       Usage
		workers int
		own     float64
		want    []string
	}{
		{"idle", Usage{0, 0}, 2, 10 << 20, nil},
		{"cpu only", Usage{500, 0}, 2, 10 << 20, []string{"--cpu", "2", "--cpu-load", "25", "--timeout", "0", "--quiet"}},
		{"cpu capped", Usage{5000, 0}, 2, 0, []string{"--cpu", "2", "--cpu-load", "100", "--timeout", "0", "--quiet"}},
		{"memory minus own", Usage{0, 100 << 20}, 2, 20 << 20,
			[]string{"--vm", "1", "--vm-bytes", "83886080b", "--vm-keep", "--vm-hang", "0", "--timeout", "0", "--quiet"}},
		{"memory below own", Usage{0, 12 << 20}, 2, 10 << 20, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stressNGArgs(tt.t, tt.workers, tt.own); !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
