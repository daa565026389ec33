package smart

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	_ "github.com/smartvpa/smartvpa/core/recommend/bandit" // a candidate, as in the binary
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

// shippedSmart returns smart as the binary runs it: the shipped model files
// (../../../models/*.json, read by path) become the candidates' defaults, and
// every candidate is registered (bandit is imported above).
func shippedSmart(b *testing.B) recommend.Recommender {
	b.Helper()
	files, _ := filepath.Glob("../../../models/*.json")
	if len(files) == 0 {
		b.Skip("../../../models/*.json not found: run from the repository")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		modelfile.SetDefault(strings.TrimSuffix(filepath.Base(f), ".json"), data)
	}
	r, err := recommend.New(Name, recommend.Config{})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// benchSample is sample i at 1-minute spacing: a daily CPU cycle with
// noise and a slowly varying memory level (deterministic, so every run feeds
// the same).
func benchSample(i int) model.Sample {
	at := t0.Add(time.Duration(i) * time.Minute)
	h := float64(i) / 60
	noise := math.Sin(float64(i)*12.9898) * 43758.5453
	noise -= math.Floor(noise) // in [0, 1)
	return model.Sample{Time: at,
		CPUMillicores: 400 + 300*math.Sin(2*math.Pi*h/24) + 100*(noise-0.5),
		MemoryBytes:   model.GiB * (1 + 0.2*math.Sin(2*math.Pi*h/72) + 0.02*noise)}
}

func benchSamples(n int) []model.Sample {
	out := make([]model.Sample, n)
	for i := range out {
		out[i] = benchSample(i)
	}
	return out
}

// BenchmarkSmart8d feeds 8 days of 1-minute samples (11,520) to a fresh
// smart recommender with the shipped models and asks for the
// recommendation at the end: the cost of one container's history in
// `recommend` and of a restore in serve. ns/sample is per sample fed.
func BenchmarkSmart8d(b *testing.B) {
	samples := benchSamples(8 * 24 * 60)
	b.ReportAllocs()
	for b.Loop() {
		r := shippedSmart(b)
		for _, s := range samples {
			r.AddSample(s)
		}
		if _, ok := r.Recommend(samples[len(samples)-1].Time); !ok {
			b.Fatal("no recommendation")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(samples)), "ns/sample")
}

// BenchmarkSmartStep is the cost of one more sample and recommendation on a
// container with 8 days of history (serve's steady state, per container and
// pass).
func BenchmarkSmartStep(b *testing.B) {
	warm := 8 * 24 * 60
	r := shippedSmart(b)
	for i := range warm {
		r.AddSample(benchSample(i))
	}
	b.ReportAllocs()
	i := warm
	for b.Loop() {
		s := benchSample(i)
		r.AddSample(s)
		r.Recommend(s.Time)
		i++
	}
}

// BenchmarkSmartState reports the live heap a smart recommender (shipped
// models, all candidates in the shadow) holds after 8 days of 1-minute
// samples: serve keeps one per container, so this is the recommender's share
// of serve's memory per container. 50 recommenders are kept alive at once
// and the heap is measured after a GC, so the figure is the steady state,
// not the garbage made while feeding.
func BenchmarkSmartState(b *testing.B) {
	const n = 50
	samples := benchSamples(8 * 24 * 60)
	shippedSmart(b) // register the shipped models before the heap is measured
	var kib float64
	for b.Loop() {
		h0 := liveHeap()
		rs := make([]recommend.Recommender, n)
		for i := range rs {
			rs[i] = shippedSmart(b)
			for _, s := range samples {
				rs[i].AddSample(s)
			}
		}
		kib = float64(liveHeap()-h0) / n / 1024
		runtime.KeepAlive(rs)
	}
	b.ReportMetric(kib, "KiB/recommender")
}

// liveHeap is the heap in use after a full GC.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
