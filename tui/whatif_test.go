package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/smartvpa/smartvpa/core/model"
)

// fakeWhatIf answers every what-if with fixed rows for the test
// recommenders, or err; block makes it wait for the context.
type fakeWhatIf struct {
	err   error
	block bool
	asked []Ref
}

func (f *fakeWhatIf) WhatIf(ctx context.Context, ref Ref) (WhatIf, error) {
	f.asked = append(f.asked, ref)
	if f.block {
		<-ctx.Done()
		return WhatIf{}, ctx.Err()
	}
	if f.err != nil {
		return WhatIf{}, f.err
	}
	return WhatIf{
		Ref: ref, Source: "prometheus at http://prom:9090", Containers: 2, Hours: 168, Warmup: 24 * time.Hour,
		Current: model.Resources{CPUMillicores: 2000, MemoryBytes: 4 << 30},
		Rows: []WhatIfRow{
			{Recommender: testRecP90, CPUSlack: 0.312, MemorySlack: 0.25, OOMs: 1, Restarts: 1, UpdatesPerDay: 0.5,
				Request: model.Resources{CPUMillicores: 1200, MemoryBytes: 3 << 30}, HasRequest: true},
			{Recommender: testRecPeak, CPUSlack: 0.521, MemorySlack: 0.4, UpdatesPerDay: 0.25,
				Request: model.Resources{CPUMillicores: 1800, MemoryBytes: 5 << 30}, HasRequest: true},
			{Recommender: "oracle-like", CPUSlack: 0.1, MemorySlack: 0.1},
		},
		Notes: []string{"history is short: the shortest series covers 7d of the 8d asked"},
	}, nil
}

func whatIfHarness(t *testing.T, w, h int, readOnly string, wi WhatIfer) *harness {
	t.Helper()
	src := newDemo(t, readOnly)
	return newHarness(t, w, h, Options{Source: src, Actions: src, Refresh: 5 * time.Second, Context: context.Background(), WhatIf: wi})
}

// TestWhatIfGolden pins the comparison screen; -update rewrites it.
func TestWhatIfGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 30}} {
		name := fmt.Sprintf("what-if-%dx%d", size[0], size[1])
		t.Run(name, func(t *testing.T) {
			hs := whatIfHarness(t, size[0], size[1], "", &fakeWhatIf{})
			hs.keys("j", "b")
			got := []byte(ansi.Strip(hs.m.Render()) + "\n")
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (run with -update if intended):\n--- got\n%s\n--- want\n%s", name, path, got, want)
			}
		})
	}
}

func TestWhatIfRunsOnTheSelectedWorkloadAndEscReturns(t *testing.T) {
	f := &fakeWhatIf{}
	hs := whatIfHarness(t, 120, 30, "", f)
	hs.keys("j")
	sel, _ := hs.m.selected()
	hs.keys("b")
	if len(f.asked) != 1 || f.asked[0] != sel.w.Ref {
		t.Fatalf("what-if asked for %v, want [%v]", f.asked, sel.w.Ref)
	}
	screen := ansi.Strip(hs.m.Render())
	for _, want := range []string{"WHAT-IF " + sel.w.Ref.String(), "RECOMMENDER", "CPU SLACK", "$/MONTH", testRecPeak, "$57"} {
		if !strings.Contains(screen, want) {
			t.Errorf("what-if screen lacks %q:\n%s", want, screen)
		}
	}
	hs.keys("esc")
	if hs.m.wi != nil {
		t.Fatal("esc left the what-if view open")
	}
	if screen := ansi.Strip(hs.m.Render()); !strings.Contains(screen, "KIND/NAME") {
		t.Errorf("esc did not return to the table:\n%s", screen)
	}
}

