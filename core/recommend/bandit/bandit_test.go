package bandit

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/sim"
)

func workload(id string, days int, rng *rand.Rand) sim.Workload {
	t0 := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	w := sim.Workload{ID: id, InitialRequest: model.Resources{CPUMillicores: 2000, MemoryBytes: 4 * model.GiB}}
	for i := 0; i < days*288; i++ {
		h := float64(i%288) / 12
		w.Samples = append(w.Samples, model.Sample{
			Time:          t0.Add(time.Duration(i) * 5 * time.Minute),
			CPUMillicores: (500 + 300*math.Sin(2*math.Pi*h/24)) * (1 + 0.1*rng.Float64()),
			MemoryBytes:   model.GiB * (1 + 0.05*rng.Float64()),
		})
	}
	return w
}

func TestTrainDeterministicAndBetterThanUntrained(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	train := []sim.Workload{workload("a", 6, rng), workload("b", 6, rng)}
	o := DefaultTrainOptions()
	o.Epochs = 3
	run := func() *Params {
		var rewards []float64
		p, err := Train(train, o, rand.New(rand.NewPCG(7, 7)), func(_, _ int, r float64) { rewards = append(rewards, r) })
		if err != nil {
			t.Fatal(err)
		}
		if len(rewards) != o.Epochs {
			t.Fatalf("progress called %d times", len(rewards))
		}
		return p
	}
	p1, p2 := run(), run()
	if !reflect.DeepEqual(p1, p2) {
		t.Fatal("training twice with one seed differs")
	}
	test := workload("test", 5, rand.New(rand.NewPCG(9, 9)))
	score := func(r recommend.Recommender) float64 {
		res, err := sim.Run(&test, r, sim.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		return res.Reward - 2*res.CPU.OverRequestShare*float64(res.Samples)
	}
	trained := score(New(p1, recommend.Config{}))
	untrained := score(New(DefaultParams(), recommend.Config{}))
	t.Logf("reward trained %.1f, untrained %.1f", trained, untrained)
	if trained <= untrained {
		t.Fatalf("trained agent reward %.1f not above the untrained %.1f", trained, untrained)
	}
}

func TestRecommenderExplain(t *testing.T) {
	r, err := recommend.New(Name, recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	w := workload("x", 1, rand.New(rand.NewPCG(2, 2)))
	for _, s := range w.Samples {
		r.AddSample(s)
	}
	now := w.Samples[len(w.Samples)-1].Time
	rec, ok := r.Recommend(now)
	if !ok || rec.Target.CPUMillicores <= 0 || rec.Target.MemoryBytes < model.GiB {
		t.Fatalf("rec %+v ok %v", rec, ok)
	}
	if ex := r.Explain(now); len(ex.Notes) != 2 || len(ex.Resources) != 2 {
		t.Fatalf("explain %+v", ex)
	}
}
