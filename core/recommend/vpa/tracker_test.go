package vpa

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// TestTrackerMatchesScan compares the incremental percentiles with upstream's
// scan after every add, on streams built to produce exact ties (equal weights
// at equal times, few distinct values), sub-epsilon weights, moves of the
// minimum and maximum bucket and moves of the decay reference.
func TestTrackerMatchesScan(t *testing.T) {
	c, _ := compile(DefaultOptions())
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	type stream struct {
		name   string
		n      int
		value  func(i int, rng *rand.Rand) float64
		weight func(i int, rng *rand.Rand) float64
		step   time.Duration
	}
	streams := []stream{
		{"two values equal weights same time", 5000,
			func(i int, _ *rand.Rand) float64 { return []float64{0.2, 0.8}[i%2] },
			func(int, *rand.Rand) float64 { return 1 }, 0},
		{"few values random", 20000,
			func(_ int, rng *rand.Rand) float64 { return []float64{0.05, 0.3, 0.31, 2}[rng.IntN(4)] },
			func(int, *rand.Rand) float64 { return 0.1 }, time.Minute},
		{"lognormal", 20000,
			func(_ int, rng *rand.Rand) float64 { return 0.1 * math.Exp(rng.NormFloat64()*2) },
			func(int, *rand.Rand) float64 { return 0.1 }, time.Minute},
		{"sub-epsilon weights", 5000,
			func(_ int, rng *rand.Rand) float64 { return rng.Float64() * 3 },
			func(_ int, rng *rand.Rand) float64 { return rng.Float64() * 2e-4 }, 0},
		{"reference moves (250 days, hourly)", 6000,
			func(i int, rng *rand.Rand) float64 { return 0.5 + 0.4*math.Sin(float64(i)/50) + 0.05*rng.NormFloat64() },
			func(int, *rand.Rand) float64 { return 0.1 }, time.Hour},
	}
	for _, s := range streams {
		t.Run(s.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(9, 9))
			h := NewDecayingHistogram(c.cpuOpts, 24*time.Hour)
			tr := tracker{p: [3]float64{0.5, 0.9, 0.95}}
			syncs := 0
			for i := range s.n {
				ts := t0 + int64(i)*int64(s.step)
				b, dw := h.addAt(s.value(i, rng), s.weight(i, rng), ts)
				tr.onAdd(h, int32(b), dw)
				if !tr.valid {
					syncs++
				}
				got := tr.percentiles(h)
				want := h.Percentiles3(tr.p)
				if got != want {
					t.Fatalf("add %d: tracker %v, scan %v", i, got, want)
				}
			}
			t.Logf("%d adds, %d invalidations", s.n, syncs)
		})
	}
}

// TestRecommenderTrackerEndToEnd runs two recommenders over the same trace
// with OOMs, one with the tracker and one forced to scan, and checks every
// recommendation is identical.
func TestRecommenderTrackerEndToEnd(t *testing.T) {
	fast, _ := New(DefaultOptions(), recommend.Config{})
	slow, _ := New(DefaultOptions(), recommend.Config{})
	slowC := *slow.c
	slowC.cpuAscending = false
	slow.c = &slowC
	for i, s := range benchTrace(3) {
		fast.AddSample(s)
		slow.AddSample(s)
		if i%7 == 0 {
			fast.AddOOM(model.OOMEvent{Time: s.Time, MemoryRequestBytes: s.MemoryBytes})
			slow.AddOOM(model.OOMEvent{Time: s.Time, MemoryRequestBytes: s.MemoryBytes})
		}
		a, _ := fast.Recommend(s.Time)
		b, _ := slow.Recommend(s.Time)
		if a != b {
			t.Fatalf("sample %d: tracker %+v, scan %+v", i, a, b)
		}
	}
}

// TestPlainMatchesGeneral checks the fast path against the step-by-step
// estimator chain at every sample, over traces with OOMs, a floor split
// across containers, idle periods below the floors and a 120-day run that
// moves the decay reference.
func TestPlainMatchesGeneral(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	long := make([]model.Sample, 0, 120*24*6)
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 120 * 24 * 6 {
		long = append(long, model.Sample{
			Time:          t0.Add(time.Duration(i) * 10 * time.Minute),
			CPUMillicores: math.Max(0, 20*math.Exp(rng.NormFloat64())*float64(1+(i/(24*6))%3)),
			MemoryBytes:   100 * model.MiB * math.Exp(rng.NormFloat64()*0.5),
		})
	}
	bounds := model.ContainerPolicy{
		MinAllowed: model.Resources{CPUMillicores: 300, MemoryBytes: 1.3 * model.GiB},
		MaxAllowed: model.Resources{CPUMillicores: 700, MemoryBytes: 1.4 * model.GiB},
	}
	cpuOnly := model.ContainerPolicy{ControlledResources: []model.Resource{model.CPU}, MaxAllowed: model.Resources{MemoryBytes: model.GiB}}
	memOnly := model.ContainerPolicy{ControlledResources: []model.Resource{model.Memory}, ControlledValues: model.RequestsOnly}
	for name, tc := range map[string]struct {
		tr         []model.Sample
		containers int
		policy     model.ContainerPolicy
	}{
		"sine one container":  {benchTrace(5), 1, model.ContainerPolicy{}},
		"sine two containers": {benchTrace(6), 2, model.ContainerPolicy{}},
		"idle 120 days":       {long, 3, model.ContainerPolicy{}},
		"sine min and max":    {benchTrace(7), 1, bounds},
		"sine cpu only":       {benchTrace(7), 1, cpuOnly},
		"idle memory only":    {long[:5000], 1, memOnly},
	} {
		t.Run(name, func(t *testing.T) {
			r, _ := New(DefaultOptions(), recommend.Config{ContainersInPod: tc.containers, Policy: tc.policy})
			if !r.fast {
				t.Fatal("default options did not take the fast path")
			}
			for i, s := range tc.tr {
				r.AddSample(s)
				if i%500 == 0 {
					r.AddOOM(model.OOMEvent{Time: s.Time, MemoryRequestBytes: s.MemoryBytes * 0.9})
				}
				got := r.recommendPlain()
				want := r.recommendGeneral()
				if got != want {
					t.Fatalf("sample %d: fast %+v, general %+v", i, got, want)
				}
			}
		})
	}
}
