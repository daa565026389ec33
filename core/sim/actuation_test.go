package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/updater"
)

// spikeAt is n samples at interval of 100m / 100Mi with memory at spikeMiB
// in the samples listed in at.
func spikeAt(n int, interval time.Duration, spikeMiB float64, at ...int) Workload {
	w := constWorkload(n, interval, 100, 100*model.MiB)
	w.InitialRequest = res(500, 1024)
	for _, i := range at {
		w.Samples[i].MemoryBytes = spikeMiB * model.MiB
	}
	return w
}

// reasons replays w against rec with opts and returns the decision reason of
// every step after the first, by sample index.
func reasons(t *testing.T, w *Workload, rec recommend.Recommender, opts Options) (map[int]string, Result) {
	t.Helper()
	out := map[int]string{}
	r, err := RunSteps(w, rec, opts, 1, func(s StepRecord) {
		if s.Info.Index > 0 {
			out[s.Info.Index] = s.Info.Decision.Reason
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, r
}

// inRange recommends a target of 1.5 GiB inside a wide range around the
// initial request: only a quick OOM (or the 12 h rule) lets it through.
var inRange = model.Recommendation{
	Lower:  res(100, 512),
	Target: res(500, 1536),
	Upper:  res(1000, 4096),
}

func TestQuickOOMAsUpstream(t *testing.T) {
	tests := []struct {
		name   string
		warmup time.Duration
		spike  int // sample (minute) of the only OOM kill
		// want: reason by sample index
		want map[int]string
	}{
		{
			name:  "OOM 5 min after start is quick until the pod is recreated",
			spike: 5,
			want: map[int]string{
				4: updater.ReasonYoungPod,
				6: "quick OOM",
				// recreated: the termination state is gone
				7: updater.ReasonYoungPod, 20: updater.ReasonYoungPod,
			},
		},
		{
			name:  "OOM after 30 min of running is not quick",
			spike: 30,
			want:  map[int]string{29: updater.ReasonYoungPod, 31: updater.ReasonYoungPod, 59: updater.ReasonYoungPod},
		},
		{
			name:   "a warm-up OOM 5 min after start is quick after the warm-up",
			warmup: time.Hour,
			spike:  5,
			want:   map[int]string{59: ReasonWarmup, 60: "quick OOM", 61: updater.ReasonYoungPod},
		},
		{
			name:   "a warm-up OOM after 30 min is not",
			warmup: time.Hour,
			spike:  30,
			want:   map[int]string{60: updater.ReasonYoungPod, 61: updater.ReasonYoungPod},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := noWarmup()
			opts.Warmup = tt.warmup
			opts.Updater.Mode = updater.ModeRecreate
			w := spikeAt(120, time.Minute, 2048, tt.spike)
			got, r := reasons(t, &w, &fixedRec{rec: inRange, ok: true}, opts)
			for i, want := range tt.want {
				if got[i] != want {
					t.Errorf("sample %d: reason %q, want %q", i, got[i], want)
				}
			}
			quick := 0
			for _, reason := range got {
				if strings.HasPrefix(reason, "quick OOM") {
					quick++
				}
			}
			wantQuick := 0
			for _, reason := range tt.want {
				if reason == "quick OOM" {
					wantQuick++
				}
			}
			if quick != wantQuick {
				t.Errorf("%d quick-OOM decisions, want %d", quick, wantQuick)
			}
			if r.Restarts != wantQuick {
				t.Errorf("%d restarts, want %d", r.Restarts, wantQuick)
			}
		})
	}
}

// TestVPANoQuickOOMAfterSlowWarmupOOM: a trace whose only OOM kill comes 30
// min after start, during the warm-up, gives vpa (recreate mode) no decision
// that cites a quick OOM.
func TestVPANoQuickOOMAfterSlowWarmupOOM(t *testing.T) {
	w := genWorkload("slow-oom", 7, 4*24*time.Hour, 5*time.Minute)
	w.InitialRequest = res(800, 1024)
	w.Samples[6].MemoryBytes = 1500 * model.MiB // 30 min after the start
	for i := range w.Samples {
		if i != 6 {
			w.Samples[i].MemoryBytes = min(w.Samples[i].MemoryBytes, 900*model.MiB)
		}
	}
	opts := DefaultOptions()
	opts.Updater.Mode = updater.ModeRecreate
	rec, err := recommend.New("vpa", recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ooms, quick, decided := 0, 0, 0
	if _, err := RunSteps(&w, rec, opts, 1, func(s StepRecord) {
		if s.Info.OOM {
			ooms++
		}
		if strings.HasPrefix(s.Info.Decision.Reason, "quick OOM") {
			quick++
		}
		if !s.Info.Warmup && s.Info.Index > 0 {
			decided++
		}
	}); err != nil {
		t.Fatal(err)
	}
	if ooms != 1 || decided == 0 {
		t.Fatalf("%d OOM kills and %d decisions: the test needs exactly one kill and decisions after the warm-up", ooms, decided)
	}
	if quick != 0 {
		t.Fatalf("%d decisions cite a quick OOM after a kill 30 min after start", quick)
	}
}

func TestResizeDelaySplitsTheSample(t *testing.T) {
	// 5-minute samples, CPU 100m; the request goes 1000m -> 200m in place
	// (CPU only) with a 1-minute delay: the first minute of sample 1 runs
	// at 1000m, the other four at 200m.
	w := constWorkload(3, 5*time.Minute, 100, 512*model.MiB)
	w.InitialRequest = res(1000, 1024)
	opts := noWarmup()
	opts.Updater.Mode = updater.ModeInPlace
	opts.RestartDowntime = 0
	rec := model.Recommendation{Lower: res(200, 0), Target: res(200, 0), Upper: res(200, 0)}
	var obs []Observation
	r, err := RunSteps(&w, &fixedRec{rec: rec, ok: true}, opts, 1, func(s StepRecord) { obs = append(obs, s.Observation) })
	if err != nil {
		t.Fatal(err)
	}
	// core-minutes of slack: sample 0: 5 x 0.9; sample 1: 1 x 0.9 + 4 x 0.1; sample 2: 5 x 0.1
	want := (5*0.9 + 1*0.9 + 4*0.1 + 5*0.1) / 60
	if !near(r.CPU.AbsoluteSlackCoreHours, want) || r.Updates != 1 || r.Restarts != 0 {
		t.Fatalf("slack %v core-h, %d updates, %d restarts; want %v, 1, 0", r.CPU.AbsoluteSlackCoreHours, r.Updates, r.Restarts, want)
	}
	if obs[1].CPURequestMillicores != 200 {
		t.Fatalf("request at the end of sample 1: %v, want 200", obs[1].CPURequestMillicores)
	}
	// A delay longer than a sample blocks the updater until it applies.
	opts.ResizeDelay = 7 * time.Minute
	w = constWorkload(4, 5*time.Minute, 100, 512*model.MiB)
	w.InitialRequest = res(1000, 1024)
	got, _ := reasons(t, &w, &fixedRec{rec: rec, ok: true}, opts)
	if got[2] != ReasonResizePending {
		t.Fatalf("sample 2 reason %q, want %q", got[2], ReasonResizePending)
	}
}

func TestRestartDowntime(t *testing.T) {
	// 1-minute samples, CPU 600m, memory 100Mi; a memory decrease at sample
	// 1 restarts the container (in-place-or-recreate) with 30 s downtime:
	// 0.5 min x 600m unserved, the container reports half its CPU.
	w := constWorkload(3, time.Minute, 600, 100*model.MiB)
	w.InitialRequest = res(1000, 1024)
	opts := noWarmup()
	opts.Weights.Slack = 0
	var obs []Observation
	r, err := RunSteps(&w, &fixedRec{rec: exact(res(1000, 512)), ok: true}, opts, 1, func(s StepRecord) { obs = append(obs, s.Observation) })
	if err != nil {
		t.Fatal(err)
	}
	if r.Restarts != 1 || !near(r.CPU.UnservedCoreHours, 0.5*0.6/60) || !near(r.DowntimeHours, 0.5/60) {
		t.Fatalf("restarts %d, unserved %v core-h, downtime %v h; want 1, %v, %v", r.Restarts, r.CPU.UnservedCoreHours, r.DowntimeHours, 0.5*0.6/60, 0.5/60)
	}
	if obs[1].CPUUsageMillicores != 300 {
		t.Fatalf("observed CPU in the restart's sample %v, want 300 (down half of it)", obs[1].CPUUsageMillicores)
	}
	if !near(r.Reward, -DefaultWeights.Change) {
		t.Fatalf("reward %v, want %v (one restart, no slack weight)", r.Reward, -DefaultWeights.Change)
	}
}

func TestMinUpdateInterval(t *testing.T) {
	// A recommendation that alternates between two CPU targets every
	// sample: without a budget it applies every sample, with 10 min at most
	// once per 10 samples.
	w := constWorkload(61, time.Minute, 100, 100*model.MiB)
	w.InitialRequest = res(300, 1024)
	opts := noWarmup()
	opts.Updater.Mode = updater.ModeInPlace
	opts.ResizeDelay = 0
	flip := &flipRec{a: exact(res(200, 1024)), b: exact(res(400, 1024))}
	r, err := Run(&w, flip, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Updates != 60 {
		t.Fatalf("%d updates without a budget, want 60", r.Updates)
	}
	opts.MinUpdateInterval = 10 * time.Minute
	flip.n = 0
	got, r := reasons(t, &w, flip, opts)
	if r.Updates != 6 {
		t.Fatalf("%d updates with a 10 min budget, want 6", r.Updates)
	}
	if got[2] != ReasonUpdateBudget {
		t.Fatalf("sample 2: %q, want %q", got[2], ReasonUpdateBudget)
	}
	if !near(r.UpdatesPerContainerDay, 6/(61.0/1440)) {
		t.Fatalf("updates per container-day %v", r.UpdatesPerContainerDay)
	}

	// A memory increase after an OOM kill goes through within the budget,
	// its memory part only.
	w = spikeAt(30, time.Minute, 1500, 5)
	opts = noWarmup()
	opts.Updater.Mode = updater.ModeInPlace
	opts.ResizeDelay, opts.RestartDowntime = 0, 0
	opts.MinUpdateInterval = time.Hour
	rec := &stepRec{first: exact(res(400, 1024)), then: exact(res(300, 2048))}
	var reqs []Observation
	r, err = RunSteps(&w, rec, opts, 1, func(s StepRecord) { reqs = append(reqs, s.Observation) })
	if err != nil {
		t.Fatal(err)
	}
	if r.Updates != 2 || r.Memory.OOMs != 1 {
		t.Fatalf("%d updates, %d OOM kills: want 2 and 1", r.Updates, r.Memory.OOMs)
	}
	last := reqs[len(reqs)-1]
	if last.CPURequestMillicores != 400 || last.MemoryRequestBytes != 2048*model.MiB {
		t.Fatalf("final requests %v / %v MiB: want 400m (CPU kept within the budget) and 2048 MiB", last.CPURequestMillicores, last.MemoryRequestBytes/model.MiB)
	}
}

func TestPerSampleIntervals(t *testing.T) {
	// Samples at 0, 1, 3 and 63 minutes (a gap of 60 min > 10 x the 2 min
	// median) and 65: each stands for the time to the next, the gap for the
	// median, the last for the median.
	mins := []int{0, 1, 3, 63, 65}
	w := Workload{ID: "irregular", InitialRequest: res(1000, 1024)}
	for _, m := range mins {
		w.Samples = append(w.Samples, model.Sample{Time: t0.Add(time.Duration(m) * time.Minute), CPUMillicores: 400, MemoryBytes: 512 * model.MiB})
	}
	if got := w.MedianInterval(); got != 2*time.Minute {
		t.Fatalf("median interval %s, want 2m", got)
	}
	r, err := Run(&w, &fixedRec{}, instant())
	if err != nil {
		t.Fatal(err)
	}
	minutes := 1.0 + 2 + 2 + 2 + 2
	if !near(r.Hours, minutes/60) || r.Gaps != 1 || !near(r.CPU.AbsoluteSlackCoreHours, 0.6*minutes/60) {
		t.Fatalf("hours %v gaps %d slack %v; want %v, 1, %v", r.Hours, r.Gaps, r.CPU.AbsoluteSlackCoreHours, minutes/60, 0.6*minutes/60)
	}
}

func TestWarmupLongerThanTrace(t *testing.T) {
	w := constWorkload(10, time.Hour, 100, 100*model.MiB)
	opts := DefaultOptions()
	opts.Warmup = 48 * time.Hour
	r, err := Run(&w, &fixedRec{}, opts)
	if err != nil || r.Samples != 0 {
		t.Fatalf("run: %v, %d samples measured; want no error and none", err, r.Samples)
	}
	err = CheckMeasurable(&w, opts.Warmup)
	want := `workload "const": the warm-up of 48h0m0s covers the whole trace (9h0m0s from the first to the last sample): nothing would be measured; use a shorter --warmup`
	if err == nil || err.Error() != want {
		t.Fatalf("err %v, want %s", err, want)
	}
}

func TestSmallUpdatesCounted(t *testing.T) {
	w := constWorkload(5, time.Minute, 100, 100*model.MiB)
	w.InitialRequest = res(1000, 1024)
	opts := instant()
	opts.Updater.Mode = updater.ModeInPlace
	// 1000m -> 950m: out of the zero-width range, a 5 % change.
	r, err := Run(&w, &fixedRec{rec: exact(res(950, 1024)), ok: true}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Updates != 1 || r.SmallUpdates != 1 {
		t.Fatalf("updates %d small %d, want 1 and 1", r.Updates, r.SmallUpdates)
	}
}

// flipRec alternates between a and b at every call.
type flipRec struct {
	a, b model.Recommendation
	n    int
}

func (f *flipRec) Name() string           { return "flip" }
func (f *flipRec) AddSample(model.Sample) {}
func (f *flipRec) AddOOM(model.OOMEvent)  {}
func (f *flipRec) Explain(time.Time) recommend.Explanation {
	return recommend.Explanation{Recommender: f.Name()}
}
func (f *flipRec) Recommend(time.Time) (model.Recommendation, bool) {
	f.n++
	if f.n%2 == 0 {
		return f.a, true
	}
	return f.b, true
}

// stepRec recommends first until it is fed an OOM event, then then.
type stepRec struct {
	first, then model.Recommendation
	oom         bool
}

func (s *stepRec) Name() string           { return "step" }
func (s *stepRec) AddSample(model.Sample) {}
func (s *stepRec) AddOOM(model.OOMEvent)  { s.oom = true }
func (s *stepRec) Explain(time.Time) recommend.Explanation {
	return recommend.Explanation{Recommender: s.Name()}
}
func (s *stepRec) Recommend(time.Time) (model.Recommendation, bool) {
	if s.oom {
		return s.then, true
	}
	return s.first, true
}

// TestMeasureForEndsTheEpisode: with MeasureFor, a run stops that long after
// the warm-up (the recommender sees no later sample), and the figures are
// those of a run on the trace cut there.
func TestMeasureForEndsTheEpisode(t *testing.T) {
	w := constWorkload(72, time.Hour, 100, 100*model.MiB)
	opts := DefaultOptions()
	opts.Warmup, opts.MeasureFor = time.Hour, 24*time.Hour
	rec := &fixedRec{}
	r, err := Run(&w, rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.samples[len(rec.samples)-1].Time.Sub(w.Samples[0].Time); got != 24*time.Hour {
		t.Errorf("the last sample seen is %s after the first, want 24h (the warm-up and a day, its end excluded)", got)
	}
	cut := w
	cut.Samples = w.Samples[:25]
	whole := opts
	whole.MeasureFor = 0
	want, err := Run(&cut, &fixedRec{}, whole)
	if err != nil {
		t.Fatal(err)
	}
	if r.Metrics != want.Metrics {
		t.Errorf("metrics %+v\nwant those of the cut trace %+v", r.Metrics, want.Metrics)
	}
	opts.MeasureFor = -time.Hour
	if err := opts.Validate(); err == nil || !strings.Contains(err.Error(), "--measure-for") {
		t.Errorf("a negative span: %v", err)
	}
}
