package whatif

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/workloads"
)

// BenchmarkCollectScale turns the history of the scale namespace of
// hack/scale.sh (100 Deployments of 50 pods, 8 days at 5 minutes: 11.5
// million samples) into 100 traces, the in-memory part of
// `backtest -A --history prometheus` between the queries and the replay.
func BenchmarkCollectScale(b *testing.B) {
	const deployments, pods, points = 100, 50, 8 * 24 * 12
	h := kube.NewHistory("bench")
	var ws []*kube.Workload
	for d := range deployments {
		w := workload("scale", "Deployment", fmt.Sprintf("app-%d", d), pods, "app")
		ws = append(ws, w)
		s := make([]model.Sample, 0, pods*points)
		for i := range points {
			for p := range pods {
				s = append(s, model.Sample{Time: t0.Add(time.Duration(i) * 5 * time.Minute), CPUMillicores: float64(5 + p%40), MemoryBytes: float64((12 + p%20) << 20)})
			}
		}
		h.Samples[kube.ContainerKey{Workload: w.Key(), Container: "app"}] = s
	}
	c := &Collector{Source: &fakeSource{h: h}, Meta: workloads.Meta{Source: "import", Type: "prometheus", Interval: 5 * time.Minute}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		set, err := c.Collect(context.Background(), ws, t0.Add(8*24*time.Hour))
		if err != nil || len(set.Series) != deployments {
			b.Fatalf("%v, %d series", err, len(set.Series))
		}
	}
}
