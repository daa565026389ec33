// Package emulate runs a recommender and the updater live against one pod on
// a cluster, playing a workload's usage at a speed-up, and measures the run
// with the simulator's figures (core/sim) so that a simulation and an
// emulation of the same workload compare side by side.
//
// # What runs
//
// Run creates one pod (<name>-1) with the workload's initial request and
// limits in the simulator's ratios, through a Backend:
//
//   - Kwok: a pause pod on a kwok node; at every sample the emulator sets
//     the pod's kwok.x-k8s.io/usage-cpu and usage-memory annotations
//     (package kwokusage), which kwok reports as kubelet resource metrics
//     and metrics-server scrapes;
//   - Stress: the stress controller (package kube/stressdeploy) deploys the utilisation
//     server with the workload; the pod runs the stress agent, which
//     registers itself and burns CPU and holds memory as the server plays the
//     workload at the same speed-up from the pod's start.
//
// The recommender reads usage only from metrics.k8s.io (UsageSource,
// MetricsAPI); updates go through the API server: pods/resize for an
// in-place update, the Eviction API and a new pod (<name>-2, ...) with the
// new requests for an eviction or a rollout (the emulator plays the part of
// the pod's controller and of the VPA admission controller). The requests
// accounted are the ones the API server returns for the pod, so rounding to
// whole millicores and MiB shows.
//
// # Time
//
// Workload time runs Speedup times faster than wall time (Clock). Sample i
// of the workload plays at wall time WallStart + (t_i - t_0)/Speedup. On kwok
// the first sample is held until metrics.k8s.io first reports the pod (one or
// two scrapes) and WallStart is that moment; on the stress backend WallStart
// is the agent container's start, when the server starts playing.
//
// At every sample, in the simulator's order: the updater decides on the
// action the recommender gave at the previous sample, at the sample's
// workload time (pod start and last OOM kill in workload time), and the
// decision is carried out; the sample's usage is driven and judged; the
// metrics API is read and a reading newer than the last one is fed to the
// recommender at its workload time (its wall timestamp mapped through the
// clock, capped at the current sample's time so the recommender never sees
// the future, and floored at t_0 for a reading of the held first sample); an
// OOM kill is fed; the recommender is asked at the sample's workload time.
//
// metrics-server scrapes every --metric-resolution of wall time (15 s on the
// local control plane), so there is one new reading per 15 s x Speedup of
// workload time: one per 5-minute sample at 20x, one per 15 minutes at 60x,
// one per 45 minutes at 180x. CPU readings are averages over the scrape
// window; memory readings are the working set at the scrape. On a real
// cluster at 1x a recommender polling metrics-server finds a fresh reading
// at every poll; sped up, it would find one only every few samples. With
// Config.HoldReadings (the command's default) the recommender gets the latest
// reading at every sample, at the sample's time, as a recommender polling
// once per sample interval would: the same number of samples as the
// simulator, with values up to one scrape stale. Without it, each reading is
// fed once, at its scrape's workload time; recommenders whose confidence
// grows with the sample count (vpa's bounds do) then stay unsure longer than
// in the simulator and update later. Either way the stale or missing readings
// are the one way the emulation's input differs from the simulator's, which
// feeds every sample's usage at once.
//
// # Accounting and OOM kills
//
// Slack, over-request, throttling, OOM kills, updates, restarts and reward
// are summed by core/sim's Accountant (the simulator's own formulas), over the same
// samples (after the same warm-up) and the same demand (the workload's
// sample), against the request in force on the API server at that sample.
//
// A kwok pod is never OOM-killed, so OOM kills are emulated with the
// simulator's rule: a sample whose memory demand exceeds the pod's memory
// limit (as the API server has it) is an OOM kill. It is counted, reported
// to the recommender as an OOM event (request at the kill, usage = the
// limit) and, as in the simulator, the container restarts at once with the
// same requests (the updater sees the kill as the container's last OOM, for
// its quick-OOM rule); the pod is not touched. The usage driven to kwok is
// the demand capped at the limits, as a metrics pipeline reports an
// OOM-killed or throttled container. On the stress backend the same rule
// does the accounting, so both backends compare with the simulator.
//
// The stress backend cannot restart a pod mid-workload: a new agent pod
// registers anew and the server would play the workload from its start. It
// is meant for --update-mode in-place or off (the command enforces it).
package emulate
