package workloads

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// The shapes of the generators: each type's per-resource parameters
// (resourceParams), their validation, bound and values.

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
