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
	"fmt"
	"sort"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// Pod-level rules (DecidePod) and replica groups (Order, Plan), as
// upstream's updater applies them to the pods of one controller.

// quickOOM reports whether a controlled container was OOM-killed within the
// threshold after it started.
func quickOOM(pod Pod, p Policy) bool {
	for _, c := range pod.Containers {
		if c.Policy.Off || c.LastOOM == nil {
			continue
		}
		if c.LastOOM.FinishedAt.Sub(c.LastOOM.StartedAt) < p.EvictAfterOOMThreshold {
			return true
		}
	}
	return false
}

// DecidePod applies the per-pod upstream rules to a multi-container pod. The
// returned Requests and Limits are zero; use Apply per container.
func DecidePod(now time.Time, pod Pod, p Policy) Decision {
	prio := GetPriority(pod)
	d := Decision{Action: None, Priority: prio}
	hasRec := false
	for _, c := range pod.Containers {
		if c.Recommendation != nil && !c.Policy.Off {
			hasRec = true
		}
	}
	if !hasRec {
		d.Reason = ReasonNoRecommendation
		return d
	}
	oom := quickOOM(pod, p)
	var why string
	switch {
	case prio.OutsideRecommendedRange:
		why = outOfRangeReason(pod)
	case oom:
		why = "quick OOM"
	default:
		// The common outcomes use constant reasons: the simulator asks for
		// a decision at every sample, so they must not allocate.
		if pod.StartTime.IsZero() {
			d.Reason = ReasonNoStartTime
			return d
		}
		if now.Sub(pod.StartTime) < p.PodLifetimeUpdateThreshold {
			d.Reason = ReasonYoungPod
			return d
		}
		if prio.ResourceDiff < p.MinChangePriority {
			d.Reason = ReasonSmallDiff
			return d
		}
		why = fmt.Sprintf("resource diff %.3f at least %.3f after %s", prio.ResourceDiff, p.MinChangePriority, p.PodLifetimeUpdateThreshold)
	}
	if oom && prio.ResourceDiff == 0 {
		d.Reason = ReasonOOMNoChange
		return d
	}
	d.Action, d.Reason = actionFor(pod, p.Mode, why)
	return d
}

func outOfRangeReason(pod Pod) string {
	for _, c := range pod.Containers {
		if c.Recommendation == nil || c.Policy.Off {
			continue
		}
		for _, res := range model.AllResources {
			target := c.Recommendation.Target.Get(res)
			if target == 0 || !c.Policy.Controls(res) {
				continue
			}
			req := c.Requests.Get(res)
			lower, upper := c.Recommendation.Lower.Get(res), c.Recommendation.Upper.Get(res)
			switch {
			case req == 0:
				return fmt.Sprintf("%s request not set", res)
			case lower != 0 && req < lower:
				return fmt.Sprintf("%s request %s below lower bound %s", res, format(res, req), format(res, lower))
			case upper != 0 && req > upper:
				return fmt.Sprintf("%s request %s above upper bound %s", res, format(res, req), format(res, upper))
			}
		}
	}
	return "request outside [lower, upper]"
}

func format(r model.Resource, v float64) string {
	if r == model.CPU {
		return fmt.Sprintf("%.0fm", v)
	}
	return fmt.Sprintf("%.0fMi", v/model.MiB)
}

// actionFor maps an accepted update to the mode's action.
func actionFor(pod Pod, mode UpdateMode, why string) (Action, string) {
	switch mode {
	case ModeOff:
		return None, "update mode off (" + why + ")"
	case ModeRecreate:
		return Evict, why
	case ModeInPlace:
		return InPlace, why
	case ModeRollout:
		return Rollout, why
	}
	// in-place-or-recreate (also the zero value).
	for _, c := range pod.Containers {
		if c.Recommendation == nil || c.Policy.Off || !c.Policy.Controls(model.Memory) {
			continue
		}
		t := c.Recommendation.Target.MemoryBytes
		if t != 0 && c.Requests.MemoryBytes != 0 && t < c.Requests.MemoryBytes {
			return Evict, why + "; memory decrease restarts"
		}
	}
	return InPlace, why
}

// Group describes a replica group (the pods of one controller).
type Group struct {
	// Configured is the controller's desired replica count; 0 means the
	// number of pods given to Plan.
	Configured int
}

// Planned is a pod's decision within a Plan.
type Planned struct {
	// Index of the pod in the slice given to Plan.
	Index    int
	Pod      string
	Decision Decision
}

// Order decides for every pod (DecidePod) and orders them as upstream's
// update priority calculator does: accepted pods first, by priority
// (scale-ups first, then larger diff; ties keep input order), then the pods
// left alone in input order. No replica-group restriction is applied.
func Order(now time.Time, pods []Pod, p Policy) []Planned {
	out := make([]Planned, len(pods))
	for i, pod := range pods {
		out[i] = Planned{Index: i, Pod: pod.Name, Decision: DecidePod(now, pod, p)}
	}
	sort.SliceStable(out, func(i, j int) bool {
		ai, aj := out[i].Decision.Action != None, out[j].Decision.Action != None
		if ai != aj {
			return ai
		}
		if !ai {
			return false
		}
		return out[j].Decision.Priority.Less(out[i].Decision.Priority)
	})
	return out
}

// Plan is Order followed by the replica-group restrictions, in update order:
// nothing is disrupted when fewer than MinReplicas pods are alive; running
// pods are disrupted only while more than configured -
// int(configured*EvictionTolerance) remain up (one pod may go when all are
// running and that tolerance is 0); pending pods may always be evicted, but
// their in-place updates wait until they run. In-place updates count as
// disruptions (as upstream's in-place restriction does);
// rollouts are left to the controller and not restricted.
func Plan(now time.Time, pods []Pod, g Group, p Policy) []Planned {
	out := Order(now, pods, p)
	configured := g.Configured
	if configured == 0 {
		configured = len(pods)
	}
	running := 0
	for _, pod := range pods {
		if !pod.Pending {
			running++
		}
	}
	tolerance := int(float64(configured) * p.EvictionTolerance)
	shouldBeAlive := configured - tolerance
	disrupted := 0
	for k := range out {
		d := &out[k].Decision
		if d.Action == None || d.Action == Rollout {
			continue
		}
		if len(pods) < p.MinReplicas {
			d.Reason = fmt.Sprintf("too few replicas: %d live, min %d (%s)", len(pods), p.MinReplicas, d.Reason)
			d.Action = None
			continue
		}
		if pods[out[k].Index].Pending {
			// Upstream evicts a pending pod at any time but defers an
			// in-place resize until the pod runs.
			if d.Action == InPlace {
				d.Reason = "pending pod: in-place update deferred (" + d.Reason + ")"
				d.Action = None
			}
			continue
		}
		if running-disrupted > shouldBeAlive ||
			(running == configured && tolerance == 0 && disrupted == 0) {
			disrupted++
			continue
		}
		d.Reason = fmt.Sprintf("eviction tolerance: %d of %d pods already disrupted (%s)", disrupted, configured, d.Reason)
		d.Action = None
	}
	return out
}
