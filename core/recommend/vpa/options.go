package vpa

import (
	"fmt"
	"math"
	"time"
)

// Options are the parameters of the upstream recommender; DefaultOptions
// returns upstream's defaults. The upstream flag or constant each field
// mirrors is named in its comment.
type Options struct {
	// CPU histogram: exponential buckets in cores (upstream
	// cpuHistogramOptions: max 1000 cores, first bucket 0.01 core).
	CPUMaxCores         float64
	CPUFirstBucketCores float64
	// Memory histogram: exponential buckets in bytes (max 1e12, first 1e7).
	MemoryMaxBytes         float64
	MemoryFirstBucketBytes float64
	// BucketGrowth: each bucket is this fraction wider than the previous
	// one (HistogramBucketSizeGrowth, 0.05: ratio 1.05).
	BucketGrowth float64
	// Epsilon is the weight below which a bucket is empty (0.001 * minSampleWeight).
	Epsilon float64
	// MinSampleWeight is the weight of every CPU sample (minSampleWeight,
	// 0.1; see the package doc on request weighting).
	MinSampleWeight float64
	// Decay half-lives (--cpu-histogram-decay-half-life,
	// --memory-histogram-decay-half-life, 24h).
	CPUHalfLife    time.Duration
	MemoryHalfLife time.Duration
	// Memory peaks are aggregated per interval (--memory-aggregation-interval,
	// 24h); the history expires after IntervalCount intervals without samples
	// (--memory-aggregation-interval-count, 8).
	MemoryAggregationInterval      time.Duration
	MemoryAggregationIntervalCount int
	// Percentiles (--target-cpu-percentile 0.9,
	// --recommendation-lower-bound-cpu-percentile 0.5,
	// --recommendation-upper-bound-cpu-percentile 0.95, and the memory ones).
	TargetCPUPercentile    float64
	LowerCPUPercentile     float64
	UpperCPUPercentile     float64
	TargetMemoryPercentile float64
	LowerMemoryPercentile  float64
	UpperMemoryPercentile  float64
	// SafetyMargin is added to every estimate (--recommendation-margin-fraction, 0.15).
	SafetyMargin float64
	// Confidence intervals (--confidence-interval-cpu/-memory, 24h): the
	// confidence is min(history span / interval, samples / interval in minutes).
	CPUConfidenceInterval    time.Duration
	MemoryConfidenceInterval time.Duration
	// Bound multipliers: upper x (1 + UpperMultiplier/conf)^UpperExponent,
	// lower x (1 + LowerMultiplier/conf)^LowerExponent (1, 1 and 0.001, -2).
	UpperMultiplier float64
	UpperExponent   float64
	LowerMultiplier float64
	LowerExponent   float64
	// Pod floors, split evenly across the pod's containers
	// (--pod-recommendation-min-cpu-millicores 25,
	// --pod-recommendation-min-memory-mb 250, in MiB).
	PodMinCPUMillicores float64
	PodMinMemoryMiB     float64
	// OOM bump-up: a sample of max(used + OOMMinBumpUpBytes, used * OOMBumpUpRatio)
	// (--oom-bump-up-ratio 1.2, --oom-min-bump-up-bytes 100 MiB).
	OOMBumpUpRatio    float64
	OOMMinBumpUpBytes float64
	// Rounding up of every value to a multiple (--round-cpu-millicores 1,
	// --round-memory-bytes 1; 1 means no rounding).
	RoundCPUMillicores int64
	RoundMemoryBytes   int64
}

// DefaultOptions returns the upstream defaults.
func DefaultOptions() Options {
	return Options{
		CPUMaxCores:                    1000,
		CPUFirstBucketCores:            0.01,
		MemoryMaxBytes:                 1e12,
		MemoryFirstBucketBytes:         1e7,
		BucketGrowth:                   0.05,
		Epsilon:                        0.001 * 0.1,
		MinSampleWeight:                0.1,
		CPUHalfLife:                    24 * time.Hour,
		MemoryHalfLife:                 24 * time.Hour,
		MemoryAggregationInterval:      24 * time.Hour,
		MemoryAggregationIntervalCount: 8,
		TargetCPUPercentile:            0.9,
		LowerCPUPercentile:             0.5,
		UpperCPUPercentile:             0.95,
		TargetMemoryPercentile:         0.9,
		LowerMemoryPercentile:          0.5,
		UpperMemoryPercentile:          0.95,
		SafetyMargin:                   0.15,
		CPUConfidenceInterval:          24 * time.Hour,
		MemoryConfidenceInterval:       24 * time.Hour,
		UpperMultiplier:                1,
		UpperExponent:                  1,
		LowerMultiplier:                0.001,
		LowerExponent:                  -2,
		PodMinCPUMillicores:            25,
		PodMinMemoryMiB:                250,
		OOMBumpUpRatio:                 1.2,
		OOMMinBumpUpBytes:              100 * 1024 * 1024,
		RoundCPUMillicores:             1,
		RoundMemoryBytes:               1,
	}
}

