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
	cts, err := HistoryTraces(h, ws, PrometheusTraceMeta(p))
	if err != nil {
		return nil, err
	}
	out := make([]*workloads.Trace, len(cts))
	for i, ct := range cts {
		out[i] = ct.Trace
	}
	return out, nil
}

// PrometheusTraceMeta is the metadata of a trace read by p: where it came
// from and how the numbers were computed.
func PrometheusTraceMeta(p *Prometheus) workloads.Meta {
	return workloads.Meta{
		Source: "import", Type: "prometheus",
		Files:    []string{p.URL},
		Interval: p.EffectiveStep(),
		Conversions: []string{
			"cpu_millicores = max by (pod, container) (rate(container_cpu_usage_seconds_total[max(step, 5m)])) * 1000, mean over the workload's pods",
			"memory_bytes = max by (pod, container) (max_over_time(container_memory_working_set_bytes[step])), mean over the workload's pods",
		},
	}
}

// ContainerTrace is one container's history as a trace.
type ContainerTrace struct {
	Workload  *Workload
	Container string
	Trace     *workloads.Trace
}

// TraceID is the store id of a container's trace:
// "<namespace>-<name>-<container>", lower case and sanitised.
func TraceID(w *Workload, container string) string {
	return workloads.SanitizeID(strings.ToLower(w.Namespace + "-" + w.Name + "-" + container))
}

// HistoryTraces turns the samples of h into one trace per container of ws
// that has any, in the order of ws and their containers: at each whole
// second with samples, the mean usage over the pods sampled then (one
// replica's usage). Times are whole seconds, as the store keeps them, so a
// trace saved and loaded again is the same trace. Each trace gets meta with
// Series set to "<namespace>/<kind>/<name>/<container>" and OriginalRequest
// to the container's current request (when it has one); its id is TraceID.
func HistoryTraces(h *History, ws []*Workload, meta workloads.Meta) ([]ContainerTrace, error) {
	var out []ContainerTrace
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
			bySecond := map[int64]*acc{}
			var times []int64
			for _, s := range samples {
				t := s.Time.Unix()
				a := bySecond[t]
				if a == nil {
					a = &acc{}
					bySecond[t] = a
					times = append(times, t)
				}
				a.cpu += s.CPUMillicores
				a.mem += s.MemoryBytes
				a.n++
			}
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			m := meta
			m.Series = w.Namespace + "/" + w.Ref() + "/" + c.Name
			m.Files = append([]string(nil), meta.Files...)
			m.Conversions = append([]string(nil), meta.Conversions...)
			if !c.Requests.IsZero() {
				req := c.Requests
				m.OriginalRequest = &req
			}
			tr := &workloads.Trace{ID: TraceID(w, c.Name), Meta: m}
			for _, t := range times {
				a := bySecond[t]
				tr.Append(time.Unix(t, 0).UTC(), a.cpu/float64(a.n), a.mem/float64(a.n))
			}
			if err := tr.Validate(); err != nil {
				return nil, fmt.Errorf("%s/%s container %s: %w", w.Namespace, w.Ref(), c.Name, err)
			}
			out = append(out, ContainerTrace{Workload: w, Container: c.Name, Trace: tr})
		}
	}
	return out, nil
}
