package vpa

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// Checkpoints: the recommender's state in the shape of upstream's
// VerticalPodAutoscalerCheckpointStatus (autoscaling.k8s.io/v1), so that it
// can be written as, and restored from, the VerticalPodAutoscalerCheckpoint
// objects the upstream recommender writes and reads. The structs below
// mirror upstream's fields one for one with plain Go types (core imports no
// Kubernetes module); kube/ converts them to and from the API objects.
//
// Semantics follow upstream v1.7 (pkg/recommender/util histogram.go and
// decaying_histogram.go, model/aggregate_container_state.go, and
// checkpoint/checkpoint_writer.go):
//
//   - Save: bucket weights from the first to the last non-empty bucket are
//     scaled so the largest becomes MaxCheckpointWeight (10000), rounded
//     half up to whole numbers, and only non-zero ones are kept; the total
//     weight is kept as a float. The decaying histogram adds its reference
//     timestamp (zero before the first sample).
//   - Load adds to the histogram: each bucket gets weight x total / (sum of
//     the checkpoint's weights), the total grows by the checkpoint's total,
//     and the first and last non-empty buckets are re-trimmed against
//     epsilon (kubernetes/autoscaler#7726). A checkpoint whose weights sum
//     to 0 adds nothing. A negative total, a negative bucket or a bucket past
//     the last one is an error. The decaying histogram then takes the
//     checkpoint's reference timestamp as is (even when it is not a multiple
//     of the half-life).
//   - Recommender.SaveToCheckpoint(now) is the checkpoint writer's
//     SaveToCheckpoint of the container's aggregate: the memory peak of the
//     aggregation window still open at now is left out (subtracted, as
//     upstream's subtractCurrentContainerMemoryPeak does), so that a restored
//     recommender does not count two peaks for one window.
//   - Recommender.LoadFromCheckpoint is upstream's LoadFromCheckpoint into a
//     fresh AggregateContainerState: version must be "v3"; sample count and
//     first and last sample times are taken as they are; the memory window
//     state (upstream's per-container ContainerState) starts empty, so the
//     next memory sample opens a new 24 h window, as after an upstream
//     restart. One difference: upstream's new ContainerState would accept a
//     CPU sample at or before the checkpoint's lastSampleStart (its own last
//     CPU time starts at zero); this port keeps one last-CPU-sample time per
//     recommender, so such a sample is dropped as out of order.
//
// Checked against upstream's own code (v1.8.1, whose checkpoint code is
// v1.7.0's unchanged), driven by a throwaway harness outside this repository
// as for the port itself: 400 decaying-histogram checkpoints (random traces
// with adds and subtracts, before and after a load and 50 more samples)
// identical in bucket weights, total weight and reference, the 1000
// percentiles read after loading them identical, and 120 container
// checkpoints (upstream's AggregateContainerState fed through a
// ContainerState, the open window's peak subtracted as its checkpoint writer
// does; saved, loaded into a fresh aggregate and container state, fed 300
// more samples, saved again) identical in every field but lastUpdateTime.
//
// What a round trip loses is the quantisation of the weights to 10000 levels
// of the largest bucket: a bucket below 1/20000 of the largest is dropped
// and the others move by at most 1/20000 of the largest bucket's weight,
// the total weight being kept. WeightLost and CheckpointWeightLost measure
// it (typically well under 0.1 % of the total; see the tests).

// MaxCheckpointWeight is the weight the largest bucket is scaled to in a
// checkpoint (upstream's MaxCheckpointWeight).
const MaxCheckpointWeight uint32 = 10000

// CheckpointVersion is the checkpoint format version written and accepted
// (upstream's SupportedCheckpointVersion).
const CheckpointVersion = "v3"

// HistogramCheckpoint mirrors upstream's HistogramCheckpoint.
type HistogramCheckpoint struct {
	// ReferenceTimestamp is the decaying histogram's reference time (zero
	// for a histogram that never had a sample, or a plain histogram).
	ReferenceTimestamp time.Time
	// BucketWeights maps bucket index to weight, the largest scaled to
	// MaxCheckpointWeight; buckets that round to 0 are absent.
	BucketWeights map[int]uint32
	// TotalWeight is the histogram's total weight (the denominator that
	// turns BucketWeights back into weights).
	TotalWeight float64
}

// Checkpoint mirrors upstream's VerticalPodAutoscalerCheckpointStatus.
type Checkpoint struct {
	// LastUpdateTime is when the checkpoint was taken.
	LastUpdateTime time.Time
	// Version is CheckpointVersion.
	Version         string
	CPUHistogram    HistogramCheckpoint
	MemoryHistogram HistogramCheckpoint
	// FirstSampleStart and LastSampleStart are the times of the first and
	// last CPU samples (zero without samples).
	FirstSampleStart time.Time
	LastSampleStart  time.Time
	// TotalSamplesCount counts the CPU samples.
	TotalSamplesCount int
}

