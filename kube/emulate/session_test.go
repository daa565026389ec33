package emulate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/sim"
)

// noSleep is a Session's Sleep that returns at once (the polls are counted
// by the tests that need them).
func noSleep(t *testing.T) func(context.Context, time.Duration) error {
	t.Helper()
	return func(ctx context.Context, d time.Duration) error {
		if d != pollInterval {
			t.Errorf("slept %s, want the poll interval %s", d, pollInterval)
		}
		return ctx.Err()
	}
}

func TestRunName(t *testing.T) {
	tests := []struct{ id, want string }{
		{"step-api", "emu-step-api"},
		{"low_high-1d", "emu-low-high-1d"},
		{"Alibaba.M_1932", "emu-alibaba-m-1932"},
		{strings.Repeat("x", 60), "emu-" + strings.Repeat("x", 36)},
		{"abc" + strings.Repeat("_", 40), "emu-abc"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := RunName(tt.id); got != tt.want {
				t.Errorf("RunName(%q) = %q, want %q", tt.id, got, tt.want)
			}
		})
	}
}

func TestCutWorkload(t *testing.T) {
	w := &sim.Workload{ID: "w"}
	for i := 0; i < 10; i++ {
		w.Samples = append(w.Samples, model.Sample{Time: t0.Add(time.Duration(i) * time.Hour)})
	}
	tests := []struct {
		d    time.Duration
		want int
	}{{time.Hour, 1}, {90 * time.Minute, 2}, {5 * time.Hour, 5}, {48 * time.Hour, 10}}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			if got := CutWorkload(w, tt.d); len(got.Samples) != tt.want {
				t.Errorf("cut to %s: %d samples, want %d", tt.d, len(got.Samples), tt.want)
			}
			if len(w.Samples) != 10 {
				t.Fatal("CutWorkload changed its input")
			}
		})
	}
}

func TestEnsureNamespace(t *testing.T) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "emu"}}
	t.Run("exists", func(t *testing.T) {
		c := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "emu"}})
		s := &Session{Client: c, Namespace: "emu", Sleep: noSleep(t)}
		err := s.EnsureNamespace(context.Background())
		if created := s.CreatedNamespace(); err != nil || created {
			t.Fatalf("created %v, err %v; want an existing namespace used as is", created, err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		c := fake.NewClientset(sa)
		s := &Session{Client: c, Namespace: "emu", Sleep: noSleep(t)}
		err := s.EnsureNamespace(context.Background())
		if created := s.CreatedNamespace(); err != nil || !created {
			t.Fatalf("created %v, err %v; want the namespace created", created, err)
		}
		if _, err := c.CoreV1().Namespaces().Get(context.Background(), "emu", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("terminating", func(t *testing.T) {
		c := fake.NewClientset(sa, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "emu"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}})
		gets := 0
		c.PrependReactor("get", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
			gets++
			if gets > 2 { // gone after two looks
				_ = c.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("namespaces"), "", "emu")
			}
			return false, nil, nil
		})
		var slept time.Duration
		s := &Session{Client: c, Namespace: "emu", Sleep: func(_ context.Context, d time.Duration) error { slept += d; return nil }}
		err := s.EnsureNamespace(context.Background())
		if created := s.CreatedNamespace(); err != nil || !created || gets < 3 || slept != 2*pollInterval {
			t.Fatalf("created %v, err %v after %d gets and %s asleep; want two polls, then the namespace created", created, err, gets, slept)
		}
	})
}

func TestEnsureNamespaceGivesUp(t *testing.T) {
	tests := []struct {
		name      string
		objects   []runtime.Object
		wantPolls int
		wantErr   string
	}{
		{"terminating for ever", []runtime.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "emu"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}},
			120, "namespace emu is still terminating after 60 s: wait for it or give another one with -n"},
		{"no default ServiceAccount", nil,
			60, "namespace emu has no default ServiceAccount after 30 s: is kube-controller-manager running?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			polls := 0
			s := &Session{Client: fake.NewClientset(tt.objects...), Namespace: "emu", Sleep: func(context.Context, time.Duration) error { polls++; return nil }}
			err := s.EnsureNamespace(context.Background())
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
			if polls != tt.wantPolls {
				t.Errorf("%d polls, want %d (%s of wall time)", polls, tt.wantPolls, time.Duration(tt.wantPolls)*pollInterval)
			}
		})
	}
}

