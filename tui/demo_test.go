package tui

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/smartvpa/smartvpa/core/model"
)

func TestDemoDeterministic(t *testing.T) {
	ctx := context.Background()
	list := func(seed int64) []Workload {
		src, err := NewDemoSource(DemoOptions{Seed: seed, Recommenders: []string{testRecP90}})
		if err != nil {
			t.Fatal(err)
		}
		ws, err := src.List(ctx, testRecP90)
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	a, b, c := list(3), list(3), list(4)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different workloads")
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds, same workloads")
	}
}

func TestDemoHistoryEndsAtDemoEnd(t *testing.T) {
	src := newDemo(t, "")
	for _, spec := range demoSpecs {
		ref := Ref{spec.ns, spec.kind, spec.name}
		d, err := src.Detail(context.Background(), ref, testRecP90)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range d.Containers {
			h := c.History
			last := h[len(h)-1].Time
			if last.After(DemoEnd) || DemoEnd.Sub(last) > src.opts.Interval {
				t.Errorf("%s/%s: history ends at %s, want just before %s", ref, c.Name, last, DemoEnd)
			}
			if got := DemoEnd.Sub(h[0].Time); got != spec.history {
				t.Errorf("%s/%s: history spans %s, want %s", ref, c.Name, got, spec.history)
			}
			for i, s := range h {
				if s.CPUMillicores < 0 || s.MemoryBytes < 0 || (i > 0 && !s.Time.After(h[i-1].Time)) {
					t.Fatalf("%s/%s: bad sample %d: %+v", ref, c.Name, i, s)
				}
			}
		}
	}
}

func TestDemoErrors(t *testing.T) {
	if _, err := NewDemoSource(DemoOptions{Recommenders: []string{"no-such"}}); err == nil || !strings.Contains(err.Error(), `unknown recommender "no-such"`) {
		t.Fatalf("unknown recommender: %v", err)
	}
	src := newDemo(t, "")
	ctx := context.Background()
	if _, err := src.List(ctx, "vpa-typo"); err == nil || !strings.Contains(err.Error(), "choose from "+testRecP90) {
		t.Fatalf("List with unknown recommender: %v", err)
	}
	if _, err := src.Detail(ctx, Ref{"x", "Deployment", "y"}, testRecP90); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("Detail of unknown workload: %v", err)
	}
	bad := []struct {
		name   string
		change Change
		want   string
	}{
		{"unknown workload", Change{Ref: Ref{"x", "Deployment", "y"}}, "x/Deployment/y not found"},
		{"unknown container", Change{Ref: Ref{"shop", "Deployment", "cart"}, Containers: []ContainerChange{{Name: "nope", To: model.Resources{CPUMillicores: 10, MemoryBytes: model.GiB}}}}, `container "nope" not found`},
		{"zero request", Change{Ref: Ref{"shop", "Deployment", "cart"}, Containers: []ContainerChange{{Name: "app"}}}, "at least 1m cpu and 1Mi memory"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			res, err := src.DryRun(ctx, []Change{tt.change})
			if err != nil || len(res) != 1 || res[0].Err == nil || !strings.Contains(res[0].Err.Error(), tt.want) {
				t.Fatalf("DryRun = %+v, %v; want error %q", res, err, tt.want)
			}
		})
	}
	ro := newDemo(t, "no RBAC")
	if _, err := ro.Apply(ctx, nil); err == nil || err.Error() != "patching is forbidden: no RBAC" {
		t.Fatalf("read-only Apply: %v", err)
	}
}

func TestDryRunDoesNotChange(t *testing.T) {
	src := newDemo(t, "")
	ctx := context.Background()
	before, _ := src.List(ctx, testRecP90)
	ch, err := changeFor(before[0], testRecP90)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.DryRun(ctx, []Change{ch}); err != nil {
		t.Fatal(err)
	}
	after, _ := src.List(ctx, testRecP90)
	if !reflect.DeepEqual(before, after) {
		t.Fatal("dry-run changed the workloads")
	}
	if _, err := src.Apply(ctx, []Change{ch}); err != nil {
		t.Fatal(err)
	}
	after, _ = src.List(ctx, testRecP90)
	if !after[0].Applied || after[0].Containers[0].Request != ch.Containers[0].To {
		t.Fatalf("apply did not set the requests: %+v", after[0])
	}
	// Another recommender's numbers are not "applied".
	other, _ := src.List(ctx, testRecPeak)
	if other[0].Applied {
		t.Fatal("applied under another recommender")
	}
}

func TestRequestsPatch(t *testing.T) {
	tests := []struct {
		kind string
		want string
	}{
		{"Deployment", `{"spec":{"template":{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"251m","memory":"129Mi"}}},{"name":"side","resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}}}`},
		{"CronJob", `{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"251m","memory":"129Mi"}}},{"name":"side","resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			ch := Change{Ref: Ref{"ns", tt.kind, "x"}, Containers: []ContainerChange{
				{Name: "app", To: model.Resources{CPUMillicores: 250.2, MemoryBytes: 128*model.MiB + 1}},
				{Name: "side", To: model.Resources{CPUMillicores: 10, MemoryBytes: 16 * model.MiB}},
			}}
			got := RequestsPatch(ch)
			if got != tt.want {
				t.Fatalf("patch\n got %s\nwant %s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Fatal("patch is not JSON")
			}
		})
	}
}

func TestChangeForSkipsContainersWithoutRecommendation(t *testing.T) {
	w := Workload{Ref: Ref{"a", "Deployment", "b"}, Containers: []ContainerRec{
		{Name: "warm", OK: true, Rec: model.Recommendation{Target: model.Resources{CPUMillicores: 99.1, MemoryBytes: 3.5 * model.MiB}}},
		{Name: "cold"},
	}}
	c, err := changeFor(w, "r")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Containers) != 1 || c.Containers[0].To != (model.Resources{CPUMillicores: 100, MemoryBytes: 4 * model.MiB}) {
		t.Fatalf("change %+v", c)
	}
	if _, err := changeFor(Workload{Ref: w.Ref, Containers: w.Containers[1:]}, "r"); err == nil ||
		err.Error() != "a/Deployment/b has no recommendation yet: wait for more history" {
		t.Fatalf("cold workload: %v", err)
	}
}