// Validate reports the first option out of range.
func (o Options) Validate() error {
	pos := []struct {
		name string
		v    float64
	}{
		{"cpu max cores", o.CPUMaxCores}, {"cpu first bucket", o.CPUFirstBucketCores},
		{"memory max bytes", o.MemoryMaxBytes}, {"memory first bucket", o.MemoryFirstBucketBytes},
		{"bucket growth", o.BucketGrowth}, {"epsilon", o.Epsilon},
		{"cpu half-life", float64(o.CPUHalfLife)}, {"memory half-life", float64(o.MemoryHalfLife)},
		{"memory aggregation interval", float64(o.MemoryAggregationInterval)},
		{"memory aggregation interval count", float64(o.MemoryAggregationIntervalCount)},
		{"cpu confidence interval", float64(o.CPUConfidenceInterval)},
		{"memory confidence interval", float64(o.MemoryConfidenceInterval)},
		{"oom bump-up ratio", o.OOMBumpUpRatio},
		{"cpu rounding", float64(o.RoundCPUMillicores)}, {"memory rounding", float64(o.RoundMemoryBytes)},
	}
	for _, p := range pos {
		if !(p.v > 0) || math.IsInf(p.v, 0) {
			return fmt.Errorf("vpa option %s is %v: use a positive number", p.name, p.v)
		}
	}
	nonneg := []struct {
		name string
		v    float64
	}{
		{"min sample weight", o.MinSampleWeight}, {"safety margin", o.SafetyMargin},
		{"upper multiplier", o.UpperMultiplier}, {"lower multiplier", o.LowerMultiplier},
		{"pod min cpu", o.PodMinCPUMillicores}, {"pod min memory", o.PodMinMemoryMiB},
		{"oom min bump-up", o.OOMMinBumpUpBytes},
	}
	for _, p := range nonneg {
		if !(p.v >= 0) || math.IsInf(p.v, 0) {
			return fmt.Errorf("vpa option %s is %v: use 0 or more", p.name, p.v)
		}
	}
	pct := []struct {
		name string
		v    float64
	}{
		{"target cpu percentile", o.TargetCPUPercentile}, {"lower cpu percentile", o.LowerCPUPercentile},
		{"upper cpu percentile", o.UpperCPUPercentile}, {"target memory percentile", o.TargetMemoryPercentile},
		{"lower memory percentile", o.LowerMemoryPercentile}, {"upper memory percentile", o.UpperMemoryPercentile},
	}
	for _, p := range pct {
		if !(p.v >= 0 && p.v <= 1) {
			return fmt.Errorf("vpa option %s is %v: use a fraction in [0, 1]", p.name, p.v)
		}
	}
	if math.IsNaN(o.UpperExponent) || math.IsNaN(o.LowerExponent) {
		return fmt.Errorf("vpa option confidence exponent is NaN: use a number")
	}
	return nil
}

// compiled is what a recommender needs from Options, computed once per
// distinct Options and shared.
type compiled struct {
	Options
	cpuOpts, memOpts *HistogramOptions
	cpuPct, memPct   [3]float64 // lower, target, upper
	cpuAscending     bool       // lower <= target <= upper CPU percentiles
	// plain: the options allow recommendPlain (see there).
	plain bool
	// windowNs is the expiry: interval x interval count.
	windowNs int64
	// the CPU confidence interval in ns and in minutes, as floats.
	cpuIntervalNs, cpuIntervalMin float64
}

var compiledCache = map[Options]*compiled{}

func compile(o Options) (*compiled, error) {
	optsMu.Lock()
	c, ok := compiledCache[o]
	optsMu.Unlock()
	if ok {
		return c, nil
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cpu, err := sharedExponentialOptions(o.CPUMaxCores, o.CPUFirstBucketCores, 1+o.BucketGrowth, o.Epsilon)
	if err != nil {
		return nil, fmt.Errorf("vpa cpu histogram: %w", err)
	}
	mem, err := sharedExponentialOptions(o.MemoryMaxBytes, o.MemoryFirstBucketBytes, 1+o.BucketGrowth, o.Epsilon)
	if err != nil {
		return nil, fmt.Errorf("vpa memory histogram: %w", err)
	}
	c = &compiled{
		Options: o, cpuOpts: cpu, memOpts: mem,
		cpuPct: [3]float64{o.LowerCPUPercentile, o.TargetCPUPercentile, o.UpperCPUPercentile},
		memPct: [3]float64{o.LowerMemoryPercentile, o.TargetMemoryPercentile, o.UpperMemoryPercentile},
	}
	c.cpuAscending = c.cpuPct[0] <= c.cpuPct[1] && c.cpuPct[1] <= c.cpuPct[2]
	c.windowNs = int64(o.MemoryAggregationInterval) * int64(o.MemoryAggregationIntervalCount)
	c.cpuIntervalNs = float64(o.CPUConfidenceInterval)
	c.cpuIntervalMin = o.CPUConfidenceInterval.Minutes()
	c.plain = c.cpuAscending && o.CPUConfidenceInterval == o.MemoryConfidenceInterval &&
		o.RoundCPUMillicores == 1 && o.RoundMemoryBytes == 1
	optsMu.Lock()
	compiledCache[o] = c
	optsMu.Unlock()
	return c, nil
}
