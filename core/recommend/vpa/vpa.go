package vpa

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// Name is the registry name of this recommender.
const Name = "vpa"

func init() {
	recommend.Register(Name, func(cfg recommend.Config) (recommend.Recommender, error) {
		return New(DefaultOptions(), cfg)
	})
}

// maxAmount is upstream's MaxResourceAmount (1e14 millicores or bytes).
const maxAmount = int64(1e14)

// Recommender is the upstream VPA recommender for one container. It is not
// safe for concurrent use.
type Recommender struct {
	c      *compiled
	policy model.ContainerPolicy
	// per-container floors: the pod floors divided by the container count.
	minCPU, minMem int64
	// fast: options and policy allow recommendPlain; bounded: the policy
	// has minAllowed or maxAllowed; ctl*: the policy controls the resource.
	fast, bounded, ctlCPU, ctlMem bool

	cpu DecayingHistogram
	mem DecayingHistogram

	// aggregate state (upstream AggregateContainerState): CPU samples only.
	first, last int64 // Unix ns of the first and last CPU sample
	samples     int64 // TotalSamplesCount
	hasCPU      bool
	// own is the container state of the samples fed by AddSample, replicas
	// those of AddReplicaSample by slot (upstream keeps one ContainerState
	// per pod: one memory peak per pod and window).
	own      containerState
	replicas []containerState

	// CPU percentiles followed incrementally (exact, see tracker).
	cpuTrk tracker
	// memory percentiles cached until the memory histogram changes.
	memChange uint32
	memValid  bool
	memPct    [3]float64
	// amounts after the margin, cached per percentile values.
	cpuM, memM cachedMargin
}

// containerState is upstream's ContainerState of one pod's container: its
// last samples and its memory peak in the current aggregation window.
type containerState struct {
	lastCPU   int64 // Unix ns of the last CPU sample
	lastMem   int64 // Unix ns of the last memory sample
	windowEnd int64 // end of the current memory aggregation window
	memPeak   int64 // usage peak in the window, bytes
	oomPeak   int64 // OOM-derived peak in the window, bytes
	hasCPU    bool
	hasMem    bool
}

// cachedMargin caches percentile -> amount -> amount with margin.
type cachedMargin struct {
	pct [3]float64
	m   [3]int64
	ok  bool
}

// New returns a recommender with options o for the container described by
// cfg (ContainersInPod splits the pod floors; Policy caps the result).
func New(o Options, cfg recommend.Config) (*Recommender, error) {
	c, err := compile(o)
	if err != nil {
		return nil, err
	}
	n := cfg.ContainersInPod
	if n < 0 {
		return nil, fmt.Errorf("containers in pod is %d: use 1 or more (0 means 1)", n)
	}
	if n == 0 {
		n = 1
	}
	r := &Recommender{c: c, policy: cfg.Policy}
	fraction := 1 / float64(n)
	r.minCPU = scaleAmount(amountFromFloat(o.PodMinCPUMillicores*0.001*1000), fraction)
	r.minMem = scaleAmount(amountFromFloat(o.PodMinMemoryMiB*1024*1024), fraction)
	p := cfg.Policy
	r.fast = c.plain && !p.Off
	r.bounded = !p.MinAllowed.IsZero() || !p.MaxAllowed.IsZero()
	r.ctlCPU, r.ctlMem = p.Controls(model.CPU), p.Controls(model.Memory)
	r.Reset()
	return r, nil
}

// Reset forgets every sample, keeping options and policy.
func (r *Recommender) Reset() {
	keep := *r
	*r = Recommender{c: keep.c, policy: keep.policy, minCPU: keep.minCPU, minMem: keep.minMem,
		fast: keep.fast, bounded: keep.bounded, ctlCPU: keep.ctlCPU, ctlMem: keep.ctlMem}
	c := r.c
	r.cpu.init(c.cpuOpts, c.CPUHalfLife)
	r.mem.init(c.memOpts, c.MemoryHalfLife)
	r.cpuTrk.p = c.cpuPct
}

