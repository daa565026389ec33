package autopilot

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

func TestGrid(t *testing.T) {
	g := newGrid(1, 1000, 2)
	for _, tt := range []struct {
		v    float64
		want int
	}{{0.5, 0}, {1, 1}, {1.9, 1}, {2, 2}, {5, 3}, {1e9, g.n - 1}} {
		if got := g.bucket(tt.v); got != tt.want {
			t.Errorf("bucket(%v) = %d, want %d", tt.v, got, tt.want)
		}
		if j := g.bucket(tt.v); tt.v < 1000 && !(g.edge(j) <= tt.v && tt.v < g.edge(j+1)) {
			t.Errorf("%v not in [%v, %v)", tt.v, g.edge(j), g.edge(j+1))
		}
	}
}

func TestDecayedPercentileAndHalfLife(t *testing.T) {
	h := newDecayed(newGrid(1, 1e4, 1.05), 3600)
	// 100 at t=0, 10 at t=1h: 10's weight is twice 100's.
	h.add(100, 1, 0)
	h.add(10, 1, 3600)
	if p := h.percentile(0.6); p < 10 || p > 10.6 {
		t.Errorf("p60 = %v, want the bucket end above 10", p)
	}
	if p := h.percentile(0.7); p < 100 || p > 106 {
		t.Errorf("p70 = %v, want the bucket end above 100", p)
	}
	if m := h.mean(); math.Abs(m-40) > 1e-9 {
		t.Errorf("mean = %v, want (100*1+10*2)/3 = 40", m)
	}
}

func run(r recommend.Recommender, rng *rand.Rand, days int, cpu func(h float64) float64) time.Time {
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	var now time.Time
	for i := 0; i < days*288; i++ {
		now = t0.Add(time.Duration(i) * 5 * time.Minute)
		h := float64(i%288) / 12
		r.AddSample(model.Sample{Time: now, CPUMillicores: cpu(h) * (1 + 0.05*rng.NormFloat64()), MemoryBytes: model.GiB * (1 + 0.01*rng.Float64())})
	}
	return now
}

