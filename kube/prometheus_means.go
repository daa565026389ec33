package kube

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	prommodel "github.com/prometheus/common/model"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/workloads"
)

// PrometheusMeans is the history source of the what-if (kube/whatif): per
// container, one series, the mean over the workload's pods computed by
// Prometheus itself (avg by container of the per-pod series that Prometheus
// returns to recommend). Replaying a container needs one replica's usage,
// not every pod's, and over days of thousands of pods the per-pod series are
// hundreds of megabytes of JSON for Prometheus to write and for us to read.
//
// The queries are still batched per namespace: one CPU and one memory range
// query lists up to Batch workloads, each selected by its pod-name pattern
// (and its live pods' names) and labelled smartvpa_workload with its index
// in the batch, joined by "or".
type PrometheusMeans struct {
	*Prometheus
	// Batch bounds the workloads one query lists (default 64).
	Batch int
}

// meansLabel is the label that tells a batch's workloads apart.
const meansLabel = "smartvpa_workload"

// Name returns "prometheus".
func (p *PrometheusMeans) Name() string { return "prometheus" }

// MeansMeta is the metadata of a trace read by p.
func (p *PrometheusMeans) MeansMeta() workloads.Meta {
	return workloads.Meta{
		Source: "import", Type: "prometheus",
		Files:    []string{p.URL},
		Interval: p.EffectiveStep(),
		Conversions: []string{
			"cpu_millicores = avg by (container) (max by (pod, container) (rate(container_cpu_usage_seconds_total[max(step, 5m)]))) * 1000 over the workload's pods",
			"memory_bytes = avg by (container) (max by (pod, container) (max_over_time(container_memory_working_set_bytes[step]))) over the workload's pods",
		},
	}
}

// MeansQueries returns the CPU and memory range queries of ws, workloads of
// one namespace.
func (p *PrometheusMeans) MeansQueries(ws []*Workload) (cpu, mem string) {
	_, step := p.durations()
	window := max(step, 5*time.Minute)
	var c, m []string
	for i, w := range ws {
		sel := fmt.Sprintf(`namespace=%q,pod=~%q,container!="",container!="POD"`, w.Namespace, podRegexp([]*Workload{w}))
		c = append(c, fmt.Sprintf(`label_replace(avg by (container) (max by (pod, container) (rate(container_cpu_usage_seconds_total{%s}[%s]))), %q, "%d", "", ".*")`,
			sel, prommodel.Duration(window), meansLabel, i))
		m = append(m, fmt.Sprintf(`label_replace(avg by (container) (max by (pod, container) (max_over_time(container_memory_working_set_bytes{%s}[%s]))), %q, "%d", "", ".*")`,
			sel, prommodel.Duration(step), meansLabel, i))
	}
	return strings.Join(c, " or "), strings.Join(m, " or ")
}

// History implements HistorySource: per container of ws, the mean usage of
// its pods at each step.
func (p *PrometheusMeans) History(ctx context.Context, ws []*Workload, now time.Time) (*History, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	d, step := p.durations()
	h := NewHistory(p.Name())
	if step != p.Step && p.Step > 0 {
		h.Notes = append(h.Notes, fmt.Sprintf("step raised from %s to %s to stay under %d points per series", p.Step, step, maxPoints))
	}
	batch := p.Batch
	if batch <= 0 {
		batch = maxPodPatterns
	}
	// Batches per namespace, in namespace order.
	var batches [][]*Workload
	for _, list := range byNamespace(ws) {
		for i := 0; i < len(list); i += batch {
			batches = append(batches, list[i:min(i+batch, len(list))])
		}
	}
	r := promv1.Range{Start: now.Add(-d), End: now, Step: step}
	err = gather(h, p.Parallel, batches, func(b []*Workload) (*History, error) {
		return p.batchHistory(ctx, c, b, r)
	})
	if err != nil {
		return nil, err
	}
	h.sortSamples()
	return h, nil
}

func (p *PrometheusMeans) batchHistory(ctx context.Context, c promv1.API, ws []*Workload, r promv1.Range) (*History, error) {
	cpuQ, memQ := p.MeansQueries(ws)
	var (
		cpuV, memV     prommodel.Value
		cpuErr, memErr error
		wg             sync.WaitGroup
	)
	wg.Go(func() { cpuV, _, _, cpuErr = c.QueryRange(ctx, cpuQ, r) })
	memV, _, _, memErr = c.QueryRange(ctx, memQ, r)
	wg.Wait()
	ns := ws[0].Namespace
	if cpuErr != nil {
		return nil, fmt.Errorf("prometheus %s: cpu query for namespace %s: %w", p.URL, ns, cpuErr)
	}
	if memErr != nil {
		return nil, fmt.Errorf("prometheus %s: memory query for namespace %s: %w", p.URL, ns, memErr)
	}
	// key returns the container of a series, or false when it is none of
	// the batch's.
	key := func(m prommodel.Metric) (ContainerKey, bool) {
		i, err := strconv.Atoi(string(m[meansLabel]))
		if err != nil || i < 0 || i >= len(ws) || ws[i].Container(string(m["container"])) == nil {
			return ContainerKey{}, false
		}
		return ContainerKey{Workload: ws[i].Key(), Container: string(m["container"])}, true
	}
	cpu := map[ContainerKey]map[int64]float64{}
	if mat, ok := cpuV.(prommodel.Matrix); ok {
		for _, s := range mat {
			k, ok := key(s.Metric)
			if !ok {
				continue
			}
			vals := map[int64]float64{}
			for _, v := range s.Values {
				if c := float64(v.Value) * 1000; usable(c) { // cores -> millicores
					vals[int64(v.Timestamp)] = c
				}
			}
			cpu[k] = vals
		}
	}
	h := NewHistory(p.Name())
	if mat, ok := memV.(prommodel.Matrix); ok {
		for _, s := range mat {
			k, ok := key(s.Metric)
			if !ok {
				continue
			}
			cv := cpu[k]
			for _, v := range s.Values {
				c, ok := cv[int64(v.Timestamp)]
				if !ok || !usable(float64(v.Value)) {
					continue
				}
				h.Samples[k] = append(h.Samples[k], model.Sample{Time: v.Timestamp.Time().UTC(), CPUMillicores: c, MemoryBytes: float64(v.Value)})
			}
		}
	}
	return h, nil
}
