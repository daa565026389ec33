// Package vpa is a faithful port of the upstream Kubernetes Vertical Pod
// Autoscaler recommender (kubernetes/autoscaler, checked against the tag
// vertical-pod-autoscaler-1.7.0:
// pkg/recommender/util histograms, model aggregate and container state,
// logic estimators and recommender), for one container. It registers itself
// as "vpa" in the recommend registry. Every parameter is an Options field with
// the upstream default (DefaultOptions).
//
// Beyond the unit tests that reproduce upstream's published expectations,
// the port was checked against upstream's own v1.7.0 code (model and logic
// packages driven by a throwaway harness outside this repository, since core
// may not import Kubernetes modules): 82,630 recommendations over six traces
// (constant, sine, steps with OOMs, log-normal at 30 s, 130 days at 10 min
// with reference moves, 47 s steps) were identical in all six numbers.
//
// What is reproduced, and how:
//
//   - Histograms: exponential buckets (CPU: first bucket 0.01 core, max 1000
//     cores; memory: first 1e7 bytes, max 1e12 bytes; ratio 1.05; epsilon
//     1e-4). A percentile is the end of the bucket, from the first non-empty
//     one, at which the running weight reaches p x total (no interpolation);
//     emptiness, min/max bucket tracking and subtraction (a weight left below
//     epsilon becomes 0) follow upstream.
//     A proposed 0.001-core first CPU bucket (kubernetes/autoscaler#7554) is
//     not merged; the default stays 0.01 as in v1.7.0 and issue 4
//     (Options.CPUFirstBucketCores changes it).
//   - Decay: weights grow as 2^((t - reference) / half-life), half-life 24 h.
//     The reference starts at the zero time, so the first sample moves it;
//     it moves again when a sample is more than 100 half-lives after it. It
//     moves to the sample time rounded to a multiple of the half-life with
//     time.Time.Round (half-way rounds up, multiples counted from the zero
//     time, i.e. midnights UTC for 24 h), and all weights are scaled by
//     2^round((old - new) / half-life).
//   - CPU sample weight: every CPU sample weighs 0.1 (MinSampleWeight), as
//     upstream v1.7's addCPUSample does. (Older releases weighed a sample by
//     max(request in cores, 0.1) but were fed a zero request,
//     kubernetes/autoscaler#7818, so the weight was 0.1 there too.)
//   - Memory: one peak per 24 h aggregation window, added at the window's
//     end; a larger sample in the same window subtracts the old peak and adds
//     the new one (an upstream quirk kept: a window whose first peak is 0
//     never grows). Windows are not dropped from the histogram: old peaks
//     fade through the decay. The 8-window count (MemoryAggregationIntervalCount)
//     is upstream's expiry: with no CPU sample for 8 x 24 h, Recommend says
//     not ok and the next sample starts a fresh history.
//   - Only CPU samples count for the sample count and history span (as
//     upstream). Samples out of order (CPU: not newer; memory: older) or
//     negative are dropped. CPU is truncated to whole millicores and memory
//     to whole bytes, and every intermediate amount is truncated as
//     upstream's int64 ResourceAmount is.
//   - Estimators: percentiles lower 0.5, target 0.9, upper 0.95; margin 15 %
//     added as base + trunc(base x 0.15); confidence
//     min(span / 24 h, samples / 1440); upper x (1 + 1/conf), lower x
//     (1 + 0.001/conf)^-2; amounts capped at 1e14 (no history: upper at the
//     cap, lower 0); then the pod floors 25 millicores and 250 MiB divided by
//     ContainersInPod.
//   - OOM: a memory sample of max(used + 100 MiB, used x 1.2) with
//     used = max(request at the kill, the window's usage peak); an OOM older
//     than the window's start is ignored.
//   - Policy (model.ContainerPolicy): uncontrolled resources are left out
//     (zero), Off gives no recommendation, minAllowed then maxAllowed cap
//     lower, target and upper; UncappedTarget is the target before caps.
//     Limits in proportion to requests: see updater.ProportionalLimits.
//
// Speed: AddSample + Recommend per sample costs about 80 ns of CPU (see
// BenchmarkRecommendEverySample), with results identical to the upstream
// algorithm (tests compare every step with the plain upstream scans):
//
//   - the bucket of a value comes from a table on the float's bits checked
//     against the exact lowest value of each bucket, computed once from
//     upstream's logarithm formula, so no logarithm per sample;
//   - the decay factor of a sample a whole number of minutes after the
//     reference comes from a table of math.Exp2 values shared by all
//     histograms with the same half-life (1.1 MiB for 24 h, built on first
//     use); other offsets call math.Exp2;
//   - the three CPU percentiles are followed incrementally (tracker): a
//     sample adds its weight to the running sums it lies under, and a bucket
//     is accepted only when its running sum clears the threshold by more than
//     a bound on the rounding difference from upstream's summation;
//     otherwise, and every 4096 updates, an exact scan resets them;
//   - memory percentiles are recomputed only when the memory histogram
//     changes, margins only when percentiles change;
//   - confidence factors for upstream's exponents avoid math.Pow with the
//     same result bit for bit.
//
// State per container: the struct (about 700 bytes) plus the histogram
// weights of the bucket range in use (8 bytes per bucket, at most 176 per
// histogram): about 1 to 1.6 KB for ordinary workloads, 2.9 KB for a
// container swinging between 0 and 64 cores and 8 MiB and 256 GiB, 3.5 KB at
// the theoretical maximum (every bucket of both histograms touched).
package vpa
