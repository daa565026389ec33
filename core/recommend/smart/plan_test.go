package smart

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// TestQuantileMatchesSort: the selection-based quantile equals the one read
// off a sorted copy, duplicates and all.
func TestQuantileMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 300; n += 7 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Floor(rng.Float64() * 20) // many duplicates
		}
		for _, q := range []float64{0, 0.1, 0.5, 0.9, 0.985, 0.99, 1} {
			sorted := slices.Clone(xs)
			slices.Sort(sorted)
			pos := q * float64(n-1)
			i := int(pos)
			want := sorted[i]
			if i < n-1 {
				want += (pos - float64(i)) * (sorted[i+1] - sorted[i])
			}
			if got := quantile(slices.Clone(xs), q); got != want {
				t.Fatalf("n %d q %g: quantile %g, want %g", n, q, got, want)
			}
		}
	}
}

// noisySeries feeds days of 5-minute samples of stationary noisy CPU
// (lognormal around 500 m) and flat 1 GiB memory, and returns the share of
// samples after the first two days that were above the CPU target in force
// before them (the recommendation the updater would have applied).
func noisyShare(t *testing.T, r recommend.Recommender, days int) (share, lastTarget float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	var over, n float64
	for i := 0; i < days*288; i++ {
		now := t0.Add(time.Duration(i) * 5 * time.Minute)
		u := 500 * math.Exp(0.4*rng.NormFloat64())
		if i >= 2*288 {
			rec, ok := r.Recommend(now)
			if !ok {
				t.Fatal("no recommendation")
			}
			n++
			if u > rec.Target.CPUMillicores {
				over++
			}
			lastTarget = rec.Target.CPUMillicores
		}
		r.AddSample(model.Sample{Time: now, CPUMillicores: u, MemoryBytes: model.GiB})
	}
	return over / n, lastTarget
}

// TestProfilesBoundTheirShortfall: on stationary noise each profile's CPU
// target is above the usage all but at most CPUMaxShareFactor times its
// stated share of the time (the cap of any one container; the stated share
// is a fleet's mean, which the trained weights hold), stricter profiles ask
// for more and are above the usage more of the time.
func TestProfilesBoundTheirShortfall(t *testing.T) {
	o := DefaultOptions()
	var targets, shares []float64
	for _, p := range Profiles {
		r, err := New(o, recommend.Config{Profile: p.Name})
		if err != nil {
			t.Fatal(err)
		}
		share, target := noisyShare(t, r, 12)
		if share > 1.2*o.CPUMaxShareFactor*p.CPUShortfall || share == 0 {
			t.Errorf("profile %s: CPU above the target %.2f %% of the time, want above 0 and at most %.1f %%", p.Name, 100*share, 100*o.CPUMaxShareFactor*p.CPUShortfall)
		}
		targets, shares = append(targets, target), append(shares, share)
	}
	if !(targets[0] > targets[1] && targets[1] > targets[2]) || !(shares[0] < shares[1] && shares[1] < shares[2]) {
		t.Errorf("reliability, balanced, savings: targets %.0f, %.0f, %.0f m (want decreasing), shares above %.4f, %.4f, %.4f (want increasing)",
			targets[0], targets[1], targets[2], shares[0], shares[1], shares[2])
	}
	if _, err := New(DefaultOptions(), recommend.Config{Profile: "cheap"}); err == nil || err.Error() != `smart: unknown profile "cheap": use one of reliability, balanced, savings` {
		t.Fatalf("error %v", err)
	}
}

