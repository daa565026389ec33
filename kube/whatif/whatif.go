// Package whatif answers "which recommender would have served my workloads
// best": it pulls the usage history of a cluster's own containers into memory
// (from Prometheus or from serve's journals), turns each container's history
// into a workload trace, exactly as `workload import --format prometheus`
// would store it, and replays the traces through the simulator's backtest.
//
// It is the engine behind `backtest --history`, `audit --what-if` and the
// TUI's what-if view. The traces are the same in memory as saved to a store
// and loaded again (times are whole seconds, usage values float64), so an
// offline `backtest` of a saved history prints the same figures for the same
// seed.
//
// The package reads the cluster only through a kube.HistorySource, so it
// works with read-only RBAC, and it knows nothing of any recommender's
// internals: it runs them by registry name through core/sim.
package whatif

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/core/sim"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/workloads"
)

// Ref names the workload and container behind one series: the workload
// reference the JSON output adds to the offline backtest's shape.
type Ref struct {
	// Workload is the series id, the "workload" of the backtest's results.
	Workload  string `json:"workload"`
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Container string `json:"container"`
}

// String returns "namespace/kind/name container".
func (r Ref) String() string {
	return r.Namespace + "/" + strings.ToLower(r.Kind) + "/" + r.Name + " " + r.Container
}

// Series is one container's history.
type Series struct {
	Ref   Ref
	Trace *workloads.Trace
	// Replicas is the workload's replica count now, for costs.
	Replicas int
}

// Set is the history of the targets: one series per container with samples,
// sorted by id (the order of a workload store).
type Set struct {
	// Source names where the history came from (prometheus, checkpoints).
	Source string
	Series []Series
	// Missing are the containers the source had no samples for.
	Missing []Ref
	// Notes are the source's remarks (a raised step, unreadable journals).
	Notes []string
}

// Traces returns the traces of the series, in order.
func (s *Set) Traces() []*workloads.Trace {
	out := make([]*workloads.Trace, len(s.Series))
	for i := range s.Series {
		out[i] = s.Series[i].Trace
	}
	return out
}

// Refs returns the references of the series, in order.
func (s *Set) Refs() []Ref {
	out := make([]Ref, len(s.Series))
	for i := range s.Series {
		out[i] = s.Series[i].Ref
	}
	return out
}

// ErrTooManySeries is returned by Collect when the targets have more pod
// containers than the bound allows.
var ErrTooManySeries = errors.New("too many series")

// PodSeries returns the number of series a history query returns for ws: per
// workload, its live pods (at least one) times its containers.
func PodSeries(ws []*kube.Workload) int {
	n := 0
	for _, w := range ws {
		n += max(1, len(w.Pods)) * len(w.Containers)
	}
	return n
}

// Collector pulls the history of workloads from one source.
type Collector struct {
	// Source is where the history comes from.
	Source kube.HistorySource
	// Meta is the metadata every trace starts from (type, files, interval,
	// conversions).
	Meta workloads.Meta
	// MaxSeries bounds PodSeries of the workloads (0: no bound); beyond it
	// Collect queries nothing and returns ErrTooManySeries.
	MaxSeries int
}

