package vpa

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// HistogramOptions is a bucketing scheme (upstream HistogramOptions): the
// number of buckets, where each starts, how a value finds its bucket, and the
// weight below which a bucket counts as empty. It is immutable and shared by
// every histogram that uses it.
type HistogramOptions struct {
	numBuckets int
	epsilon    float64
	// exponential scheme (ratio > 0) or linear scheme (bucketSize > 0)
	firstBucketSize float64
	ratio           float64
	bucketSize      float64
	// starts[b] is the start of bucket b, computed with upstream's formula.
	starts []float64
	// lowest[b] is the smallest float64 that upstream's FindBucket puts in
	// bucket b or above (b >= 1); lowest[0] = -Inf.
	lowest []float64
	// guess maps the top bits of a positive float64 (sign, exponent and
	// guessBits of mantissa) to the bucket of the smallest value with those
	// bits; nil for linear schemes.
	guess    []uint16
	guessLo  uint64 // key of guess[0]
	guessLen uint64
}

// guessBits mantissa bits split each power of two into 2^guessBits slices,
// each narrower than a bucket as long as ratio > 2^(1/2^guessBits) ≈ 1.0054.
const guessBits = 7

// NewExponentialHistogramOptions returns the upstream exponential scheme:
// bucket 0 covers [0, firstBucketSize), bucket n >= 1 starts at
// firstBucketSize * (ratio^n - 1) / (ratio - 1), and the last bucket starts
// at or above maxValue.
func NewExponentialHistogramOptions(maxValue, firstBucketSize, ratio, epsilon float64) (*HistogramOptions, error) {
	if !(maxValue > 0) || !(firstBucketSize > 0) || !(ratio > 1) || !(epsilon > 0) || math.IsInf(maxValue, 0) {
		return nil, errors.New("histogram: maxValue, firstBucketSize and epsilon must be > 0 and ratio > 1")
	}
	n := int(math.Ceil(math.Log(maxValue*(ratio-1)/firstBucketSize+1)/math.Log(ratio))) + 1
	if n > math.MaxUint16 {
		return nil, fmt.Errorf("histogram: %d buckets is too many: use a larger first bucket or ratio", n)
	}
	o := &HistogramOptions{numBuckets: n, epsilon: epsilon, firstBucketSize: firstBucketSize, ratio: ratio}
	o.init()
	return o, nil
}

// NewLinearHistogramOptions returns the upstream linear scheme: buckets of
// bucketSize starting at 0, the last one starting at or above maxValue.
func NewLinearHistogramOptions(maxValue, bucketSize, epsilon float64) (*HistogramOptions, error) {
	if !(maxValue > 0) || !(bucketSize > 0) || !(epsilon > 0) || math.IsInf(maxValue, 0) {
		return nil, errors.New("histogram: maxValue, bucketSize and epsilon must be > 0")
	}
	n := int(math.Ceil(maxValue/bucketSize)) + 1
	if n > 1<<20 {
		return nil, fmt.Errorf("histogram: %d buckets is too many: use a larger bucket size", n)
	}
	o := &HistogramOptions{numBuckets: n, epsilon: epsilon, bucketSize: bucketSize}
	o.init()
	return o, nil
}

// NumBuckets returns the number of buckets.
func (o *HistogramOptions) NumBuckets() int { return o.numBuckets }

// Epsilon returns the weight below which a bucket is empty.
func (o *HistogramOptions) Epsilon() float64 { return o.epsilon }

// BucketStart returns the start of bucket b (0 <= b < NumBuckets).
func (o *HistogramOptions) BucketStart(b int) float64 { return o.starts[b] }

// slowFindBucket is upstream's FindBucket formula, used to build the lookup
// tables and as the reference in tests.
func (o *HistogramOptions) slowFindBucket(v float64) int {
	var b int
	if o.ratio > 0 {
		if v < o.firstBucketSize {
			return 0
		}
		b = int(math.Log(v*(o.ratio-1)/o.firstBucketSize+1) / math.Log(o.ratio))
	} else {
		b = int(v / o.bucketSize)
		if b < 0 {
			return 0
		}
	}
	if b >= o.numBuckets || b < 0 { // b < 0 only for NaN or overflow
		return o.numBuckets - 1
	}
	return b
}