// TestBoundsAreItsInterval: lower and upper bracket the target and mean
// what the package documents (CPU lower within CPULowBand; memory lower
// within MemoryLowBand and at least the peak, upper the target plus the
// hysteresis).
func TestBoundsAreItsInterval(t *testing.T) {
	r, _ := New(DefaultOptions(), recommend.Config{})
	now := replay(r, 0, 5*288, func(h int) float64 { return model.GiB * (1 + 0.1*float64(h%24)/24) })
	rec, ok := r.Recommend(now)
	if !ok {
		t.Fatal("no recommendation")
	}
	o := DefaultOptions()
	c, m := rec.Target.CPUMillicores, rec.Target.MemoryBytes
	if got := rec.Lower.CPUMillicores; math.Abs(got-c/(1+o.CPULowBand)) > 1e-9*c {
		t.Errorf("cpu lower %.1f, want target / %.2f = %.1f", got, 1+o.CPULowBand, c/(1+o.CPULowBand))
	}
	if rec.Upper.CPUMillicores < c*(1+o.CPUBand) {
		t.Errorf("cpu upper %.1f below target x %.2f", rec.Upper.CPUMillicores, 1+o.CPUBand)
	}
	peak := model.GiB * (1 + 0.1*23.0/24)
	if got := rec.Lower.MemoryBytes; math.Abs(got-m/(1+o.MemoryLowBand)) > 1e-9*m || got < peak {
		t.Errorf("memory lower %.3f GiB, want target / %.2f = %.3f GiB, at least the peak of usage (%.3f GiB)", got/model.GiB, 1+o.MemoryLowBand, m/(1+o.MemoryLowBand)/model.GiB, peak/model.GiB)
	}
	if got, want := rec.Upper.MemoryBytes, m*(1+o.MemoryHysteresis); math.Abs(got-want) > 1e-9*want {
		t.Errorf("memory upper %.3f GiB, want %.3f", got/model.GiB, want/model.GiB)
	}
}

// TestHorizonFollowsTheUpdateBudget: with a 12 h update budget the CPU
// request must serve the next 12 h of a daily cycle, so at the cycle's
// trough it is well above the 1 h plan's.
func TestHorizonFollowsTheUpdateBudget(t *testing.T) {
	target := func(budget time.Duration) float64 {
		r, _ := New(DefaultOptions(), recommend.Config{UpdateInterval: budget})
		// replay's cycle peaks at 06:00 (700 m) and bottoms at 18:00
		// (100 m); end at 17:00 on the eighth day.
		now := replay(r, 0, 7*288+17*12, func(int) float64 { return model.GiB })
		rec, _ := r.Recommend(now)
		return rec.Target.CPUMillicores
	}
	short, long := target(0), target(12*time.Hour)
	if short > 250 {
		t.Errorf("1 h plan at the trough asks %.0f m, want near the trough's usage (<= 250 m)", short)
	}
	if long < 2*short || long < 500 {
		t.Errorf("12 h plan at the trough asks %.0f m, want the next 12 h's high usage (>= 500 m, and well above the 1 h plan's %.0f m)", long, short)
	}
}

// oomReplay replays three days at 1 GiB and returns the memory target now
// and a kill 5 minutes later at a request (the usage read at it).
func oomReplay(o Options) (mem func() float64, oom func(req float64)) {
	return oomReplayAt(o, recommend.Config{})
}

// oomReplayAt is oomReplay under cfg (its update budget sets the horizon).
func oomReplayAt(o Options, cfg recommend.Config) (mem func() float64, oom func(req float64)) {
	r, _ := New(o, cfg)
	now := replay(r, 0, 3*288, func(int) float64 { return model.GiB })
	mem = func() float64 { rec, _ := r.Recommend(now); return rec.Target.MemoryBytes }
	oom = func(req float64) {
		now = now.Add(5 * time.Minute)
		r.AddOOM(model.OOMEvent{Time: now, MemoryRequestBytes: req, MemoryUsageBytes: req})
	}
	return mem, oom
}

