package workloads

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// Trace is one usage series (a container, a VM or a job): timestamps with the
// CPU and memory used at each, as columnar slices of equal length, plus the
// metadata that says where the numbers came from.
//
// Times are strictly increasing; usage values are finite and never negative.
// Validate checks this; every loader and generator returns only valid traces.
type Trace struct {
	ID            string
	Meta          Meta
	Times         []time.Time
	CPUMillicores []float64
	MemoryBytes   []float64
}

// Len returns the number of samples.
func (t *Trace) Len() int { return len(t.Times) }

// Time returns the time of sample i.
func (t *Trace) Time(i int) time.Time { return t.Times[i] }

// Sample returns sample i as a model.Sample.
func (t *Trace) Sample(i int) model.Sample {
	return model.Sample{Time: t.Times[i], CPUMillicores: t.CPUMillicores[i], MemoryBytes: t.MemoryBytes[i]}
}

// Samples returns the trace as one model.Sample per row, in time order.
func (t *Trace) Samples() []model.Sample {
	out := make([]model.Sample, t.Len())
	for i := range out {
		out[i] = t.Sample(i)
	}
	return out
}

// Start returns the time of the first sample (zero for an empty trace).
func (t *Trace) Start() time.Time {
	if t.Len() == 0 {
		return time.Time{}
	}
	return t.Times[0]
}

// End returns the time of the last sample (zero for an empty trace).
func (t *Trace) End() time.Time {
	if t.Len() == 0 {
		return time.Time{}
	}
	return t.Times[t.Len()-1]
}

// Append adds one sample at the end. It does not check order; Validate does.
func (t *Trace) Append(at time.Time, cpuMillicores, memoryBytes float64) {
	t.Times = append(t.Times, at)
	t.CPUMillicores = append(t.CPUMillicores, cpuMillicores)
	t.MemoryBytes = append(t.MemoryBytes, memoryBytes)
}

// Validate reports the first problem that makes t unusable: no samples,
// slices of different lengths, times not strictly increasing, or a usage value
// that is negative, NaN or infinite.
func (t *Trace) Validate() error {
	n := len(t.Times)
	if n == 0 {
		return errors.New("trace has no samples")
	}
	if len(t.CPUMillicores) != n || len(t.MemoryBytes) != n {
		return fmt.Errorf("trace has %d times but %d cpu and %d memory values", n, len(t.CPUMillicores), len(t.MemoryBytes))
	}
	for i := 0; i < n; i++ {
		if y := t.Times[i].Year(); y < 1 || y > 9999 {
			return fmt.Errorf("sample %d: time %s is not in the years 1 to 9999", i, t.Times[i].UTC().Format(time.RFC3339))
		}
		if i > 0 && !t.Times[i].After(t.Times[i-1]) {
			return fmt.Errorf("sample %d: time %s is not after %s", i, t.Times[i].UTC().Format(time.RFC3339), t.Times[i-1].UTC().Format(time.RFC3339))
		}
		if err := checkUsage(t.CPUMillicores[i], MaxCPUMillicores); err != nil {
			return fmt.Errorf("sample %d: cpu_millicores %w", i, err)
		}
		if err := checkUsage(t.MemoryBytes[i], MaxMemoryBytes); err != nil {
			return fmt.Errorf("sample %d: memory_bytes %w", i, err)
		}
	}
	return nil
}

func checkUsage(v, max float64) error {
	switch {
	case math.IsNaN(v):
		return errors.New("is NaN")
	case math.IsInf(v, 0):
		return errors.New("is infinite")
	case v < 0:
		return fmt.Errorf("is negative (%g)", v)
	case v > max:
		return fmt.Errorf("is %g, more than %g", v, max)
	}
	return nil
}

// MedianInterval returns the median time between consecutive samples, 0 for
// fewer than two samples.
func (t *Trace) MedianInterval() time.Duration {
	if t.Len() < 2 {
		return 0
	}
	d := make([]time.Duration, t.Len()-1)
	for i := 1; i < t.Len(); i++ {
		d[i-1] = t.Times[i].Sub(t.Times[i-1])
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// Meta describes a trace: where it came from and what was done to its numbers.
// It is stored as meta.json next to trace.csv; the JSON names below are stable.
type Meta struct {
	// ID is the store id (the directory name under the store).
	ID string `json:"id"`
	// Source is "generator" for generated traces or "import" for loaded ones.
	Source string `json:"source"`
	// Type is the generator type (step, sinusoidal, ...) or the import format
	// (bitbrains, alibaba-machine, ..., csv).
	Type string `json:"type"`
	// Series names the series in its source: a VM id, a container id, a
	// machine id, "job/task", or a file name.
	Series string `json:"series,omitempty"`
	// Files are the input files a loaded trace was read from.
	Files []string `json:"files,omitempty"`
	// Interval is the nominal time between samples (the generator's interval,
	// or the median interval of a loaded trace). JSON: a Go duration string.
	Interval time.Duration `json:"-"`
	// Start and End are the times of the first and last sample.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Samples is the number of rows in trace.csv.
	Samples int `json:"samples"`
	// OriginalRequest is the request the source gives for this series, when it
	// has one (Bitbrains provisioned capacity, Alibaba container_meta
	// cpu_request/mem_size, Azure vmtable size). A zero field is unknown.
	OriginalRequest *model.Resources `json:"originalRequest,omitempty"`
	// Conversions lists, in words, every unit conversion and assumption applied
	// to the source numbers, e.g. `memory_bytes = "Memory usage [KB]" * 1024`.
	Conversions []string `json:"conversions,omitempty"`
	// AssumedMachine is the machine size assumed to turn percentages of a
	// machine into millicores and bytes, for formats that need one.
	AssumedMachine *model.Resources `json:"assumedMachine,omitempty"`
	// Seed is the generator seed (generated traces only).
	Seed *int64 `json:"seed,omitempty"`
	// Config is the generator configuration used (generated traces only).
	Config json.RawMessage `json:"config,omitempty"`
}

type metaJSON Meta

type metaWire struct {
	*metaJSON
	Interval string `json:"interval"`
}

// MarshalJSON writes Interval as a Go duration string ("5m0s").
func (m Meta) MarshalJSON() ([]byte, error) {
	mj := metaJSON(m)
	return json.Marshal(metaWire{metaJSON: &mj, Interval: m.Interval.String()})
}

// UnmarshalJSON reads Interval from a Go duration string.
func (m *Meta) UnmarshalJSON(b []byte) error {
	w := metaWire{metaJSON: (*metaJSON)(m)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Interval == "" {
		m.Interval = 0
		return nil
	}
	d, err := time.ParseDuration(w.Interval)
	if err != nil {
		return fmt.Errorf("field \"interval\": %w", err)
	}
	m.Interval = d
	return nil
}

// finish fills the fields of Meta that follow from the samples.
func (t *Trace) finish() {
	t.Meta.ID = t.ID
	t.Meta.Samples = t.Len()
	t.Meta.Start = t.Start().UTC()
	t.Meta.End = t.End().UTC()
	if t.Meta.Interval == 0 {
		t.Meta.Interval = t.MedianInterval()
	}
}
