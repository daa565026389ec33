package tui

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// The replay asks the recommender at evenly spaced samples, the last one
// included, and its last point is the recommendation over the whole history.
func TestReplayTargets(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var hist []model.Sample
	for i := range 100 {
		hist = append(hist, model.Sample{Time: t0.Add(time.Duration(i) * time.Minute), CPUMillicores: float64(100 + i), MemoryBytes: float64(i+1) * model.MiB})
	}
	r, err := recommend.New(testRecPeak, recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	got := ReplayTargets(r, hist, nil, 10)
	if len(got) != 10 {
		t.Fatalf("%d points, want 10", len(got))
	}
	if !got[9].Time.Equal(hist[99].Time) || !got[0].Time.Equal(hist[9].Time) {
		t.Fatalf("points at %s .. %s, want %s .. %s", got[0].Time, got[9].Time, hist[9].Time, hist[99].Time)
	}
	// pctRec needs 12 samples: no target at the first point (10 samples).
	if got[0].CPUMillicores != 0 || got[1].CPUMillicores == 0 {
		t.Fatalf("first points %+v %+v: want none, then a target", got[0], got[1])
	}
	full, _ := recommend.New(testRecPeak, recommend.Config{})
	for _, s := range hist {
		full.AddSample(s)
	}
	want, _ := full.Recommend(hist[99].Time)
	if math.Abs(got[9].CPUMillicores-want.Target.CPUMillicores) > 1e-9 {
		t.Fatalf("last point %v, want the full history's target %v", got[9].CPUMillicores, want.Target.CPUMillicores)
	}
	// Peak-following: the replayed target rises with the usage.
	for i := 2; i < 10; i++ {
		if got[i].CPUMillicores < got[i-1].CPUMillicores {
			t.Fatalf("target fell from %v to %v on a rising series", got[i-1].CPUMillicores, got[i].CPUMillicores)
		}
	}
	if a := targetAt(got, hist[50].Time); !a.Time.Equal(hist[49].Time) {
		t.Fatalf("targetAt(sample 50) is the point at %s, want %s", a.Time, hist[49].Time)
	}
}

func TestExceedance(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hist := []model.Sample{{Time: t0, CPUMillicores: 100}, {Time: t0.Add(time.Minute), CPUMillicores: 300}, {Time: t0.Add(2 * time.Minute), CPUMillicores: 200}, {Time: t0.Add(3 * time.Minute), CPUMillicores: 400}}
	targets := []model.Sample{{Time: t0.Add(time.Minute), CPUMillicores: 250}}
	req, tgt, n := exceedance(hist, targets, model.CPU, 250)
	// Above the request 250: 300 and 400 (2 of 4). With a target (from
	// minute 1): 300, 200, 400 against 250: 2 of 3.
	if req != 0.5 || n != 3 || math.Abs(tgt-2.0/3) > 1e-12 {
		t.Fatalf("above request %v, above target %v of %d; want 0.5, 0.667 of 3", req, tgt, n)
	}
}

// The demo's detail carries the replay of the recommender shown.
func TestDemoDetailReplays(t *testing.T) {
	src := newDemo(t, "")
	d, err := src.Detail(context.Background(), Ref{"batch", "Deployment", "worker"}, testRecP90)
	if err != nil {
		t.Fatal(err)
	}
	c := d.Containers[0]
	if len(c.Targets) != replayPoints || !c.Targets[len(c.Targets)-1].Time.Equal(c.History[len(c.History)-1].Time) {
		t.Fatalf("%d replay points ending %s, want %d ending at the history's end", len(c.Targets), c.Targets[len(c.Targets)-1].Time, replayPoints)
	}
	last := c.Targets[len(c.Targets)-1]
	if math.Abs(last.CPUMillicores-d.Workload.Containers[0].Rec.Target.CPUMillicores) > 1e-9 {
		t.Fatalf("replay ends at %v, the recommendation is %v", last.CPUMillicores, d.Workload.Containers[0].Rec.Target.CPUMillicores)
	}
}

// At 120x35 the plain "why" is on screen without scrolling, under the two
// charts with their replayed targets; i shows the internals.
func TestDetailWhyWithoutScrolling(t *testing.T) {
	hs := demoHarness(t, 120, 35, "")
	hs.keys("enter")
	screen := ansi.Strip(hs.m.Render())
	for _, s := range []string{"Why (" + testRecP90 + "):", "= p90 of 8d of usage (2304 samples) + 15% margin; range", "target 121m now, replayed", "above the request 4% of the time", "above the replayed target", "i: internals"} {
		if !strings.Contains(screen, s) {
			t.Errorf("detail at 120x35 lacks %q:\n%s", s, screen)
		}
	}
	hs.keys("i")
	if screen := ansi.Strip(hs.m.Render()); !strings.Contains(screen, "Internals (i hides):") {
		t.Errorf("i did not show the internals:\n%s", screen)
	}
}