// TestOOMStreakEscalates: with OOMBump 1.2 and OOMStreakFactor 2, kills
// within the hour at rising requests double, then quadruple the request;
// kills at the same request (the bump not yet applied) are one episode, and
// so is a kill at a request below the streak's last bump.
func TestOOMStreakEscalates(t *testing.T) {
	o := DefaultOptions()
	o.OOMBump, o.OOMStreakFactor = 1.2, 2
	mem, oom := oomReplay(o)
	oom(2 * model.GiB)
	if got := mem(); got != 2.4*model.GiB {
		t.Fatalf("after a first kill at 2 GiB: %.2f GiB, want 2.4", got/model.GiB)
	}
	oom(2 * model.GiB) // same request: same episode
	if got := mem(); got != 2.4*model.GiB {
		t.Fatalf("after a second kill at the same request: %.2f GiB, want 2.4", got/model.GiB)
	}
	oom(2.4 * model.GiB)
	if got := mem(); got != 4.8*model.GiB {
		t.Fatalf("after a kill at the raised request: %.2f GiB, want 4.8 (x2)", got/model.GiB)
	}
	oom(4.8 * model.GiB)
	if got := mem(); got != 19.2*model.GiB {
		t.Fatalf("after the next: %.2f GiB, want 19.2 (x4)", got/model.GiB)
	}
	// A kill at a request above the last one but below the bump the streak
	// asked for (the updater had not applied it): stale, nothing new.
	oom(6 * model.GiB)
	if got := mem(); got != 19.2*model.GiB {
		t.Fatalf("after a kill at a stale 6 GiB request: %.2f GiB, want 19.2 (the bump held, not x8 of 6)", got/model.GiB)
	}
	// At the bump itself: the streak goes on (x8).
	oom(19.2 * model.GiB)
	if got := mem(); got != 8*19.2*model.GiB {
		t.Fatalf("after a kill at the bump: %.2f GiB, want %.1f (x8)", got/model.GiB, 8*19.2)
	}
}

// TestOOMStreakConstant: with OOMStreakConstant, kills within the hour at
// rising requests multiply the request by OOMStreakFactor each time (a
// geometric search), also after a crash loop's bump.
func TestOOMStreakConstant(t *testing.T) {
	o := DefaultOptions()
	o.OOMBump, o.OOMStreakFactor, o.OOMStreakConstant, o.OOMLoopStreak = 1.2, 2, true, 3
	mem, oom := oomReplay(o)
	oom(2 * model.GiB)
	if got := mem(); got != 2.4*model.GiB {
		t.Fatalf("after a first kill at 2 GiB: %.2f GiB, want 2.4", got/model.GiB)
	}
	for _, want := range []float64{4.8, 9.6, 19.2} {
		oom(want / 2 * model.GiB)
		if got := mem(); got != want*model.GiB {
			t.Fatalf("after a kill at %.1f GiB: %.2f GiB, want %.1f (x2)", want/2, got/model.GiB, want)
		}
	}
	// A crash loop held at 19.2 GiB (the first kill there is the streak's,
	// x2; three more at the same request are a loop): the loop's bump (x8
	// of 19.2 GiB), then x2 again.
	for range 4 {
		oom(19.2 * model.GiB)
	}
	if got := mem(); got != 8*19.2*model.GiB {
		t.Fatalf("after a crash loop at 19.2 GiB: %.2f GiB, want %.1f (x8)", got/model.GiB, 8*19.2)
	}
	oom(8 * 19.2 * model.GiB)
	if got := mem(); got != 16*19.2*model.GiB {
		t.Fatalf("after a kill at the crash loop's bump: %.2f GiB, want %.1f (x2)", got/model.GiB, 16*19.2)
	}
}

// TestOOMStreakConstantLong: with OOMStreakConstantLong, a streak is a
// geometric search under a long update budget (x2 each kill, the loop's
// bump too) and escalates under an hourly one (x2, then x4).
func TestOOMStreakConstantLong(t *testing.T) {
	o := DefaultOptions()
	o.OOMBump, o.OOMStreakFactor, o.OOMStreakConstantLong = 1.2, 2, true
	for _, tt := range []struct {
		budget time.Duration
		want   []float64 // after a kill at 2 GiB, then each at the last bump
	}{
		{12 * time.Hour, []float64{2.4, 4.8, 9.6, 19.2}},
		{time.Hour, []float64{2.4, 4.8, 19.2, 19.2 * 8}},
	} {
		mem, oom := oomReplayAt(o, recommend.Config{UpdateInterval: tt.budget})
		req := 2.0
		for i := range tt.want {
			oom(req * model.GiB)
			if got := mem(); math.Abs(got-tt.want[i]*model.GiB) > 1 {
				t.Fatalf("budget %v, after a kill at %.1f GiB: %.2f GiB, want %.1f", tt.budget, req, got/model.GiB, tt.want[i])
			}
			req = tt.want[i]
		}
	}
}

