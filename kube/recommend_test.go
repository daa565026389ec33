package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	_ "github.com/smartvpa/smartvpa/core/recommend/vpa"
)

// demoReport recommends for the demo snapshot with the vpa recommender from
// a fixed history: web 8 days of a daily sine, api 12 hours of a step, the
// CronJob and the bare pod without history.
func demoReport(t *testing.T, profile Profile, explain bool) (*Report, []*Workload) {
	t.Helper()
	deps, snap := demoSnapshot()
	objs := []runtime.Object{deps[0], deps[1], cronJob("demo", "report", container("report", "500m", "512Mi", "", ""))}
	ws := Group(objs, snap, true, labels.Everything())
	h := NewHistory("prometheus")
	web := ContainerKey{Workload: "demo/Deployment/web", Container: "web"}
	h.Samples[web] = series(t0.Add(-8*24*time.Hour), 5*time.Minute, 8*24*12, func(i int) (float64, float64) {
		x := math.Sin(2 * math.Pi * float64(i) / (24 * 12))
		return 350 + 250*x, (400 + 20*x) * model.MiB
	})
	api := ContainerKey{Workload: "demo/Deployment/api", Container: "api"}
	h.Samples[api] = series(t0.Add(-12*time.Hour), 5*time.Minute, 12*12, func(i int) (float64, float64) {
		if i < 72 {
			return 150, 260 * model.MiB
		}
		return 190, 300 * model.MiB // close to its 200m limit
	})
	client := fake.NewSimpleClientset(hpa("demo", "web", "web", corev1.ResourceCPU))
	e := &Engine{Recommender: "vpa", Profile: profile, Floors: model.Resources{CPUMillicores: DefaultMinCPUMillicores, MemoryBytes: DefaultMinMemoryBytes},
		CPUPrice: DefaultCPUPrice, MemoryPrice: DefaultMemoryPrice, Client: client, Explain: explain}
	rep, err := e.Recommend(context.Background(), ws, h, []string{"--history auto chose prometheus"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return rep, ws
}

func TestRecommendGolden(t *testing.T) {
	for _, format := range []string{"table", "wide", "json", "yaml", "csv", "patch"} {
		t.Run(format, func(t *testing.T) {
			rep, _ := demoReport(t, ProfileBalanced, false)
			var b bytes.Buffer
			if err := PrintReport(&b, rep, format, false); err != nil {
				t.Fatal(err)
			}
			golden(t, "recommend."+format, b.Bytes())
		})
	}
	t.Run("explain", func(t *testing.T) {
		rep, _ := demoReport(t, ProfileBalanced, true)
		// The recommender's free-form notes are its own (tested there).
		for i := range rep.Workloads {
			for j := range rep.Workloads[i].Containers {
				if ex := rep.Workloads[i].Containers[j].Explanation; ex != nil {
					ex.Notes = nil
				}
			}
		}
		var b bytes.Buffer
		if err := PrintReport(&b, rep, "table", true); err != nil {
			t.Fatal(err)
		}
		golden(t, "recommend.explain", b.Bytes())
	})
}

func TestRecommendFacts(t *testing.T) {
	rep, _ := demoReport(t, ProfileBalanced, false)
	byName := map[string]*ContainerReport{}
	for i := range rep.Workloads {
		for j := range rep.Workloads[i].Containers {
			c := &rep.Workloads[i].Containers[j]
			byName[rep.Workloads[i].Name+"/"+c.Name] = c
		}
	}
	web := byName["web/web"]
	if web.Recommendation == nil || web.Confidence != ConfidenceHigh {
		t.Fatalf("web: %+v", web)
	}
	if web.Drift.CPU < 0.3 {
		t.Errorf("web requests 1 CPU for a 100-600m sine: drift %.2f, want over-provisioned", web.Drift.CPU)
	}
	if !hasNote(web.Notes, "HPA web scales on cpu") || !hasNote(web.Notes, "1 OOM kill(s) seen") {
		t.Errorf("web notes = %q", web.Notes)
	}
	if web.MonthlySavings <= 0 || rep.MonthlySavings <= 0 {
		t.Errorf("savings = %v / %v, want positive", web.MonthlySavings, rep.MonthlySavings)
	}
	api := byName["api/api"]
	if api.Confidence != ConfidenceLow || !hasNote(api.Notes, "low confidence") || !hasNote(api.Notes, "throttling likely") {
		t.Errorf("api: confidence %s notes %q", api.Confidence, api.Notes)
	}
	if api.Drift.CPU >= 0 {
		t.Errorf("api requests 100m for 150-190m usage: drift %.2f, want negative", api.Drift.CPU)
	}
	// Limits keep their ratio: api limit 200m for 100m request.
	if r := api.NewLimits.CPUMillicores / api.Recommendation.Target.CPUMillicores; math.Abs(r-2) > 1e-9 {
		t.Errorf("api cpu limit ratio = %v, want 2", r)
	}
	if c := byName["report/report"]; c.Recommendation != nil || !hasNote(c.Notes, "no usage history") {
		t.Errorf("report: %+v", c)
	}
	if c := byName["debug/proxy"]; c == nil || !c.Sidecar {
		t.Errorf("sidecar missing: %+v", byName)
	}
}

func hasNote(notes []string, sub string) bool {
	for _, n := range notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

func TestProfilesAndFloors(t *testing.T) {
	targets := map[Profile]float64{}
	for _, p := range []Profile{ProfileSavings, ProfileBalanced, ProfileReliability} {
		rep, _ := demoReport(t, p, false)
		targets[p] = rep.Workloads[1].Containers[0].Recommendation.Target.CPUMillicores // web
	}
	if !(targets[ProfileSavings] < targets[ProfileBalanced] && targets[ProfileBalanced] < targets[ProfileReliability]) {
		t.Fatalf("profile targets not ordered: %v", targets)
	}
	e := &Engine{Floors: model.Resources{CPUMillicores: 10, MemoryBytes: 32 * model.MiB}}
	got := e.shape(model.Recommendation{Target: model.Resources{CPUMillicores: 2, MemoryBytes: model.MiB}, Upper: model.Resources{CPUMillicores: 5, MemoryBytes: 2 * model.MiB}})
	if got.Target.CPUMillicores != 10 || got.Target.MemoryBytes != 32*model.MiB || got.Upper.CPUMillicores != 10 {
		t.Fatalf("floors not applied: %+v", got)
	}
}

func TestReportJSONShape(t *testing.T) {
	rep, _ := demoReport(t, ProfileBalanced, false)
	var b bytes.Buffer
	if err := PrintReport(&b, rep, "json", false); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"apiVersion", "kind", "recommender", "profile", "history", "generatedAt", "workloads", "monthlySavings"} {
		if _, ok := back[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestPatchOutputIsStrategicMergePatch(t *testing.T) {
	rep, _ := demoReport(t, ProfileBalanced, false)
	var b bytes.Buffer
	if err := PrintReport(&b, rep, "patch", false); err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(b.String(), "\n---\n")
	var found bool
	for _, d := range docs {
		if !strings.Contains(d, "name: web\n  namespace: demo") {
			continue
		}
		found = true
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatal(err)
		}
		cs := m["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)
		res := cs[0].(map[string]any)["resources"].(map[string]any)
		if _, ok := res["requests"].(map[string]any)["cpu"]; !ok {
			t.Fatalf("no cpu request in %v", res)
		}
	}
	if !found {
		t.Fatalf("no patch for deployment web:\n%s", b.String())
	}
}

func TestOOMEvents(t *testing.T) {
	deps, snap := demoSnapshot()
	ws := Group([]runtime.Object{deps[0]}, snap, false, labels.Everything())
	ev := OOMEvents(ws[0], "web")
	if len(ev) != 1 || !ev[0].Time.Equal(t0.Add(-time.Hour)) || ev[0].MemoryRequestBytes != model.GiB {
		t.Fatalf("OOM events = %+v", ev)
	}
}

type emptySource struct{ name string }

func (s emptySource) Name() string { return s.name }
func (s emptySource) History(context.Context, []*Workload, time.Time) (*History, error) {
	return NewHistory(s.name), nil
}

type oneSource struct{}

func (oneSource) Name() string { return "live" }
func (oneSource) History(_ context.Context, ws []*Workload, now time.Time) (*History, error) {
	h := NewHistory("live")
	h.LowConfidence = true
	h.Samples[ContainerKey{Workload: ws[0].Key(), Container: ws[0].Containers[0].Name}] = series(now.Add(-time.Minute), 15*time.Second, 5, func(int) (float64, float64) { return 100, model.GiB })
	return h, nil
}

func TestFetchHistoryAuto(t *testing.T) {
	deps, snap := demoSnapshot()
	ws := Group([]runtime.Object{deps[0]}, snap, false, labels.Everything())
	e := &Engine{Recommender: "vpa", Sources: []HistorySource{emptySource{"prometheus"}, emptySource{"checkpoints"}, oneSource{}}}
	h, notes, err := e.FetchHistory(context.Background(), ws, t0)
	if err != nil {
		t.Fatal(err)
	}
	if h.Source != "live" || strings.Join(notes[:2], ",") != "prometheus: no data,checkpoints: no data" {
		t.Fatalf("source %s notes %q", h.Source, notes)
	}
	e.Sources = e.Sources[:2]
	if _, _, err := e.FetchHistory(context.Background(), ws, t0); err != ErrNoHistory {
		t.Fatalf("err = %v, want ErrNoHistory", err)
	}
}

// Issue 20 case 20: a single live snapshot gives vpa's capped upper bound
// (1e14): shown as "no bound yet", never as 100G CPU or 95367432Mi.
func TestPrintNoUpperBoundYet(t *testing.T) {
	d := deployment("demo", "web", 1, container("web", "1", "1Gi", "", ""))
	ws := []*Workload{NewWorkload(d)}
	h := NewHistory("live")
	h.LowConfidence = true
	h.Samples[ContainerKey{Workload: ws[0].Key(), Container: "web"}] = []model.Sample{{Time: t0, CPUMillicores: 240, MemoryBytes: 300 * model.MiB}}
	e := &Engine{Recommender: "vpa", Floors: model.Resources{CPUMillicores: DefaultMinCPUMillicores, MemoryBytes: DefaultMinMemoryBytes}}
	rep, err := e.Recommend(context.Background(), ws, h, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	rec := rep.Workloads[0].Containers[0].Recommendation
	if rec == nil || model.Bounded(rec.Upper.CPUMillicores) || model.Bounded(rec.Upper.MemoryBytes) {
		t.Fatalf("want vpa's capped upper bounds from one sample, got %+v", rec)
	}
	for _, format := range []string{"table", "wide", "csv"} {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := PrintReport(&b, rep, format, format == "table"); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, bad := range []string{"100G", "95367432Mi", "1e+14", "100000000000000"} {
				if strings.Contains(out, bad) {
					t.Errorf("output shows the cap %s:\n%s", bad, out)
				}
			}
			want := "no bound yet"
			if format == "csv" {
				want = ",,"
			}
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		})
	}
}

// TestProfileGoesToRecommendersThatPlanForIt: a recommender that takes the
// profile itself (recommend.TakesProfile, like smart) gets its answer used
// as it is; the others are shaped towards the bound.
func TestProfileGoesToRecommendersThatPlanForIt(t *testing.T) {
	recommend.RegisterProfiled("test-profiled")
	rec := model.Recommendation{Lower: model.Resources{CPUMillicores: 100, MemoryBytes: 100 * model.MiB},
		Target: model.Resources{CPUMillicores: 200, MemoryBytes: 200 * model.MiB},
		Upper:  model.Resources{CPUMillicores: 400, MemoryBytes: 400 * model.MiB}}
	for _, tt := range []struct {
		recommender string
		profile     Profile
		want        float64
	}{
		{"test-profiled", ProfileSavings, 200},
		{"test-profiled", ProfileReliability, 200},
		{"vpa", ProfileSavings, 150},
		{"vpa", ProfileReliability, 300},
	} {
		e := &Engine{Recommender: tt.recommender, Profile: tt.profile}
		if got := e.shape(rec).Target.CPUMillicores; got != tt.want {
			t.Errorf("%s, %s: cpu target %g, want %g", tt.recommender, tt.profile, got, tt.want)
		}
	}
}
