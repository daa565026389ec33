package main

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/workloads"
)

// Point is one sample of a usage trace, at an offset from the start of the trace.
type Point struct {
	Offset        time.Duration
	CPUMillicores float64
	MemoryBytes   float64
}

// Trace is a usage curve sampled at increasing offsets; it repeats after Period.
type Trace struct {
	ID     string
	Source string // file path, or "builtin:<kind>"
	Points []Point
	Period time.Duration
}

// At returns the usage at offset d (wrapped modulo the period): the last sample at or before it.
func (t *Trace) At(d time.Duration) Point {
	if len(t.Points) == 0 {
		return Point{CPUMillicores: 1, MemoryBytes: 1 << 20}
	}
	if t.Period > 0 {
		d %= t.Period
		if d < 0 {
			d += t.Period
		}
	}
	lo, hi := 0, len(t.Points)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if t.Points[mid].Offset <= d {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return t.Points[lo]
}

// LoadTrace returns the trace with this id, in this order:
//   - the workloads store: dataDir/<id>/trace.csv (written by `kubectl smartvpa workload`);
//   - when the id's kind (its prefix before '-', e.g. "step" in "step-api") is a generator of the
//     workloads package: that generator with its shipped default config, 14 days at 5 minutes,
//     seeded from the id, saved into the store (best effort) so the plugin sees the same trace;
//   - otherwise a built-in curve (constant, batch, ...; see Builtin).
func LoadTrace(dataDir, id string) (*Trace, error) {
	if dataDir != "" {
		path := filepath.Join(dataDir, id, workloads.TraceFile)
		f, err := os.Open(path)
		if err == nil {
			defer f.Close() //nolint:errcheck // only read: closing it reports nothing to act on
			tr, err := ParseTraceCSV(f, path)
			if err != nil {
				return nil, err
			}
			tr.ID = id
			return tr, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open trace %s: %w", path, err)
		}
	}
	kind := kindOf(id)
	if slices.Contains(workloads.GeneratorTypes(), kind) {
		h := fnv.New64a()
		_, _ = h.Write([]byte(id))
		wt, err := workloads.Generate(kind, nil, int64(h.Sum64()>>1), 14*24*time.Hour, 5*time.Minute, time.Time{})
		if err != nil {
			return nil, fmt.Errorf("generate trace %s (%s): %w", id, kind, err)
		}
		wt.ID = id
		wt.Meta.ID = id
		source := "generator:" + kind
		if dataDir != "" {
			st := workloads.OpenStore(dataDir)
			st.Overwrite = true // the same id is the same generated trace
			if _, err := st.Save(wt); err == nil {
				source = filepath.Join(dataDir, id, workloads.TraceFile)
			}
		}
		tr := &Trace{ID: id, Source: source}
		for i := range wt.Times {
			tr.Points = append(tr.Points, Point{
				Offset:        wt.Times[i].Sub(wt.Times[0]),
				CPUMillicores: max(wt.CPUMillicores[i], 1),
				MemoryBytes:   max(wt.MemoryBytes[i], 1<<20),
			})
		}
		tr.Period = tr.Points[len(tr.Points)-1].Offset + 5*time.Minute
		return tr, nil
	}
	return Builtin(id), nil
}

// kindOf returns the generator kind named by a trace id: the id itself or its prefix before '-'.
func kindOf(id string) string {
	kind, _, _ := strings.Cut(id, "-")
	return kind
}

// ParseTraceCSV reads the workloads store format: a header `timestamp,cpu_millicores,memory_bytes`
// then one row per sample. Timestamps are RFC 3339, Unix seconds, or Unix milliseconds; only their
// differences matter.
func ParseTraceCSV(r io.Reader, name string) (*Trace, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var (
		tr     = &Trace{Source: name}
		first  time.Time
		line   int
		header = true
		cols   = map[string]int{}
	)
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, ",")
		if header {
			for i, f := range fields {
				cols[strings.TrimSpace(f)] = i
			}
			for _, want := range []string{"timestamp", "cpu_millicores", "memory_bytes"} {
				if _, ok := cols[want]; !ok {
					return nil, fmt.Errorf("%s:%d: header has no %q column (want timestamp,cpu_millicores,memory_bytes)", name, line, want)
				}
			}
			header = false
			continue
		}
		get := func(col string) string {
			i := cols[col]
			if i >= len(fields) {
				return ""
			}
			return strings.TrimSpace(fields[i])
		}
		ts, err := parseTimestamp(get("timestamp"))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: field timestamp: %w", name, line, err)
		}
		cpu, err := strconv.ParseFloat(get("cpu_millicores"), 64)
		if err != nil || cpu < 0 || math.IsNaN(cpu) || math.IsInf(cpu, 0) {
			return nil, fmt.Errorf("%s:%d: field cpu_millicores: want a non-negative number, got %q", name, line, get("cpu_millicores"))
		}
		mem, err := strconv.ParseFloat(get("memory_bytes"), 64)
		if err != nil || mem < 0 || math.IsNaN(mem) || math.IsInf(mem, 0) {
			return nil, fmt.Errorf("%s:%d: field memory_bytes: want a non-negative number, got %q", name, line, get("memory_bytes"))
		}
		if len(tr.Points) == 0 {
			first = ts
		}
		off := ts.Sub(first)
		if n := len(tr.Points); n > 0 && off <= tr.Points[n-1].Offset {
			return nil, fmt.Errorf("%s:%d: field timestamp: not after the previous row", name, line)
		}
		tr.Points = append(tr.Points, Point{Offset: off, CPUMillicores: cpu, MemoryBytes: mem})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(tr.Points) == 0 {
		return nil, fmt.Errorf("%s: no samples", name)
	}
	step := time.Minute
	if n := len(tr.Points); n > 1 {
		step = tr.Points[n-1].Offset / time.Duration(n-1)
	}
	tr.Period = tr.Points[len(tr.Points)-1].Offset + step
	return tr, nil
}

