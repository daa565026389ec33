package smart

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// spiky is 1 GiB with a one-hour spike to 8 GiB every 84 hours (at hours
// 40, 124, 208, ...).
func spiky(h int) float64 {
	if h%84 == 40 {
		return 8 * model.GiB
	}
	return model.GiB
}

// TestMemoryPlanFollowsCost: on rare large spikes, a low price of an OOM
// kill makes smart follow the one-day plan (the target falls back between
// spikes); a high price the eight-day plan (the target keeps the spike).
func TestMemoryPlanFollowsCost(t *testing.T) {
	for _, tt := range []struct {
		price  float64
		window time.Duration
		lo, hi float64 // target in GiB at hour 370
	}{
		{0.5, 24 * time.Hour, 1, 1.5},
		{1000, 192 * time.Hour, 8, 10},
	} {
		o := DefaultOptions()
		o.OOMCosts = map[string]float64{"reliability": tt.price, "balanced": tt.price, "savings": tt.price}
		o.MemoryDecreaseStep = 0 // the target goes to the plan's at once
		r, err := New(o, recommend.Config{})
		if err != nil {
			t.Fatal(err)
		}
		now := replay(r, 0, 370*12, spiky)
		rec, _ := r.Recommend(now)
		if got := r.memWindow(); got != tt.window {
			t.Errorf("OOM price %g h: follows the %s plan, want %s", tt.price, got, tt.window)
		}
		if m := rec.Target.MemoryBytes / model.GiB; m < tt.lo || m > tt.hi {
			t.Errorf("OOM price %g h: memory target %.2f GiB before the next spike, want %g to %g", tt.price, m, tt.lo, tt.hi)
		}
	}
}

// TestOOMGoesToTheNextPlan: a kill at a request the container has needed
// more than before raises the target at once to the next plan's level, not
// by OOMBump alone.
func TestOOMGoesToTheNextPlan(t *testing.T) {
	for _, toPlan := range []bool{true, false} {
		o := DefaultOptions()
		o.OOMCosts = map[string]float64{"reliability": 0.5, "balanced": 0.5, "savings": 0.5}
		o.OOMToPlan = toPlan
		r, _ := New(o, recommend.Config{})
		now := replay(r, 0, 370*12, spiky)
		rec, _ := r.Recommend(now)
		req := rec.Target.MemoryBytes
		r.AddOOM(model.OOMEvent{Time: now, MemoryRequestBytes: req, MemoryUsageBytes: req})
		rec, _ = r.Recommend(now)
		got := rec.Target.MemoryBytes
		if toPlan && got < 8*model.GiB {
			t.Errorf("OOMToPlan: after a kill at %.2f GiB the target is %.2f GiB, want the eight-day plan's (>= 8)", req/model.GiB, got/model.GiB)
		}
		if !toPlan && math.Abs(got-req*o.OOMBump) > 1e-6*got {
			t.Errorf("no OOMToPlan: after a kill at %.2f GiB the target is %.2f GiB, want x %g", req/model.GiB, got/model.GiB, o.OOMBump)
		}
	}
}

// TestCrashLoopEscalates: kills in a row at a request held during warm-up
// make the next request the streak factor squared above it, at once (the
// warm-up answer too), instead of a cascade of x1.2 bumps.
func TestCrashLoopEscalates(t *testing.T) {
	o := DefaultOptions()
	r, _ := New(o, recommend.Config{})
	now := replay(r, 0, 12*12, func(int) float64 { return model.GiB })
	for k := 0; k < 5; k++ {
		now = now.Add(5 * time.Minute)
		r.AddOOM(model.OOMEvent{Time: now, MemoryRequestBytes: model.GiB, MemoryUsageBytes: model.GiB})
	}
	rec, ok := r.Recommend(now)
	want := model.GiB * o.OOMStreakFactor * o.OOMStreakFactor
	if !ok || rec.Target.MemoryBytes < want {
		t.Fatalf("after a crash loop at 1 GiB during warm-up the memory target is %.2f GiB, want %.2f", rec.Target.MemoryBytes/model.GiB, want/model.GiB)
	}
}

