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
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// UpdateMode says how an accepted update is applied.
type UpdateMode string

// The update modes.
const (
	ModeInPlaceOrRecreate UpdateMode = "in-place-or-recreate"
	ModeRecreate          UpdateMode = "recreate"
	ModeInPlace           UpdateMode = "in-place"
	ModeRollout           UpdateMode = "rollout"
	ModeOff               UpdateMode = "off"
)

// Modes lists the valid update modes, default first.
var Modes = []UpdateMode{ModeInPlaceOrRecreate, ModeRecreate, ModeInPlace, ModeRollout, ModeOff}

// ParseMode validates a mode name; the empty string is the default mode.
func ParseMode(s string) (UpdateMode, error) {
	if s == "" {
		return ModeInPlaceOrRecreate, nil
	}
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown update mode %q: use one of in-place-or-recreate, recreate, in-place, rollout, off", s)
}

// Action is what the updater does to a pod.
type Action string

// The actions.
const (
	None    Action = "none"
	InPlace Action = "in-place"
	Evict   Action = "evict"
	Rollout Action = "rollout"
)

// Reasons of the decisions to leave a pod alone (constant strings).
const (
	ReasonNoRecommendation = "no recommendation"
	ReasonNoStartTime      = "pod start time unknown and requests within [lower, upper]"
	ReasonYoungPod         = "pod younger than the lifetime threshold and requests within [lower, upper]"
	ReasonSmallDiff        = "resource diff below the minimum change priority"
	ReasonOOMNoChange      = "quick OOM but the update would change nothing"
)

// Policy holds the updater's options; DefaultPolicy gives the upstream defaults.
type Policy struct {
	// Mode says how an update is applied.
	Mode UpdateMode
	// MinChangePriority is the minimum resource diff that updates a pod whose
	// requests are within [lower, upper] (upstream default 0.1).
	MinChangePriority float64
	// PodLifetimeUpdateThreshold is how long a pod must have run before an
	// in-range update is allowed (upstream 12 h).
	PodLifetimeUpdateThreshold time.Duration
	// EvictAfterOOMThreshold: a container OOM-killed less than this after it
	// started is a quick OOM (upstream 10 min).
	EvictAfterOOMThreshold time.Duration
	// MinReplicas is the minimum number of live pods in a replica group for
	// any of them to be disrupted (upstream --min-replicas, 2). Used by Plan.
	MinReplicas int
	// EvictionTolerance is the fraction of a group's configured replicas that
	// may be down at once (upstream --eviction-tolerance, 0.5). Used by Plan.
	EvictionTolerance float64
}

// DefaultPolicy returns the upstream defaults in the in-place-or-recreate mode.
func DefaultPolicy() Policy {
	return Policy{
		Mode:                       ModeInPlaceOrRecreate,
		MinChangePriority:          0.1,
		PodLifetimeUpdateThreshold: 12 * time.Hour,
		EvictAfterOOMThreshold:     10 * time.Minute,
		MinReplicas:                2,
		EvictionTolerance:          0.5,
	}
}

// Validate reports the first invalid option.
func (p Policy) Validate() error {
	if _, err := ParseMode(string(p.Mode)); err != nil {
		return err
	}
	switch {
	case p.MinChangePriority < 0:
		return fmt.Errorf("min change priority %v is negative: use 0 or more (default 0.1)", p.MinChangePriority)
	case p.PodLifetimeUpdateThreshold < 0:
		return fmt.Errorf("pod lifetime update threshold %v is negative: use 0 or more (default 12h)", p.PodLifetimeUpdateThreshold)
	case p.EvictAfterOOMThreshold < 0:
		return fmt.Errorf("evict-after-OOM threshold %v is negative: use 0 or more (default 10m)", p.EvictAfterOOMThreshold)
	case p.MinReplicas < 0:
		return fmt.Errorf("min replicas %d is negative: use 0 or more (default 2)", p.MinReplicas)
	case p.EvictionTolerance < 0 || p.EvictionTolerance > 1:
		return fmt.Errorf("eviction tolerance %v is outside [0, 1]: use a fraction (default 0.5)", p.EvictionTolerance)
	}
	return nil
}