// Name implements recommend.Recommender.
func (r *Recommender) Name() string { return Name }

// Options returns the recommender's options.
func (r *Recommender) Options() Options { return r.c.Options }

// amountFromFloat is upstream's resourceAmountFromFloat: truncation to a
// whole millicore or byte, clamped to [0, 1e14]. NaN (0 * Inf when an empty
// histogram meets zero confidence) becomes 0 where upstream's conversion is
// platform-defined; the floors then apply as upstream's do.
func amountFromFloat(x float64) int64 {
	if x > float64(maxAmount) {
		return maxAmount
	}
	if !(x >= 0) {
		return 0
	}
	return int64(x)
}

func scaleAmount(a int64, f float64) int64 { return amountFromFloat(float64(a) * f) }

// windowLength is the history after which the aggregate expires.
func (r *Recommender) windowLength() int64 { return r.c.windowNs }

// AddSample implements recommend.Recommender. As upstream, a CPU sample not
// newer than the last one and a memory sample older than the last one are
// dropped, and so are negative or NaN values. CPU is truncated to whole
// millicores and memory to whole bytes, as upstream's ResourceAmount is.
// The samples are those of one pod's container (see AddReplicaSample).
func (r *Recommender) AddSample(s model.Sample) {
	r.expire(s.Time.UnixNano())
	r.add(&r.own, s)
}

// AddReplicaSample implements recommend.ReplicaRecommender: the sample of
// the pod in slot, with that pod's own last samples and memory window, as
// upstream keeps a ContainerState per pod feeding one aggregate. start
// begins a new pod in the slot.
func (r *Recommender) AddReplicaSample(slot int, start bool, s model.Sample) {
	r.expire(s.Time.UnixNano())
	r.add(r.replica(slot, start), s)
}

// AddReplicaOOM implements recommend.ReplicaRecommender: RecordOOM on the
// killed pod's container state (its own memory peak).
func (r *Recommender) AddReplicaOOM(slot int, start bool, e model.OOMEvent) {
	r.oom(r.replica(slot, start), e)
}

// replica returns the container state of slot, fresh when start.
func (r *Recommender) replica(slot int, start bool) *containerState {
	slot = max(slot, 0)
	if slot >= len(r.replicas) {
		r.replicas = append(r.replicas, make([]containerState, slot+1-len(r.replicas))...)
	}
	if start {
		r.replicas[slot] = containerState{}
	}
	return &r.replicas[slot]
}

// expire resets the recommender when its aggregate had no sample for the
// whole memory aggregation window before t: upstream garbage-collects it
// and the next sample starts afresh.
func (r *Recommender) expire(t int64) {
	if r.hasCPU && t-r.last >= r.windowLength() {
		r.Reset()
	}
}

func (r *Recommender) add(p *containerState, s model.Sample) {
	t := s.Time.UnixNano()
	if s.CPUMillicores >= 0 && (!p.hasCPU || t > p.lastCPU) {
		cores := float64(amountFromFloat(s.CPUMillicores)) / 1000
		// Upstream v1.7 weighs every CPU sample by minSampleWeight.
		b, dw := r.cpu.addAt(cores, r.c.MinSampleWeight, t)
		r.cpuTrk.onAdd(&r.cpu, int32(b), dw)
		if !r.hasCPU || t < r.first {
			r.first = t
		}
		if !r.hasCPU || t > r.last {
			r.last = t
		}
		r.hasCPU = true
		r.samples++
		p.lastCPU, p.hasCPU = t, true
	}
	if s.MemoryBytes >= 0 && (!p.hasMem || t >= p.lastMem) {
		r.addMemory(p, t, amountFromFloat(s.MemoryBytes), false)
	}
}

