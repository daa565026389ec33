package tuisource

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/tui"
)

// One meaning per number: for one container, recommend -o json, audit -o
// json and the TUI's table show the same drift and the same monthly saving.
// recommend and audit print kube's report; the TUI lists through this
// source and computes its row with tui.Numbers, the function its table uses.
func TestSameDriftAndSavingsEverywhere(t *testing.T) {
	f := newTUIFixture(t)
	ctx := context.Background()
	rows, err := f.src.List(ctx, "vpa")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := f.src.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := *f.src.Engine
	e.Recommender = "vpa"
	h, notes, err := e.FetchHistory(ctx, ws, f.now)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.Recommend(ctx, ws, h, notes, f.now)
	if err != nil {
		t.Fatal(err)
	}
	// What recommend -o json and audit -o json print.
	var recJSON, auditJSON bytes.Buffer
	if err := kube.PrintReport(&recJSON, rep, "json", false); err != nil {
		t.Fatal(err)
	}
	if err := kube.PrintAudit(&auditJSON, kube.Audit(rep, 0.3), "json"); err != nil {
		t.Fatal(err)
	}
	var r struct {
		Workloads []struct {
			Name       string
			Containers []struct {
				Name           string
				Drift          *model.Drift
				MonthlySavings float64
			}
		}
	}
	var a struct {
		Items []struct {
			Name, Container string
			Drift           *model.Drift
			MonthlySavings  float64
		}
	}
	if err := json.Unmarshal(recJSON.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(auditJSON.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range []string{"web", "api"} {
		row := findRow(t, rows, "deploy/"+name)
		tuiDrift, tuiSaving, ok := tui.Numbers(row, model.DefaultPrices)
		if !ok || len(row.Containers) != 1 {
			t.Fatalf("%s: TUI row without one recommended container: %+v", name, row)
		}
		for _, w := range r.Workloads {
			if w.Name != name {
				continue
			}
			c := w.Containers[0]
			var it struct {
				Drift          *model.Drift
				MonthlySavings float64
			}
			for _, x := range a.Items {
				if x.Name == name {
					it.Drift, it.MonthlySavings = x.Drift, x.MonthlySavings
				}
			}
			if c.Drift == nil || it.Drift == nil {
				t.Fatalf("%s: no drift in recommend (%v) or audit (%v)", name, c.Drift, it.Drift)
			}
			for _, res := range model.AllResources {
				rd, ad, td := c.Drift.Get(res), it.Drift.Get(res), tuiDrift.Get(res)
				if math.Abs(rd-ad) > 1e-12 || math.Abs(rd-td) > 1e-9 {
					t.Errorf("%s %s drift: recommend %v, audit %v, TUI %v", name, res, rd, ad, td)
				}
			}
			// recommend rounds to cents; the TUI shows whole dollars.
			if c.MonthlySavings != it.MonthlySavings || math.Abs(c.MonthlySavings-tuiSaving) > 0.005 {
				t.Errorf("%s saving: recommend %v, audit %v, TUI %v", name, c.MonthlySavings, it.MonthlySavings, tuiSaving)
			}
			checked++
		}
	}
	if checked != 2 {
		t.Fatalf("checked %d containers, want 2", checked)
	}
}
