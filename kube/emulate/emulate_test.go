package emulate

import (
	"context"
	"math"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
	_ "github.com/smartvpa/smartvpa/core/recommend/vpa" // registers vpa
	"github.com/smartvpa/smartvpa/core/sim"
	"github.com/smartvpa/smartvpa/core/updater"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func TestClock(t *testing.T) {
	wall := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		speedup float64
		wallOff time.Duration
		wantOff time.Duration
	}{
		{name: "start", speedup: 160, wallOff: 0, wantOff: 0},
		{name: "one wall second at 160x", speedup: 160, wallOff: time.Second, wantOff: 160 * time.Second},
		{name: "one scrape at 60x", speedup: 60, wallOff: 15 * time.Second, wantOff: 15 * time.Minute},
		{name: "a day at 144x is 10 minutes", speedup: 144, wallOff: 10 * time.Minute, wantOff: 24 * time.Hour},
		{name: "before the start", speedup: 60, wallOff: -2 * time.Second, wantOff: -2 * time.Minute},
		{name: "slower than real time", speedup: 0.5, wallOff: time.Minute, wantOff: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Clock{WallStart: wall, WorkloadStart: t0, Speedup: tt.speedup}
			if got := c.WorkloadTime(wall.Add(tt.wallOff)); !got.Equal(t0.Add(tt.wantOff)) {
				t.Errorf("WorkloadTime(+%s) = +%s, want +%s", tt.wallOff, got.Sub(t0), tt.wantOff)
			}
			if got := c.WallTime(t0.Add(tt.wantOff)); !got.Equal(wall.Add(tt.wallOff)) {
				t.Errorf("WallTime(+%s) = +%s, want +%s", tt.wantOff, got.Sub(wall), tt.wallOff)
			}
			if got := c.WallDuration(tt.wantOff); got != tt.wallOff {
				t.Errorf("WallDuration(%s) = %s, want %s", tt.wantOff, got, tt.wallOff)
			}
		})
	}
}

// testWorkload is 2 days at 5 minutes: a daily CPU wave and a memory level
// that jumps well above the request on the second day, so the run has
// updates, restarts and OOM kills.
func testWorkload() *sim.Workload {
	w := &sim.Workload{ID: "test", Interval: 5 * time.Minute, InitialRequest: model.Resources{CPUMillicores: 1500, MemoryBytes: 1 * model.GiB}}
	for i := 0; i < 2*288; i++ {
		h := float64(i) / 12
		mem := 400 * model.MiB
		if i >= 300 && i < 420 {
			mem = 1500 * model.MiB
		}
		w.Samples = append(w.Samples, model.Sample{
			Time:          t0.Add(time.Duration(i) * 5 * time.Minute),
			CPUMillicores: 500 + 300*math.Sin(2*math.Pi*h/24) + float64(i%7)*10,
			MemoryBytes:   mem + float64(i%5)*model.MiB,
		})
	}
	return w
}

func testOptions(warmup time.Duration, mode updater.UpdateMode) sim.Options {
	o := sim.DefaultOptions()
	o.Warmup = warmup
	o.Updater.Mode = mode
	// The cluster carries out resizes and restarts: the simulator compared
	// with it actuates instantly (as emulate runs it).
	o.ResizeDelay, o.RestartDowntime = 0, 0
	return o
}