// OOMKill is the last termination of a container by the OOM killer: when the
// killed run started and when it was killed.
type OOMKill struct {
	StartedAt  time.Time
	FinishedAt time.Time
}

// PodState is a single-container pod as the simulator sees it.
type PodState struct {
	// Requests and Limits are the container's current values (0 = not set).
	Requests, Limits model.Resources
	// StartTime is when the pod started; zero means unknown, and then only an
	// out-of-range request or a quick OOM allows an update (as upstream).
	StartTime time.Time
	// LastOOM is the container's last OOM kill, nil if none.
	LastOOM *OOMKill
	// Policy is the container policy; it says which resources and values the
	// update controls.
	Policy model.ContainerPolicy
}

// Container is one container of a Pod, for multi-container pods.
type Container struct {
	Name             string
	Requests, Limits model.Resources
	// Recommendation for the container; nil means none (the container is
	// left alone).
	Recommendation *model.Recommendation
	LastOOM        *OOMKill
	Policy         model.ContainerPolicy
}

// Pod is a pod with any number of containers.
type Pod struct {
	Name       string
	StartTime  time.Time
	Pending    bool
	Containers []Container
}

// Decision is the updater's verdict for one pod.
type Decision struct {
	Action Action `json:"action"`
	// Reason says why, in a few words, e.g. "cpu request 100m below lower bound 250m".
	Reason   string   `json:"reason"`
	Priority Priority `json:"priority"`
	// Requests and Limits are the container's values after the update (for
	// Decide; equal to the current ones when Action is None).
	Requests model.Resources `json:"requests"`
	Limits   model.Resources `json:"limits"`
}

// Restarts reports whether carrying out d restarts the container.
func (d Decision) Restarts() bool { return d.Action == Evict || d.Action == Rollout }

// Decide applies the per-pod upstream rules to a single-container pod with the
// recommendation rec (rec.IsZero() means none) and returns the decision with
// the new requests and limits. Replica-group restrictions are not applied (see
// Plan).
func Decide(now time.Time, pod PodState, rec model.Recommendation, p Policy) Decision {
	var d Decision
	DecideTo(&d, now, &pod, &rec, &p)
	return d
}

// DecideTo is Decide writing its decision to *d, without copying its
// arguments: for callers that decide at every sample, such as the simulator.
// It reads pod, rec and p and does not keep them.
func DecideTo(d *Decision, now time.Time, pod *PodState, rec *model.Recommendation, p *Policy) {
	// Fast path for the common outcome, no update, without building a Pod:
	// the simulator asks at every sample. It gives what DecidePod gives (a
	// test compares them on random pods); accepted updates take the general
	// path below.
	if decideFast(d, now, pod, rec, p) {
		return
	}
	var r *model.Recommendation
	if !rec.IsZero() {
		r = rec
	}
	c := Container{Requests: pod.Requests, Limits: pod.Limits, Recommendation: r, LastOOM: pod.LastOOM, Policy: pod.Policy}
	*d = DecidePod(now, Pod{StartTime: pod.StartTime, Containers: []Container{c}}, *p)
	d.Requests, d.Limits = pod.Requests, pod.Limits
	if d.Action != None {
		d.Requests, d.Limits = Apply(c)
	}
}