// TestSurprisingOOMRaisesTheMargin: with OOMMarginStep set, a kill at the
// planned request raises the margin of later plans; a kill at a request far
// below the plan (a cascade from a default request) does not.
func TestSurprisingOOMRaisesTheMargin(t *testing.T) {
	o := DefaultOptions()
	o.OOMMarginStep = 0.5
	flat := func(int) float64 { return model.GiB }
	run := func(req func(planned float64) float64) float64 {
		r, _ := New(o, recommend.Config{})
		now := replay(r, 0, 3*288, flat)
		rec, _ := r.Recommend(now)
		r.AddOOM(model.OOMEvent{Time: now, MemoryRequestBytes: req(rec.Target.MemoryBytes)})
		return r.logMargin
	}
	base := math.Log(Profiles[1].MemoryMargin)
	if got := run(func(p float64) float64 { return p }); math.Abs(got-(base+0.5)) > 1e-12 {
		t.Errorf("log margin after a kill at the planned request %.3f, want %.3f", got, base+0.5)
	}
	if got := run(func(p float64) float64 { return p / 4 }); got != base {
		t.Errorf("log margin after a kill at a quarter of the plan %.3f, want unchanged %.3f", got, base)
	}
}

// TestMemoryGrowthIsCarried: a heap that grows steadily gets its growth over
// the next hours on top of its peak, so it is not killed at the next hour.
func TestMemoryGrowthIsCarried(t *testing.T) {
	r, _ := New(DefaultOptions(), recommend.Config{})
	grow := func(h int) float64 { return model.GiB * (1 + 0.02*float64(h)) } // +2 % of a GiB an hour
	now := replay(r, 0, 4*288, grow)
	rec, _ := r.Recommend(now)
	last := grow(4*24 - 1)
	if min := last + 4*0.02*model.GiB; rec.Target.MemoryBytes < min {
		t.Errorf("memory target %.3f GiB, want at least the last peak plus 4 h of growth (%.3f GiB)", rec.Target.MemoryBytes/model.GiB, min/model.GiB)
	}
	ex := r.Explain(now)
	if !strings.Contains(strings.Join(ex.Notes, "\n"), "memory: ") {
		t.Errorf("explain notes %q lack the memory plan", ex.Notes)
	}
}

// TestSteadyGrowthCarriedOverTheBudget: under a 12 h budget, a steady
// growth (a leak) is carried over the whole horizon, a step or a daily ramp
// only over TrendHours, and with TrendSteadyFit 0 no growth is carried
// further than TrendHours.
func TestSteadyGrowthCarriedOverTheBudget(t *testing.T) {
	const rate = 0.02 // of a GiB an hour
	cases := []struct {
		name   string
		fit    float64
		mem    func(h int) float64
		steady bool
	}{
		{"leak", 0.9, func(h int) float64 { return model.GiB * (1 + rate*float64(h)) }, true},
		{"leak, noisy", 0.9, func(h int) float64 { return model.GiB * (1 + rate*float64(h) + 0.01*float64(h%3)) }, true},
		{"leak, steady fit off", 0, func(h int) float64 { return model.GiB * (1 + rate*float64(h)) }, false},
		{"step", 0.9, func(h int) float64 {
			if h >= 4*24-10 {
				return 1.5 * model.GiB
			}
			return model.GiB
		}, false},
		{"daily ramp", 0.9, func(h int) float64 { return model.GiB * (1 + 0.5*math.Max(0, float64(h%24-12))/12) }, false},
	}
	targets := map[string]float64{}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			o.TrendSteadyFit = tt.fit
			r, _ := New(o, recommend.Config{UpdateInterval: 12 * time.Hour})
			now := replay(r, 0, 4*288, tt.mem)
			rec, _ := r.Recommend(now)
			targets[tt.name] = rec.Target.MemoryBytes
			slope, steady := r.steadyGrowth()
			if steady != tt.steady {
				t.Fatalf("steady growth %v (slope %.4g B/h), want %v", steady, slope, tt.steady)
			}
			if !steady {
				return
			}
			if math.Abs(slope-rate*model.GiB) > 0.1*rate*model.GiB {
				t.Errorf("slope %.4g B/h, want about %.4g", slope, rate*model.GiB)
			}
			last := tt.mem(4*24 - 1)
			if min := last + 12*rate*model.GiB; rec.Target.MemoryBytes < min {
				t.Errorf("memory target %.3f GiB, want at least the last peak plus 12 h of growth (%.3f GiB)", rec.Target.MemoryBytes/model.GiB, min/model.GiB)
			}
		})
	}
	// Off, the same leak is carried TrendHours (4 h), not the 13 h of the
	// horizon: at least 8 h of growth less.
	if d := targets["leak"] - targets["leak, steady fit off"]; d < 8*rate*model.GiB {
		t.Errorf("steady carry adds %.3f GiB to the target, want at least 8 h of growth (%.3f GiB)", d/model.GiB, 8*rate)
	}
}

