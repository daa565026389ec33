package sim

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/smartvpa/smartvpa/core/recommend"
)

// BacktestOptions configure a backtest.
type BacktestOptions struct {
	// Options are the environment options of every run (start from
	// DefaultOptions).
	Options Options
	// Seed seeds every run: it is the environment seed and the
	// recommend.Config.Seed of every recommender created.
	Seed int64
	// Config is the base configuration of registered recommenders; its Seed
	// is replaced by Seed. Its Policy should be Options.ContainerPolicy, so
	// that recommenders and the updater apply the same container policy.
	Config recommend.Config
	// Workers is the size of the worker pool; 0 means runtime.GOMAXPROCS(0).
	Workers int
	// Progress, when not nil, is called after each run with the number of
	// runs done and the total. Calls are serialised.
	Progress func(done, total int)
	// NewRecommender creates the recommender of one run; nil means
	// NewRecommender with Options.
	NewRecommender func(name string, w *Workload, cfg recommend.Config) (recommend.Recommender, error)
}

// Backtest runs every recommender on every workload and returns the results
// in a stable order: workload-major, in the order given, then recommenders in
// the order given. See BacktestLoad.
func Backtest(ctx context.Context, workloads []Workload, recommenders []string, opts BacktestOptions) ([]Result, error) {
	return BacktestLoad(ctx, len(workloads), func(i int) (*Workload, error) { return &workloads[i], nil }, recommenders, opts)
}

