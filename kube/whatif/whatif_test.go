package whatif

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/sim"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/workloads"
)

// fakeSource returns a fixed history and counts its calls.
type fakeSource struct {
	h     *kube.History
	err   error
	calls int
}

func (f *fakeSource) Name() string { return "fake" }
func (f *fakeSource) History(context.Context, []*kube.Workload, time.Time) (*kube.History, error) {
	f.calls++
	return f.h, f.err
}

var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func workload(ns, kind, name string, pods int, containers ...string) *kube.Workload {
	w := &kube.Workload{Namespace: ns, Kind: kind, Name: name, Replicas: pods}
	for _, c := range containers {
		w.Containers = append(w.Containers, kube.Container{Name: c, Requests: model.Resources{CPUMillicores: 500, MemoryBytes: 256 << 20}})
	}
	for range pods {
		w.Pods = append(w.Pods, nil)
	}
	return w
}

// series returns samples every step for span, from two pods whose usage
// differs by 2x, with sub-second jitter in the times as Prometheus may give.
func series(span, step time.Duration) []model.Sample {
	var out []model.Sample
	for at := time.Duration(0); at <= span; at += step {
		ts := t0.Add(at).Add(250 * time.Millisecond)
		out = append(out,
			model.Sample{Time: ts, CPUMillicores: 100 + float64(at/step%7), MemoryBytes: 100 << 20},
			model.Sample{Time: ts, CPUMillicores: 200 + float64(at/step%7), MemoryBytes: 200 << 20})
	}
	return out
}

func TestCollect(t *testing.T) {
	web := workload("shop", "Deployment", "web", 2, "web", "proxy")
	db := workload("shop", "StatefulSet", "db", 1, "db")
	sameName := workload("shop", "DaemonSet", "web", 1, "web")
	h := kube.NewHistory("fake")
	h.Samples[kube.ContainerKey{Workload: web.Key(), Container: "web"}] = series(48*time.Hour, 5*time.Minute)
	h.Samples[kube.ContainerKey{Workload: sameName.Key(), Container: "web"}] = series(10*time.Hour, 5*time.Minute)
	h.Checkpoints[kube.ContainerKey{Workload: db.Key(), Container: "db"}] = &kube.VPACheckpoint{}
	h.Notes = []string{"step raised"}
	src := &fakeSource{h: h}
	c := &Collector{Source: src, Meta: workloads.Meta{Source: "import", Type: "prometheus", Interval: 5 * time.Minute}}
	set, err := c.Collect(context.Background(), []*kube.Workload{web, db, sameName}, t0.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	gotRefs := set.Refs()
	wantRefs := []Ref{
		{Workload: "shop-daemonset-web-web", Namespace: "shop", Kind: "DaemonSet", Name: "web", Container: "web"},
		{Workload: "shop-web-web", Namespace: "shop", Kind: "Deployment", Name: "web", Container: "web"},
	}
	if !reflect.DeepEqual(gotRefs, wantRefs) {
		t.Errorf("refs %+v, want %+v (sorted by id, a clashing id gets the kind)", gotRefs, wantRefs)
	}
	wantMissing := []Ref{{Namespace: "shop", Kind: "Deployment", Name: "web", Container: "proxy"}, {Namespace: "shop", Kind: "StatefulSet", Name: "db", Container: "db"}}
	if !reflect.DeepEqual(set.Missing, wantMissing) {
		t.Errorf("missing %+v, want %+v", set.Missing, wantMissing)
	}
	if len(set.Notes) != 2 || set.Notes[0] != "step raised" || !strings.HasPrefix(set.Notes[1], "1 container(s) have only an upstream VPA checkpoint, a histogram with no time line, which cannot be replayed: shop/statefulset/db db;") {
		t.Errorf("notes %q", set.Notes)
	}
	tr := set.Series[1].Trace
	if tr.Len() != 577 || tr.CPUMillicores[0] != 150 || tr.MemoryBytes[0] != 150<<20 {
		t.Errorf("trace: %d samples, first %v m %v B; want 577, the mean of the two pods (150 m, 150 MiB)", tr.Len(), tr.CPUMillicores[0], tr.MemoryBytes[0])
	}
	if tr.Times[0] != t0 || tr.Meta.Series != "shop/deployment/web/web" || *tr.Meta.OriginalRequest != web.Containers[0].Requests {
		t.Errorf("trace time %v (want whole seconds %v), series %q, request %v", tr.Times[0], t0, tr.Meta.Series, tr.Meta.OriginalRequest)
	}
	if set.Series[1].Replicas != 2 {
		t.Errorf("replicas %d, want 2", set.Series[1].Replicas)
	}
}

func TestCollectMaxSeries(t *testing.T) {
	ws := []*kube.Workload{workload("a", "Deployment", "x", 3, "c1", "c2"), workload("a", "Job", "y", 0, "c")}
	if n := PodSeries(ws); n != 7 {
		t.Fatalf("PodSeries %d, want 3x2 + 1 (a workload with no live pod counts one)", n)
	}
	src := &fakeSource{h: kube.NewHistory("fake")}
	_, err := (&Collector{Source: src, MaxSeries: 6}).Collect(context.Background(), ws, t0)
	want := "too many series: 2 workload(s) have 7 pod containers, more than --max-series 6: narrow the targets (-n, -l SELECTOR, TYPE/NAME) or raise --max-series"
	if !errors.Is(err, ErrTooManySeries) || err.Error() != want {
		t.Fatalf("err %v, want %q", err, want)
	}
	if src.calls != 0 {
		t.Error("the source was queried beyond --max-series")
	}
	if _, err := (&Collector{Source: src, MaxSeries: 7}).Collect(context.Background(), ws, t0); err != nil {
		t.Fatalf("at the bound: %v", err)
	}
}

func TestCollectSourceError(t *testing.T) {
	boom := errors.New("connection refused")
	_, err := (&Collector{Source: &fakeSource{err: boom}}).Collect(context.Background(), []*kube.Workload{workload("a", "Deployment", "x", 1, "c")}, t0)
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want the source's", err)
	}
}

