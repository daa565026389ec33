package stress

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestSplitDuty(t *testing.T) {
	tests := []struct {
		name    string
		m       float64
		workers int
		want    []float64
	}{
		{"zero", 0, 2, []float64{0, 0}},
		{"negative", -5, 2, []float64{0, 0}},
		{"nan", math.NaN(), 1, []float64{0}},
		{"spread", 500, 2, []float64{0.25, 0.25}},
		{"one worker", 300, 1, []float64{0.3}},
		{"full", 2000, 2, []float64{1, 1}},
		{"capped", 5000, 2, []float64{1, 1}},
		{"no workers", 500, 0, []float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitDuty(tt.m, tt.workers); !slices.Equal(got, tt.want) {
				t.Fatalf("splitDuty(%g, %d) = %v, want %v", tt.m, tt.workers, got, tt.want)
			}
		})
	}
}

// TestCPUControllerConverges drives the controller against a model process
// whose workers deliver only eff of what they are asked and whose runtime
// adds overhead millicores: the measured CPU must settle on the target.
func TestCPUControllerConverges(t *testing.T) {
	tests := []struct {
		name          string
		target        float64
		eff, overhead float64
	}{
		{"exact", 500, 1, 0},
		{"overhead", 300, 1, 15},
		{"short workers", 800, 0.9, 5},
		{"big", 1500, 0.95, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cpuController{Gain: 0.3, MaxMillicores: 2000}
			cmd := c.command(tt.target, -1)
			if cmd != tt.target {
				t.Fatalf("first command %g, want the target %g", cmd, tt.target)
			}
			var measured float64
			for range 40 {
				measured = cmd*tt.eff + tt.overhead
				cmd = c.command(tt.target, measured)
			}
			if math.Abs(measured-tt.target) > 0.01*tt.target {
				t.Fatalf("measured %g after 40 steps, target %g", measured, tt.target)
			}
		})
	}
}

func TestCPUControllerBounds(t *testing.T) {
	c := cpuController{Gain: 0.3, MaxMillicores: 1000}
	// a starved process (measures nothing) must not wind the command up
	// beyond a quarter of the target nor above the workers' maximum
	for range 100 {
		c.command(400, 0)
	}
	if got := c.command(400, 0); got != 500 {
		t.Fatalf("wound-up command %g, want 400 + 25%% = 500", got)
	}
	if got := c.command(950, 0); got != 1000 {
		t.Fatalf("command %g above the workers' maximum", got)
	}
	if got := c.command(0, 700); got != 0 || c.correction != 0 {
		t.Fatalf("zero target: command %g correction %g", got, c.correction)
	}
}

func TestMemoryChunks(t *testing.T) {
	const mi = 1 << 20
	tests := []struct {
		name        string
		target, rss float64
		held        int
		want        int
	}{
		{"start", 128 * mi, 12 * mi, 0, 116},
		{"reached", 128 * mi, 128 * mi, 116, 116},
		{"overhead grew", 128 * mi, 130 * mi, 116, 114},
		{"drop", 64 * mi, 128 * mi, 116, 52},
		{"below overhead", 8 * mi, 128 * mi, 116, 0},
		{"zero", 0, 20 * mi, 3, 0},
		{"rounds to nearest", 10.6 * mi, 0, 0, 11},
		{"rss below held (pages not yet counted)", 64 * mi, 10 * mi, 60, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := memoryChunks(tt.target, tt.rss, tt.held, mi); got != tt.want {
				t.Fatalf("memoryChunks = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestBurnBudget(t *testing.T) {
	p := 100 * time.Millisecond
	tests := []struct {
		name  string
		duty  float64
		carry time.Duration
		want  time.Duration
	}{
		{"idle", 0, 0, 0},
		{"quarter", 0.25, 0, 25 * time.Millisecond},
		{"carry", 0.25, 10 * time.Millisecond, 35 * time.Millisecond},
		{"carry bounded", 0.25, time.Second, 75 * time.Millisecond},
		{"never above the period", 0.9, 40 * time.Millisecond, p},
		{"negative carry ignored", 0.5, -time.Second, 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := burnBudget(tt.duty, p, tt.carry); got != tt.want {
				t.Fatalf("burnBudget = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCPUMillicores(t *testing.T) {
	if got := cpuMillicores(time.Second, 1500*time.Millisecond, 2*time.Second); got != 250 {
		t.Fatalf("got %g, want 250", got)
	}
	if got := cpuMillicores(0, time.Second, 0); got != 0 {
		t.Fatalf("zero wall: %g", got)
	}
}
