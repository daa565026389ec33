package updater

import (
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// BenchmarkDecide is the simulator's per-sample call on a pod within range
// (the common case: no update).
func BenchmarkDecide(b *testing.B) {
	mi := model.MiB
	rec := model.Recommendation{
		Lower:  model.Resources{CPUMillicores: 100, MemoryBytes: 100 * mi},
		Target: model.Resources{CPUMillicores: 260, MemoryBytes: 260 * mi},
		Upper:  model.Resources{CPUMillicores: 1000, MemoryBytes: 1024 * mi},
	}
	pod := PodState{Requests: model.Resources{CPUMillicores: 250, MemoryBytes: 256 * mi}, StartTime: t0}
	p := DefaultPolicy()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d := Decide(t0.Add(time.Duration(i%48)*time.Hour), pod, rec, p)
		if d.Action != None {
			b.Fatal(d.Reason)
		}
	}
}
