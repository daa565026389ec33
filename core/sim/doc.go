// Package sim is smartvpa's gym-style simulator: it replays one container's
// usage trace against a recommender and the updater policy (core/updater) and
// measures what the resulting requests cost in slack, OOM kills, CPU
// throttling and restarts. A backtest runs recommenders x workloads on a
// worker pool and ranks them against a hindsight oracle.
//
// # Environment
//
// Env follows the gym convention. Reset(workload, seed) puts the container at
// the trace's first sample with the workload's initial request and returns the
// first observation; Step(action) advances one sample. The action is a
// model.Recommendation (lower, target, upper and uncapped target per
// resource). At each step the updater policy decides, under Options.UpdateMode,
// whether and how the action is applied to the container before the sample's
// usage is evaluated: none, in place (no restart), or by eviction/rollout (a
// restart). The action given to Step is applied to the next sample, never to
// the one the recommender has already seen, so a causal recommender cannot
// peek at the usage it is judged on.
//
// Observation holds cpu_usage, ram_usage, cpu_request and ram_request. Usage
// in an observation is what a metrics pipeline would report: CPU is capped at
// the CPU limit (the rest is throttled) and memory at the memory limit (the
// container is OOM-killed when it needs more). Run feeds exactly that to the
// recommender, so a recommender never sees demand that was cut off.
//
// # Container model
//
// The memory limit is MemoryLimitRatio x the memory request (default 1: limit
// = request) and the CPU limit CPULimitRatio x the CPU request (default 0: no
// CPU limit); limits keep that ratio whenever requests change. Per sample:
//
//   - memory usage above the memory limit is an OOM kill: the container
//     restarts with the same requests and an OOM event (request at the kill,
//     usage = the limit) is reported in Info and fed to the recommender by Run.
//     At most one kill is counted per sample (a crash loop within a sample is
//     one kill);
//   - CPU usage above the CPU limit is throttled;
//   - CPU usage above the CPU request counts as over-request
//     (under-provisioned), whether or not there is a limit.
//
// A zero field in a recommendation's target means "no opinion" and keeps the
// current request of that resource.
//
// # Actuation
//
// Every recommender plays by the same rules (Options):
//
//   - each sample stands for the time to the next one (Info.Interval); a gap
//     longer than GapFactor (10) x the median interval is missing data: the
//     sample stands for the median interval and the gap is counted;
//   - the updater decides at a sample's time; an in-place resize takes effect
//     ResizeDelay (1 min) later, possibly within the sample, and the updater
//     is not consulted while it is pending;
//   - a restart (eviction or rollout) recreates the pod with the new requests
//     and leaves the container down for RestartDowntime (30 s); an OOM kill
//     does too. While down the container serves nothing: its CPU demand is
//     counted as unserved, the request stays held (slack), and it restarts
//     with empty memory; its observation averages the CPU it served;
//   - quick OOM as upstream: the container's last termination (an OOM kill,
//     the only way a container terminates here, with the time it had run) is
//     kept until the pod is recreated, and makes any update allowed when the
//     container had run less than the updater's EvictAfterOOMThreshold;
//   - MinUpdateInterval is an update budget: no update sooner than that after
//     the previous one, except the memory part of an increase after an OOM
//     kill since that update;
//   - an in-place update costs Weights.Update in the reward, a restart
//     Weights.Change.
//
// The upstream updater applies its 12 h and 10 % rules only to requests
// inside [lower, upper]; a recommender publishing a zero-width range is
// always "outside" and escapes them. Compare recommenders at the same
// MinUpdateInterval to bind them alike; Metrics.SmallUpdates counts updates
// under 10 %.
//
// # Warm-up
//
// During the warm-up (Options.Warmup, default 24 h from the first sample) the
// recommender observes but the request stays at the workload's initial
// request: the original request of the trace when known, else
// DefaultInitialRequest (1000 millicores, 1 GiB). Samples in the warm-up are
// excluded from the metrics and the reward, so every recommender is judged on
// the same samples.
//
// # Metrics
//
// Per run, over the samples after the warm-up, with usage u, request r and
// each stretch of time dt a sample's interval is split into (by a pending
// resize or a downtime):
//
//   - relative slack: time-weighted mean of max(0, r-u)/r per resource (0
//     for no request). Slack is clamped at 0: usage above the request is
//     measured by the over-request share and the OOM count instead, so an
//     under-provisioning recommender is not credited with negative waste;
//   - absolute slack: sum of max(0, r-u)*dt in core-hours and GiB-hours
//     (while down, u is 0);
//   - CPU over-request share and throttled share: fraction of the time;
//     unserved CPU: the demand while down, in core-hours;
//   - memory OOMs: OOM kills;
//   - updates: decisions that changed the requests (in place or not), per
//     container-day too, and the small ones; restarts: updates that
//     restarted the container (eviction, rollout, or a memory decrease in
//     in-place-or-recreate mode). OOM kills are counted in OOMs, not in
//     restarts; downtime counts both;
//   - time to the first recommendation: from the first sample to the first
//     step whose action is not zero (during the warm-up or not).
//
// # Reward
//
// The reward of a step after the warm-up is
//
//	-(WSlack*slack*f + WOOM*oom + WThrottle*throttled*f + WChange*restart + WUpdate*inPlace)
//
// where slack is the mean of the CPU and memory relative slack of the sample
// (in [0, 1]), f the sample's interval over the median interval (1 for a
// regular series) and oom, throttled, restart and inPlace are 0 or 1. The
// default weights (DefaultWeights) are WSlack 1, WOOM 100, WThrottle 1,
// WChange 10, WUpdate 1: at 1-minute samples an OOM kill costs as much as 100
// minutes of a fully idle request, a restart 10 minutes and an in-place update
// one. Steps in the warm-up have reward 0.
//
// Backtest comparisons (Compare) are per workload against a baseline: see
// Stat for the statistics.
//
// # Oracle
//
// The oracle needs the future, so it is not in the recommend registry: it is
// built from the workload with NewOracle, or by name through NewRecommender
// (which the backtest and the commands use). Windows of Options' oracle window
// (default 24 h) start at the first sample; for the sample a recommendation
// will be applied to, the oracle recommends the peak CPU and memory usage of
// that sample's window and the next sample's (a resize applies after the
// resize delay, so the next sample starts under this answer) as lower =
// target = upper, so it changes requests about once per window and, with
// memory limit >= request and no update budget shorter than its window, is
// not OOM-killed once its first resize has applied after the warm-up. It is a
// hindsight reference for recommenders that change requests about once per
// window; one that resizes in place many times a day can have less slack
// than a 24 h oracle (compare at the same update budget, or with a shorter
// window).
//
// # Determinism and speed
//
// The environment is deterministic: the seed given to Reset is recorded and
// Run and Backtest pass it to the recommenders they create
// (recommend.Config.Seed), which is where randomness lives. Step does not
// allocate; the backtest holds at most about one loaded workload per worker.
package sim
