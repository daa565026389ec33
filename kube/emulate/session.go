package emulate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/smartvpa/smartvpa/core/sim"
)

// pollInterval is the wait between two looks at the API server while a
// namespace, its ServiceAccount or leftover pods come and go.
const pollInterval = 500 * time.Millisecond

// Session is the namespace and the pods of one emulation run, around Run:
// EnsureNamespace, then ClearLeftovers, Run, and Close (also after an error
// or an interrupt).
type Session struct {
	Client  kubernetes.Interface
	Backend Backend
	// Namespace holds the run's pods; Name labels them (LabelRun).
	Namespace, Name string
	// Sleep waits between two polls (nil: real time); tests inject it.
	Sleep func(ctx context.Context, d time.Duration) error

	createdNamespace bool
}

func (s *Session) sleep(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	return sleep(ctx, d)
}

// CreatedNamespace reports whether EnsureNamespace created the namespace
// (Close deletes it then).
func (s *Session) CreatedNamespace() bool { return s.createdNamespace }

// EnsureNamespace creates the namespace when it does not exist and waits for
// its default ServiceAccount (pods are refused until it exists). A namespace
// an earlier run just deleted is still terminating for a few seconds and
// refuses new pods: it waits for it to go first (at most 60 s).
func (s *Session) EnsureNamespace(ctx context.Context) error {
	c, ns := s.Client, s.Namespace
	for i := 0; ; i++ {
		got, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err == nil && got.Status.Phase != corev1.NamespaceTerminating {
			return nil
		}
		if apierrors.IsNotFound(err) {
			break
		}
		if err != nil {
			return fmt.Errorf("get namespace %s: %w", ns, err)
		}
		if i == 120 {
			return fmt.Errorf("namespace %s is still terminating after 60 s: wait for it or give another one with -n", ns)
		}
		if err := s.sleep(ctx, pollInterval); err != nil {
			return err
		}
	}
	_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: ns, Labels: map[string]string{LabelManagedBy: "kubectl-smartvpa"}}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create namespace %s: %w (give an existing one with -n)", ns, err)
	}
	s.createdNamespace = true
	for i := 0; i < 60; i++ {
		if _, err := c.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return nil
		}
		if err := s.sleep(ctx, pollInterval); err != nil {
			return err
		}
	}
	return fmt.Errorf("namespace %s has no default ServiceAccount after 30 s: is kube-controller-manager running?", ns)
}

// ClearLeftovers deletes the pods an earlier run of the same name left (one
// interrupted before its clean-up) and waits until they are gone, since the
// new pods reuse their names (at most 60 s).
func (s *Session) ClearLeftovers(ctx context.Context) error {
	c, ns := s.Client, s.Namespace
	sel := metav1.ListOptions{LabelSelector: LabelRun + "=" + s.Name}
	for i := 0; i < 120; i++ {
		list, err := c.CoreV1().Pods(ns).List(ctx, sel)
		if err != nil {
			return fmt.Errorf("list pods in %s: %w", ns, err)
		}
		if len(list.Items) == 0 {
			return nil
		}
		if i == 0 {
			zero := int64(0)
			if err := c.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, sel); err != nil {
				return fmt.Errorf("delete the pods left by an earlier emulation in %s: %w", ns, err)
			}
		}
		if err := s.sleep(ctx, pollInterval); err != nil {
			return err
		}
	}
	return fmt.Errorf("pods labelled %s=%s in %s are still there after 60 s: delete them and run again", LabelRun, s.Name, ns)
}

// Close deletes the run's pods, what the backend deployed and, when
// EnsureNamespace created it, the namespace. Use a context that is not
// cancelled (the run's may be).
func (s *Session) Close(ctx context.Context) error {
	err := Cleanup(ctx, s.Client, s.Backend, s.Namespace, s.Name)
	if s.createdNamespace {
		if e := s.Client.CoreV1().Namespaces().Delete(ctx, s.Namespace, metav1.DeleteOptions{}); e != nil && !apierrors.IsNotFound(e) {
			err = errors.Join(err, fmt.Errorf("delete namespace %s: %w", s.Namespace, e))
		}
	}
	return err
}

// Cleanup deletes every pod of run name in namespace and what the backend
// deployed. Use a context that is not cancelled (the run's may be).
func Cleanup(ctx context.Context, c kubernetes.Interface, b Backend, namespace, name string) error {
	zero := int64(0)
	err := c.CoreV1().Pods(namespace).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero},
		metav1.ListOptions{LabelSelector: LabelRun + "=" + name})
	if err != nil && !apierrors.IsNotFound(err) {
		err = fmt.Errorf("delete the pods of emulation %s in %s: %w", name, namespace, err)
	} else {
		err = nil
	}
	return errors.Join(err, b.Teardown(ctx, c, namespace))
}

// RunName is the run's name (pod prefix and LabelRun value) for a workload
// id: "emu-" and the id reduced to a DNS label of at most 40 characters.
func RunName(id string) string {
	var b strings.Builder
	b.WriteString("emu-")
	for _, r := range strings.ToLower(id) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := b.String()
	if len(name) > 40 {
		name = name[:40]
	}
	return strings.TrimRight(name, "-")
}

// CutWorkload returns the samples of w within d of its first sample: the
// part an emulation of duration d plays. w is not changed.
func CutWorkload(w *sim.Workload, d time.Duration) *sim.Workload {
	out := *w
	end := w.Samples[0].Time.Add(d)
	n := len(w.Samples)
	for i, s := range w.Samples {
		if !s.Time.Before(end) {
			n = i
			break
		}
	}
	out.Samples = w.Samples[:n]
	return &out
}