// TestLevelTradesSlackForRisk: on scores where half the weight is at 0 and
// a thin tail far above, a small weight of time above leaves the tail
// uncovered and a large one covers it; the share above never exceeds the
// cap.
func TestLevelTradesSlackForRisk(t *testing.T) {
	var h scoreHist
	t0 := time.Unix(0, 0)
	for i := range 1000 {
		s := 0.0
		if i%50 == 0 { // 2 % of the samples at e^1.5 the point
			s = 1.5
		}
		h.add(t0, s, time.Hour)
	}
	if got := h.level(1, 0.1, 1); got > 0.1 {
		t.Errorf("weight 0.1: level %.2f, want the bulk (about 0): the tail is not worth its slack", got)
	}
	if got := h.level(1, 1000, 1); got < 1.5 {
		t.Errorf("weight 1000: level %.2f, want above the tail (1.5)", got)
	}
	if got := h.level(1, 0.1, 0.01); got < 1.5 {
		t.Errorf("cap 1 %%: level %.2f, want above the tail (its 2 %% is over the cap)", got)
	}
}

// TestCPUCappedAtPeak: on a series that switches at random between idle
// (50m) and busy (8 cores) by the hour, a forecaster's point times its
// conformal factor reaches many times the busy level; CPUPeakCap keeps the
// target at most 1.1 x the peak seen (8 cores), and upper 1.1 x that.
func TestCPUCappedAtPeak(t *testing.T) {
	for _, capped := range []bool{true, false} {
		o := DefaultOptions()
		if !capped {
			o.CPUPeakCap = 0
		}
		r, _ := New(o, recommend.Config{UpdateInterval: 12 * time.Hour})
		rng := rand.New(rand.NewPCG(1, 2))
		busy := false
		most, mostHigh := 0.0, 0.0
		for i := 0; i < 8*288; i++ {
			if i%12 == 0 {
				busy = rng.Float64() < 0.3
			}
			u := 50.0
			if busy {
				u = 8000
			}
			now := t0.Add(time.Duration(i) * 5 * time.Minute)
			r.AddSample(model.Sample{Time: now, CPUMillicores: u, MemoryBytes: model.GiB})
			if rec, ok := r.Recommend(now); ok && i > 2*288 {
				most = math.Max(most, rec.Target.CPUMillicores)
				mostHigh = math.Max(mostHigh, rec.Upper.CPUMillicores)
			}
		}
		// upper is at least the target plus CPUBand (10 %).
		if capped && (most > 8800+1e-6 || mostHigh > 9680+1e-6) {
			t.Errorf("capped: the CPU target reached %.0fm and upper %.0fm, want at most 1.1 x the 8000m peak (upper 1.1 x that)", most, mostHigh)
		}
		if !capped && most <= 8800 {
			t.Errorf("without the cap the CPU target stayed at most %.0fm: the series does not show what the cap is for", most)
		}
	}
}

// TestCPULossCoversTheHorizon: at a 12 h horizon a plan is scored against
// the usage as the plans of the last horizon (12) would have served it, not
// only the newest: a forecaster whose older plans were far below the usage
// costs the weight for each of them.
func TestCPULossCoversTheHorizon(t *testing.T) {
	r, _ := New(DefaultOptions(), recommend.Config{UpdateInterval: 12 * time.Hour})
	r.cpu, r.samples, r.scale = 1000, 2, 1000
	f := &r.fc[fcLevel]
	f.point, f.factor = 1000, 1
	f.past = []pastPlan{{1000, 100}, {1000, 1000}} // an old plan at 100m, the newest at 1000m
	r.scoreCPU(t0, 5*time.Minute, 500)
	// Mean of (no slack + weight) for the 100m plan and (slack 500m) for
	// the 1000m one, in units of the mean usage (as updated by the sample).
	want := (r.cpuWeight() + 500/r.scale) / 2
	if math.Abs(f.loss-want) > 1e-9 {
		t.Errorf("loss %.4f, want %.4f (the mean over the plans of the horizon)", f.loss, want)
	}
}