// An interrupt during a wait ends it with the context's error.
func TestEnsureNamespaceInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := fake.NewClientset() // no ServiceAccount ever
	s := &Session{Client: c, Namespace: "emu", Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }}
	if err := s.EnsureNamespace(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if !s.CreatedNamespace() {
		t.Error("the namespace was created before the wait: CreatedNamespace must say so")
	}
}

// deleteCollection makes the fake clientset delete the pods a
// DeleteCollection selects (its tracker ignores the call).
func deleteCollection(t *testing.T, c *fake.Clientset) {
	t.Helper()
	c.PrependReactor("delete-collection", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		dc := a.(k8stesting.DeleteCollectionAction)
		sel := dc.GetListRestrictions().Labels
		obj, err := c.Tracker().List(corev1.SchemeGroupVersion.WithResource("pods"), corev1.SchemeGroupVersion.WithKind("Pod"), dc.GetNamespace())
		if err != nil {
			return true, nil, err
		}
		for _, p := range obj.(*corev1.PodList).Items {
			if sel.Matches(labels.Set(p.Labels)) {
				if err := c.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), p.Namespace, p.Name); err != nil {
					t.Error(err)
				}
			}
		}
		return true, nil, nil
	})
}

func runPod(name, run string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "emu", Name: name, Labels: map[string]string{LabelRun: run}}}
}

func TestClearLeftovers(t *testing.T) {
	t.Run("pods of the same run deleted, others kept", func(t *testing.T) {
		c := fake.NewClientset(runPod("emu-step-1", "emu-step"), runPod("emu-step-2", "emu-step"), runPod("emu-other-1", "emu-other"))
		deleteCollection(t, c)
		s := &Session{Client: c, Namespace: "emu", Name: "emu-step", Sleep: noSleep(t)}
		if err := s.ClearLeftovers(context.Background()); err != nil {
			t.Fatal(err)
		}
		pods, _ := c.CoreV1().Pods("emu").List(context.Background(), metav1.ListOptions{})
		if len(pods.Items) != 1 || pods.Items[0].Name != "emu-other-1" {
			t.Fatalf("pods left %v, want emu-other-1 only", pods.Items)
		}
	})
	t.Run("pods that stay", func(t *testing.T) {
		c := fake.NewClientset(runPod("emu-step-1", "emu-step"))
		c.PrependReactor("delete-collection", "pods", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, nil })
		polls := 0
		s := &Session{Client: c, Namespace: "emu", Name: "emu-step", Sleep: func(context.Context, time.Duration) error { polls++; return nil }}
		err := s.ClearLeftovers(context.Background())
		if want := "pods labelled smartvpa.io/emulate=emu-step in emu are still there after 60 s: delete them and run again"; err == nil || err.Error() != want {
			t.Fatalf("err %v, want %q", err, want)
		}
		if polls != 120 {
			t.Errorf("%d polls, want 120", polls)
		}
	})
}

func TestSessionClose(t *testing.T) {
	for _, created := range []bool{false, true} {
		name := "existing namespace kept"
		if created {
			name = "created namespace deleted"
		}
		t.Run(name, func(t *testing.T) {
			c := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "emu"}}, runPod("emu-step-1", "emu-step"), runPod("emu-other-1", "emu-other"))
			deleteCollection(t, c)
			s := &Session{Client: c, Backend: &Kwok{}, Namespace: "emu", Name: "emu-step", createdNamespace: created}
			if err := s.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			pods, _ := c.CoreV1().Pods("emu").List(context.Background(), metav1.ListOptions{})
			if len(pods.Items) != 1 || pods.Items[0].Name != "emu-other-1" {
				t.Errorf("pods left %v, want emu-other-1 only", pods.Items)
			}
			_, err := c.CoreV1().Namespaces().Get(context.Background(), "emu", metav1.GetOptions{})
			if gone := apierrors.IsNotFound(err); gone != created {
				t.Errorf("namespace gone %v, want %v (err %v)", gone, created, err)
			}
		})
	}
	t.Run("namespace delete refused", func(t *testing.T) {
		c := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "emu"}})
		c.PrependReactor("delete", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "emu", errors.New("no"))
		})
		s := &Session{Client: c, Backend: &Kwok{}, Namespace: "emu", Name: "emu-step", createdNamespace: true}
		err := s.Close(context.Background())
		if err == nil || !strings.HasPrefix(err.Error(), "delete namespace emu: ") {
			t.Fatalf("err %v, want the namespace's deletion named", err)
		}
	})
}
