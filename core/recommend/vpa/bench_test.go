package vpa

import (
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// benchTrace is an 8-day, 1-minute trace: a daily sine of CPU between about
// 200 and 800 millicores with 10 % noise and memory between 1 and 1.5 GiB.
func benchTrace(seed uint64) []model.Sample {
	rng := rand.New(rand.NewPCG(seed, 7))
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	n := 8 * 24 * 60
	out := make([]model.Sample, n)
	for i := range out {
		phase := 2 * math.Pi * float64(i) / (24 * 60)
		cpu := (500 + 300*math.Sin(phase)) * (1 + 0.1*rng.NormFloat64())
		mem := (1.25 + 0.25*math.Sin(phase+1)) * model.GiB * (1 + 0.02*rng.NormFloat64())
		out[i] = model.Sample{Time: t0.Add(time.Duration(i) * time.Minute), CPUMillicores: max(cpu, 0), MemoryBytes: mem}
	}
	return out
}

func BenchmarkHistogramAddSample(b *testing.B) {
	c, _ := compile(DefaultOptions())
	h := NewDecayingHistogram(c.cpuOpts, 24*time.Hour)
	tr := benchTrace(1)
	vals := make([]float64, len(tr))
	ts := make([]int64, len(tr))
	for i, s := range tr {
		vals[i], ts[i] = s.CPUMillicores/1000, s.Time.UnixNano()
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		k := i % len(vals)
		if k == 0 {
			h.init(c.cpuOpts, 24*time.Hour)
		}
		h.AddSampleAt(vals[k], 0.1, ts[k])
	}
	reportRate(b, b.N, cpu0)
}

// BenchmarkHistogramPercentile measures one upstream percentile scan and the
// one-pass triple on the CPU histogram of a full bench trace.
func BenchmarkHistogramPercentile(b *testing.B) {
	c, _ := compile(DefaultOptions())
	h := NewDecayingHistogram(c.cpuOpts, 24*time.Hour)
	for _, s := range benchTrace(1) {
		h.AddSample(s.CPUMillicores/1000, 0.1, s.Time)
	}
	lo, hi := h.BucketRange()
	b.Logf("buckets in use %d..%d", lo, hi)
	b.Run("p90", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink += h.Percentile(0.9)
		}
	})
	b.Run("p50-p90-p95", func(b *testing.B) {
		p := [3]float64{0.5, 0.9, 0.95}
		for i := 0; i < b.N; i++ {
			sink += h.Percentiles3(p)[1]
		}
	})
}

var sink float64

// cpuTime returns the process's user+system CPU time. The benchmarks report
// samples per CPU-second besides samples per wall-second, because the shared
// build machine is often oversubscribed and wall time then overstates cost.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRate(b *testing.B, n int, cpu0 time.Duration) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "samples/s")
	if d := cpuTime() - cpu0; d > 0 {
		b.ReportMetric(float64(n)/d.Seconds(), "samples/cpu-s")
	}
}

// BenchmarkRecommendEverySample is the backtest-like loop: for every sample
// of an 8-day trace, AddSample then Recommend. samples/s is per core.
func BenchmarkRecommendEverySample(b *testing.B) {
	tr := benchTrace(1)
	r, err := New(DefaultOptions(), recommend.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		k := i % len(tr)
		if k == 0 {
			r.Reset()
		}
		r.AddSample(tr[k])
		rec, _ := r.Recommend(tr[k].Time)
		sink += rec.Target.CPUMillicores
	}
	reportRate(b, b.N, cpu0)
}

// stateBytes is the memory one recommender holds: the struct plus the
// histogram weight windows (the compiled options are shared by all).
func stateBytes(r *Recommender) int {
	return int(unsafe.Sizeof(*r)) + 8*(cap(r.cpu.w)+cap(r.mem.w)) + 8*len(r.policy.ControlledResources)
}

// TestStateSize prints the per-container state after 8 days of several
// workloads and checks the bound of 3 KiB for them.
func TestStateSize(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	gen := map[string]func(i int, rng *rand.Rand) (float64, float64){
		"constant": func(int, *rand.Rand) (float64, float64) { return 500, model.GiB },
		"sine":     nil, // benchTrace
		"step x10": func(i int, _ *rand.Rand) (float64, float64) {
			if (i/(24*60))%2 == 0 {
				return 100, 256 * model.MiB
			}
			return 1000, 2560 * model.MiB
		},
		"extreme 0-64 cores, 8Mi-256Gi": func(i int, rng *rand.Rand) (float64, float64) {
			if i%2 == 0 {
				return 0, 8 * model.MiB
			}
			return 64000 * rng.Float64(), 256 * model.GiB * rng.Float64()
		},
		"lognormal idle-to-4-cores": func(_ int, rng *rand.Rand) (float64, float64) {
			return math.Min(50*math.Exp(rng.NormFloat64()*1.5), 4000), model.GiB * math.Exp(rng.NormFloat64()*0.3)
		},
	}
	for name, g := range gen {
		r, _ := New(DefaultOptions(), recommend.Config{})
		rng := rand.New(rand.NewPCG(5, 6))
		if g == nil {
			for _, s := range benchTrace(1) {
				r.AddSample(s)
			}
		} else {
			for i := range 8 * 24 * 60 {
				cpu, mem := g(i, rng)
				r.AddSample(model.Sample{Time: t0.Add(time.Duration(i) * time.Minute), CPUMillicores: cpu, MemoryBytes: mem})
			}
		}
		n := stateBytes(r)
		t.Logf("%-28s state %5d bytes (struct %d, cpu window %d buckets, memory window %d buckets)",
			name, n, unsafe.Sizeof(*r), cap(r.cpu.w), cap(r.mem.w))
		if n > 3072 {
			t.Errorf("%s: state %d bytes, above 3 KiB", name, n)
		}
	}
	worst := int(unsafe.Sizeof(Recommender{})) + 8*2*176
	t.Logf("theoretical maximum (CPU from <10m to >1000 cores and memory from <10 MB to >1 TB): %d bytes", worst)
}

// BenchmarkRecommendEverySampleCapped is the loop with a policy that caps
// (the general path, no allocation per sample).
func BenchmarkRecommendEverySampleCapped(b *testing.B) {
	tr := benchTrace(1)
	r, err := New(DefaultOptions(), recommend.Config{Policy: model.ContainerPolicy{
		MinAllowed: model.Resources{MemoryBytes: 2 * model.GiB},
		MaxAllowed: model.Resources{CPUMillicores: 600},
	}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		k := i % len(tr)
		if k == 0 {
			r.Reset()
		}
		r.AddSample(tr[k])
		rec, _ := r.Recommend(tr[k].Time)
		sink += rec.Target.CPUMillicores
	}
	reportRate(b, b.N, cpu0)
}
