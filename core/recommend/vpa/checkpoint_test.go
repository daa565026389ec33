package vpa

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// The first tests reproduce upstream v1.7's checkpoint tests
// (util/histogram_test.go, util/decaying_histogram_test.go,
// model/aggregate_container_state_test.go, checkpoint/checkpoint_writer_test.go)
// with their numbers.

func TestHistogramSaveToCheckpointUpstream(t *testing.T) {
	o := mustLinear(t, 10, 1, weightEpsilon)
	type sample struct{ v, w float64 }
	for _, tt := range []struct {
		name    string
		samples []sample
		total   float64
		want    map[float64]uint32 // value -> bucket weight
	}{
		{"empty", nil, 0, map[float64]uint32{}},
		{"one sample", []sample{{1, 1}}, 1, map[float64]uint32{1: MaxCheckpointWeight}},
		// w1 < (w2 / MaxCheckpointWeight) / 2: bucket 1 rounds to 0 and is dropped.
		{"drops relatively small values", []sample{{1, 1}, {2, 100000}}, 100001, map[float64]uint32{2: MaxCheckpointWeight}},
		{"multiple values", []sample{{1, 1}, {2, 10000}, {3, 50}}, 10051, map[float64]uint32{1: 1, 2: 10000, 3: 50}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHistogram(o)
			for _, s := range tt.samples {
				h.AddSample(s.v, s.w)
			}
			cp := h.SaveToCheckpoint()
			if cp.TotalWeight != tt.total {
				t.Errorf("total weight %v, want %v", cp.TotalWeight, tt.total)
			}
			want := map[int]uint32{}
			for v, w := range tt.want {
				want[o.FindBucket(v)] = w
			}
			if !reflect.DeepEqual(cp.BucketWeights, want) {
				t.Errorf("bucket weights %v, want %v", cp.BucketWeights, want)
			}
		})
	}
}

func TestHistogramLoadFromCheckpointUpstream(t *testing.T) {
	o := mustLinear(t, 10, 1, weightEpsilon)
	h := NewHistogram(o)
	if err := h.LoadFromCheckpoint(&HistogramCheckpoint{TotalWeight: 6, BucketWeights: map[int]uint32{0: 1, 1: 2}}); err != nil {
		t.Fatal(err)
	}
	if h.TotalWeight() != 6 || h.weight(0) != 2 || h.weight(1) != 4 {
		t.Fatalf("total %v, buckets 0 and 1: %v %v; want 6, 2, 4", h.TotalWeight(), h.weight(0), h.weight(1))
	}
}

func TestHistogramLoadFromCheckpointErrors(t *testing.T) {
	o := mustLinear(t, 10, 1, weightEpsilon) // 11 buckets: 0..10
	for _, tt := range []struct {
		name string
		cp   *HistogramCheckpoint
		want string
	}{
		{"nil", nil, "cannot load from an empty checkpoint"},
		{"negative bucket", &HistogramCheckpoint{TotalWeight: 1, BucketWeights: map[int]uint32{-1: 1}}, "checkpoint has a negative bucket -1"},
		{"bucket past the last", &HistogramCheckpoint{TotalWeight: 1, BucketWeights: map[int]uint32{99: 1}}, "checkpoint has bucket 99, past the histogram's last bucket 10"},
		{"negative total", &HistogramCheckpoint{TotalWeight: -1, BucketWeights: map[int]uint32{}}, "cannot load a checkpoint with total weight -1: it must be a finite number >= 0"},
		{"NaN total", &HistogramCheckpoint{TotalWeight: math.NaN()}, "cannot load a checkpoint with total weight NaN: it must be a finite number >= 0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHistogram(o)
			h.AddSample(3, 2)
			err := h.LoadFromCheckpoint(tt.cp)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if h.TotalWeight() != 2 || h.weight(3) != 2 {
				t.Fatalf("a failed load changed the histogram: total %v", h.TotalWeight())
			}
		})
	}
}

// TestHistogramNotEmptyAfterRoundTripWithBoundaryValues is upstream's
// TestHistogramIsNotEmptyAfterSavingAndLoadingCheckpointsWithBoundaryValues
// (kubernetes/autoscaler#7726).
func TestHistogramNotEmptyAfterRoundTripWithBoundaryValues(t *testing.T) {
	o := mustLinear(t, 10, 1, weightEpsilon)
	h := NewHistogram(o)
	h.AddSample(1, weightEpsilon)
	h.AddSample(2, float64(MaxCheckpointWeight)*weightEpsilon-weightEpsilon)
	if h.IsEmpty() {
		t.Fatal("empty before the round trip")
	}
	cp := h.SaveToCheckpoint()
	h2 := NewHistogram(o)
	if err := h2.LoadFromCheckpoint(&cp); err != nil {
		t.Fatal(err)
	}
	if h2.IsEmpty() {
		t.Fatal("empty after the round trip")
	}
}

