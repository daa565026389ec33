package kube

import (
	"context"
	"fmt"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/smartvpa/smartvpa/core/model"
)

// Live samples the metrics API (metrics.k8s.io, metrics-server) for SampleFor,
// every Interval, with one list call per namespace per round. The history it
// gives is short and always flagged low confidence.
type Live struct {
	Client metricsclient.Interface
	// SampleFor is how long to sample; 0 takes one snapshot.
	SampleFor time.Duration
	// Interval is the time between snapshots (default 15 s, metrics-server's
	// usual resolution).
	Interval time.Duration
	// Sleep waits for d or until ctx ends; nil uses a timer. Tests inject it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Clock returns the current time for the sampling rounds after the first;
	// nil uses the wall clock.
	Clock func() time.Time
}

// Name returns "live".
func (l *Live) Name() string { return "live" }

// History implements HistorySource.
func (l *Live) History(ctx context.Context, ws []*Workload, now time.Time) (*History, error) {
	h := NewHistory(l.Name())
	h.LowConfidence = true
	interval := l.Interval
	if interval <= 0 {
		interval = 15 * time.Second
	}
	sleep := l.Sleep
	if sleep == nil {
		sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	clock := l.Clock
	if clock == nil {
		clock = time.Now
	}
	byNS := map[string]*podMatcher{}
	nsWs := map[string][]*Workload{}
	for _, w := range ws {
		nsWs[w.Namespace] = append(nsWs[w.Namespace], w)
	}
	nss := make([]string, 0, len(nsWs))
	for ns, list := range nsWs {
		nss = append(nss, ns)
		byNS[ns] = newPodMatcher(list)
	}
	sort.Strings(nss)
	scope := nss
	if len(nss) > 1 {
		scope = []string{metav1.NamespaceAll}
	}
	seen := map[string]time.Time{} // pod/container -> last metrics window seen
	rounds := int(l.SampleFor/interval) + 1
	for round := 0; round < rounds; round++ {
		if round > 0 {
			if err := sleep(ctx, interval); err != nil {
				return nil, err
			}
		}
		for _, ns := range scope {
			list, err := l.Client.MetricsV1beta1().PodMetricses(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, fmt.Errorf("read metrics.k8s.io pod metrics (is metrics-server running?): %w", err)
			}
			for _, pm := range list.Items {
				m := byNS[pm.Namespace]
				if m == nil {
					continue
				}
				w := m.match(pm.Name)
				if w == nil {
					continue
				}
				at := pm.Timestamp.Time.UTC()
				if at.IsZero() {
					at = now
					if round > 0 {
						at = clock().UTC()
					}
				}
				for _, c := range pm.Containers {
					if w.Container(c.Name) == nil {
						continue
					}
					id := pm.Name + "/" + c.Name
					if last, ok := seen[id]; ok && !at.After(last) {
						continue // the same metrics window again
					}
					seen[id] = at
					k := ContainerKey{Workload: w.Key(), Container: c.Name}
					h.Samples[k] = append(h.Samples[k], model.Sample{
						Time:          at,
						CPUMillicores: CPUMillicores(c.Usage.Cpu().DeepCopy()),
						MemoryBytes:   MemoryBytes(c.Usage.Memory().DeepCopy()),
					})
				}
			}
		}
	}
	h.sortSamples()
	h.Notes = append(h.Notes, fmt.Sprintf("live sampling of metrics.k8s.io for %s: low confidence", l.SampleFor))
	return h, nil
}
