package workloads

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
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

// The canonical default configs; data/configs/workloads/*.json are copies
// (a test keeps them identical).
//
//go:embed configs/*.json
var configFS embed.FS

// resourceParams are one resource's parameters of one generator type. CPU
// values are in millicores and memory values in bytes.
type resourceParams interface {
	validate() error
	// values returns one value per time; r is this resource's own random
	// stream, start the time of the first sample.
	values(r *rand.Rand, times []time.Time, start time.Time) []float64
	// peak is the highest value the parameters allow over span from the
	// first sample, noise included (an upper bound of values).
	peak(span time.Duration) float64
}

// intervalChecker is implemented by the parameters that are only valid for
// some sample intervals (the step generator's holds).
type intervalChecker interface {
	// checkInterval returns a fieldErr when the parameters cannot be
	// generated at interval.
	checkInterval(interval time.Duration) error
}

type genType struct {
	doc       string
	newParams func() resourceParams
}

var generators = map[string]genType{
	"step":       {"variable steps: a level drawn in [min,max] held for a random time", func() resourceParams { return &stepParams{} }},
	"sinusoidal": {"a sine wave of given period, amplitude and phase around a base", func() resourceParams { return &sineParams{} }},
	"low_high":   {"two levels alternating with fixed durations", func() resourceParams { return &lowHighParams{} }},
	"spikes":     {"short bursts on a baseline, starting at random", func() resourceParams { return &spikeParams{} }},
	"trend":      {"slow linear growth (a leak), optionally reset when it reaches a ceiling", func() resourceParams { return &trendParams{} }},
	"weekly":     {"a daily cycle with quieter weekends and noise", func() resourceParams { return &weeklyParams{} }},
}