func TestWhatIfPick(t *testing.T) {
	tests := []struct {
		name, readOnly string
		keys           []string
		wantRec        string
		wantApproved   bool
		wantStatus     string
	}{
		{"enter approves with the row under the cursor", "", []string{"down", "enter"}, testRecPeak, true, "approved with " + testRecPeak + " (1 approved; A applies)"},
		{"a approves too", "", []string{"a"}, testRecP90, true, "approved with " + testRecP90 + " (1 approved; A applies)"},
		{"read-only switches the table only", "RBAC forbids patch", []string{"down", "enter"}, testRecPeak, false, "table shows " + testRecPeak + " (read-only: approving is off)"},
		{"a recommender the cluster cannot use is refused", "", []string{"down", "down", "enter"}, testRecP90, false, "oracle-like cannot recommend for the cluster: pick another"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := whatIfHarness(t, 120, 30, tc.readOnly, &fakeWhatIf{})
			sel, _ := hs.m.selected()
			ref := sel.w.Ref
			hs.keys("b")
			hs.keys(tc.keys...)
			if got := hs.m.recommender(); got != tc.wantRec {
				t.Errorf("recommender %q, want %q", got, tc.wantRec)
			}
			a, approved := hs.m.approved[ref]
			if approved != tc.wantApproved || (approved && a.recommender != tc.wantRec) {
				t.Errorf("approved %v (with %q), want %v (with %q)", approved, a.recommender, tc.wantApproved, tc.wantRec)
			}
			if !strings.HasSuffix(hs.m.status, tc.wantStatus) {
				t.Errorf("status %q, want it to end with %q", hs.m.status, tc.wantStatus)
			}
		})
	}
}

func TestWhatIfError(t *testing.T) {
	hs := whatIfHarness(t, 120, 30, "", &fakeWhatIf{err: errors.New("prometheus at http://prom:9090 is down")})
	hs.keys("b")
	screen := ansi.Strip(hs.m.Render())
	if !strings.Contains(screen, "what-if failed: prometheus at http://prom:9090 is down") {
		t.Errorf("error not shown:\n%s", screen)
	}
	hs.keys("enter") // nothing to pick
	if hs.m.wi == nil {
		t.Fatal("enter closed the failed what-if")
	}
	hs.keys("esc")
	if hs.m.wi != nil {
		t.Fatal("esc left the view open")
	}
}

func TestWhatIfUnavailable(t *testing.T) {
	hs := whatIfHarness(t, 120, 30, "", nil)
	hs.keys("b")
	if hs.m.wi != nil || hs.m.status != "what-if needs a cluster with history: not available in this mode" {
		t.Errorf("wi %v, status %q", hs.m.wi, hs.m.status)
	}
}

// TestWhatIfCancel presses esc while the what-if runs: its context is
// cancelled, the spinner screen closes and the late answer is dropped.
func TestWhatIfCancel(t *testing.T) {
	f := &fakeWhatIf{block: true}
	hs := whatIfHarness(t, 120, 30, "", f)
	_, cmd := hs.m.Update(keyMsg("b"))
	if hs.m.wi == nil || !hs.m.wi.running {
		t.Fatal("b did not start the what-if")
	}
	if screen := ansi.Strip(hs.m.Render()); !strings.Contains(screen, "replaying the history of") {
		t.Errorf("no progress shown while running:\n%s", screen)
	}
	done := make(chan any)
	go func() { done <- cmd() }()
	hs.send(keyMsg("esc"))
	if hs.m.wi != nil {
		t.Fatal("esc did not close the running what-if")
	}
	select {
	case msg := <-done:
		hs.send(msg)
	case <-time.After(5 * time.Second):
		t.Fatal("the what-if did not stop when cancelled")
	}
	if hs.m.wi != nil {
		t.Error("the cancelled answer reopened the view")
	}
	if !strings.HasSuffix(hs.m.status, "cancelled") {
		t.Errorf("status %q", hs.m.status)
	}
}

// failingList fails List for one recommender.
type failingList struct {
	*DemoSource
	fail string
}

func (f failingList) List(ctx context.Context, rec string) ([]Workload, error) {
	if rec == f.fail {
		return nil, errors.New("prometheus is down")
	}
	return f.DemoSource.List(ctx, rec)
}

// TestWhatIfPickWaitsForTheRows: a pick approves only once the picked
// recommender's rows are in the table.
func TestWhatIfPickWaitsForTheRows(t *testing.T) {
	src := newDemo(t, "")
	hs := newHarness(t, 120, 30, Options{Source: failingList{src, testRecPeak}, Actions: src, Context: context.Background(), WhatIf: &fakeWhatIf{}})
	sel, _ := hs.m.selected()
	hs.keys("b", "down", "enter")
	if _, approved := hs.m.approved[sel.w.Ref]; approved {
		t.Error("approved although the picked recommender's rows did not load")
	}
	if want := sel.w.Ref.KindName() + " not approved: " + testRecPeak + "'s recommendations did not load"; hs.m.status != want {
		t.Errorf("status %q, want %q", hs.m.status, want)
	}
	if hs.m.whatIf.pick != nil {
		t.Error("the pick is still pending")
	}
}