// TestLargeContainersTakeMoreRisk: with CPUWeightSizeExponent 1, on the same
// relative noise a 20-core container is above its request more of the time
// than a 0.2-core one; with 0 both take about the same share.
func TestLargeContainersTakeMoreRisk(t *testing.T) {
	share := func(exp, mean float64) float64 {
		o := DefaultOptions()
		o.CPUWeightSizeExponent = exp
		r, _ := New(o, recommend.Config{})
		rng := rand.New(rand.NewPCG(5, 5))
		var over, n float64
		for i := 0; i < 10*288; i++ {
			now := t0.Add(time.Duration(i) * 5 * time.Minute)
			u := mean * math.Exp(0.4*rng.NormFloat64())
			if i >= 3*288 {
				rec, _ := r.Recommend(now)
				n++
				if u > rec.Target.CPUMillicores {
					over++
				}
			}
			r.AddSample(model.Sample{Time: now, CPUMillicores: u, MemoryBytes: model.GiB})
		}
		return over / n
	}
	small0, large0 := share(0, 200), share(0, 20000)
	if math.Abs(small0-large0) > 0.002 {
		t.Errorf("exponent 0: shares above %.4f (0.2 core) and %.4f (20 cores), want about equal", small0, large0)
	}
	small1, large1 := share(1, 200), share(1, 20000)
	if !(large1 > 2*small1) {
		t.Errorf("exponent 1: shares above %.4f (0.2 core) and %.4f (20 cores), want the large one's well above", small1, large1)
	}
}

// TestOOMNeedCountsAsPeak: the usage observed in a killed hour is cut at
// the limit, so what the kill showed (the request x OOMBump) counts as the
// hour's peak and stays in the plans after the bump's hour has passed.
func TestOOMNeedCountsAsPeak(t *testing.T) {
	o := DefaultOptions()
	r, _ := New(o, recommend.Config{})
	flat := func(int) float64 { return model.GiB }
	now := replay(r, 0, 72*12, flat)
	r.AddOOM(model.OOMEvent{Time: now, MemoryRequestBytes: model.GiB, MemoryUsageBytes: model.GiB})
	now = replay(r, 72*12+1, 100*12, flat)
	need := model.GiB * o.OOMBump
	if got := r.peakOver(now, 48*time.Hour); got < need {
		t.Errorf("peak of the last 48 h after a kill at 1 GiB: %.3f GiB, want at least %.3f", got/model.GiB, need/model.GiB)
	}
	if rec, _ := r.Recommend(now); rec.Target.MemoryBytes < need {
		t.Errorf("27 h after a kill at 1 GiB (usage 1 GiB since) the memory target is %.3f GiB, want at least %.3f", rec.Target.MemoryBytes/model.GiB, need/model.GiB)
	}
}

// TestBumpFallsBackWithEvidence: a streak of kills multiplies the request by
// up to 8; once OOMHold has passed and the peaks since show the need, the
// target falls to the plan's with OOMTrimHysteresis, though the plan's own
// hysteresis (1, as the shipped model's) and a decrease a day before would
// hold it.
func TestBumpFallsBackWithEvidence(t *testing.T) {
	for _, trim := range []float64{0.2, 1} {
		o := DefaultOptions()
		o.MemoryHysteresis, o.OOMTrimHysteresis = 1, trim
		o.MemoryDecreaseStep = 0 // the first decrease goes to 1 GiB at once
		o.MemoryTrend = false    // the step to 6 GiB is no growth to carry
		o.OOMToPlan = false      // bumps by OOMBump, then the streak factor
		r, _ := New(o, recommend.Config{})
		// 4 GiB for three days, then 1 GiB: the target falls (a decrease,
		// which the bump's fall back must not wait MemoryDecreaseGap for).
		now := replay(r, 0, 110*12, func(h int) float64 {
			if h < 72 {
				return 4 * model.GiB
			}
			return model.GiB
		})
		if r.decreases != 1 || now.Sub(r.lastDecr) > 24*time.Hour {
			t.Fatalf("trim %g: %d decreases, the last at %s, want one in the last day", trim, r.decreases, r.lastDecr)
		}
		// Kills in quick succession, each at the request the last bump set.
		for k := 0; k < 3; k++ {
			rec, _ := r.Recommend(now)
			now = now.Add(5 * time.Minute)
			r.AddOOM(model.OOMEvent{Time: now, MemoryRequestBytes: rec.Target.MemoryBytes, MemoryUsageBytes: rec.Target.MemoryBytes})
		}
		rec, _ := r.Recommend(now)
		bump := rec.Target.MemoryBytes
		if bump < 8*model.GiB {
			t.Fatalf("trim %g: after a streak of three kills from 1 GiB the target is %.2f GiB, want at least 8", trim, bump/model.GiB)
		}
		start := int(now.Sub(t0)/(5*time.Minute)) + 1
		now = replay(r, start, start+12*12, func(int) float64 { return 6 * model.GiB })
		rec, _ = r.Recommend(now)
		got := rec.Target.MemoryBytes / model.GiB
		if want := 6 * (1 + Profiles[1].MemoryMargin); trim < 1 && math.Abs(got-want) > 0.01 {
			t.Errorf("trim %g: 12 h after the streak, at 6 GiB since, the target is %.2f GiB, want %.2f", trim, got, want)
		}
		if trim == 1 && got < bump/model.GiB {
			t.Errorf("trim 1: the target fell from %.2f to %.2f GiB, want held by the plan's hysteresis", bump/model.GiB, got)
		}
	}
}

