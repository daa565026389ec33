package workloads

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// DefaultStart is the time of the first generated sample unless told
// otherwise: a fixed Monday, so that a seed always gives the same bytes.
var DefaultStart = time.Date(2026, time.January, 5, 0, 0, 0, 0, time.UTC)

// Generator defaults.
const (
	DefaultDuration = 8 * 24 * time.Hour
	DefaultInterval = time.Minute
	// MaxSamples bounds the length of a generated trace.
	MaxSamples = 10_000_000
)

// Generate makes a trace of generator typ from its JSON config (nil means the
// shipped default), deterministic for seed: the same arguments give the same
// samples and the same trace.csv bytes. Samples are at start, start+interval,
// ... for the whole duration. Zero duration, interval or start mean
// DefaultDuration, DefaultInterval and DefaultStart. The interval must be a
// whole number of seconds (trace.csv stores Unix seconds).
//
// CPU and memory draw from separate random streams, so changing the CPU part
// of a config leaves the memory series unchanged. Meta.OriginalRequest is the
// config's "request", or by default 1.5 times the config's peak (see
// GeneratorConfig.DefaultRequest); it does not depend on the seed.
func Generate(typ string, config []byte, seed int64, duration, interval time.Duration, start time.Time) (*Trace, error) {
	name := "config"
	if config == nil {
		def, err := DefaultConfig(typ)
		if err != nil {
			return nil, err
		}
		config = def
		name = "default config " + typ + ".json"
	}
	cfg, err := ParseConfig(typ, config, name)
	if err != nil {
		return nil, err
	}
	return cfg.Generate(config, seed, duration, interval, start)
}

// Generate makes the trace of a parsed config; raw is the config as given,
// recorded in the metadata.
func (cfg *GeneratorConfig) Generate(raw []byte, seed int64, duration, interval time.Duration, start time.Time) (*Trace, error) {
	if duration == 0 {
		duration = DefaultDuration
	}
	if interval == 0 {
		interval = DefaultInterval
	}
	if start.IsZero() {
		start = DefaultStart
	}
	start = start.UTC()
	if interval < time.Second || interval%time.Second != 0 {
		return nil, fmt.Errorf("invalid interval %s: use a whole number of seconds, at least 1s", interval)
	}
	if duration < interval {
		return nil, fmt.Errorf("invalid duration %s: use at least one interval (%s)", duration, interval)
	}
	n := int64(duration / interval)
	if n > MaxSamples {
		return nil, fmt.Errorf("duration %s at interval %s gives %d samples, more than %d: use a longer interval or a shorter duration", duration, interval, n, MaxSamples)
	}
	for _, part := range []struct {
		field string
		p     resourceParams
	}{{"cpu", cfg.CPU}, {"memory", cfg.Memory}} {
		if ic, ok := part.p.(intervalChecker); ok {
			if err := ic.checkInterval(interval); err != nil {
				return nil, &InputError{File: cfg.name, Field: part.field + "." + fieldOf(err), Msg: msgOf(err)}
			}
		}
	}
	start = start.Truncate(time.Second)
	times := make([]time.Time, n)
	for i := range times {
		times[i] = start.Add(time.Duration(i) * interval)
	}
	cpu := cfg.CPU.values(rand.New(rand.NewPCG(uint64(seed), 1)), times, start)
	mem := cfg.Memory.values(rand.New(rand.NewPCG(uint64(seed), 2)), times, start)
	for i := range cpu {
		cpu[i] = math.Round(math.Max(cpu[i], 0)*1000) / 1000
		mem[i] = math.Round(math.Max(mem[i], 0))
	}
	// The recorded and hashed config is the given one without "_doc", with
	// keys sorted, so that editing documentation changes neither.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	delete(fields, "_doc")
	canon, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, canon); err != nil {
		return nil, err
	}
	s := seed
	req := cfg.originalRequest(times[len(times)-1].Sub(start))
	t := &Trace{
		Times:         times,
		CPUMillicores: cpu,
		MemoryBytes:   mem,
		Meta: Meta{
			Source:   "generator",
			Type:     cfg.Type,
			Interval: interval,
			Seed:     &s,
			Config:   json.RawMessage(compact.Bytes()),

			OriginalRequest: &req,
		},
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d\n%d\n%d\n%d\n", cfg.Type, seed, duration, interval, start.Unix())
	h.Write(compact.Bytes())
	t.ID = cfg.Type + "-" + hex.EncodeToString(h.Sum(nil))[:10]
	t.finish()
	return t, nil
}