// The accountant sums a simulator trajectory to the simulator's own figures.
func TestAccountantMatchesSimulator(t *testing.T) {
	for _, mode := range []updater.UpdateMode{updater.ModeInPlaceOrRecreate, updater.ModeRecreate, updater.ModeOff} {
		t.Run(string(mode), func(t *testing.T) {
			w := testWorkload()
			opts := testOptions(6*time.Hour, mode)
			opts.CPULimitRatio = 1.2
			rec, err := recommend.New("vpa", recommend.Config{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			acc := sim.Accountant{Weights: opts.Weights, Interval: w.SampleInterval(), Start: w.Samples[0].Time}
			var steps int
			res, err := sim.RunSteps(w, rec, opts, 1, func(s sim.StepRecord) {
				info := s.Info
				req := model.Resources{CPUMillicores: s.Observation.CPURequestMillicores, MemoryBytes: s.Observation.MemoryRequestBytes}
				// re-judge from demand, request and limits alone
				judged := sim.Info{Warmup: info.Warmup, Demand: info.Demand, Limits: info.Limits, Updated: info.Updated, Restarted: info.Restarted}
				sim.Judge(&judged, req)
				if judged.OOM != info.OOM || judged.Throttled != info.Throttled || judged.OverRequest != info.OverRequest {
					t.Fatalf("sample %d: Judge says oom %v throttled %v over %v, the simulator %v %v %v",
						info.Index, judged.OOM, judged.Throttled, judged.OverRequest, info.OOM, info.Throttled, info.OverRequest)
				}
				if got := sim.Observed(&judged); got.CPUMillicores != s.Observation.CPUUsageMillicores || got.MemoryBytes != s.Observation.MemoryUsageBytes {
					t.Fatalf("sample %d: Observed %+v, the simulator observed %+v", info.Index, got, s.Observation)
				}
				if info.Index > 0 {
					acc.Action(s.Observation.Time, &s.Action)
				}
				if r := acc.Add(&judged, req); r != s.Reward && info.Index > 0 {
					t.Fatalf("sample %d: reward %v, the simulator %v", info.Index, r, s.Reward)
				}
				steps++
			})
			if err != nil {
				t.Fatal(err)
			}
			if steps != len(w.Samples) {
				t.Fatalf("%d steps, want %d", steps, len(w.Samples))
			}
			got, want := acc.Metrics(), res.Metrics
			if mode != updater.ModeOff && (want.Memory.OOMs == 0 || want.Updates == 0) {
				t.Fatalf("the test workload should give OOM kills and updates, got %+v", want)
			}
			if !sameMetrics(got, want, 1e-12) {
				t.Errorf("accountant %+v\nsimulator  %+v", got, want)
			}
		})
	}
}

func sameMetrics(a, b sim.Metrics, tol float64) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) <= tol*math.Max(1, math.Abs(y)) }
	ttf := (a.TimeToFirstRecommendationSeconds == nil) == (b.TimeToFirstRecommendationSeconds == nil)
	if ttf && a.TimeToFirstRecommendationSeconds != nil {
		ttf = *a.TimeToFirstRecommendationSeconds == *b.TimeToFirstRecommendationSeconds
	}
	return ttf && a.Samples == b.Samples && a.Updates == b.Updates && a.Restarts == b.Restarts && a.Memory.OOMs == b.Memory.OOMs &&
		near(a.CPU.RelativeSlack, b.CPU.RelativeSlack) && near(a.Memory.RelativeSlack, b.Memory.RelativeSlack) &&
		near(a.CPU.AbsoluteSlackCoreHours, b.CPU.AbsoluteSlackCoreHours) && near(a.Memory.AbsoluteSlackGiBHours, b.Memory.AbsoluteSlackGiBHours) &&
		near(a.CPU.OverRequestShare, b.CPU.OverRequestShare) && near(a.CPU.ThrottledShare, b.CPU.ThrottledShare) && near(a.Reward, b.Reward)
}

// fakeClock is a wall clock that Sleep advances.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return ctx.Err()
}

// fakeBackend creates running pods and remembers the usage driven to them.
type fakeBackend struct {
	clock  *fakeClock
	usage  map[string]model.Sample
	setups int
}

func (b *fakeBackend) Name() string { return "fake" }
func (b *fakeBackend) Setup(context.Context, kubernetes.Interface, string) error {
	b.setups++
	return nil
}
func (b *fakeBackend) Teardown(context.Context, kubernetes.Interface, string) error { return nil }
func (b *fakeBackend) ClockAtPodStart() bool                                        { return false }
func (b *fakeBackend) Pod(name string, req, lim model.Resources, u model.Sample) *corev1.Pod {
	b.usage[name] = u
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: ContainerName, Resources: resources(req, lim)}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: ContainerName,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(b.clock.now)}}}}},
	}
}
func (b *fakeBackend) Drive(_ context.Context, _ kubernetes.Interface, p *corev1.Pod, u model.Sample) error {
	b.usage[p.Name] = u
	return nil
}

// fakeMetrics is a metrics pipeline that scrapes the driven usage every
// Resolution of wall time (0: at every read) and reports the last scrape.
type fakeMetrics struct {
	clock      *fakeClock
	backend    *fakeBackend
	Resolution time.Duration
	lastScrape map[string]Reading
}