func TestDecayingHistogramCheckpointUpstream(t *testing.T) {
	o := mustLinear(t, 10, 1, weightEpsilon)
	t.Run("save", func(t *testing.T) {
		d := NewDecayingHistogram(o, time.Hour)
		d.AddSample(2, 1, startTime.Add(100*time.Hour))
		if d.ReferenceTimestamp().IsZero() {
			t.Fatal("reference not set by the first sample")
		}
		cp := d.SaveToCheckpoint()
		if !cp.ReferenceTimestamp.Equal(d.ReferenceTimestamp()) || len(cp.BucketWeights) == 0 || cp.TotalWeight == 0 {
			t.Fatalf("checkpoint %+v, reference %v", cp, d.ReferenceTimestamp())
		}
	})
	t.Run("load", func(t *testing.T) {
		ts := time.Date(2018, time.January, 2, 3, 4, 5, 0, time.UTC)
		d := NewDecayingHistogram(o, time.Hour)
		if err := d.LoadFromCheckpoint(&HistogramCheckpoint{TotalWeight: 6, BucketWeights: map[int]uint32{0: 1}, ReferenceTimestamp: ts}); err != nil {
			t.Fatal(err)
		}
		if d.IsEmpty() || !d.ReferenceTimestamp().Equal(ts) {
			t.Fatalf("empty %v, reference %v, want %v", d.IsEmpty(), d.ReferenceTimestamp(), ts)
		}
		// A sample after the load decays against the loaded reference.
		d.AddSample(5, 1, ts.Add(2*time.Hour))
		inEpsilon(t, 4, d.weight(5), 1e-15)
	})
	t.Run("zero reference", func(t *testing.T) {
		d := NewDecayingHistogram(o, time.Hour)
		if err := d.LoadFromCheckpoint(&HistogramCheckpoint{TotalWeight: 1, BucketWeights: map[int]uint32{2: 7}}); err != nil {
			t.Fatal(err)
		}
		// As upstream, the first sample moves the reference from the zero
		// time and the loaded weight scales to 0.
		d.AddSample(5, 1, startTime)
		if d.weight(2) != 0 || d.Percentile(0) != 6 {
			t.Fatalf("weight at bucket 2: %v, p0 %v", d.weight(2), d.Percentile(0))
		}
	})
}

func TestAggregateCheckpointUpstream(t *testing.T) {
	t1 := time.Date(2018, time.January, 1, 2, 3, 4, 0, time.UTC)
	t2 := time.Date(2018, time.February, 1, 2, 3, 4, 0, time.UTC)
	t.Run("save", func(t *testing.T) {
		r := newRec(t, recommend.Config{})
		r.first, r.last, r.samples, r.hasCPU = t1.UnixNano(), t2.UnixNano(), 10, true
		r.cpu.AddSample(1, 33, t2)
		r.mem.AddSample(1, 55, t1)
		r.mem.AddSample(10000000, 55, t1)
		now := time.Date(2018, time.February, 2, 0, 0, 0, 0, time.UTC)
		cp := r.SaveToCheckpoint(now)
		if !cp.LastUpdateTime.Equal(now) || !cp.FirstSampleStart.Equal(t1) || !cp.LastSampleStart.Equal(t2) ||
			cp.TotalSamplesCount != 10 || cp.Version != "v3" {
			t.Fatalf("checkpoint %+v", cp)
		}
		if len(cp.CPUHistogram.BucketWeights) != 1 || len(cp.MemoryHistogram.BucketWeights) != 2 {
			t.Fatalf("cpu buckets %v, memory buckets %v; want 1 and 2", cp.CPUHistogram.BucketWeights, cp.MemoryHistogram.BucketWeights)
		}
	})
	t.Run("load", func(t *testing.T) {
		r := newRec(t, recommend.Config{})
		cp := &Checkpoint{Version: CheckpointVersion, LastUpdateTime: t2, FirstSampleStart: t1, LastSampleStart: t2, TotalSamplesCount: 20,
			MemoryHistogram: HistogramCheckpoint{BucketWeights: map[int]uint32{0: 10}, TotalWeight: 33},
			CPUHistogram:    HistogramCheckpoint{BucketWeights: map[int]uint32{0: 10}, TotalWeight: 44}}
		if err := r.LoadFromCheckpoint(cp); err != nil {
			t.Fatal(err)
		}
		got := r.SaveToCheckpoint(t2)
		if !got.FirstSampleStart.Equal(t1) || !got.LastSampleStart.Equal(t2) || got.TotalSamplesCount != 20 || r.cpu.IsEmpty() || r.mem.IsEmpty() {
			t.Fatalf("loaded %+v", got)
		}
		if r.mem.TotalWeight() != 33 || r.cpu.TotalWeight() != 44 {
			t.Fatalf("totals %v %v", r.cpu.TotalWeight(), r.mem.TotalWeight())
		}
	})
	t.Run("version mismatch", func(t *testing.T) {
		r := newRec(t, recommend.Config{})
		r.AddSample(model.Sample{Time: t1, CPUMillicores: 100, MemoryBytes: 1e8})
		err := r.LoadFromCheckpoint(&Checkpoint{Version: "foo"})
		if err == nil || err.Error() != `unsupported checkpoint version "foo": this recommender reads "v3"` {
			t.Fatalf("error %v", err)
		}
		if r.samples != 0 || !r.cpu.IsEmpty() {
			t.Fatal("a failed load left state behind")
		}
	})
}