func parseTimestamp(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("empty")
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		if v > 1e12 { // milliseconds
			return time.UnixMilli(int64(v)).UTC(), nil
		}
		sec, frac := math.Modf(v)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want RFC 3339 or Unix seconds, got %q", s)
	}
	return t, nil
}

// Builtin kinds, chosen by the trace id's kind (see kindOf); unknown kinds get "sinusoidal".
// The workloads package's generators take precedence in LoadTrace; these cover the kinds it does
// not have (constant, batch) and keep the driver working without it.
var builtinKinds = []string{"sinusoidal", "step", "spikes", "low_high", "constant", "batch"}

// Builtin generates a deterministic 14-day curve at a 5-minute step for the trace id.
func Builtin(id string) *Trace {
	kind := kindOf(id)
	if !slices.Contains(builtinKinds, kind) {
		kind = "sinusoidal"
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x5eed))
	const (
		step = 5 * time.Minute
		days = 14
		mi   = 1 << 20
	)
	n := int(days * 24 * time.Hour / step)
	tr := &Trace{ID: id, Source: "builtin:" + kind, Period: time.Duration(n) * step}
	noise := func(scale float64) float64 { return rng.NormFloat64() * scale }
	spikeLeft := 0
	for i := 0; i < n; i++ {
		off := time.Duration(i) * step
		hours := off.Hours()
		day := 2 * math.Pi * hours / 24
		var cpu, mem float64
		switch kind {
		case "sinusoidal":
			cpu = 350 + 250*math.Sin(day) + noise(20)
			mem = 400*mi + 80*mi*math.Sin(day-0.5) + noise(4*mi)
		case "step":
			level := 1.0
			if math.Mod(hours, 7*24) >= 3.5*24 {
				level = 3
			}
			cpu = 150*level + noise(10)
			mem = 200*mi + 60*mi*level + noise(3*mi)
		case "spikes":
			if spikeLeft == 0 && rng.Float64() < 1.0/36 {
				spikeLeft = 2 + rng.IntN(3)
			}
			cpu, mem = 100+noise(8), 150*mi+noise(2*mi)
			if spikeLeft > 0 {
				spikeLeft--
				cpu, mem = 900+noise(40), 400*mi+noise(10*mi)
			}
		case "low_high":
			if math.Mod(hours, 24) < 12 {
				cpu, mem = 50+noise(5), 300*mi+noise(3*mi)
			} else {
				cpu, mem = 500+noise(25), 700*mi+noise(8*mi)
			}
		case "constant":
			cpu, mem = 20+noise(2), 30*mi+noise(mi/2)
		case "batch":
			cpu, mem = 800+noise(50), 600*mi+noise(20*mi)
		}
		tr.Points = append(tr.Points, Point{Offset: off, CPUMillicores: max(cpu, 1), MemoryBytes: max(mem, mi)})
	}
	return tr
}