func (m *fakeMetrics) Usage(_ context.Context, _, pod, _ string) (Reading, bool, error) {
	u, ok := m.backend.usage[pod]
	if !ok {
		return Reading{}, false, nil
	}
	last, seen := m.lastScrape[pod]
	if !seen || m.Resolution == 0 || m.clock.now.Sub(last.Time) >= m.Resolution {
		at := m.clock.now
		if seen && m.Resolution > 0 {
			at = last.Time.Add(m.clock.now.Sub(last.Time) / m.Resolution * m.Resolution)
		}
		last = Reading{Time: at, CPUMillicores: u.CPUMillicores, MemoryBytes: u.MemoryBytes}
		m.lastScrape[pod] = last
	}
	return last, true, nil
}

// recorder wraps a recommender and records the samples fed to it.
type recorder struct {
	recommend.Recommender
	samples []model.Sample
	asked   []time.Time
}

func (r *recorder) AddSample(s model.Sample) {
	r.samples = append(r.samples, s)
	r.Recommender.AddSample(s)
}
func (r *recorder) Recommend(now time.Time) (model.Recommendation, bool) {
	r.asked = append(r.asked, now)
	return r.Recommender.Recommend(now)
}

func newRun(t *testing.T, w *sim.Workload, opts sim.Options, speedup float64, resolution time.Duration) (Config, *recorder, *fakeClock, *fake.Clientset) {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)}
	b := &fakeBackend{clock: clock, usage: map[string]model.Sample{}}
	inner, err := recommend.New("vpa", recommend.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Recommender: inner}
	c := fake.NewClientset()
	return Config{
		Client: c, Usage: &fakeMetrics{clock: clock, backend: b, Resolution: resolution, lastScrape: map[string]Reading{}}, Backend: b,
		Namespace: "emu", Name: "test", Workload: w, Recommender: rec, Options: opts, Speedup: speedup,
		Now: clock.Now, Sleep: clock.Sleep,
	}, rec, clock, c
}

