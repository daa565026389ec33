package tuisource

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/smartvpa/smartvpa/core/model"
	_ "github.com/smartvpa/smartvpa/core/recommend/autopilot" // registers autopilot
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/tui"
)

func TestSourceList(t *testing.T) {
	f := newTUIFixture(t)
	rows, err := f.src.List(context.Background(), "vpa")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rows {
		names = append(names, r.Ref.String())
	}
	want := "demo/Deployment/api demo/Deployment/web demo/ReplicaSet/lonely demo/CronJob/report demo/Pod/debug"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("rows = %s, want %s", got, want)
	}
	web := findRow(t, rows, "deploy/web")
	if web.HPAConflict != "hpa/web scales on cpu" || web.Replicas != 2 {
		t.Errorf("web: HPAConflict %q, replicas %d", web.HPAConflict, web.Replicas)
	}
	if c := web.Containers[0]; !c.OK || c.Confidence != 1 || c.Request != (model.Resources{CPUMillicores: 1000, MemoryBytes: model.GiB}) {
		t.Errorf("web container = %+v, want a recommendation with confidence 1 (8 days) and requests 1 / 1Gi", c)
	}
	if web.Applied {
		t.Errorf("web shown applied without smartvpa having set its requests")
	}
	api := findRow(t, rows, "deploy/api")
	if c := api.Containers[0]; !c.OK || c.Confidence < 0.14 || c.Confidence >= 0.15 {
		t.Errorf("api confidence = %v, want 0.15 x 12h/24h just under (low grade, 12 hours)", c.Confidence)
	}
	if api.HPAConflict != "" {
		t.Errorf("api HPAConflict = %q", api.HPAConflict)
	}
	report := findRow(t, rows, "cj/report")
	if report.Containers[0].OK || report.Containers[0].Confidence != 0 {
		t.Errorf("report without history: %+v", report.Containers[0])
	}
	if _, err := f.src.List(context.Background(), "nope"); err == nil || err.Error() != `unknown recommender "nope": use one of vpa` {
		t.Errorf("unknown recommender: %v", err)
	}
}

func TestSourceHistoryCache(t *testing.T) {
	f := newTUIFixture(t)
	ctx := context.Background()
	steps := []struct {
		name      string
		advance   time.Duration
		do        func() error
		wantFetch int
	}{
		{"first list fetches", 0, func() error { _, err := f.src.List(ctx, "vpa"); return err }, 1},
		{"refresh within a minute reuses", 30 * time.Second, func() error { _, err := f.src.List(ctx, "vpa"); return err }, 1},
		{"detail of a listed workload reuses", 0, func() error {
			d, err := f.src.Detail(ctx, tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "web"}, "vpa")
			if err == nil && (len(d.Containers) != 1 || len(d.Containers[0].History) != 8*24*12 || d.Containers[0].Explanation.Recommender == "") {
				t.Errorf("detail = %d containers, history and explanation missing", len(d.Containers))
			}
			return err
		}, 1},
		{"refresh after a minute fetches again", 31 * time.Second, func() error { _, err := f.src.List(ctx, "vpa"); return err }, 2},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			f.now = f.now.Add(s.advance)
			if err := s.do(); err != nil {
				t.Fatal(err)
			}
			if got := f.history.count(); got != s.wantFetch {
				t.Fatalf("history fetched %d times, want %d", got, s.wantFetch)
			}
		})
	}
	if f.resolve != 3 {
		t.Errorf("workloads resolved %d times, want on every list (3)", f.resolve)
	}
	if _, err := f.src.Detail(ctx, tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "gone"}, "vpa"); err == nil ||
		err.Error() != "workload demo/Deployment/gone not found: press R to refresh the list" {
		t.Errorf("detail of an unknown workload: %v", err)
	}
}

