package train

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend/smart"
	"github.com/smartvpa/smartvpa/core/sim"
)

// ColdStartHours are the history lengths (hours) smart's cold-start prior
// has factors for.
var ColdStartHours = []float64{1, 3, 6, 12, 18, 23}

// coldStartEvery is how far apart the pseudo-starts of a training series
// are: every 6 h, so that the first days begin at four times of the day.
const coldStartEvery = 6 * time.Hour

// ColdStartHorizons are the horizons the cold-start prior is fit for: the
// update budgets the memory sweep scores (MemoryBudgets).
var ColdStartHorizons = MemoryBudgets

// coldClasses is the number of burstiness classes (terciles of the
// training series' coefficient of variation).
const coldClasses = 3

// coldMinWeight is the least weight (in workloads) a class needs for its own
// factor; a thinner class takes the factor of all classes pooled.
const coldMinWeight = 5

// coldRecord is one pseudo-start of one series at one history length: the
// CPU history so far (its coefficient of variation, peak and mean) and, per
// horizon of ColdStartHorizons, the samples after it up to the horizon
// (a request set just before smart leaves its warm-up serves that long too)
// as log ratios to the peak so far, weighed so that every workload counts
// once.
type coldRecord struct {
	hour   int
	cv     float64
	peak   float64
	mean   float64
	rest   []ratios
	weight float64
}

// ratios are sorted log ratios r and the prefix sums of e^r (sum[i] is the
// sum of the first i).
type ratios struct {
	r   []float64
	sum []float64
}

func newRatios(r []float64) ratios {
	slices.Sort(r)
	sum := make([]float64, len(r)+1)
	for i, x := range r {
		sum[i+1] = sum[i] + math.Exp(x)
	}
	return ratios{r, sum}
}

// at returns, for a request of e^k (in units of the peak so far), the mean
// slack below it and the share of the samples above it.
func (q ratios) at(k float64) (slack, above float64) {
	n := len(q.r)
	i, _ := slices.BinarySearch(q.r, math.Nextafter(k, math.Inf(1))) // r[:i] <= k
	return (float64(i)*math.Exp(k) - q.sum[i]) / float64(n), float64(n-i) / float64(n)
}

// coldStart learns smart's cold-start prior from ws for the options opt
// (its CPU weights and their scaling by size): every 6 h of every series is
// the start of a pseudo first day; for each history length of
// ColdStartHours, the CPU usage before it and after it. Per horizon,
// profile, class and history length, the factor is the one of least cost
// over the records, the cost smart plans CPU by: the mean slack in units of
// the mean usage so far plus the profile's weight (scaled by size as smart
// scales it) times the share above. It returns nil when no series of ws is
// as long as the longest history length and horizon together.
func coldStart(ws []sim.Workload, opt smart.Options) *smart.ColdStart {
	var recs []coldRecord
	for _, w := range ws {
		recs = append(recs, coldRecords(w)...)
	}
	if len(recs) == 0 {
		return nil
	}
	cs := &smart.ColdStart{Hours: slices.Clone(ColdStartHours), Classes: classBounds(recs)}
	for hi, hor := range ColdStartHorizons {
		pr := smart.ColdPrior{Horizon: hor, Factors: map[string][][]float64{}}
		for _, prof := range smart.Profiles {
			w := opt.OverrunWeights[prof.Name]
			pr.Factors[prof.Name] = coldFactors(recs, cs.Classes, func(r *coldRecord, k float64) float64 {
				slack, above := r.rest[hi].at(k)
				size := 1000 / math.Max(r.mean, math.Max(opt.CPUWeightSizeFloor, 1))
				return slack*r.peak/math.Max(r.mean, 1) + w*math.Pow(size, opt.CPUWeightSizeExponent)*above
			}, -1)
		}
		cs.Priors = append(cs.Priors, pr)
	}
	return cs
}

