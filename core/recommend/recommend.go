// Package recommend defines the Recommender interface every smartvpa
// recommender implements, the evidence a recommender gives for its numbers, and
// a registry of recommenders by name. One subpackage per family implements it
// (vpa, autopilot, forecast, bandit, lstm, smart) and registers itself in init.
//
// Time is always an argument: a recommender never reads the wall clock, so a
// replay of the same samples gives the same recommendations.
package recommend

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// Recommender observes one container's usage and recommends its requests.
type Recommender interface {
	// Name is the registry name of the recommender, e.g. "vpa".
	Name() string
	// AddSample feeds one usage sample. Samples arrive in time order.
	AddSample(s model.Sample)
	// AddOOM records an out-of-memory kill of the container.
	AddOOM(e model.OOMEvent)
	// Recommend returns the recommendation at time now. ok is false while the
	// recommender has too little data to say anything.
	Recommend(now time.Time) (rec model.Recommendation, ok bool)
	// Explain returns the evidence behind the recommendation at time now.
	Explain(now time.Time) Explanation
}

// Explanation is the evidence behind a recommendation, for people.
type Explanation struct {
	Recommender string `json:"recommender"`
	// Resources holds the evidence per resource ("cpu", "memory").
	Resources map[model.Resource]Evidence `json:"resources,omitempty"`
	// Notes are free-form remarks, e.g. "warming up: using vpa".
	Notes []string `json:"notes,omitempty"`
}

// Evidence is what one resource's numbers rest on.
type Evidence struct {
	// Percentiles used for lower, target and upper (0 when not percentile-based).
	LowerPercentile  float64 `json:"lowerPercentile,omitempty"`
	TargetPercentile float64 `json:"targetPercentile,omitempty"`
	UpperPercentile  float64 `json:"upperPercentile,omitempty"`
	// SampleCount is the number of samples (or sample weight) behind the estimate.
	SampleCount float64 `json:"sampleCount"`
	// HistorySpan is the time between the first and last sample observed.
	HistorySpan time.Duration `json:"historySpan"`
	// Confidence is the recommender's confidence (VPA: history in days).
	Confidence float64 `json:"confidence"`
	// Margin is the safety margin fraction applied to the target (0.15 = 15 %).
	Margin float64 `json:"margin"`
	// CapsApplied names the caps and floors that changed the numbers.
	CapsApplied []string `json:"capsApplied,omitempty"`
}

// Config configures a recommender created from the registry.
type Config struct {
	// Seed seeds any randomness the recommender uses.
	Seed int64
	// ContainersInPod is the number of containers in the pod, used to split pod
	// level floors. 0 means 1.
	ContainersInPod int
	// Policy is the container resource policy (caps, controlled resources).
	Policy model.ContainerPolicy
	// ModelFile is the path to a trained model, for recommenders that take one;
	// empty means the default model.
	ModelFile string
	// CPUOnly tells the recommender that only its CPU values will be read:
	// it may skip memory, keeping no memory-side state and doing no
	// memory-side work. The memory values of its recommendations are then
	// unspecified (the recommenders that honour it give zero), and so is the
	// memory evidence of Explain; its CPU values, ok and CPU evidence are
	// the same as without CPUOnly. Smart sets it for the candidates it
	// follows for CPU only; a recommender that ignores it is correct.
	CPUOnly bool
	// UpdateInterval is the least time between two updates of the
	// container (the updater's --min-update-interval; 0: no such bound).
	// Recommenders that plan use it as their horizon: an answer stays in
	// force at least this long.
	UpdateInterval time.Duration
	// Profile names the risk profile for recommenders that take one
	// (smart: reliability, balanced, savings); empty means their default.
	Profile string
}

// Factory creates a fresh recommender for one container.
type Factory func(cfg Config) (Recommender, error)

var (
	mu       sync.RWMutex
	registry = map[string]Factory{}
)

// Register makes a recommender family available by name. It panics when the
// name is already taken, which is a programming error.
func Register(name string, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic("recommend: duplicate recommender " + name)
	}
	registry[name] = f
}

// profiled are the recommenders that take Config.Profile themselves.
var profiled = map[string]bool{}