// addMemory is upstream's ContainerState.addMemorySample: one peak per
// aggregation window, stored at the window's end; a larger value in the same
// window replaces the peak (subtract the old, add the new).
func (r *Recommender) addMemory(p *containerState, t, usage int64, isOOM bool) {
	p.lastMem = t
	if !p.hasMem {
		p.windowEnd = t
		p.hasMem = true
	}
	addNew := false
	if t < p.windowEnd {
		old := max(p.memPeak, p.oomPeak)
		if old != 0 && usage > old {
			r.mem.SubtractSampleAt(float64(old), 1, p.windowEnd)
			addNew = true
		}
	} else {
		iv := int64(r.c.MemoryAggregationInterval)
		p.windowEnd += (t-p.windowEnd)/iv*iv + iv
		p.memPeak, p.oomPeak = 0, 0
		addNew = true
	}
	if addNew {
		r.mem.AddSampleAt(float64(usage), 1, p.windowEnd)
		if isOOM {
			p.oomPeak = usage
		} else {
			p.memPeak = usage
		}
	}
}

// AddOOM implements recommend.Recommender with upstream's RecordOOM: an OOM
// older than the current window's start is ignored; otherwise a memory sample
// of max(used + OOMMinBumpUpBytes, used * OOMBumpUpRatio) is recorded, where
// used = max(request at the kill, the window's usage peak). As upstream,
// e.MemoryUsageBytes is not used (the usage peak already holds what was seen).
func (r *Recommender) AddOOM(e model.OOMEvent) { r.oom(&r.own, e) }

func (r *Recommender) oom(p *containerState, e model.OOMEvent) {
	t := e.Time.UnixNano()
	if p.hasMem && t < p.windowEnd-int64(r.c.MemoryAggregationInterval) {
		return
	}
	used := max(amountFromFloat(e.MemoryRequestBytes), p.memPeak)
	needed := max(used+amountFromFloat(r.c.OOMMinBumpUpBytes), scaleAmount(used, r.c.OOMBumpUpRatio))
	r.addMemory(p, t, needed, true)
}

// confidence is upstream's getConfidence for one resource's interval.
func (r *Recommender) confidence(interval time.Duration) float64 {
	span := float64(r.last-r.first) / float64(interval)
	n := float64(r.samples) / interval.Minutes()
	return math.Min(span, n)
}

// confidenceFactor is (1 + m/conf)^e. For the exponents upstream uses, 1 and
// -2, it is computed without math.Pow with the same result bit for bit (Pow
// squares the mantissa and inverts, as 1/(x*x) does).
func confidenceFactor(m, e, conf float64) float64 {
	x := 1 + m/conf
	switch e {
	case 1:
		return x
	case -2:
		return 1 / (x * x)
	}
	return math.Pow(x, e)
}

// estimate is upstream's estimator chain for one resource: percentile ->
// margin -> confidence multiplier (bounds) -> floor. pct holds the lower,
// target and upper percentiles in the histogram's unit; unit converts them
// to millicores or bytes.
type estimate struct {
	pct                  [3]float64
	lower, target, upper int64
	conf                 float64
	floored              [3]bool
	lowerF, upperF       float64 // confidence factors
}

func (r *Recommender) estimate(pct [3]float64, unit float64, conf float64, floor int64) estimate {
	var cm cachedMargin
	return r.estimateCached(&cm, pct, unit, conf, floor)
}

func (r *Recommender) estimateCached(cm *cachedMargin, pct [3]float64, unit float64, conf float64, floor int64) estimate {
	o := &r.c.Options
	e := estimate{pct: pct, conf: conf}
	if !cm.ok || cm.pct != pct {
		cm.set(pct, unit, o.SafetyMargin)
	}
	m := cm.m
	e.lowerF = confidenceFactor(o.LowerMultiplier, o.LowerExponent, conf)
	e.upperF = confidenceFactor(o.UpperMultiplier, o.UpperExponent, conf)
	v := [3]int64{scaleAmount(m[0], e.lowerF), m[1], scaleAmount(m[2], e.upperF)}
	for i := range v {
		if v[i] < floor {
			v[i] = floor
			e.floored[i] = true
		}
	}
	e.lower, e.target, e.upper = v[0], v[1], v[2]
	return e
}

