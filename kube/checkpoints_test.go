package kube

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"sigs.k8s.io/yaml"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	_ "github.com/smartvpa/smartvpa/core/recommend/smart"
	"github.com/smartvpa/smartvpa/core/recommend/vpa"
)

// webRecommender is a vpa recommender fed 8 days of a daily sine ending just
// before t0 (the "web" container's history in demoReport).
func webRecommender(t *testing.T) *vpa.Recommender {
	t.Helper()
	r, err := vpa.New(vpa.DefaultOptions(), recommend.Config{ContainersInPod: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range series(t0.Add(-8*24*time.Hour+1500*time.Millisecond), 5*time.Minute, 8*24*12, func(i int) (float64, float64) {
		x := math.Sin(2 * math.Pi * float64(i) / (24 * 12))
		return 350 + 250*x, (400 + 20*x) * model.MiB
	}) {
		r.AddSample(s)
	}
	return r
}

// viaJSON returns u as it comes back from the API server: JSON numbers as
// int64 or float64.
func viaJSON(t *testing.T, u *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	data, err := u.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	out := &unstructured.Unstructured{}
	if err := out.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	return out
}

func truncated(cp vpa.Checkpoint) vpa.Checkpoint {
	cp.LastUpdateTime = cp.LastUpdateTime.Truncate(time.Second)
	cp.FirstSampleStart = cp.FirstSampleStart.Truncate(time.Second)
	cp.LastSampleStart = cp.LastSampleStart.Truncate(time.Second)
	cp.CPUHistogram.ReferenceTimestamp = cp.CPUHistogram.ReferenceTimestamp.Truncate(time.Second)
	cp.MemoryHistogram.ReferenceTimestamp = cp.MemoryHistogram.ReferenceTimestamp.Truncate(time.Second)
	return cp
}

func TestVPACheckpointObjectRoundTrip(t *testing.T) {
	now := t0.Add(-2500 * time.Millisecond)
	for _, tt := range []struct {
		name string
		cp   vpa.Checkpoint
	}{
		{"web", webRecommender(t).SaveToCheckpoint(now)},
		{"empty", func() vpa.Checkpoint {
			r, _ := vpa.New(vpa.DefaultOptions(), recommend.Config{})
			return r.SaveToCheckpoint(now)
		}()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := viaJSON(t, NewVPACheckpointObject("demo", "web-vpa", "web", tt.cp, nil))
			if u.GetName() != "web-vpa-web" || len(u.GetOwnerReferences()) != 0 {
				t.Fatalf("name %s, owners %v", u.GetName(), u.GetOwnerReferences())
			}
			got, err := ParseVPACheckpoint(u)
			if err != nil {
				t.Fatal(err)
			}
			if got.VPA != "web-vpa" || got.Container != "web" || got.Name != "web-vpa-web" || got.Namespace != "demo" {
				t.Fatalf("identity %+v", got)
			}
			if want := truncated(tt.cp); !reflect.DeepEqual(got.Checkpoint, want) {
				t.Fatalf("parsed\n%+v\nwant (times in whole seconds)\n%+v", got.Checkpoint, want)
			}
		})
	}
}

// TestVPACheckpointObjectGolden pins the object's JSON shape against
// upstream's (the golden file was checked against the
// VerticalPodAutoscalerCheckpoint CRD's schema: status.cpuHistogram.
// bucketWeights is an object of bucket -> weight, times are date-time or
// null).
func TestVPACheckpointObjectGolden(t *testing.T) {
	r, _ := vpa.New(vpa.DefaultOptions(), recommend.Config{})
	for i := range 3 {
		r.AddSample(model.Sample{Time: t0.Add(time.Duration(i) * time.Minute), CPUMillicores: float64(100 * (i + 1)), MemoryBytes: 300 * model.MiB})
	}
	u := NewVPACheckpointObject("demo", "web-vpa", "web", r.SaveToCheckpoint(t0.Add(25*time.Hour)), map[string]string{"app.kubernetes.io/managed-by": "smartvpa"})
	data, err := yaml.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "vpacheckpoint.yaml", data)
}

