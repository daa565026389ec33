package forecast

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

func seasonal(n int, rng *rand.Rand, noise float64) (y, clean []float64) {
	for t := 0; t < n; t++ {
		c := 100 + 30*math.Sin(2*math.Pi*float64(t)/24) + 10*math.Cos(2*math.Pi*float64(t)/12) + 0.05*float64(t)
		clean = append(clean, c)
		y = append(y, c+noise*rng.NormFloat64())
	}
	return y, clean
}

func TestHoltWintersRecoversSeasonalSeries(t *testing.T) {
	tests := []struct {
		name  string
		noise float64
	}{
		{"noiseless", 0},
		{"noisy", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			y, clean := seasonal(10*24+24, rng, tt.noise)
			train := y[:10*24]
			season, period := DetectSeason(train, time.Hour, 0.3)
			if season != SeasonDaily || period != 24 {
				t.Fatalf("season = %v/%d, want daily/24", season, period)
			}
			hw, err := FitHoltWinters(train, period, 1)
			if err != nil {
				t.Fatal(err)
			}
			fc := hw.Forecast(24)
			var mape float64
			for i, f := range fc {
				truth := clean[10*24+i]
				mape += math.Abs(f-truth) / truth
			}
			mape /= float64(len(fc))
			t.Logf("MAPE %.2f %% (alpha %.2f beta %.2f gamma %.2f)", 100*mape, hw.Alpha, hw.Beta, hw.Gamma)
			if mape > 0.05 {
				t.Fatalf("MAPE = %.2f %%, want <= 5 %%", 100*mape)
			}
		})
	}
}

func TestARRecoversCoefficients(t *testing.T) {
	tests := []struct {
		name string
		c    float64
		coef []float64
	}{
		{"ar1", 2, []float64{0.7}},
		{"ar2", 1, []float64{0.6, -0.25}},
		{"ar3", 5, []float64{0.5, 0.2, -0.3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			p := len(tt.coef)
			y := make([]float64, p, 20000)
			for len(y) < cap(y) {
				v := tt.c + rng.NormFloat64()
				for i, a := range tt.coef {
					v += a * y[len(y)-1-i]
				}
				y = append(y, v)
			}
			m, err := FitAR(y[1000:], p)
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range tt.coef {
				if math.Abs(m.Coef[i]-a) > 0.03 {
					t.Errorf("coef[%d] = %.4f, want %.4f", i, m.Coef[i], a)
				}
			}
			if math.Abs(m.C-tt.c) > 0.15*math.Max(1, tt.c) {
				t.Errorf("c = %.4f, want %.4f", m.C, tt.c)
			}
		})
	}
}

func TestARTooShort(t *testing.T) {
	if _, err := FitAR([]float64{1, 2, 3}, 3); err == nil {
		t.Fatal("FitAR on 3 points succeeded")
	}
}