// With a metrics pipeline that reports every sample as it is driven, the
// emulation is the simulation, up to the API's rounding of requests to whole
// millicores and MiB.
func TestRunPerfectPipelineMatchesSimulator(t *testing.T) {
	for _, mode := range []updater.UpdateMode{updater.ModeInPlaceOrRecreate, updater.ModeRecreate, updater.ModeInPlace} {
		t.Run(string(mode), func(t *testing.T) {
			w := testWorkload()
			opts := testOptions(6*time.Hour, mode)
			cfg, rec, clock, client := newRun(t, w, opts, 300, 0)
			var rows []sim.StepRecord
			cfg.OnStep = func(s sim.StepRecord) { rows = append(rows, s) }
			start := clock.now
			got, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			simRec, _ := recommend.New("vpa", recommend.Config{Seed: 1})
			want, err := sim.RunSteps(w, simRec, opts, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !sameMetrics(got.Metrics, want.Metrics, 0.01) {
				t.Errorf("emulation %+v\nsimulation %+v", got.Metrics, want.Metrics)
			}
			if len(rows) != len(w.Samples) || got.MetricsSamples != len(w.Samples) {
				t.Errorf("%d rows and %d metrics samples, want %d each", len(rows), got.MetricsSamples, len(w.Samples))
			}
			for i, s := range rec.samples {
				if !s.Time.Equal(w.Samples[i].Time) {
					t.Fatalf("reading %d fed at workload time %s, want %s", i, s.Time, w.Samples[i].Time)
				}
			}
			if wantWall := time.Duration(float64(w.Samples[len(w.Samples)-1].Time.Sub(t0)) / 300); got.Wall != wantWall || clock.now.Sub(start) != wantWall {
				t.Errorf("wall time %s (clock moved %s), want %s", got.Wall, clock.now.Sub(start), wantWall)
			}
			pods, err := client.CoreV1().Pods("emu").List(context.Background(), metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Pods != 1+want.Restarts || len(pods.Items) < 1 {
				t.Errorf("%d pods created (%d listed), want 1 + %d restarts", got.Pods, len(pods.Items), want.Restarts)
			}
			last := rows[len(rows)-1]
			p, err := client.CoreV1().Pods("emu").Get(context.Background(), cfg.Name+"-"+strconv.Itoa(got.Pods), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if req := p.Spec.Containers[0].Resources.Requests; req.Memory().Value() != int64(last.Observation.MemoryRequestBytes) {
				t.Errorf("pod's memory request %s, trajectory says %v bytes", req.Memory(), last.Observation.MemoryRequestBytes)
			}
		})
	}
}

// With metrics-server's 15 s resolution at 160x the recommender gets one
// reading per 40 workload minutes, at workload times, in order, never after
// the sample it is asked about.
func TestRunMapsScrapesToWorkloadTime(t *testing.T) {
	w := testWorkload()
	w.Samples = w.Samples[:288]
	cfg, rec, _, _ := newRun(t, w, testOptions(6*time.Hour, updater.ModeInPlaceOrRecreate), 160, 15*time.Second)
	got, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.samples); n != got.MetricsSamples || n != got.FedSamples || n < 35 || n > 37 {
		t.Fatalf("%d readings fed (result says %d), want about 24h / 40m = 36", n, got.MetricsSamples)
	}
	if !rec.samples[0].Time.Equal(t0) {
		t.Errorf("first reading at %s, want the workload start %s", rec.samples[0].Time, t0)
	}
	for i := 1; i < len(rec.samples); i++ {
		gap := rec.samples[i].Time.Sub(rec.samples[i-1].Time)
		if gap != 40*time.Minute {
			t.Errorf("reading %d is %s after the previous one, want 40m (15 s x 160)", i, gap)
		}
	}
	// every reading is of the sample in force at its workload time
	for _, s := range rec.samples {
		i := int(s.Time.Sub(t0) / (5 * time.Minute))
		if s.CPUMillicores != w.Samples[i].CPUMillicores {
			t.Errorf("reading at %s has cpu %v, the sample then is %v", s.Time, s.CPUMillicores, w.Samples[i].CPUMillicores)
		}
	}
	if len(rec.asked) != len(w.Samples) {
		t.Errorf("asked %d times, want once per sample (%d)", len(rec.asked), len(w.Samples))
	}
}

// Holding readings, the recommender gets one sample per workload sample, at
// the sample's time, with the latest scrape's values.
func TestRunHoldReadings(t *testing.T) {
	w := testWorkload()
	w.Samples = w.Samples[:288]
	cfg, rec, _, _ := newRun(t, w, testOptions(6*time.Hour, updater.ModeInPlaceOrRecreate), 180, 15*time.Second)
	cfg.HoldReadings = true
	got, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got.FedSamples != len(w.Samples) || len(rec.samples) != len(w.Samples) {
		t.Fatalf("fed %d samples (result says %d), want one per sample (%d)", len(rec.samples), got.FedSamples, len(w.Samples))
	}
	if got.MetricsSamples < 31 || got.MetricsSamples > 33 {
		t.Errorf("%d distinct readings, want about 24h / 45m = 32", got.MetricsSamples)
	}
	distinct := 0
	for i, s := range rec.samples {
		if !s.Time.Equal(w.Samples[i].Time) {
			t.Fatalf("sample %d fed at %s, want the sample's time %s", i, s.Time, w.Samples[i].Time)
		}
		// the latest scrape is at a multiple of 45 workload minutes
		scrape := i / 9 * 9
		if s.CPUMillicores != w.Samples[scrape].CPUMillicores {
			t.Fatalf("sample %d fed cpu %v, want the reading of sample %d (%v)", i, s.CPUMillicores, scrape, w.Samples[scrape].CPUMillicores)
		}
		if i == 0 || s.CPUMillicores != rec.samples[i-1].CPUMillicores {
			distinct++
		}
	}
	if distinct != got.MetricsSamples {
		t.Errorf("%d distinct values fed, %d readings", distinct, got.MetricsSamples)
	}
}

func TestRunValidates(t *testing.T) {
	w := testWorkload()
	cfg, _, _, _ := newRun(t, w, testOptions(0, updater.ModeInPlace), 0, 0)
	if _, err := Run(context.Background(), cfg); err == nil || err.Error() != "speed-up 0 must be positive" {
		t.Errorf("speed-up 0: err %v", err)
	}
	cfg.Speedup, cfg.Name = 10, "Not_A_Name"
	if _, err := Run(context.Background(), cfg); err == nil {
		t.Error("bad name: want an error")
	}
}

func TestRunCancelled(t *testing.T) {
	cfg, _, _, _ := newRun(t, testWorkload(), testOptions(0, updater.ModeInPlace), 60, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, cfg); err == nil {
		t.Error("cancelled context: want an error")
	}
}
