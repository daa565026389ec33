package recommend

import (
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

type constRec struct{ v float64 }

func (c constRec) Name() string           { return "test-const" }
func (c constRec) AddSample(model.Sample) {}
func (c constRec) AddOOM(model.OOMEvent)  {}
func (c constRec) Explain(time.Time) Explanation {
	return Explanation{Recommender: c.Name()}
}
func (c constRec) Recommend(time.Time) (model.Recommendation, bool) {
	r := model.Resources{CPUMillicores: c.v}
	return model.Recommendation{Lower: r, Target: r, Upper: r, UncappedTarget: r}, true
}

func TestRegistry(t *testing.T) {
	Register("test-const", func(cfg Config) (Recommender, error) { return constRec{v: float64(cfg.Seed)}, nil })
	r, err := New("test-const", Config{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	rec, ok := r.Recommend(time.Unix(0, 0))
	if !ok || rec.Target.CPUMillicores != 7 {
		t.Fatalf("got %+v %v", rec, ok)
	}
	_, err = New("nope", Config{})
	if err == nil || !strings.HasPrefix(err.Error(), `unknown recommender "nope": choose one of `) {
		t.Fatalf("unexpected error %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate Register did not panic")
		}
	}()
	Register("test-const", nil)
}