// roundHalfUp is upstream's round: floor(x + 0.5).
func roundHalfUp(x float64) int { return int(math.Floor(x + 0.5)) }

// SaveToCheckpoint returns the histogram as a checkpoint (upstream's
// SaveToChekpoint): the weights of the buckets from the first to the last
// non-empty one, scaled so the largest is MaxCheckpointWeight and rounded,
// without the ones that round to 0.
func (h *Histogram) SaveToCheckpoint() HistogramCheckpoint {
	cp := HistogramCheckpoint{BucketWeights: map[int]uint32{}, TotalWeight: h.total}
	maxW := 0.0
	for b := int(h.minB); b <= int(h.maxB); b++ {
		maxW = math.Max(maxW, h.weight(b))
	}
	if maxW == 0 {
		// Upstream divides by 0 here and keeps nothing: every weight is 0.
		return cp
	}
	ratio := float64(MaxCheckpointWeight) / maxW
	for b := int(h.minB); b <= int(h.maxB); b++ {
		if w := roundHalfUp(h.weight(b) * ratio); w > 0 {
			cp.BucketWeights[b] = uint32(w)
		}
	}
	return cp
}

// LoadFromCheckpoint adds the checkpoint's weights to the histogram
// (upstream's LoadFromCheckpoint). On error the histogram is unchanged.
func (h *Histogram) LoadFromCheckpoint(cp *HistogramCheckpoint) error {
	if cp == nil {
		return errors.New("cannot load from an empty checkpoint")
	}
	if cp.TotalWeight < 0 || math.IsNaN(cp.TotalWeight) || math.IsInf(cp.TotalWeight, 0) {
		return fmt.Errorf("cannot load a checkpoint with total weight %v: it must be a finite number >= 0", cp.TotalWeight)
	}
	n := h.opts.numBuckets
	sum := int64(0)
	buckets := make([]int, 0, len(cp.BucketWeights))
	for b, w := range cp.BucketWeights {
		if b >= n {
			return fmt.Errorf("checkpoint has bucket %d, past the histogram's last bucket %d", b, n-1)
		}
		if b < 0 {
			return fmt.Errorf("checkpoint has a negative bucket %d", b)
		}
		sum += int64(w)
		buckets = append(buckets, b)
	}
	if sum == 0 {
		return nil
	}
	// Sorted so the window grows the same way whatever the map order.
	sort.Ints(buckets)
	ratio := cp.TotalWeight / float64(sum)
	for _, b := range buckets {
		if int32(b) < h.minB {
			h.minB = int32(b)
		}
		if int32(b) > h.maxB {
			h.maxB = int32(b)
		}
		h.w[h.slot(b)] += float64(cp.BucketWeights[b]) * ratio
	}
	h.total += cp.TotalWeight
	h.change++
	h.updateMinMax()
	return nil
}

// SaveToCheckpoint returns the histogram and its reference timestamp as a
// checkpoint.
func (h *DecayingHistogram) SaveToCheckpoint() HistogramCheckpoint {
	cp := h.Histogram.SaveToCheckpoint()
	cp.ReferenceTimestamp = h.ReferenceTimestamp()
	return cp
}

// minUnixNano and maxUnixNano bound the times a reference can take (those
// UnixNano represents).
var (
	minUnixNano = time.Unix(0, math.MinInt64)
	maxUnixNano = time.Unix(0, math.MaxInt64)
)

func checkTime(field string, t time.Time) error {
	if !t.IsZero() && (t.Before(minUnixNano) || t.After(maxUnixNano)) {
		return fmt.Errorf("%s %s is out of range (years 1678 to 2262, or zero)", field, t.Format(time.RFC3339))
	}
	return nil
}

// LoadFromCheckpoint adds the checkpoint's weights to the histogram and
// takes its reference timestamp (upstream's LoadFromCheckpoint of the
// decaying histogram). A zero reference means none yet: the next sample sets
// it, scaling earlier weights to 0 as upstream's move from the zero time
// does.
func (h *DecayingHistogram) LoadFromCheckpoint(cp *HistogramCheckpoint) error {
	if cp != nil {
		if err := checkTime("referenceTimestamp", cp.ReferenceTimestamp); err != nil {
			return err
		}
	}
	if err := h.Histogram.LoadFromCheckpoint(cp); err != nil {
		return err
	}
	if cp.ReferenceTimestamp.IsZero() {
		h.ref, h.refSet = 0, false
	} else {
		h.ref, h.refSet = cp.ReferenceTimestamp.UnixNano(), true
	}
	h.lastT, h.lastFactor = math.MinInt64, 0
	h.shifts++
	return nil
}