// RegisterProfiled marks recommender name as one that takes Config.Profile
// itself (its risk is part of how it plans), so callers pass the profile on
// instead of shaping its answer for it.
func RegisterProfiled(name string) {
	mu.Lock()
	defer mu.Unlock()
	profiled[name] = true
}

// TakesProfile reports whether recommender name takes Config.Profile.
func TakesProfile(name string) bool {
	mu.RLock()
	defer mu.RUnlock()
	return profiled[name]
}

// Names returns the registered recommender names, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New creates the recommender registered under name.
func New(name string, cfg Config) (Recommender, error) {
	mu.RLock()
	f, ok := registry[name]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown recommender %q: choose one of %s", name, strings.Join(Names(), ", "))
	}
	r, err := f(cfg)
	if err != nil {
		return nil, err
	}
	return Guard(r, cfg.CPUOnly), nil
}

// Guard returns r behind the check every recommendation passes (New returns
// every recommender behind it): a recommendation with a negative, NaN or
// infinite value (of CPU alone when cpuOnly) is withheld (ok false, as
// while warming up) and Explain says which value it was, so no request
// of that kind ever reaches the simulator, a printout or a cluster,
// whatever a model file or a bug makes a recommender compute. Unwrap gives
// r back, for its optional interfaces (checkpoints).
func Guard(r Recommender, cpuOnly bool) Recommender {
	if g, ok := r.(*guarded); ok {
		return g
	}
	return &guarded{Recommender: r, cpuOnly: cpuOnly}
}

// Unwrap returns the recommender behind Guard (r itself when it is not
// guarded).
func Unwrap(r Recommender) Recommender {
	if g, ok := r.(*guarded); ok {
		return g.Recommender
	}
	return r
}

type guarded struct {
	Recommender
	cpuOnly bool
}

// Recommend implements Recommender. The simulator asks at every sample: the
// check is straight-line code, and the message is built only by Explain.
func (g *guarded) Recommend(now time.Time) (rec model.Recommendation, ok bool) {
	rec, ok = g.Recommender.Recommend(now)
	if ok && !valid(&rec, g.cpuOnly) {
		return model.Recommendation{}, false
	}
	return rec, ok
}

// valid reports whether Invalid finds nothing in r.
func valid(r *model.Recommendation, cpuOnly bool) bool {
	cpu := finite(r.Target.CPUMillicores) && finite(r.Lower.CPUMillicores) && finite(r.Upper.CPUMillicores) && finite(r.UncappedTarget.CPUMillicores)
	if cpuOnly {
		return cpu
	}
	return cpu && finite(r.Target.MemoryBytes) && finite(r.Lower.MemoryBytes) && finite(r.Upper.MemoryBytes) && finite(r.UncappedTarget.MemoryBytes)
}

// finite: not negative, NaN or infinite.
func finite(x float64) bool { return x >= 0 && x <= math.MaxFloat64 }

// Explain implements Recommender.
func (g *guarded) Explain(now time.Time) Explanation {
	ex := g.Recommender.Explain(now)
	if rec, ok := g.Recommender.Recommend(now); ok {
		if bad := Invalid(rec, g.cpuOnly); bad != "" {
			ex.Notes = append(ex.Notes, fmt.Sprintf("no recommendation: %s computed %s, which is not a request (check its model file)", g.Name(), bad))
		}
	}
	return ex
}

// Invalid names the first value of rec that is negative, NaN or infinite
// ("target cpu -6312m"), or returns "" when there is none. With cpuOnly only
// the CPU values are checked.
func Invalid(rec model.Recommendation, cpuOnly bool) string {
	for _, v := range []struct {
		name string
		r    model.Resources
	}{{"target", rec.Target}, {"lower bound", rec.Lower}, {"upper bound", rec.Upper}, {"uncapped target", rec.UncappedTarget}} {
		if x := v.r.CPUMillicores; !(x >= 0 && x <= math.MaxFloat64) {
			return fmt.Sprintf("%s cpu %vm", v.name, x)
		}
		if x := v.r.MemoryBytes; !cpuOnly && !(x >= 0 && x <= math.MaxFloat64) {
			return fmt.Sprintf("%s memory %v bytes", v.name, x)
		}
	}
	return ""
}
