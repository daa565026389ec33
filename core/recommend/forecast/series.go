package forecast

import (
	"math"
	"sort"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend/forecast/ring"
)

// Window is the aggregate of one resource over one time window.
type Window struct {
	Start time.Time
	// Peak and Mean per resource: index 0 is CPU (millicores), 1 memory (bytes).
	Peak [2]float64
	Mean [2]float64
	N    int
}

// Keep selects what a Windower keeps of each closed window.
type Keep uint8

// What a Windower can keep. A caller that reads one series (forecast reads
// the peaks, or the means) keeps a quarter of the bytes of a whole window:
// serve keeps one recommender per container for weeks of windows.
const (
	// KeepAll keeps Start, Peak, Mean and N (the zero value).
	KeepAll Keep = iota
	// KeepPeak keeps Peak only.
	KeepPeak
	// KeepMean keeps Mean only.
	KeepMean
)

// Windower turns a stream of samples into a series of fixed-width windows,
// aligned on multiples of Width since the Unix epoch. A gap of missing windows
// is filled by repeating the last closed window (at most MaxGapFill windows),
// so seasonal lags stay aligned with wall time.
//
// Closed windows are kept in a ring of at most Cap, in a compact form: Start
// as Unix nanoseconds (windows are aligned on the epoch with UnixNano, so
// sample times are in its range, the years 1678 to 2262) and, for KeepPeak
// and KeepMean, only the series asked for; with CPUOnly, only CPU's.
type Windower struct {
	Width      time.Duration
	MaxGapFill int
	// Cap bounds the number of windows kept (oldest dropped first).
	Cap int
	// Keep selects what closed windows keep (see Keep).
	Keep Keep
	// CPUOnly aggregates and keeps CPU (index 0) only, for a caller that
	// reads no memory: memory's Peak and Mean stay 0 in Current and
	// Windows, and with KeepAll so does N (Start, CPU's Peak and Mean are
	// kept). Memory's series must not be asked for.
	CPUOnly bool

	cur     Window
	started bool
	all     ring.Ring[closedWindow] // KeepAll
	one     ring.Ring[[2]float64]   // KeepPeak: Peak; KeepMean: Mean
	allCPU  ring.Ring[cpuWindow]    // KeepAll with CPUOnly
	oneCPU  ring.Ring[float64]      // KeepPeak or KeepMean with CPUOnly
}

// closedWindow is a Window with Start as Unix nanoseconds (48 bytes, not 64).
type closedWindow struct {
	start      int64
	peak, mean [2]float64
	n          int
}

// cpuWindow is what KeepAll with CPUOnly keeps of a window (24 bytes).
type cpuWindow struct {
	start      int64
	peak, mean float64
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
	nr := 2
	if w.CPUOnly {
		nr = 1
	}
	for r := 0; r < nr; r++ {
		if w.cur.N == 0 || v[r] > w.cur.Peak[r] {
			w.cur.Peak[r] = v[r]
		}
		w.cur.Mean[r] += (v[r] - w.cur.Mean[r]) / float64(w.cur.N+1)
	}
	w.cur.N++
	return closed
}

func (w *Windower) push(x Window) {
	// The ring drops the oldest beyond Cap (Cap is a plain field, so it is
	// read here rather than at construction).
	if w.CPUOnly {
		switch w.Keep {
		case KeepPeak:
			w.oneCPU.Max = w.Cap
			w.oneCPU.Push(x.Peak[0])
		case KeepMean:
			w.oneCPU.Max = w.Cap
			w.oneCPU.Push(x.Mean[0])
		default:
			w.allCPU.Max = w.Cap
			w.allCPU.Push(cpuWindow{start: x.Start.UnixNano(), peak: x.Peak[0], mean: x.Mean[0]})
		}
		return
	}
	switch w.Keep {
	case KeepPeak:
		w.one.Max = w.Cap
		w.one.Push(x.Peak)
	case KeepMean:
		w.one.Max = w.Cap
		w.one.Push(x.Mean)
	default:
		w.all.Max = w.Cap
		w.all.Push(closedWindow{start: x.Start.UnixNano(), peak: x.Peak, mean: x.Mean, n: x.N})
	}
}