// coldRecords returns the records of one series.
func coldRecords(w sim.Workload) []coldRecord {
	s := w.Samples
	if len(s) < 2 {
		return nil
	}
	var out []coldRecord
	starts := 0
	span := time.Duration(ColdStartHours[len(ColdStartHours)-1]*float64(time.Hour)) + ColdStartHorizons[len(ColdStartHorizons)-1]
	for start := s[0].Time; !start.Add(span).After(s[len(s)-1].Time); start = start.Add(coldStartEvery) {
		starts++
		i0, _ := slices.BinarySearchFunc(s, start, func(x model.Sample, t time.Time) int { return x.Time.Compare(t) })
		for h, hours := range ColdStartHours {
			cut, _ := slices.BinarySearchFunc(s, start.Add(time.Duration(hours*float64(time.Hour))), func(x model.Sample, t time.Time) int { return x.Time.Compare(t) })
			if cut-i0 < 2 || cut >= len(s) {
				continue
			}
			var xs []float64
			peak := 0.0
			for _, x := range s[i0:cut] {
				xs = append(xs, x.CPUMillicores)
				peak = math.Max(peak, x.CPUMillicores)
			}
			if peak <= 0 {
				continue
			}
			r := coldRecord{hour: h, cv: smart.CoefficientOfVariation(xs), peak: peak, mean: mean(xs)}
			from := s[cut].Time
			for _, hor := range ColdStartHorizons {
				until := cut + sort.Search(len(s)-cut, func(i int) bool { return !s[cut+i].Time.Before(from.Add(hor)) })
				until = max(until, cut+1)
				var rs []float64
				for _, x := range s[cut:until] {
					rs = append(rs, math.Log(math.Max(x.CPUMillicores, 1e-3)/peak))
				}
				r.rest = append(r.rest, newRatios(rs))
			}
			out = append(out, r)
		}
	}
	for i := range out {
		out[i].weight = 1 / float64(starts)
	}
	return out
}

// classBounds returns the terciles of the records' coefficients of
// variation, weighed, without repeats.
func classBounds(recs []coldRecord) []float64 {
	type wv struct{ v, w float64 }
	xs := make([]wv, len(recs))
	total := 0.0
	for i, r := range recs {
		xs[i] = wv{r.cv, r.weight}
		total += r.weight
	}
	slices.SortStableFunc(xs, func(a, b wv) int { return cmp.Compare(a.v, b.v) })
	var bounds []float64
	acc, k := 0.0, 1
	for _, x := range xs {
		acc += x.w
		for k < coldClasses && acc >= total*float64(k)/coldClasses {
			if len(bounds) == 0 || x.v > bounds[len(bounds)-1] {
				bounds = append(bounds, x.v)
			}
			k++
		}
	}
	return bounds
}

// coldFactors returns, per class of bounds and per history length, the
// log factor from lo to 5 (to 0.005) of least weighed cost over that
// cell's records (over the history length's records of every class when
// the class is thinner than coldMinWeight; 0, the peak so far, when there is
// no record at all).
func coldFactors(recs []coldRecord, bounds []float64, cost func(*coldRecord, float64) float64, lo float64) [][]float64 {
	fit := func(cell []*coldRecord) float64 {
		if len(cell) == 0 {
			return 0
		}
		total := func(k float64) float64 {
			c := 0.0
			for _, r := range cell {
				c += r.weight * cost(r, k)
			}
			return c
		}
		// A grid of 0.05, then 0.005 around its best.
		best, bestCost := lo, math.Inf(1)
		try := func(k float64) {
			if c := total(k); c < bestCost {
				best, bestCost = k, c
			}
		}
		for i := 0; lo+0.05*float64(i) <= 5; i++ {
			try(lo + 0.05*float64(i))
		}
		from := best - 0.05
		for i := 0; i <= 20; i++ {
			if k := from + 0.005*float64(i); k >= lo && k <= 5 {
				try(k)
			}
		}
		return best
	}
	out := make([][]float64, len(bounds)+1)
	for h := range ColdStartHours {
		var all []*coldRecord
		cells := make([][]*coldRecord, len(bounds)+1)
		for i := range recs {
			r := &recs[i]
			if r.hour != h {
				continue
			}
			all = append(all, r)
			k := 0
			for k < len(bounds) && r.cv >= bounds[k] {
				k++
			}
			cells[k] = append(cells[k], r)
		}
		pooled := fit(all)
		for k, cell := range cells {
			f := pooled
			if weightOf(cell) >= coldMinWeight {
				f = fit(cell)
			}
			out[k] = append(out[k], round6(f))
		}
	}
	return out
}

func weightOf(cell []*coldRecord) float64 {
	w := 0.0
	for _, r := range cell {
		w += r.weight
	}
	return w
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// round6 rounds to 6 decimals, so that the model file reads plainly.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
