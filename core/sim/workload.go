package sim

import (
	"fmt"
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
	// Interval is the time one sample stands for. 0 means the gap between the
	// first two samples (DefaultInterval for a single sample).
	Interval time.Duration
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

// Validate checks that the workload can be simulated.
func (w *Workload) Validate() error {
	if len(w.Samples) == 0 {
		return fmt.Errorf("workload %q has no samples: give it at least one usage sample", w.ID)
	}
	for i := 1; i < len(w.Samples); i++ {
		if !w.Samples[i].Time.After(w.Samples[i-1].Time) {
			return fmt.Errorf("workload %q: sample %d (%s) is not after sample %d (%s): samples must be in strictly increasing time order",
				w.ID, i, w.Samples[i].Time.Format(time.RFC3339), i-1, w.Samples[i-1].Time.Format(time.RFC3339))
		}
	}
	for i, s := range w.Samples {
		if s.CPUMillicores < 0 || s.MemoryBytes < 0 || s.CPUMillicores != s.CPUMillicores || s.MemoryBytes != s.MemoryBytes {
			return fmt.Errorf("workload %q: sample %d has a negative or NaN usage (cpu %v millicores, memory %v bytes)", w.ID, i, s.CPUMillicores, s.MemoryBytes)
		}
	}
	if w.InitialRequest.CPUMillicores < 0 || w.InitialRequest.MemoryBytes < 0 {
		return fmt.Errorf("workload %q: negative initial request %s", w.ID, w.InitialRequest)
	}
	if w.Interval < 0 {
		return fmt.Errorf("workload %q: negative sample interval %s", w.ID, w.Interval)
	}
	return nil
}