func (r *Recommender) estimates() (cpu, mem estimate) {
	var cpuPct [3]float64
	if r.c.cpuAscending {
		cpuPct = r.cpuTrk.percentiles(&r.cpu)
	} else {
		cpuPct = r.cpu.Percentiles3(r.c.cpuPct)
	}
	if !r.memValid || r.mem.change != r.memChange {
		r.memPct = r.mem.Percentiles3(r.c.memPct)
		r.memChange, r.memValid = r.mem.change, true
	}
	cpuConf := r.confidence(r.c.CPUConfidenceInterval)
	memConf := cpuConf
	if r.c.MemoryConfidenceInterval != r.c.CPUConfidenceInterval {
		memConf = r.confidence(r.c.MemoryConfidenceInterval)
	}
	cpu = r.estimateCached(&r.cpuM, cpuPct, 1000, cpuConf, r.minCPU)
	mem = r.estimateCached(&r.memM, r.memPct, 1, memConf, r.minMem)
	return cpu, mem
}

func roundUp(a, scale int64) int64 {
	if scale == 1 || a == 0 {
		return a
	}
	return int64(math.Ceil(float64(a)/float64(scale))) * scale
}

// capped applies upstream's container policy to one value: minAllowed, then
// maxAllowed (which wins); a zero bound is unset. It reports which applied.
func capped(v, minA, maxA float64) (out float64, capMin, capMax bool) {
	out = v
	if minA > 0 && out < minA {
		out, capMin = minA, true
	}
	if maxA > 0 && out > maxA {
		out, capMax = maxA, true
	}
	return out, capMin, capMax
}

// Recommend implements recommend.Recommender. ok is false before the first
// CPU sample (upstream counts CPU samples only), when the policy turns the
// container off, and when the history expired (no sample for
// MemoryAggregationInterval x MemoryAggregationIntervalCount before now).
func (r *Recommender) Recommend(now time.Time) (model.Recommendation, bool) {
	if !r.ready(now) {
		return model.Recommendation{}, false
	}
	if r.fast {
		return r.recommendPlain(), true
	}
	return r.recommendGeneral(), true
}

// recommendGeneral is the estimator chain followed by policy, rounding and
// caps, step by step (also what Explain reports).
func (r *Recommender) recommendGeneral() model.Recommendation {
	cpu, mem := r.estimates()
	rec, _ := r.finish(cpu, mem, false)
	return rec
}

