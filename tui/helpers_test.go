package tui

import (
	"context"
	"flag"
	"math"
	"sort"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The tests use their own small recommenders, so that the goldens do not move
// when the real recommenders change: a percentile recommender over the whole
// history and one that follows the peak.
const (
	testRecP90  = "tui-test-p90"
	testRecPeak = "tui-test-peak"
)

func init() {
	recommend.Register(testRecP90, func(cfg recommend.Config) (recommend.Recommender, error) {
		return &pctRec{name: testRecP90, target: 0.9, margin: 0.15}, nil
	})
	recommend.Register(testRecPeak, func(cfg recommend.Config) (recommend.Recommender, error) {
		return &pctRec{name: testRecPeak, target: 1, margin: 0.05}, nil
	})
}

// pctRec recommends percentiles of every sample seen: lower p50, target at
// its percentile plus a margin, upper the peak plus the margin.
type pctRec struct {
	name           string
	target, margin float64
	samples        []model.Sample
}

func (r *pctRec) Name() string             { return r.name }
func (r *pctRec) AddSample(s model.Sample) { r.samples = append(r.samples, s) }
func (r *pctRec) AddOOM(model.OOMEvent)    {}

func (r *pctRec) pct(res model.Resource, p float64) float64 {
	v := make([]float64, len(r.samples))
	for i, s := range r.samples {
		v[i] = valueOf(s, res)
	}
	sort.Float64s(v)
	return v[int(math.Ceil(p*float64(len(v)-1)))]
}

func (r *pctRec) Recommend(time.Time) (model.Recommendation, bool) {
	if len(r.samples) < 12 {
		return model.Recommendation{}, false
	}
	var rec model.Recommendation
	for _, res := range model.AllResources {
		rec.Lower = rec.Lower.Set(res, r.pct(res, 0.5))
		rec.Target = rec.Target.Set(res, r.pct(res, r.target)*(1+r.margin))
		rec.Upper = rec.Upper.Set(res, r.pct(res, 1)*(1+r.margin))
	}
	rec.UncappedTarget = rec.Target
	return rec, true
}

func (r *pctRec) Explain(now time.Time) recommend.Explanation {
	e := recommend.Explanation{Recommender: r.name, Resources: map[model.Resource]recommend.Evidence{}}
	span := time.Duration(0)
	if len(r.samples) > 1 {
		span = r.samples[len(r.samples)-1].Time.Sub(r.samples[0].Time)
	}
	for _, res := range model.AllResources {
		e.Resources[res] = recommend.Evidence{LowerPercentile: 0.5, TargetPercentile: r.target, UpperPercentile: 1,
			SampleCount: float64(len(r.samples)), HistorySpan: span, Confidence: span.Hours() / 24, Margin: r.margin}
	}
	e.Notes = []string{"test recommender"}
	return e
}

// newDemo returns a demo source over the test recommenders.
func newDemo(t testing.TB, readOnly string) *DemoSource {
	t.Helper()
	src, err := NewDemoSource(DemoOptions{Seed: 7, Recommenders: []string{testRecP90, testRecPeak}, ReadOnly: readOnly})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// harness drives a Model synchronously: it runs each command and feeds the
// resulting messages back to Update, as the Bubble Tea runtime would.
type harness struct {
	t    testing.TB
	m    *Model
	quit bool
}

func newHarness(t testing.TB, w, h int, opts Options) *harness {
	t.Helper()
	m := New(opts)
	m.noTick = true
	hs := &harness{t: t, m: m}
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(m.Init())
	return hs
}

func demoHarness(t testing.TB, w, h int, readOnly string) *harness {
	src := newDemo(t, readOnly)
	return newHarness(t, w, h, Options{Source: src, Actions: src, Refresh: 5 * time.Second, Context: context.Background()})
}

func (hs *harness) send(msg tea.Msg) {
	hs.t.Helper()
	_, cmd := hs.m.Update(msg)
	hs.run(cmd)
}

func (hs *harness) run(cmd tea.Cmd) {
	hs.t.Helper()
	if cmd == nil {
		return
	}
	msg := cmd()
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			hs.run(c)
		}
	case tea.QuitMsg:
		hs.quit = true
	default:
		hs.send(msg)
	}
}

// keyMsg turns a key name as Bubble Tea prints it ("enter", "j", "A") into a
// key press.
func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)
	if len(r) != 1 {
		panic("keyMsg: unknown key " + k)
	}
	code := r[0]
	var mod tea.KeyMod
	if code >= 'A' && code <= 'Z' {
		code += 'a' - 'A'
		mod = tea.ModShift
	}
	return tea.KeyPressMsg{Code: code, Text: k, Mod: mod}
}

func (hs *harness) keys(ks ...string) {
	hs.t.Helper()
	for _, k := range ks {
		hs.send(keyMsg(k))
	}
}

func (hs *harness) typeText(s string) {
	hs.t.Helper()
	for _, r := range s {
		hs.send(keyMsg(string(r)))
	}
}
