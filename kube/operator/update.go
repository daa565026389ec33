package operator

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/updater"
	"github.com/smartvpa/smartvpa/kube"
)

// UpdaterMode maps a VPA update mode to the updater's; ok is false for the
// modes the updater leaves alone (Off, Initial: those act at admission only).
func UpdaterMode(vpaMode string) (updater.UpdateMode, bool) {
	switch vpaMode {
	case "Recreate", "Auto":
		return updater.ModeRecreate, true
	case "InPlaceOrRecreate":
		return updater.ModeInPlaceOrRecreate, true
	}
	return updater.ModeOff, false
}

// update applies the updater policy to the target's pods: core/updater's
// Plan decides (out of [lower, upper], diff after the lifetime threshold,
// quick OOM, min replicas, eviction tolerance); resizes go through
// pods/resize and fall back to the Eviction API in InPlaceOrRecreate mode
// when the server refuses them or a pod's resize is Infeasible; the
// Eviction API enforces PodDisruptionBudgets (429 is a refusal, not an
// error); every action takes a token from the rate limiter.
func (c *Controller) update(ctx context.Context, v *VPA, w *kube.Workload, recs map[string]model.Recommendation, now time.Time) error {
	mode, ok := UpdaterMode(v.EffectiveUpdateMode())
	if !ok || len(w.Pods) == 0 {
		return nil
	}
	pol := c.cfg.UpdatePolicy
	pol.Mode = mode
	if v.MinReplicas > 0 {
		pol.MinReplicas = v.MinReplicas
	}
	pods := make([]updater.Pod, len(w.Pods))
	for i, p := range w.Pods {
		pods[i] = updaterPod(p, v, recs)
	}
	plan := updater.Plan(now, pods, updater.Group{Configured: w.Replicas}, pol)
	for _, pl := range plan {
		p := w.Pods[pl.Index]
		act := pl.Decision.Action
		if act == updater.None || act == updater.Rollout {
			continue
		}
		if act == updater.InPlace && mode == updater.ModeInPlaceOrRecreate && resizeInfeasible(p) {
			act = updater.Evict
		}
		if c.cfg.UpdateLimiter != nil && !c.cfg.UpdateLimiter.Allow() {
			c.m.UpdaterActions.WithLabelValues(string(act), "rate_limited").Inc()
			c.log.Info("updater: rate limited", "vpa", v.Key(), "pod", p.Name, "action", act)
			return nil
		}
		if act == updater.InPlace {
			err := c.resize(ctx, p, pods[pl.Index])
			if err == nil {
				c.m.UpdaterActions.WithLabelValues("in-place", "ok").Inc()
				c.log.Info("updater: resized in place", "vpa", v.Key(), "pod", p.Name, "reason", pl.Decision.Reason)
				continue
			}
			c.m.UpdaterActions.WithLabelValues("in-place", "error").Inc()
			if mode != updater.ModeInPlaceOrRecreate {
				return err
			}
			c.log.Info("updater: in-place resize refused, evicting", "vpa", v.Key(), "pod", p.Name, "err", err)
		}
		if err := c.evict(ctx, p); err != nil {
			if apierrors.IsTooManyRequests(err) {
				c.m.UpdaterActions.WithLabelValues("evict", "refused").Inc()
				c.log.Info("updater: eviction refused (PodDisruptionBudget)", "vpa", v.Key(), "pod", p.Name, "err", err)
				continue
			}
			c.m.UpdaterActions.WithLabelValues("evict", "error").Inc()
			return err
		}
		c.m.UpdaterActions.WithLabelValues("evict", "ok").Inc()
		c.log.Info("updater: evicted", "vpa", v.Key(), "pod", p.Name, "reason", pl.Decision.Reason)
	}
	return nil
}

// updaterPod describes pod p to the updater policy.
func updaterPod(p *corev1.Pod, v *VPA, recs map[string]model.Recommendation) updater.Pod {
	up := updater.Pod{Name: p.Name, Pending: p.Status.Phase == corev1.PodPending}
	if p.Status.StartTime != nil {
		up.StartTime = p.Status.StartTime.Time
	}
	ooms := map[string]*updater.OOMKill{}
	for _, st := range p.Status.ContainerStatuses {
		if t := st.LastTerminationState.Terminated; t != nil && t.Reason == "OOMKilled" {
			ooms[st.Name] = &updater.OOMKill{StartedAt: t.StartedAt.Time, FinishedAt: t.FinishedAt.Time}
		}
	}
	for _, ct := range kube.ContainersOf(&p.Spec) {
		uc := updater.Container{Name: ct.Name, Requests: ct.Requests, Limits: ct.Limits, LastOOM: ooms[ct.Name], Policy: v.PolicyFor(ct.Name)}
		if r, ok := recs[ct.Name]; ok {
			uc.Recommendation = &r
		}
		up.Containers = append(up.Containers, uc)
	}
	return up
}

// resizeInfeasible reports whether the kubelet said the pod's last resize
// cannot be done on its node.
func resizeInfeasible(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodResizePending && c.Reason == corev1.PodReasonInfeasible {
			return true
		}
	}
	return false
}

func (c *Controller) resize(ctx context.Context, p *corev1.Pod, up updater.Pod) error {
	var cs []kube.ContainerResources
	sidecar := map[string]bool{}
	for _, ct := range kube.ContainersOf(&p.Spec) {
		sidecar[ct.Name] = ct.Sidecar
	}
	for _, uc := range up.Containers {
		if uc.Recommendation == nil || uc.Policy.Off {
			continue
		}
		req, lim := updater.Apply(uc)
		cs = append(cs, kube.ContainerResources{Name: uc.Name, Sidecar: sidecar[uc.Name], Requests: req, Limits: lim})
	}
	if len(cs) == 0 {
		return nil
	}
	data, err := json.Marshal(map[string]any{"spec": kube.PodSpecPatch(cs)})
	if err != nil {
		return err
	}
	_, err = c.cl.Kube.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.StrategicMergePatchType, data,
		metav1.PatchOptions{FieldManager: kube.FieldManager}, "resize")
	if err != nil {
		return fmt.Errorf("resize pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return nil
}

func (c *Controller) evict(ctx context.Context, p *corev1.Pod) error {
	ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}}
	if err := c.cl.Kube.PolicyV1().Evictions(p.Namespace).Evict(ctx, ev); err != nil {
		if apierrors.IsTooManyRequests(err) {
			return err
		}
		return fmt.Errorf("evict pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return nil
}
