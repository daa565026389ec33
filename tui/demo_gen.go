package tui

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// DemoEnd is the end of the demo history and the time the demo's
// recommendations are made at: a fixed instant, so that a seed always shows
// the same screen.
var DemoEnd = time.Date(2026, time.January, 13, 0, 0, 0, 0, time.UTC)

// generate makes a usage history of shape typ from start for dur, one sample
// per interval. Levels are those of the workloads package's default
// generator configs (CPU in millicores, memory in bytes); the caller scales
// them. All randomness comes from rng.
func generate(rng *rand.Rand, typ string, start time.Time, dur, interval time.Duration) ([]model.Sample, error) {
	if interval <= 0 || dur < interval {
		return nil, fmt.Errorf("invalid history %s at interval %s: use at least one interval", dur, interval)
	}
	n := int(dur / interval)
	cpu := newShape(rng, typ, false)
	mem := newShape(rng, typ, true)
	if cpu == nil {
		return nil, fmt.Errorf("unknown demo usage shape %q", typ)
	}
	out := make([]model.Sample, n)
	for i := range out {
		t := start.Add(time.Duration(i) * interval)
		out[i] = model.Sample{Time: t, CPUMillicores: cpu(t, interval), MemoryBytes: mem(t, interval)}
	}
	return out, nil
}

// newShape returns a function giving the level at time t (called in time
// order with the step).
func newShape(rng *rand.Rand, typ string, memory bool) func(t time.Time, step time.Duration) float64 {
	jitter := func(v, amount float64) float64 { return math.Max(0, v*(1+amount*(2*rng.Float64()-1))) }
	hours := func(t time.Time) float64 { return float64(t.Hour()) + float64(t.Minute())/60 }
	switch typ {
	case "weekly":
		base, amp, peak, weekend, noise := 600.0, 0.6, 14.0, 0.4, 0.1
		if memory {
			base, amp, peak, weekend, noise = model.GiB, 0.2, 15, 0.8, 0.03
		}
		return func(t time.Time, _ time.Duration) float64 {
			v := base * (1 + amp*math.Cos(2*math.Pi*(hours(t)-peak)/24))
			if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
				v *= weekend
			}
			return jitter(v, noise)
		}
	case "sinusoidal":
		base, amp, phase, noise := 500.0, 300.0, 0.0, 0.05
		if memory {
			base, amp, phase, noise = 768*model.MiB, 256*model.MiB, 0.1, 0.02
		}
		return func(t time.Time, _ time.Duration) float64 {
			return jitter(base+amp*math.Sin(2*math.Pi*(hours(t)/24+phase)), noise)
		}
	case "spikes":
		base, height, rate, length, noise := 200.0, 1800.0, 0.25, 10*time.Minute, 0.05
		if memory {
			base, height, rate, length, noise = 512*model.MiB, 256*model.MiB, 0.1, 15*time.Minute, 0.01
		}
		var until time.Time
		return func(t time.Time, step time.Duration) float64 {
			if t.After(until) && rng.Float64() < rate*step.Hours() {
				until = t.Add(length)
			}
			v := base
			if t.Before(until) {
				v += height
			}
			return jitter(v, noise)
		}
	case "step":
		lo, hi, minHold, maxHold, noise := 100.0, 1500.0, 2.0, 12.0, 0.05
		if memory {
			lo, hi, minHold, maxHold, noise = 256*model.MiB, 1536*model.MiB, 6, 24, 0.02
		}
		var level float64
		var until time.Time
		return func(t time.Time, _ time.Duration) float64 {
			if !t.Before(until) {
				level = lo + (hi-lo)*rng.Float64()
				hold := minHold + (maxHold-minHold)*rng.Float64()
				until = t.Add(time.Duration(hold * float64(time.Hour)))
			}
			return jitter(level, noise)
		}
	case "trend":
		initial, slope, ceiling, noise := 300.0, 0.5, 0.0, 0.05
		if memory {
			initial, slope, ceiling, noise = 256*model.MiB, 8*model.MiB, 1536*model.MiB, 0.01
		}
		var since time.Time
		return func(t time.Time, _ time.Duration) float64 {
			if since.IsZero() {
				since = t
			}
			v := initial + slope*t.Sub(since).Hours()
			if ceiling > 0 && v >= ceiling {
				since, v = t, initial
			}
			return jitter(v, noise)
		}
	case "low_high":
		lo, hi, noise := 100.0, 1200.0, 0.03
		if memory {
			lo, hi, noise = 256*model.MiB, model.GiB, 0.01
		}
		return func(t time.Time, _ time.Duration) float64 {
			v := lo
			if math.Mod(hours(t), 24) >= 16 {
				v = hi
			}
			return jitter(v, noise)
		}
	}
	return nil
}