// TestDecreaseInSteps: after 8 GiB for a day, then 1 GiB, the one-day plan
// falls to 1 GiB; with MemoryDecreaseStep 0.5 the target halves once per
// MemoryDecreaseGap (8.4, 4.2, 2.1, then the plan's 1.05 GiB), without it
// it goes to the plan's at once.
func TestDecreaseInSteps(t *testing.T) {
	mem := func(h int) float64 {
		if h < 24 {
			return 8 * model.GiB
		}
		return model.GiB
	}
	m := 1 + Profiles[1].MemoryMargin
	for _, tt := range []struct {
		step float64
		want []float64 // target in GiB at the end of each day from day 2
	}{
		{0.5, []float64{8 * m, 4 * m, 4 * m, 2 * m, 2 * m, m, m}},
		{0, []float64{8 * m, m, m, m, m, m, m}},
	} {
		o := DefaultOptions()
		o.MemoryDecreaseStep = tt.step
		o.MemoryHysteresis, o.MemoryDecreaseGap = 0.5, 48*time.Hour
		o.MemoryTrend = false
		o.MemoryWindows = []time.Duration{24 * time.Hour}
		r, _ := New(o, recommend.Config{})
		replay(r, 0, 288, mem)
		var got []float64
		for day := 1; day <= len(tt.want); day++ {
			now := replay(r, day*288, (day+1)*288, mem)
			rec, _ := r.Recommend(now)
			got = append(got, math.Round(100*rec.Target.MemoryBytes/model.GiB)/100)
		}
		for i := range got {
			if math.Abs(got[i]-tt.want[i]) > 0.01 {
				t.Errorf("step %g: targets at the end of days 2-%d are %v GiB, want %v", tt.step, len(tt.want)+1, got, tt.want)
				break
			}
		}
	}
}

// TestWarmupCrashLoopFallsBack: a container killed at every sample of
// warm-up at its 1 GiB request leaves warm-up at a crash loop's bump (4 GiB);
// the usage then seen (2.5 GiB) falls back to the plan's level once
// OOMTrimHold (else OOMHold) has passed since the last kill, though the
// plan's own hysteresis (1) would hold 4 GiB.
func TestWarmupCrashLoopFallsBack(t *testing.T) {
	for _, tt := range []struct {
		trimHold time.Duration
		hours    int // after the crash loop
		fallen   bool
	}{
		{0, 12, true},             // OOMHold (6 h)
		{0, 5, false},             // OOMHold not passed
		{2 * time.Hour, 3, true},  // OOMTrimHold
		{2 * time.Hour, 1, false}, // OOMTrimHold not passed
	} {
		o := DefaultOptions()
		o.MemoryHysteresis, o.MemoryTrend, o.OOMTrimHold = 1, false, tt.trimHold
		r, _ := New(o, recommend.Config{})
		got := crashLoopThen(t, r, tt.hours)
		want := 2.5 * (1 + Profiles[1].MemoryMargin)
		if tt.fallen && math.Abs(got-want) > 0.01 {
			t.Errorf("trim hold %s: %d h after the crash loop, at 2.5 GiB since, the target is %.2f GiB, want %.3f", tt.trimHold, tt.hours, got, want)
		}
		if !tt.fallen && got < 4 {
			t.Errorf("trim hold %s: %d h after the crash loop the target is %.2f GiB, want the bump (at least 4) held", tt.trimHold, tt.hours, got)
		}
	}
}