func TestParseVPACheckpointErrors(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{
			"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscalerCheckpoint",
			"metadata": map[string]any{"name": "v-c", "namespace": "ns"},
			"spec":     map[string]any{"vpaObjectName": "v", "containerName": "c"},
			"status": map[string]any{"version": "v3", "totalSamplesCount": int64(3), "lastSampleStart": "2026-11-01T00:00:00Z",
				"cpuHistogram": map[string]any{"totalWeight": 1.5, "bucketWeights": map[string]any{"3": int64(10000)}}},
		}
	}
	for _, tt := range []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"no spec", func(m map[string]any) { delete(m, "spec") }, "checkpoint ns/v-c: spec.vpaObjectName and spec.containerName are required"},
		{"bucket index", func(m map[string]any) {
			m["status"].(map[string]any)["cpuHistogram"].(map[string]any)["bucketWeights"] = map[string]any{"x": int64(1)}
		}, `checkpoint ns/v-c: status.cpuHistogram: bucketWeights: bucket "x" is not a bucket index`},
		{"fractional weight", func(m map[string]any) {
			m["status"].(map[string]any)["cpuHistogram"].(map[string]any)["bucketWeights"] = map[string]any{"2": 1.5}
		}, "checkpoint ns/v-c: status.cpuHistogram: bucketWeights: bucket 2 weight 1.5 is not a whole number from 0 to 4294967295"},
		{"weight too large", func(m map[string]any) {
			m["status"].(map[string]any)["cpuHistogram"].(map[string]any)["bucketWeights"] = map[string]any{"2": int64(1) << 33}
		}, "checkpoint ns/v-c: status.cpuHistogram: bucketWeights: bucket 2 weight 8589934592 is not a whole number from 0 to 4294967295"},
		{"total weight", func(m map[string]any) {
			m["status"].(map[string]any)["cpuHistogram"].(map[string]any)["totalWeight"] = "heavy"
		}, "checkpoint ns/v-c: status.cpuHistogram: totalWeight: heavy is not a weight"},
		{"time", func(m map[string]any) { m["status"].(map[string]any)["lastSampleStart"] = "yesterday" },
			`checkpoint ns/v-c: status.lastSampleStart: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
		{"count", func(m map[string]any) { m["status"].(map[string]any)["totalSamplesCount"] = int64(-4) },
			"checkpoint ns/v-c: status.totalSamplesCount: -4 is not a sample count"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			tt.edit(m)
			_, err := ParseVPACheckpoint(&unstructured.Unstructured{Object: m})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v\nwant %s", err, tt.want)
			}
		})
	}
	cp, err := ParseVPACheckpoint(&unstructured.Unstructured{Object: base()})
	if err != nil || cp.TotalSamplesCount != 3 || cp.CPUHistogram.BucketWeights[3] != 10000 || cp.MemoryHistogram.TotalWeight != 0 {
		t.Fatalf("valid checkpoint: %+v, %v", cp, err)
	}
}

func FuzzParseVPACheckpoint(f *testing.F) {
	r, _ := vpa.New(vpa.DefaultOptions(), recommend.Config{})
	r.AddSample(model.Sample{Time: t0, CPUMillicores: 100, MemoryBytes: model.GiB})
	seed, _ := NewVPACheckpointObject("demo", "v", "c", r.SaveToCheckpoint(t0), nil).MarshalJSON()
	f.Add(seed)
	f.Add([]byte(`{"metadata":{"name":"a"},"spec":{"vpaObjectName":"v","containerName":"c"},"status":{"cpuHistogram":{"bucketWeights":{"-1":3}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(data); err != nil {
			return
		}
		cp, err := ParseVPACheckpoint(u)
		if err != nil {
			return
		}
		// Whatever parses either loads or is refused, without a panic.
		v, _ := vpa.New(vpa.DefaultOptions(), recommend.Config{})
		_ = v.LoadFromCheckpoint(&cp.Checkpoint)
	})
}

func vpaObject(ns, name, kind, target string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     map[string]any{"targetRef": map[string]any{"apiVersion": "apps/v1", "kind": kind, "name": target}},
	}}
}

func fakeDynamic(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{VPAResource: "VerticalPodAutoscalerList", VPACheckpointResource: "VerticalPodAutoscalerCheckpointList"}, objs...)
}