// BacktestLoad runs every recommender on each of n workloads, which load(i)
// provides, on a pool of opts.Workers goroutines. load is called once per
// workload, from a worker, and a workload is dropped once all its runs are
// done, so a large backtest holds about one workload per worker in memory.
// load must be safe for concurrent use.
//
// The results are in a stable order (workload-major, then recommenders in the
// order given) and do not depend on the number of workers. On the first error
// (in that order) or when ctx is cancelled, no new run starts and the error is
// returned.
func BacktestLoad(ctx context.Context, n int, load func(i int) (*Workload, error), recommenders []string, opts BacktestOptions) ([]Result, error) {
	if len(recommenders) == 0 {
		return nil, errors.New("no recommenders to backtest: name at least one")
	}
	if err := opts.Options.Validate(); err != nil {
		return nil, err
	}
	newRec := opts.NewRecommender
	if newRec == nil {
		simOpts := opts.Options
		newRec = func(name string, w *Workload, cfg recommend.Config) (recommend.Recommender, error) {
			return NewRecommender(name, w, cfg, simOpts)
		}
	}
	cfg := opts.Config
	cfg.Seed = opts.Seed

	m := len(recommenders)
	total := n * m
	results := make([]Result, total)
	errs := make([]error, total)
	type slot struct {
		once      sync.Once
		w         *Workload
		err       error
		remaining atomic.Int32
	}
	slots := make([]slot, n)
	for i := range slots {
		slots[i].remaining.Store(int32(m))
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, total))

	var (
		next     atomic.Int64
		failed   atomic.Bool
		progMu   sync.Mutex
		progDone int
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			env, err := NewEnv(opts.Options)
			if err != nil { // validated above; kept for safety
				failed.Store(true)
				return
			}
			for {
				if failed.Load() || ctx.Err() != nil {
					return
				}
				k := int(next.Add(1) - 1)
				if k >= total {
					return
				}
				i, j := k/m, k%m
				s := &slots[i]
				s.once.Do(func() {
					s.w, s.err = load(i)
					if s.err == nil && s.w == nil {
						s.err = fmt.Errorf("workload %d: loader returned nothing", i)
					}
				})
				err := s.err
				if err != nil {
					err = fmt.Errorf("load workload %d: %w", i, err)
				} else {
					var r recommend.Recommender
					r, err = newRec(recommenders[j], s.w, cfg)
					if err == nil {
						results[k], err = runEnv(env, s.w, r, opts.Seed, nil)
						// Results carry the name asked for (smart:savings,
						// not the recommender's own smart).
						results[k].Recommender = recommenders[j]
					}
					if err != nil {
						err = fmt.Errorf("workload %q, recommender %q: %w", s.w.ID, recommenders[j], err)
					}
				}
				if s.remaining.Add(-1) == 0 {
					s.w = nil // every run of this workload is done: let it go
				}
				if err != nil {
					errs[k] = err
					failed.Store(true)
					return
				}
				if opts.Progress != nil {
					progMu.Lock()
					progDone++
					opts.Progress(progDone, total)
					progMu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("backtest interrupted: %w", err)
	}
	return results, nil
}

// Summary aggregates one recommender's results over workloads: relative
// slacks and shares are means over workloads, absolute slacks, OOMs, updates
// and restarts are totals.
type Summary struct {
	Recommender string        `json:"recommender"`
	CPU         CPUMetrics    `json:"cpu"`
	Memory      MemoryMetrics `json:"memory"`
	Updates     int           `json:"updates"`
	// SmallUpdates counts the updates that changed no request by 10 % or
	// more; UpdatesPerContainerDay is Updates per container-day measured.
	SmallUpdates           int     `json:"smallUpdates"`
	UpdatesPerContainerDay float64 `json:"updatesPerContainerDay"`
	Restarts               int     `json:"restarts"`
	// Workloads is the number of workloads summarised, Hours the
	// container-hours measured.
	Workloads int     `json:"workloads"`
	Hours     float64 `json:"hours"`
	// Reward is the total reward over workloads.
	Reward float64 `json:"reward"`
}

// Summarize aggregates results per recommender, in the order of recommenders.
// Results that measured nothing (a warm-up covering the trace) are left out.
func Summarize(recommenders []string, results []Result) []Summary {
	out := make([]Summary, len(recommenders))
	index := make(map[string]int, len(recommenders))
	for i, name := range recommenders {
		out[i].Recommender = name
		index[name] = i
	}
	for _, r := range results {
		i, ok := index[r.Recommender]
		if !ok || r.Samples == 0 {
			continue
		}
		s := &out[i]
		s.Workloads++
		s.CPU.RelativeSlack += r.CPU.RelativeSlack
		s.CPU.AbsoluteSlackCoreHours += r.CPU.AbsoluteSlackCoreHours
		s.CPU.OverRequestShare += r.CPU.OverRequestShare
		s.CPU.ThrottledShare += r.CPU.ThrottledShare
		s.CPU.UnservedCoreHours += r.CPU.UnservedCoreHours
		s.Memory.RelativeSlack += r.Memory.RelativeSlack
		s.Memory.AbsoluteSlackGiBHours += r.Memory.AbsoluteSlackGiBHours
		s.Memory.OOMs += r.Memory.OOMs
		s.Updates += r.Updates
		s.SmallUpdates += r.SmallUpdates
		s.Restarts += r.Restarts
		s.Hours += r.Hours
		s.Reward += r.Reward
	}
	for i := range out {
		if n := float64(out[i].Workloads); n > 0 {
			out[i].CPU.RelativeSlack /= n
			out[i].CPU.OverRequestShare /= n
			out[i].CPU.ThrottledShare /= n
			out[i].Memory.RelativeSlack /= n
		}
		if out[i].Hours > 0 {
			out[i].UpdatesPerContainerDay = float64(out[i].Updates) / (out[i].Hours / 24)
		}
	}
	return out
}

// DatasetSummary is the summary of the workloads of one dataset.
type DatasetSummary struct {
	Dataset string    `json:"dataset"`
	Summary []Summary `json:"summary"`
}

// Report is the JSON shape of a backtest (`kubectl smartvpa backtest -o json`).
type Report struct {
	Recommenders []string  `json:"recommenders"`
	Results      []Result  `json:"results"`
	Summary      []Summary `json:"summary"`
	// Datasets summarises each dataset apart (in the order they first
	// appear; degenerate workloads included).
	Datasets []DatasetSummary `json:"datasets"`
	// Baseline is the recommender the others are compared with ("" when it
	// did not run: then Comparison is empty).
	Baseline   string       `json:"baseline"`
	Comparison []Comparison `json:"comparison"`
}

// NewReport builds the report of a backtest, comparing with baseline when it
// is one of recommenders (seed seeds the bootstrap).
func NewReport(recommenders []string, results []Result, baseline string, seed int64) Report {
	if results == nil {
		results = []Result{}
	}
	r := Report{Recommenders: recommenders, Results: results, Summary: Summarize(recommenders, results),
		Datasets: []DatasetSummary{}, Comparison: []Comparison{}}
	for _, d := range Datasets(results) {
		var sub []Result
		for _, x := range results {
			if datasetOf(x) == d {
				sub = append(sub, x)
			}
		}
		r.Datasets = append(r.Datasets, DatasetSummary{Dataset: d, Summary: Summarize(recommenders, sub)})
	}
	if slices.Contains(recommenders, baseline) {
		r.Baseline = baseline
		r.Comparison = Compare(recommenders, baseline, results, seed)
	}
	return r
}
