package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/smartvpa/smartvpa/core/sim"
	"github.com/smartvpa/smartvpa/kube/whatif"
)

// The validation of backtest --history and audit --what-if happens before
// any connection: these need no cluster. Their runs are end-to-end tests
// (test/e2e/whatif_test.go).
func TestBacktestLiveErrors(t *testing.T) {
	t.Setenv("PROMETHEUS_URL", "")
	dir, _ := simStore(t)
	help := "; run 'kubectl smartvpa backtest --help' for usage\n"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown history", []string{"backtest", "--history", "live"},
			`error: unknown --history "live": use prometheus or checkpoints (the sources with a time line to replay)` + help},
		{"no url", []string{"backtest", "--history", "prometheus"},
			"error: --history prometheus needs --prometheus-url (or PROMETHEUS_URL)" + help},
		{"with workloads", []string{"backtest", "--history", "prometheus", "--prometheus-url", "http://p", "--workloads", dir},
			"error: --workloads and --history are exclusive: backtest stored workloads or the cluster's history, not both" + help},
		{"selector without history", []string{"backtest", "--workloads", dir, "-l", "app=web"},
			"error: --selector is for the what-if on a cluster's history: add --history prometheus or --history checkpoints" + help},
		{"save-store without history", []string{"backtest", "--workloads", dir, "--save-store", "/tmp/x"},
			"error: --save-store is for the what-if on a cluster's history: add --history prometheus or --history checkpoints" + help},
		{"bad step", []string{"backtest", "--history", "prometheus", "--prometheus-url", "http://p", "--step", "500ms"},
			"error: invalid --step 500ms: use 1s or more, e.g. 5m" + help},
		{"negative max-series", []string{"backtest", "--history", "prometheus", "--prometheus-url", "http://p", "--max-series", "-1"},
			"error: invalid --max-series -1: use 0 (no bound) or more" + help},
		{"name across namespaces", []string{"backtest", "--history", "prometheus", "--prometheus-url", "http://p", "-A", "deploy/web"},
			"error: a resource cannot be named across namespaces with -A: drop -A or the name" + help},
		{"recommenders checked too", []string{"backtest", "--history", "prometheus", "--prometheus-url", "http://p", "--recommenders", "vpa,nope"},
			`error: unknown recommender "nope": choose one of `},
		{"sim flags checked too", []string{"backtest", "--history", "checkpoints", "--warmup", "-1h"},
			"error: warm-up -1h0m0s is negative: use 0 or a positive duration such as 24h" + help},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runArgs(tt.args...)
			if code != exitUsage || !strings.HasPrefix(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

func TestAuditWhatIfErrors(t *testing.T) {
	t.Setenv("PROMETHEUS_URL", "")
	help := "; run 'kubectl smartvpa audit --help' for usage\n"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"margin without what-if", []string{"audit", "--margin", "0.1"}, "error: --margin is for --what-if: add --what-if" + help},
		{"against without what-if", []string{"audit", "--against", "vpa"}, "error: --against is for --what-if: add --what-if" + help},
		{"margin too large", []string{"audit", "--what-if", "--margin", "1"}, "error: invalid --margin 1: use a fraction from 0 up to 1, e.g. 0.2" + help},
		{"negative margin", []string{"audit", "--what-if", "--margin", "-0.1"}, "error: invalid --margin -0.1: use a fraction from 0 up to 1, e.g. 0.2" + help},
		{"offline", []string{"audit", "--what-if", "-f", "x.yaml"}, "error: --what-if replays the cluster's history: drop -f and --usage" + help},
		{"live history", []string{"audit", "--what-if", "--history", "live"}, "error: --what-if needs a history with a time line: use --history prometheus or checkpoints" + help},
		{"junit", []string{"audit", "--what-if", "-o", "junit"}, "error: --what-if prints table or json, not junit" + help},
		{"oracle", []string{"audit", "--what-if", "--against", "oracle"}, "error: --against oracle: the oracle knows the future and would beat any recommender; name real recommenders" + help},
		{"itself", []string{"audit", "--what-if", "--recommender", "vpa", "--against", "vpa"}, "error: --against vpa is --recommender itself: name the others" + help},
		{"unknown", []string{"audit", "--what-if", "--against", "nope"}, `error: unknown recommender "nope": choose one of `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runArgs(tt.args...)
			if code != exitUsage || !strings.HasPrefix(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

func TestWhatIfVerdict(t *testing.T) {
	results := []sim.Result{
		{Workload: "a", Recommender: "smart", Metrics: sim.Metrics{Reward: -60}},
		{Workload: "a", Recommender: "vpa", Metrics: sim.Metrics{Reward: -40}},
		{Workload: "b", Recommender: "smart", Metrics: sim.Metrics{Reward: -40}},
		{Workload: "b", Recommender: "vpa", Metrics: sim.Metrics{Reward: -40}},
	}
	sum := sim.Summarize([]string{"smart", "vpa"}, results)
	tests := []struct {
		margin     float64
		wantStatus string
	}{{0.2, "ok"}, {0.19, "beaten"}}
	for _, tt := range tests {
		a := whatIfVerdict("smart", tt.margin, sum, results)
		if a.Best != "vpa" || a.Excess != 0.2 || a.Status != tt.wantStatus {
			t.Errorf("margin %g: best %s excess %g status %s; want vpa, 0.2 (100 vs 80), %s", tt.margin, a.Best, a.Excess, a.Status, tt.wantStatus)
		}
	}
	if a := whatIfVerdict("vpa", 0.2, sum, results); a.Best != "vpa" || a.Excess != 0 || a.Status != "ok" {
		t.Errorf("the best itself: %+v", a)
	}
}

// TestLiveBacktestJSONShape: the live report is the offline one plus
// history, warmup, series and missing.
func TestLiveBacktestJSONShape(t *testing.T) {
	rep := liveBacktestReport{Report: sim.Report{Recommenders: []string{"vpa"}, Baseline: "vpa"}, History: "prometheus", Warmup: "24h0m0s",
		Series: []whatif.Ref{{Workload: "shop-web-web", Namespace: "shop", Kind: "Deployment", Name: "web", Container: "web"}}}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"recommenders", "results", "summary", "datasets", "baseline", "comparison", "history", "warmup", "series"} {
		if _, ok := got[k]; !ok {
			t.Errorf("key %q missing from %s", k, data)
		}
	}
	if string(got["series"]) != `[{"workload":"shop-web-web","namespace":"shop","kind":"Deployment","name":"web","container":"web"}]` {
		t.Errorf("series %s", got["series"])
	}
}
