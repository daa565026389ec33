package model

import (
	"encoding/json"
	"math"
	"sort"
	"testing"
)

func TestDriftValue(t *testing.T) {
	tests := []struct {
		name            string
		request, target float64
		want            float64 // NaN: no drift
		cell            string
	}{
		{"on target", 500, 500, 0, "0%"},
		{"twice the target", 1000, 500, 1, "+100%"},
		{"half the target", 250, 500, -1, "-100%"},
		{"50% over", 150, 100, 0.5, "+50%"},
		{"50% under", 100, 150, -0.5, "-50%"},
		// The case that read -495% or -83% before: 1190/200 = 5.95x.
		{"api 200m -> 1190m", 200, 1190, -4.95, "-495%"},
		{"no request", 0, 500, math.NaN(), "-"},
		{"no target", 500, 0, math.NaN(), "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DriftValue(tt.request, tt.target)
			if math.IsNaN(tt.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tt.want) > 1e-9) {
				t.Fatalf("DriftValue(%v, %v) = %v, want %v", tt.request, tt.target, got, tt.want)
			}
			if c := FormatDrift(got); c != tt.cell {
				t.Fatalf("FormatDrift = %q, want %q", c, tt.cell)
			}
		})
	}
}

func TestDriftIsSymmetric(t *testing.T) {
	for _, p := range [][2]float64{{100, 300}, {7, 1900}, {512, 511}} {
		a, b := DriftValue(p[0], p[1]), DriftValue(p[1], p[0])
		if math.Abs(a+b) > 1e-12 {
			t.Errorf("drift(%v,%v) = %v and drift(%v,%v) = %v: want opposite", p[0], p[1], a, p[1], p[0], b)
		}
	}
}

func TestRiskFirst(t *testing.T) {
	in := []float64{0.2, math.NaN(), -0.1, 3, -4.95, 0}
	sort.SliceStable(in, func(i, j int) bool { return RiskFirst(in[i], in[j]) })
	want := []float64{-4.95, -0.1, 3, 0.2, 0}
	for i, w := range want {
		if in[i] != w {
			t.Fatalf("risk-first order %v, want %v then NaN", in, want)
		}
	}
	if !math.IsNaN(in[5]) {
		t.Fatalf("NaN not last: %v", in)
	}
}

func TestDriftWorst(t *testing.T) {
	tests := []struct {
		name string
		d    Drift
		want float64
	}{
		{"under wins over a larger over", Drift{CPU: 3, Memory: -0.2}, -0.2},
		{"largest over", Drift{CPU: 0.5, Memory: 1.5}, 1.5},
		{"one resource", Drift{CPU: math.NaN(), Memory: 0.4}, 0.4},
		{"none", Drift{CPU: math.NaN(), Memory: math.NaN()}, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.d.Worst()
			if math.IsNaN(got) != math.IsNaN(tt.want) || (!math.IsNaN(got) && got != tt.want) {
				t.Fatalf("Worst() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDriftJSON(t *testing.T) {
	b, err := json.Marshal(Drift{CPU: 0.5, Memory: math.NaN()})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"cpu":0.5}` {
		t.Fatalf("json %s, want {\"cpu\":0.5}", b)
	}
	var d Drift
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.CPU != 0.5 || !math.IsNaN(d.Memory) {
		t.Fatalf("round trip %+v", d)
	}
}

func TestMonthlySavings(t *testing.T) {
	tests := []struct {
		name            string
		request, target Resources
		replicas        float64
		want            float64
	}{
		// One core and one GiB less for a month: 0.031611*730 + 0.004237*730.
		{"one core and one GiB", Resources{2000, 2 * GiB}, Resources{1000, GiB}, 1, 26.16904},
		{"three replicas", Resources{2000, 2 * GiB}, Resources{1000, GiB}, 3, 3 * 26.16904},
		{"costs more", Resources{500, GiB}, Resources{1500, GiB}, 2, -2 * 0.031611 * 730},
		{"no cpu request", Resources{0, 2 * GiB}, Resources{1000, GiB}, 1, 0.004237 * 730},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MonthlySavings(tt.request, tt.target, tt.replicas, DefaultPrices); math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("MonthlySavings = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFormatUnits(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{FormatCPU(350), "350m"},
		{FormatCPU(1000), "1000m"},
		{FormatCPU(1299.2), "1300m"},
		{FormatCPU(0), "-"},
		{FormatMemory(1851 * MiB), "1851Mi"},
		{FormatMemory(1.8 * GiB), "1844Mi"},
		{FormatMemory(100 * KiB), "1Mi"},
		{FormatMemory(0), "-"},
		{Format(CPU, 5), "5m"},
		{Format(Memory, MiB), "1Mi"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestMonthlyCost(t *testing.T) {
	// One core and one GiB for a month at the defaults: 23.08 + 3.09.
	if got := MonthlyCost(Resources{CPUMillicores: 1000, MemoryBytes: GiB}, DefaultPrices); math.Abs(got-26.16904) > 1e-9 {
		t.Fatalf("MonthlyCost = %v, want 26.16904", got)
	}
	// Savings are the difference of the costs when both resources are set.
	req, tgt := Resources{CPUMillicores: 2500, MemoryBytes: 3 * GiB}, Resources{CPUMillicores: 700, MemoryBytes: 5 * GiB}
	if d := MonthlyCost(req, DefaultPrices) - MonthlyCost(tgt, DefaultPrices) - MonthlySavings(req, tgt, 1, DefaultPrices); math.Abs(d) > 1e-9 {
		t.Fatalf("cost difference and savings differ by %v", d)
	}
}