// TestCheckpointDropsCurrentMemoryPeak is upstream's
// TestMergeContainerStateForCheckpointDropsRecentMemoryPeak: the peak of the
// window still open is not in the checkpoint; once the window ended it is.
func TestCheckpointDropsCurrentMemoryPeak(t *testing.T) {
	r := newRec(t, recommend.Config{})
	now := time.Unix(1, 0)
	r.AddSample(memSample(now, 1024*1024*1024))
	cp := r.SaveToCheckpoint(now)
	if len(cp.MemoryHistogram.BucketWeights) != 0 {
		t.Fatalf("current peak in the checkpoint: %v", cp.MemoryHistogram)
	}
	if r.mem.IsEmpty() {
		t.Fatal("saving changed the recommender's own histogram")
	}
	cp = r.SaveToCheckpoint(now.Add(24 * time.Hour))
	if len(cp.MemoryHistogram.BucketWeights) != 1 {
		t.Fatalf("old peak missing from the checkpoint: %v", cp.MemoryHistogram)
	}
}

// checkpointTraces are the traces the round-trip tests replay.
func checkpointTraces() map[string][]model.Sample {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	out := map[string][]model.Sample{"sine 8d 1m": benchTrace(3)}
	// Log-normal usage at 30 s for 3 days.
	rng := rand.New(rand.NewPCG(11, 5))
	var ln []model.Sample
	for i := range 3 * 24 * 120 {
		ln = append(ln, model.Sample{Time: t0.Add(time.Duration(i) * 30 * time.Second),
			CPUMillicores: 300 * math.Exp(0.6*rng.NormFloat64()), MemoryBytes: 400 * model.MiB * math.Exp(0.1*rng.NormFloat64())})
	}
	out["lognormal 3d 30s"] = ln
	// Steps every 6 h at 10 min for 130 days: the reference moves twice.
	var st []model.Sample
	for i := range 130 * 24 * 6 {
		level := float64(1 + (i/36)%4)
		st = append(st, model.Sample{Time: t0.Add(time.Duration(i) * 10 * time.Minute),
			CPUMillicores: 150 * level, MemoryBytes: 200 * model.MiB * level})
	}
	out["steps 130d 10m"] = st
	return out
}

// TestCheckpointRoundTrip: save -> load -> save gives the same checkpoint,
// at times inside and at the end of a memory window.
func TestCheckpointRoundTrip(t *testing.T) {
	for name, tr := range checkpointTraces() {
		t.Run(name, func(t *testing.T) {
			r := newRec(t, recommend.Config{})
			for i, s := range tr {
				r.AddSample(s)
				if i == len(tr)/3 {
					r.AddOOM(model.OOMEvent{Time: s.Time, MemoryRequestBytes: 256 * model.MiB})
				}
				if i%(len(tr)/4) != 0 && i != len(tr)-1 {
					continue
				}
				for _, now := range []time.Time{s.Time, time.Unix(0, r.own.windowEnd)} {
					cp := r.SaveToCheckpoint(now)
					r2 := newRec(t, recommend.Config{})
					if err := r2.LoadFromCheckpoint(&cp); err != nil {
						t.Fatal(err)
					}
					cp2 := r2.SaveToCheckpoint(now)
					if !reflect.DeepEqual(cp, cp2) {
						t.Fatalf("sample %d, now %v: round trip differs:\n%+v\n%+v", i, now, cp, cp2)
					}
				}
			}
		})
	}
}

