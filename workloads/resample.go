package workloads

import (
	"fmt"
	"math"
	"time"
)

// NoResample, as ImportOptions.Resample, keeps a format's rows as they are.
const NoResample = time.Duration(-1)

// DefaultResample returns the bucket width a format's rows are resampled to
// when ImportOptions.Resample is 0: the Alibaba 2018 traces report every 10 s
// to several minutes at irregular times, so their rows are put in 5-minute
// buckets (the sampling of the other public traces, and what the simulator
// and the recommenders expect: one sample per interval); other formats are
// kept as they are (0).
func DefaultResample(format string) time.Duration {
	switch format {
	case FormatAlibabaMachine, FormatAlibabaContainer:
		return 5 * time.Minute
	}
	return 0
}

// resampleWidth is the bucket width Import resamples format's series to (0:
// none), or an error for a width that is not a whole number of seconds.
func (o *ImportOptions) resampleWidth(format string) (time.Duration, error) {
	switch {
	case o.Resample == 0:
		return DefaultResample(format), nil
	case o.Resample < 0:
		return 0, nil
	case o.Resample < time.Second || o.Resample%time.Second != 0:
		return 0, fmt.Errorf("invalid resample width %s: use a whole number of seconds, at least 1s", o.Resample)
	}
	return o.Resample, nil
}

// Resample puts t's samples in buckets of width aligned to multiples of width
// since the Unix epoch and keeps one sample per bucket that has rows, at the
// bucket's start: CPU is the mean of the rows (the average rate over the
// bucket, as a cAdvisor rate() would report it) and memory the largest row
// (the peak, which is what an OOM kill depends on). Buckets without rows are
// left out: a gap stays a gap. The interval becomes width and the conversion
// is recorded in Meta.Conversions. A width under 1 s does nothing.
func (t *Trace) Resample(width time.Duration) {
	if width < time.Second || t.Len() == 0 {
		return
	}
	w := int64(width / time.Second)
	out := &Trace{ID: t.ID, Meta: t.Meta}
	rows, buckets := t.Len(), 0
	for i := 0; i < t.Len(); {
		b := floorDiv(t.Times[i].Unix(), w)
		var cpu, mem float64
		n := 0
		for ; i < t.Len() && floorDiv(t.Times[i].Unix(), w) == b; i++ {
			cpu += t.CPUMillicores[i]
			mem = math.Max(mem, t.MemoryBytes[i])
			n++
		}
		out.Append(time.Unix(b*w, 0).UTC(), math.Round(cpu/float64(n)*1e6)/1e6, mem)
		buckets++
	}
	t.Times, t.CPUMillicores, t.MemoryBytes = out.Times, out.CPUMillicores, out.MemoryBytes
	t.Meta.Interval = width
	t.Meta.Conversions = append(t.Meta.Conversions, fmt.Sprintf(
		"resampled to %s buckets (aligned to the epoch, each at its start): cpu = mean, memory = max of the rows in the bucket; %d rows became %d samples; buckets without rows are left out",
		width, rows, buckets))
}

// floorDiv is a / b rounded towards minus infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
