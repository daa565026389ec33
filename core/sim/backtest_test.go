package sim

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/updater"
)

// testRecommenders builds the in-test recommenders by name, and the oracle.
func testRecommenders(name string, w *Workload, cfg recommend.Config) (recommend.Recommender, error) {
	switch name {
	case "peak":
		return &peakRec{margin: 0.15}, nil
	case "fixed":
		return &fixedRec{rec: exact(res(300, 300)), ok: true}, nil
	case OracleName:
		return NewOracle(w, 0)
	}
	return nil, fmt.Errorf("unknown test recommender %q", name)
}

func testWorkloads(n int, days int) []Workload {
	ws := make([]Workload, n)
	for i := range ws {
		ws[i] = genWorkload(fmt.Sprintf("w%02d", i), uint64(i+1), time.Duration(days)*24*time.Hour, 5*time.Minute)
	}
	return ws
}

func TestBacktestStableOrderAnyWorkers(t *testing.T) {
	ws := testWorkloads(7, 3)
	recs := []string{"peak", OracleName, "fixed"}
	var want []Result
	for _, workers := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			var calls atomic.Int32
			var last int
			opts := BacktestOptions{Options: DefaultOptions(), Workers: workers, NewRecommender: testRecommenders,
				Progress: func(done, total int) {
					calls.Add(1)
					if total != len(ws)*len(recs) || done != last+1 {
						t.Errorf("progress %d/%d after %d", done, total, last)
					}
					last = done
				}}
			got, err := Backtest(context.Background(), ws, recs, opts)
			if err != nil {
				t.Fatal(err)
			}
			if int(calls.Load()) != len(ws)*len(recs) {
				t.Fatalf("progress called %d times, want %d", calls.Load(), len(ws)*len(recs))
			}
			for k, r := range got {
				if r.Workload != ws[k/len(recs)].ID || r.Recommender != recs[k%len(recs)] {
					t.Fatalf("result %d is %s/%s: not in workload-major order", k, r.Workload, r.Recommender)
				}
			}
			if want == nil {
				want = got
			} else if !reflect.DeepEqual(got, want) {
				t.Fatalf("results differ from the run with 1 worker")
			}
		})
	}
}

func TestOracleNeverOOMs(t *testing.T) {
	ws := testWorkloads(5, 4)
	for _, mode := range updater.Modes {
		if mode == updater.ModeOff {
			continue
		}
		t.Run(string(mode), func(t *testing.T) {
			opts := DefaultOptions()
			opts.Updater.Mode = mode
			got, err := Backtest(context.Background(), ws, []string{OracleName, "fixed"}, BacktestOptions{Options: opts, NewRecommender: testRecommenders})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range got {
				if r.Recommender == "fixed" {
					if r.Memory.OOMs == 0 {
						t.Fatalf("%s: the under-provisioned fixed recommender has no OOMs: the test proves nothing", r.Workload)
					}
					continue
				}
				// 3 windows after the 24 h warm-up: about one change each
				// (with the one-sample lookahead, at most one more), and no
				// OOM kill despite the resize delay.
				if r.Memory.OOMs != 0 || r.CPU.OverRequestShare != 0 || r.Updates == 0 || r.Updates > 4 {
					t.Fatalf("%s: oracle ooms %d over-request %v updates %d: want 0, 0 and 1..4",
						r.Workload, r.Memory.OOMs, r.CPU.OverRequestShare, r.Updates)
				}
			}
		})
	}
}

// The oracle covers the windows of the next two samples: a resize decided at
// the next sample applies only after the resize delay.
func TestOracleRecommendsTheNextSamplesWindowPeak(t *testing.T) {
	w := Workload{ID: "o"}
	// two windows of 2 h: peaks 30m/3Mi then 10m/5Mi
	for i, v := range []float64{10, 30, 20, 5, 10, 8} {
		mem := []float64{1, 3, 2, 5, 4, 1}[i]
		w.Samples = append(w.Samples, model.Sample{Time: t0.Add(time.Duration(i) * 40 * time.Minute), CPUMillicores: v, MemoryBytes: mem * model.MiB})
	}
	o, err := NewOracle(&w, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Duration
		want model.Resources
	}{
		{0, res(30, 3)},                 // next samples at 40m and 80m: window 0
		{80 * time.Minute, res(10, 5)},  // next samples at 120m and 160m: window 1
		{40 * time.Minute, res(30, 5)},  // samples at 80m (window 0) and 120m (window 1); moving back searches
		{200 * time.Minute, res(10, 5)}, // after the last sample: its window
	}
	for _, tt := range tests {
		got, ok := o.Recommend(t0.Add(tt.at))
		if !ok || got != exact(tt.want) {
			t.Errorf("Recommend(+%s) = %+v, want %v", tt.at, got.Target, tt.want)
		}
	}
	if _, err := NewOracle(&Workload{ID: "e"}, 0); err == nil || err.Error() != `workload "e" has no samples: the oracle needs the whole trace` {
		t.Fatalf("empty workload: %v", err)
	}
}