func setOf(spans ...time.Duration) *Set {
	s := &Set{}
	for i, span := range spans {
		tr := &workloads.Trace{ID: string(rune('a' + i))}
		tr.Append(t0, 1, 1)
		tr.Append(t0.Add(span), 1, 1)
		s.Series = append(s.Series, Series{Ref: Ref{Namespace: "ns", Kind: "Deployment", Name: tr.ID, Container: "c"}, Trace: tr})
	}
	return s
}

func TestWarmup(t *testing.T) {
	tests := []struct {
		name      string
		set       *Set
		requested time.Duration
		want      time.Duration
		note      string
	}{
		{"long history keeps the warm-up", setOf(8*24*time.Hour, 8*24*time.Hour-5*time.Minute), 24 * time.Hour, 24 * time.Hour, ""},
		{"short history cuts it to half the shortest, on the step", setOf(8*24*time.Hour, 97*time.Minute), 24 * time.Hour, 45 * time.Minute,
			"history is short: the shortest series (ns/deployment/b c) covers 1h37m0s, so the warm-up is cut from 24h0m0s to 45m0s and at least half of every series is measured"},
		{"shorter than asked but long enough", setOf(3 * 24 * time.Hour), 24 * time.Hour, 24 * time.Hour,
			"history is short: the shortest series (ns/deployment/a c) covers 72h0m0s of the 192h0m0s asked"},
		{"empty set", &Set{}, 24 * time.Hour, 24 * time.Hour, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, note := Warmup(tc.set, tc.requested, 8*24*time.Hour, 5*time.Minute)
			if got != tc.want || note != tc.note {
				t.Errorf("Warmup = %s, %q; want %s, %q", got, note, tc.want, tc.note)
			}
		})
	}
}

// TestSavedHistoryReplaysTheSame saves a collected history to a store, loads
// it back and backtests both: the results are the same bytes.
func TestSavedHistoryReplaysTheSame(t *testing.T) {
	w := workload("shop", "Deployment", "web", 2, "web")
	h := kube.NewHistory("fake")
	h.Samples[kube.ContainerKey{Workload: w.Key(), Container: "web"}] = series(36*time.Hour, 5*time.Minute)
	set, err := (&Collector{Source: &fakeSource{h: h}, Meta: workloads.Meta{Source: "import", Type: "prometheus", Interval: 5 * time.Minute}}).
		Collect(context.Background(), []*kube.Workload{w}, t0.Add(36*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st := workloads.OpenStore(dir)
	if _, err := st.SaveAll(set.Traces()); err != nil {
		t.Fatal(err)
	}
	loaded, err := st.Load(set.Series[0].Ref.Workload)
	if err != nil {
		t.Fatal(err)
	}
	opts := sim.DefaultOptions()
	opts.Warmup = 6 * time.Hour
	bo := sim.BacktestOptions{Options: opts, Seed: 3}
	live, err := Backtest(context.Background(), set, []string{"vpa"}, bo)
	if err != nil {
		t.Fatal(err)
	}
	offline, err := sim.Backtest(context.Background(), []sim.Workload{*SimWorkload(loaded)}, []string{"vpa"}, bo)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(live)
	b, _ := json.Marshal(offline)
	if string(a) != string(b) {
		t.Errorf("live and saved histories replay differently:\n%s\n%s", a, b)
	}
	if live[0].Samples == 0 || live[0].Dataset != "prometheus" {
		t.Errorf("nothing measured or wrong dataset: %+v", live[0])
	}
}
