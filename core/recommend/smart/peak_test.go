package smart

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// listPeak is a peak candidate with a list of hours of its own, as each one
// kept before they shared a series: the reference the shared series must
// match exactly.
type listPeak struct {
	window time.Duration
	hours  []time.Time
	peaks  []float64
}

func (l *listPeak) add(s model.Sample) {
	h := s.Time.Truncate(time.Hour)
	if n := len(l.hours); n > 0 && l.hours[n-1].Equal(h) {
		l.peaks[n-1] = math.Max(l.peaks[n-1], s.MemoryBytes)
	} else {
		l.hours = append(l.hours, h)
		l.peaks = append(l.peaks, s.MemoryBytes)
	}
	cut := 0
	for cut < len(l.hours) && s.Time.Sub(l.hours[cut]) >= l.window {
		cut++
	}
	l.hours, l.peaks = l.hours[cut:], l.peaks[cut:]
}

func (l *listPeak) max() float64 {
	var m float64
	for _, v := range l.peaks {
		m = math.Max(m, v)
	}
	return m
}

// TestPeakCandidatesMatchOwnLists feeds smart's peak candidates (sharing a
// series, or not for windows under an hour) and reference lists the same
// samples, some out of order, after gaps, or NaN, and compares the peak and
// the number of hours of every candidate after every sample.
func TestPeakCandidatesMatchOwnLists(t *testing.T) {
	windows := []time.Duration{24 * time.Hour, 30 * time.Minute, 72 * time.Hour, time.Hour, 48 * time.Hour, 90 * time.Minute, 7 * 24 * time.Hour}
	o := DefaultOptions()
	o.Candidates, o.CPULevel, o.MemoryPeaks = nil, false, nil
	for _, w := range windows {
		o.MemoryPeaks = append(o.MemoryPeaks, PeakSpec{Window: w})
	}
	r, err := New(o, recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var refs []*listPeak
	for _, w := range windows {
		refs = append(refs, &listPeak{window: w})
	}
	rng := rand.New(rand.NewPCG(5, 6))
	at := t0
	for i := 0; i < 30000; i++ {
		at = at.Add(time.Duration(rng.IntN(300)) * time.Second)
		s := model.Sample{Time: at, MemoryBytes: model.GiB * rng.Float64()}
		switch {
		case i%97 == 5:
			s.Time = at.Add(-3*time.Hour - 17*time.Second) // out of order
		case i%5000 == 4999:
			at = at.Add(9 * 24 * time.Hour) // longer than every window
		case i%7001 == 3:
			s.MemoryBytes = math.NaN()
		}
		r.AddSample(s)
		for k, c := range r.cands {
			ref := refs[k]
			ref.add(s)
			p := c.r.(*peakCandidate)
			rec, ok := p.Recommend(s.Time)
			if ok != (len(ref.peaks) > 0) || p.peaks() != len(ref.peaks) {
				t.Fatalf("sample %d, window %s: %d hours (ok %v), want %d", i, ref.window, p.peaks(), ok, len(ref.peaks))
			}
			if got, want := rec.Target.MemoryBytes, ref.max(); ok && math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("sample %d, window %s: peak %v, want %v", i, ref.window, got, want)
			}
		}
		// The shared series holds no hour that no window holds.
		longest := 0
		for _, p := range r.sharing {
			longest = max(longest, p.peaks())
		}
		if n := r.peaks.peaks.Len(); n != longest {
			t.Fatalf("sample %d: the shared series holds %d hours, the longest window %d", i, n, longest)
		}
	}
	if len(r.sharing) != 6 {
		t.Errorf("%d candidates share the series, want the 6 with a window of an hour or more", len(r.sharing))
	}
}
