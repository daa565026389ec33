package sim

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// OracleName is the name under which NewRecommender builds the oracle.
const OracleName = "oracle"

// DefaultOracleWindow is the oracle's default window.
const DefaultOracleWindow = 24 * time.Hour

// Oracle is a recommender that sees the future: for the sample a
// recommendation will be applied to, it recommends the peak usage of that
// sample's window and of the next sample's (windows of Window from the first
// sample: a resize applies only after the resize delay, so the request at the
// start of the next sample is still this one), as lower = target = upper =
// uncapped target. It changes its answer about once per
// window and, with a memory limit at least the request and no update budget
// shorter than its window, is not OOM-killed once its first resize has
// applied (the first sample after the warm-up still starts at the initial
// request). It is a hindsight reference for recommenders that change requests
// about once per window, not a bound: one that updates more often (in place,
// many times a day) can waste less than the oracle, at the cost of updates;
// compare at the same update budget or with a shorter window.
//
// It ignores the samples and OOM events it is fed: it already knows them.
type Oracle struct {
	window  time.Duration
	start   time.Time
	samples []model.Sample // the workload's samples, shared, read only
	peaks   []model.Resources
	next    int // index of the first sample after the last now
}

var _ recommend.Recommender = (*Oracle)(nil)

// NewOracle builds the oracle for workload w with the given window (0 means
// DefaultOracleWindow). The oracle keeps w's samples, which must stay
// unchanged while it is used.
func NewOracle(w *Workload, window time.Duration) (*Oracle, error) {
	return NewOracleQuantile(w, window, 1)
}

// NewOracleQuantile is NewOracle requesting the q-quantile of each window's
// CPU usage instead of its peak (q in (0, 1]; 0 means 1); memory is still
// the window's peak, so it is still never OOM-killed. A quantile below 1
// trades CPU over-request for less slack: the reference for a recommender
// that accepts some over-request.
func NewOracleQuantile(w *Workload, window time.Duration, q float64) (*Oracle, error) {
	if window < 0 {
		return nil, fmt.Errorf("negative oracle window %s: use a positive duration such as 24h", window)
	}
	if window == 0 {
		window = DefaultOracleWindow
	}
	if len(w.Samples) == 0 {
		return nil, fmt.Errorf("workload %q has no samples: the oracle needs the whole trace", w.ID)
	}
	o := &Oracle{window: window, start: w.Samples[0].Time, samples: w.Samples}
	for _, s := range w.Samples {
		k := o.windowOf(s.Time)
		for len(o.peaks) <= k {
			o.peaks = append(o.peaks, model.Resources{})
		}
		p := &o.peaks[k]
		if s.CPUMillicores > p.CPUMillicores {
			p.CPUMillicores = s.CPUMillicores
		}
		if s.MemoryBytes > p.MemoryBytes {
			p.MemoryBytes = s.MemoryBytes
		}
	}
	if q > 0 && q < 1 {
		// The q-quantile of each window's CPU (nearest rank, rounded up);
		// samples are in time order, so a window's samples are contiguous.
		var cpu []float64
		for i := 0; i < len(w.Samples); {
			k := o.windowOf(w.Samples[i].Time)
			cpu = cpu[:0]
			for ; i < len(w.Samples) && o.windowOf(w.Samples[i].Time) == k; i++ {
				cpu = append(cpu, w.Samples[i].CPUMillicores)
			}
			slices.Sort(cpu)
			rank := int(math.Ceil(q*float64(len(cpu)))) - 1
			o.peaks[k].CPUMillicores = cpu[max(rank, 0)]
		}
	}
	return o, nil
}

func (o *Oracle) windowOf(t time.Time) int {
	d := t.Sub(o.start)
	if d < 0 {
		return 0
	}
	return int(d / o.window)
}

// Name implements recommend.Recommender.
func (o *Oracle) Name() string { return OracleName }

