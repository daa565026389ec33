package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// DatasetAll is the dataset of a comparison over every workload of a run;
// DatasetDegenerate the one over the degenerate workloads only (see
// Workload.Degenerate), which the per-dataset comparisons leave out.
const (
	DatasetAll        = "all"
	DatasetDegenerate = "degenerate"
)

// BootstrapResamples is the number of bootstrap resamples of a confidence
// interval.
const BootstrapResamples = 2000

// Slack ratios add this much (core-hours or GiB-hours) to both sides, so a
// workload with no slack under both recommenders has ratio 1 and never a
// division by zero; counts add 1.
const slackEpsilon = 1e-3

// Stat compares one figure of a recommender with the baseline's over
// workloads. Total is the ratio of the totals (recommender's sum over the
// baseline's; with a zero baseline total, (sum+1)/(baseline+1)); Geomean and
// Median are the geometric mean and median of the per-workload ratios, CI95
// a 95 % percentile-bootstrap confidence interval of Geomean over workloads.
// Per-workload ratios are (x+e)/(b+e) with e = 0.001 core-hours or GiB-hours
// for slack and e = 1 for counts (OOM kills, restarts, updates).
type Stat struct {
	Total    float64    `json:"total"`
	Geomean  float64    `json:"geomean"`
	Median   float64    `json:"median"`
	CI95     [2]float64 `json:"ci95"`
	Value    float64    `json:"value"`
	Baseline float64    `json:"baseline"`
}

// Comparison compares a recommender with the baseline on one dataset.
type Comparison struct {
	Recommender string `json:"recommender"`
	Baseline    string `json:"baseline"`
	Dataset     string `json:"dataset"`
	Workloads   int    `json:"workloads"`
	CPUSlack    Stat   `json:"cpuSlack"`
	MemorySlack Stat   `json:"memorySlack"`
	OOMs        Stat   `json:"ooms"`
	Restarts    Stat   `json:"restarts"`
	Updates     Stat   `json:"updates"`
	// CPUOverRequestShare and the baseline's are means over workloads.
	CPUOverRequestShare         float64 `json:"cpuOverRequestShare"`
	BaselineCPUOverRequestShare float64 `json:"baselineCpuOverRequestShare"`
	// UpdatesPerContainerDay and the baseline's are over the dataset.
	UpdatesPerContainerDay         float64 `json:"updatesPerContainerDay"`
	BaselineUpdatesPerContainerDay float64 `json:"baselineUpdatesPerContainerDay"`
}