// TestCheckpointsSourceAndEngine: the checkpoints source attributes
// upstream checkpoint objects to the workload (api: no OOM kill, which would
// add a memory peak to the restored state) through the VPA's targetRef
// (the newest when two VPAs target it), and the engine loads it into vpa:
// the recommendation is the original recommender's within the quantisation
// of the weights; with smart, vpa is seeded instead and the output says so.
func TestCheckpointsSourceAndEngine(t *testing.T) {
	deps, snap := demoSnapshot()
	ws := Group([]runtime.Object{deps[0], deps[1]}, snap, false, labels.Everything())
	orig := webRecommender(t)
	now := t0
	cp := orig.SaveToCheckpoint(now)
	older := cp
	older.LastUpdateTime = now.Add(-time.Hour)
	older.TotalSamplesCount = 7
	dyn := fakeDynamic(
		vpaObject("demo", "api-vpa", "Deployment", "api"),
		vpaObject("demo", "old-vpa", "Deployment", "api"),
		vpaObject("demo", "gone-vpa", "Deployment", "nothere"),
		NewVPACheckpointObject("demo", "api-vpa", "api", cp, nil),
		NewVPACheckpointObject("demo", "old-vpa", "api", older, nil),
		NewVPACheckpointObject("demo", "gone-vpa", "api", older, nil),
		NewVPACheckpointObject("demo", "api-vpa", "sidecar-not-in-pod", older, nil),
	)
	src := &Checkpoints{Client: dyn}
	api := ContainerKey{Workload: "demo/Deployment/api", Container: "api"}
	for _, name := range []string{"vpa", "smart"} {
		t.Run(name, func(t *testing.T) {
			e := &Engine{Recommender: name, Sources: []HistorySource{src}, Floors: model.Resources{CPUMillicores: 1, MemoryBytes: 1}}
			h, notes, err := e.FetchHistory(context.Background(), ws, now)
			if err != nil {
				t.Fatal(err)
			}
			if h.Source != "checkpoints" || len(h.Checkpoints) != 1 || h.Checkpoints[api] == nil || h.Checkpoints[api].VPA != "api-vpa" {
				t.Fatalf("source %s, checkpoints %v", h.Source, h.Checkpoints)
			}
			if !hasNote(notes, "checkpoints: 1 upstream VerticalPodAutoscalerCheckpoint object(s) (demo/api-vpa-api), newest written 2026-11-01T00:00:00Z; 1 older one(s) for the same containers ignored") {
				t.Fatalf("notes %q", notes)
			}
			if got := hasNote(notes, "containers with only a checkpoint are recommended by vpa seeded with it"); got != (name == "smart") {
				t.Fatalf("fallback note present = %v for %s: %q", got, name, notes)
			}
			rep, err := e.Recommend(context.Background(), ws, h, notes, now)
			if err != nil {
				t.Fatal(err)
			}
			cr := rep.Workloads[0].Containers[0]
			if rep.Workloads[0].Name != "api" || cr.Recommendation == nil {
				t.Fatalf("api report %+v", cr)
			}
			if cr.Samples != 8*24*12 || time.Duration(cr.HistorySpan) < 191*time.Hour || cr.Confidence != ConfidenceHigh {
				t.Fatalf("samples %d span %v confidence %s", cr.Samples, time.Duration(cr.HistorySpan), cr.Confidence)
			}
			if got := hasNote(cr.Notes, "recommended by vpa from checkpoint api-vpa-api (smart cannot load histograms)"); got != (name == "smart") {
				t.Fatalf("container notes %q", cr.Notes)
			}
			want, _ := orig.Recommend(now)
			for _, p := range [][2]float64{{want.Target.CPUMillicores, cr.Recommendation.Target.CPUMillicores}, {want.Target.MemoryBytes, cr.Recommendation.Target.MemoryBytes},
				{want.Upper.CPUMillicores, cr.Recommendation.Upper.CPUMillicores}, {want.Lower.MemoryBytes, cr.Recommendation.Lower.MemoryBytes}} {
				if math.Abs(p[1]/p[0]-1) > 0.0501 {
					t.Fatalf("restored %+v, original %+v", cr.Recommendation, want)
				}
			}
			t.Logf("%s from checkpoint: target %v (original %v)", name, cr.Recommendation.Target, want.Target)
		})
	}
	// An unsupported version is skipped with a note.
	bad := cp
	bad.Version = "v2"
	h, err := (&Checkpoints{Client: fakeDynamic(vpaObject("demo", "api-vpa", "Deployment", "api"), NewVPACheckpointObject("demo", "api-vpa", "api", bad, nil))}).History(context.Background(), ws, now)
	if err != nil || len(h.Checkpoints) != 0 || !strings.Contains(strings.Join(h.Notes, "\n"), `checkpoint demo/api-vpa-api: version "v2" is not supported (vpa reads "v3"): skipped`) {
		t.Fatalf("v2 checkpoint: %v, %v, %q", h.Checkpoints, err, h.Notes)
	}
}

// TestCheckpointFirstDayNote: within a container's first day the memory
// histogram of a checkpoint is empty (upstream leaves the open day's peak
// out) and the output says the memory recommendation is the floor.
func TestCheckpointFirstDayNote(t *testing.T) {
	r, _ := vpa.New(vpa.DefaultOptions(), recommend.Config{})
	for i := range 30 {
		r.AddSample(model.Sample{Time: t0.Add(time.Duration(i) * time.Minute), CPUMillicores: 200, MemoryBytes: 300 * model.MiB})
	}
	cp := &VPACheckpoint{Namespace: "demo", Name: "v-c", VPA: "v", Container: "c", Checkpoint: r.SaveToCheckpoint(t0.Add(30 * time.Minute))}
	e := &Engine{Recommender: "vpa"}
	v, _ := vpa.New(vpa.DefaultOptions(), recommend.Config{})
	_, note, err := e.fromCheckpoint(v, recommend.Config{}, cp)
	if err != nil || note != "checkpoint v-c holds no memory peak yet (the current day's is left out until the day ends): the memory recommendation is the floor" {
		t.Fatalf("note %q, err %v", note, err)
	}
	cp.Checkpoint = r.SaveToCheckpoint(t0.Add(25 * time.Hour))
	if _, note, _ := e.fromCheckpoint(v, recommend.Config{}, cp); note != "" {
		t.Fatalf("note after the first day: %q", note)
	}
}
