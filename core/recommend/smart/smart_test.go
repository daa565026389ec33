package smart

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

var t0 = time.Date(2026, 4, 6, 0, 0, 0, 0, time.UTC)

// replay feeds a daily CPU cycle and memory from mem(hour) at 5-minute samples.
func replay(r recommend.Recommender, from, to int, mem func(h int) float64) time.Time {
	var now time.Time
	for i := from; i < to; i++ {
		now = t0.Add(time.Duration(i) * 5 * time.Minute)
		h := float64(i%288) / 12
		r.AddSample(model.Sample{Time: now, CPUMillicores: 400 + 300*math.Sin(2*math.Pi*h/24), MemoryBytes: mem(i / 12)})
	}
	return now
}

func TestWarmupUsesVPA(t *testing.T) {
	r, err := recommend.New(Name, recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	vpa, _ := recommend.New("vpa", recommend.Config{})
	flat := func(int) float64 { return model.GiB }
	now := replay(r, 0, 12*12, flat)
	replay(vpa, 0, 12*12, flat)
	got, ok := r.Recommend(now)
	want, _ := vpa.Recommend(now)
	// CPU is vpa's; memory smart's own: the peak so far plus the balanced
	// margin, so that leaving warm-up does not restart the container again.
	o := DefaultOptions()
	m := model.GiB * (1 + Profiles[1].MemoryMargin)
	want.Target.MemoryBytes, want.UncappedTarget.MemoryBytes = m, m
	want.Lower.MemoryBytes, want.Upper.MemoryBytes = m/(1+o.MemoryLowBand), m*(1+o.MemoryHysteresis)
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("warm-up recommendation %+v, want vpa's CPU and memory %+v", got, want)
	}
	ex := r.Explain(now)
	if len(ex.Notes) == 0 || !strings.HasPrefix(ex.Notes[0], "warming up: 11h55m0s of 24h0m0s history, using vpa") {
		t.Fatalf("explain notes %q", ex.Notes)
	}
}

func TestTracksDailyCycleAfterWarmup(t *testing.T) {
	r, _ := recommend.New(Name, recommend.Config{})
	flat := func(int) float64 { return model.GiB }
	now := replay(r, 0, 5*288, flat)
	// Mid-day: the cycle peaks at 06:00 (700 m) and bottoms at 18:00 (100 m).
	rec, ok := r.Recommend(now)
	if !ok {
		t.Fatal("no recommendation")
	}
	if rec.Lower.CPUMillicores > rec.Target.CPUMillicores || rec.Upper.CPUMillicores < rec.Target.CPUMillicores {
		t.Fatalf("bounds out of order %+v", rec)
	}
	night := rec.Target.CPUMillicores
	now = replay(r, 5*288, 5*288+6*12, flat) // to 06:00
	rec, _ = r.Recommend(now)
	if rec.Target.CPUMillicores < night*1.3 {
		t.Errorf("cpu target at the daily peak %.0f m, want well above the midnight %.0f m", rec.Target.CPUMillicores, night)
	}
	ex := r.Explain(now)
	if len(ex.Notes) < 3 || !strings.HasPrefix(ex.Notes[0], "profile balanced: CPU above the request about 1.5 % of the time over a fleet") || !strings.HasPrefix(ex.Notes[1], "cpu: ") {
		t.Fatalf("explain notes %q", ex.Notes)
	}
}

func TestMemoryDecreasesAreGated(t *testing.T) {
	o := DefaultOptions()
	o.MemoryDecreaseGap = 48 * time.Hour
	r, err := New(o, recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	high := func(int) float64 { return 4 * model.GiB }
	now := replay(r, 0, 3*288, high)
	rec, _ := r.Recommend(now)
	before := rec.Target.MemoryBytes
	if before < 4*model.GiB {
		t.Fatalf("memory target %.2f GiB below usage", before/model.GiB)
	}
	// Usage drops to 1 GiB: no decrease for the first hours, then at most one per gap.
	low := func(int) float64 { return model.GiB }
	var changes int
	last := before
	for d := 3 * 288; d < 10*288; d += 12 {
		now = replay(r, d, d+12, low)
		rec, _ = r.Recommend(now)
		if m := rec.Target.MemoryBytes; m < last {
			changes++
			last = m
		}
	}
	if changes == 0 || changes > 4 {
		t.Fatalf("%d memory decreases in 7 days with a 48 h gap, want 1 to 4", changes)
	}
	if last > 1.5*model.GiB {
		t.Errorf("memory target %.2f GiB after a week at 1 GiB, want <= 1.5", last/model.GiB)
	}
}

func TestOOMRaisesMemoryAtOnce(t *testing.T) {
	r, _ := recommend.New(Name, recommend.Config{})
	now := replay(r, 0, 3*288, func(int) float64 { return model.GiB })
	r.AddOOM(model.OOMEvent{Time: now, MemoryRequestBytes: 2 * model.GiB, MemoryUsageBytes: 2 * model.GiB})
	rec, _ := r.Recommend(now)
	if rec.Target.MemoryBytes < 2.4*model.GiB {
		t.Fatalf("memory target %.2f GiB after an OOM at 2 GiB", rec.Target.MemoryBytes/model.GiB)
	}
}

func TestDeterministic(t *testing.T) {
	var recs []model.Recommendation
	for i := 0; i < 2; i++ {
		r, _ := recommend.New(Name, recommend.Config{Seed: 3})
		now := replay(r, 0, 3*288, func(h int) float64 { return model.GiB * (1 + 0.2*float64(h%7)/7) })
		rec, _ := r.Recommend(now)
		recs = append(recs, rec)
	}
	if !reflect.DeepEqual(recs[0], recs[1]) {
		t.Fatal("two runs differ")
	}
}
