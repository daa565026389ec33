package vpa

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

const mb = 1024 * 1024 // upstream tests' "mb"

var testTimestamp = time.Date(2017, 4, 18, 17, 35, 5, 0, time.UTC)

func newRec(t *testing.T, cfg recommend.Config) *Recommender {
	t.Helper()
	r, err := New(DefaultOptions(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// memBuckets returns the non-empty memory buckets with their weights.
func memBuckets(r *Recommender) map[int]float64 {
	out := map[int]float64{}
	for i, w := range r.mem.w {
		if w != 0 {
			out[int(r.mem.off)+i] = w
		}
	}
	return out
}

// memHas reports whether the memory histogram holds exactly the peaks given
// (value in bytes -> weight before decay, all at windowEnd).
func wantMem(t *testing.T, r *Recommender, windowEnd time.Time, peaks map[float64]float64) {
	t.Helper()
	got := memBuckets(r)
	want := map[int]float64{}
	f := math.Exp2(float64(windowEnd.Sub(r.mem.ReferenceTimestamp())) / float64(24*time.Hour))
	for v, w := range peaks {
		want[r.mem.opts.FindBucket(v)] += w * f
	}
	if len(got) != len(want) {
		t.Fatalf("memory buckets %v, want %v", got, want)
	}
	for b, w := range want {
		if math.Abs(got[b]-w) > 1e-12*w {
			t.Fatalf("memory bucket %d weight %v, want %v (all: %v)", b, got[b], w, got)
		}
	}
}

func memSample(ts time.Time, bytes float64) model.Sample {
	return model.Sample{Time: ts, CPUMillicores: -1, MemoryBytes: bytes}
}

// TestAggregateContainerUsageSamples follows upstream's test of the same
// name (memory values scaled to land in distinct buckets): CPU samples go to
// the CPU histogram with weight 0.1, memory peaks one per window (5e8
// replaced by 10e8 in the first window, 2e8 in the next), and
// out-of-order or negative samples are dropped.
func TestAggregateContainerUsageSamples(t *testing.T) {
	r := newRec(t, recommend.Config{})
	step := 12 * time.Hour
	for i, s := range []model.Sample{
		{Time: testTimestamp, CPUMillicores: 3140, MemoryBytes: 5e8},
		{Time: testTimestamp.Add(step), CPUMillicores: 6280, MemoryBytes: 10e8},
		{Time: testTimestamp.Add(2 * step), CPUMillicores: 1570, MemoryBytes: 2e8},
		{Time: testTimestamp.Add(2 * step), CPUMillicores: 1000, MemoryBytes: -1}, // out of order CPU, negative memory
		{Time: testTimestamp.Add(4 * step), CPUMillicores: -1000, MemoryBytes: -1000},
	} {
		r.AddSample(s)
		if i == 1 {
			wantMem(t, r, testTimestamp.Add(24*time.Hour), map[float64]float64{10e8: 1})
		}
	}
	if r.samples != 3 {
		t.Fatalf("CPU samples %d, want 3", r.samples)
	}
	cpuW := 0.0
	for _, ts := range []time.Time{testTimestamp, testTimestamp.Add(step), testTimestamp.Add(2 * step)} {
		cpuW += 0.1 * math.Exp2(float64(ts.Sub(r.cpu.ReferenceTimestamp()))/float64(24*time.Hour))
	}
	inEpsilon(t, cpuW, r.cpu.TotalWeight(), 1e-12)
	for _, v := range []float64{3.14, 6.28, 1.57} {
		if r.cpu.weight(r.cpu.opts.FindBucket(v)) == 0 {
			t.Fatalf("no CPU weight at %v cores", v)
		}
	}
	// Window 1 ends at +24h holding 10; window 2 ends at +48h holding 2.
	got := memBuckets(r)
	if len(got) != 2 || got[r.mem.opts.FindBucket(10e8)] == 0 || got[r.mem.opts.FindBucket(2e8)] == 0 {
		t.Fatalf("memory buckets %v, want peaks 10 and 2", got)
	}
	if want := testTimestamp.Add(48 * time.Hour).UnixNano(); r.own.windowEnd != want {
		t.Fatalf("window end %v, want %v", time.Unix(0, r.own.windowEnd).UTC(), time.Unix(0, want).UTC())
	}
}

// TestRecordOOM reproduces upstream's RecordOOM tests (container_test.go).
func TestRecordOOM(t *testing.T) {
	end := testTimestamp.Add(24 * time.Hour)
	type step struct {
		sample  float64 // memory sample at testTimestamp + at, 0 = none
		oomReq  float64 // OOM with this request, 0 = none
		at      time.Duration
		wantEnd time.Time
		want    map[float64]float64
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"increased by bump-up", []step{{oomReq: 1000 * mb, wantEnd: end, want: map[float64]float64{1200 * mb: 1}}}},
		{"increased by min", []step{{oomReq: 1 * mb, wantEnd: end, want: map[float64]float64{101 * mb: 1}}}},
		{"don't run away", []step{
			{oomReq: 1000 * mb, wantEnd: end, want: map[float64]float64{1200 * mb: 1}},
			{oomReq: 999 * mb, wantEnd: end, want: map[float64]float64{1200 * mb: 1}},
			{oomReq: 999 * mb, wantEnd: end, want: map[float64]float64{1200 * mb: 1}},
			{oomReq: 2000 * mb, wantEnd: end, want: map[float64]float64{2400 * mb: 1}},
		}},
		{"maxed with known sample", []step{
			{sample: 3000 * mb, wantEnd: end, want: map[float64]float64{3000 * mb: 1}},
			{oomReq: 1000 * mb, wantEnd: end, want: map[float64]float64{3600 * mb: 1}},
		}},
		{"discards old OOM", []step{
			{sample: 1000 * mb, wantEnd: end, want: map[float64]float64{1000 * mb: 1}},
			{oomReq: 1000 * mb, at: -30 * time.Hour, wantEnd: end, want: map[float64]float64{1000 * mb: 1}},
		}},
		{"OOM in new window", []step{
			{sample: 2000 * mb, wantEnd: end, want: map[float64]float64{2000 * mb: 1}},
			{oomReq: 1000 * mb, at: 48 * time.Hour, wantEnd: end.Add(48 * time.Hour), want: map[float64]float64{2000 * mb: 1, 2400 * mb: 4}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRec(t, recommend.Config{})
			for i, s := range tt.steps {
				ts := testTimestamp.Add(s.at)
				if s.sample != 0 {
					r.AddSample(memSample(ts, s.sample))
				}
				if s.oomReq != 0 {
					r.AddOOM(model.OOMEvent{Time: ts, MemoryRequestBytes: s.oomReq})
				}
				if got := time.Unix(0, r.own.windowEnd).UTC(); !got.Equal(s.wantEnd) {
					t.Fatalf("step %d: window end %v, want %v", i, got, s.wantEnd)
				}
				// Weights in want are relative to the first window's end; the
				// 2400 Mi peak two windows later weighs 2^2 = 4 as much.
				wantMem(t, r, end, s.want)
			}
		})
	}
}

// TestOOMSampleValues checks the OOM sample formula at the examples.
func TestOOMSampleValues(t *testing.T) {
	for _, tt := range []struct{ req, want float64 }{{1000 * mb, 1200 * mb}, {1 * mb, 101 * mb}} {
		r := newRec(t, recommend.Config{})
		r.AddOOM(model.OOMEvent{Time: testTimestamp, MemoryRequestBytes: tt.req})
		if float64(r.own.oomPeak) != tt.want {
			t.Fatalf("OOM at request %v Mi: sample %v Mi, want %v Mi", tt.req/mb, float64(r.own.oomPeak)/mb, tt.want/mb)
		}
	}
}

// TestConfidenceUpstream reproduces upstream's TestConfidenceMultiplier and
// TestConfidenceMultiplierWithCustomInterval: 9 samples 2 minutes apart.
func TestConfidenceUpstream(t *testing.T) {
	r := newRec(t, recommend.Config{})
	ts := time.Unix(0, 0)
	for range 9 {
		r.AddSample(model.Sample{Time: ts, CPUMillicores: 1000, MemoryBytes: -1})
		ts = ts.Add(2 * time.Minute)
	}
	tests := []struct {
		interval          time.Duration
		wantConf          float64
		wantCPU, wantMem  int64
		multiplier, expon float64
	}{
		{24 * time.Hour, 0.00625, 907460, 907460000000, 0.1, 2},
		{18 * time.Minute, 0.5, 4521, 4521600000, 0.1, 2},
	}
	for _, tt := range tests {
		conf := r.confidence(tt.interval)
		if conf != tt.wantConf {
			t.Fatalf("confidence over %v = %v, want %v", tt.interval, conf, tt.wantConf)
		}
		f := confidenceFactor(tt.multiplier, tt.expon, conf)
		if got := scaleAmount(3140, f); got != tt.wantCPU {
			t.Fatalf("cpu %d, want %d", got, tt.wantCPU)
		}
		if got := scaleAmount(3140000000, f); got != tt.wantMem {
			t.Fatalf("memory %d, want %d", got, tt.wantMem)
		}
	}
	// No history: (1 + 1/0)^1 caps at 1e14; ^-1 gives 0.
	if got := scaleAmount(3140, confidenceFactor(1, 1, 0)); got != maxAmount {
		t.Fatalf("no-history upper %d, want 1e14", got)
	}
	if got := scaleAmount(3140, confidenceFactor(1, -1, 0)); got != 0 {
		t.Fatalf("no-history lower %d, want 0", got)
	}
}

// TestConfidenceFactorMatchesPow checks that the fast paths equal math.Pow.
func TestConfidenceFactorMatchesPow(t *testing.T) {
	for i := 1; i < 200000; i++ {
		conf := float64(i) / 1440 / 7.3
		for _, c := range []struct{ m, e float64 }{{1, 1}, {0.001, -2}} {
			if got, want := confidenceFactor(c.m, c.e, conf), math.Pow(1+c.m/conf, c.e); got != want {
				t.Fatalf("conf %v m %v e %v: %v != Pow %v", conf, c.m, c.e, got, want)
			}
		}
	}
}

// TestMarginAndMin reproduces upstream's TestMarginEstimator (10 % margin on
// 3.14 cores and 3.14e9 bytes) and TestMinResourcesEstimator.
func TestMarginAndMin(t *testing.T) {
	o := DefaultOptions()
	o.SafetyMargin = 0.1
	r, err := New(o, recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := r.estimate([3]float64{3.14, 3.14, 3.14}, 1000, 1e9, r.minCPU)
	if e.target != 3454 {
		t.Fatalf("cpu with margin %d, want 3454", e.target)
	}
	e = r.estimate([3]float64{3.14e9, 3.14e9, 3.14e9}, 1, 1e9, 0)
	if e.target != 3454000000 {
		t.Fatalf("memory with margin %d, want 3454000000", e.target)
	}
	e = r.estimate([3]float64{3.14, 3.14, 3.14}, 1000, 1e9, 200)
	if e.floored[1] {
		t.Fatal("3.14 cores floored at 0.2")
	}
	e = r.estimate([3]float64{0.001, 0.001, 0.001}, 1000, 1e9, 200)
	if !e.floored[1] || e.target != 200 {
		t.Fatalf("tiny target %d floored=%v, want 200 floored", e.target, e.floored[1])
	}
}

// TestPercentileEstimatorUpstream reproduces upstream's TestPercentileEstimator.
func TestPercentileEstimatorUpstream(t *testing.T) {
	c, _ := compile(DefaultOptions())
	cpu := NewHistogram(c.cpuOpts)
	mem := NewHistogram(c.memOpts)
	for i := 1; i <= 3; i++ {
		cpu.AddSample(float64(i), 1)
		mem.AddSample(float64(i)*1e9, 1)
	}
	inEpsilon(t, 1.0, float64(amountFromFloat(cpu.Percentile(0.2)*1000))/1000, 0.05)
	inEpsilon(t, 2e9, float64(amountFromFloat(mem.Percentile(0.5))), 0.05)
}

// TestConstantLoadAcceptance is issue 4's acceptance test: a constant 500
// millicores / 1 GiB sampled every minute for 8 days. The target is the
// bucket edge above the usage plus the 15 % margin (within one bucket), and
// the upper bound shrinks day by day as (1 + 1/confidence) says.
func TestConstantLoadAcceptance(t *testing.T) {
	r := newRec(t, recommend.Config{})
	c := r.c
	cpuEdge := c.cpuOpts.BucketStart(c.cpuOpts.FindBucket(0.5) + 1)
	memEdge := c.memOpts.BucketStart(c.memOpts.FindBucket(model.GiB) + 1)
	// With the margin added as base + trunc(base * 0.15), in whole units.
	withMargin := func(edge, unit float64) int64 {
		b := amountFromFloat(edge * unit)
		return b + amountFromFloat(float64(b)*0.15)
	}
	wantCPU := withMargin(cpuEdge, 1000)
	wantMem := withMargin(memEdge, 1)
	t.Logf("cpu bucket edge above 0.5 cores: %.6f cores -> target %dm (edge x 1.15 = %.3fm); memory edge above 1 GiB: %.0f bytes -> target %d",
		cpuEdge, wantCPU, cpuEdge*1000*1.15, memEdge, wantMem)
	// Within one bucket of edge * 1.15.
	if d := math.Abs(float64(wantCPU) - cpuEdge*1000*1.15); d > cpuEdge*1000*0.05 {
		t.Fatalf("target %d too far from edge x 1.15", wantCPU)
	}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	prevUpper := math.Inf(1)
	t.Logf("%-4s %-10s %-12s %-12s %-12s %-14s %-14s", "day", "conf", "cpu lower", "cpu target", "cpu upper", "mem target", "mem upper")
	n := 8 * 24 * 60
	for i := range n {
		ts := t0.Add(time.Duration(i) * time.Minute)
		r.AddSample(model.Sample{Time: ts, CPUMillicores: 500, MemoryBytes: model.GiB})
		if (i+1)%(24*60) != 0 {
			continue
		}
		day := (i + 1) / (24 * 60)
		rec, ok := r.Recommend(ts)
		if !ok {
			t.Fatalf("day %d: no recommendation", day)
		}
		conf := math.Min(float64(ts.Sub(t0))/float64(24*time.Hour), float64(i+1)/1440)
		wantUpper := float64(scaleAmount(wantCPU, 1+1/conf))
		wantMemUpper := float64(scaleAmount(wantMem, 1+1/conf))
		t.Logf("%-4d %-10.4f %-12.0f %-12.0f %-12.0f %-14.0f %-14.0f", day, conf,
			rec.Lower.CPUMillicores, rec.Target.CPUMillicores, rec.Upper.CPUMillicores, rec.Target.MemoryBytes, rec.Upper.MemoryBytes)
		if rec.Target.CPUMillicores != float64(wantCPU) || rec.Target.MemoryBytes != float64(wantMem) {
			t.Fatalf("day %d: target %v, want cpu %d memory %d", day, rec.Target, wantCPU, wantMem)
		}
		if rec.Upper.CPUMillicores != wantUpper || rec.Upper.MemoryBytes != wantMemUpper {
			t.Fatalf("day %d: upper cpu %v memory %v, want %v and %v", day, rec.Upper.CPUMillicores, rec.Upper.MemoryBytes, wantUpper, wantMemUpper)
		}
		if !(rec.Upper.CPUMillicores < prevUpper) {
			t.Fatalf("day %d: upper %v did not shrink from %v", day, rec.Upper.CPUMillicores, prevUpper)
		}
		prevUpper = rec.Upper.CPUMillicores
		if rec.Lower.CPUMillicores > rec.Target.CPUMillicores || rec.UncappedTarget != rec.Target {
			t.Fatalf("day %d: lower %v above target or uncapped differs: %+v", day, rec.Lower.CPUMillicores, rec)
		}
	}
	ex := r.Explain(t0.Add(8 * 24 * time.Hour))
	ev := ex.Resources[model.CPU]
	if ev.TargetPercentile != 0.9 || ev.SampleCount != float64(n) || ev.Margin != 0.15 || ev.HistorySpan != time.Duration(n-1)*time.Minute {
		t.Fatalf("explanation %+v", ev)
	}
}

func TestRecommendLifecycle(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	r := newRec(t, recommend.Config{})
	if _, ok := r.Recommend(t0); ok {
		t.Fatal("recommendation with no sample")
	}
	r.AddSample(memSample(t0, model.GiB))
	if _, ok := r.Recommend(t0); ok {
		t.Fatal("recommendation with memory samples only (upstream counts CPU samples)")
	}
	r.AddSample(model.Sample{Time: t0.Add(time.Minute), CPUMillicores: 100, MemoryBytes: model.GiB})
	rec, ok := r.Recommend(t0.Add(time.Minute))
	if !ok {
		t.Fatal("no recommendation after a CPU sample")
	}
	// One sample: confidence 0, upper at the 1e14 cap, lower at the floor.
	if rec.Upper.CPUMillicores != 1e14 || rec.Lower.CPUMillicores != 25 || rec.Lower.MemoryBytes != 250*mb {
		t.Fatalf("first recommendation %+v", rec)
	}
	ex := r.Explain(t0.Add(time.Minute))
	if caps := ex.Resources[model.CPU].CapsApplied; len(caps) == 0 || !strings.HasPrefix(caps[0], "pod minimum 25m on lower") {
		t.Fatalf("caps %v", caps)
	}
	// Expiry after 8 days without samples.
	if _, ok := r.Recommend(t0.Add(time.Minute + 8*24*time.Hour)); ok {
		t.Fatal("recommendation after the history expired")
	}
	r.AddSample(model.Sample{Time: t0.Add(9 * 24 * time.Hour), CPUMillicores: 100, MemoryBytes: model.GiB})
	if r.samples != 1 {
		t.Fatalf("history not restarted after expiry: %d samples", r.samples)
	}
}

func TestPolicyAndFloors(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	feed := func(r *Recommender, cpu, mem float64) model.Recommendation {
		for i := range 3 * 24 * 60 {
			r.AddSample(model.Sample{Time: t0.Add(time.Duration(i) * time.Minute), CPUMillicores: cpu, MemoryBytes: mem})
		}
		rec, ok := r.Recommend(t0.Add(3 * 24 * time.Hour))
		if !ok {
			t.Fatal("no recommendation")
		}
		return rec
	}
	t.Run("floors split across containers", func(t *testing.T) {
		r := newRec(t, recommend.Config{ContainersInPod: 2})
		rec := feed(r, 1, 1*mb)
		if rec.Target.CPUMillicores != 12 || rec.Target.MemoryBytes != 125*mb {
			t.Fatalf("targets %v, want 12m and 125Mi", rec.Target)
		}
	})
	t.Run("min and max allowed", func(t *testing.T) {
		r := newRec(t, recommend.Config{Policy: model.ContainerPolicy{
			MinAllowed: model.Resources{MemoryBytes: 2 * model.GiB},
			MaxAllowed: model.Resources{CPUMillicores: 300},
		}})
		rec := feed(r, 500, model.GiB)
		if rec.Target.CPUMillicores != 300 || rec.Upper.CPUMillicores != 300 || rec.Lower.CPUMillicores != 300 {
			t.Fatalf("cpu not capped at 300m: %+v", rec)
		}
		if rec.Target.MemoryBytes != 2*model.GiB || rec.Lower.MemoryBytes != 2*model.GiB {
			t.Fatalf("memory not raised to 2Gi: %+v", rec)
		}
		if rec.UncappedTarget.CPUMillicores <= 300 {
			t.Fatalf("uncapped target %v capped", rec.UncappedTarget)
		}
		ex := r.Explain(t0.Add(3 * 24 * time.Hour))
		if got := strings.Join(ex.Resources[model.CPU].CapsApplied, ";"); got != "maxAllowed 300m" {
			t.Fatalf("cpu caps %q", got)
		}
	})
	t.Run("controlled resources", func(t *testing.T) {
		r := newRec(t, recommend.Config{Policy: model.ContainerPolicy{ControlledResources: []model.Resource{model.Memory}}})
		rec := feed(r, 500, model.GiB)
		if rec.Target.CPUMillicores != 0 || rec.UncappedTarget.CPUMillicores != 0 || rec.Target.MemoryBytes == 0 {
			t.Fatalf("cpu not filtered: %+v", rec)
		}
	})
	t.Run("off", func(t *testing.T) {
		r := newRec(t, recommend.Config{Policy: model.ContainerPolicy{Off: true}})
		r.AddSample(model.Sample{Time: t0, CPUMillicores: 1, MemoryBytes: 1})
		if _, ok := r.Recommend(t0); ok {
			t.Fatal("recommendation with policy off")
		}
	})
}

func TestRegistryAndValidation(t *testing.T) {
	r, err := recommend.New("vpa", recommend.Config{})
	if err != nil || r.Name() != "vpa" {
		t.Fatalf("registry: %v %v", r, err)
	}
	o := DefaultOptions()
	o.TargetCPUPercentile = 1.5
	if _, err := New(o, recommend.Config{}); err == nil || err.Error() != "vpa option target cpu percentile is 1.5: use a fraction in [0, 1]" {
		t.Fatalf("error %v", err)
	}
	if _, err := New(DefaultOptions(), recommend.Config{ContainersInPod: -1}); err == nil {
		t.Fatal("negative container count accepted")
	}
}

// TestConcurrentRecommenders runs recommenders on several goroutines, as the
// backtest's worker pool does: the shared compiled options and decay tables
// must be safe (run with -race) and results equal to a sequential run.
func TestConcurrentRecommenders(t *testing.T) {
	tr := benchTrace(8)[:3000]
	run := func() model.Recommendation {
		r, err := recommend.New("vpa", recommend.Config{ContainersInPod: 1})
		if err != nil {
			t.Error(err)
			return model.Recommendation{}
		}
		var last model.Recommendation
		for _, s := range tr {
			r.AddSample(s)
			last, _ = r.Recommend(s.Time)
		}
		return last
	}
	want := run()
	results := make(chan model.Recommendation, 8)
	for range 8 {
		go func() { results <- run() }()
	}
	for range 8 {
		if got := <-results; got != want {
			t.Fatalf("concurrent result %+v, want %+v", got, want)
		}
	}
}
