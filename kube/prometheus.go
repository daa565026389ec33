package kube

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	prommodel "github.com/prometheus/common/model"

	"github.com/smartvpa/smartvpa/core/model"
)

// Prometheus reads container usage history from Prometheus range queries over
// the cAdvisor / kubelet resource metrics (container_cpu_usage_seconds_total,
// container_memory_working_set_bytes). It sends one CPU and one memory range
// query per namespace, aggregated `by (pod, container)` and restricted to the
// pod-name patterns of the workloads asked for: never one query per pod.
type Prometheus struct {
	URL string
	// Duration is how far back the history goes (default 8 days).
	Duration time.Duration
	// Step is the resolution of the range queries (default 5 minutes). It is
	// raised when Duration/Step would exceed Prometheus' 11,000 points.
	Step time.Duration
	// RoundTripper is the HTTP transport (nil: http.DefaultTransport).
	RoundTripper http.RoundTripper
	// Parallel bounds the namespaces queried at once (default 4).
	Parallel int

	api promv1.API
}

// maxPoints is Prometheus' limit on points per series of a range query.
const maxPoints = 11000

// Name returns "prometheus".
func (p *Prometheus) Name() string { return "prometheus" }

func (p *Prometheus) client() (promv1.API, error) {
	if p.api != nil {
		return p.api, nil
	}
	if p.URL == "" {
		return nil, fmt.Errorf("no Prometheus URL: pass --prometheus-url or set PROMETHEUS_URL")
	}
	rt := p.RoundTripper
	if rt == nil {
		rt = http.DefaultTransport
	}
	c, err := api.NewClient(api.Config{Address: p.URL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", p.URL, err)
	}
	p.api = promv1.NewAPI(c)
	return p.api, nil
}

// EffectiveStep returns the query step for the configured duration and step.
func (p *Prometheus) EffectiveStep() time.Duration {
	_, step := p.durations()
	return step
}

func (p *Prometheus) durations() (time.Duration, time.Duration) {
	d, step := p.Duration, p.Step
	if d <= 0 {
		d = 8 * 24 * time.Hour
	}
	if step <= 0 {
		step = 5 * time.Minute
	}
	if int64(d/step) >= maxPoints {
		step = (d/(maxPoints-1) + time.Second - 1).Truncate(time.Second)
	}
	return d, step
}

// Queries returns the CPU, memory and throttling queries for one namespace
// restricted to the pod-name regular expression podRE (Prometheus anchors it).
func (p *Prometheus) Queries(namespace, podRE string) (cpu, mem, throttle string) {
	_, step := p.durations()
	window := step
	if window < 5*time.Minute {
		window = 5 * time.Minute
	}
	sel := fmt.Sprintf(`namespace=%q,pod=~%q,container!="",container!="POD"`, namespace, podRE)
	cpu = fmt.Sprintf(`max by (pod, container) (rate(container_cpu_usage_seconds_total{%s}[%s]))`, sel, prommodel.Duration(window))
	mem = fmt.Sprintf(`max by (pod, container) (max_over_time(container_memory_working_set_bytes{%s}[%s]))`, sel, prommodel.Duration(step))
	d, _ := p.durations()
	throttle = fmt.Sprintf(`sum by (pod, container) (increase(container_cpu_cfs_throttled_periods_total{%[1]s}[%[2]s])) / sum by (pod, container) (increase(container_cpu_cfs_periods_total{%[1]s}[%[2]s]))`, sel, prommodel.Duration(d))
	return cpu, mem, throttle
}

// History implements HistorySource.
func (p *Prometheus) History(ctx context.Context, ws []*Workload, now time.Time) (*History, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	d, step := p.durations()
	h := NewHistory(p.Name())
	if step != p.Step && p.Step > 0 {
		h.Notes = append(h.Notes, fmt.Sprintf("step raised from %s to %s to stay under %d points per series", p.Step, step, maxPoints))
	}
	r := promv1.Range{Start: now.Add(-d), End: now, Step: step}
	err = gather(h, p.Parallel, byNamespace(ws), func(ws []*Workload) (*History, error) {
		return p.namespaceHistory(ctx, c, ws[0].Namespace, ws, r, now)
	})
	if err != nil {
		return nil, err
	}
	h.sortSamples()
	return h, nil
}

// byNamespace groups ws by namespace, in namespace order.
func byNamespace(ws []*Workload) [][]*Workload {
	byNS := map[string][]*Workload{}
	for _, w := range ws {
		byNS[w.Namespace] = append(byNS[w.Namespace], w)
	}
	nss := make([]string, 0, len(byNS))
	for ns := range byNS {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	groups := make([][]*Workload, len(nss))
	for i, ns := range nss {
		groups[i] = byNS[ns]
	}
	return groups
}

// gather runs fetch on every group, at most par at once (4 when par <= 0),
// and merges what they return into h; the first error is returned.
func gather(h *History, par int, groups [][]*Workload, fetch func([]*Workload) (*History, error)) error {
	if par <= 0 {
		par = 4
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, par)
	)
	for _, g := range groups {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			part, err := fetch(g)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			h.merge(part)
		})
	}
	wg.Wait()
	return firstErr
}

