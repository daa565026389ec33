package updater

import (
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// BenchmarkDecide is the simulator's per-sample call on a pod within range
// (the common case: no update): "value" through Decide, "to" through
// DecideTo, which the simulator uses. Besides wall-clock ns/op it reports
// CPU-ns per call of the process (cpu-ns/op): the shared build machine is
// often oversubscribed, and wall time then overstates the cost.
func BenchmarkDecide(b *testing.B) {
	mi := model.MiB
	rec := model.Recommendation{
		Lower:  model.Resources{CPUMillicores: 100, MemoryBytes: 100 * mi},
		Target: model.Resources{CPUMillicores: 260, MemoryBytes: 260 * mi},
		Upper:  model.Resources{CPUMillicores: 1000, MemoryBytes: 1024 * mi},
	}
	pod := PodState{Requests: model.Resources{CPUMillicores: 250, MemoryBytes: 256 * mi}, StartTime: t0}
	p := DefaultPolicy()
	for _, tc := range []struct {
		name   string
		decide func(now time.Time, d *Decision)
	}{
		{"value", func(now time.Time, d *Decision) { *d = Decide(now, pod, rec, p) }},
		{"to", func(now time.Time, d *Decision) { DecideTo(d, now, &pod, &rec, &p) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var d Decision
			cpu0 := cpuTime()
			i := 0
			for b.Loop() {
				tc.decide(t0.Add(time.Duration(i%48)*time.Hour), &d)
				if d.Action != None {
					b.Fatal(d.Reason)
				}
				i++
			}
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
