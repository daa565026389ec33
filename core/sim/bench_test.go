package sim

import (
	"context"
	"fmt"
	"testing"
	"time"
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
// 1-minute samples on GOMAXPROCS workers and reports samples per second (all
// workers) and per second per core. "peak" is a trivial recommender, so it
// measures the simulator and updater; "oracle" adds the hindsight oracle.
func BenchmarkBacktestThroughput(b *testing.B) {
	ws := loadBenchWorkloads()
	samples := 0
	for i := range ws {
		samples += len(ws[i].Samples)
	}
	for _, rec := range []string{"peak", OracleName} {
		b.Run(rec, func(b *testing.B) {
			opts := BacktestOptions{Options: DefaultOptions(), NewRecommender: testRecommenders}
			b.ResetTimer()
			for b.Loop() {
				if _, err := Backtest(context.Background(), ws, []string{rec}, opts); err != nil {
					b.Fatal(err)
				}
			}
			perSec := float64(samples) * float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(perSec, "samples/s")
			b.ReportMetric(perSec/float64(max(1, runtimeProcs())), "samples/s/core")
		})
	}
}
