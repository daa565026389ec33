package sim

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend"
	_ "github.com/smartvpa/smartvpa/core/recommend/vpa" // registers vpa
)

// benchWorkloads are generated once per test binary: 1,000 traces of 8 days
// at 1-minute samples (11.52 M samples, about 460 MB).
var benchWorkloads []Workload

func loadBenchWorkloads() []Workload {
	if benchWorkloads == nil {
		benchWorkloads = make([]Workload, 1000)
		for i := range benchWorkloads {
			benchWorkloads[i] = genWorkload(fmt.Sprintf("b%04d", i), uint64(i+1), 8*24*time.Hour, time.Minute)
		}
	}
	return benchWorkloads
}

// BenchmarkBacktestThroughput backtests 1,000 generated 8-day traces at
// 1-minute samples (a recommendation asked at every sample, the updater
// deciding at every sample after the 24 h warm-up) on GOMAXPROCS workers. It
// reports samples per wall-clock second and per CPU-second of the process
// (samples/cpu-s, i.e. per core; the shared build machine is often
// oversubscribed, and wall time then overstates the cost).
//
//   - const: a recommender that does nothing: the simulator and updater alone;
//   - peak: a trivial causal recommender (peak so far + 15 %);
//   - oracle: the hindsight oracle;
//   - vpa: the upstream VPA port (core/recommend/vpa).
func BenchmarkBacktestThroughput(b *testing.B) {
	ws := loadBenchWorkloads()
	samples := 0
	for i := range ws {
		samples += len(ws[i].Samples)
	}
	newRec := func(name string, w *Workload, cfg recommend.Config) (recommend.Recommender, error) {
		if name == "const" {
			return constRec{exact(res(900, 900))}, nil
		}
		if r, err := testRecommenders(name, w, cfg); err == nil {
			return r, nil
		}
		return NewRecommender(name, w, cfg, DefaultOptions())
	}
	for _, rec := range []string{"const", "peak", OracleName, "vpa"} {
		b.Run(rec, func(b *testing.B) {
			opts := BacktestOptions{Options: DefaultOptions(), NewRecommender: newRec}
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := Backtest(context.Background(), ws, []string{rec}, opts); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(samples) * float64(b.N)
			b.ReportMetric(n/b.Elapsed().Seconds(), "samples/s")
			if cpu := (cpuTime() - cpu0).Seconds(); cpu > 0 {
				b.ReportMetric(n/cpu, "samples/cpu-s")
			}
		})
	}
}

// BenchmarkStep measures one Env.Step on one goroutine with a constant
// action: "warmup" never consults the updater (the simulator alone),
// "decide" asks updater.Decide at every step (which decides "no update").
func BenchmarkStep(b *testing.B) {
	w := genWorkload("s", 1, 8*24*time.Hour, time.Minute)
	for _, tc := range []struct {
		name   string
		warmup time.Duration
	}{{"warmup", 1000 * 24 * time.Hour}, {"decide", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			opts := DefaultOptions()
			opts.Warmup = tc.warmup
			env, err := NewEnv(opts)
			if err != nil {
				b.Fatal(err)
			}
			action := exact(res(900, 900))
			if _, _, err := env.Reset(&w, 0); err != nil {
				b.Fatal(err)
			}
			cpu0 := cpuTime()
			for b.Loop() {
				if env.Done() {
					if _, _, err := env.Reset(&w, 0); err != nil {
						b.Fatal(err)
					}
				}
				if _, _, _, _, err := env.Step(action); err != nil {
					b.Fatal(err)
				}
			}
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