// recommendPlain is recommendGeneral for the common case: default
// percentile order, equal confidence intervals, no rounding, policy on. It
// computes the same numbers
// (a test checks it against recommendGeneral) with less bookkeeping: the
// margin amounts are cached per percentile values and only the confidence
// factors change from one sample to the next.
func (r *Recommender) recommendPlain() model.Recommendation {
	c := r.c
	cpuPct := r.cpuTrk.percentiles(&r.cpu)
	if !r.memValid || r.mem.change != r.memChange {
		r.memPct = r.mem.Percentiles3(c.memPct)
		r.memChange, r.memValid = r.mem.change, true
	}
	if !r.cpuM.ok || r.cpuM.pct != cpuPct {
		r.cpuM.set(cpuPct, 1000, c.SafetyMargin)
	}
	if !r.memM.ok || r.memM.pct != r.memPct {
		r.memM.set(r.memPct, 1, c.SafetyMargin)
	}
	span := float64(r.last-r.first) / c.cpuIntervalNs
	conf := float64(r.samples) / c.cpuIntervalMin
	if span < conf {
		conf = span
	}
	lf := confidenceFactor(c.LowerMultiplier, c.LowerExponent, conf)
	uf := confidenceFactor(c.UpperMultiplier, c.UpperExponent, conf)
	var rec model.Recommendation
	rec.Lower.CPUMillicores = float64(max(scaleAmount(r.cpuM.m[0], lf), r.minCPU))
	rec.Target.CPUMillicores = float64(max(r.cpuM.m[1], r.minCPU))
	rec.Upper.CPUMillicores = float64(max(scaleAmount(r.cpuM.m[2], uf), r.minCPU))
	rec.Lower.MemoryBytes = float64(max(scaleAmount(r.memM.m[0], lf), r.minMem))
	rec.Target.MemoryBytes = float64(max(r.memM.m[1], r.minMem))
	rec.Upper.MemoryBytes = float64(max(scaleAmount(r.memM.m[2], uf), r.minMem))
	rec.UncappedTarget = rec.Target
	if r.bounded {
		minA, maxA := r.policy.MinAllowed, r.policy.MaxAllowed
		rec.Lower.CPUMillicores, _, _ = capped(rec.Lower.CPUMillicores, minA.CPUMillicores, maxA.CPUMillicores)
		rec.Target.CPUMillicores, _, _ = capped(rec.Target.CPUMillicores, minA.CPUMillicores, maxA.CPUMillicores)
		rec.Upper.CPUMillicores, _, _ = capped(rec.Upper.CPUMillicores, minA.CPUMillicores, maxA.CPUMillicores)
		rec.Lower.MemoryBytes, _, _ = capped(rec.Lower.MemoryBytes, minA.MemoryBytes, maxA.MemoryBytes)
		rec.Target.MemoryBytes, _, _ = capped(rec.Target.MemoryBytes, minA.MemoryBytes, maxA.MemoryBytes)
		rec.Upper.MemoryBytes, _, _ = capped(rec.Upper.MemoryBytes, minA.MemoryBytes, maxA.MemoryBytes)
	}
	if !r.ctlCPU {
		rec.Lower.CPUMillicores, rec.Target.CPUMillicores, rec.Upper.CPUMillicores, rec.UncappedTarget.CPUMillicores = 0, 0, 0, 0
	}
	if !r.ctlMem {
		rec.Lower.MemoryBytes, rec.Target.MemoryBytes, rec.Upper.MemoryBytes, rec.UncappedTarget.MemoryBytes = 0, 0, 0, 0
	}
	return rec
}

func (cm *cachedMargin) set(pct [3]float64, unit, margin float64) {
	for i := range pct {
		b := amountFromFloat(pct[i] * unit)
		cm.m[i] = b + scaleAmount(b, margin)
	}
	cm.pct, cm.ok = pct, true
}

func (r *Recommender) ready(now time.Time) bool {
	if r.samples == 0 || r.policy.Off {
		return false
	}
	return now.UnixNano()-r.last < r.c.windowNs
}

// finish rounds, filters controlled resources and caps; with explain, caps
// lists the caps applied per resource.
func (r *Recommender) finish(cpu, mem estimate, explain bool) (rec model.Recommendation, caps [2][]string) {
	for i, res := range model.AllResources {
		if !r.policy.Controls(res) {
			continue
		}
		e, round := cpu, r.c.RoundCPUMillicores
		if res == model.Memory {
			e, round = mem, r.c.RoundMemoryBytes
		}
		lo := float64(roundUp(e.lower, round))
		tg := float64(roundUp(e.target, round))
		up := float64(roundUp(e.upper, round))
		rec.UncappedTarget = rec.UncappedTarget.Set(res, tg)
		minA, maxA := r.policy.MinAllowed.Get(res), r.policy.MaxAllowed.Get(res)
		var c1, c2, c3, m1, m2, m3 bool
		lo, c1, m1 = capped(lo, minA, maxA)
		tg, c2, m2 = capped(tg, minA, maxA)
		up, c3, m3 = capped(up, minA, maxA)
		rec.Lower = rec.Lower.Set(res, lo)
		rec.Target = rec.Target.Set(res, tg)
		rec.Upper = rec.Upper.Set(res, up)
		if explain && (c1 || c2 || c3) {
			caps[i] = append(caps[i], fmt.Sprintf("minAllowed %s", formatAmount(res, minA)))
		}
		if explain && (m1 || m2 || m3) {
			caps[i] = append(caps[i], fmt.Sprintf("maxAllowed %s", formatAmount(res, maxA)))
		}
	}
	return rec, caps
}

