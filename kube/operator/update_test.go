package operator

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"

	"github.com/smartvpa/smartvpa/core/model"
)

type denyAll struct{}

func (denyAll) Allow() bool { return false }

func TestUpdater(t *testing.T) {
	tooMany := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
	notSupported := apierrors.NewMethodNotSupported(schema.GroupResource{Resource: "pods/resize"}, "patch")
	tests := []struct {
		name        string
		mode        string
		pods        int
		limiter     Limiter
		evictErr    error
		resizeErr   error
		wantEvicted int
		wantResized int
	}{
		{name: "recreate evicts within tolerance", mode: "Recreate", pods: 3, wantEvicted: 1},
		{name: "auto is recreate", mode: "Auto", pods: 4, wantEvicted: 2},
		{name: "off does nothing", mode: "Off", pods: 3},
		{name: "initial does nothing", mode: "Initial", pods: 3},
		{name: "min replicas", mode: "Recreate", pods: 1},
		{name: "rate limited", mode: "Recreate", pods: 3, limiter: denyAll{}},
		{name: "pdb refuses", mode: "Recreate", pods: 3, evictErr: tooMany},
		{name: "in place", mode: "InPlaceOrRecreate", pods: 2, wantResized: 1},
		{name: "in place falls back to eviction", mode: "InPlaceOrRecreate", pods: 2, resizeErr: notSupported, wantEvicted: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pods []*corev1.Pod
			for i := range tt.pods {
				pods = append(pods, pod("web-"+string(rune('0'+i)), "10m", "16Mi"))
			}
			f := newFixture(t, []*unstructured.Unstructured{vpaObject("web", "smartvpa", tt.mode)}, pods...)
			evicted, resized := 0, 0
			f.kube.PrependReactor("create", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
				if a.GetSubresource() != "eviction" {
					return false, nil, nil
				}
				if tt.evictErr != nil {
					return true, nil, tt.evictErr
				}
				evicted++
				return true, nil, nil
			})
			f.kube.PrependReactor("patch", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
				if a.GetSubresource() != "resize" {
					return false, nil, nil
				}
				if tt.resizeErr != nil {
					return true, nil, tt.resizeErr
				}
				resized++
				return true, &corev1.Pod{}, nil
			})
			c, _ := f.controller(t, Config{Updater: true, UpdateLimiter: tt.limiter})
			usage := map[string]model.Resources{}
			for _, p := range pods {
				usage[p.Name] = model.Resources{CPUMillicores: 500, MemoryBytes: 512 << 20}
			}
			f.set(t0, usage)
			r := c.Pass(context.Background())
			if r.Recommended != 1 {
				t.Fatalf("pass = %+v, want a recommendation", r)
			}
			if evicted != tt.wantEvicted || resized != tt.wantResized {
				t.Fatalf("evicted %d, resized %d; want %d, %d", evicted, resized, tt.wantEvicted, tt.wantResized)
			}
		})
	}
}

func TestUpdaterMode(t *testing.T) {
	for in, want := range map[string]bool{"Off": false, "Initial": false, "Recreate": true, "Auto": true, "InPlaceOrRecreate": true, "": false} {
		if _, ok := UpdaterMode(in); ok != want {
			t.Errorf("UpdaterMode(%q) ok = %v, want %v", in, ok, want)
		}
	}
	_ = time.Second
}
