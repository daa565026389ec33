// Package updater is the update policy of smartvpa: given a pod's current
// requests, the recommender's answer and the policy, it decides whether the pod
// is updated and how (in place, by eviction, or by a rollout of its workload).
// It is pure: time is an argument, nothing is read from or written to a
// cluster. The simulator (core/sim) and the live appliers (kube/) both call it.
//
// # Upstream rules reproduced
//
// The rules are those of the upstream Vertical Pod Autoscaler updater
// (pkg/updater/priority, v1.x):
//
//   - A pod is updated when any container's request lies outside the
//     recommendation's [lower, upper] range, or a container has no request for
//     a recommended resource.
//   - Otherwise only when the pod has run for at least
//     Policy.PodLifetimeUpdateThreshold (12 h) and its resource diff is at least
//     Policy.MinChangePriority (0.1). The resource diff is computed per resource
//     as |sum(requests) - sum(targets)| / sum(requests) over the pod's
//     containers, and summed over the resources (CPU and memory): a pod whose
//     CPU doubles and memory halves has a diff of 1.5.
//   - A quick OOM (a container OOM-killed less than
//     Policy.EvictAfterOOMThreshold, 10 min, after it started) allows an update
//     at any age, unless the update would change nothing (diff 0).
//   - Pods are ordered for update with scale-ups first, then by larger diff
//     (Priority.Less, Plan).
//   - Within a replica group, nothing is disrupted when fewer than
//     Policy.MinReplicas (2) pods are alive, and at most
//     int(configured * Policy.EvictionTolerance) (0.5) pods are taken down at a
//     time, with the upstream exception that one pod may go when every pod is
//     running and the tolerance rounds to 0 (Plan).
//
// Decide applies the per-pod rules only; Plan applies the per-pod rules, the
// ordering and the replica-group restrictions to a set of pods. A simulated
// single container that stands for a workload with many replicas should use
// Decide; one that stands for a one-replica workload should use Plan (and will
// then, as upstream with --min-replicas=2, never be evicted).
//
// # Update modes
//
// Policy.Mode says how an accepted update is carried out:
//
//   - in-place-or-recreate (default; upstream InPlaceOrRecreate on
//     Kubernetes 1.33+): CPU changes and memory increases are resized in place
//     without a restart (InPlace); any memory decrease restarts the container
//     (Evict).
//   - recreate: every update evicts (restarts) the pod (Evict).
//   - in-place: every update is an in-place resize, never a restart (InPlace).
//   - rollout: smartvpa extension, the workload's pod template is patched and
//     its controller rolls the pods (Rollout); every pod restarts.
//   - off: recommendations are never applied (None).
//
// A Decision with Action Evict or Rollout restarts the container
// (Decision.Restarts).
//
// # Limits
//
// ProportionalLimits keeps each limit in the same ratio to its request as
// before the update (upstream GetProportionalLimit); with
// model.RequestsOnly limits are left unchanged.
package updater

import (
	"math"

	"github.com/smartvpa/smartvpa/core/model"
)

// Update priority, as upstream's priority processor computes it.

// Priority is the update priority of a pod (upstream PodPriority).
type Priority struct {
	// OutsideRecommendedRange: some container's request is outside [lower, upper].
	OutsideRecommendedRange bool `json:"outsideRecommendedRange"`
	// ScaleUp: some container's target is above its request.
	ScaleUp bool `json:"scaleUp"`
	// ResourceDiff is the relative difference between total requests and
	// total targets, summed over resources.
	ResourceDiff float64 `json:"resourceDiff"`
}

// Less reports whether p has a lower update priority than other: a scale-up
// beats a scale-down, then the larger diff wins.
func (p Priority) Less(other Priority) bool {
	if p.ScaleUp != other.ScaleUp {
		return other.ScaleUp
	}
	return p.ResourceDiff < other.ResourceDiff
}

// priorityTerm updates prio's flags for one controlled resource of one
// container (request req, recommendation target, lower, upper) and returns
// its resource diff |max(req, unit) - target| / max(req, unit), as
// GetPriority computes it for a single container.
func priorityTerm(prio *Priority, req, target, lower, upper, unit float64) float64 {
	if req == 0 {
		// A missing request counts as 0: always grow, always out of range.
		prio.ScaleUp, prio.OutsideRecommendedRange = true, true
	} else {
		if target > req {
			prio.ScaleUp = true
		}
		if (lower != 0 && req < lower) || (upper != 0 && req > upper) {
			prio.OutsideRecommendedRange = true
		}
	}
	den := req
	if !(req >= unit) { // math.Max(req, unit) without the call when req >= unit > 0
		den = math.Max(req, unit)
	}
	return math.Abs(den-target) / den
}

// GetPriority computes the update priority of pod (upstream
// priority_processor): only containers with a recommendation and not Off take
// part, only the controlled resources with a target count.
func GetPriority(pod Pod) Priority {
	var (
		prio     Priority
		totalReq [2]float64
		totalRec [2]float64
		seen     [2]bool
	)
	for _, c := range pod.Containers {
		if c.Recommendation == nil || c.Policy.Off {
			continue
		}
		for i, res := range model.AllResources {
			target := c.Recommendation.Target.Get(res)
			if target == 0 || !c.Policy.Controls(res) {
				continue
			}
			seen[i] = true
			totalRec[i] += target
			req := c.Requests.Get(res)
			if req == 0 {
				// A missing request counts as 0: always grow, always out of range.
				prio.ScaleUp = true
				prio.OutsideRecommendedRange = true
				continue
			}
			totalReq[i] += req
			if target > req {
				prio.ScaleUp = true
			}
			lower, upper := c.Recommendation.Lower.Get(res), c.Recommendation.Upper.Get(res)
			if (lower != 0 && req < lower) || (upper != 0 && req > upper) {
				prio.OutsideRecommendedRange = true
			}
		}
	}
	for i := range seen {
		if !seen[i] {
			continue
		}
		req := math.Max(totalReq[i], unitOf(model.AllResources[i]))
		prio.ResourceDiff += math.Abs(req-totalRec[i]) / req
	}
	return prio
}

// unitOf is the smallest amount upstream's diff divides by when the request
// is zero: 1 milli-unit (1 millicore; for memory upstream compares
// milli-bytes, so 0.001 byte).
func unitOf(r model.Resource) float64 {
	if r == model.CPU {
		return 1
	}
	return 0.001
}