func TestDetectSeason(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var daily, weekly, flat []float64
	for i := 0; i < 3*168; i++ {
		daily = append(daily, 10+5*math.Sin(2*math.Pi*float64(i)/24)+0.5*rng.NormFloat64())
		w := 10.0
		if (i/24)%7 >= 5 {
			w = 30 // weekends
		}
		weekly = append(weekly, w+3*math.Sin(2*math.Pi*float64(i)/24)+0.5*rng.NormFloat64())
		flat = append(flat, 10+rng.NormFloat64())
	}
	tests := []struct {
		name string
		y    []float64
		want Season
	}{
		{"daily", daily, SeasonDaily},
		{"weekly", weekly, SeasonWeekly},
		{"noise", flat, SeasonNone},
		{"too short", daily[:40], SeasonNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := DetectSeason(tt.y, time.Hour, 0.3); got != tt.want {
				t.Fatalf("DetectSeason = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	xs := []float64{4, 1, 3, 2, 5}
	for _, tt := range []struct{ q, want float64 }{{0, 1}, {0.5, 3}, {1, 5}, {0.25, 2}, {0.9, 4.6}} {
		if got := Quantile(xs, tt.q); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if !reflect.DeepEqual(xs, []float64{4, 1, 3, 2, 5}) {
		t.Fatal("Quantile modified its input")
	}
}

func TestWindowerFillsGaps(t *testing.T) {
	w := Windower{Width: time.Hour, MaxGapFill: 24, Cap: 100}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w.Add(model.Sample{Time: t0, CPUMillicores: 1})
	w.Add(model.Sample{Time: t0.Add(30 * time.Minute), CPUMillicores: 3})
	if !w.Add(model.Sample{Time: t0.Add(3*time.Hour + time.Minute), CPUMillicores: 2}) {
		t.Fatal("a sample in a later window did not close the window")
	}
	ws := w.Windows()
	if len(ws) != 3 {
		t.Fatalf("got %d windows, want 3 (one observed, two filled)", len(ws))
	}
	for i, x := range ws {
		if x.Peak[0] != 3 || x.Mean[0] != 2 || !x.Start.Equal(t0.Add(time.Duration(i)*time.Hour)) {
			t.Errorf("window %d = %+v", i, x)
		}
	}
}

// TestWindowerKeepAndCap checks that a bounded windower keeps the newest Cap
// windows of the unbounded series, that KeepPeak and KeepMean keep the same
// peaks and means as KeepAll, and that a window's Start and N survive; with
// CPUOnly, that they keep the same CPU values and Start, and no memory.
func TestWindowerKeepAndCap(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	full := Windower{Width: time.Hour, MaxGapFill: 5}
	bounded, cpuOnly := map[Keep]*Windower{}, map[Keep]*Windower{}
	for _, k := range []Keep{KeepAll, KeepPeak, KeepMean} {
		bounded[k] = &Windower{Width: time.Hour, MaxGapFill: 5, Cap: 50, Keep: k}
		cpuOnly[k] = &Windower{Width: time.Hour, MaxGapFill: 5, Cap: 50, Keep: k, CPUOnly: true}
	}
	at := t0
	for i := 0; i < 5000; i++ {
		at = at.Add(time.Duration(1+rng.IntN(20)) * time.Minute)
		if i%900 == 899 {
			at = at.Add(9 * time.Hour) // a gap longer than MaxGapFill
		}
		s := model.Sample{Time: at, CPUMillicores: rng.Float64() * 100, MemoryBytes: rng.Float64() * model.GiB}
		full.Add(s)
		for k, w := range bounded {
			if w.Add(s) != cpuOnly[k].Add(s) {
				t.Fatalf("sample %d: Add of a CPU-only windower disagrees on closing a window", i)
			}
		}
		all := full.Windows()
		want := all[max(0, len(all)-50):]
		if got := bounded[KeepAll].Windows(); !reflect.DeepEqual(got, want) {
			t.Fatalf("sample %d: KeepAll with Cap 50 kept %d windows, not the newest 50 of %d", i, len(got), len(all))
		}
		for r := 0; r < 2; r++ {
			peaks, means := Peaks(want, r), Means(want, r)
			if !reflect.DeepEqual(bounded[KeepPeak].PeakSeries(r), peaks) || !reflect.DeepEqual(bounded[KeepAll].PeakSeries(r), peaks) {
				t.Fatalf("sample %d: peak series differ", i)
			}
			if !reflect.DeepEqual(bounded[KeepMean].MeanSeries(r), means) || !reflect.DeepEqual(bounded[KeepAll].MeanSeries(r), means) {
				t.Fatalf("sample %d: mean series differ", i)
			}
		}
		if bounded[KeepPeak].Len() != len(want) || bounded[KeepMean].Len() != len(want) {
			t.Fatalf("sample %d: Len %d and %d, want %d", i, bounded[KeepPeak].Len(), bounded[KeepMean].Len(), len(want))
		}
		wantCPU := make([]Window, len(want))
		for j, x := range want {
			wantCPU[j] = Window{Start: x.Start, Peak: [2]float64{x.Peak[0], 0}, Mean: [2]float64{x.Mean[0], 0}}
		}
		if got := cpuOnly[KeepAll].Windows(); !reflect.DeepEqual(got, wantCPU) {
			t.Fatalf("sample %d: CPU-only KeepAll kept %+v, want %+v", i, got, wantCPU)
		}
		peaks, means := Peaks(want, 0), Means(want, 0)
		if !reflect.DeepEqual(cpuOnly[KeepPeak].PeakSeries(0), peaks) || !reflect.DeepEqual(cpuOnly[KeepAll].PeakSeries(0), peaks) {
			t.Fatalf("sample %d: CPU-only peak series differ", i)
		}
		if !reflect.DeepEqual(cpuOnly[KeepMean].MeanSeries(0), means) || !reflect.DeepEqual(cpuOnly[KeepAll].MeanSeries(0), means) {
			t.Fatalf("sample %d: CPU-only mean series differ", i)
		}
		for k, w := range cpuOnly {
			cur, ok := w.Current()
			wcur, wok := full.Current()
			if w.Len() != len(want) || ok != wok || cur.Peak != [2]float64{wcur.Peak[0], 0} || cur.Mean != [2]float64{wcur.Mean[0], 0} {
				t.Fatalf("sample %d: CPU-only keep %d: Len %d, current %+v; want %d, CPU of %+v", i, k, w.Len(), cur, len(want), wcur)
			}
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the memory series of a CPU-only windower did not panic")
			}
		}()
		cpuOnly[KeepPeak].PeakSeries(1)
	}()
	if ws := full.Windows(); ws[0].N == 0 || !ws[1].Start.Equal(ws[0].Start.Add(time.Hour)) {
		t.Fatalf("first windows %+v %+v: want N > 0 and consecutive starts", ws[0], ws[1])
	}
}

// feed replays a daily-cycle container at 5-minute samples for days days.
func feed(r recommend.Recommender, days int) time.Time {
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	var now time.Time
	for i := 0; i < days*288; i++ {
		now = t0.Add(time.Duration(i) * 5 * time.Minute)
		h := float64(i%288) / 12
		r.AddSample(model.Sample{Time: now,
			CPUMillicores: 500 + 300*math.Sin(2*math.Pi*h/24),
			MemoryBytes:   1 * model.GiB})
	}
	return now
}

func TestRecommenderTracksDailyCycle(t *testing.T) {
	for _, name := range []string{"forecast", "holt-winters", "ar"} {
		t.Run(name, func(t *testing.T) {
			r, err := recommend.New(name, recommend.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := r.Recommend(time.Time{}); ok {
				t.Fatal("recommendation before any sample")
			}
			now := feed(r, 5)
			rec, ok := r.Recommend(now)
			if !ok {
				t.Fatal("no recommendation after 5 days")
			}
			// The last sample is at 23:55: the next hour peaks near 500 m.
			if c := rec.Target.CPUMillicores; c < 480 || c > 700 {
				t.Errorf("cpu target %.0f m, want about 500-650 m", c)
			}
			if m := rec.Target.MemoryBytes / model.GiB; m < 1 || m > 1.3 {
				t.Errorf("memory target %.3f GiB, want in [1, 1.3]", m)
			}
			if !(rec.Lower.CPUMillicores <= rec.Target.CPUMillicores && rec.Target.CPUMillicores <= rec.Upper.CPUMillicores) {
				t.Errorf("cpu bounds out of order: %+v", rec)
			}
			ex := r.Explain(now)
			if ex.Recommender != name || len(ex.Resources) != 2 || len(ex.Notes) == 0 {
				t.Errorf("explain = %+v", ex)
			}
		})
	}
}

func TestRecommenderPolicy(t *testing.T) {
	r, _ := recommend.New("forecast", recommend.Config{Policy: model.ContainerPolicy{
		MaxAllowed:          model.Resources{CPUMillicores: 100},
		ControlledResources: []model.Resource{model.CPU},
	}})
	now := feed(r, 2)
	rec, _ := r.Recommend(now)
	if rec.Target.CPUMillicores != 100 || rec.Target.MemoryBytes != 0 {
		t.Fatalf("policy not applied: %+v", rec.Target)
	}
	if caps := r.Explain(now).Resources[model.CPU].CapsApplied; !reflect.DeepEqual(caps, []string{"maxAllowed"}) {
		t.Fatalf("caps = %v", caps)
	}
}

func BenchmarkRecommenderPerSample(b *testing.B) {
	r, _ := recommend.New("forecast", recommend.Config{})
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now := t0.Add(time.Duration(i) * 5 * time.Minute)
		r.AddSample(model.Sample{Time: now, CPUMillicores: 500 + 300*math.Sin(float64(i)/40), MemoryBytes: model.GiB})
		r.Recommend(now)
	}
}

func TestExplosiveFitIsClamped(t *testing.T) {
	r := New("ar", DefaultOptions(MethodAR), recommend.Config{})
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	// Exponential growth: an AR fit extrapolates it without bound.
	var now time.Time
	for i := 0; i < 12*30; i++ {
		now = t0.Add(time.Duration(i) * 5 * time.Minute)
		v := math.Pow(1.05, float64(i/12))
		r.AddSample(model.Sample{Time: now, CPUMillicores: 100 * v, MemoryBytes: model.GiB * v})
	}
	rec, ok := r.Recommend(now)
	peak := math.Pow(1.05, 29)
	if !ok || rec.Target.MemoryBytes > 2.2*model.GiB*peak*1.1 || rec.Target.CPUMillicores > 2.2*100*peak*1.05 {
		t.Fatalf("target %+v beyond twice the history's peak", rec.Target)
	}
}
