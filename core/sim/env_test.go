package sim

import (
	"math"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/updater"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestRunMetricsByHand(t *testing.T) {
	tests := []struct {
		name      string
		w         Workload
		opts      func(*Options)
		rec       fixedRec
		want      Metrics
		wantOOMs  int     // OOM events fed to the recommender
		wantObsMB float64 // memory usage the recommender saw at the last sample, MiB
	}{
		{
			name: "constant half of the default request",
			w:    constWorkload(4, time.Hour, 500, 512*model.MiB),
			want: Metrics{Samples: 4, Reward: -2,
				CPU:    CPUMetrics{RelativeSlack: 0.5, AbsoluteSlackCoreHours: 2},
				Memory: MemoryMetrics{RelativeSlack: 0.5, AbsoluteSlackGiBHours: 2}},
			wantObsMB: 512,
		},
		{
			name: "memory above the limit is an OOM kill every sample",
			w:    constWorkload(3, time.Hour, 500, 2*model.GiB),
			want: Metrics{Samples: 3, Reward: -3 * (0.25 + 100),
				CPU:    CPUMetrics{RelativeSlack: 0.5, AbsoluteSlackCoreHours: 1.5},
				Memory: MemoryMetrics{OOMs: 3}},
			wantOOMs:  3,
			wantObsMB: 1024,
		},
		{
			name: "no memory limit, no OOM",
			w:    constWorkload(3, time.Hour, 500, 2*model.GiB),
			opts: func(o *Options) { o.MemoryLimitRatio = 0 },
			want: Metrics{Samples: 3, Reward: -3 * 0.25,
				CPU: CPUMetrics{RelativeSlack: 0.5, AbsoluteSlackCoreHours: 1.5}},
			wantObsMB: 2048,
		},
		{
			name: "cpu above request without limit is over-request, not throttled",
			w:    constWorkload(2, time.Hour, 1500, 1*model.GiB),
			want: Metrics{Samples: 2, Reward: 0, CPU: CPUMetrics{OverRequestShare: 1}},
			// usage equal to the limit is not an OOM kill
			wantObsMB: 1024,
		},
		{
			name:      "cpu above the cpu limit is throttled",
			w:         constWorkload(2, time.Hour, 2000, 1*model.GiB),
			opts:      func(o *Options) { o.CPULimitRatio = 1.5 },
			want:      Metrics{Samples: 2, Reward: -2, CPU: CPUMetrics{OverRequestShare: 1, ThrottledShare: 1}},
			wantObsMB: 1024,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := instant()
			if tt.opts != nil {
				tt.opts(&opts)
			}
			rec := tt.rec
			got, err := Run(&tt.w, &rec, opts)
			if err != nil {
				t.Fatal(err)
			}
			m := got.Metrics
			if m.Samples != tt.want.Samples || m.Memory.OOMs != tt.want.Memory.OOMs || m.Updates != 0 || m.Restarts != 0 ||
				!near(m.Reward, tt.want.Reward) ||
				!near(m.CPU.RelativeSlack, tt.want.CPU.RelativeSlack) || !near(m.CPU.AbsoluteSlackCoreHours, tt.want.CPU.AbsoluteSlackCoreHours) ||
				!near(m.CPU.OverRequestShare, tt.want.CPU.OverRequestShare) || !near(m.CPU.ThrottledShare, tt.want.CPU.ThrottledShare) ||
				!near(m.Memory.RelativeSlack, tt.want.Memory.RelativeSlack) || !near(m.Memory.AbsoluteSlackGiBHours, tt.want.Memory.AbsoluteSlackGiBHours) {
				t.Errorf("metrics\n got %+v\nwant %+v", m, tt.want)
			}
			if m.TimeToFirstRecommendationSeconds != nil || got.LastRecommendation != nil {
				t.Errorf("a recommender that never answers has a first recommendation")
			}
			if len(rec.ooms) != tt.wantOOMs {
				t.Errorf("recommender got %d OOM events, want %d", len(rec.ooms), tt.wantOOMs)
			}
			for _, e := range rec.ooms {
				if e.MemoryRequestBytes != model.GiB || e.MemoryUsageBytes != model.GiB {
					t.Errorf("OOM event %+v: want request and usage 1 GiB", e)
				}
			}
			if last := rec.samples[len(rec.samples)-1]; last.MemoryBytes != tt.wantObsMB*model.MiB {
				t.Errorf("recommender saw memory %v MiB, want %v", last.MemoryBytes/model.MiB, tt.wantObsMB)
			}
		})
	}
}

