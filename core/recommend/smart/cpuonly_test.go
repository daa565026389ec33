package smart

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/forecast"
)

// cpuOnlySamples are 3 days of 1-minute samples, a gap of 30 hours (longer
// than the windowers fill) and one more day.
func cpuOnlySamples() []model.Sample {
	var out []model.Sample
	for i := range 4 * 24 * 60 {
		s := benchSample(i)
		if i >= 3*24*60 {
			s.Time = s.Time.Add(30 * time.Hour)
		}
		out = append(out, s)
	}
	return out
}

func cpuBits(rec model.Recommendation) [4]uint64 {
	return [4]uint64{math.Float64bits(rec.Lower.CPUMillicores), math.Float64bits(rec.Target.CPUMillicores),
		math.Float64bits(rec.Upper.CPUMillicores), math.Float64bits(rec.UncappedTarget.CPUMillicores)}
}

func memoryOf(rec model.Recommendation) [4]float64 {
	return [4]float64{rec.Lower.MemoryBytes, rec.Target.MemoryBytes, rec.Upper.MemoryBytes, rec.UncappedTarget.MemoryBytes}
}

// TestCPUOnlyCandidates checks the contract of recommend.Config.CPUOnly for
// every candidate smart creates with it: the CPU values, ok and the CPU
// evidence are bit for bit those of the same recommender without it, OOM
// kills included, and the memory values are 0 (the mode is on). With the
// built-in defaults and with the shipped model files.
func TestCPUOnlyCandidates(t *testing.T) {
	level := func(cfg recommend.Config) (recommend.Recommender, error) {
		fo := forecast.DefaultOptions(forecast.MethodAuto)
		fo.Mean, fo.FollowCurrent = true, false
		fo.CPU.TargetQuantile, fo.CPU.Margin = 0.5, 0
		return forecast.New("forecast-level", fo, cfg), nil
	}
	registry := func(name string) func(recommend.Config) (recommend.Recommender, error) {
		return func(cfg recommend.Config) (recommend.Recommender, error) { return recommend.New(name, cfg) }
	}
	tests := []struct {
		name  string
		model string // a shipped model file, read by path
		mk    func(recommend.Config) (recommend.Recommender, error)
	}{
		{"forecast", "", registry("forecast")},
		{"holt-winters", "", registry("holt-winters")},
		{"ar", "", registry("ar")},
		{"forecast-level", "", level},
		{"autopilot", "", registry("autopilot")},
		{"autopilot shipped", "../../../models/autopilot.json", registry("autopilot")},
		{"autopilot-window", "", registry("autopilot-window")},
		{"lstm", "", registry("lstm")},
		{"lstm shipped", "../../../models/lstm.json", registry("lstm")},
		{"rl", "", registry("rl")},
		{"rl shipped", "../../../models/rl.json", registry("rl")},
	}
	samples := cpuOnlySamples()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			full, err := tc.mk(recommend.Config{ModelFile: tc.model})
			if err != nil {
				t.Fatal(err)
			}
			cpu, err := tc.mk(recommend.Config{ModelFile: tc.model, CPUOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			recs, memorySeen := 0, false
			check := func(i int, now time.Time, explain bool) {
				t.Helper()
				want, wok := full.Recommend(now)
				got, gok := cpu.Recommend(now)
				if wok != gok || cpuBits(got) != cpuBits(want) {
					t.Fatalf("sample %d: CPU-only %+v (ok %v), want the CPU of %+v (ok %v)", i, got, gok, want, wok)
				}
				if gok {
					recs++
					memorySeen = memorySeen || want.Target.MemoryBytes > 0
					if m := memoryOf(got); m != [4]float64{} {
						t.Fatalf("sample %d: CPU-only memory %v, want 0", i, m)
					}
				}
				if explain {
					we, ge := full.Explain(now).Resources[model.CPU], cpu.Explain(now).Resources[model.CPU]
					if !reflect.DeepEqual(ge, we) {
						t.Fatalf("sample %d: CPU-only CPU evidence %+v, want %+v", i, ge, we)
					}
				}
			}
			for i, s := range samples {
				full.AddSample(s)
				cpu.AddSample(s)
				check(i, s.Time, i%500 == 499 || i == len(samples)-1)
				if i%997 == 500 {
					e := model.OOMEvent{Time: s.Time.Add(10 * time.Second), MemoryUsageBytes: s.MemoryBytes, MemoryRequestBytes: 0.9 * s.MemoryBytes}
					full.AddOOM(e)
					cpu.AddOOM(e)
					check(i, e.Time, true)
				}
			}
			if recs < len(samples)/2 || !memorySeen {
				t.Fatalf("%d recommendations of %d samples, memory seen %v: the test checks too little", recs, len(samples), memorySeen)
			}
		})
	}
}