func TestRecommenders(t *testing.T) {
	flat := func(float64) float64 { return 400 }
	for _, name := range []string{"autopilot", "autopilot-window"} {
		t.Run(name, func(t *testing.T) {
			r, err := recommend.New(name, recommend.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := r.Recommend(time.Time{}); ok {
				t.Fatal("recommendation with no data")
			}
			if ex := r.Explain(time.Time{}); len(ex.Notes) == 0 {
				t.Fatal("no warm-up note")
			}
			now := run(r, rand.New(rand.NewPCG(1, 1)), 3, flat)
			rec, ok := r.Recommend(now)
			if !ok {
				t.Fatal("no recommendation after 3 days")
			}
			// 400 m with 5 % noise: the target covers most samples without
			// wasting more than half.
			if c := rec.Target.CPUMillicores; c < 420 || c > 600 {
				t.Errorf("cpu target %.0f, want in [420, 600]", c)
			}
			if m := rec.Target.MemoryBytes / model.GiB; m < 1.01 || m > 1.5 {
				t.Errorf("memory target %.3f GiB, want in [1.01, 1.5]", m)
			}
			if rec.Lower.CPUMillicores > rec.Target.CPUMillicores || rec.Upper.CPUMillicores < rec.Target.CPUMillicores {
				t.Errorf("bounds out of order: %+v", rec)
			}
			ex := r.Explain(now)
			if len(ex.Resources) != 2 || len(ex.Notes) != 2 {
				t.Errorf("explain: %+v", ex)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	cyc := func(h float64) float64 { return 300 + 200*math.Sin(2*math.Pi*h/24) }
	var recs []model.Recommendation
	for i := 0; i < 2; i++ {
		r, _ := recommend.New("autopilot", recommend.Config{})
		now := run(r, rand.New(rand.NewPCG(9, 9)), 2, cyc)
		rec, _ := r.Recommend(now)
		recs = append(recs, rec)
	}
	if !reflect.DeepEqual(recs[0], recs[1]) {
		t.Fatalf("two runs differ: %+v vs %+v", recs[0], recs[1])
	}
}

func TestOOMRaisesMemory(t *testing.T) {
	for _, name := range []string{"autopilot", "autopilot-window"} {
		t.Run(name, func(t *testing.T) {
			r, _ := recommend.New(name, recommend.Config{})
			now := run(r, rand.New(rand.NewPCG(2, 2)), 1, func(float64) float64 { return 100 })
			r.AddOOM(model.OOMEvent{Time: now, MemoryRequestBytes: 2 * model.GiB})
			rec, _ := r.Recommend(now)
			if rec.Target.MemoryBytes < 2.4*model.GiB {
				t.Fatalf("memory target %.2f GiB after an OOM at 2 GiB, want >= 2.4", rec.Target.MemoryBytes/model.GiB)
			}
		})
	}
}

func BenchmarkMLPerSample(b *testing.B) {
	r, _ := recommend.New("autopilot", recommend.Config{})
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for i := 0; i < b.N; i++ {
		now := t0.Add(time.Duration(i) * 5 * time.Minute)
		r.AddSample(model.Sample{Time: now, CPUMillicores: 300 + 100*math.Sin(float64(i)/30), MemoryBytes: model.GiB})
		r.Recommend(now)
	}
}

// denseDecayed is the histogram with every bucket stored, as it was before
// decayed kept only the range in use: the reference the stored range must
// match bit for bit.
type denseDecayed struct {
	g                    grid
	halfLife, ref, total float64
	w                    []float64
}

func (h *denseDecayed) add(v, weight, t float64) {
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
		h.ref = t
		f = 1
	}
	h.w[h.g.bucket(v)] += weight * f
	h.total += weight * f
}

func (h *denseDecayed) percentile(p float64) float64 {
	if h.total == 0 {
		return 0
	}
	target := p * h.total
	var c float64
	for j, w := range h.w {
		c += w
		if c >= target && w > 0 {
			return h.g.edge(j + 1)
		}
	}
	return h.g.edge(h.g.n)
}

func TestDecayedMatchesDense(t *testing.T) {
	g := newGrid(1, 1e7, 1.05)
	rng := rand.New(rand.NewPCG(3, 4))
	h := newDecayed(g, 3600)
	ref := &denseDecayed{g: g, halfLife: 3600, w: make([]float64, g.n)}
	for i := 0; i < 20000; i++ {
		// A level that drifts over the grid, so the stored range grows at
		// both ends, and a time long enough for several rescales.
		v := math.Exp(8+6*math.Sin(float64(i)/3000)) * (0.5 + rng.Float64())
		if i%1000 == 7 {
			v = 0
		}
		h.add(v, math.Max(v, 1e-9), float64(i)*60)
		ref.add(v, math.Max(v, 1e-9), float64(i)*60)
		for _, p := range []float64{0, 0.5, 0.9, 0.95, 0.99, 1} {
			if got, want := h.percentile(p), ref.percentile(p); got != want {
				t.Fatalf("sample %d: p%v = %v, dense %v", i, p, got, want)
			}
		}
	}
	if len(h.w) >= g.n {
		t.Errorf("stored %d buckets of %d", len(h.w), g.n)
	}
}

// denseStep is mlResource.step as it was with every limit's overrun and
// underrun stored (o and u of g.n per decay) and a pass over the samples for
// every limit: the reference the stored range must match bit for bit. It
// updates o and u and returns the per-decay arg-min.
func denseStep(r *mlResource, o, u [][]float64, lp []int, xs []float64) []int {
	n := float64(len(xs))
	ovs, uns := make([]float64, r.g.n), make([]float64, r.g.n)
	for j := 0; j < r.g.n; j++ {
		L := r.g.edge(j + 1)
		var ov, un float64
		for _, x := range xs {
			if x > L {
				ov++
			} else {
				un += (L - x) / L
			}
		}
		ovs[j], uns[j] = ov/n, un/n
	}
	var bests []int
	for di, d := range r.d {
		best, bestCost := 0, math.Inf(1)
		for j := range o[di] {
			o[di][j] = (1-d)*o[di][j] + d*ovs[j]
			u[di][j] = (1-d)*u[di][j] + d*uns[j]
			c := r.opt.WOverrun*o[di][j] + r.opt.WUnderrun*u[di][j]
			if lp[di] >= 0 && j != lp[di] {
				c += r.opt.WChangeLimit
			}
			if c < bestCost {
				best, bestCost = j, c
			}
		}
		bests = append(bests, best)
	}
	return bests
}

func TestMLStepMatchesDense(t *testing.T) {
	for _, withNaN := range []bool{false, true} {
		t.Run(fmt.Sprintf("nan=%v", withNaN), func(t *testing.T) { testMLStepMatchesDense(t, withNaN) })
	}
}

func testMLStepMatchesDense(t *testing.T, withNaN bool) {
	o := DefaultMLOptions()
	r := newMLResource(o.Memory, newGrid(model.MiB, 1e13, 1.1), o.Step)
	nd := len(r.d)
	do, du := make([][]float64, nd), make([][]float64, nd)
	for di := range do {
		do[di], du[di] = make([]float64, r.g.n), make([]float64, r.g.n)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for s := 0; s < 3000; s++ {
		// A level that falls and rises, so the stored range grows downwards
		// more than once (and, withNaN, now and then a NaN, under no limit).
		level := model.GiB * math.Exp(2*math.Cos(float64(s)/400))
		xs := make([]float64, 1+rng.IntN(6))
		for i := range xs {
			xs[i] = level * (0.8 + 0.4*rng.Float64())
		}
		if withNaN && s%701 == 300 {
			xs[0] = math.NaN()
		}
		lp := append([]int(nil), r.lp...)
		want := denseStep(r, do, du, lp, xs)
		r.step(xs, o.Step.Seconds())
		for di := range r.d {
			if r.lp[di] != want[di] {
				t.Fatalf("step %d decay %d: limit %d, dense %d", s, di, r.lp[di], want[di])
			}
			for j := 0; j < r.g.n; j++ {
				gotO, gotU := r.oLow[di], 0.0
				if j >= r.low {
					gotO, gotU = 0, r.u[di][j-r.low]
					if j < r.high {
						gotO = r.o[di][j-r.low]
					}
				}
				if math.Float64bits(gotO) != math.Float64bits(do[di][j]) || math.Float64bits(gotU) != math.Float64bits(du[di][j]) {
					t.Fatalf("step %d decay %d limit %d: o, u = %v, %v; dense %v, %v", s, di, j, gotO, gotU, do[di][j], du[di][j])
				}
			}
		}
	}
	if !withNaN && (r.low == 0 || r.high == r.g.n || r.low >= r.high) {
		t.Errorf("overruns stored for limits %d to %d of %d: want a range that leaves out the lowest and the highest", r.low, r.high, r.g.n)
	}
}