// podMatcher assigns a pod name to one of a namespace's workloads: a live
// pod by owner references, an older pod by its name pattern (the longest
// workload name wins when several match).
type podMatcher struct {
	exact    map[string]*Workload
	patterns []*regexp.Regexp
	owners   []*Workload
}

func newPodMatcher(ws []*Workload) *podMatcher {
	m := &podMatcher{exact: map[string]*Workload{}}
	sorted := append([]*Workload(nil), ws...)
	sort.SliceStable(sorted, func(i, j int) bool { return len(sorted[i].Name) > len(sorted[j].Name) })
	for _, w := range sorted {
		for _, p := range w.Pods {
			m.exact[p.Name] = w
		}
		m.patterns = append(m.patterns, regexp.MustCompile("^(?:"+w.PodNamePattern()+")$"))
		m.owners = append(m.owners, w)
	}
	return m
}

func (m *podMatcher) match(pod string) *Workload {
	if w := m.exact[pod]; w != nil {
		return w
	}
	for i, re := range m.patterns {
		if re.MatchString(pod) {
			return m.owners[i]
		}
	}
	return nil
}

func podRegexp(ws []*Workload) string {
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		parts = append(parts, w.PodNamePattern())
		// Live pods by name too: a pod named by hand may not follow the
		// pattern of its controller.
		re := regexp.MustCompile("^(?:" + w.PodNamePattern() + ")$")
		for _, p := range w.Pods {
			if !re.MatchString(p.Name) {
				parts = append(parts, regexp.QuoteMeta(p.Name))
			}
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "|")
}

// maxPodPatterns bounds the workloads whose pod-name patterns a query lists:
// beyond it (recommend -A over a namespace of 1,000 Deployments) the queries
// take every pod of the namespace and the pod matcher keeps the workloads'
// pods, which it does anyway, so the result is the same without a regular
// expression of thousands of alternatives for Prometheus to match.
var maxPodPatterns = 64

func (p *Prometheus) namespaceHistory(ctx context.Context, c promv1.API, ns string, ws []*Workload, r promv1.Range, now time.Time) (*History, error) {
	podRE := ".+"
	if len(ws) <= maxPodPatterns {
		podRE = podRegexp(ws)
	}
	cpuQ, memQ, thrQ := p.Queries(ns, podRE)
	// The two range queries run at once: Prometheus evaluates each on one
	// core, and over days of thousands of pods each takes seconds.
	var (
		cpuV, memV     prommodel.Value
		cpuErr, memErr error
		wg             sync.WaitGroup
	)
	wg.Go(func() { cpuV, _, _, cpuErr = c.QueryRange(ctx, cpuQ, r) })
	memV, _, _, memErr = c.QueryRange(ctx, memQ, r)
	wg.Wait()
	if cpuErr != nil {
		return nil, fmt.Errorf("prometheus %s: cpu query for namespace %s: %w", p.URL, ns, cpuErr)
	}
	if memErr != nil {
		return nil, fmt.Errorf("prometheus %s: memory query for namespace %s: %w", p.URL, ns, memErr)
	}
	m := newPodMatcher(ws)
	type podC struct{ pod, container string }
	cpu := map[podC]map[int64]float64{}
	if mat, ok := cpuV.(prommodel.Matrix); ok {
		for _, s := range mat {
			k := podC{string(s.Metric["pod"]), string(s.Metric["container"])}
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
			k := podC{string(s.Metric["pod"]), string(s.Metric["container"])}
			w := m.match(k.pod)
			if w == nil || w.Container(k.container) == nil {
				continue
			}
			ck := ContainerKey{Workload: w.Key(), Container: k.container}
			cv := cpu[k]
			for _, v := range s.Values {
				c, ok := cv[int64(v.Timestamp)]
				if !ok || !usable(float64(v.Value)) {
					continue
				}
				h.Samples[ck] = append(h.Samples[ck], model.Sample{Time: v.Timestamp.Time().UTC(), CPUMillicores: c, MemoryBytes: float64(v.Value)})
			}
			h.pods[ck] = append(h.pods[ck], k.pod)
		}
	}
	// Throttling needs cAdvisor's CFS counters; a Prometheus without them
	// answers with no series, which is not an error.
	if thrV, _, _, err := c.Query(ctx, thrQ, now); err == nil {
		if vec, ok := thrV.(prommodel.Vector); ok {
			for _, s := range vec {
				w := m.match(string(s.Metric["pod"]))
				if w == nil {
					continue
				}
				ck := ContainerKey{Workload: w.Key(), Container: string(s.Metric["container"])}
				// A ratio of extrapolated increases can pass 1 a little.
				if f := min(float64(s.Value), 1); f > h.Throttled[ck] && f == f {
					h.Throttled[ck] = f
				}
			}
		}
	}
	return h, nil
}

// usable reports whether a usage value from Prometheus is one: finite, not
// negative (a counter reset can make rate() so) and below the cap
// (model.NoBound). Others are dropped with their sample.
func usable(v float64) bool { return v >= 0 && v < model.NoBound }