// AddSample implements recommend.Recommender; the oracle already knows the trace.
func (o *Oracle) AddSample(model.Sample) {}

// AddOOM implements recommend.Recommender; the oracle already knows the trace.
func (o *Oracle) AddOOM(model.OOMEvent) {}

// target returns the peak of the window of the first sample after now (of the
// last sample when now is at or after it).
func (o *Oracle) target(now time.Time) model.Resources {
	// now normally moves forward one sample at a time: advance the cursor,
	// and search when it moved back.
	ss := o.samples
	if o.next > 0 && ss[o.next-1].Time.After(now) {
		o.next = sort.Search(len(ss), func(i int) bool { return ss[i].Time.After(now) })
	}
	for o.next < len(ss) && !ss[o.next].Time.After(now) {
		o.next++
	}
	i := min(o.next, len(ss)-1)
	p := o.peaks[o.windowOf(ss[i].Time)]
	// A resize applies some time into the sample it is decided at (the
	// resize delay), so the request in force at the start of the sample
	// after is still this answer: cover that sample's window too.
	if j := min(i+1, len(ss)-1); j != i {
		q := o.peaks[o.windowOf(ss[j].Time)]
		p.CPUMillicores = max(p.CPUMillicores, q.CPUMillicores)
		p.MemoryBytes = max(p.MemoryBytes, q.MemoryBytes)
	}
	return p
}

// Recommend implements recommend.Recommender. It always has an answer.
func (o *Oracle) Recommend(now time.Time) (model.Recommendation, bool) {
	p := o.target(now)
	return model.Recommendation{Lower: p, Target: p, Upper: p, UncappedTarget: p}, true
}

// Explain implements recommend.Recommender.
func (o *Oracle) Explain(now time.Time) recommend.Explanation {
	return recommend.Explanation{
		Recommender: OracleName,
		Notes: []string{fmt.Sprintf("hindsight: peak usage of the %s window of the next sample (window %d of %d)",
			o.window, o.windowOf(o.samples[min(o.next, len(o.samples)-1)].Time)+1, len(o.peaks))},
	}
}

// NewRecommender creates recommender name for one run on workload w: the
// oracle (built from w's future, with opts' OracleWindow and OracleQuantile)
// for OracleName, otherwise the recommender registered in core/recommend
// under name, told the update budget (Config.UpdateInterval). A name
// NAME:PROFILE is NAME with Config.Profile PROFILE, for recommenders that
// take a profile (see CheckRecommender).
func NewRecommender(name string, w *Workload, cfg recommend.Config, opts Options) (recommend.Recommender, error) {
	if name == OracleName {
		return NewOracleQuantile(w, opts.OracleWindow, opts.OracleQuantile)
	}
	if cfg.UpdateInterval == 0 {
		cfg.UpdateInterval = opts.MinUpdateInterval
	}
	if base, profile, ok := strings.Cut(name, ":"); ok {
		name, cfg.Profile = base, profile
	}
	return recommend.New(name, cfg)
}

// CheckRecommender reports whether NewRecommender accepts name: one of
// RecommenderNames, or NAME:PROFILE for a recommender that takes a profile
// (whose value that recommender checks when it is created).
func CheckRecommender(name string) error {
	base, profile, withProfile := strings.Cut(name, ":")
	for _, n := range RecommenderNames() {
		if n != base {
			continue
		}
		if withProfile && (profile == "" || !recommend.TakesProfile(base)) {
			return fmt.Errorf("recommender %q: %s takes no profile (NAME:PROFILE is for recommenders that plan for one)", name, base)
		}
		return nil
	}
	return fmt.Errorf("unknown recommender %q: choose one of %s", name, strings.Join(RecommenderNames(), ", "))
}

// RecommenderNames lists the names NewRecommender accepts, sorted: the
// registered recommenders and the oracle.
func RecommenderNames() []string {
	names := append(recommend.Names(), OracleName)
	sort.Strings(names)
	return names
}
