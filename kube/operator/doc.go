// Package operator is the VPA recommender controller behind `kubectl
// smartvpa serve`: it acts as a custom recommender for upstream
// autoscaling.k8s.io/v1 VerticalPodAutoscalers that name it in
// spec.recommenders, and optionally as their updater.
//
// Design, and why:
//
//   - VPAs are read through the dynamic client and a dynamic informer: the
//     upstream VPA API module is not a dependency of this module, and serve
//     needs only a few spec fields (ParseVPA) and writes only the status (a
//     JSON merge patch of the status subresource, so spec edits never
//     conflict with it).
//   - Pods and workload controllers come from typed shared informers; a
//     target's pods are those its spec.selector selects (as upstream).
//     kube.NewWorkload gives the containers and replica count.
//   - One reconcile pass per interval: one metrics.k8s.io list, then per VPA
//     the new metrics windows of its pods (deduplicated per pod/container by
//     timestamp) are fed to one recommender per container name. Replicas
//     share metrics windows; the recommenders take samples in strictly
//     increasing time, so samples with the same time are spread by 1 ns.
//     Each pod has a slot (lowest free; freed when the pod is gone; pods
//     are told apart by UID, so a recreated pod gets a new state) and its
//     samples and OOM kills are fed with it (recommend.ReplicaRecommender):
//     vpa keeps one memory peak per pod and window, as upstream's
//     ContainerState does, for about 50 bytes a pod. The journal records
//     each sample's slot (checkpoint version 3), so a restore replays the
//     same windows.
//   - Before a container's first sample the status holds upstream's
//     minimums (vpa.Minimums); the updater does not act on them.
//     A pass queues every VPA's status; Config.Workers writers patch those
//     that changed (status.go: the latest status per VPA wins), so a pass
//     never waits for the API server or the client's QPS limit. Updater
//     actions run within the pass on Config.Workers goroutines.
//   - The informer caches keep only the fields serve reads (informers.go),
//     and pods are indexed by label, so finding a VPA's pods does not match
//     its selector against every pod of the namespace.
//   - The policy (minAllowed, maxAllowed, controlledResources, mode Off) is
//     applied by ApplyPolicy after the recommender, not given to it: a VPA's
//     resourcePolicy can change without losing history.
//   - Checkpoints are ConfigMaps holding a journal of the samples (and OOM
//     kills) fed, replayed into a fresh recommender on restore (see
//     checkpoint.go). This works for every registered recommender and
//     restores it exactly while the journal covers its history. The journal
//     is delta-encoded (journal.go: about 8 bytes a sample instead of 40)
//     and lives in the ConfigMap only: serve keeps the samples fed since the
//     last write, and each write reads the ConfigMap, appends them and
//     updates it, one VPA at a time (8 days of journals for 1,000 containers
//     are about 90 MB that serve does not hold).
//   - Checkpoint writes roll: each pass writes the VPAs whose key hashes to
//     its share of the checkpoint interval, so a round of two requests a
//     VPA never stalls one pass; ConfigMaps of deleted VPAs are deleted when
//     a pass drops their state (or at the next restore), never by listing.
//   - The VPA cache keeps the spec, the naming metadata, the conditions and
//     a digest of status.recommendation (trimVPA); pods share equal label
//     maps and ResourceLists (replicas carry the same ones).
//   - smart's candidates that serve CPU only keep no memory side
//     (recommend.Config.CPUOnly): about 24 KiB a container after 8 days
//     (BenchmarkContainerState).
//   - The GC runs at 50 % heap growth (--gc-percent): the heap is mostly
//     long-lived state, so Go's default 100 % would double it for little.
//   - Memory, measured with 1,000 VPAs on 5,000 kwok pods (5 replicas
//     each), smart, the `make build` binary (static, stripped): with 8 days
//     of history (hack/seedcheckpoints) and the default intervals, 160-177
//     MB resident (HWM 177 MB, restore of the 1,000 journals 66 s), passes
//     0.14-0.68 s; from fresh state at --interval 30s --checkpoint-interval
//     2m, 118-131 MB (HWM 140 MB), passes 0.13-0.69 s. (Before these
//     changes: 246-331 MB from fresh state.)
//
// Upstream checkpoints: with the vpa recommender, serve also writes
// upstream-format VerticalPodAutoscalerCheckpoint objects from the
// recommender's histograms (core/recommend/vpa SaveToCheckpoint, 10000-level
// weights as upstream normalises them) and restores from them when the
// journal is missing or covers only part of the history
// (upstream_checkpoint.go).
package operator