// Collect reads the history of ws ending at now and returns one series per
// container with samples. Containers the source only has an aggregated
// histogram for (an upstream VPA checkpoint) cannot be replayed and are
// listed as missing, with a note.
func (c *Collector) Collect(ctx context.Context, ws []*kube.Workload, now time.Time) (*Set, error) {
	if n := PodSeries(ws); c.MaxSeries > 0 && n > c.MaxSeries {
		return nil, fmt.Errorf("%w: %d workload(s) have %d pod containers, more than --max-series %d: narrow the targets (-n, -l SELECTOR, TYPE/NAME) or raise --max-series",
			ErrTooManySeries, len(ws), n, c.MaxSeries)
	}
	set := &Set{Source: c.Source.Name()}
	if len(ws) == 0 {
		return set, nil
	}
	h, err := c.Source.History(ctx, ws, now)
	if err != nil {
		return nil, err
	}
	set.Notes = append(set.Notes, h.Notes...)
	cts, err := kube.HistoryTraces(h, ws, c.Meta)
	if err != nil {
		return nil, err
	}
	have := map[kube.ContainerKey]bool{}
	seen := map[string]bool{}
	for _, ct := range cts {
		w := ct.Workload
		have[kube.ContainerKey{Workload: w.Key(), Container: ct.Container}] = true
		// Two workloads of different kinds may share a name.
		id := ct.Trace.ID
		if seen[id] {
			id = workloads.SanitizeID(strings.ToLower(w.Namespace + "-" + w.Kind + "-" + w.Name + "-" + ct.Container))
			ct.Trace.ID = id
		}
		seen[id] = true
		set.Series = append(set.Series, Series{
			Ref:      Ref{Workload: id, Namespace: w.Namespace, Kind: w.Kind, Name: w.Name, Container: ct.Container},
			Trace:    ct.Trace,
			Replicas: w.Replicas,
		})
	}
	// The store lists workloads by id: so do the series, and an offline
	// backtest of the saved store prints the results in the same order.
	sort.SliceStable(set.Series, func(i, j int) bool { return set.Series[i].Ref.Workload < set.Series[j].Ref.Workload })
	var histograms []string
	for _, w := range ws {
		for _, ct := range w.Containers {
			k := kube.ContainerKey{Workload: w.Key(), Container: ct.Name}
			if have[k] {
				continue
			}
			r := Ref{Namespace: w.Namespace, Kind: w.Kind, Name: w.Name, Container: ct.Name}
			set.Missing = append(set.Missing, r)
			if h.Checkpoints[k] != nil {
				histograms = append(histograms, r.String())
			}
		}
	}
	if len(histograms) > 0 {
		set.Notes = append(set.Notes, fmt.Sprintf("%d container(s) have only an upstream VPA checkpoint, a histogram with no time line, which cannot be replayed: %s; use --history prometheus, or run serve so its journal keeps samples",
			len(histograms), strings.Join(histograms, ", ")))
	}
	return set, nil
}

// SimWorkload converts a trace into the simulator's input: the original
// request when the trace knows it (else the simulator's default), the trace's
// nominal interval, and its dataset ("generated" for generated traces, else
// the import format). The offline backtest converts stored traces the same
// way.
func SimWorkload(t *workloads.Trace) *sim.Workload {
	w := &sim.Workload{ID: t.ID, Samples: t.Samples(), Interval: t.Meta.Interval, Dataset: Dataset(t.Meta)}
	if r := t.Meta.OriginalRequest; r != nil {
		w.InitialRequest = *r
	}
	return w
}

// Dataset names the dataset of a trace, for per-dataset comparisons:
// "generated" for generated workloads, else the import format (bitbrains,
// jobs, prometheus, ...).
func Dataset(m workloads.Meta) string {
	if m.Source == "generator" {
		return "generated"
	}
	return m.Type
}

// Warmup returns the warm-up to simulate the set with: requested, cut so at
// least half of every series is measured (to whole multiples of step when
// step is positive, else whole seconds), and a note when it was cut or the
// history is shorter than asked. The warm-up of an empty set is requested.
func Warmup(set *Set, requested, asked, step time.Duration) (time.Duration, string) {
	if len(set.Series) == 0 {
		return requested, ""
	}
	shortest, at := time.Duration(-1), ""
	for _, s := range set.Series {
		span := s.Trace.End().Sub(s.Trace.Start())
		if shortest < 0 || span < shortest {
			shortest, at = span, s.Ref.String()
		}
	}
	unit := step
	if unit <= 0 {
		unit = time.Second
	}
	half := (shortest / 2).Truncate(unit)
	if half <= 0 {
		half = (shortest / 2).Truncate(time.Second)
	}
	short := asked > 0 && shortest < asked*9/10
	if requested <= half {
		if short {
			return requested, fmt.Sprintf("history is short: the shortest series (%s) covers %s of the %s asked", at, shortest, asked)
		}
		return requested, ""
	}
	note := fmt.Sprintf("history is short: the shortest series (%s) covers %s, so the warm-up is cut from %s to %s and at least half of every series is measured",
		at, shortest, requested, half)
	return half, note
}

// Backtest replays every series of set against every recommender (core/sim's
// BacktestLoad) and returns the results in the backtest's stable order.
func Backtest(ctx context.Context, set *Set, recommenders []string, opts sim.BacktestOptions) ([]sim.Result, error) {
	return sim.BacktestLoad(ctx, len(set.Series), func(i int) (*sim.Workload, error) {
		return SimWorkload(set.Series[i].Trace), nil
	}, recommenders, opts)
}
