package sim

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func cmpResult(w, rec, dataset string, degenerate bool, cpu, mem float64, ooms, restarts, updates int) Result {
	r := Result{Workload: w, Recommender: rec, Dataset: dataset, Degenerate: degenerate}
	r.CPU.AbsoluteSlackCoreHours, r.Memory.AbsoluteSlackGiBHours = cpu, mem
	r.Memory.OOMs, r.Restarts, r.Updates = ooms, restarts, updates
	r.Hours, r.Samples = 24, 24
	return r
}

func TestCompareByHand(t *testing.T) {
	results := []Result{
		cmpResult("a", "vpa", "x", false, 10, 4, 0, 1, 1),
		cmpResult("a", "new", "x", false, 5, 4, 1, 1, 3),
		cmpResult("b", "vpa", "x", false, 20, 8, 3, 0, 1),
		cmpResult("b", "new", "x", false, 5, 2, 0, 0, 1),
		cmpResult("c", "vpa", "y", true, 1, 0, 5, 0, 0),
		cmpResult("c", "new", "y", true, 1, 0, 1, 0, 0),
	}
	cs := Compare([]string{"vpa", "new"}, "vpa", results, 1)
	var names []string
	for _, c := range cs {
		names = append(names, c.Dataset)
	}
	if want := []string{DatasetAll, "x", DatasetDegenerate}; !reflect.DeepEqual(names, want) {
		t.Fatalf("datasets %v, want %v (y has only a degenerate workload)", names, want)
	}
	x := cs[1]
	e := slackEpsilon
	r1, r2 := (5+e)/(10+e), (5+e)/(20+e)
	if g := math.Sqrt(r1 * r2); !near(x.CPUSlack.Geomean, g) || !near(x.CPUSlack.Median, (r1+r2)/2) || !near(x.CPUSlack.Total, 10.0/30) {
		t.Errorf("cpu slack %+v: want geomean %v, median %v, total %v", x.CPUSlack, g, (r1+r2)/2, 10.0/30)
	}
	// OOM kills: per workload (1+1)/(0+1) = 2 and (0+1)/(3+1) = 0.25; total 1/3.
	if !near(x.OOMs.Geomean, math.Sqrt(2*0.25)) || !near(x.OOMs.Total, 1.0/3) || x.OOMs.Value != 1 || x.OOMs.Baseline != 3 {
		t.Errorf("ooms %+v", x.OOMs)
	}
	if !near(x.UpdatesPerContainerDay, 2) || !near(x.BaselineUpdatesPerContainerDay, 1) {
		t.Errorf("updates per container-day %v vs %v, want 2 vs 1", x.UpdatesPerContainerDay, x.BaselineUpdatesPerContainerDay)
	}
	for _, c := range cs {
		for _, s := range []Stat{c.CPUSlack, c.MemorySlack, c.OOMs, c.Restarts, c.Updates} {
			if s.CI95[0] > s.Geomean+1e-12 || s.CI95[1] < s.Geomean-1e-12 {
				t.Errorf("%s: interval %v does not hold the geometric mean %v", c.Dataset, s.CI95, s.Geomean)
			}
		}
	}
	if all := cs[0]; all.Workloads != 3 || cs[2].Workloads != 1 {
		t.Errorf("workloads: all %d, degenerate %d; want 3 and 1", all.Workloads, cs[2].Workloads)
	}
	// The same seed gives the same intervals, another seed others.
	if again := Compare([]string{"vpa", "new"}, "vpa", results, 1); !reflect.DeepEqual(again, cs) {
		t.Errorf("same seed, different comparison")
	}
	if v := Verdict(cs[0]); !strings.HasPrefix(v, "new vs vpa (all, 3 workloads): ") {
		t.Errorf("verdict %q", v)
	}
}

func TestVerdictWords(t *testing.T) {
	c := Comparison{Recommender: "r", Baseline: "b", Dataset: DatasetAll, Workloads: 9,
		CPUSlack:    Stat{Geomean: 0.7, CI95: [2]float64{0.6, 0.8}},
		MemorySlack: Stat{Geomean: 1.2, CI95: [2]float64{1.1, 1.3}},
		OOMs:        Stat{Value: 2, Baseline: 1}, Restarts: Stat{Value: 1, Baseline: 1},
	}
	v := Verdict(c)
	if !strings.Contains(v, "less CPU slack, more memory slack, with more OOM kills;") {
		t.Errorf("verdict %q", v)
	}
	c.MemorySlack.CI95 = [2]float64{0.9, 1.3}
	c.OOMs.Value = 1
	if v := Verdict(c); !strings.Contains(v, "less CPU slack, no clear difference in memory slack, at no more risk;") {
		t.Errorf("verdict %q", v)
	}
}
