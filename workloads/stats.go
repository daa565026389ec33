package workloads

import (
	"math"
	"sort"
)

// SeriesStats summarises one resource of a trace.
type SeriesStats struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// Stats summarises a trace: CPU in millicores and memory in bytes.
type Stats struct {
	CPUMillicores SeriesStats `json:"cpuMillicores"`
	MemoryBytes   SeriesStats `json:"memoryBytes"`
}

// Stats returns the summary of t (zero for an empty trace).
func (t *Trace) Stats() Stats {
	return Stats{CPUMillicores: summarise(t.CPUMillicores), MemoryBytes: summarise(t.MemoryBytes)}
}

func summarise(v []float64) SeriesStats {
	if len(v) == 0 {
		return SeriesStats{}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return SeriesStats{Min: s[0], Mean: sum / float64(len(s)), P50: percentile(s, 0.5), P95: percentile(s, 0.95), P99: percentile(s, 0.99), Max: s[len(s)-1]}
}

// percentile of sorted s by the nearest-rank method.
func percentile(s []float64, p float64) float64 {
	i := int(math.Ceil(p*float64(len(s)))) - 1
	if i < 0 {
		i = 0
	}
	return s[i]
}

// Downsample reduces v to at most n points, each the maximum of its bucket
// (peaks matter when sizing requests). It returns v itself when it is short.
func Downsample(v []float64, n int) []float64 {
	if n <= 0 || len(v) <= n {
		return v
	}
	out := make([]float64, n)
	for b := 0; b < n; b++ {
		lo, hi := b*len(v)/n, (b+1)*len(v)/n
		m := v[lo]
		for _, x := range v[lo:hi] {
			m = math.Max(m, x)
		}
		out[b] = m
	}
	return out
}