func TestBacktestErrors(t *testing.T) {
	ws := testWorkloads(4, 2)
	ctx := context.Background()
	_, err := Backtest(ctx, ws, []string{"peak", "nope"}, BacktestOptions{Options: DefaultOptions(), NewRecommender: testRecommenders, Workers: 3})
	if want := `workload "w00", recommender "nope": unknown test recommender "nope"`; err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	boom := errors.New("boom")
	_, err = BacktestLoad(ctx, 4, func(i int) (*Workload, error) {
		if i == 2 {
			return nil, boom
		}
		return &ws[i], nil
	}, []string{"peak"}, BacktestOptions{Options: DefaultOptions(), NewRecommender: testRecommenders, Workers: 1})
	if !errors.Is(err, boom) || err.Error() != "load workload 2: boom" {
		t.Fatalf("loader error %v", err)
	}
	if _, err := Backtest(ctx, ws, nil, BacktestOptions{Options: DefaultOptions()}); err == nil || err.Error() != "no recommenders to backtest: name at least one" {
		t.Fatalf("no recommenders: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Backtest(cctx, ws, []string{"peak"}, BacktestOptions{Options: DefaultOptions(), NewRecommender: testRecommenders}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestSummarize(t *testing.T) {
	results := []Result{
		{Workload: "a", Recommender: "x", Metrics: Metrics{CPU: CPUMetrics{RelativeSlack: 0.2, AbsoluteSlackCoreHours: 1, OverRequestShare: 0.1},
			Memory: MemoryMetrics{RelativeSlack: 0.4, AbsoluteSlackGiBHours: 2, OOMs: 1}, Updates: 3, Restarts: 1, Samples: 10, Hours: 24}},
		{Workload: "b", Recommender: "x", Metrics: Metrics{CPU: CPUMetrics{RelativeSlack: 0.4, AbsoluteSlackCoreHours: 3, OverRequestShare: 0.3},
			Memory: MemoryMetrics{RelativeSlack: 0.2, AbsoluteSlackGiBHours: 1, OOMs: 2}, Updates: 1, Restarts: 1, Samples: 10, Hours: 24}},
		// measured nothing: left out
		{Workload: "c", Recommender: "x", Metrics: Metrics{Updates: 7}},
	}
	got := Summarize([]string{"x", "y"}, results)
	want := []Summary{
		{Recommender: "x", Workloads: 2, CPU: CPUMetrics{RelativeSlack: 0.30000000000000004, AbsoluteSlackCoreHours: 4, OverRequestShare: 0.2},
			Memory: MemoryMetrics{RelativeSlack: 0.30000000000000004, AbsoluteSlackGiBHours: 3, OOMs: 3}, Updates: 4, Restarts: 2, Hours: 48, UpdatesPerContainerDay: 2},
		{Recommender: "y"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// TestRecommenderWithProfile: NAME:PROFILE reaches a recommender that takes
// a profile, results carry the name asked for, and a profile on one that
// takes none or an unknown name is refused.
func TestRecommenderWithProfile(t *testing.T) {
	recommend.RegisterProfiled("vpa-profiled-test")
	if err := CheckRecommender("vpa:savings"); err == nil || err.Error() != `recommender "vpa:savings": vpa takes no profile (NAME:PROFILE is for recommenders that plan for one)` {
		t.Fatalf("vpa:savings: %v", err)
	}
	if err := CheckRecommender("nope"); err == nil || !strings.HasPrefix(err.Error(), `unknown recommender "nope": choose one of `) {
		t.Fatalf("nope: %v", err)
	}
	for _, ok := range []string{"vpa", OracleName} {
		if err := CheckRecommender(ok); err != nil {
			t.Fatalf("%s: %v", ok, err)
		}
	}
	var got recommend.Config
	recommend.Register("vpa-profiled-test", func(cfg recommend.Config) (recommend.Recommender, error) {
		got = cfg
		return recommend.New("vpa", cfg)
	})
	if err := CheckRecommender("vpa-profiled-test:savings"); err != nil {
		t.Fatal(err)
	}
	res, err := Backtest(context.Background(), testWorkloads(1, 3), []string{"vpa-profiled-test:savings"}, BacktestOptions{Options: DefaultOptions(), Seed: 1, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got.Profile != "savings" || res[0].Recommender != "vpa-profiled-test:savings" {
		t.Fatalf("config profile %q, result labelled %q", got.Profile, res[0].Recommender)
	}
}