// TestCPUWeightSizeFloor: with a size exponent, a container below the size
// floor is weighed as one of the floor's size (64 x (1000/250)^0.5 = 128 for
// a 50m container), above it by its own size; no floor scales by its own.
func TestCPUWeightSizeFloor(t *testing.T) {
	for _, tt := range []struct {
		floor, usage, want float64
	}{
		{250, 50, 128},
		{0, 50, 64 * math.Sqrt(20)},
		{250, 4000, 32},
	} {
		o := DefaultOptions()
		o.OverrunWeights = map[string]float64{"reliability": 256, "balanced": 64, "savings": 4}
		o.CPUWeightSizeExponent, o.CPUWeightSizeFloor = 0.5, tt.floor
		r, err := New(o, recommend.Config{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 288 {
			r.AddSample(model.Sample{Time: t0.Add(time.Duration(i) * 5 * time.Minute), CPUMillicores: tt.usage, MemoryBytes: model.GiB})
		}
		if got := r.cpuWeight(); math.Abs(got-tt.want) > 1e-6*tt.want {
			t.Errorf("floor %gm, usage %gm: weight %.4f, want %.4f", tt.floor, tt.usage, got, tt.want)
		}
	}
}

// TestShareCalibrationLendsRisk: on stationary noise with a fleet weight far
// too high for it (its share above stays well below the profile's),
// calibration lowers the container's weight, at most to 1/CPUShareRange of
// it, so that its share rises towards the stated one and its target falls;
// with a weight too low (share above the stated one) it raises the weight,
// at most to CPUShareCeiling x it, and the share falls (without a ceiling
// it never raises it, which is then the cap's job).
func TestShareCalibrationLendsRisk(t *testing.T) {
	ceiling := DefaultOptions().CPUShareCeiling
	run := func(weight, rate float64) (share, target, adj float64) {
		o := DefaultOptions()
		o.OverrunWeights = map[string]float64{"reliability": weight, "balanced": weight, "savings": weight}
		o.CPUShareRate, o.CPUShareRange, o.CPUShareCeiling = rate, 16, ceiling
		r, err := New(o, recommend.Config{})
		if err != nil {
			t.Fatal(err)
		}
		share, target = noisyShare(t, r, 12)
		return share, target, r.shareAdj
	}
	a := Profiles[1].CPUShortfall
	s0, t0, _ := run(256, 0)
	s1, t1, adj := run(256, 3)
	if s0 >= a/2 {
		t.Fatalf("without calibration the share above is %.2f %%: the weight does not hold it below the profile's %.1f %%", 100*s0, 100*a)
	}
	if !(s1 > 2*s0 && s1 > a/2 && s1 < 2*a) || t1 >= t0 {
		t.Errorf("calibrated: share above %.2f %% (uncalibrated %.2f %%, profile %.1f %%), target %.0fm (uncalibrated %.0fm): want the share near the profile's and a lower target", 100*s1, 100*s0, 100*a, t1, t0)
	}
	if adj >= 0 || adj < -math.Log(16)-1e-12 {
		t.Errorf("calibration multiplier %.4f, want in [1/16, 1)", math.Exp(adj))
	}
	s3, _, _ := run(8, 0)
	s2, _, adj := run(8, 3)
	if s3 <= a || s2 >= s3 || adj <= 0 || adj > math.Log(4)+1e-12 {
		t.Errorf("weight 8: share above %.2f %% (uncalibrated %.2f %%), multiplier %.4f: want the profile's %.1f %% exceeded uncalibrated, and the weight raised (at most 4 x) to a lower share", 100*s2, 100*s3, math.Exp(adj), 100*a)
	}
	ceiling = 0 // calibrating down only: the weight is left as it is
	s4, _, adj := run(8, 3)
	if s4 < s3 || adj > 0 {
		t.Errorf("weight 8, no ceiling: share above %.2f %% (uncalibrated %.2f %%), multiplier %.4f: want the weight not raised", 100*s4, 100*s3, math.Exp(adj))
	}
}

// TestShadowPlansDuringWarmup: with CPUShadowFrom the forecasters plan and
// score from that much history on, while the recommendation stays the
// warm-up's (the same as without); at the end of warm-up their costs are
// ready, so smart follows the forecaster of least cost at once instead of
// the last day's peak.
func TestShadowPlansDuringWarmup(t *testing.T) {
	run := func(shadow time.Duration) (*Recommender, model.Recommendation) {
		o := DefaultOptions()
		o.CPUShadowFrom = shadow
		r, err := New(o, recommend.Config{})
		if err != nil {
			t.Fatal(err)
		}
		now := replay(r, 0, 24*12-1, func(int) float64 { return model.GiB })
		rec, ok := r.Recommend(now)
		if !ok || !r.warmingUp() {
			t.Fatalf("shadow %s: still warming up %v, recommendation %v", shadow, r.warmingUp(), ok)
		}
		return r, rec
	}
	off, recOff := run(0)
	on, recOn := run(6 * time.Hour)
	if !reflect.DeepEqual(recOff, recOn) {
		t.Errorf("warm-up recommendation with shadow plans %+v, without %+v: want the same", recOn.Target, recOff.Target)
	}
	if n := off.fc[fcDay].samples; n != 0 {
		t.Errorf("without shadow plans the last day's quantile scored %d samples during warm-up, want 0", n)
	}
	// 18 h of shadow plans, less the first plan's hour (scored from the
	// sample after it).
	if n := on.fc[fcDay].samples; n < 16*12 || n > 18*12 {
		t.Errorf("with shadow plans from 6 h the last day's quantile scored %d samples, want %d to %d", n, 16*12, 18*12)
	}
	for _, r := range []*Recommender{off, on} {
		replay(r, 24*12-1, 24*12+1, func(int) float64 { return model.GiB })
	}
	if off.warmingUp() || off.cpuWeighed {
		t.Errorf("without shadow plans, after warm-up: warming up %v, target from a forecaster %v: want the day's peak", off.warmingUp(), off.cpuWeighed)
	}
	if on.warmingUp() || !on.cpuWeighed {
		t.Fatalf("with shadow plans, after warm-up: warming up %v, target from a forecaster %v: want a forecaster's", on.warmingUp(), on.cpuWeighed)
	}
	for k, f := range on.fc {
		if f.factor > 0 && f.scored > 0 && f.loss < on.fc[on.chosen].loss {
			t.Errorf("followed %s (cost %.4f), but %s cost less (%.4f)", on.fcNames[on.chosen], on.fc[on.chosen].loss, on.fcNames[k], f.loss)
		}
	}
	if want := on.capCPU(on.fc[on.chosen].target()); on.cpu != want {
		t.Errorf("CPU target %.1fm, want the followed forecaster's %.1fm", on.cpu, want)
	}
}

// TestCalibrateShare: the calibration's steps (CPUShareRate 3, balanced
// shortfall 1.5 %): a sample above the target raises the log multiplier by
// rate x days x (1 - a) / a, one below lowers it by rate x days;
// a span counts at most an hour, none counts nothing; the multiplier stays
// in [1/CPUShareRange, 1] (1/4 when unset) without CPUShareCeiling.
func TestCalibrateShare(t *testing.T) {
	o := DefaultOptions()
	o.CPUShareRate, o.CPUShareCeiling = 3, 0
	r, err := New(o, recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a := r.prof.CPUShortfall
	day := 24 * time.Hour
	r.shareAdj = -1
	r.calibrateShare(5*time.Minute, true)
	if want := -1 + 3*(5*time.Minute).Hours()/day.Hours()*(1-a)/a; math.Abs(r.shareAdj-want) > 1e-12 {
		t.Errorf("after a sample above: %.6f, want %.6f", r.shareAdj, want)
	}
	r.shareAdj = -1
	r.calibrateShare(5*time.Hour, false) // counts as an hour
	if want := -1 - 3*1.0/24; math.Abs(r.shareAdj-want) > 1e-12 {
		t.Errorf("after 5 h below (an hour counts): %.6f, want %.6f", r.shareAdj, want)
	}
	r.shareAdj = -1
	r.calibrateShare(0, true)
	if r.shareAdj != -1 {
		t.Errorf("a sample of no span moved the calibration to %.6f", r.shareAdj)
	}
	for range 100 {
		r.calibrateShare(time.Hour, false)
	}
	if want := -math.Log(4); math.Abs(r.shareAdj-want) > 1e-12 {
		t.Errorf("after 100 h below: multiplier %.4f, want the default bound 1/4", math.Exp(r.shareAdj))
	}
	for range 100 {
		r.calibrateShare(time.Hour, true)
	}
	if r.shareAdj != 0 {
		t.Errorf("after 100 h above: multiplier %.4f, want 1 (never above the fleet's weight)", math.Exp(r.shareAdj))
	}
}

// TestCalibrateShareBurst: with CPUShareBurst, a run of samples above the
// target within one plan raises the calibration once; the next plan's first
// sample above counts again, and samples below count as before.
func TestCalibrateShareBurst(t *testing.T) {
	o := DefaultOptions()
	o.CPUShareRate, o.CPUShareRange, o.CPUShareBurst = 3, 256, true
	r, err := New(o, recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a := r.prof.CPUShortfall
	up := 3 * (5 * time.Minute).Hours() / 24 * (1 - a) / a
	down := 3 * (5 * time.Minute).Hours() / 24
	r.shareAdj, r.planEnd = -5, time.Unix(3600, 0)
	for range 6 {
		r.calibrateShare(5*time.Minute, true)
	}
	if want := -5 + up; math.Abs(r.shareAdj-want) > 1e-12 {
		t.Errorf("after 6 samples above in one plan: %.6f, want %.6f (one counted)", r.shareAdj, want)
	}
	r.calibrateShare(5*time.Minute, false)
	r.planEnd = r.planEnd.Add(time.Hour)
	r.calibrateShare(5*time.Minute, true)
	if want := -5 + 2*up - down; math.Abs(r.shareAdj-want) > 1e-12 {
		t.Errorf("after a sample below and one above in the next plan: %.6f, want %.6f", r.shareAdj, want)
	}
	o.CPUShareBurst = false
	r, _ = New(o, recommend.Config{})
	r.shareAdj = -5
	for range 6 {
		r.calibrateShare(5*time.Minute, true)
	}
	if want := -5 + 6*up; math.Abs(r.shareAdj-want) > 1e-12 {
		t.Errorf("without CPUShareBurst, after 6 samples above: %.6f, want %.6f (each counted)", r.shareAdj, want)
	}
}

// TestCalibrateShareCeiling: with CPUShareCeiling, a container above the
// profile's share has its weight raised, up to the ceiling times the
// fleet's, and a later run below brings it back down past the fleet's.
func TestCalibrateShareCeiling(t *testing.T) {
	o := DefaultOptions()
	o.CPUShareRate, o.CPUShareRange, o.CPUShareCeiling = 3, 8, 4
	r, err := New(o, recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a := r.prof.CPUShortfall
	r.calibrateShare(5*time.Minute, true)
	if want := 3 * (5 * time.Minute).Hours() / 24 * (1 - a) / a; math.Abs(r.shareAdj-want) > 1e-12 {
		t.Errorf("after 5 min above: %.6f, want %.6f (raised)", r.shareAdj, want)
	}
	for range 100 {
		r.calibrateShare(time.Hour, true)
	}
	if got := math.Exp(r.shareAdj); math.Abs(got-4) > 1e-9 {
		t.Errorf("after 100 h above: multiplier %.4f, want 4 (the ceiling)", got)
	}
	for range 24 * 30 {
		r.calibrateShare(time.Hour, false)
	}
	if got := math.Exp(r.shareAdj); math.Abs(got-1.0/8) > 1e-9 {
		t.Errorf("after 30 days below: multiplier %.4f, want 1/8 (the range)", got)
	}
}