// GeneratorTypes returns the generator type names, sorted.
func GeneratorTypes() []string {
	out := make([]string, 0, len(generators))
	for k := range generators {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// GeneratorDoc returns a one-line description of generator typ.
func GeneratorDoc(typ string) string { return generators[typ].doc }

// DefaultConfig returns the shipped default JSON config of generator typ.
func DefaultConfig(typ string) ([]byte, error) {
	if _, ok := generators[typ]; !ok {
		return nil, unknownType(typ)
	}
	return configFS.ReadFile("configs/" + typ + ".json")
}

func unknownType(typ string) error {
	return fmt.Errorf("unknown workload type %q: use one of %s", typ, strings.Join(GeneratorTypes(), ", "))
}

// Duration is a time.Duration written in JSON as a Go duration string ("2h").
type Duration time.Duration

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`want a duration string such as "2h30m"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration string such as \"2h30m\", got %q", clip(s))
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// GeneratorConfig is the parsed config of one generator.
type GeneratorConfig struct {
	Type   string
	CPU    resourceParams
	Memory resourceParams
	// Request is the config's optional "request": the container's original
	// request, recorded in Meta.OriginalRequest. A zero field means the
	// default, DefaultRequestFactor times the resource's peak, rounded up
	// (see DefaultRequest).
	Request model.Resources

	name string // the config's name in messages
}

// Default original request of generated traces: DefaultRequestFactor times
// the peak the config allows (noise included), rounded up to a multiple of
// CPURequestStep millicores and MemoryRequestStep bytes, as an
// over-provisioned container would be configured.
const (
	DefaultRequestFactor = 1.5
	CPURequestStep       = 100.0          // millicores
	MemoryRequestStep    = 64 * model.MiB // bytes
)

// DefaultRequest returns the original request a generated trace of this
// config and duration gets when the config sets no "request" (or a zero
// field of it): DefaultRequestFactor times the peak of each resource over
// the duration, rounded up to CPURequestStep and MemoryRequestStep, and at
// least one step.
func (cfg *GeneratorConfig) DefaultRequest(duration time.Duration) model.Resources {
	return model.Resources{
		CPUMillicores: roundUpRequest(DefaultRequestFactor*cfg.CPU.peak(duration), CPURequestStep),
		MemoryBytes:   roundUpRequest(DefaultRequestFactor*cfg.Memory.peak(duration), MemoryRequestStep),
	}
}

func roundUpRequest(v, step float64) float64 {
	return math.Max(1, math.Ceil(v/step)) * step
}

// originalRequest is the config's request with zero fields set to the default.
func (cfg *GeneratorConfig) originalRequest(duration time.Duration) model.Resources {
	r, def := cfg.Request, cfg.DefaultRequest(duration)
	if r.CPUMillicores == 0 {
		r.CPUMillicores = def.CPUMillicores
	}
	if r.MemoryBytes == 0 {
		r.MemoryBytes = def.MemoryBytes
	}
	return r
}

// requestConfig is the optional "request" of a config.
type requestConfig struct {
	CPUMillicores float64 `json:"cpuMillicores"`
	MemoryBytes   float64 `json:"memoryBytes"`
}

// ParseConfig parses and validates a generator config; name is used in
// error messages. Unknown fields are errors (a typo must not pass silently);
// "_doc" holds documentation and is ignored. Besides "cpu" and "memory", a
// config may set "request": {"cpuMillicores": n, "memoryBytes": n}, the
// container's original request (a field left out or 0 takes the default, see
// GeneratorConfig.DefaultRequest).
func ParseConfig(typ string, data []byte, name string) (*GeneratorConfig, error) {
	g, ok := generators[typ]
	if !ok {
		return nil, unknownType(typ)
	}
	var top struct {
		Doc     json.RawMessage `json:"_doc"`
		CPU     json.RawMessage `json:"cpu"`
		Memory  json.RawMessage `json:"memory"`
		Request json.RawMessage `json:"request"`
	}
	if err := strictDecode(data, &top); err != nil {
		return nil, configError(name, data, "", err)
	}
	cfg := &GeneratorConfig{Type: typ, name: name}
	if raw := top.Request; len(raw) != 0 && string(raw) != "null" {
		if raw[0] != '{' {
			return nil, &InputError{File: name, Field: "request", Msg: `want an object such as {"cpuMillicores": 1000, "memoryBytes": 1073741824}`}
		}
		var r requestConfig
		if err := strictDecode(raw, &r); err != nil {
			return nil, configError(name, data, "request", err)
		}
		for _, f := range []struct {
			field string
			v     float64
		}{{"cpuMillicores", r.CPUMillicores}, {"memoryBytes", r.MemoryBytes}} {
			if err := nonNeg(f.field, f.v); err != nil {
				return nil, &InputError{File: name, Field: "request." + f.field, Msg: msgOf(err) + " (0 or left out: the default, 1.5 times the peak)"}
			}
		}
		cfg.Request = model.Resources{CPUMillicores: r.CPUMillicores, MemoryBytes: r.MemoryBytes}
	}
	for _, part := range []struct {
		field string
		raw   json.RawMessage
		dst   *resourceParams
	}{{"cpu", top.CPU, &cfg.CPU}, {"memory", top.Memory, &cfg.Memory}} {
		if len(part.raw) == 0 || string(part.raw) == "null" {
			return nil, &InputError{File: name, Field: part.field, Msg: "missing: every config sets cpu and memory"}
		}
		p := g.newParams()
		if err := strictDecode(part.raw, p); err != nil {
			return nil, configError(name, data, part.field+culprit(g, part.raw), err)
		}
		if err := p.validate(); err != nil {
			return nil, &InputError{File: name, Field: part.field + "." + fieldOf(err), Msg: msgOf(err)}
		}
		*part.dst = p
	}
	return cfg, nil
}

// culprit finds the field of raw whose value fails to decode on its own
// (errors from custom decoders carry no field name): ".name" or "".
func culprit(g genType, raw json.RawMessage) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return ""
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		one, _ := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		var te *json.UnmarshalTypeError
		if err := strictDecode(one, g.newParams()); err != nil && !errors.As(err, &te) && !strings.HasPrefix(err.Error(), "json: unknown field") {
			return "." + k
		}
	}
	return ""
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

func configError(name string, data []byte, prefix string, err error) error {
	ie := &InputError{File: name, Msg: err.Error()}
	join := func(f string) string {
		if prefix == "" {
			return f
		}
		if f == "" {
			return prefix
		}
		return prefix + "." + f
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		if prefix == "" {
			ie.Line = lineAt(data, se.Offset)
		}
		ie.Msg = "invalid JSON: " + strings.TrimPrefix(se.Error(), "json: ")
	case errors.As(err, &te):
		ie.Field = join(te.Field)
		ie.Msg = fmt.Sprintf("want a %s, got JSON %s", te.Type, te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		ie.Field = join(f)
		ie.Msg = "unknown field: check the spelling against the shipped config"
	case errors.Is(err, io.EOF):
		ie.Msg = "empty config: want a JSON object"
	default:
		ie.Field = prefix
		ie.Msg = strings.TrimPrefix(err.Error(), "json: ")
	}
	return ie
}

func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// fieldErr is a validation error of one config field.
type fieldErr struct{ field, msg string }

func (e fieldErr) Error() string { return e.field + ": " + e.msg }

func fieldOf(err error) string {
	var fe fieldErr
	if errors.As(err, &fe) {
		return fe.field
	}
	return ""
}

func msgOf(err error) string {
	var fe fieldErr
	if errors.As(err, &fe) {
		return fe.msg
	}
	return err.Error()
}

func errf(field, format string, args ...any) error {
	return fieldErr{field, fmt.Sprintf(format, args...)}
}

func nonNeg(field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return errf(field, "must be a number >= 0, got %g", v)
	}
	return nil
}

func fraction(field string, v float64) error {
	if math.IsNaN(v) || v < 0 || v > 1 {
		return errf(field, "must be between 0 and 1, got %g", v)
	}
	return nil
}

func positiveDur(field string, d Duration) error {
	if d <= 0 {
		return errf(field, "must be a positive duration, got %s", d.D())
	}
	return nil
}

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

// noise multiplies v by a factor drawn uniformly from [1-amount, 1+amount].
func noise(r *rand.Rand, v, amount float64) float64 {
	if amount == 0 {
		return v
	}
	return v * (1 + amount*(2*r.Float64()-1))
}

func randDur(r *rand.Rand, lo, hi Duration) time.Duration {
	if hi <= lo {
		return lo.D()
	}
	return lo.D() + time.Duration(r.Int64N(int64(hi-lo)+1))
}

// stepParams: a level drawn uniformly in [Min, Max], held for a time drawn
// uniformly in [MinHold, MaxHold], then a new level.
type stepParams struct {
	Min     float64  `json:"min"`
	Max     float64  `json:"max"`
	MinHold Duration `json:"minHold"`
	MaxHold Duration `json:"maxHold"`
	Noise   float64  `json:"noise"`
}

func (p *stepParams) validate() error {
	if err := nonNeg("min", p.Min); err != nil {
		return err
	}
	if err := nonNeg("max", p.Max); err != nil {
		return err
	}
	if p.Max < p.Min {
		return errf("max", "must be >= min (%g), got %g", p.Min, p.Max)
	}
	if err := positiveDur("minHold", p.MinHold); err != nil {
		return err
	}
	if p.MaxHold < p.MinHold {
		return errf("maxHold", "must be >= minHold (%s), got %s", p.MinHold.D(), p.MaxHold.D())
	}
	return fraction("noise", p.Noise)
}

// checkInterval refuses holds shorter than the interval: a level would
// change more than once a sample (and a hold of 1ns would take
// duration/1ns steps to generate).
func (p *stepParams) checkInterval(interval time.Duration) error {
	if p.MinHold.D() < interval {
		return errf("minHold", "must be at least the sample interval (%s), got %s: use a longer hold or a shorter --interval", interval, p.MinHold.D())
	}
	return nil
}

func (p *stepParams) peak(time.Duration) float64 { return p.Max * (1 + p.Noise) }

func (p *stepParams) values(r *rand.Rand, times []time.Time, start time.Time) []float64 {
	out := make([]float64, len(times))
	level := p.Min + (p.Max-p.Min)*r.Float64()
	next := start.Add(randDur(r, p.MinHold, p.MaxHold))
	for i, t := range times {
		for !t.Before(next) {
			level = p.Min + (p.Max-p.Min)*r.Float64()
			next = next.Add(randDur(r, p.MinHold, p.MaxHold))
		}
		out[i] = noise(r, level, p.Noise)
	}
	return out
}

// sineParams: Base + Amplitude*sin(2π((t-start)/Period + Phase)), with noise.
type sineParams struct {
	Base      float64  `json:"base"`
	Amplitude float64  `json:"amplitude"`
	Period    Duration `json:"period"`
	Phase     float64  `json:"phase"`
	Noise     float64  `json:"noise"`
}

func (p *sineParams) validate() error {
	if err := nonNeg("base", p.Base); err != nil {
		return err
	}
	if err := nonNeg("amplitude", p.Amplitude); err != nil {
		return err
	}
	if p.Amplitude > p.Base {
		return errf("amplitude", "must be <= base (%g) so usage stays >= 0, got %g", p.Base, p.Amplitude)
	}
	if err := positiveDur("period", p.Period); err != nil {
		return err
	}
	if math.IsNaN(p.Phase) || p.Phase < 0 || p.Phase >= 1 {
		return errf("phase", "must be a fraction of the period in [0, 1), got %g", p.Phase)
	}
	return fraction("noise", p.Noise)
}

func (p *sineParams) peak(time.Duration) float64 {
	return (p.Base + p.Amplitude) * (1 + p.Noise)
}

func (p *sineParams) clean(t, start time.Time) float64 {
	x := float64(t.Sub(start))/float64(p.Period) + p.Phase
	return p.Base + p.Amplitude*math.Sin(2*math.Pi*x)
}

func (p *sineParams) values(r *rand.Rand, times []time.Time, start time.Time) []float64 {
	out := make([]float64, len(times))
	for i, t := range times {
		out[i] = noise(r, p.clean(t, start), p.Noise)
	}
	return out
}

// lowHighParams: Low for LowDuration, then High for HighDuration, repeated
// (StartHigh starts with the high level).
type lowHighParams struct {
	Low          float64  `json:"low"`
	High         float64  `json:"high"`
	LowDuration  Duration `json:"lowDuration"`
	HighDuration Duration `json:"highDuration"`
	StartHigh    bool     `json:"startHigh"`
	Noise        float64  `json:"noise"`
}

func (p *lowHighParams) validate() error {
	if err := nonNeg("low", p.Low); err != nil {
		return err
	}
	if err := nonNeg("high", p.High); err != nil {
		return err
	}
	if p.High < p.Low {
		return errf("high", "must be >= low (%g), got %g", p.Low, p.High)
	}
	if err := positiveDur("lowDuration", p.LowDuration); err != nil {
		return err
	}
	if err := positiveDur("highDuration", p.HighDuration); err != nil {
		return err
	}
	return fraction("noise", p.Noise)
}

func (p *lowHighParams) peak(time.Duration) float64 { return p.High * (1 + p.Noise) }

// isHigh reports whether the clean signal is at the high level at t.
func (p *lowHighParams) isHigh(t, start time.Time) bool {
	cycle := p.LowDuration + p.HighDuration
	off := t.Sub(start) % time.Duration(cycle)
	if p.StartHigh {
		return off < p.HighDuration.D()
	}
	return off >= p.LowDuration.D()
}

func (p *lowHighParams) values(r *rand.Rand, times []time.Time, start time.Time) []float64 {
	out := make([]float64, len(times))
	for i, t := range times {
		v := p.Low
		if p.isHigh(t, start) {
			v = p.High
		}
		out[i] = noise(r, v, p.Noise)
	}
	return out
}

// spikeParams: Base, plus Height during spikes of length SpikeDuration that
// start at random with RatePerHour spikes per hour on average.
type spikeParams struct {
	Base          float64  `json:"base"`
	Height        float64  `json:"height"`
	RatePerHour   float64  `json:"ratePerHour"`
	SpikeDuration Duration `json:"spikeDuration"`
	Noise         float64  `json:"noise"`
}

func (p *spikeParams) validate() error {
	if err := nonNeg("base", p.Base); err != nil {
		return err
	}
	if err := nonNeg("height", p.Height); err != nil {
		return err
	}
	if err := nonNeg("ratePerHour", p.RatePerHour); err != nil {
		return err
	}
	if err := positiveDur("spikeDuration", p.SpikeDuration); err != nil {
		return err
	}
	return fraction("noise", p.Noise)
}

func (p *spikeParams) peak(time.Duration) float64 {
	v := p.Base
	if p.RatePerHour > 0 {
		v += p.Height
	}
	return v * (1 + p.Noise)
}

func (p *spikeParams) values(r *rand.Rand, times []time.Time, start time.Time) []float64 {
	out := make([]float64, len(times))
	var until time.Time // end of the current spike
	prev := start
	for i, t := range times {
		// Probability that a spike starts in the elapsed time (Poisson).
		dt := t.Sub(prev).Hours()
		if i == 0 {
			dt = 0
		}
		prev = t
		if !t.Before(until) && dt > 0 && r.Float64() < 1-math.Exp(-p.RatePerHour*dt) {
			until = t.Add(p.SpikeDuration.D())
		}
		v := p.Base
		if t.Before(until) {
			v += p.Height
		}
		out[i] = noise(r, v, p.Noise)
	}
	return out
}

// trendParams: Initial + SlopePerHour*hours, reset to Initial whenever it
// reaches Ceiling (a restart after a leak); Ceiling 0 means never.
type trendParams struct {
	Initial      float64 `json:"initial"`
	SlopePerHour float64 `json:"slopePerHour"`
	Ceiling      float64 `json:"ceiling"`
	Noise        float64 `json:"noise"`
}

func (p *trendParams) validate() error {
	if err := nonNeg("initial", p.Initial); err != nil {
		return err
	}
	if math.IsNaN(p.SlopePerHour) || math.IsInf(p.SlopePerHour, 0) {
		return errf("slopePerHour", "must be a finite number, got %g", p.SlopePerHour)
	}
	if err := nonNeg("ceiling", p.Ceiling); err != nil {
		return err
	}
	if p.Ceiling != 0 && (p.Ceiling <= p.Initial || p.SlopePerHour <= 0) {
		return errf("ceiling", "must be 0 (none) or above initial (%g) with a positive slope, got %g", p.Initial, p.Ceiling)
	}
	return fraction("noise", p.Noise)
}

// peak is the ceiling when there is one, else the level at the end of span
// (or the initial level when the slope is not positive).
func (p *trendParams) peak(span time.Duration) float64 {
	v := p.Initial
	switch {
	case p.Ceiling > 0:
		v = p.Ceiling
	case p.SlopePerHour > 0:
		v += p.SlopePerHour * span.Hours()
	}
	return v * (1 + p.Noise)
}

func (p *trendParams) clean(t, start time.Time) float64 {
	h := t.Sub(start).Hours()
	if p.Ceiling > 0 {
		cycle := (p.Ceiling - p.Initial) / p.SlopePerHour
		h = math.Mod(h, cycle)
	}
	return p.Initial + p.SlopePerHour*h
}

func (p *trendParams) values(r *rand.Rand, times []time.Time, start time.Time) []float64 {
	out := make([]float64, len(times))
	for i, t := range times {
		out[i] = noise(r, p.clean(t, start), p.Noise)
	}
	return out
}

// weeklyParams: Base * (1 + DailyAmplitude*cos(2π(hour-PeakHour)/24)), times
// WeekendFactor on Saturdays and Sundays (UTC), with noise.
type weeklyParams struct {
	Base           float64 `json:"base"`
	DailyAmplitude float64 `json:"dailyAmplitude"`
	PeakHour       float64 `json:"peakHour"`
	WeekendFactor  float64 `json:"weekendFactor"`
	Noise          float64 `json:"noise"`
}

func (p *weeklyParams) validate() error {
	if err := nonNeg("base", p.Base); err != nil {
		return err
	}
	if err := fraction("dailyAmplitude", p.DailyAmplitude); err != nil {
		return err
	}
	if math.IsNaN(p.PeakHour) || p.PeakHour < 0 || p.PeakHour >= 24 {
		return errf("peakHour", "must be an hour of the day in [0, 24), got %g", p.PeakHour)
	}
	if err := nonNeg("weekendFactor", p.WeekendFactor); err != nil {
		return err
	}
	return fraction("noise", p.Noise)
}

func (p *weeklyParams) peak(time.Duration) float64 {
	return p.Base * (1 + p.DailyAmplitude) * math.Max(1, p.WeekendFactor) * (1 + p.Noise)
}

func (p *weeklyParams) clean(t time.Time) float64 {
	t = t.UTC()
	hour := float64(t.Hour()) + float64(t.Minute())/60 + float64(t.Second())/3600
	v := p.Base * (1 + p.DailyAmplitude*math.Cos(2*math.Pi*(hour-p.PeakHour)/24))
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		v *= p.WeekendFactor
	}
	return v
}

func (p *weeklyParams) values(r *rand.Rand, times []time.Time, start time.Time) []float64 {
	out := make([]float64, len(times))
	for i, t := range times {
		out[i] = noise(r, p.clean(t), p.Noise)
	}
	return out
}
