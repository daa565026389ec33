package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// genWorkload generates a daily sinusoid with noise and occasional spikes:
// a simple in-test generator (the workloads package has the real ones).
func genWorkload(id string, seed uint64, duration, interval time.Duration) Workload {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	n := int(duration / interval)
	w := Workload{ID: id, Samples: make([]model.Sample, n), Interval: interval,
		InitialRequest: model.Resources{CPUMillicores: 800, MemoryBytes: 768 * model.MiB}}
	baseCPU := 200 + 400*rng.Float64()
	baseMem := (256 + 256*rng.Float64()) * model.MiB
	phase := rng.Float64() * 2 * math.Pi
	for i := range w.Samples {
		t := t0.Add(time.Duration(i) * interval)
		day := 2 * math.Pi * float64(i) * interval.Hours() / 24
		cpu := baseCPU * (1 + 0.5*math.Sin(day+phase) + 0.1*rng.NormFloat64())
		mem := baseMem * (1 + 0.3*math.Sin(day+phase) + 0.02*rng.NormFloat64())
		if rng.IntN(500) == 0 {
			cpu *= 2
			mem *= 1.3
		}
		w.Samples[i] = model.Sample{Time: t, CPUMillicores: max(cpu, 1), MemoryBytes: max(mem, model.MiB)}
	}
	return w
}

// constWorkload is n samples of constant usage at the given interval.
func constWorkload(n int, interval time.Duration, cpu, mem float64) Workload {
	w := Workload{ID: "const", Interval: interval}
	for i := range n {
		w.Samples = append(w.Samples, model.Sample{Time: t0.Add(time.Duration(i) * interval), CPUMillicores: cpu, MemoryBytes: mem})
	}
	return w
}

// fixedRec always recommends rec (never, when ok is false). It records what
// it was fed.
type fixedRec struct {
	rec     model.Recommendation
	ok      bool
	samples []model.Sample
	ooms    []model.OOMEvent
	asked   []time.Time
}

func (f *fixedRec) Name() string             { return "fixed" }
func (f *fixedRec) AddSample(s model.Sample) { f.samples = append(f.samples, s) }
func (f *fixedRec) AddOOM(e model.OOMEvent)  { f.ooms = append(f.ooms, e) }
func (f *fixedRec) Recommend(now time.Time) (model.Recommendation, bool) {
	f.asked = append(f.asked, now)
	return f.rec, f.ok
}
func (f *fixedRec) Explain(time.Time) recommend.Explanation {
	return recommend.Explanation{Recommender: f.Name()}
}

// peakRec recommends the peak usage seen so far times (1+margin): a cheap
// causal recommender that never allocates.
type peakRec struct {
	margin float64
	peak   model.Resources
	n      int
}

func (p *peakRec) Name() string { return "peak" }
func (p *peakRec) AddSample(s model.Sample) {
	p.n++
	p.peak.CPUMillicores = max(p.peak.CPUMillicores, s.CPUMillicores)
	p.peak.MemoryBytes = max(p.peak.MemoryBytes, s.MemoryBytes)
}
func (p *peakRec) AddOOM(e model.OOMEvent) {
	p.peak.MemoryBytes = max(p.peak.MemoryBytes, e.MemoryUsageBytes*1.2)
}
func (p *peakRec) Recommend(time.Time) (model.Recommendation, bool) {
	if p.n == 0 {
		return model.Recommendation{}, false
	}
	t := model.Resources{CPUMillicores: p.peak.CPUMillicores * (1 + p.margin), MemoryBytes: p.peak.MemoryBytes * (1 + p.margin)}
	return model.Recommendation{Lower: p.peak, Target: t, Upper: model.Resources{CPUMillicores: t.CPUMillicores * 2, MemoryBytes: t.MemoryBytes * 2}, UncappedTarget: t}, true
}
func (p *peakRec) Explain(time.Time) recommend.Explanation {
	return recommend.Explanation{Recommender: p.Name()}
}

func res(cpu, memMiB float64) model.Resources {
	return model.Resources{CPUMillicores: cpu, MemoryBytes: memMiB * model.MiB}
}

// exact recommends lower = target = upper = r.
func exact(r model.Resources) model.Recommendation {
	return model.Recommendation{Lower: r, Target: r, Upper: r, UncappedTarget: r}
}

func noWarmup() Options {
	o := DefaultOptions()
	o.Warmup = 0
	return o
}

// instant is noWarmup with instant actuation: no resize delay, no restart
// downtime (the model before actuation was simulated).
func instant() Options {
	o := noWarmup()
	o.ResizeDelay, o.RestartDowntime = 0, 0
	return o
}

// constRec always recommends rec and records nothing.
type constRec struct{ rec model.Recommendation }

func (c constRec) Name() string                                     { return "const" }
func (c constRec) AddSample(model.Sample)                           {}
func (c constRec) AddOOM(model.OOMEvent)                            {}
func (c constRec) Recommend(time.Time) (model.Recommendation, bool) { return c.rec, true }
func (c constRec) Explain(time.Time) recommend.Explanation {
	return recommend.Explanation{Recommender: c.Name()}
}