func TestTUIWorkloadApplied(t *testing.T) {
	rec := model.Recommendation{
		Lower:  model.Resources{CPUMillicores: 100.4, MemoryBytes: 190.5 * model.MiB},
		Target: model.Resources{CPUMillicores: 119.2, MemoryBytes: 199.5 * model.MiB},
		Upper:  model.Resources{CPUMillicores: 150.2, MemoryBytes: 250.2 * model.MiB},
	}
	tests := []struct {
		name  string
		owner string
		req   model.Resources
		hpa   *kube.HPAInfo
		want  bool
	}{
		{"set by smartvpa to the target", kube.FieldManager, model.Resources{CPUMillicores: 120, MemoryBytes: 200 * model.MiB}, nil, true},
		{"set by smartvpa, within the bounds", kube.FieldManager, model.Resources{CPUMillicores: 151, MemoryBytes: 190 * model.MiB}, nil, true},
		{"set by smartvpa, above the upper bound", kube.FieldManager, model.Resources{CPUMillicores: 152, MemoryBytes: 200 * model.MiB}, nil, false},
		{"HPA resource not compared", kube.FieldManager, model.Resources{CPUMillicores: 1000, MemoryBytes: 200 * model.MiB}, &kube.HPAInfo{Name: "api", Resources: []model.Resource{model.CPU}}, true},
		{"set by someone else", "kubectl-edit", model.Resources{CPUMillicores: 120, MemoryBytes: 200 * model.MiB}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deployment("demo", "api", 1, container("api", "120m", "200Mi", "", ""))
			d.ManagedFields = managed(tt.owner, []string{"spec", "template", "spec"}, "f:containers", "api")
			w := kube.NewWorkload(d)
			r := rec
			wr := kube.NewWorkloadReport(w, tt.hpa)
			wr.Containers = []kube.ContainerReport{{Name: "api", Requests: tt.req, Recommendation: &r, Confidence: kube.ConfidenceHigh}}
			if got := tuiWorkload(wr, nil).Applied; got != tt.want {
				t.Errorf("Applied = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConfidenceScore(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		grade kube.Confidence
		span  time.Duration
		want  float64
	}{
		{kube.ConfidenceNone, 0, 0},
		{kube.ConfidenceLow, 0, 0},
		{kube.ConfidenceLow, 12 * time.Hour, 0.15},
		{kube.ConfidenceLow, 2 * day, 0.29}, // live sampling is low whatever the span
		{kube.ConfidenceMedium, day, 0.3},
		{kube.ConfidenceMedium, 4 * day, 0.5},
		{kube.ConfidenceHigh, 8 * day, 1},
	}
	for _, tt := range tests {
		t.Run(string(tt.grade)+" "+tt.span.String(), func(t *testing.T) {
			got := confidenceScore(kube.ContainerReport{Confidence: tt.grade, HistorySpan: kube.Duration(tt.span)})
			if math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("score = %v, want %v", got, tt.want)
			}
		})
	}
}

// The UI calls the source from commands on several goroutines (go test -race).
func TestSourceConcurrentCalls(t *testing.T) {
	f := newTUIFixture(t)
	ctx := context.Background()
	if _, err := f.src.List(ctx, "vpa"); err != nil {
		t.Fatal(err)
	}
	api := tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "api"}
	ch := tui.Change{Ref: api, Containers: []tui.ContainerChange{{Name: "api", To: model.Resources{CPUMillicores: 120, MemoryBytes: 200 * model.MiB}}}}
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for i := 0; i < 10; i++ {
		wg.Add(3)
		go func() { defer wg.Done(); _, err := f.src.List(ctx, "vpa"); errs <- err }()
		go func() { defer wg.Done(); _, err := f.src.Detail(ctx, api, "vpa"); errs <- err }()
		go func() { defer wg.Done(); _, err := f.src.DryRun(ctx, []tui.Change{ch}); errs <- err }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// blockingSource serves a history only when released.
type blockingSource struct {
	h        *kube.History
	started  chan struct{}
	released chan struct{}
}

func (b *blockingSource) Name() string { return "prometheus" }

func (b *blockingSource) History(ctx context.Context, _ []*kube.Workload, _ time.Time) (*kube.History, error) {
	b.started <- struct{}{}
	select {
	case <-b.released:
		return b.h, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// A dry-run does not wait for a refresh whose history fetch is slow (e.g.
// --history live --sample-for 2m).
func TestSourceDryRunDuringSlowRefresh(t *testing.T) {
	f := newTUIFixture(t)
	ctx := context.Background()
	if _, err := f.src.List(ctx, "vpa"); err != nil {
		t.Fatal(err)
	}
	slow := &blockingSource{h: f.history.h, started: make(chan struct{}, 1), released: make(chan struct{})}
	f.src.Engine.Sources = []kube.HistorySource{slow}
	f.now = f.now.Add(2 * time.Minute) // the cached history is stale: the next List fetches
	listed := make(chan error, 1)
	go func() { _, err := f.src.List(ctx, "vpa"); listed <- err }()
	<-slow.started
	done := make(chan []tui.Result, 1)
	go func() {
		res, _ := f.src.DryRun(ctx, []tui.Change{{Ref: tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "api"},
			Containers: []tui.ContainerChange{{Name: "api", To: model.Resources{CPUMillicores: 120, MemoryBytes: 200 * model.MiB}}}}})
		done <- res
	}()
	select {
	case res := <-done:
		if len(res) != 1 || res[0].Err != nil {
			t.Errorf("dry-run during the fetch: %+v", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the dry-run waited for the history fetch")
	}
	close(slow.released)
	if err := <-listed; err != nil {
		t.Fatal(err)
	}
}

// hpaLists counts the HPA list calls, one per computed report.
func hpaLists(c *fake.Clientset) int {
	n := 0
	for _, a := range c.Actions() {
		if a.GetVerb() == "list" && a.GetResource().Resource == "horizontalpodautoscalers" {
			n++
		}
	}
	return n
}

func TestSourceReportCache(t *testing.T) {
	f := newTUIFixture(t)
	ctx := context.Background()
	f.src.Names = []string{"vpa", "autopilot"}
	steps := []struct {
		name        string
		rec         string
		advance     time.Duration
		webVersion  string
		wantReports int
	}{
		{"first list computes", "vpa", 0, "1", 1},
		{"same history and workloads: reused", "vpa", 10 * time.Second, "1", 1},
		{"other recommender computes", "autopilot", 0, "1", 2},
		{"first recommender still cached", "vpa", 0, "1", 2},
		{"workload changed: computes", "vpa", 0, "2", 3},
		{"new history: computes", "vpa", time.Minute, "2", 4},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			f.now = f.now.Add(s.advance)
			f.webVersion = s.webVersion
			rows, err := f.src.List(ctx, s.rec)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 5 {
				t.Fatalf("%d rows", len(rows))
			}
			if got := hpaLists(f.client); got != s.wantReports {
				t.Fatalf("%d reports computed, want %d", got, s.wantReports)
			}
		})
	}
}

// Detail replays the recommender over the container's history (the last
// point is the report's target: same recommender, samples and OOM kills) and
// carries the OOM kills of the pods.
func TestSourceDetailReplay(t *testing.T) {
	f := newTUIFixture(t)
	ctx := context.Background()
	ws, err := f.src.List(ctx, "vpa")
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.src.Detail(ctx, tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "web"}, "vpa")
	if err != nil {
		t.Fatal(err)
	}
	c := d.Containers[0]
	if len(c.Targets) != replayPoints || !c.Targets[len(c.Targets)-1].Time.Equal(c.History[len(c.History)-1].Time) {
		t.Fatalf("%d replay points, want %d ending at the history's end", len(c.Targets), replayPoints)
	}
	if len(c.OOMKills) != 1 || !c.OOMKills[0].Equal(t0.Add(-time.Hour)) {
		t.Fatalf("OOM kills %v, want the one at %s", c.OOMKills, t0.Add(-time.Hour))
	}
	var listed tui.ContainerRec
	for _, w := range ws {
		if w.Ref.Name == "web" {
			listed = w.Containers[0]
		}
	}
	last := c.Targets[len(c.Targets)-1]
	// The report recommends at the fixture's now; the replay's last point is
	// at the last sample: within one sample of decay, the same target.
	if math.Abs(last.CPUMillicores-listed.Rec.Target.CPUMillicores) > 0.01*listed.Rec.Target.CPUMillicores {
		t.Fatalf("replay ends at %v m, the report's target is %v m", last.CPUMillicores, listed.Rec.Target.CPUMillicores)
	}
}
