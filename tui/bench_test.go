package tui

import (
	"context"
	"fmt"
	"testing"

	"github.com/smartvpa/smartvpa/core/model"
)

// manySource lists n synthetic workloads, for the rendering benchmark.
type manySource struct{ n int }

func (s manySource) Recommenders() []string { return []string{"bench"} }

func (s manySource) List(context.Context, string) ([]Workload, error) {
	out := make([]Workload, s.n)
	for i := range out {
		req := model.Resources{CPUMillicores: float64(100 + i%900), MemoryBytes: float64(64+i%1024) * model.MiB}
		tgt := model.Resources{CPUMillicores: float64(50 + (i*7)%900), MemoryBytes: float64(32+(i*13)%1024) * model.MiB}
		out[i] = Workload{
			Ref:      Ref{Namespace: fmt.Sprintf("team-%02d", i%37), Kind: "Deployment", Name: fmt.Sprintf("service-%04d", i)},
			Replicas: 1 + i%5,
			Containers: []ContainerRec{{Name: "app", Request: req, OK: true, Confidence: float64(i%10) / 10,
				Rec: model.Recommendation{Lower: tgt, Target: tgt, Upper: tgt, UncappedTarget: tgt}}},
		}
		if i%50 == 0 {
			out[i].HPAConflict = "hpa scales on cpu"
		}
	}
	return out, nil
}

func (s manySource) Detail(context.Context, Ref, string) (Detail, error) { return Detail{}, nil }

// BenchmarkView1000Rows renders the table of 1,000 workloads at 200x50 (the
// goal is at most 5 ms per View).
func BenchmarkView1000Rows(b *testing.B) {
	for _, sort := range []string{"name", "saving"} {
		b.Run("sort="+sort, func(b *testing.B) {
			hs := newHarness(b, 200, 50, Options{Source: manySource{n: 1000}})
			if len(hs.m.rows) != 1000 {
				b.Fatalf("rows = %d", len(hs.m.rows))
			}
			for sortKeys[hs.m.sortIdx] != sort {
				hs.keys("s")
			}
			hs.keys("G") // the last page, with scrolling
			b.ReportAllocs()
			for b.Loop() {
				_ = hs.m.View()
			}
		})
	}
}

// BenchmarkRefresh1000Rows measures what a refresh costs in Update: building,
// sorting and filtering 1,000 rows.
func BenchmarkRefresh1000Rows(b *testing.B) {
	hs := newHarness(b, 200, 50, Options{Source: manySource{n: 1000}})
	ws, _ := manySource{n: 1000}.List(context.Background(), "bench")
	b.ReportAllocs()
	for b.Loop() {
		hs.m.setRows(ws, "bench")
	}
}
