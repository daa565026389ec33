package forecast

import (
	"math"
	"sort"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// Window is the aggregate of one resource over one time window.
type Window struct {
	Start time.Time
	// Peak and Mean per resource: index 0 is CPU (millicores), 1 memory (bytes).
	Peak [2]float64
	Mean [2]float64
	N    int
}

// Windower turns a stream of samples into a series of fixed-width windows,
// aligned on multiples of Width since the Unix epoch. A gap of missing windows
// is filled by repeating the last closed window (at most MaxGapFill windows),
// so seasonal lags stay aligned with wall time.
type Windower struct {
	Width      time.Duration
	MaxGapFill int
	// Cap bounds the number of windows kept (oldest dropped first).
	Cap int

	cur     Window
	started bool
	windows []Window
}

// Add feeds a sample. It returns true when the sample closed at least one
// window, i.e. the series grew.
func (w *Windower) Add(s model.Sample) bool {
	start := windowStart(s.Time, w.Width)
	closed := false
	if !w.started {
		w.started = true
		w.cur = Window{Start: start}
	} else if start.After(w.cur.Start) {
		w.push(w.cur)
		closed = true
		gap := int(start.Sub(w.cur.Start)/w.Width) - 1
		if gap > w.MaxGapFill {
			gap = w.MaxGapFill
		}
		last := w.cur
		for i := 0; i < gap; i++ {
			last.Start = last.Start.Add(w.Width)
			w.push(last)
		}
		w.cur = Window{Start: start}
	}
	v := [2]float64{s.CPUMillicores, s.MemoryBytes}
	for r := 0; r < 2; r++ {
		if w.cur.N == 0 || v[r] > w.cur.Peak[r] {
			w.cur.Peak[r] = v[r]
		}
		w.cur.Mean[r] += (v[r] - w.cur.Mean[r]) / float64(w.cur.N+1)
	}
	w.cur.N++
	return closed
}

func (w *Windower) push(x Window) {
	w.windows = append(w.windows, x)
	if w.Cap > 0 && len(w.windows) > 2*w.Cap {
		n := copy(w.windows, w.windows[len(w.windows)-w.Cap:])
		w.windows = w.windows[:n]
	}
}

// Windows returns the closed windows, oldest first (at most Cap of them).
func (w *Windower) Windows() []Window {
	if w.Cap > 0 && len(w.windows) > w.Cap {
		return w.windows[len(w.windows)-w.Cap:]
	}
	return w.windows
}

// Current returns the window being filled and whether it holds any sample.
func (w *Windower) Current() (Window, bool) { return w.cur, w.started && w.cur.N > 0 }

// Peaks returns the peak series of resource index r (0 CPU, 1 memory).
func Peaks(ws []Window, r int) []float64 {
	out := make([]float64, len(ws))
	for i, x := range ws {
		out[i] = x.Peak[r]
	}
	return out
}

// Means returns the mean series of resource index r (0 CPU, 1 memory).
func Means(ws []Window, r int) []float64 {
	out := make([]float64, len(ws))
	for i, x := range ws {
		out[i] = x.Mean[r]
	}
	return out
}

func windowStart(t time.Time, width time.Duration) time.Time {
	ns := t.UnixNano()
	w := int64(width)
	q := ns / w
	if ns < 0 && ns%w != 0 {
		q--
	}
	return time.Unix(0, q*w).UTC()
}

// Autocorrelation returns the sample autocorrelation of y at lag k (0 when
// undefined).
func Autocorrelation(y []float64, k int) float64 {
	n := len(y)
	if k <= 0 || k >= n {
		return 0
	}
	var mean float64
	for _, v := range y {
		mean += v
	}
	mean /= float64(n)
	var den, num float64
	for i, v := range y {
		d := v - mean
		den += d * d
		if i+k < n {
			num += d * (y[i+k] - mean)
		}
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// Season is a detected seasonality.
type Season int

// The seasons the detector knows.
const (
	SeasonNone Season = iota
	SeasonDaily
	SeasonWeekly
)

func (s Season) String() string {
	switch s {
	case SeasonDaily:
		return "daily"
	case SeasonWeekly:
		return "weekly"
	}
	return "none"
}

// DetectSeason picks none, daily or weekly for a series of windows of the given
// width by the autocorrelation at the daily and weekly lags. A season needs at
// least two full periods of history and an autocorrelation of at least
// threshold; weekly wins only when it is clearly stronger than daily.
func DetectSeason(y []float64, width time.Duration, threshold float64) (Season, int) {
	day := int(24 * time.Hour / width)
	week := 7 * day
	var acDay, acWeek float64
	if day >= 2 && len(y) >= 2*day {
		acDay = Autocorrelation(y, day)
	}
	if len(y) >= 2*week {
		acWeek = Autocorrelation(y, week)
	}
	switch {
	case acWeek >= threshold && acWeek > acDay+0.1:
		return SeasonWeekly, week
	case acDay >= threshold:
		return SeasonDaily, day
	}
	return SeasonNone, 0
}

// Quantile returns the q-quantile of xs by linear interpolation (xs is not
// modified). It returns 0 for an empty slice.
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if q <= 0 {
		return s[0]
	}
	if q >= 1 {
		return s[len(s)-1]
	}
	pos := q * float64(len(s)-1)
	i := int(math.Floor(pos))
	f := pos - float64(i)
	if i+1 >= len(s) {
		return s[i]
	}
	return s[i]*(1-f) + s[i+1]*f
}