func (o *HistogramOptions) init() {
	n := o.numBuckets
	o.starts = make([]float64, n)
	for b := 1; b < n; b++ {
		if o.ratio > 0 {
			o.starts[b] = o.firstBucketSize * (math.Pow(o.ratio, float64(b)) - 1) / (o.ratio - 1)
		} else {
			o.starts[b] = float64(b) * o.bucketSize
		}
	}
	// lowest[b]: binary search over the ordered bit patterns of non-negative
	// floats for the first value the upstream formula maps to >= b.
	o.lowest = make([]float64, n)
	o.lowest[0] = math.Inf(-1)
	inf := math.Float64bits(math.Inf(1))
	for b := 1; b < n; b++ {
		lo, hi := uint64(0), inf
		for lo < hi {
			mid := lo + (hi-lo)/2
			if o.slowFindBucket(math.Float64frombits(mid)) >= b {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		o.lowest[b] = math.Float64frombits(lo)
	}
	if o.ratio == 0 {
		return
	}
	// Guess table from the value of lowest[1] up to lowest[n-1].
	shift := uint(52 - guessBits)
	o.guessLo = math.Float64bits(o.lowest[1]) >> shift
	hiKey := math.Float64bits(o.lowest[n-1]) >> shift
	o.guessLen = hiKey - o.guessLo + 1
	o.guess = make([]uint16, o.guessLen)
	b := 0
	for k := uint64(0); k < o.guessLen; k++ {
		v := math.Float64frombits((o.guessLo + k) << shift)
		for b+1 < n && v >= o.lowest[b+1] {
			b++
		}
		o.guess[k] = uint16(b)
	}
}

// FindBucket returns the bucket of value v, exactly as upstream's formula
// does, without a logarithm: a table lookup on the float's exponent and top
// mantissa bits gives the bucket of the slice v falls in, and at most one
// comparison with the next bucket's lowest value corrects it.
func (o *HistogramOptions) FindBucket(v float64) int {
	if o.guess == nil {
		return o.slowFindBucket(v)
	}
	if !(v >= o.lowest[1]) { // also NaN and negatives
		if v != v {
			return o.numBuckets - 1
		}
		return 0
	}
	k := math.Float64bits(v)>>(52-guessBits) - o.guessLo
	if k >= o.guessLen {
		return o.numBuckets - 1
	}
	b := int(o.guess[k])
	for b+1 < o.numBuckets && v >= o.lowest[b+1] {
		b++
	}
	return b
}

// Histogram is upstream's bucketed histogram: each bucket holds the total
// weight of the samples in it; percentiles are bucket ends, without
// interpolation. Weights are stored densely for the buckets from the lowest
// to the highest one ever touched (a window that grows, never shrinks), so a
// histogram of a steady container costs a few hundred bytes.
type Histogram struct {
	opts   *HistogramOptions
	w      []float64 // weights of buckets off .. off+len(w)-1
	off    int32
	minB   int32 // first non-empty bucket, or numBuckets-1 when empty
	maxB   int32 // last non-empty bucket, or 0 when empty
	total  float64
	change uint32 // bumped by every change of the weights
}

// NewHistogram returns an empty histogram with the given scheme.
func NewHistogram(o *HistogramOptions) *Histogram {
	h := &Histogram{}
	h.init(o)
	return h
}

func (h *Histogram) init(o *HistogramOptions) {
	*h = Histogram{opts: o, minB: int32(o.numBuckets - 1)}
}

// Options returns the bucketing scheme.
func (h *Histogram) Options() *HistogramOptions { return h.opts }

// TotalWeight returns the sum of all weights.
func (h *Histogram) TotalWeight() float64 { return h.total }

// BucketRange returns the first and last non-empty buckets (upstream
// minBucket, maxBucket).
func (h *Histogram) BucketRange() (lo, hi int) { return int(h.minB), int(h.maxB) }

// weight returns the weight of bucket b.
func (h *Histogram) weight(b int) float64 {
	i := b - int(h.off)
	if i < 0 || i >= len(h.w) {
		return 0
	}
	return h.w[i]
}

// slot returns the index in h.w of bucket b, growing the window if needed.
func (h *Histogram) slot(b int) int {
	i := b - int(h.off)
	if i >= 0 && i < len(h.w) {
		return i
	}
	return h.grow(b)
}

func (h *Histogram) grow(b int) int {
	n := h.opts.numBuckets
	if h.w == nil {
		// Start with a small window around b.
		lo, hi := max(b-4, 0), min(b+12, n)
		h.w = make([]float64, hi-lo)
		h.off = int32(lo)
		return b - lo
	}
	lo, hi := int(h.off), int(h.off)+len(h.w)
	// Grow to b plus a few buckets: the window can grow at most
	// numBuckets/slack times, and stays close to the range in use.
	const slack = 8
	if b < lo {
		lo = max(min(b, lo-slack), 0)
	} else {
		hi = min(max(b+1, hi+slack), n)
	}
	w := make([]float64, hi-lo)
	copy(w[int(h.off)-lo:], h.w)
	h.w, h.off = w, int32(lo)
	return b - lo
}

// AddSample adds weight w (>= 0) at value v.
func (h *Histogram) AddSample(v, w float64) {
	h.addToBucket(h.opts.FindBucket(v), w)
}

func (h *Histogram) addToBucket(b int, w float64) {
	if w < 0 {
		panic("vpa: sample weight must be non-negative")
	}
	i := h.slot(b)
	h.w[i] += w
	h.total += w
	h.change++
	if h.w[i] >= h.opts.epsilon {
		if int32(b) < h.minB {
			h.minB = int32(b)
		}
		if int32(b) > h.maxB {
			h.maxB = int32(b)
		}
	}
}

// SubtractSample removes weight w at value v. As upstream (v1.x
// safeSubtract), a bucket or total left below epsilon becomes 0.
func (h *Histogram) SubtractSample(v, w float64) {
	h.subtractFromBucket(h.opts.FindBucket(v), w)
}

func (h *Histogram) subtractFromBucket(b int, w float64) {
	if w < 0 {
		panic("vpa: sample weight must be non-negative")
	}
	eps := h.opts.epsilon
	i := h.slot(b)
	h.total = safeSubtract(h.total, w, eps)
	h.w[i] = safeSubtract(h.w[i], w, eps)
	h.change++
	h.updateMinMax()
}

func safeSubtract(v, sub, eps float64) float64 {
	v -= sub
	if v < eps {
		return 0
	}
	return v
}

func (h *Histogram) updateMinMax() {
	eps := h.opts.epsilon
	last := int32(h.opts.numBuckets - 1)
	for h.weight(int(h.minB)) < eps && h.minB < last {
		h.minB++
	}
	for h.weight(int(h.maxB)) < eps && h.maxB > 0 {
		h.maxB--
	}
}

// Scale multiplies every weight by f >= 0.
func (h *Histogram) Scale(f float64) {
	if f < 0 {
		panic("vpa: scale factor must be non-negative")
	}
	for b := h.minB; b <= h.maxB; b++ {
		if i := int(b) - int(h.off); i >= 0 && i < len(h.w) {
			h.w[i] *= f
		}
	}
	h.total *= f
	h.change++
	h.updateMinMax()
}

// IsEmpty reports whether the first non-empty bucket holds less than epsilon.
func (h *Histogram) IsEmpty() bool {
	return h.weight(int(h.minB)) < h.opts.epsilon
}

// Percentile returns upstream's percentile p (0..1): the end of the first
// bucket, from the lowest non-empty one, at which the cumulative weight
// reaches p * total (the start of the last bucket if that is where it
// stops); 0 when empty.
func (h *Histogram) Percentile(p float64) float64 {
	if h.IsEmpty() {
		return 0
	}
	threshold := p * h.total
	sum := 0.0
	b := int(h.minB)
	maxB := int(h.maxB)
	for ; b < maxB; b++ {
		sum += h.w[b-int(h.off)]
		if sum >= threshold {
			break
		}
	}
	return h.end(b)
}

// end is the value a percentile that stops in bucket b returns.
func (h *Histogram) end(b int) float64 {
	if b < h.opts.numBuckets-1 {
		return h.opts.starts[b+1]
	}
	return h.opts.starts[b]
}

// Percentiles3 returns Percentile(p[0..2]) in one pass when p is ascending
// (as lower <= target <= upper percentiles are); otherwise it scans per value.
// The results equal Percentile's bit for bit: the same running sum is
// compared with the same thresholds.
func (h *Histogram) Percentiles3(p [3]float64) (out [3]float64) {
	if h.IsEmpty() {
		return out
	}
	if !(p[0] <= p[1] && p[1] <= p[2]) {
		for i := range p {
			out[i] = h.Percentile(p[i])
		}
		return out
	}
	b := int(h.minB)
	w := h.w[b-int(h.off) : int(h.maxB)-int(h.off)+1]
	last := len(w) - 1
	// Walk the buckets once. The walk for a larger threshold passes through
	// the same running sums as the walk for a smaller one, so each threshold
	// continues where the previous one stopped. As upstream, the last
	// bucket's weight is never added: the walk just stops there.
	k := 0
	sum := 0.0
	if last > 0 {
		sum = w[0]
	}
	for j := range p {
		t := p[j] * h.total
		for k < last && sum < t {
			k++
			if k < last {
				sum += w[k]
			}
		}
		out[j] = h.end(b + k)
	}
	return out
}

// DecayingHistogram is upstream's decaying histogram: a sample's weight is
// multiplied by 2^((t - reference) / halfLife), so that a sample one half-life
// older counts half as much. The reference is a multiple of halfLife (rounded
// as time.Time.Round does) and moves forward, rescaling every weight, when a
// sample arrives more than 100 half-lives after it.
type DecayingHistogram struct {
	Histogram
	halfLife int64 // ns
	ref      int64 // Unix ns of the reference timestamp
	refSet   bool
	// cache of the last decay factor: memory peaks are added and removed at
	// the same window end many times.
	lastT      int64
	lastFactor float64
	shifts     uint32 // number of reference moves
	// exp2 of whole-minute offsets from the reference, shared (nil when the
	// half-life is not a whole number of minutes or too long).
	table []float64
}

// The decay factor of a sample a whole number of minutes after the
// reference comes from a table shared by all histograms with the same
// half-life: table[i] = math.Exp2(float64(i minutes) / float64(halfLife)),
// the very expression upstream evaluates, for i up to 100 half-lives (144,001
// entries, 1.1 MiB, for 24 h). Other offsets call math.Exp2.
const (
	tableStep       = int64(time.Minute)
	maxTableEntries = 1 << 18
)

var expTables sync.Map // half-life (ns) -> []float64

func decayTable(halfLife int64) []float64 {
	if halfLife <= 0 || halfLife%tableStep != 0 || halfLife/tableStep*maxDecayExponent >= maxTableEntries {
		return nil
	}
	if t, ok := expTables.Load(halfLife); ok {
		return t.([]float64)
	}
	n := halfLife/tableStep*maxDecayExponent + 1
	t := make([]float64, n)
	for i := range t {
		t[i] = math.Exp2(float64(int64(i)*tableStep) / float64(halfLife))
	}
	actual, _ := expTables.LoadOrStore(halfLife, t)
	return actual.([]float64)
}

// maxDecayExponent is upstream's limit on the decay exponent before the
// reference timestamp moves.
const maxDecayExponent = 100

// NewDecayingHistogram returns an empty decaying histogram.
func NewDecayingHistogram(o *HistogramOptions, halfLife time.Duration) *DecayingHistogram {
	h := &DecayingHistogram{}
	h.init(o, halfLife)
	return h
}

func (h *DecayingHistogram) init(o *HistogramOptions, halfLife time.Duration) {
	*h = DecayingHistogram{halfLife: int64(halfLife), table: decayTable(int64(halfLife))}
	h.Histogram.init(o)
}

// ReferenceTimestamp returns the current reference (zero before the first sample).
func (h *DecayingHistogram) ReferenceTimestamp() time.Time {
	if !h.refSet {
		return time.Time{}
	}
	return time.Unix(0, h.ref).UTC()
}

// AddSample adds weight w at value v observed at time t.
func (h *DecayingHistogram) AddSample(v, w float64, t time.Time) {
	h.AddSampleAt(v, w, t.UnixNano())
}

// AddSampleAt is AddSample with t in Unix nanoseconds.
func (h *DecayingHistogram) AddSampleAt(v, w float64, t int64) {
	h.addToBucket(h.opts.FindBucket(v), w*h.decayFactor(t))
}

// addAt is AddSampleAt returning the bucket and the decayed weight added.
func (h *DecayingHistogram) addAt(v, w float64, t int64) (int, float64) {
	b := h.opts.FindBucket(v)
	dw := w * h.decayFactor(t)
	h.addToBucket(b, dw)
	return b, dw
}

// SubtractSample removes weight w at value v observed at time t.
func (h *DecayingHistogram) SubtractSample(v, w float64, t time.Time) {
	h.SubtractSampleAt(v, w, t.UnixNano())
}

// SubtractSampleAt is SubtractSample with t in Unix nanoseconds.
func (h *DecayingHistogram) SubtractSampleAt(v, w float64, t int64) {
	h.subtractFromBucket(h.opts.FindBucket(v), w*h.decayFactor(t))
}

func (h *DecayingHistogram) decayFactor(t int64) float64 {
	if !h.refSet || t-h.ref > h.halfLife*maxDecayExponent {
		h.shiftReference(t)
	} else if t == h.lastT {
		return h.lastFactor
	}
	d := t - h.ref
	if d >= 0 && d%tableStep == 0 {
		if i := d / tableStep; i < int64(len(h.table)) {
			return h.table[i]
		}
	}
	f := math.Exp2(float64(d) / float64(h.halfLife))
	h.lastT, h.lastFactor = t, f
	return f
}

// shiftReference moves the reference to t rounded to a multiple of the
// half-life (time.Time.Round semantics, half-way rounds up) and rescales the
// weights by 2^(old - new) / halfLife, rounded to a whole exponent.
func (h *DecayingHistogram) shiftReference(t int64) {
	newRef := time.Unix(0, t).Round(time.Duration(h.halfLife)).UnixNano()
	if h.refSet {
		exp := math.Floor(float64(h.ref-newRef)/float64(h.halfLife) + 0.5)
		h.Scale(math.Ldexp(1, int(exp)))
	} else {
		// Upstream starts from the zero time: the first shift scales an
		// empty histogram by 2^-(a very large number), i.e. by 0.
		h.Scale(0)
	}
	h.ref, h.refSet = newRef, true
	h.lastT, h.lastFactor = math.MinInt64, 0
	h.shifts++
}

// compiled options are shared between recommenders with equal Options.
var (
	optsMu    sync.Mutex
	optsCache = map[[4]float64]*HistogramOptions{}
)

func sharedExponentialOptions(maxValue, first, ratio, eps float64) (*HistogramOptions, error) {
	key := [4]float64{maxValue, first, ratio, eps}
	optsMu.Lock()
	defer optsMu.Unlock()
	if o, ok := optsCache[key]; ok {
		return o, nil
	}
	o, err := NewExponentialHistogramOptions(maxValue, first, ratio, eps)
	if err != nil {
		return nil, err
	}
	optsCache[key] = o
	return o, nil
}