// TestRestoredRecommendation: a recommender restored from a checkpoint
// taken when the memory window has closed gives the original's
// recommendation within the quantisation of the weights, and loses less
// than 1 % of the histogram weight. "Within the quantisation": identical,
// or each restored percentile is one the original gives for a percentile
// within the weights' L1 distance (relative to the total) of it. A
// percentile can jump further than a bucket when two far-apart buckets
// hold weights that 10000 levels cannot tell apart (the 130-day steps trace
// has 2^22 and 2^22-1: its memory p50 jumps from 216 MB to 851 MB). The
// figures measured are logged.
func TestRestoredRecommendation(t *testing.T) {
	for name, tr := range checkpointTraces() {
		t.Run(name, func(t *testing.T) {
			r := newRec(t, recommend.Config{})
			var worstCPU, worstMem, worstRel float64
			checks, equal := 0, 0
			for i, s := range tr {
				r.AddSample(s)
				if i < 100 || i%97 != 0 && i != len(tr)-1 {
					continue
				}
				now := time.Unix(0, r.own.windowEnd) // the window just closed: nothing left out
				cp := r.SaveToCheckpoint(now)
				lostCPU, lostMem, err := CheckpointWeightLost(r, &cp, now)
				if err != nil {
					t.Fatal(err)
				}
				worstCPU, worstMem = math.Max(worstCPU, lostCPU), math.Max(worstMem, lostMem)
				if lostCPU >= 0.01 || lostMem >= 0.01 {
					t.Fatalf("sample %d: weight lost cpu %.4f%%, memory %.4f%% (limit 1%%)", i, 100*lostCPU, 100*lostMem)
				}
				r2 := newRec(t, recommend.Config{})
				if err := r2.LoadFromCheckpoint(&cp); err != nil {
					t.Fatal(err)
				}
				want, ok1 := r.Recommend(now)
				got, ok2 := r2.Recommend(now)
				if ok1 != ok2 {
					t.Fatalf("sample %d: ok %v, restored ok %v", i, ok1, ok2)
				}
				checks++
				if want == got {
					equal++
					continue
				}
				// Otherwise a percentile sits where the quantisation can move
				// it: the restored percentile p must be one the original has
				// for some p' within p +- (L1 distance of the weights) / total.
				for _, h := range []struct {
					name string
					a, b *DecayingHistogram
					pct  [3]float64
					lost float64
				}{{"cpu", &r.cpu, &r2.cpu, r.c.cpuPct, lostCPU}, {"memory", &r.mem, &r2.mem, r.c.memPct, lostMem}} {
					eps := 2*h.lost + 1e-12
					for _, p := range h.pct {
						lo, hi, got := h.a.Percentile(math.Max(p-eps, 0)), h.a.Percentile(math.Min(p+eps, 1)), h.b.Percentile(p)
						if got < lo || got > hi {
							t.Fatalf("sample %d: restored %s p%g = %v, original's between p%g and p%g: %v..%v", i, h.name, 100*p, got, 100*(p-eps), 100*(p+eps), lo, hi)
						}
					}
				}
				for _, p := range [][2]float64{
					{want.Lower.CPUMillicores, got.Lower.CPUMillicores}, {want.Target.CPUMillicores, got.Target.CPUMillicores},
					{want.Upper.CPUMillicores, got.Upper.CPUMillicores}, {want.Lower.MemoryBytes, got.Lower.MemoryBytes},
					{want.Target.MemoryBytes, got.Target.MemoryBytes}, {want.Upper.MemoryBytes, got.Upper.MemoryBytes},
				} {
					worstRel = math.Max(worstRel, math.Abs(p[1]/p[0]-1))
				}
			}
			t.Logf("%d checkpoints: recommendation identical in %d; worst relative difference %.4f; worst weight lost cpu %.5f%%, memory %.5f%%",
				checks, equal, worstRel, 100*worstCPU, 100*worstMem)
		})
	}
}

