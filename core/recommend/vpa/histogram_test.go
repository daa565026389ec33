package vpa

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

const (
	valueEpsilon  = 1e-15
	weightEpsilon = 1e-15
)

func mustLinear(t *testing.T, maxValue, size, eps float64) *HistogramOptions {
	t.Helper()
	o, err := NewLinearHistogramOptions(maxValue, size, eps)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func inEpsilon(t *testing.T, want, got, rel float64) {
	t.Helper()
	if math.Abs(got-want) > rel*math.Abs(want) {
		t.Fatalf("got %v, want %v (relative epsilon %g)", got, want, rel)
	}
}

// TestExponentialHistogramOptionsUpstream reproduces upstream's
// TestExponentialHistogramOptions.
func TestExponentialHistogramOptionsUpstream(t *testing.T) {
	o, err := NewExponentialHistogramOptions(500, 40, 1.5, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	if o.Epsilon() != 0.001 || o.NumBuckets() != 6 {
		t.Fatalf("epsilon %v buckets %d, want 0.001 and 6", o.Epsilon(), o.NumBuckets())
	}
	for b, want := range []float64{0, 40, 100, 190, 325, 527.5} {
		if got := o.BucketStart(b); got != want {
			t.Fatalf("BucketStart(%d) = %v, want %v", b, got, want)
		}
	}
	for _, tt := range []struct {
		v    float64
		want int
	}{{-1, 0}, {39.99, 0}, {40, 1}, {100, 2}, {900, 5}} {
		if got := o.FindBucket(tt.v); got != tt.want {
			t.Fatalf("FindBucket(%v) = %d, want %d", tt.v, got, tt.want)
		}
	}
}

// TestLinearHistogramOptionsUpstream reproduces upstream's TestLinearHistogramOptions.
func TestLinearHistogramOptionsUpstream(t *testing.T) {
	o := mustLinear(t, 5, 0.3, 0.001)
	if o.NumBuckets() != 18 {
		t.Fatalf("buckets %d, want 18", o.NumBuckets())
	}
	if o.BucketStart(0) != 0 || o.BucketStart(17) != 5.1 {
		t.Fatalf("starts %v %v, want 0 5.1", o.BucketStart(0), o.BucketStart(17))
	}
	for _, tt := range []struct {
		v    float64
		want int
	}{{-1, 0}, {0, 0}, {1.3, 4}, {100, 17}} {
		if got := o.FindBucket(tt.v); got != tt.want {
			t.Fatalf("FindBucket(%v) = %d, want %d", tt.v, got, tt.want)
		}
	}
}

func TestHistogramOptionsErrors(t *testing.T) {
	if _, err := NewExponentialHistogramOptions(500, 40, 1, 0.1); err == nil {
		t.Fatal("ratio 1 accepted")
	}
	if _, err := NewLinearHistogramOptions(0, 1, 0.1); err == nil {
		t.Fatal("max 0 accepted")
	}
}

// TestDefaultBucketCounts pins the default schemes: 176 buckets each.
func TestDefaultBucketCounts(t *testing.T) {
	c, err := compile(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if c.cpuOpts.NumBuckets() != 176 || c.memOpts.NumBuckets() != 176 {
		t.Fatalf("buckets cpu %d memory %d, want 176 and 176", c.cpuOpts.NumBuckets(), c.memOpts.NumBuckets())
	}
}

// TestFindBucketMatchesUpstreamFormula checks the table lookup against
// upstream's logarithm formula at every bucket edge (and the floats around
// it) and at a million log-uniform random values.
func TestFindBucketMatchesUpstreamFormula(t *testing.T) {
	c, err := compile(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	o15, _ := NewExponentialHistogramOptions(500, 40, 1.5, 0.001)
	rng := rand.New(rand.NewPCG(1, 2))
	for name, o := range map[string]*HistogramOptions{"cpu": c.cpuOpts, "memory": c.memOpts, "ratio 1.5": o15} {
		t.Run(name, func(t *testing.T) {
			check := func(v float64) {
				if got, want := o.FindBucket(v), o.slowFindBucket(v); got != want {
					t.Fatalf("FindBucket(%v) = %d, upstream formula %d", v, got, want)
				}
			}
			for b := 0; b < o.NumBuckets(); b++ {
				for _, v := range []float64{o.BucketStart(b), o.lowest[b]} {
					if math.IsInf(v, 0) {
						continue
					}
					check(v)
					check(math.Nextafter(v, math.Inf(1)))
					check(math.Nextafter(v, math.Inf(-1)))
				}
			}
			for _, v := range []float64{0, -1, math.Inf(1), 1e300, 5e-324} {
				check(v)
			}
			lo, hi := math.Log(o.BucketStart(1)/100), math.Log(o.BucketStart(o.NumBuckets()-1)*100)
			for range 1_000_000 {
				check(math.Exp(lo + rng.Float64()*(hi-lo)))
			}
		})
	}
}

// TestPercentilesEmptyHistogram reproduces upstream's test of the same name.
func TestPercentilesEmptyHistogram(t *testing.T) {
	h := NewHistogram(mustLinear(t, 10, 1, weightEpsilon))
	for p := -0.5; p <= 1.5; p += 0.5 {
		if got := h.Percentile(p); got != 0 {
			t.Fatalf("Percentile(%v) = %v, want 0", p, got)
		}
	}
}

// TestPercentiles reproduces upstream's TestPercentiles: values 1..4 with
// weights 1..4 in a linear histogram (max 10, bucket 1).
func TestPercentiles(t *testing.T) {
	h := NewHistogram(mustLinear(t, 10, 1, weightEpsilon))
	for i := 1; i <= 4; i++ {
		h.AddSample(float64(i), float64(i))
	}
	for _, tt := range []struct{ p, want float64 }{
		{0.0, 2}, {0.1, 2}, {0.2, 3}, {0.3, 3}, {0.4, 4}, {0.5, 4}, {0.6, 4},
		{0.7, 5}, {0.8, 5}, {0.9, 5}, {1.0, 5},
	} {
		inEpsilon(t, tt.want, h.Percentile(tt.p), valueEpsilon)
	}
}

// TestPercentileOutOfBounds reproduces upstream's test of the same name.
func TestPercentileOutOfBounds(t *testing.T) {
	h := NewHistogram(mustLinear(t, 1, 0.1, weightEpsilon))
	h.AddSample(0.1, 0.1)
	h.AddSample(0.2, 0.2)
	inEpsilon(t, 0.2, h.Percentile(-0.1), valueEpsilon)
	inEpsilon(t, 0.3, h.Percentile(1.1), valueEpsilon)
	h.AddSample(0.0, 0.1)
	h.AddSample(1.0, 0.2)
	inEpsilon(t, 0.1, h.Percentile(-0.1), valueEpsilon)
	inEpsilon(t, 1.0, h.Percentile(1.1), valueEpsilon)
}

// TestEmptyHistogram reproduces upstream's test of the same name.
func TestEmptyHistogram(t *testing.T) {
	h := NewHistogram(mustLinear(t, 1, 0.1, weightEpsilon))
	steps := []struct {
		add       bool
		w         float64
		wantEmpty bool
	}{
		{true, weightEpsilon * 2.5, false},
		{false, weightEpsilon, false},
		{false, weightEpsilon, true},
	}
	if !h.IsEmpty() {
		t.Fatal("new histogram not empty")
	}
	for i, s := range steps {
		if s.add {
			h.AddSample(0.1, s.w)
		} else {
			h.SubtractSample(0.1, s.w)
		}
		if h.IsEmpty() != s.wantEmpty {
			t.Fatalf("step %d: IsEmpty = %v, want %v", i, h.IsEmpty(), s.wantEmpty)
		}
	}
}

// TestNonEmptyOnEpsilonAddition reproduces upstream's test of the same name.
func TestNonEmptyOnEpsilonAddition(t *testing.T) {
	h := NewHistogram(mustLinear(t, 1, 0.1, weightEpsilon))
	h.AddSample(9.9, weightEpsilon*3)
	h.AddSample(0.1, weightEpsilon*0.3)
	h.AddSample(999.9, weightEpsilon*0.3)
	if h.IsEmpty() {
		t.Fatal("histogram with a 3-epsilon bucket is empty")
	}
}

// TestPercentiles3MatchesPercentile compares the one-pass triple with three
// upstream scans on random histograms, including unsorted percentiles.
func TestPercentiles3MatchesPercentile(t *testing.T) {
	c, err := compile(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 2000 {
		h := NewHistogram(c.cpuOpts)
		n := 1 + rng.IntN(200)
		center := math.Exp(rng.Float64()*8 - 4)
		for range n {
			h.AddSample(center*math.Exp(rng.NormFloat64()*rng.Float64()), rng.Float64()*3)
		}
		ps := [][3]float64{{0.5, 0.9, 0.95}, {0, 0.5, 1}, {0.95, 0.9, 0.5}, {rng.Float64(), rng.Float64(), rng.Float64()}}
		for _, p := range ps {
			got := h.Percentiles3(p)
			for i := range p {
				if want := h.Percentile(p[i]); got[i] != want {
					t.Fatalf("trial %d p=%v: Percentiles3[%d] = %v, Percentile = %v", trial, p, i, got[i], want)
				}
			}
		}
	}
}

var startTime = time.Unix(1234567890, 0)

// TestPercentilesEmptyDecayingHistogram reproduces upstream's test.
func TestPercentilesEmptyDecayingHistogram(t *testing.T) {
	h := NewDecayingHistogram(mustLinear(t, 10, 1, weightEpsilon), time.Hour)
	for p := -0.5; p <= 1.5; p += 0.5 {
		if got := h.Percentile(p); got != 0 {
			t.Fatalf("Percentile(%v) = %v, want 0", p, got)
		}
	}
}

// TestSimpleDecay reproduces upstream's TestSimpleDecay.
func TestSimpleDecay(t *testing.T) {
	h := NewDecayingHistogram(mustLinear(t, 10, 1, weightEpsilon), time.Hour)
	h.AddSample(2, 1000, startTime)
	h.AddSample(1, 1, startTime.Add(20*time.Hour))
	inEpsilon(t, 2, h.Percentile(0.999), valueEpsilon)
	inEpsilon(t, 3, h.Percentile(1.0), valueEpsilon)
}

// TestLongtermDecay reproduces upstream's TestLongtermDecay: after more than
// 100 half-lives the reference moves and the old sample vanishes.
func TestLongtermDecay(t *testing.T) {
	h := NewDecayingHistogram(mustLinear(t, 10, 1, weightEpsilon), time.Hour)
	h.AddSample(2, 1, startTime)
	h.AddSample(1, 1, startTime.Add(101*time.Hour))
	inEpsilon(t, 2, h.Percentile(1.0), valueEpsilon)
}

// TestDecayingHistogramPercentiles reproduces upstream's test of the same name.
func TestDecayingHistogramPercentiles(t *testing.T) {
	h := NewDecayingHistogram(mustLinear(t, 10, 1, weightEpsilon), time.Hour)
	ts := startTime
	for i := 1; i <= 4; i++ {
		h.AddSample(float64(i), float64(i), ts)
		ts = ts.Add(time.Hour)
	}
	for _, tt := range []struct{ p, want float64 }{
		{0, 2}, {0.02, 2}, {0.03, 3}, {0.10, 3}, {0.11, 4}, {0.34, 4}, {0.35, 5}, {1, 5},
	} {
		inEpsilon(t, tt.want, h.Percentile(tt.p), valueEpsilon)
	}
}

// TestNoDecay reproduces upstream's TestNoDecay.
func TestNoDecay(t *testing.T) {
	h := NewDecayingHistogram(mustLinear(t, 10, 1, weightEpsilon), time.Hour)
	for i := 1; i <= 4; i++ {
		h.AddSample(float64(i), float64(i), startTime)
	}
	for _, tt := range []struct{ p, want float64 }{
		{0.0, 2}, {0.1, 2}, {0.2, 3}, {0.3, 3}, {0.4, 4}, {0.5, 4}, {0.6, 4},
		{0.7, 5}, {0.8, 5}, {0.9, 5}, {1.0, 5},
	} {
		inEpsilon(t, tt.want, h.Percentile(tt.p), valueEpsilon)
	}
}

// TestReferenceTimestamp pins how the reference is chosen: the first sample
// time rounded to a multiple of the half-life with time.Time.Round, then
// moved only when a sample is more than 100 half-lives later, with the
// weights rescaled by a whole power of two.
func TestReferenceTimestamp(t *testing.T) {
	day := 24 * time.Hour
	opts := mustLinear(t, 10, 1, 1e-300)
	tests := []struct {
		name  string
		first time.Time
		want  time.Time
	}{
		{"morning rounds down", time.Date(2026, 1, 1, 11, 59, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"noon rounds up", time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"evening rounds up", time.Date(2026, 1, 1, 18, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewDecayingHistogram(opts, day)
			h.AddSample(1, 1, tt.first)
			if got := h.ReferenceTimestamp(); !got.Equal(tt.want) {
				t.Fatalf("reference %v, want %v", got, tt.want)
			}
			want := math.Exp2(float64(tt.first.Sub(tt.want)) / float64(day))
			inEpsilon(t, want, h.TotalWeight(), 1e-15)
			// 100 half-lives later: no move; just after: move and rescale.
			at100 := tt.want.Add(100 * day)
			h.AddSample(2, 1, at100)
			if !h.ReferenceTimestamp().Equal(tt.want) {
				t.Fatalf("reference moved at exactly 100 half-lives")
			}
			later := at100.Add(13 * time.Hour)
			h.AddSample(3, 1, later)
			newRef := later.Round(day)
			if !h.ReferenceTimestamp().Equal(newRef) {
				t.Fatalf("reference %v, want %v", h.ReferenceTimestamp(), newRef)
			}
			// All weights are now relative to newRef.
			wantTotal := math.Exp2(float64(tt.first.Sub(newRef))/float64(day)) +
				math.Exp2(float64(at100.Sub(newRef))/float64(day)) +
				math.Exp2(float64(later.Sub(newRef))/float64(day))
			inEpsilon(t, wantTotal, h.TotalWeight(), 1e-12)
		})
	}
}

func TestHistogramWindowGrows(t *testing.T) {
	c, _ := compile(DefaultOptions())
	h := NewHistogram(c.cpuOpts)
	h.AddSample(0.5, 1)
	h.AddSample(0.001, 1)
	h.AddSample(2000, 1)
	h.AddSample(0.5, 1)
	lo, hi := h.BucketRange()
	if lo != 0 || hi != 175 {
		t.Fatalf("range %d..%d, want 0..175", lo, hi)
	}
	if len(h.w) > 176 {
		t.Fatalf("window %d buckets, more than 176", len(h.w))
	}
	if got, want := h.Percentile(0.5), c.cpuOpts.BucketStart(c.cpuOpts.FindBucket(0.5)+1); got != want {
		t.Fatalf("median %v, want %v", got, want)
	}
}

// TestDecayTableMatchesExp2 checks every table entry against the expression
// upstream evaluates, and that off-minute offsets still use math.Exp2.
func TestDecayTableMatchesExp2(t *testing.T) {
	for _, hl := range []time.Duration{24 * time.Hour, time.Hour, 90 * time.Minute} {
		tbl := decayTable(int64(hl))
		if len(tbl) != int(hl/time.Minute)*100+1 {
			t.Fatalf("half-life %v: %d entries", hl, len(tbl))
		}
		for i, f := range tbl {
			if want := math.Exp2(float64(int64(i)*int64(time.Minute)) / float64(hl)); f != want {
				t.Fatalf("half-life %v entry %d: %v, want %v", hl, i, f, want)
			}
		}
	}
	if decayTable(int64(90*time.Second)) != nil || decayTable(int64(1000*time.Hour)) != nil {
		t.Fatal("table built for a half-life that is not whole minutes or too long")
	}
	c, _ := compile(DefaultOptions())
	h := NewDecayingHistogram(c.cpuOpts, 24*time.Hour)
	ref := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h.AddSample(1, 1, ref)
	for _, d := range []time.Duration{time.Minute, 90 * time.Second, -time.Minute, 37*time.Hour + 17*time.Minute} {
		ts := ref.Add(d).UnixNano()
		if got, want := h.decayFactor(ts), math.Exp2(float64(ts-ref.UnixNano())/float64(24*time.Hour)); got != want {
			t.Fatalf("offset %v: factor %v, want %v", d, got, want)
		}
	}
}

// FuzzFindBucket checks the table lookup against upstream's formula for any
// float64, on the default CPU and memory schemes.
func FuzzFindBucket(f *testing.F) {
	for _, v := range []float64{0, 0.01, 0.5, 1e7, 1e9, 1e12, -1, math.Inf(1), math.NaN()} {
		f.Add(v)
	}
	c, err := compile(DefaultOptions())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		for _, o := range []*HistogramOptions{c.cpuOpts, c.memOpts} {
			if math.IsNaN(v) {
				continue // upstream's int(NaN) is platform-defined; the recommender drops NaN samples
			}
			if got, want := o.FindBucket(v), o.slowFindBucket(v); got != want {
				t.Fatalf("FindBucket(%v) = %d, upstream formula %d", v, got, want)
			}
		}
	})
}