// Datasets returns the datasets of results in the order they first appear
// (a workload with no dataset is "unknown"), without "all" or "degenerate".
func Datasets(results []Result) []string {
	var out []string
	for _, r := range results {
		d := datasetOf(r)
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

func datasetOf(r Result) string {
	if r.Dataset == "" {
		return "unknown"
	}
	return r.Dataset
}

// Compare compares every recommender but baseline with baseline, per
// dataset: first over every workload (DatasetAll), then per dataset over its
// non-degenerate workloads, then over the degenerate ones
// (DatasetDegenerate) when there are any. Workloads the baseline did not run
// are left out, and so are results that measured nothing. seed seeds the bootstrap: the same seed gives the same
// intervals.
func Compare(recommenders []string, baseline string, results []Result, seed int64) []Comparison {
	base := map[string]*Result{}
	for i := range results {
		if results[i].Recommender == baseline {
			base[results[i].Workload] = &results[i]
		}
	}
	type group struct {
		name string
		keep func(Result) bool
	}
	groups := []group{{DatasetAll, func(Result) bool { return true }}}
	for _, d := range Datasets(results) {
		groups = append(groups, group{d, func(r Result) bool { return datasetOf(r) == d && !r.Degenerate }})
	}
	if slices.ContainsFunc(results, func(r Result) bool { return r.Degenerate }) {
		groups = append(groups, group{DatasetDegenerate, func(r Result) bool { return r.Degenerate }})
	}
	var out []Comparison
	for _, g := range groups {
		for _, name := range recommenders {
			if name == baseline {
				continue
			}
			var pairs [][2]*Result
			for i := range results {
				r := &results[i]
				if r.Recommender != name || r.Samples == 0 || !g.keep(*r) {
					continue
				}
				if b, ok := base[r.Workload]; ok {
					pairs = append(pairs, [2]*Result{r, b})
				}
			}
			if len(pairs) == 0 {
				continue
			}
			out = append(out, compareGroup(name, baseline, g.name, pairs, seed))
		}
	}
	return out
}

func compareGroup(name, baseline, dataset string, pairs [][2]*Result, seed int64) Comparison {
	c := Comparison{Recommender: name, Baseline: baseline, Dataset: dataset, Workloads: len(pairs)}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", name, baseline, dataset)
	rng := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
	fig := func(get func(*Result) float64, eps float64) Stat {
		xs, bs := make([]float64, len(pairs)), make([]float64, len(pairs))
		for i, p := range pairs {
			xs[i], bs[i] = get(p[0]), get(p[1])
		}
		return stat(xs, bs, eps, rng)
	}
	c.CPUSlack = fig(func(r *Result) float64 { return r.CPU.AbsoluteSlackCoreHours }, slackEpsilon)
	c.MemorySlack = fig(func(r *Result) float64 { return r.Memory.AbsoluteSlackGiBHours }, slackEpsilon)
	c.OOMs = fig(func(r *Result) float64 { return float64(r.Memory.OOMs) }, 1)
	c.Restarts = fig(func(r *Result) float64 { return float64(r.Restarts) }, 1)
	c.Updates = fig(func(r *Result) float64 { return float64(r.Updates) }, 1)
	var hours, bhours float64
	for _, p := range pairs {
		c.CPUOverRequestShare += p[0].CPU.OverRequestShare
		c.BaselineCPUOverRequestShare += p[1].CPU.OverRequestShare
		hours += p[0].Hours
		bhours += p[1].Hours
	}
	n := float64(len(pairs))
	c.CPUOverRequestShare /= n
	c.BaselineCPUOverRequestShare /= n
	if hours > 0 {
		c.UpdatesPerContainerDay = c.Updates.Value / (hours / 24)
	}
	if bhours > 0 {
		c.BaselineUpdatesPerContainerDay = c.Updates.Baseline / (bhours / 24)
	}
	return c
}

// stat compares xs with the baseline's bs (same workloads, same order).
func stat(xs, bs []float64, eps float64, rng *rand.Rand) Stat {
	var s Stat
	logs := make([]float64, len(xs))
	ratios := make([]float64, len(xs))
	for i := range xs {
		s.Value += xs[i]
		s.Baseline += bs[i]
		ratios[i] = (xs[i] + eps) / (bs[i] + eps)
		logs[i] = math.Log(ratios[i])
	}
	switch {
	case s.Baseline > 0:
		s.Total = s.Value / s.Baseline
	default:
		s.Total = (s.Value + 1) / (s.Baseline + 1)
	}
	s.Geomean = math.Exp(mean(logs))
	slices.Sort(ratios)
	s.Median = quantileSorted(ratios, 0.5)
	boot := make([]float64, BootstrapResamples)
	n := len(logs)
	for k := range boot {
		sum := 0.0
		for range n {
			sum += logs[rng.IntN(n)]
		}
		boot[k] = math.Exp(sum / float64(n))
	}
	slices.Sort(boot)
	s.CI95 = [2]float64{quantileSorted(boot, 0.025), quantileSorted(boot, 0.975)}
	return s
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// quantileSorted is the q-quantile of sorted xs by linear interpolation.
func quantileSorted(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(xs)-1)
	return xs[lo] + (pos-float64(lo))*(xs[hi]-xs[lo])
}

// Verdict says in one line how c's recommender did against the baseline:
// slack lower or higher where the 95 % interval of the per-workload
// geometric mean excludes 1, and the risk (OOM kills, restarts, CPU
// over-request share) by totals.
func Verdict(c Comparison) string {
	slack := func(name string, s Stat) string {
		switch {
		case s.CI95[1] < 1:
			return "less " + name + " slack"
		case s.CI95[0] > 1:
			return "more " + name + " slack"
		}
		return "no clear difference in " + name + " slack"
	}
	var risk []string
	if c.OOMs.Value > c.OOMs.Baseline {
		risk = append(risk, "more OOM kills")
	}
	if c.Restarts.Value > c.Restarts.Baseline {
		risk = append(risk, "more restarts")
	}
	if c.CPUOverRequestShare > c.BaselineCPUOverRequestShare {
		risk = append(risk, "more CPU over-request")
	}
	tail := "at no more risk"
	if len(risk) > 0 {
		tail = "with " + strings.Join(risk, ", ")
	}
	return fmt.Sprintf("%s vs %s (%s, %d workloads): %s, %s, %s; CPU slack %.2fx [%.2f, %.2f], memory slack %.2fx [%.2f, %.2f] (per-workload geometric means, 95 %% CI), OOM kills %.0f vs %.0f, restarts %.0f vs %.0f, CPU over-request %.2f %% vs %.2f %%, updates per container-day %.2f vs %.2f",
		c.Recommender, c.Baseline, c.Dataset, c.Workloads, slack("CPU", c.CPUSlack), slack("memory", c.MemorySlack), tail,
		c.CPUSlack.Geomean, c.CPUSlack.CI95[0], c.CPUSlack.CI95[1], c.MemorySlack.Geomean, c.MemorySlack.CI95[0], c.MemorySlack.CI95[1],
		c.OOMs.Value, c.OOMs.Baseline, c.Restarts.Value, c.Restarts.Baseline,
		100*c.CPUOverRequestShare, 100*c.BaselineCPUOverRequestShare, c.UpdatesPerContainerDay, c.BaselineUpdatesPerContainerDay)
}