// clone returns a deep copy of the histogram.
func (h *DecayingHistogram) clone() *DecayingHistogram {
	c := *h
	c.w = append([]float64(nil), h.w...)
	return &c
}

// checkpointMemory is the memory histogram as upstream's checkpoint writer
// sees it at now: without the peak of the window still open.
func (r *Recommender) checkpointMemory(now time.Time) *DecayingHistogram {
	mem := r.mem.clone()
	// Upstream subtracts the open window's peak of every pod's container.
	for _, p := range append([]containerState{r.own}, r.replicas...) {
		if p.hasMem && now.UnixNano() < p.windowEnd {
			mem.SubtractSampleAt(float64(max(p.memPeak, p.oomPeak)), 1, p.windowEnd)
		}
	}
	return mem
}

func unixTime(ns int64, set bool) time.Time {
	if !set {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// SaveToCheckpoint returns the recommender's state at now as an upstream
// checkpoint status (LastUpdateTime is now). The recommender is not changed.
func (r *Recommender) SaveToCheckpoint(now time.Time) Checkpoint {
	return Checkpoint{
		LastUpdateTime:    now.UTC(),
		Version:           CheckpointVersion,
		CPUHistogram:      r.cpu.SaveToCheckpoint(),
		MemoryHistogram:   r.checkpointMemory(now).SaveToCheckpoint(),
		FirstSampleStart:  unixTime(r.first, r.hasCPU),
		LastSampleStart:   unixTime(r.last, r.hasCPU),
		TotalSamplesCount: int(r.samples),
	}
}

// LoadFromCheckpoint replaces the recommender's state (options and policy
// are kept) with the checkpoint's, as upstream loads a checkpoint into a
// fresh aggregate. On error the recommender is left empty.
func (r *Recommender) LoadFromCheckpoint(cp *Checkpoint) error {
	r.Reset()
	if cp == nil {
		return errors.New("cannot load from an empty checkpoint")
	}
	if cp.Version != CheckpointVersion {
		return fmt.Errorf("unsupported checkpoint version %q: this recommender reads %q", cp.Version, CheckpointVersion)
	}
	if cp.TotalSamplesCount < 0 {
		return fmt.Errorf("checkpoint has %d samples: the count must be >= 0", cp.TotalSamplesCount)
	}
	if err := checkTime("firstSampleStart", cp.FirstSampleStart); err != nil {
		return err
	}
	if err := checkTime("lastSampleStart", cp.LastSampleStart); err != nil {
		return err
	}
	if err := r.mem.LoadFromCheckpoint(&cp.MemoryHistogram); err != nil {
		r.Reset()
		return fmt.Errorf("memory histogram: %w", err)
	}
	if err := r.cpu.LoadFromCheckpoint(&cp.CPUHistogram); err != nil {
		r.Reset()
		return fmt.Errorf("cpu histogram: %w", err)
	}
	r.samples = int64(cp.TotalSamplesCount)
	if !cp.LastSampleStart.IsZero() {
		r.hasCPU = true
		r.last = cp.LastSampleStart.UnixNano()
		r.first = r.last
		if !cp.FirstSampleStart.IsZero() {
			r.first = cp.FirstSampleStart.UnixNano()
		}
	}
	return nil
}

// WeightLost returns the share of a's total weight that b does not hold in
// the same bucket: sum over buckets of max(0, a - b) / total(a), with b's
// weights expressed against a's reference timestamp. It is 0 when b holds
// everything a holds (and when a is empty). The histograms must share their
// bucketing scheme and half-life.
func WeightLost(a, b *DecayingHistogram) float64 {
	if a.total == 0 {
		return 0
	}
	f := 1.0
	if a.refSet && b.refSet && a.halfLife > 0 {
		f = math.Exp2(float64(b.ref-a.ref) / float64(a.halfLife))
	}
	lo := min(int(a.off), int(b.off))
	hi := max(int(a.off)+len(a.w), int(b.off)+len(b.w))
	lost := 0.0
	for k := lo; k < hi; k++ {
		if d := a.weight(k) - b.weight(k)*f; d > 0 {
			lost += d
		}
	}
	return lost / a.total
}

// CheckpointWeightLost compares r's histograms at now, as SaveToCheckpoint
// would see them, with those a fresh recommender with r's options restores
// from cp, and returns the weight lost (WeightLost) for CPU and memory.
func CheckpointWeightLost(r *Recommender, cp *Checkpoint, now time.Time) (cpu, mem float64, err error) {
	restored := &Recommender{c: r.c}
	restored.Reset()
	if err := restored.LoadFromCheckpoint(cp); err != nil {
		return 0, 0, err
	}
	return WeightLost(&r.cpu, &restored.cpu), WeightLost(r.checkpointMemory(now), &restored.mem), nil
}
