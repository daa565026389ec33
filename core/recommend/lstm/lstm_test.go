package lstm

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/forecast"
)

func randomExamples(rng *rand.Rand, n, steps int) []Example {
	ex := make([]Example, n)
	for i := range ex {
		xs := make([][]float64, steps)
		for t := range xs {
			xs[t] = []float64{rng.Float64(), rng.Float64(), rng.NormFloat64(), rng.NormFloat64()}
		}
		ex[i] = Example{X: xs, Y: 2 * rng.Float64()}
	}
	return ex
}

func TestGradientCheck(t *testing.T) {
	for _, tt := range []struct {
		name      string
		hidden, T int
		tau       float64
	}{
		{"small", 3, 4, 0.5},
		{"default-sized", 12, 24, 0.9},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 12))
			net := NewNet(Features, tt.hidden, rng)
			ex := randomExamples(rng, 5, tt.T)
			grad := make([]float64, net.NumParams())
			net.Loss(ex, tt.tau, grad)
			const eps = 1e-6
			// The relative error of the whole gradient vector,
			// |num - analytic| / (|num| + |analytic|), and the worst element
			// among those whose gradient is not vanishingly small.
			var worst, diff2, num2, ana2 float64
			for i := range net.P {
				old := net.P[i]
				net.P[i] = old + eps
				lp := net.Loss(ex, tt.tau, nil)
				net.P[i] = old - eps
				lm := net.Loss(ex, tt.tau, nil)
				net.P[i] = old
				num := (lp - lm) / (2 * eps)
				diff2 += (num - grad[i]) * (num - grad[i])
				num2 += num * num
				ana2 += grad[i] * grad[i]
				if den := math.Abs(num) + math.Abs(grad[i]); den > 1e-4 {
					worst = math.Max(worst, math.Abs(num-grad[i])/den)
				}
			}
			rel := math.Sqrt(diff2) / (math.Sqrt(num2) + math.Sqrt(ana2))
			t.Logf("%d parameters: relative error %.2e, worst element %.2e", net.NumParams(), rel, worst)
			if rel >= 1e-5 || worst >= 1e-5 {
				t.Fatalf("gradient check: relative error %.2e, worst element %.2e, want both < 1e-5", rel, worst)
			}
		})
	}
}

func TestPinball(t *testing.T) {
	for _, tt := range []struct{ y, p, tau, loss, d float64 }{
		{2, 1, 0.9, 0.9, -0.9},
		{1, 2, 0.9, 0.1, 0.1},
		{1, 1, 0.5, 0, -0.5},
	} {
		l, d := Pinball(tt.y, tt.p, tt.tau)
		if math.Abs(l-tt.loss) > 1e-12 || math.Abs(d-tt.d) > 1e-12 {
			t.Errorf("Pinball(%v, %v, %v) = %v, %v; want %v, %v", tt.y, tt.p, tt.tau, l, d, tt.loss, tt.d)
		}
	}
}

func dailySeries(rng *rand.Rand, days int, base float64) []forecast.Window {
	w := forecast.Windower{Width: time.Hour, MaxGapFill: 24}
	t0 := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
	for i := 0; i <= days*288; i++ {
		h := float64(i%288) / 12
		v := base * (1 + 0.6*math.Sin(2*math.Pi*h/24)) * (1 + 0.1*rng.Float64())
		w.Add(model.Sample{Time: t0.Add(time.Duration(i) * 5 * time.Minute), CPUMillicores: v, MemoryBytes: v * model.MiB})
	}
	return w.Windows()
}

func TestTrainLearnsQuantileAndIsDeterministic(t *testing.T) {
	o := DefaultTrainOptions()
	o.Epochs, o.Hidden, o.MaxExamples = 4, 6, 600
	train := func() *Params {
		rng := rand.New(rand.NewPCG(5, 5))
		series := [][]forecast.Window{dailySeries(rng, 8, 100), dailySeries(rng, 8, 1000)}
		var losses []float64
		p, err := Train(series, o, rng, func(_ string, _, _ int, l float64) { losses = append(losses, l) })
		if err != nil {
			t.Fatal(err)
		}
		if len(losses) != 2*o.Epochs || losses[o.Epochs-1] >= losses[0] {
			t.Fatalf("cpu loss did not fall: %v", losses)
		}
		return p
	}
	a, b := train(), train()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two trainings with one seed differ")
	}
	// The trained net, on a held-out series, covers most next-hour peaks.
	rng := rand.New(rand.NewPCG(99, 1))
	ws := dailySeries(rng, 4, 300)
	ex := Examples([][]forecast.Window{ws}, 0, a.Seq)
	net := &Net{D: Features, H: a.Hidden, P: a.CPU.Weights}
	covered := 0
	for _, e := range ex {
		if net.Forward(e.X, nil) >= e.Y {
			covered++
		}
	}
	if share := float64(covered) / float64(len(ex)); share < 0.6 {
		t.Fatalf("p90 prediction covers %.2f of next peaks, want >= 0.6", share)
	}
}

func TestRecommenderWithAndWithoutModel(t *testing.T) {
	o := DefaultTrainOptions()
	o.Epochs, o.Hidden, o.MaxExamples = 2, 4, 300
	rng := rand.New(rand.NewPCG(1, 2))
	p, err := Train([][]forecast.Window{dailySeries(rng, 5, 200)}, o, rng, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		p    *Params
	}{{"trained", p}, {"fallback", nil}} {
		t.Run(tt.name, func(t *testing.T) {
			r := New(tt.p, recommend.Config{})
			t0 := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
			var now time.Time
			for i := 0; i < 2*288; i++ {
				now = t0.Add(time.Duration(i) * 5 * time.Minute)
				r.AddSample(model.Sample{Time: now, CPUMillicores: 200, MemoryBytes: model.GiB})
			}
			rec, ok := r.Recommend(now)
			if !ok || rec.Target.CPUMillicores < 200 || rec.Target.MemoryBytes < model.GiB {
				t.Fatalf("rec %+v ok %v", rec.Target, ok)
			}
			if ex := r.Explain(now); len(ex.Resources) != 2 {
				t.Fatalf("explain %+v", ex)
			}
		})
	}
}

func BenchmarkTrainEpoch(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	ex := randomExamples(rng, 1000, 24)
	net := NewNet(Features, 12, rng)
	grad := make([]float64, net.NumParams())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		net.Loss(ex, 0.9, grad)
	}
}