func formatAmount(res model.Resource, v float64) string {
	if res == model.CPU {
		return fmt.Sprintf("%.0fm", v)
	}
	return fmt.Sprintf("%.0fMi", v/model.MiB)
}

// Explain implements recommend.Recommender: the percentiles, sample count,
// history span, confidence, margin and the caps and floors applied.
func (r *Recommender) Explain(now time.Time) recommend.Explanation {
	ex := recommend.Explanation{Recommender: Name}
	switch {
	case r.policy.Off:
		ex.Notes = append(ex.Notes, "container policy is off: no recommendation")
		return ex
	case r.samples == 0:
		ex.Notes = append(ex.Notes, "no CPU sample yet: no recommendation")
		return ex
	case !r.ready(now):
		ex.Notes = append(ex.Notes, fmt.Sprintf("history expired: no sample for %s", time.Duration(r.windowLength())))
		return ex
	}
	cpu, mem := r.estimates()
	_, caps := r.finish(cpu, mem, true)
	span := time.Duration(r.last - r.first)
	ex.Resources = map[model.Resource]recommend.Evidence{}
	for i, res := range model.AllResources {
		if !r.policy.Controls(res) {
			ex.Notes = append(ex.Notes, fmt.Sprintf("%s is not a controlled resource", res))
			continue
		}
		e, pct, floor := cpu, r.c.cpuPct, r.minCPU
		if res == model.Memory {
			e, pct, floor = mem, r.c.memPct, r.minMem
		}
		ev := recommend.Evidence{
			LowerPercentile: pct[0], TargetPercentile: pct[1], UpperPercentile: pct[2],
			SampleCount: float64(r.samples), HistorySpan: span, Confidence: e.conf,
			Margin: r.c.SafetyMargin,
		}
		names := [3]string{"lower", "target", "upper"}
		var floored []string
		for k, f := range e.floored {
			if f {
				floored = append(floored, names[k])
			}
		}
		if len(floored) > 0 {
			ev.CapsApplied = append(ev.CapsApplied, fmt.Sprintf("pod minimum %s on %s", formatAmount(res, float64(floor)), strings.Join(floored, ", ")))
		}
		if e.upper >= maxAmount {
			ev.CapsApplied = append(ev.CapsApplied, "upper bound at the maximum amount (no confidence yet)")
		}
		ev.CapsApplied = append(ev.CapsApplied, caps[i]...)
		ex.Resources[res] = ev
		unit := "cores"
		h := &r.cpu
		if res == model.Memory {
			unit, h = "bytes", &r.mem
		}
		lo, hi := h.BucketRange()
		ex.Notes = append(ex.Notes, fmt.Sprintf("%s: p%g/p%g/p%g = %.4g/%.4g/%.4g %s (bucket ends), lower x%.4f, upper x%.4f, histogram weight %.4g in buckets %d..%d",
			res, pct[0]*100, pct[1]*100, pct[2]*100, e.pct[0], e.pct[1], e.pct[2], unit, e.lowerF, e.upperF, h.TotalWeight(), lo, hi))
	}
	if r.own.hasMem {
		ex.Notes = append(ex.Notes, fmt.Sprintf("memory peaks: one per %s window, current window ends %s", r.c.MemoryAggregationInterval, time.Unix(0, r.own.windowEnd).UTC().Format(time.RFC3339)))
	}
	if n := len(r.replicas); n > 0 {
		ex.Notes = append(ex.Notes, fmt.Sprintf("memory peaks: one per pod and %s window (%d pod slots)", r.c.MemoryAggregationInterval, n))
	}
	return ex
}
