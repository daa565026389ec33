package workloads

import (
	"math"
	"strings"
	"testing"
	"time"
)

// gen generates typ from a config whose cpu and memory parts are both part.
func gen(t *testing.T, typ, part string, seed int64, duration, interval time.Duration) *Trace {
	t.Helper()
	cfg := `{"cpu": ` + part + `, "memory": ` + part + `}`
	tr, err := Generate(typ, []byte(cfg), seed, duration, interval, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	return tr
}

func minMax(v []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

// runs splits v into runs of equal values: (value, length) pairs.
func runs(v []float64) (vals []float64, lens []int) {
	for i, x := range v {
		if i == 0 || x != v[i-1] {
			vals, lens = append(vals, x), append(lens, 0)
		}
		lens[len(lens)-1]++
	}
	return vals, lens
}

func TestGenerateStep(t *testing.T) {
	tr := gen(t, "step", `{"min": 100, "max": 900, "minHold": "2h", "maxHold": "5h", "noise": 0}`, 5, 8*24*time.Hour, time.Minute)
	if tr.Len() != 8*24*60 || !tr.Times[0].Equal(DefaultStart) || tr.Meta.Interval != time.Minute {
		t.Fatalf("len %d, start %v, interval %v", tr.Len(), tr.Times[0], tr.Meta.Interval)
	}
	for _, v := range [][]float64{tr.CPUMillicores, tr.MemoryBytes} {
		lo, hi := minMax(v)
		if lo < 100 || hi > 900 {
			t.Fatalf("levels outside [100, 900]: %g..%g", lo, hi)
		}
		_, lens := runs(v)
		if len(lens) < 8*24/5 {
			t.Fatalf("%d steps in 8 days with holds of at most 5h", len(lens))
		}
		for i, n := range lens[:len(lens)-1] { // the last run is cut by the end
			if n < 120 || n > 300 {
				t.Fatalf("step %d held %d minutes, want 120..300", i, n)
			}
		}
	}
}

func TestGenerateSinusoidal(t *testing.T) {
	tr := gen(t, "sinusoidal", `{"base": 500, "amplitude": 300, "period": "6h", "phase": 0.25, "noise": 0}`, 1, 2*24*time.Hour, time.Minute)
	v := tr.CPUMillicores
	lo, hi := minMax(v)
	if math.Abs(hi-800) > 1e-3 || math.Abs(lo-200) > 1e-3 {
		t.Fatalf("range %g..%g, want 200..800", lo, hi)
	}
	if math.Abs(v[0]-800) > 1e-3 { // phase 0.25 starts at the peak
		t.Fatalf("first value %g, want the peak 800", v[0])
	}
	for i := 0; i+360 < len(v); i++ { // period 6h = 360 samples
		if math.Abs(v[i]-v[i+360]) > 1e-3 {
			t.Fatalf("v[%d]=%g but v[%d]=%g one period later", i, v[i], i+360, v[i+360])
		}
	}
	if math.Abs(v[180]-200) > 1e-3 { // half a period later: the trough
		t.Fatalf("value half a period in = %g, want 200", v[180])
	}
}

func TestGenerateLowHigh(t *testing.T) {
	tr := gen(t, "low_high", `{"low": 100, "high": 1000, "lowDuration": "3h", "highDuration": "1h", "startHigh": false, "noise": 0}`, 1, 24*time.Hour, time.Minute)
	vals, lens := runs(tr.CPUMillicores)
	if len(vals) != 12 {
		t.Fatalf("%d runs in a day of 4h cycles, want 12", len(vals))
	}
	for i := range vals {
		want, wantLen := 100.0, 180
		if i%2 == 1 {
			want, wantLen = 1000, 60
		}
		if vals[i] != want || lens[i] != wantLen {
			t.Fatalf("run %d: %g for %d minutes, want %g for %d", i, vals[i], lens[i], want, wantLen)
		}
	}
	hi := gen(t, "low_high", `{"low": 1, "high": 2, "lowDuration": "1h", "highDuration": "1h", "startHigh": true, "noise": 0}`, 1, time.Hour, time.Minute)
	if hi.CPUMillicores[0] != 2 {
		t.Fatalf("startHigh: first value %g", hi.CPUMillicores[0])
	}
}

func TestGenerateSpikes(t *testing.T) {
	tr := gen(t, "spikes", `{"base": 200, "height": 1000, "ratePerHour": 0.5, "spikeDuration": "10m", "noise": 0}`, 9, 8*24*time.Hour, time.Minute)
	vals, lens := runs(tr.CPUMillicores)
	spikes := 0
	for i, v := range vals {
		switch v {
		case 200:
		case 1200:
			spikes++
			if lens[i]%10 != 0 && i != len(vals)-1 {
				t.Fatalf("spike %d lasts %d minutes, want a multiple of 10", i, lens[i])
			}
		default:
			t.Fatalf("value %g is neither the base nor base+height", v)
		}
	}
	// 192 h at 0.5/h: 96 expected; back-to-back spikes merge into one run.
	if spikes < 50 || spikes > 130 {
		t.Fatalf("%d spikes in 192 h at 0.5 per hour", spikes)
	}
}

func TestGenerateTrend(t *testing.T) {
	tr := gen(t, "trend", `{"initial": 100, "slopePerHour": 10, "ceiling": 200, "noise": 0}`, 1, 48*time.Hour, time.Hour)
	v := tr.CPUMillicores
	if v[0] != 100 || v[1] != 110 || v[9] != 190 || v[10] != 100 {
		t.Fatalf("trend %v: want 100, 110, ... 190 then a reset to 100", v[:12])
	}
	lo, hi := minMax(v)
	if lo != 100 || hi != 190 {
		t.Fatalf("range %g..%g", lo, hi)
	}
	leak := gen(t, "trend", `{"initial": 100, "slopePerHour": 1, "ceiling": 0, "noise": 0}`, 1, 10*24*time.Hour, time.Hour)
	if last := leak.CPUMillicores[leak.Len()-1]; last != 100+239 {
		t.Fatalf("no ceiling: last value %g, want 339", last)
	}
}

func TestGenerateWeekly(t *testing.T) {
	tr := gen(t, "weekly", `{"base": 1000, "dailyAmplitude": 0.5, "peakHour": 14, "weekendFactor": 0.5, "noise": 0}`, 1, 7*24*time.Hour, time.Hour)
	v := tr.CPUMillicores // starts on Monday 00:00 UTC
	var weekday, weekend float64
	for i, x := range v {
		if i < 5*24 {
			weekday += x
		} else {
			weekend += x
		}
	}
	if r := (weekend / 48) / (weekday / 120); math.Abs(r-0.5) > 1e-6 {
		t.Fatalf("weekend/weekday mean ratio %g, want 0.5", r)
	}
	for d := 0; d < 7; d++ {
		best := 0
		for h := 1; h < 24; h++ {
			if v[d*24+h] > v[d*24+best] {
				best = h
			}
		}
		if best != 14 {
			t.Fatalf("day %d peaks at %d:00, want 14:00", d, best)
		}
	}
	if math.Abs(v[14]-1500) > 1e-3 || math.Abs(v[2]-500) > 1e-3 {
		t.Fatalf("Monday 14:00 = %g (want 1500), 02:00 = %g (want 500)", v[14], v[2])
	}
}

// Noise keeps every sample within [1-noise, 1+noise] of the clean signal.
func TestGenerateNoiseBounds(t *testing.T) {
	clean := gen(t, "sinusoidal", `{"base": 500, "amplitude": 100, "period": "1h", "phase": 0, "noise": 0}`, 3, 24*time.Hour, time.Minute)
	noisy := gen(t, "sinusoidal", `{"base": 500, "amplitude": 100, "period": "1h", "phase": 0, "noise": 0.1}`, 3, 24*time.Hour, time.Minute)
	differs := 0
	for i := range clean.CPUMillicores {
		c, n := clean.CPUMillicores[i], noisy.CPUMillicores[i]
		if n < c*0.9-1e-3 || n > c*1.1+1e-3 {
			t.Fatalf("sample %d: %g outside 10%% of %g", i, n, c)
		}
		if n != c {
			differs++
		}
	}
	if differs < len(clean.CPUMillicores)/2 {
		t.Fatalf("noise changed only %d samples", differs)
	}
}

// CPU and memory are configured and drawn independently.
func TestGenerateResourcesIndependent(t *testing.T) {
	a, err := Generate("step", []byte(`{"cpu": {"min": 1, "max": 2, "minHold": "1h", "maxHold": "2h", "noise": 0.1}, "memory": {"min": 1000, "max": 2000, "minHold": "1h", "maxHold": "2h", "noise": 0.1}}`), 4, 24*time.Hour, time.Minute, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate("step", []byte(`{"cpu": {"min": 5, "max": 9, "minHold": "3h", "maxHold": "4h", "noise": 0}, "memory": {"min": 1000, "max": 2000, "minHold": "1h", "maxHold": "2h", "noise": 0.1}}`), 4, 24*time.Hour, time.Minute, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.MemoryBytes {
		if a.MemoryBytes[i] != b.MemoryBytes[i] {
			t.Fatalf("memory sample %d changed when only the cpu config changed", i)
		}
	}
	if a.ID == b.ID {
		t.Fatal("different configs gave the same id")
	}
}

func TestGenerateMetaAndID(t *testing.T) {
	a, _ := Generate("weekly", nil, 7, time.Hour, time.Minute, time.Time{})
	b, _ := Generate("weekly", nil, 7, time.Hour, time.Minute, time.Time{})
	c, _ := Generate("weekly", nil, 8, time.Hour, time.Minute, time.Time{})
	if a.ID != b.ID || a.ID == c.ID || !strings.HasPrefix(a.ID, "weekly-") {
		t.Fatalf("ids %s %s %s", a.ID, b.ID, c.ID)
	}
	if a.Meta.Source != "generator" || a.Meta.Type != "weekly" || *a.Meta.Seed != 7 || strings.Contains(string(a.Meta.Config), "_doc") {
		t.Fatalf("meta %+v config %s", a.Meta, a.Meta.Config)
	}
}

func TestGenerateErrors(t *testing.T) {
	stepOK := `{"min": 1, "max": 2, "minHold": "1h", "maxHold": "2h", "noise": 0}`
	tests := []struct {
		name, typ, cfg string
		dur, step      time.Duration
		want           string
	}{
		{"unknown type", "square", "", 0, 0, `unknown workload type "square": use one of low_high, sinusoidal, spikes, step, trend, weekly`},
		{"unknown field", "step", `{"cpu": {"min": 1, "max": 2, "minHold": "1h", "maxHold": "2h", "nosie": 0}, "memory": ` + stepOK + `}`, 0, 0, `cfg.json: field "cpu.nosie": unknown field: check the spelling against the shipped config`},
		{"unknown top field", "step", `{"cpu": ` + stepOK + `, "memory": ` + stepOK + `, "disk": 1}`, 0, 0, `cfg.json: field "disk": unknown field: check the spelling against the shipped config`},
		{"wrong type", "step", `{"cpu": {"min": "1"}, "memory": ` + stepOK + `}`, 0, 0, `cfg.json: field "cpu.min": want a float64, got JSON string`},
		{"bad duration", "step", `{"cpu": {"min": 1, "max": 2, "minHold": "an hour", "maxHold": "2h"}, "memory": ` + stepOK + `}`, 0, 0, `cfg.json: field "cpu.minHold": want a duration string such as "2h30m", got "an hour"`},
		{"max below min", "step", `{"cpu": {"min": 5, "max": 2, "minHold": "1h", "maxHold": "2h"}, "memory": ` + stepOK + `}`, 0, 0, `cfg.json: field "cpu.max": must be >= min (5), got 2`},
		{"missing memory", "step", `{"cpu": ` + stepOK + `}`, 0, 0, `cfg.json: field "memory": missing: every config sets cpu and memory`},
		{"syntax", "step", "{\n\"cpu\": ,\n}", 0, 0, `cfg.json:2: invalid JSON: invalid character ',' looking for beginning of value`},
		{"empty", "step", ``, 0, 0, `cfg.json: empty config: want a JSON object`},
		{"amplitude above base", "sinusoidal", `{"cpu": {"base": 1, "amplitude": 2, "period": "1h"}, "memory": {"base": 1, "amplitude": 0, "period": "1h"}}`, 0, 0, `cfg.json: field "cpu.amplitude": must be <= base (1) so usage stays >= 0, got 2`},
		{"phase", "sinusoidal", `{"cpu": {"base": 1, "amplitude": 0, "period": "1h", "phase": 1}, "memory": {"base": 1, "amplitude": 0, "period": "1h"}}`, 0, 0, `cfg.json: field "cpu.phase": must be a fraction of the period in [0, 1), got 1`},
		{"noise", "weekly", `{"cpu": {"base": 1, "noise": 2}, "memory": {"base": 1}}`, 0, 0, `cfg.json: field "cpu.noise": must be between 0 and 1, got 2`},
		{"ceiling", "trend", `{"cpu": {"initial": 10, "slopePerHour": 1, "ceiling": 5}, "memory": {"initial": 1}}`, 0, 0, `cfg.json: field "cpu.ceiling": must be 0 (none) or above initial (10) with a positive slope, got 5`},
		{"sub-second interval", "step", "", time.Hour, 500 * time.Millisecond, `invalid interval 500ms: use a whole number of seconds, at least 1s`},
		{"duration below interval", "step", "", time.Second, time.Minute, `invalid duration 1s: use at least one interval (1m0s)`},
		{"too many samples", "step", "", 10000 * time.Hour, time.Second, `duration 10000h0m0s at interval 1s gives 36000000 samples, more than 10000000: use a longer interval or a shorter duration`},
		{"negative request", "step", `{"cpu": ` + stepOK + `, "memory": ` + stepOK + `, "request": {"cpuMillicores": -1}}`, 0, 0, `cfg.json: field "request.cpuMillicores": must be a number >= 0, got -1 (0 or left out: the default, 1.5 times the peak)`},
		{"unknown request field", "step", `{"cpu": ` + stepOK + `, "memory": ` + stepOK + `, "request": {"cpu": 1}}`, 0, 0, `cfg.json: field "request.cpu": unknown field: check the spelling against the shipped config`},
		{"request not an object", "step", `{"cpu": ` + stepOK + `, "memory": ` + stepOK + `, "request": 5}`, 0, 0, `cfg.json: field "request": want an object such as {"cpuMillicores": 1000, "memoryBytes": 1073741824}`},
		{"request wrong type", "step", `{"cpu": ` + stepOK + `, "memory": ` + stepOK + `, "request": {"memoryBytes": "1Gi"}}`, 0, 0, `cfg.json: field "request.memoryBytes": want a float64, got JSON string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.cfg == "" && tt.name != "empty" {
				_, err = Generate(tt.typ, nil, 1, tt.dur, tt.step, time.Time{})
			} else {
				var cfg *GeneratorConfig
				cfg, err = ParseConfig(tt.typ, []byte(tt.cfg), "cfg.json")
				if err == nil {
					_, err = cfg.Generate([]byte(tt.cfg), 1, tt.dur, tt.step, time.Time{})
				}
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant  %s", err, tt.want)
			}
		})
	}
}

// The default original request is 1.5 times the shipped config's peak
// (noise included), rounded up to 100 millicores and 64 MiB (8 days at 1m).
func TestGenerateDefaultRequest(t *testing.T) {
	const mi64 = 64 * 1024 * 1024
	tests := []struct {
		typ      string
		cpu, mem float64
	}{
		// 1500 * 1.05 * 1.5 = 2362.5; 1.5 GiB * 1.02 * 1.5 = 36.7 * 64 MiB.
		{"step", 2400, 37 * mi64},
		// 800 * 1.05 * 1.5 = 1260; 1 GiB * 1.02 * 1.5 = 24.5 * 64 MiB.
		{"sinusoidal", 1300, 25 * mi64},
		// 1200 * 1.03 * 1.5 = 1854; 1 GiB * 1.01 * 1.5 = 24.2 * 64 MiB.
		{"low_high", 1900, 25 * mi64},
		// 2000 * 1.05 * 1.5 = 3150; 768 MiB * 1.01 * 1.5 = 18.2 * 64 MiB.
		{"spikes", 3200, 19 * mi64},
		// no ceiling: (300 + 0.5 * 191.98 h) * 1.05 * 1.5 = 623.7; ceiling 1.5 GiB * 1.01 * 1.5 = 36.4 * 64 MiB.
		{"trend", 700, 37 * mi64},
		// 600 * 1.6 * 1.1 * 1.5 = 1584; 1 GiB * 1.2 * 1.03 * 1.5 = 29.7 * 64 MiB.
		{"weekly", 1600, 30 * mi64},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			tr, err := Generate(tt.typ, nil, 1, 8*24*time.Hour, time.Minute, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			got := tr.Meta.OriginalRequest
			if got == nil || got.CPUMillicores != tt.cpu || got.MemoryBytes != tt.mem {
				t.Fatalf("original request %+v, want cpu %v memory %v", got, tt.cpu, tt.mem)
			}
		})
	}
}

// The default request is at least 1.5 times every generated sample: the peak
// each generator reports bounds its values, so a container starting at the
// default request is never OOM-killed (memory limit = request) nor over its
// CPU request.
func TestGenerateDefaultRequestCoversPeak(t *testing.T) {
	for _, typ := range GeneratorTypes() {
		t.Run(typ, func(t *testing.T) {
			for seed := int64(1); seed <= 5; seed++ {
				tr, err := Generate(typ, nil, seed, 8*24*time.Hour, time.Minute, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				_, cpu := minMax(tr.CPUMillicores)
				_, mem := minMax(tr.MemoryBytes)
				r := tr.Meta.OriginalRequest
				if r.CPUMillicores < DefaultRequestFactor*cpu || r.MemoryBytes < DefaultRequestFactor*mem {
					t.Fatalf("seed %d: request %+v below 1.5 x peak (cpu %v, memory %v)", seed, *r, cpu, mem)
				}
			}
		})
	}
}

func TestGenerateExplicitRequest(t *testing.T) {
	part := `{"min": 100, "max": 1500, "minHold": "2h", "maxHold": "12h", "noise": 0.05}`
	def, err := Generate("step", []byte(`{"cpu": `+part+`, "memory": `+part+`}`), 3, 2*24*time.Hour, time.Minute, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, request string
		cpu, mem      float64
	}{
		{"both", `{"cpuMillicores": 750, "memoryBytes": 536870912}`, 750, 536870912},
		{"cpu only: memory defaults", `{"cpuMillicores": 750}`, 750, 0},
		{"zero memory defaults", `{"cpuMillicores": 750, "memoryBytes": 0}`, 750, 0},
		{"empty object: both default", `{}`, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := []byte(`{"cpu": ` + part + `, "memory": ` + part + `, "request": ` + tt.request + `}`)
			a, err := Generate("step", cfg, 3, 2*24*time.Hour, time.Minute, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := Generate("step", cfg, 3, 2*24*time.Hour, time.Minute, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if a.ID != b.ID || *a.Meta.OriginalRequest != *b.Meta.OriginalRequest {
				t.Fatalf("not deterministic: %s %+v, %s %+v", a.ID, *a.Meta.OriginalRequest, b.ID, *b.Meta.OriginalRequest)
			}
			parsed, err := ParseConfig("step", cfg, "cfg.json")
			if err != nil {
				t.Fatal(err)
			}
			want := parsed.DefaultRequest(2*24*time.Hour - time.Minute)
			if tt.cpu != 0 {
				want.CPUMillicores = tt.cpu
			}
			if tt.mem != 0 {
				want.MemoryBytes = tt.mem
			}
			if got := *a.Meta.OriginalRequest; got != want {
				t.Fatalf("original request %+v, want %+v", got, want)
			}
			if !strings.Contains(string(a.Meta.Config), `"request":`) {
				t.Fatalf("config %s does not record the request", a.Meta.Config)
			}
			// The request is part of the config, hence of the id; the
			// samples do not depend on it.
			if a.ID == def.ID {
				t.Fatalf("id %s equals the id without a request", a.ID)
			}
			for i := range a.MemoryBytes {
				if a.CPUMillicores[i] != def.CPUMillicores[i] || a.MemoryBytes[i] != def.MemoryBytes[i] {
					t.Fatalf("sample %d changed with the request", i)
				}
			}
		})
	}
}
