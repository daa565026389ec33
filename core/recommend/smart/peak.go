package smart

import (
	"math"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend/forecast/ring"
)

// peakSeries is a series of hourly memory peaks, oldest first, in a ring.
// Positions are absolute (counted from the first peak ever), so that
// positions stay valid while old peaks are dropped.
type peakSeries struct {
	peaks ring.Ring[hourPeak]
	first int // position of peaks.At(0)
}

// hourPeak is the peak of one hour, which starts at Unix second hour (a
// whole second: exact for any time, in 16 bytes rather than 32).
type hourPeak struct {
	hour int64
	v    float64
}

// add merges v into the newest hour when t is in it, else starts an hour.
func (s *peakSeries) add(t time.Time, v float64) {
	h := t.Truncate(time.Hour).Unix()
	if n := s.peaks.Len(); n > 0 && s.peaks.At(n-1).hour == h {
		p := s.peaks.Ptr(n - 1)
		p.v = math.Max(p.v, v)
	} else {
		s.peaks.Push(hourPeak{h, v})
	}
}

// end is the position after the newest peak.
func (s *peakSeries) end() int { return s.first + s.peaks.Len() }

func (s *peakSeries) at(pos int) hourPeak { return s.peaks.At(pos - s.first) }

// dropBefore drops the peaks before position pos.
func (s *peakSeries) dropBefore(pos int) {
	s.peaks.DropFront(pos - s.first)
	s.first = pos
}

// raise raises the peak of t's hour to v, unless a later hour has started.
func (s *peakSeries) raise(t time.Time, v float64) {
	if n := s.peaks.Len(); n > 0 && s.peaks.At(n-1).hour > t.Truncate(time.Hour).Unix() {
		return
	}
	s.add(t, v)
}
