package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// DefaultInitialRequest is the request a container starts with when its
// workload does not know its original request: 1 core and 1 GiB.
var DefaultInitialRequest = model.Resources{CPUMillicores: 1000, MemoryBytes: model.GiB}

// DefaultInterval is the sample interval assumed for a workload of one sample
// with no Interval.
const DefaultInterval = time.Minute

// Workload is the simulator's input: one container's usage over time. The
// workloads package converts its traces into it (core imports no project
// package outside core).
type Workload struct {
	// ID names the workload in results.
	ID string
	// Samples are the usage samples in strictly increasing time order. The
	// simulator only reads them; several runs may share one slice.
	Samples []model.Sample
	// InitialRequest is the container's request at the start (its original
	// request). A zero field means DefaultInitialRequest's value.
	InitialRequest model.Resources
	// Interval is the nominal time one sample stands for. The simulator
	// measures each sample's own interval from the timestamps (Info.Interval)
	// and uses Interval only for a workload of one sample; 0 means the gap
	// between the first two samples (DefaultInterval for a single sample).
	Interval time.Duration
	// Dataset names the family the workload belongs to (for example
	// "bitbrains"), for per-dataset comparisons; empty means "unknown".
	Dataset string
}

// initialRequest returns the request the container starts with.
func (w *Workload) initialRequest() model.Resources {
	r := w.InitialRequest
	if r.CPUMillicores <= 0 {
		r.CPUMillicores = DefaultInitialRequest.CPUMillicores
	}
	if r.MemoryBytes <= 0 {
		r.MemoryBytes = DefaultInitialRequest.MemoryBytes
	}
	return r
}

// SampleInterval returns the time one sample stands for: Interval, else the
// gap between the first two samples, else DefaultInterval.
func (w *Workload) SampleInterval() time.Duration {
	if w.Interval > 0 {
		return w.Interval
	}
	if len(w.Samples) >= 2 {
		if d := w.Samples[1].Time.Sub(w.Samples[0].Time); d > 0 {
			return d
		}
	}
	return DefaultInterval
}

// MedianInterval returns the median time between consecutive samples
// (SampleInterval for a workload of one sample). Per-sample intervals and
// gaps are measured against it (Info.Interval).
func (w *Workload) MedianInterval() time.Duration {
	ss := w.Samples
	if len(ss) < 2 {
		return w.SampleInterval()
	}
	// Unix nanoseconds: time.Time.Sub is several times slower, and this runs
	// over every sample of every run.
	prev := ss[1].Time.UnixNano()
	first := prev - ss[0].Time.UnixNano()
	regular := true
	for i := 2; i < len(ss); i++ {
		t := ss[i].Time.UnixNano()
		if t-prev != first {
			regular = false
			break
		}
		prev = t
	}
	if regular {
		return time.Duration(first)
	}
	gaps := make([]int64, len(ss)-1)
	for i := range gaps {
		gaps[i] = ss[i+1].Time.UnixNano() - ss[i].Time.UnixNano()
	}
	slices.Sort(gaps)
	return time.Duration(gaps[len(gaps)/2])
}

// Degenerate reports whether the workload's memory reads 0 in more than
// half of its samples (reported apart in comparisons).
func (w *Workload) Degenerate() bool {
	n := 0
	for i := range w.Samples {
		if w.Samples[i].MemoryBytes == 0 {
			n++
		}
	}
	return len(w.Samples) > 0 && degenerate(float64(n)/float64(len(w.Samples)))
}

// degenerate is the rule of Degenerate on the share of samples with memory 0.
func degenerate(zeroShare float64) bool { return zeroShare > 0.5 }

// Validate checks that the workload can be simulated.
func (w *Workload) Validate() error {
	_, err := w.scan()
	return err
}

// scan validates the workload and measures it in one pass over the samples
// (Reset runs it for every run of a backtest).
func (w *Workload) scan() (scanned, error) {
	var sc scanned
	ss := w.Samples
	if len(ss) == 0 {
		return sc, fmt.Errorf("workload %q has no samples: give it at least one usage sample", w.ID)
	}
	// The simulator computes in Unix nanoseconds: years 1678 to 2261.
	for _, i := range []int{0, len(ss) - 1} {
		if y := ss[i].Time.Year(); y < 1678 || y > 2261 {
			return sc, fmt.Errorf("workload %q: sample %d is in year %d: the simulator takes times from 1678 to 2261", w.ID, i, y)
		}
	}
	prev := ss[0].Time.UnixNano()
	var first int64
	regular := true
	zeros := 0
	for i := range ss {
		s := &ss[i]
		if s.CPUMillicores < 0 || s.MemoryBytes < 0 || s.CPUMillicores != s.CPUMillicores || s.MemoryBytes != s.MemoryBytes {
			return sc, fmt.Errorf("workload %q: sample %d has a negative or NaN usage (cpu %v millicores, memory %v bytes)", w.ID, i, s.CPUMillicores, s.MemoryBytes)
		}
		if s.MemoryBytes == 0 {
			zeros++
		}
		if i == 0 {
			continue
		}
		t := s.Time.UnixNano()
		if t <= prev {
			return sc, fmt.Errorf("workload %q: sample %d (%s) is not after sample %d (%s): samples must be in strictly increasing time order",
				w.ID, i, s.Time.Format(time.RFC3339), i-1, ss[i-1].Time.Format(time.RFC3339))
		}
		if i == 1 {
			first = t - prev
		} else if t-prev != first {
			regular = false
		}
		prev = t
	}
	if w.InitialRequest.CPUMillicores < 0 || w.InitialRequest.MemoryBytes < 0 {
		return sc, fmt.Errorf("workload %q: negative initial request %s", w.ID, w.InitialRequest)
	}
	if w.Interval < 0 {
		return sc, fmt.Errorf("workload %q: negative sample interval %s", w.ID, w.Interval)
	}
	sc.zeroShare = float64(zeros) / float64(len(ss))
	switch {
	case len(ss) < 2:
		sc.median = w.SampleInterval()
	case regular:
		sc.median = time.Duration(first)
	default:
		sc.median = w.MedianInterval()
	}
	return sc, nil
}

// scanned is what scan measures.
type scanned struct {
	median    time.Duration
	zeroShare float64
}
