package smart

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

// testColdStart is a prior with two history lengths (1 h, 3 h), two
// classes (bound 0.5) and, for every profile, factors 2 and 1.5 (steady
// class) or 4 and 3 (bursty) at horizons up to 12 h, and 9 from 12 h on.
func testColdStart() *ColdStart {
	l := math.Log
	cs := &ColdStart{Hours: []float64{1, 3}, Classes: []float64{0.5}}
	for _, hor := range []time.Duration{time.Hour, 12 * time.Hour} {
		pr := ColdPrior{Horizon: hor, Factors: map[string][][]float64{}}
		for _, p := range Profiles {
			pr.Factors[p.Name] = [][]float64{{l(2), l(1.5)}, {l(4), l(3)}}
			if hor == 12*time.Hour {
				pr.Factors[p.Name] = [][]float64{{l(9), l(9)}, {l(9), l(9)}}
			}
		}
		cs.Priors = append(cs.Priors, pr)
	}
	return cs
}

// feed gives r samples of CPU cpu(i) and memory mem, 5 minutes apart, from
// sample from to to.
func feed(r recommend.Recommender, from, to int, cpu func(i int) float64, mem float64) time.Time {
	var now time.Time
	for i := from; i < to; i++ {
		now = t0.Add(time.Duration(i) * 5 * time.Minute)
		r.AddSample(model.Sample{Time: now, CPUMillicores: cpu(i), MemoryBytes: mem})
	}
	return now
}

func TestColdStartPrior(t *testing.T) {
	steady := func(int) float64 { return 200 }
	bursty := func(i int) float64 {
		if i%4 == 0 {
			return 1000
		}
		return 100
	}
	for _, tt := range []struct {
		name   string
		cpu    func(int) float64
		budget time.Duration
		to     int     // samples fed
		peak   float64 // CPU peak so far
		factor float64 // the CPU factor expected (0: the warm-up recommender answers)
	}{
		{"before the first history length", steady, 0, 11, 200, 0},
		{"steady, 1 h", steady, 0, 13, 200, 2},
		{"steady, 3 h", steady, 0, 37, 200, 1.5},
		{"bursty, 1 h", bursty, 0, 13, 1000, 4},
		{"bursty, 3 h", bursty, 0, 37, 1000, 3},
		{"12 h budget", steady, 12 * time.Hour, 13, 200, 9},
		{"6 h budget: the 1 h prior", steady, 6 * time.Hour, 13, 200, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			o.ColdStart = testColdStart()
			r, err := New(o, recommend.Config{UpdateInterval: tt.budget})
			if err != nil {
				t.Fatal(err)
			}
			now := feed(r, 0, tt.to, tt.cpu, model.GiB)
			rec, ok := r.Recommend(now)
			ex := r.Explain(now)
			if tt.factor == 0 {
				if ok && strings.Contains(ex.Notes[0], "cold-start prior") {
					t.Fatalf("the prior answers with %s of history: %q", now.Sub(t0), ex.Notes)
				}
				return
			}
			if !ok {
				t.Fatal("no recommendation")
			}
			if got, want := rec.Target.CPUMillicores, tt.peak*tt.factor; math.Abs(got-want) > 1e-6*want {
				t.Errorf("CPU target %.1fm, want the peak %gm x %g", got, tt.peak, tt.factor)
			}
			// Memory is smart's own: the peak so far plus the margin.
			if got, want := rec.Target.MemoryBytes, model.GiB*(1+Profiles[1].MemoryMargin); math.Abs(got-want) > 1e-6*want {
				t.Errorf("memory target %.3f GiB, want the peak plus the margin", got/model.GiB)
			}
			if rec.Lower.CPUMillicores >= rec.Target.CPUMillicores || rec.Upper.CPUMillicores <= rec.Target.CPUMillicores {
				t.Errorf("bounds [%g, %g] do not hold the target %g", rec.Lower.CPUMillicores, rec.Upper.CPUMillicores, rec.Target.CPUMillicores)
			}
			if !strings.Contains(ex.Notes[0], "CPU from the fleet's cold-start prior for profile balanced") || len(ex.Notes) != 1 {
				t.Errorf("explain notes %q", ex.Notes)
			}
		})
	}
}

func TestColdStartChecked(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edit  func(*ColdStart)
		field string
	}{
		{"hours not increasing", func(c *ColdStart) { c.Hours = []float64{3, 1} }, "coldStart.hours"},
		{"hours past the warm-up", func(c *ColdStart) { c.Hours = []float64{1, 30} }, "coldStart.hours"},
		{"a class short", func(c *ColdStart) { c.Priors[0].Factors["balanced"] = c.Priors[0].Factors["balanced"][:1] }, "coldStart.priors[0].factors.balanced"},
		{"a history length short", func(c *ColdStart) { c.Priors[1].Factors["savings"][1] = []float64{0} }, "coldStart.priors[1].factors.savings[1]"},
		{"a profile missing", func(c *ColdStart) { delete(c.Priors[0].Factors, "reliability") }, "coldStart.priors[0].factors"},
		{"a factor out of range", func(c *ColdStart) { c.Priors[0].Factors["balanced"][0][0] = 9 }, "coldStart.priors[0].factors.balanced[0]"},
		{"horizons not increasing", func(c *ColdStart) { c.Priors[1].Horizon = time.Hour }, "coldStart.priors"},
		{"classes not increasing", func(c *ColdStart) { c.Classes = []float64{0.5, 0.2} }, "coldStart.classes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			o.ColdStart = testColdStart()
			tt.edit(o.ColdStart)
			_, err := loadModel(t, o)
			if err == nil || !strings.Contains(err.Error(), "params."+tt.field) {
				t.Fatalf("loading a model with %s: %v, want an error naming %s", tt.name, err, tt.field)
			}
		})
	}
	o := DefaultOptions()
	o.ColdStart = testColdStart()
	c := modelfile.CheckerFor("test")
	o.Check(c)
	if err := c.Err(); err != nil {
		t.Fatalf("a valid prior is refused: %v", err)
	}
}

// TestColdStartHandsOver: in the last plan period of the warm-up, the
// warm-up recommender answers for CPU again, not the prior: an update applied
// as the warm-up ends holds its answer for the budget.
func TestColdStartHandsOver(t *testing.T) {
	o := DefaultOptions()
	o.ColdStart = testColdStart()
	r, err := New(o, recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	vpa, _ := recommend.New("vpa", recommend.Config{})
	steady := func(i int) float64 { return 200 + float64(i%12) }
	now := feed(r, 0, 22*12, steady, model.GiB)
	rec, _ := r.Recommend(now)
	if got, want := rec.Target.CPUMillicores, 211*1.5; math.Abs(got-want) > 1e-6*want {
		t.Fatalf("at 22 h: CPU %.1fm, want the prior's %.1fm", got, want)
	}
	now = feed(r, 22*12, 23*12+6, steady, model.GiB)
	feed(vpa, 0, 23*12+6, steady, model.GiB)
	rec, _ = r.Recommend(now)
	want, _ := vpa.Recommend(now)
	if rec.Target.CPUMillicores != want.Target.CPUMillicores || rec.Lower.CPUMillicores != want.Lower.CPUMillicores {
		t.Fatalf("at 23.5 h: CPU %.1fm, want vpa's %.1fm", rec.Target.CPUMillicores, want.Target.CPUMillicores)
	}
	if ex := r.Explain(now); !strings.Contains(ex.Notes[0], "using vpa for CPU") {
		t.Fatalf("explain notes %q", ex.Notes)
	}
}
