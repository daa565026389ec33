package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/workloads"
)

// ImportPrometheus turns the Prometheus history of workloads into workload
// traces for the store, one per container: at each step the mean usage over
// the workload's pods (one replica's usage), so the trace can train models,
// be simulated and be replayed by the stress system. Ids are
// "<namespace>-<name>-<container>" (sanitised). It is the engine behind
// `workload import --format prometheus`.
func ImportPrometheus(ctx context.Context, p *Prometheus, ws []*Workload, now time.Time) ([]*workloads.Trace, error) {
	h, err := p.History(ctx, ws, now)
	if err != nil {
		return nil, err
	}
	var out []*workloads.Trace
	for _, w := range ws {
		for _, c := range w.Containers {
			k := ContainerKey{Workload: w.Key(), Container: c.Name}
			samples := h.Samples[k]
			if len(samples) == 0 {
				continue
			}
			type acc struct {
				cpu, mem float64
				n        int
			}
			byTime := map[int64]*acc{}
			var times []int64
			for _, s := range samples {
				t := s.Time.UnixNano()
				a := byTime[t]
				if a == nil {
					a = &acc{}
					byTime[t] = a
					times = append(times, t)
				}
				a.cpu += s.CPUMillicores
				a.mem += s.MemoryBytes
				a.n++
			}
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			id := workloads.SanitizeID(strings.ToLower(w.Namespace + "-" + w.Name + "-" + c.Name))
			tr := &workloads.Trace{ID: id, Meta: workloads.Meta{
				Source: "import", Type: "prometheus",
				Series:   w.Namespace + "/" + w.Ref() + "/" + c.Name,
				Files:    []string{p.URL},
				Interval: p.EffectiveStep(),
				Conversions: []string{
					"cpu_millicores = max by (pod, container) (rate(container_cpu_usage_seconds_total[max(step, 5m)])) * 1000, mean over the workload's pods",
					"memory_bytes = max by (pod, container) (max_over_time(container_memory_working_set_bytes[step])), mean over the workload's pods",
				},
			}}
			if !c.Requests.IsZero() {
				req := c.Requests
				tr.Meta.OriginalRequest = &req
			}
			for _, t := range times {
				a := byTime[t]
				tr.Append(time.Unix(0, t).UTC(), a.cpu/float64(a.n), a.mem/float64(a.n))
			}
			if err := tr.Validate(); err != nil {
				return nil, fmt.Errorf("%s/%s container %s: %w", w.Namespace, w.Ref(), c.Name, err)
			}
			out = append(out, tr)
		}
	}
	return out, nil
}