// decideFast decides for a single-container pod when the outcome is no
// update, and then writes the decision to *d and returns true; otherwise it
// returns false and leaves *d alone. It is GetPriority and the no-update
// branches of DecidePod specialised to one container, unrolled over CPU and
// memory (same operations in the same order, so the same floating-point
// results).
func decideFast(d *Decision, now time.Time, pod *PodState, rec *model.Recommendation, p *Policy) bool {
	if rec.IsZero() || pod.Policy.Off {
		*d = Decision{Action: None, Reason: ReasonNoRecommendation, Requests: pod.Requests, Limits: pod.Limits}
		return true
	}
	ctlCPU, ctlMem := true, true
	if cr := pod.Policy.ControlledResources; len(cr) != 0 {
		ctlCPU, ctlMem = false, false
		for _, r := range cr {
			switch r {
			case model.CPU:
				ctlCPU = true
			case model.Memory:
				ctlMem = true
			}
		}
	}
	var prio Priority
	if t := rec.Target.CPUMillicores; t != 0 && ctlCPU {
		prio.ResourceDiff += priorityTerm(&prio, pod.Requests.CPUMillicores, t, rec.Lower.CPUMillicores, rec.Upper.CPUMillicores, unitOf(model.CPU))
	}
	if t := rec.Target.MemoryBytes; t != 0 && ctlMem {
		prio.ResourceDiff += priorityTerm(&prio, pod.Requests.MemoryBytes, t, rec.Lower.MemoryBytes, rec.Upper.MemoryBytes, unitOf(model.Memory))
	}
	oom := pod.LastOOM != nil && youngerThan(pod.LastOOM.FinishedAt, pod.LastOOM.StartedAt, p.EvictAfterOOMThreshold)
	var reason string
	switch {
	case !prio.OutsideRecommendedRange && !oom && pod.StartTime.IsZero():
		reason = ReasonNoStartTime
	case !prio.OutsideRecommendedRange && !oom && youngerThan(now, pod.StartTime, p.PodLifetimeUpdateThreshold):
		reason = ReasonYoungPod
	case !prio.OutsideRecommendedRange && !oom && prio.ResourceDiff < p.MinChangePriority:
		reason = ReasonSmallDiff
	case oom && prio.ResourceDiff == 0:
		reason = ReasonOOMNoChange
	default:
		return false
	}
	// Field by field, and the strings only when they change: the simulator
	// decides into the same Decision at every sample, and rewriting its
	// strings costs write barriers.
	if d.Action != None {
		d.Action = None
	}
	if d.Reason != reason {
		d.Reason = reason
	}
	d.Priority, d.Requests, d.Limits = prio, pod.Requests, pod.Limits
	return true
}

// youngerThan reports whether now - start < d, as now.Sub(start) < d does,
// without Sub when the times are less than 200 years apart (Sub is several
// times slower and the simulator asks at every sample).
func youngerThan(now, start time.Time, d time.Duration) bool {
	sec := now.Unix() - start.Unix()
	if sec > -200*365*86400 && sec < 200*365*86400 {
		return sec*1e9+int64(now.Nanosecond()-start.Nanosecond()) < int64(d)
	}
	return now.Sub(start) < d
}

// Apply returns the requests and limits container c gets when its
// recommendation is applied: requests of controlled resources set to the
// target, limits scaled in proportion (or unchanged with RequestsOnly).
func Apply(c Container) (requests, limits model.Resources) {
	requests, limits = c.Requests, c.Limits
	if c.Recommendation == nil || c.Policy.Off {
		return requests, limits
	}
	for _, res := range model.AllResources {
		t := c.Recommendation.Target.Get(res)
		if !c.Policy.Controls(res) || t == 0 {
			continue
		}
		requests = requests.Set(res, t)
	}
	if c.Policy.ControlledValues != model.RequestsOnly {
		limits = ProportionalLimits(c.Requests, c.Limits, requests)
	}
	return requests, limits
}

// ProportionalLimits returns limits in the same ratio to newRequests as
// oldLimits had to oldRequests, per resource, as upstream does: no limit stays
// no limit; a limit with no request, or equal to its request, becomes the new
// request; otherwise newRequest * oldLimit / oldRequest.
func ProportionalLimits(oldRequests, oldLimits, newRequests model.Resources) model.Resources {
	var out model.Resources
	for _, res := range model.AllResources {
		out = out.Set(res, proportionalLimit(oldRequests.Get(res), oldLimits.Get(res), newRequests.Get(res)))
	}
	return out
}

func proportionalLimit(oldReq, oldLimit, newReq float64) float64 {
	switch {
	case oldLimit == 0 || newReq == 0:
		return 0
	case oldReq == 0 || oldReq == oldLimit:
		return newReq
	}
	return newReq * oldLimit / oldReq
}
