package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// Issue 20 case 20: an upper bound at the recommender's cap (1e14, too
// little history) is not drawn and is said to be "no bound yet".
func TestChartNoUpperBoundYet(t *testing.T) {
	src := newDemo(t, "")
	m := New(Options{Source: src, Actions: src, NoColor: true})
	hist := make([]model.Sample, 30)
	for i := range hist {
		hist[i] = model.Sample{Time: time.Unix(int64(60*i), 0), CPUMillicores: 200 + float64(i), MemoryBytes: 300 * model.MiB}
	}
	ct := &ContainerRec{Name: "app", Request: model.Resources{CPUMillicores: 1000, MemoryBytes: model.GiB}, OK: true,
		Rec: model.Recommendation{Lower: model.Resources{CPUMillicores: 200, MemoryBytes: 250 * model.MiB},
			Target: model.Resources{CPUMillicores: 240, MemoryBytes: 300 * model.MiB},
			Upper:  model.Resources{CPUMillicores: model.NoBound, MemoryBytes: model.NoBound}}}
	for _, res := range model.AllResources {
		out := strings.Join(m.chartLines(&ContainerDetail{History: hist}, ct, res, 80, 10), "\n")
		if !strings.Contains(out, "upper: no bound yet") || strings.Contains(out, "100G") || strings.Contains(out, "95367432") {
			t.Errorf("%s chart:\n%s", res, out)
		}
	}
}