// TestCheckpointThenContinue: a restored recommender fed the rest of the
// trace stays close to the original: the weight lost stays under 1 % and the
// targets within one bucket.
func TestCheckpointThenContinue(t *testing.T) {
	tr := benchTrace(5)
	cut := len(tr) / 2
	r := newRec(t, recommend.Config{})
	for _, s := range tr[:cut] {
		r.AddSample(s)
	}
	now := tr[cut-1].Time
	cp := r.SaveToCheckpoint(now)
	r2 := newRec(t, recommend.Config{})
	if err := r2.LoadFromCheckpoint(&cp); err != nil {
		t.Fatal(err)
	}
	for _, s := range tr[cut:] {
		r.AddSample(s)
		r2.AddSample(s)
	}
	end := tr[len(tr)-1].Time
	lostCPU := WeightLost(&r.cpu, &r2.cpu)
	if lostCPU >= 0.01 {
		t.Fatalf("cpu weight lost %.4f%%", 100*lostCPU)
	}
	want, _ := r.Recommend(end)
	got, _ := r2.Recommend(end)
	for _, p := range [][2]float64{{want.Target.CPUMillicores, got.Target.CPUMillicores}, {want.Target.MemoryBytes, got.Target.MemoryBytes}} {
		if math.Abs(p[1]/p[0]-1) > 0.0501 {
			t.Fatalf("restored then continued: %+v, original %+v", got.Target, want.Target)
		}
	}
	t.Logf("after 4 more days: cpu weight lost %.5f%%, targets %v / %v (original / restored)", 100*lostCPU, want.Target, got.Target)
}

func TestCheckpointLoadRejects(t *testing.T) {
	good := func() *Checkpoint {
		return &Checkpoint{Version: CheckpointVersion, TotalSamplesCount: 1, LastSampleStart: startTime, FirstSampleStart: startTime,
			CPUHistogram: HistogramCheckpoint{TotalWeight: 1, BucketWeights: map[int]uint32{3: 1}}}
	}
	for _, tt := range []struct {
		name string
		edit func(*Checkpoint)
		want string
	}{
		{"negative count", func(c *Checkpoint) { c.TotalSamplesCount = -1 }, "checkpoint has -1 samples: the count must be >= 0"},
		{"cpu bucket", func(c *Checkpoint) { c.CPUHistogram.BucketWeights[400] = 1 }, "cpu histogram: checkpoint has bucket 400, past the histogram's last bucket 175"},
		{"memory total", func(c *Checkpoint) { c.MemoryHistogram.TotalWeight = -2 }, "memory histogram: cannot load a checkpoint with total weight -2: it must be a finite number >= 0"},
		{"time range", func(c *Checkpoint) { c.LastSampleStart = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) }, "lastSampleStart 3000-01-01T00:00:00Z is out of range (years 1678 to 2262, or zero)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cp := good()
			tt.edit(cp)
			r := newRec(t, recommend.Config{})
			err := r.LoadFromCheckpoint(cp)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if _, ok := r.Recommend(startTime); ok {
				t.Fatal("a rejected checkpoint left a recommendation")
			}
		})
	}
	r := newRec(t, recommend.Config{})
	if err := r.LoadFromCheckpoint(good()); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Recommend(startTime); !ok {
		t.Fatal("no recommendation from a valid checkpoint")
	}
}

// FuzzLoadFromCheckpoint: any checkpoint loads or is rejected without a
// panic, and one that loads saves again to a checkpoint that loads.
func FuzzLoadFromCheckpoint(f *testing.F) {
	f.Add(uint16(3), uint32(10000), uint16(7), uint32(1), 0.5, int64(0), 10)
	f.Add(uint16(175), uint32(0), uint16(0), uint32(5), 1e6, int64(86400e9), 0)
	f.Fuzz(func(t *testing.T, b1 uint16, w1 uint32, b2 uint16, w2 uint32, total float64, ref int64, n int) {
		cp := &Checkpoint{Version: CheckpointVersion, TotalSamplesCount: n, LastSampleStart: startTime,
			CPUHistogram:    HistogramCheckpoint{TotalWeight: total, BucketWeights: map[int]uint32{int(b1): w1, int(b2): w2}, ReferenceTimestamp: time.Unix(0, ref)},
			MemoryHistogram: HistogramCheckpoint{TotalWeight: total, BucketWeights: map[int]uint32{int(b2): w1}}}
		r := newRec(t, recommend.Config{})
		if err := r.LoadFromCheckpoint(cp); err != nil {
			return
		}
		r.Recommend(startTime)
		again := r.SaveToCheckpoint(startTime)
		if err := newRec(t, recommend.Config{}).LoadFromCheckpoint(&again); err != nil {
			t.Fatalf("saved checkpoint does not load: %v", err)
		}
	})
}
