package recommend

import (
	"math"
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

// badRec returns a fixed recommendation, whatever it holds.
type badRec struct{ rec model.Recommendation }

func (b badRec) Name() string           { return "test-bad" }
func (b badRec) AddSample(model.Sample) {}
func (b badRec) AddOOM(model.OOMEvent)  {}
func (b badRec) Explain(time.Time) Explanation {
	return Explanation{Recommender: b.Name()}
}
func (b badRec) Recommend(time.Time) (model.Recommendation, bool) { return b.rec, true }

// TestNewWithholdsInvalidRecommendations: whatever a recommender computes, a
// negative, NaN or infinite value never leaves recommend.New's recommender.
func TestNewWithholdsInvalidRecommendations(t *testing.T) {
	var cur model.Recommendation
	Register("test-bad", func(cfg Config) (Recommender, error) { return badRec{rec: cur}, nil })
	good := model.Resources{CPUMillicores: 100, MemoryBytes: model.MiB}
	valid := model.Recommendation{Lower: good, Target: good, Upper: good, UncappedTarget: good}
	tests := []struct {
		name    string
		edit    func(*model.Recommendation)
		cpuOnly bool
		note    string // "" when the recommendation passes
	}{
		{"valid", func(*model.Recommendation) {}, false, ""},
		{"zero", func(r *model.Recommendation) { *r = model.Recommendation{} }, false, ""},
		{"negative cpu target", func(r *model.Recommendation) { r.Target.CPUMillicores = -6312 }, false, "no recommendation: test-bad computed target cpu -6312m, which is not a request (check its model file)"},
		{"infinite cpu target", func(r *model.Recommendation) { r.Target.CPUMillicores = math.Inf(1) }, false, "no recommendation: test-bad computed target cpu +Infm, which is not a request (check its model file)"},
		{"NaN memory upper", func(r *model.Recommendation) { r.Upper.MemoryBytes = math.NaN() }, false, "no recommendation: test-bad computed upper bound memory NaN bytes, which is not a request (check its model file)"},
		{"negative lower", func(r *model.Recommendation) { r.Lower.MemoryBytes = -1 }, false, "no recommendation: test-bad computed lower bound memory -1 bytes, which is not a request (check its model file)"},
		{"negative uncapped", func(r *model.Recommendation) { r.UncappedTarget.CPUMillicores = -1 }, false, "no recommendation: test-bad computed uncapped target cpu -1m, which is not a request (check its model file)"},
		{"cpu only ignores memory", func(r *model.Recommendation) { r.Target.MemoryBytes = -1 }, true, ""},
		{"cpu only checks cpu", func(r *model.Recommendation) { r.Target.CPUMillicores = math.NaN() }, true, "no recommendation: test-bad computed target cpu NaNm, which is not a request (check its model file)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur = valid
			tt.edit(&cur)
			r, err := New("test-bad", Config{CPUOnly: tt.cpuOnly})
			if err != nil {
				t.Fatal(err)
			}
			rec, ok := r.Recommend(time.Unix(0, 0))
			notes := r.Explain(time.Unix(0, 0)).Notes
			if tt.note == "" {
				if !ok || rec != cur || len(notes) != 0 {
					t.Fatalf("got %+v %v %q, want the recommendation as it is", rec, ok, notes)
				}
				return
			}
			if ok || !rec.IsZero() {
				t.Fatalf("got %+v %v, want it withheld", rec, ok)
			}
			if len(notes) != 1 || notes[0] != tt.note {
				t.Fatalf("notes %q, want %q", notes, tt.note)
			}
			if _, isBad := Unwrap(r).(badRec); !isBad {
				t.Fatalf("Unwrap gave %T", Unwrap(r))
			}
		})
	}
}

// replicaRec records the slots it was fed.
type replicaRec struct {
	Recommender
	slots []int
}

func (r *replicaRec) AddReplicaSample(slot int, _ bool, _ model.Sample) {
	r.slots = append(r.slots, slot)
}
func (r *replicaRec) AddReplicaOOM(slot int, _ bool, _ model.OOMEvent) {
	r.slots = append(r.slots, -1-slot)
}

// The pod slot reaches a recommender behind its Guard (New returns every
// recommender guarded).
func TestAddReplicaThroughGuard(t *testing.T) {
	inner := &replicaRec{}
	g := Guard(inner, false)
	AddReplicaSample(g, 3, true, model.Sample{})
	AddReplicaOOM(g, 2, false, model.OOMEvent{})
	if len(inner.slots) != 2 || inner.slots[0] != 3 || inner.slots[1] != -3 {
		t.Fatalf("slots fed %v, want [3 -3]", inner.slots)
	}
}