func TestThrottledObservationIsCapped(t *testing.T) {
	w := constWorkload(2, time.Minute, 2000, 100*model.MiB)
	opts := noWarmup()
	opts.CPULimitRatio = 1.5
	env, err := NewEnv(opts)
	if err != nil {
		t.Fatal(err)
	}
	obs, info, err := env.Reset(&w, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Throttled || obs.CPUUsageMillicores != 1500 || info.Demand.CPUMillicores != 2000 || info.Limits.CPUMillicores != 1500 {
		t.Fatalf("obs %+v info %+v: want usage capped at the 1500m limit", obs, info)
	}
	if got := obs.Vector(); got != [4]float64{1500, 100 * model.MiB, 1000, model.GiB} {
		t.Fatalf("Vector() = %v", got)
	}
}

func TestUpdateModes(t *testing.T) {
	down := exact(res(500, 512))
	up := exact(res(2000, 2048))
	cpuDownMemUp := exact(res(500, 2048))
	tests := []struct {
		mode                  updater.UpdateMode
		action                model.Recommendation
		wantUpdates, wantRest int
	}{
		{updater.ModeInPlaceOrRecreate, down, 1, 1},
		{updater.ModeInPlaceOrRecreate, up, 1, 0},
		{updater.ModeInPlaceOrRecreate, cpuDownMemUp, 1, 0},
		{updater.ModeRecreate, down, 1, 1},
		{updater.ModeRecreate, up, 1, 1},
		{updater.ModeInPlace, down, 1, 0},
		{updater.ModeInPlace, up, 1, 0},
		{updater.ModeRollout, up, 1, 1},
		{updater.ModeOff, up, 0, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode)+"/"+tt.action.Target.String(), func(t *testing.T) {
			w := constWorkload(10, time.Minute, 100, 100*model.MiB)
			opts := instant()
			opts.Updater.Mode = tt.mode
			res, err := Run(&w, &fixedRec{rec: tt.action, ok: true}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Updates != tt.wantUpdates || res.Restarts != tt.wantRest {
				t.Fatalf("updates %d restarts %d, want %d %d", res.Updates, res.Restarts, tt.wantUpdates, tt.wantRest)
			}
			wantReward := -float64(tt.wantRest)*DefaultWeights.Change - float64(tt.wantUpdates-tt.wantRest)*DefaultWeights.Update
			// slack part of the reward: recompute from the metrics
			wantReward -= DefaultWeights.Slack * (res.CPU.RelativeSlack + res.Memory.RelativeSlack) / 2 * float64(res.Samples)
			if !near(res.Reward, wantReward) {
				t.Fatalf("reward %v, want %v", res.Reward, wantReward)
			}
		})
	}
}

func TestStepAppliesDecisionAndLimits(t *testing.T) {
	w := constWorkload(3, time.Minute, 100, 100*model.MiB)
	opts := noWarmup()
	opts.MemoryLimitRatio = 2
	opts.CPULimitRatio = 1.5
	env, err := NewEnv(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.Reset(&w, 0); err != nil {
		t.Fatal(err)
	}
	if got, want := env.Limits(), (model.Resources{CPUMillicores: 1500, MemoryBytes: 2 * model.GiB}); got != want {
		t.Fatalf("initial limits %v, want %v", got, want)
	}
	obs, _, done, info, err := env.Step(exact(res(400, 300)))
	if err != nil {
		t.Fatal(err)
	}
	if done || !info.Updated || !info.Restarted || info.Decision.Action != updater.Evict {
		t.Fatalf("done %v info %+v: want an eviction (memory decrease)", done, info)
	}
	if obs.CPURequestMillicores != 400 || obs.MemoryRequestBytes != 300*model.MiB {
		t.Fatalf("observation %+v: want the new requests", obs)
	}
	if got, want := env.Limits(), (model.Resources{CPUMillicores: 600, MemoryBytes: 600 * model.MiB}); got != want {
		t.Fatalf("limits %v, want %v (same ratio to requests)", got, want)
	}
	// A zero action changes nothing.
	_, _, done, info, err = env.Step(model.Recommendation{})
	if err != nil || !done || info.Updated || info.Decision.Reason != "no recommendation" {
		t.Fatalf("zero action: done %v info %+v err %v", done, info, err)
	}
	if _, _, _, _, err := env.Step(model.Recommendation{}); err == nil || err.Error() != "step after the end of the episode: call Reset first" {
		t.Fatalf("step after the end: %v", err)
	}
}

func TestWarmupKeepsInitialRequest(t *testing.T) {
	w := constWorkload(48, time.Hour, 100, 100*model.MiB)
	w.InitialRequest = res(700, 0) // memory falls back to the default
	opts := DefaultOptions()
	var steps []StepRecord
	rec := &fixedRec{rec: exact(res(600, 600)), ok: true}
	got, err := RunSteps(&w, rec, opts, 3, func(s StepRecord) { steps = append(steps, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 48 {
		t.Fatalf("%d steps, want 48", len(steps))
	}
	for i, s := range steps {
		want := res(600, 600)
		if i < 24 {
			want = model.Resources{CPUMillicores: 700, MemoryBytes: model.GiB}
		}
		if s.Observation.CPURequestMillicores != want.CPUMillicores || s.Observation.MemoryRequestBytes != want.MemoryBytes {
			t.Fatalf("sample %d: request %v/%v, want %v", i, s.Observation.CPURequestMillicores, s.Observation.MemoryRequestBytes, want)
		}
		if s.Info.Warmup != (i < 24) {
			t.Fatalf("sample %d: warm-up %v", i, s.Info.Warmup)
		}
		if s.Info.Warmup && s.Reward != 0 {
			t.Fatalf("sample %d: reward %v in the warm-up", i, s.Reward)
		}
	}
	if got.Samples != 24 || got.Updates != 1 || got.Restarts != 1 {
		t.Fatalf("metrics %+v: want 24 samples, 1 update (with a restart)", got.Metrics)
	}
	if got.TimeToFirstRecommendationSeconds == nil || *got.TimeToFirstRecommendationSeconds != 3600 {
		t.Fatalf("time to first recommendation %v, want 3600", got.TimeToFirstRecommendationSeconds)
	}
	if got.LastRecommendation == nil || *got.LastRecommendation != exact(res(600, 600)) {
		t.Fatalf("last recommendation %+v", got.LastRecommendation)
	}
}

// TestRunIsCausal checks that the recommender is asked at the time of the last
// sample it has seen, and that its answer applies to the next sample only.
func TestRunIsCausal(t *testing.T) {
	w := genWorkload("g", 1, 6*time.Hour, time.Minute)
	rec := &fixedRec{rec: exact(res(123, 456)), ok: true}
	var steps []StepRecord
	if _, err := RunSteps(&w, rec, noWarmup(), 0, func(s StepRecord) { steps = append(steps, s) }); err != nil {
		t.Fatal(err)
	}
	n := len(w.Samples)
	if len(rec.samples) != n || len(rec.asked) != n-1 {
		t.Fatalf("fed %d samples, asked %d times; want %d and %d", len(rec.samples), len(rec.asked), n, n-1)
	}
	for k, at := range rec.asked {
		if !at.Equal(w.Samples[k].Time) || !rec.samples[k].Time.Equal(at) {
			t.Fatalf("ask %d at %s, want the time of sample %d (%s)", k, at, k, w.Samples[k].Time)
		}
	}
	if steps[0].Observation.CPURequestMillicores != 800 || steps[1].Observation.CPURequestMillicores != 123 {
		t.Fatalf("requests %v then %v: want the initial 800 at sample 0 and the answer from sample 1",
			steps[0].Observation.CPURequestMillicores, steps[1].Observation.CPURequestMillicores)
	}
}

func TestValidation(t *testing.T) {
	optTests := []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"warmup", func(o *Options) { o.Warmup = -time.Hour }, "warm-up -1h0m0s is negative: use 0 or a positive duration such as 24h"},
		{"memory ratio", func(o *Options) { o.MemoryLimitRatio = 0.5 }, "memory limit ratio 0.5 is invalid: use 0 (no limit) or a number of at least 1 (limit >= request)"},
		{"cpu ratio", func(o *Options) { o.CPULimitRatio = -1 }, "cpu limit ratio -1 is invalid: use 0 (no limit) or a number of at least 1 (limit >= request)"},
		{"weight", func(o *Options) { o.Weights.OOM = math.NaN() }, "reward weight oom NaN is invalid: use a finite number of 0 or more"},
		{"mode", func(o *Options) { o.Updater.Mode = "sometimes" }, `unknown update mode "sometimes": use one of in-place-or-recreate, recreate, in-place, rollout, off`},
		{"oracle window", func(o *Options) { o.OracleWindow = -1 }, "oracle window -1ns is negative: use a positive duration such as 24h (0 means 24h)"},
	}
	for _, tt := range optTests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.mod(&o)
			_, err := NewEnv(o)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	wlTests := []struct {
		name string
		w    Workload
		want string
	}{
		{"empty", Workload{ID: "e"}, `workload "e" has no samples: give it at least one usage sample`},
		{"order", Workload{ID: "o", Samples: []model.Sample{{Time: t0}, {Time: t0}}},
			`workload "o": sample 1 (2026-01-01T00:00:00Z) is not after sample 0 (2026-01-01T00:00:00Z): samples must be in strictly increasing time order`},
		{"negative", Workload{ID: "n", Samples: []model.Sample{{Time: t0, CPUMillicores: -1}}},
			`workload "n": sample 0 has a negative or NaN usage (cpu -1 millicores, memory 0 bytes)`},
	}
	for _, tt := range wlTests {
		t.Run(tt.name, func(t *testing.T) {
			env, _ := NewEnv(DefaultOptions())
			_, _, err := env.Reset(&tt.w, 0)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestStepDoesNotAllocate checks that a step allocates nothing, in the
// warm-up and after it with the updater deciding "no update" (the first,
// unmeasured call of AllocsPerRun applies the only update).
func TestStepDoesNotAllocate(t *testing.T) {
	for _, warmup := range []time.Duration{0, 100 * 24 * time.Hour} {
		t.Run("warmup="+warmup.String(), func(t *testing.T) {
			w := genWorkload("g", 2, 3*24*time.Hour, time.Minute)
			opts := DefaultOptions()
			opts.Warmup = warmup
			env, err := NewEnv(opts)
			if err != nil {
				t.Fatal(err)
			}
			rec := constRec{exact(res(900, 900))}
			obs, _, _ := env.Reset(&w, 0)
			allocs := testing.AllocsPerRun(len(w.Samples)-2, func() {
				rec.AddSample(obs.Sample())
				a, _ := rec.Recommend(obs.Time)
				obs, _, _, _, _ = env.Step(a)
			})
			if allocs != 0 {
				t.Fatalf("Step allocates %.2f times per step, want 0", allocs)
			}
			if m := env.Metrics(); warmup == 0 && m.Updates != 1 {
				t.Fatalf("%d updates, want 1: the no-update path was not measured", m.Updates)
			}
		})
	}
}
