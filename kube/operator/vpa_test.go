package operator

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/smartvpa/smartvpa/core/model"
)

func TestApplyPolicy(t *testing.T) {
	rec := model.Recommendation{
		Lower:  model.Resources{CPUMillicores: 50, MemoryBytes: 100 * model.MiB},
		Target: model.Resources{CPUMillicores: 200, MemoryBytes: 300 * model.MiB},
		Upper:  model.Resources{CPUMillicores: 900, MemoryBytes: 900 * model.MiB},
	}
	tests := []struct {
		name   string
		pol    model.ContainerPolicy
		want   model.Recommendation
		wantOK bool
	}{
		{"no policy", model.ContainerPolicy{}, model.Recommendation{Lower: rec.Lower, Target: rec.Target, Upper: rec.Upper, UncappedTarget: rec.Target}, true},
		{"min raises lower and target", model.ContainerPolicy{MinAllowed: model.Resources{CPUMillicores: 250}},
			model.Recommendation{Lower: model.Resources{CPUMillicores: 250, MemoryBytes: 100 * model.MiB}, Target: model.Resources{CPUMillicores: 250, MemoryBytes: 300 * model.MiB},
				Upper: rec.Upper, UncappedTarget: rec.Target}, true},
		{"max lowers target and upper", model.ContainerPolicy{MaxAllowed: model.Resources{MemoryBytes: 200 * model.MiB}},
			model.Recommendation{Lower: rec.Lower, Target: model.Resources{CPUMillicores: 200, MemoryBytes: 200 * model.MiB},
				Upper: model.Resources{CPUMillicores: 900, MemoryBytes: 200 * model.MiB}, UncappedTarget: rec.Target}, true},
		{"cpu only", model.ContainerPolicy{ControlledResources: []model.Resource{model.CPU}},
			model.Recommendation{Lower: model.Resources{CPUMillicores: 50}, Target: model.Resources{CPUMillicores: 200}, Upper: model.Resources{CPUMillicores: 900},
				UncappedTarget: model.Resources{CPUMillicores: 200}}, true},
		{"off", model.ContainerPolicy{Off: true}, model.Recommendation{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ApplyPolicy(rec, tt.pol)
			if ok != tt.wantOK || got != tt.want {
				t.Fatalf("ApplyPolicy = %+v, %v\nwant %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseVPA(t *testing.T) {
	tests := []struct {
		name    string
		policy  map[string]any
		mode    string
		check   func(t *testing.T, v *VPA)
		wantErr string
	}{
		{name: "policy fields", mode: "InPlaceOrRecreate", policy: map[string]any{"containerName": "app", "mode": "Auto",
			"minAllowed": map[string]any{"cpu": "100m", "memory": "64Mi"}, "maxAllowed": map[string]any{"cpu": "2"},
			"controlledResources": []any{"memory"}, "controlledValues": "RequestsOnly"},
			check: func(t *testing.T, v *VPA) {
				p := v.PolicyFor("app")
				want := model.ContainerPolicy{MinAllowed: model.Resources{CPUMillicores: 100, MemoryBytes: 64 * model.MiB}, MaxAllowed: model.Resources{CPUMillicores: 2000},
					ControlledResources: []model.Resource{model.Memory}, ControlledValues: model.RequestsOnly}
				if p.MinAllowed != want.MinAllowed || p.MaxAllowed != want.MaxAllowed || len(p.ControlledResources) != 1 || p.ControlledValues != want.ControlledValues || p.Off {
					t.Fatalf("policy = %+v, want %+v", p, want)
				}
				if v.PolicyFor("sidecar").Off || v.EffectiveUpdateMode() != "InPlaceOrRecreate" || !v.Names("smartvpa") || v.Names("default") {
					t.Fatalf("vpa = %+v", v)
				}
			}},
		{name: "wildcard off", policy: map[string]any{"containerName": "*", "mode": "Off"},
			check: func(t *testing.T, v *VPA) {
				if !v.PolicyFor("any").Off || v.EffectiveUpdateMode() != "Recreate" {
					t.Fatalf("policy for any = %+v, mode %s", v.PolicyFor("any"), v.EffectiveUpdateMode())
				}
			}},
		{name: "bad mode", policy: map[string]any{"containerName": "app", "mode": "Sometimes"},
			wantErr: `verticalpodautoscaler demo/web: spec.resourcePolicy.containerPolicies[0]: mode "Sometimes": use Auto or Off`},
		{name: "bad resource", policy: map[string]any{"containerName": "app", "controlledResources": []any{"gpu"}},
			wantErr: `verticalpodautoscaler demo/web: spec.resourcePolicy.containerPolicies[0]: controlledResources: unknown resource "gpu": use cpu or memory`},
		{name: "bad quantity", policy: map[string]any{"containerName": "app", "minAllowed": map[string]any{"cpu": "lots"}},
			wantErr: `verticalpodautoscaler demo/web: spec.resourcePolicy.containerPolicies[0]: minAllowed: cpu: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseVPA(vpaObject("web", "smartvpa", tt.mode, tt.policy))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v\nwant %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, v)
		})
	}
}

func TestRecommendationStatusRoundTrip(t *testing.T) {
	recs := map[string]model.Recommendation{"b": {Target: model.Resources{CPUMillicores: 250, MemoryBytes: 256 * model.MiB}, Lower: model.Resources{CPUMillicores: 100, MemoryBytes: 128 * model.MiB},
		Upper: model.Resources{CPUMillicores: 1000, MemoryBytes: model.GiB}, UncappedTarget: model.Resources{CPUMillicores: 250, MemoryBytes: 256 * model.MiB}},
		"a": {Target: model.Resources{CPUMillicores: 5}}}
	u := &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"recommendation": map[string]any{"containerRecommendations": RecommendationStatus(recs)}}}}
	raw, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `{"containerName":"a",`) || strings.Index(string(raw), `"a"`) > strings.Index(string(raw), `"b"`) {
		t.Fatalf("containers not sorted by name: %s", raw)
	}
	got, err := ParseRecommendationStatus(u)
	if err != nil {
		t.Fatal(err)
	}
	for n, r := range recs {
		if got[n] != r {
			t.Errorf("%s: got %+v, want %+v", n, got[n], r)
		}
	}
}

// TestDashboardSeries checks that the Grafana dashboard parses and names only
// series serve exports, and that it shows every one of them.
func TestDashboardSeries(t *testing.T) {
	data, err := os.ReadFile("../../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d any
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	known := map[string]bool{}
	for _, n := range SeriesNames {
		known[n] = true
	}
	used := map[string]bool{}
	re := regexp.MustCompile(`smartvpa_[a-z_]+`)
	for _, m := range re.FindAllString(string(data), -1) {
		base := m
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if strings.HasSuffix(m, suf) && known[strings.TrimSuffix(m, suf)] {
				base = strings.TrimSuffix(m, suf)
			}
		}
		if !known[base] {
			t.Errorf("dashboard names %s, which serve does not export", m)
		}
		used[base] = true
	}
	for _, n := range SeriesNames {
		if !used[n] {
			t.Errorf("series %s is not on the dashboard", n)
		}
	}
	// Every registered series is in SeriesNames.
	m := NewMetrics()
	m.Recommendation.WithLabelValues("a", "b", "c", "cpu", "target").Set(1)
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if n := mf.GetName(); strings.HasPrefix(n, "smartvpa_") && !known[n] {
			t.Errorf("registered series %s missing from SeriesNames", n)
		}
	}
}
