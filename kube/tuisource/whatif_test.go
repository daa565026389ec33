package tuisource

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/kube/whatif"
	"github.com/smartvpa/smartvpa/tui"
	"github.com/smartvpa/smartvpa/workloads"
)

func whatIfFixture(t *testing.T) (*tuiFixture, *WhatIf) {
	t.Helper()
	f := newTUIFixture(t)
	wi := &WhatIf{
		Resolve:   f.src.Resolve,
		Collector: &whatif.Collector{Source: f.history, Meta: workloads.Meta{Source: "import", Type: "prometheus", Interval: 5 * time.Minute}},
		Label:     "prometheus at http://prom", Names: []string{"vpa", "oracle", "not-registered"},
		HistoryDuration: 8 * 24 * time.Hour, Step: 5 * time.Minute, Seed: 1,
		Now: func() time.Time { return f.now },
	}
	return f, wi
}

func TestWhatIf(t *testing.T) {
	_, wi := whatIfFixture(t)
	res, err := wi.WhatIf(context.Background(), tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Containers != 1 || res.Source != "prometheus at http://prom" || res.Warmup != 24*time.Hour {
		t.Errorf("containers %d, source %q, warm-up %s", res.Containers, res.Source, res.Warmup)
	}
	// web: 2 replicas of 1 CPU and 1 GiB.
	if want := (model.Resources{CPUMillicores: 2000, MemoryBytes: 2 << 30}); res.Current != want {
		t.Errorf("current %v, want %v", res.Current, want)
	}
	var names []string
	for _, r := range res.Rows {
		names = append(names, r.Recommender)
	}
	if strings.Join(names, ",") != "vpa,oracle" {
		t.Fatalf("rows %v: want the names the simulator knows, in order", names)
	}
	vpa := res.Rows[0]
	if !vpa.HasRequest || vpa.Request.CPUMillicores <= 0 || vpa.Request.MemoryBytes <= 0 {
		t.Errorf("vpa ends with no request: %+v", vpa)
	}
	// The usage swings 100-600 m and stays near 400 MiB: vpa's total
	// request over 2 replicas is below the current 2 CPU and 2 GiB.
	if vpa.Request.CPUMillicores >= 2000 || vpa.Request.MemoryBytes >= 2<<30 {
		t.Errorf("vpa request %v not below the current %v", vpa.Request, res.Current)
	}
	if res.Hours < 160 || res.Hours > 170 {
		t.Errorf("measured %.1f h per container, want about 7 days after the 24 h warm-up", res.Hours)
	}
}

func TestWhatIfNotes(t *testing.T) {
	_, wi := whatIfFixture(t)
	res, err := wi.WhatIf(context.Background(), tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "api"})
	if err != nil {
		t.Fatal(err)
	}
	// api has 12 hours: the warm-up is cut to half of it.
	if res.Warmup != 5*time.Hour+55*time.Minute || len(res.Notes) != 1 || !strings.HasPrefix(res.Notes[0], "history is short: the shortest series (demo/deployment/api api) covers 11h55m0s") {
		t.Errorf("warm-up %s, notes %q", res.Warmup, res.Notes)
	}
}

func TestWhatIfErrors(t *testing.T) {
	_, wi := whatIfFixture(t)
	tests := []struct {
		ref  tui.Ref
		want string
	}{
		{tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "gone"}, "demo/Deployment/gone is gone: refresh the table"},
		{tui.Ref{Namespace: "demo", Kind: "CronJob", Name: "report"}, "prometheus at http://prom has no history of demo/CronJob/report: nothing to replay"},
	}
	for _, tc := range tests {
		if _, err := wi.WhatIf(context.Background(), tc.ref); err == nil || err.Error() != tc.want {
			t.Errorf("%v: err %v, want %q", tc.ref, err, tc.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := wi.WhatIf(ctx, tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "web"}); err == nil {
		t.Error("a cancelled what-if returned no error")
	}
}
