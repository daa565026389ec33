package vpa

// tracker follows three percentiles of a histogram that only grows (CPU:
// samples are added, never subtracted), so that a recommendation per sample
// costs a few comparisons instead of a scan of every bucket.
//
// It gives exactly upstream's answer. Upstream's percentile is the first
// bucket k from minBucket (below maxBucket) whose running sum P(k), summed
// bucket by bucket in float64, reaches p x total. The tracker keeps, per
// percentile, a bucket k and s ~ P(k) updated incrementally, so s may differ
// from upstream's P(k) by rounding: at most delta = (ops + buckets + 8) x
// 2.3e-16 x total, where ops counts the incremental updates since s was last
// computed by an exact scan. A k is accepted only when s clears the
// threshold by more than delta on both sides (P(k) >= t and P(k-1) < t are
// then certain); otherwise, after 4096 updates, after any move of the
// minimum or maximum bucket, or after the decay reference moves, the three
// values are recomputed by an exact upstream scan.
type tracker struct {
	p      [3]float64
	k      [3]int32 // bucket of each percentile, relative to minB
	s      [3]float64
	vals   [3]float64 // the percentile values of the buckets k
	ops    uint32
	valid  bool
	minB   int32
	maxB   int32
	span   uint32 // maxB - minB + 8, for the rounding bound
	shifts uint32
}

// roundingUnit bounds the relative rounding error of one float64 addition
// (2^-53 ~ 1.1e-16), doubled for safety.
const roundingUnit = 2.3e-16

// onAdd records that weight dw was added to bucket b of h (already applied).
func (tr *tracker) onAdd(h *DecayingHistogram, b int32, dw float64) {
	if !tr.valid {
		return
	}
	if h.minB != tr.minB || h.maxB != tr.maxB || h.shifts != tr.shifts {
		tr.valid = false
		return
	}
	rel := b - tr.minB
	if rel < 0 {
		// Below the first non-empty bucket: upstream's running sums skip it.
		return
	}
	if rel <= tr.k[0] {
		tr.s[0] += dw
	}
	if rel <= tr.k[1] {
		tr.s[1] += dw
	}
	if rel <= tr.k[2] {
		tr.s[2] += dw
	}
	tr.ops++
}

// sync recomputes k and s with an exact upstream scan.
func (tr *tracker) sync(h *DecayingHistogram) {
	tr.minB, tr.maxB, tr.shifts = h.minB, h.maxB, h.shifts
	tr.ops = 0
	tr.valid = !h.IsEmpty()
	if !tr.valid {
		tr.vals = [3]float64{}
		return
	}
	tr.span = uint32(h.maxB-h.minB) + 8
	b := int(h.minB)
	w := h.w[b-int(h.off) : int(h.maxB)-int(h.off)+1]
	last := len(w) - 1
	k := 0
	sum := w[0]
	for j := range tr.p {
		t := tr.p[j] * h.total
		for k < last && sum < t {
			k++
			sum += w[k]
		}
		tr.k[j], tr.s[j] = int32(k), sum
		tr.vals[j] = h.end(b + k)
	}
}

// percentiles returns the three percentiles, equal to h.Percentiles3(tr.p).
func (tr *tracker) percentiles(h *DecayingHistogram) [3]float64 {
	if !tr.valid || tr.ops > 4096 || h.minB != tr.minB || h.maxB != tr.maxB || h.shifts != tr.shifts {
		tr.sync(h)
		return tr.vals
	}
	total := h.total
	delta := float64(tr.ops+tr.span) * roundingUnit * total
	w := h.w[tr.minB-h.off : tr.maxB-h.off+1]
	last := int32(len(w) - 1)
	for j := range tr.k {
		t := tr.p[j] * total
		k, s := tr.k[j], tr.s[j]
		if (k == last || s-t > delta) && (k == 0 || t-(s-w[k]) > delta) {
			continue // still certain
		}
		for k < last && s < t {
			k++
			s += w[k]
			tr.ops++
		}
		for k > 0 && s-w[k] >= t {
			s -= w[k]
			k--
			tr.ops++
		}
		if (k < last && s-t <= delta) || (k > 0 && t-(s-w[k]) <= delta) {
			// Too close to call against upstream's own rounding: scan.
			tr.sync(h)
			return tr.vals
		}
		tr.k[j], tr.s[j] = k, s
		tr.vals[j] = h.end(int(tr.minB + k))
	}
	return tr.vals
}
