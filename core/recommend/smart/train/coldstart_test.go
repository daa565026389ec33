package train

import (
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
	"github.com/smartvpa/smartvpa/core/recommend/smart"
)

// TestColdFactorsFit: the factor is the one of least cost: a rest of the
// horizon at twice the peak so far is covered when time above costs more
// than the slack (factor 2), and not at all when it costs nothing (the
// lowest factor); a class thinner than coldMinWeight takes the pooled
// factor.
func TestColdFactorsFit(t *testing.T) {
	rec := func(cv float64, rest []float64) coldRecord {
		return coldRecord{cv: cv, peak: 100, mean: 100, weight: 10, rest: []ratios{newRatios(rest)}}
	}
	two := math.Log(2)
	recs := []coldRecord{rec(0.1, []float64{two, two, two}), rec(0.1, []float64{two, 0})}
	cost := func(w float64) func(*coldRecord, float64) float64 {
		return func(r *coldRecord, k float64) float64 {
			slack, above := r.rest[0].at(k)
			return slack*r.peak/r.mean + w*above
		}
	}
	if got := coldFactors(recs, nil, cost(100), -1)[0][0]; math.Abs(got-two) > 0.006 {
		t.Errorf("at a high weight: factor e^%.3f, want 2 (e^%.3f)", got, two)
	}
	if got := coldFactors(recs, nil, cost(0), -1)[0][0]; got != -1 {
		t.Errorf("at weight 0: factor e^%.3f, want the lowest, e^-1", got)
	}
	thin := append(slices.Clone(recs), rec(0.9, []float64{0}))
	thin[2].weight = 1
	got := coldFactors(thin, []float64{0.5}, cost(1), -1)
	pooled := coldFactors(thin, nil, cost(1), -1)[0][0]
	own := coldFactors(thin[2:], nil, cost(1), -1)[0][0]
	if len(got) != 2 || got[1][0] != pooled || pooled == own {
		t.Errorf("a thin class: factors %v, want the pooled %.3f (its own would be %.3f)", got, pooled, own)
	}
}

// TestColdStartPriorTrained: the prior learned from the training workloads
// has a factor per horizon, profile, class and history length, a safer
// profile never has a lower one, and training it twice gives the same.
func TestColdStartPriorTrained(t *testing.T) {
	ws := workloads(4, 3)
	opt := smart.DefaultOptions()
	cs := coldStart(ws, opt)
	if cs == nil || len(cs.Priors) != len(ColdStartHorizons) || !reflect.DeepEqual(cs.Hours, ColdStartHours) {
		t.Fatalf("prior %+v", cs)
	}
	for _, pr := range cs.Priors {
		rel, sav := pr.Factors["reliability"], pr.Factors["savings"]
		if len(rel) != len(cs.Classes)+1 || len(sav) != len(rel) {
			t.Fatalf("at %s: %d classes for %d bounds", pr.Horizon, len(rel), len(cs.Classes))
		}
		for k := range rel {
			for h := range rel[k] {
				if rel[k][h] < sav[k][h]-0.05 {
					t.Errorf("at %s, class %d, %g h: reliability's factor e^%.3f below savings' e^%.3f", pr.Horizon, k, ColdStartHours[h], rel[k][h], sav[k][h])
				}
			}
		}
	}
	if again := coldStart(ws, opt); !reflect.DeepEqual(cs, again) {
		t.Error("training the prior twice gives two priors")
	}
	c := modelfileChecker()
	o := smart.DefaultOptions()
	o.ColdStart = cs
	o.Check(c)
	if err := c.Err(); err != nil {
		t.Fatalf("the trained prior does not pass the model file's checks: %v", err)
	}
	if coldStart(workloads(2, 1)[:1], opt) != nil {
		t.Error("no series long enough: a prior")
	}
	if got := coldFactors(nil, []float64{0.5}, func(*coldRecord, float64) float64 { return 0 }, -1); got[0][0] != 0 || got[1][0] != 0 {
		t.Errorf("no record: factors %v, want 0 (the peak so far)", got)
	}
}

func modelfileChecker() *modelfile.Checker { return modelfile.CheckerFor("test") }