// crashLoopThen replays a warm-up killed at every sample at its 1 GiB
// request, then the given hours at 2.5 GiB, and returns the memory target
// in GiB.
func crashLoopThen(t *testing.T, r *Recommender, hours int) float64 {
	t.Helper()
	var now time.Time
	for i := 0; i <= (24+hours)*12; i++ {
		now = t0.Add(time.Duration(i) * 5 * time.Minute)
		usage := 2.5 * model.GiB
		if i <= 24*12 {
			// Killed at the 1 GiB request held during warm-up, and at
			// the first sample after it (the update is not applied yet).
			usage = model.GiB
			r.AddOOM(model.OOMEvent{Time: now, MemoryRequestBytes: model.GiB, MemoryUsageBytes: model.GiB})
		}
		r.AddSample(model.Sample{Time: now, CPUMillicores: 400, MemoryBytes: usage})
		if i == 24*12 {
			rec, _ := r.Recommend(now)
			if got := rec.Target.MemoryBytes / model.GiB; got < 4 {
				t.Fatalf("at the end of a warm-up in a crash loop at 1 GiB the target is %.2f GiB, want at least 4", got)
			}
		}
	}
	rec, _ := r.Recommend(now)
	return rec.Target.MemoryBytes / model.GiB
}

// crashLoopTarget replays a warm-up (24 h) in a crash loop at a held 1 GiB
// request, a kill at every sample, and returns the memory target after it
// in GiB.
func crashLoopTarget(t *testing.T, o Options, cfg recommend.Config) float64 {
	t.Helper()
	r, err := New(o, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var rec model.Recommendation
	for i := 0; i <= 24*12; i++ {
		now := t0.Add(time.Duration(i) * 5 * time.Minute)
		r.AddOOM(model.OOMEvent{Time: now, MemoryRequestBytes: model.GiB, MemoryUsageBytes: model.GiB})
		r.AddSample(model.Sample{Time: now, CPUMillicores: 400, MemoryBytes: model.GiB})
		rec, _ = r.Recommend(now)
	}
	return rec.Target.MemoryBytes / model.GiB
}

// TestCrashLoopPower: a crash loop at the 1 GiB request held through
// warm-up ends with the request times OOMStreakFactor to the power
// OOMLoopStreak (x 4 by default, x 8 with 3).
func TestCrashLoopPower(t *testing.T) {
	for _, tt := range []struct {
		power int
		want  float64 // GiB
	}{{0, 4}, {2, 4}, {3, 8}} {
		o := DefaultOptions()
		o.MemoryHysteresis, o.MemoryTrend, o.OOMLoopStreak = 1, false, tt.power
		if got := crashLoopTarget(t, o, recommend.Config{}); math.Abs(got-tt.want) > 0.01 {
			t.Errorf("power %d: after a warm-up in a crash loop at 1 GiB the target is %.2f GiB, want %g", tt.power, got, tt.want)
		}
	}
}

// TestCrashLoopPowerLongHorizon: at an update budget of LongHorizon or more
// the long-horizon escalation applies, at shorter ones the short one.
func TestCrashLoopPowerLongHorizon(t *testing.T) {
	for _, tt := range []struct {
		budget          time.Duration
		loop, loopLong  int
		factor, facLong float64
		want            float64 // GiB
	}{
		{time.Hour, 3, 2, 2, 0, 8},
		{12 * time.Hour, 3, 2, 2, 0, 4},
		{12 * time.Hour, 3, 0, 2, 0, 8},
		{24 * time.Hour, 2, 0, 2, 1.5, 2.25},
		{LongHorizon - time.Minute, 2, 1, 2, 1.5, 4},
	} {
		o := DefaultOptions()
		o.MemoryHysteresis, o.MemoryTrend = 1, false
		o.OOMLoopStreak, o.OOMLoopStreakLong, o.OOMStreakFactor, o.OOMStreakFactorLong = tt.loop, tt.loopLong, tt.factor, tt.facLong
		if got := crashLoopTarget(t, o, recommend.Config{UpdateInterval: tt.budget}); math.Abs(got-tt.want) > 0.01 {
			t.Errorf("budget %v, loop power %d (long %d), factor %g (long %g): after a crash loop at 1 GiB the target is %.2f GiB, want %g",
				tt.budget, tt.loop, tt.loopLong, tt.factor, tt.facLong, got, tt.want)
		}
	}
}
