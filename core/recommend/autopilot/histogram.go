package autopilot

import (
	"math"
	"sort"
	"sync"
)

// grid is an exponential grid of bucket edges: edge(j) = first * ratio^j.
type grid struct {
	first, ratio float64
	n            int
	logRatio     float64
	edges        []float64 // edges[j] = edge(j), j in [0, n]
}

func newGrid(first, max, ratio float64) grid {
	k := [3]float64{first, max, ratio}
	if g, ok := grids.Load(k); ok {
		return g.(grid)
	}
	n := int(math.Ceil(math.Log(max/first)/math.Log(ratio))) + 1
	g := grid{first: first, ratio: ratio, n: n, logRatio: math.Log(ratio)}
	g.edges = make([]float64, n+1)
	for j := 1; j <= n; j++ {
		g.edges[j] = first * math.Pow(ratio, float64(j-1))
	}
	grids.Store(k, g)
	return g
}

// grids holds the grids made so far: their edges are only read, so the
// recommenders of every container (serve, recommend -A) share them instead
// of holding a copy each (2-4 KB a grid, four grids a smart container).
var grids sync.Map // [first, max, ratio] -> grid

// edge is the start of bucket j (bucket 0 starts at 0).
func (g grid) edge(j int) float64 {
	if j <= 0 {
		return 0
	}
	if j <= g.n {
		return g.edges[j]
	}
	return g.first * math.Pow(g.ratio, float64(j-1))
}

// bucket returns the bucket holding v.
func (g grid) bucket(v float64) int {
	if v < g.first {
		return 0
	}
	j := int(math.Log(v/g.first)/g.logRatio) + 1
	if j >= g.n {
		j = g.n - 1
	}
	if j < 0 {
		j = 0
	}
	return j
}

// under returns the number of limits edge(j+1), j in [0, n), that v is above
// (0 for NaN): the limits are increasing, so they are the first ones.
func (g grid) under(v float64) int {
	return sort.Search(g.n, func(j int) bool { return !(v > g.edges[j+1]) })
}

// decayed is a histogram whose sample weights grow as 2^((t-ref)/halfLife),
// which is the same as decaying older samples; the reference moves forward
// (and all weights shrink) when weights get large.
//
// Only the buckets from the lowest to the highest one used so far are
// stored: a container's usage spans a few dozen of the grid's hundreds of
// buckets, and serve keeps two histograms per container. The others hold 0,
// which adds nothing to a cumulative sum and never ends a percentile search,
// so the results are those of the whole array.
type decayed struct {
	g        grid
	halfLife float64   // seconds
	ref      float64   // seconds
	lo       int       // bucket of w[0]
	w        []float64 // weights of buckets lo .. lo+len(w)-1
	total    float64
	// sum and sumW give the decayed weighted average.
	sum float64
}

func newDecayed(g grid, halfLifeSeconds float64) *decayed {
	return &decayed{g: g, halfLife: halfLifeSeconds}
}

func (h *decayed) add(v, weight, t float64) {
	if h.total == 0 {
		h.ref = t
	}
	f := math.Exp2((t - h.ref) / h.halfLife)
	if f > 1e50 {
		scale := 1 / f
		for i := range h.w {
			h.w[i] *= scale
		}
		h.total *= scale
		h.sum *= scale
		h.ref = t
		f = 1
	}
	*h.bucket(h.g.bucket(v)) += weight * f
	h.total += weight * f
	h.sum += v * weight * f
}

// spare is how many buckets beyond the one asked for a stored range of
// buckets (decayed's, mlResource's) grows by, so that a drifting usage does
// not re-allocate at every new bucket.
const spare = 4

// bucket returns the weight of bucket j, widening the stored range to hold it.
func (h *decayed) bucket(j int) *float64 {
	if len(h.w) == 0 {
		h.lo = j
		h.w = make([]float64, 1)
	}
	if j < h.lo || j >= h.lo+len(h.w) {
		lo, hi := min(h.lo, j), max(h.lo+len(h.w), j+1)
		if j < h.lo {
			lo = max(0, lo-spare)
		} else {
			hi = min(h.g.n, hi+spare)
		}
		w := make([]float64, hi-lo)
		copy(w[h.lo-lo:], h.w)
		h.lo, h.w = lo, w
	}
	return &h.w[j-h.lo]
}

// percentile returns the end of the bucket where the cumulative weight reaches
// p of the total.
func (h *decayed) percentile(p float64) float64 {
	if h.total == 0 {
		return 0
	}
	target := p * h.total
	var c float64
	for i, w := range h.w {
		c += w
		if c >= target && w > 0 {
			return h.g.edge(h.lo + i + 1)
		}
	}
	return h.g.edge(h.g.n)
}

func (h *decayed) mean() float64 {
	if h.total == 0 {
		return 0
	}
	return h.sum / h.total
}
