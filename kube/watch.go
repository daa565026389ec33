package kube

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// RolloutWatcher follows a workload after its template was patched: it ends
// when the rollout completes, or fails as soon as a pod of the workload is
// OOM-killed or crash-loops after the patch.
type RolloutWatcher struct {
	Client   kubernetes.Interface
	Interval time.Duration // default 2 s
	Timeout  time.Duration
	// Sleep waits d or until ctx ends; Now gives the time. Tests inject both.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

// RolloutFailure says which pods failed after a patch.
type RolloutFailure struct{ Reasons []string }

func (f *RolloutFailure) Error() string { return strings.Join(f.Reasons, "; ") }

// Watch returns nil when the rollout completed, a *RolloutFailure when pods
// failed, and an error when the timeout passed without completion. Every
// error names the workload (once).
func (rw *RolloutWatcher) Watch(ctx context.Context, w *Workload, since time.Time) error {
	interval := rw.Interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	now := rw.Now
	if now == nil {
		now = time.Now
	}
	sleep := rw.Sleep
	if sleep == nil {
		sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	deadline := now().Add(rw.Timeout)
	for {
		pods, err := rw.pods(ctx, w)
		if err != nil {
			return err
		}
		if reasons := failures(pods, since); len(reasons) > 0 {
			return &RolloutFailure{Reasons: reasons}
		}
		done, err := rw.complete(ctx, w)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if !now().Before(deadline) {
			if w.Kind != KindDeployment && w.Kind != KindStatefulSet && w.Kind != KindDaemonSet {
				return nil // no rollout to wait for, and no failure seen
			}
			return fmt.Errorf("%s/%s: rollout not complete after %s", w.Namespace, w.Ref(), rw.Timeout)
		}
		if err := sleep(ctx, interval); err != nil {
			return fmt.Errorf("watch %s/%s: %w", w.Namespace, w.Ref(), err)
		}
	}
}

func (rw *RolloutWatcher) pods(ctx context.Context, w *Workload) ([]corev1.Pod, error) {
	sel := ""
	if w.Kind != KindPod {
		if ls := selectorOf(w); ls != nil {
			s, err := metav1.LabelSelectorAsSelector(ls)
			if err == nil {
				sel = s.String()
			}
		}
	}
	list, err := rw.Client.CoreV1().Pods(w.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list pods of %s/%s: %w", w.Namespace, w.Ref(), err)
	}
	if w.Kind == KindPod {
		for _, p := range list.Items {
			if p.Name == w.Name {
				return []corev1.Pod{p}, nil
			}
		}
		return nil, nil
	}
	return list.Items, nil
}

// failures lists the OOM kills and crash loops that happened after since.
func failures(pods []corev1.Pod, since time.Time) []string {
	var out []string
	for _, p := range pods {
		for _, st := range append(append([]corev1.ContainerStatus(nil), p.Status.ContainerStatuses...), p.Status.InitContainerStatuses...) {
			for _, t := range []*corev1.ContainerStateTerminated{st.State.Terminated, st.LastTerminationState.Terminated} {
				if t != nil && t.Reason == "OOMKilled" && !t.FinishedAt.Time.Before(since) {
					out = append(out, fmt.Sprintf("pod %s container %s was OOMKilled", p.Name, st.Name))
				}
			}
			if wt := st.State.Waiting; wt != nil && wt.Reason == "CrashLoopBackOff" && !p.CreationTimestamp.Time.Before(since.Add(-time.Second)) {
				out = append(out, fmt.Sprintf("pod %s container %s is in CrashLoopBackOff", p.Name, st.Name))
			}
		}
	}
	return out
}

func selectorOf(w *Workload) *metav1.LabelSelector {
	if w.Template.Labels != nil {
		return &metav1.LabelSelector{MatchLabels: w.Template.Labels}
	}
	return nil
}

// complete reports whether the controller finished rolling out its template.
func (rw *RolloutWatcher) complete(ctx context.Context, w *Workload) (bool, error) {
	opts := metav1.GetOptions{}
	switch w.Kind {
	case KindDeployment:
		d, err := rw.Client.AppsV1().Deployments(w.Namespace).Get(ctx, w.Name, opts)
		if err != nil {
			return false, fmt.Errorf("read %s/%s: %w", w.Namespace, w.Ref(), err)
		}
		want := replicas(d.Spec.Replicas)
		s := d.Status
		return s.ObservedGeneration >= d.Generation && int(s.UpdatedReplicas) == want && int(s.Replicas) == want && int(s.AvailableReplicas) == want, nil
	case KindStatefulSet:
		s, err := rw.Client.AppsV1().StatefulSets(w.Namespace).Get(ctx, w.Name, opts)
		if err != nil {
			return false, fmt.Errorf("read %s/%s: %w", w.Namespace, w.Ref(), err)
		}
		want := replicas(s.Spec.Replicas)
		return s.Status.ObservedGeneration >= s.Generation && int(s.Status.UpdatedReplicas) == want && int(s.Status.ReadyReplicas) == want, nil
	case KindDaemonSet:
		d, err := rw.Client.AppsV1().DaemonSets(w.Namespace).Get(ctx, w.Name, opts)
		if err != nil {
			return false, fmt.Errorf("read %s/%s: %w", w.Namespace, w.Ref(), err)
		}
		s := d.Status
		return s.ObservedGeneration >= d.Generation && s.UpdatedNumberScheduled == s.DesiredNumberScheduled && s.NumberAvailable == s.DesiredNumberScheduled, nil
	}
	// Other kinds have no rollout: watching for failures until the timeout
	// is all there is.
	return false, nil
}