// Len returns the number of closed windows kept (at most Cap).
func (w *Windower) Len() int {
	switch {
	case w.CPUOnly && w.Keep == KeepAll:
		return w.allCPU.Len()
	case w.CPUOnly:
		return w.oneCPU.Len()
	case w.Keep == KeepAll:
		return w.all.Len()
	}
	return w.one.Len()
}

// Windows returns the closed windows, oldest first (at most Cap of them), in
// a new slice. Only the fields Keep keeps are set.
func (w *Windower) Windows() []Window {
	out := make([]Window, w.Len())
	for i := range out {
		if w.CPUOnly {
			switch w.Keep {
			case KeepPeak:
				out[i].Peak[0] = w.oneCPU.At(i)
			case KeepMean:
				out[i].Mean[0] = w.oneCPU.At(i)
			default:
				c := w.allCPU.At(i)
				out[i].Start, out[i].Peak[0], out[i].Mean[0] = time.Unix(0, c.start).UTC(), c.peak, c.mean
			}
			continue
		}
		switch w.Keep {
		case KeepPeak:
			out[i].Peak = w.one.At(i)
		case KeepMean:
			out[i].Mean = w.one.At(i)
		default:
			c := w.all.At(i)
			out[i] = Window{Start: time.Unix(0, c.start).UTC(), Peak: c.peak, Mean: c.mean, N: c.n}
		}
	}
	return out
}

// PeakSeries returns the peaks of resource index r (0 CPU, 1 memory) of the
// closed windows, oldest first, in a new slice. Keep must be KeepAll or
// KeepPeak (and r 0 with CPUOnly).
func (w *Windower) PeakSeries(r int) []float64 {
	if w.CPUOnly {
		return w.cpuSeries(r, KeepPeak, func(c cpuWindow) float64 { return c.peak })
	}
	switch w.Keep {
	case KeepAll:
		return w.allSeries(func(c closedWindow) float64 { return c.peak[r] })
	case KeepPeak:
		return w.oneSeries(r)
	}
	panic("forecast: PeakSeries of a Windower that keeps means only")
}

// MeanSeries returns the means of resource index r (0 CPU, 1 memory) of the
// closed windows, oldest first, in a new slice. Keep must be KeepAll or
// KeepMean (and r 0 with CPUOnly).
func (w *Windower) MeanSeries(r int) []float64 {
	if w.CPUOnly {
		return w.cpuSeries(r, KeepMean, func(c cpuWindow) float64 { return c.mean })
	}
	switch w.Keep {
	case KeepAll:
		return w.allSeries(func(c closedWindow) float64 { return c.mean[r] })
	case KeepMean:
		return w.oneSeries(r)
	}
	panic("forecast: MeanSeries of a Windower that keeps peaks only")
}

// cpuSeries is PeakSeries (keep KeepPeak) or MeanSeries (KeepMean) with
// CPUOnly; f reads the series of a window kept with KeepAll.
func (w *Windower) cpuSeries(r int, keep Keep, f func(cpuWindow) float64) []float64 {
	if r != 0 {
		panic("forecast: memory series of a CPU-only Windower")
	}
	switch w.Keep {
	case KeepAll:
		out := make([]float64, w.allCPU.Len())
		for i := range out {
			out[i] = f(w.allCPU.At(i))
		}
		return out
	case keep:
		out := make([]float64, w.oneCPU.Len())
		for i := range out {
			out[i] = w.oneCPU.At(i)
		}
		return out
	}
	panic("forecast: a series a Windower does not keep")
}

func (w *Windower) allSeries(f func(closedWindow) float64) []float64 {
	out := make([]float64, w.all.Len())
	for i := range out {
		out[i] = f(w.all.At(i))
	}
	return out
}

func (w *Windower) oneSeries(r int) []float64 {
	out := make([]float64, w.one.Len())
	for i := range out {
		out[i] = w.one.At(i)[r]
	}
	return out
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
