package tui

import (
	"context"
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func (hs *harness) selectedRef() Ref {
	hs.t.Helper()
	r, ok := hs.m.selected()
	if !ok {
		hs.t.Fatal("no row selected")
	}
	return r.w.Ref
}

func (hs *harness) viewRefs() []string {
	var out []string
	for _, i := range hs.m.view {
		out = append(out, hs.m.rows[i].w.Ref.String())
	}
	return out
}

func TestInitialLoad(t *testing.T) {
	hs := demoHarness(t, 80, 24, "")
	m := hs.m
	if !m.loaded || m.loading {
		t.Fatalf("loaded=%v loading=%v after Init", m.loaded, m.loading)
	}
	if got := len(m.rows); got != len(demoSpecs) {
		t.Fatalf("rows = %d, want %d", got, len(demoSpecs))
	}
	if m.shownRec != testRecP90 {
		t.Fatalf("shownRec = %q, want %q", m.shownRec, testRecP90)
	}
	if !m.permKnown || !m.perm.CanPatch {
		t.Fatalf("permission = %+v known=%v, want patch allowed", m.perm, m.permKnown)
	}
	// Sorted by namespace/kind/name as shown (deploy/worker < ds/log-agent).
	for i := 1; i < len(m.view); i++ {
		if a, b := m.rows[m.view[i-1]].key, m.rows[m.view[i]].key; a > b {
			t.Fatalf("rows not sorted by name: %s > %s", a, b)
		}
	}
}

func TestNavigation(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want int
	}{
		{"down j", []string{"j", "down"}, 2},
		{"up clamps at top", []string{"k", "up"}, 0},
		{"down then up", []string{"j", "j", "j", "k"}, 2},
		{"bottom", []string{"G"}, len(demoSpecs) - 1},
		{"bottom then top", []string{"G", "g"}, 0},
		{"down clamps at bottom", []string{"G", "j", "j"}, len(demoSpecs) - 1},
		{"page down", []string{"pgdown"}, len(demoSpecs) - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := demoHarness(t, 80, 24, "")
			hs.keys(tt.keys...)
			if hs.m.cursor != tt.want {
				t.Fatalf("cursor = %d, want %d", hs.m.cursor, tt.want)
			}
		})
	}
}

func TestScrollKeepsCursorVisible(t *testing.T) {
	hs := demoHarness(t, 80, 10, "") // 6 table rows
	for i := 0; i < 9; i++ {
		hs.keys("j")
	}
	m := hs.m
	if m.cursor < m.offset || m.cursor >= m.offset+m.tableRows() {
		t.Fatalf("cursor %d outside the visible rows [%d, %d)", m.cursor, m.offset, m.offset+m.tableRows())
	}
	if !strings.Contains(ansi.Strip(m.Render()), ">"+hs.m.rowMark(&hs.m.rows[hs.m.view[hs.m.cursor]])+hs.selectedRef().Namespace) {
		t.Fatalf("selected row not drawn:\n%s", ansi.Strip(m.Render()))
	}
}

func TestDetailOpensAndCloses(t *testing.T) {
	hs := demoHarness(t, 200, 50, "")
	hs.keys("j", "j")
	want := hs.selectedRef()
	hs.keys("enter")
	m := hs.m
	if m.mode != modeDetail || m.detailRef != want {
		t.Fatalf("mode=%v ref=%v, want detail of %v", m.mode, m.detailRef, want)
	}
	if m.detail == nil || m.detail.Workload.Ref != want || len(m.detail.Containers) == 0 {
		t.Fatalf("detail not loaded: %+v err=%v", m.detail, m.detailErr)
	}
	if len(m.detail.Containers[0].History) == 0 {
		t.Fatal("detail has no history")
	}
	screen := ansi.Strip(m.Render())
	for _, s := range []string{"CPU", "Memory", "━ request", "═ target", "┄ upper", "· lower", "Why (" + testRecP90 + ")"} {
		if !strings.Contains(screen, s) {
			t.Errorf("detail screen lacks %q:\n%s", s, screen)
		}
	}
	hs.keys("esc")
	if m.mode != modeTable || m.detail != nil {
		t.Fatalf("esc did not go back: mode=%v", m.mode)
	}
	if hs.selectedRef() != want {
		t.Fatalf("selection lost: %v, want %v", hs.selectedRef(), want)
	}
}

func TestDetailContainersAndScroll(t *testing.T) {
	hs := demoHarness(t, 80, 24, "")
	hs.typeText("/frontend")
	hs.keys("enter", "enter")
	m := hs.m
	if m.detail == nil || len(m.detail.Containers) != 2 {
		t.Fatalf("frontend detail: %+v", m.detail)
	}
	hs.keys("tab")
	if m.container != 1 {
		t.Fatalf("container = %d after tab, want 1", m.container)
	}
	if !strings.Contains(ansi.Strip(m.Render()), "container nginx (2/2)") {
		t.Fatalf("second container not shown:\n%s", ansi.Strip(m.Render()))
	}
	hs.keys("tab")
	if m.container != 0 {
		t.Fatalf("container = %d after second tab, want 0", m.container)
	}
	before := ansi.Strip(m.Render())
	hs.keys("j", "j", "j")
	m.Render() // clamps the scroll
	if m.detailScroll != 3 {
		t.Fatalf("detailScroll = %d, want 3", m.detailScroll)
	}
	if ansi.Strip(m.Render()) == before {
		t.Fatal("scrolling did not change the screen")
	}
	for i := 0; i < 200; i++ {
		hs.keys("j")
	}
	screen := ansi.Strip(m.Render())
	if !strings.Contains(screen, "test recommender") {
		t.Fatalf("scrolled to the end but the explanation is not shown:\n%s", screen)
	}
}

func TestFilter(t *testing.T) {
	hs := demoHarness(t, 80, 24, "")
	hs.keys("/")
	if !hs.m.editing {
		t.Fatal("/ did not start the filter input")
	}
	hs.typeText("pay")
	for _, r := range hs.viewRefs() {
		if !strings.Contains(r, "pay") {
			t.Fatalf("filter pay kept %s", r)
		}
	}
	if n := len(hs.m.view); n != 4 {
		t.Fatalf("filter pay shows %d rows, want 4: %v", n, hs.viewRefs())
	}
	// Keys typed while filtering are text, not commands.
	hs.typeText("q")
	if hs.quit || hs.m.filter != "payq" {
		t.Fatalf("q while filtering: quit=%v filter=%q", hs.quit, hs.m.filter)
	}
	hs.keys("backspace", "enter")
	if hs.m.editing || hs.m.filter != "pay" {
		t.Fatalf("after enter: editing=%v filter=%q", hs.m.editing, hs.m.filter)
	}
	if !strings.Contains(ansi.Strip(hs.m.Render()), "filter pay  4/12") {
		t.Fatalf("header does not show the filter:\n%s", ansi.Strip(hs.m.Render()))
	}
	hs.keys("esc")
	if hs.m.filter != "" || len(hs.m.view) != len(demoSpecs) {
		t.Fatalf("esc did not clear the filter: %q, %d rows", hs.m.filter, len(hs.m.view))
	}
	hs.typeText("/zzz")
	if !strings.Contains(ansi.Strip(hs.m.Render()), "no workloads match") {
		t.Fatalf("empty filter result not explained:\n%s", ansi.Strip(hs.m.Render()))
	}
	hs.keys("esc")
	if hs.m.editing || hs.m.filter != "" {
		t.Fatalf("esc while editing: editing=%v filter=%q", hs.m.editing, hs.m.filter)
	}
}

func TestSort(t *testing.T) {
	hs := demoHarness(t, 80, 24, "")
	// before reports that b belongs before a: a pair out of order.
	before := map[string]func(a, b *row) bool{
		// Risk first: under-provisioned (most first), then the largest
		// over-provisioning, no recommendation last.
		"drift": func(a, b *row) bool {
			switch {
			case math.IsNaN(b.drift):
				return false
			case math.IsNaN(a.drift):
				return true
			case (a.drift < 0) != (b.drift < 0):
				return b.drift < 0
			}
			return math.Abs(b.drift) > math.Abs(a.drift)
		},
		"saving":     func(a, b *row) bool { return b.saving > a.saving },
		"confidence": func(a, b *row) bool { return b.conf > a.conf },
		"status":     func(a, b *row) bool { return statusRank(hs.m.statusOf(b)) > statusRank(hs.m.statusOf(a)) },
	}
	hs.keys("j", "j")
	sel := hs.selectedRef()
	for _, want := range sortKeys[1:] {
		t.Run(want, func(t *testing.T) {
			hs.keys("s")
			if got := sortKeys[hs.m.sortIdx]; got != want {
				t.Fatalf("sort = %s, want %s", got, want)
			}
			if hs.selectedRef() != sel {
				t.Fatalf("sorting moved the selection to %v, want %v", hs.selectedRef(), sel)
			}
			f := before[want]
			for i := 1; i < len(hs.m.view); i++ {
				a, b := &hs.m.rows[hs.m.view[i-1]], &hs.m.rows[hs.m.view[i]]
				if f(a, b) {
					t.Fatalf("rows %d,%d out of order by %s: %s before %s", i-1, i, want, a.w.Ref, b.w.Ref)
				}
			}
			// S reverses: the same rows, the other way round.
			forward := append([]int(nil), hs.m.view...)
			hs.keys("S")
			if !hs.m.sortDesc || !strings.Contains(ansi.Strip(hs.m.Render()), want+"↑") {
				t.Fatalf("S: sortDesc %v, header lacks %q", hs.m.sortDesc, want+"↑")
			}
			for i := 1; i < len(hs.m.view); i++ {
				a, b := &hs.m.rows[hs.m.view[i-1]], &hs.m.rows[hs.m.view[i]]
				if f(b, a) {
					t.Fatalf("reversed rows %d,%d out of order by %s: %s before %s", i-1, i, want, a.w.Ref, b.w.Ref)
				}
			}
			if len(forward) != len(hs.m.view) {
				t.Fatalf("reverse changed the rows: %d, want %d", len(hs.m.view), len(forward))
			}
			hs.keys("S")
		})
	}
	hs.keys("s")
	if sortKeys[hs.m.sortIdx] != "name" {
		t.Fatalf("sort did not wrap to name: %s", sortKeys[hs.m.sortIdx])
	}
}

func TestNamespace(t *testing.T) {
	hs := demoHarness(t, 80, 24, "")
	want := []string{"batch", "monitoring", "payments", "shop", ""}
	for _, ns := range want {
		hs.keys("n")
		for _, i := range hs.m.view {
			if got := hs.m.rows[i].w.Ref.Namespace; ns != "" && got != ns {
				t.Fatalf("namespace %s shows %s", ns, got)
			}
		}
		if ns == "" && len(hs.m.view) != len(demoSpecs) {
			t.Fatalf("all namespaces shows %d rows", len(hs.m.view))
		}
	}
}

func TestRecommenderPicker(t *testing.T) {
	hs := demoHarness(t, 80, 24, "")
	before := hs.m.rows[0].cpuRec
	hs.keys("r")
	if hs.m.recommender() != testRecPeak || hs.m.shownRec != testRecPeak {
		t.Fatalf("recommender = %s shown %s, want %s", hs.m.recommender(), hs.m.shownRec, testRecPeak)
	}
	if hs.m.rows[0].cpuRec <= before {
		t.Fatalf("peak recommender should recommend more cpu than p90: %v <= %v", hs.m.rows[0].cpuRec, before)
	}
	hs.keys("enter")
	if !strings.Contains(ansi.Strip(hs.m.Render()), "["+testRecPeak+"]") {
		t.Fatalf("picker does not mark %s:\n%s", testRecPeak, ansi.Strip(hs.m.Render()))
	}
	hs.keys("r")
	if hs.m.detail == nil || hs.m.detail.Containers[0].Explanation.Recommender != testRecP90 {
		t.Fatalf("detail not reloaded for %s", testRecP90)
	}
}

func TestApproveAndApply(t *testing.T) {
	hs := demoHarness(t, 80, 24, "")
	m := hs.m
	hs.typeText("/payments")
	hs.keys("enter", "a", "j", "a")
	if len(m.approved) != 2 {
		t.Fatalf("approved %d, want 2", len(m.approved))
	}
	if st := m.statusOf(&m.rows[m.view[0]]); st != "approved" {
		t.Fatalf("status %q, want approved", st)
	}
	hs.keys("A")
	if m.dialog == nil || !m.dialog.apply {
		t.Fatalf("A did not open the confirm dialog")
	}
	d := m.dialog
	if len(d.results) != 2 || d.busy != "" {
		t.Fatalf("dry-run results %d busy %q", len(d.results), d.busy)
	}
	screen := ansi.Strip(m.Render())
	for _, s := range []string{"Apply 2 workload(s)", `patch: {"spec":{"template":{"spec":{"containers":[{"name"`, "patched (simulated dry run: demo, no cluster)", "y apply 2"} {
		if !strings.Contains(screen, s) {
			t.Errorf("dialog lacks %q:\n%s", s, screen)
		}
	}
	approved := []Ref{m.rows[m.view[0]].w.Ref, m.rows[m.view[1]].w.Ref}
	hs.keys("y")
	if m.dialog != nil {
		t.Fatalf("dialog still open after a successful apply: %+v", m.dialog)
	}
	if len(m.approved) != 0 {
		t.Fatalf("approvals not cleared: %v", m.approved)
	}
	for _, ref := range approved {
		r, _ := m.rowByRef(ref)
		if st := m.statusOf(r); st != "applied" {
			t.Errorf("%s status %q, want applied", ref, st)
		}
		if math.Abs(r.drift) > 0.005 {
			t.Errorf("%s drift %.3f after apply, want 0", ref, r.drift)
		}
	}
	if !strings.Contains(m.status, "applied 2 workload(s)") {
		t.Fatalf("status %q", m.status)
	}
}

func TestApplyCancelAndNothingApproved(t *testing.T) {
	hs := demoHarness(t, 80, 24, "")
	hs.keys("A")
	if hs.m.dialog != nil || !strings.Contains(hs.m.status, "nothing approved") {
		t.Fatalf("A with nothing approved: dialog=%v status=%q", hs.m.dialog, hs.m.status)
	}
	hs.keys("a", "A", "n")
	if hs.m.dialog != nil || hs.m.status != "apply cancelled" {
		t.Fatalf("n did not cancel: dialog=%v status=%q", hs.m.dialog, hs.m.status)
	}
	r, _ := hs.m.selected()
	if r.w.Applied {
		t.Fatal("cancelled apply changed the workload")
	}
	// Toggling approval off.
	hs.keys("a")
	if len(hs.m.approved) != 0 {
		t.Fatalf("second a did not remove the approval: %v", hs.m.approved)
	}
}

func TestDryRunDialog(t *testing.T) {
	hs := demoHarness(t, 200, 50, "")
	hs.keys("d")
	d := hs.m.dialog
	if d == nil || d.apply || len(d.results) != 1 || d.results[0].Err != nil {
		t.Fatalf("d: dialog %+v", d)
	}
	hs.keys("y") // not an apply dialog: nothing happens
	if hs.m.dialog == nil || hs.m.rows[hs.m.view[0]].w.Applied {
		t.Fatal("y in the dry-run dialog applied")
	}
	hs.keys("esc")
	if hs.m.dialog != nil {
		t.Fatal("esc did not close the dry-run dialog")
	}
}

func TestHPAConflictCannotBeApproved(t *testing.T) {
	hs := demoHarness(t, 80, 24, "")
	hs.typeText("/checkout")
	hs.keys("enter", "a")
	if len(hs.m.approved) != 0 || !strings.Contains(hs.m.status, "hpa/checkout scales on cpu") {
		t.Fatalf("approved=%v status=%q", hs.m.approved, hs.m.status)
	}
	// At 80 columns the status column gives way to the names: the row's
	// marker says "!" (HPA conflict).
	if !strings.Contains(ansi.Strip(hs.m.Render()), ">!shop") || hs.m.statusOf(&hs.m.rows[hs.m.view[0]]) != "HPA conflict" {
		t.Fatalf("HPA conflict not shown:\n%s", ansi.Strip(hs.m.Render()))
	}
}

func TestReadOnly(t *testing.T) {
	hs := demoHarness(t, 80, 24, "RBAC: cannot patch deployments.apps")
	m := hs.m
	if m.perm.CanPatch || m.keys.Approve.Enabled() || m.keys.ApplyMarked.Enabled() || m.keys.DryRun.Enabled() {
		t.Fatalf("read-only not applied: perm=%+v", m.perm)
	}
	hs.keys("a", "A", "d")
	if len(m.approved) != 0 || m.dialog != nil {
		t.Fatalf("apply keys acted in read-only mode: approved=%v dialog=%v", m.approved, m.dialog)
	}
	screen := ansi.Strip(m.Render())
	lines := strings.Split(screen, "\n")
	status, hints := lines[len(lines)-2], lines[len(lines)-1]
	if !strings.Contains(status, "read-only: RBAC: cannot patch deployments.apps") {
		t.Fatalf("status line does not say why: %q", status)
	}
	if strings.Contains(hints, "approve") || strings.Contains(hints, "apply") {
		t.Fatalf("hint line offers disabled keys: %q", hints)
	}
	hs.keys("?")
	if !strings.Contains(ansi.Strip(m.Render()), "(read-only) approve") {
		t.Fatalf("help does not mark disabled keys:\n%s", ansi.Strip(m.Render()))
	}
}

func TestNoActionsIsReadOnly(t *testing.T) {
	src := newDemo(t, "")
	hs := newHarness(t, 80, 24, Options{Source: src})
	if hs.m.perm.CanPatch || hs.m.keys.Approve.Enabled() {
		t.Fatal("a model without Actions must be read-only")
	}
}

func TestHelpGeneratedFromKeyMap(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		hs := demoHarness(t, size[0], size[1], "")
		hs.keys("?")
		if !hs.m.help {
			t.Fatal("? did not open help")
		}
		screen := ansi.Strip(hs.m.Render())
		for _, g := range hs.m.keys.groups() {
			for _, b := range g.Bindings {
				h := b.Help()
				if !strings.Contains(screen, h.Desc) {
					t.Errorf("%dx%d help lacks %q (%s)", size[0], size[1], h.Desc, h.Key)
				}
			}
		}
		hs.keys("?")
		if hs.m.help {
			t.Fatal("? did not close help")
		}
	}
}

func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			hs := demoHarness(t, 80, 24, "")
			hs.keys(k)
			if !hs.quit {
				t.Fatalf("%s did not quit", k)
			}
		})
	}
	hs := demoHarness(t, 80, 24, "")
	hs.keys("enter", "q")
	if !hs.quit {
		t.Fatal("q in the detail did not quit")
	}
}

func TestStaleAnswersIgnored(t *testing.T) {
	hs := demoHarness(t, 80, 24, "")
	m := hs.m
	n := len(m.rows)
	hs.send(listMsg{seq: m.listSeq - 1, recommender: testRecPeak})
	if len(m.rows) != n || m.shownRec != testRecP90 {
		t.Fatal("an old list answer replaced the rows")
	}
	hs.send(listMsg{seq: m.listSeq, err: errors.New("connection refused")})
	if len(m.rows) != n || !strings.Contains(m.status, "refresh failed: connection refused") {
		t.Fatalf("failed refresh: rows=%d status=%q", len(m.rows), m.status)
	}
	hs.keys("R")
	if m.statusErr {
		t.Fatalf("successful refresh left the error: %q", m.status)
	}
}

func TestTickReloads(t *testing.T) {
	hs := demoHarness(t, 80, 24, "")
	seq := hs.m.listSeq
	hs.send(tickMsg{})
	if hs.m.listSeq != seq+1 || hs.m.loading {
		t.Fatalf("tick: listSeq %d -> %d, loading %v", seq, hs.m.listSeq, hs.m.loading)
	}
	hs.keys("enter")
	dseq := hs.m.detailSeq
	hs.send(tickMsg{})
	if hs.m.detailSeq != dseq+1 {
		t.Fatal("tick did not reload the open detail")
	}
}

func TestRefreshCmdIsAsync(t *testing.T) {
	// Update must not call the source: it returns a command that does.
	src := &countingSource{Source: newDemo(t, "")}
	m := New(Options{Source: src})
	m.noTick = true
	_, cmd := m.Update(keyMsg("R"))
	if src.calls != 0 {
		t.Fatal("Update called the source")
	}
	if cmd == nil {
		t.Fatal("R returned no command")
	}
	cmd()
	if src.calls != 1 {
		t.Fatalf("command called the source %d times", src.calls)
	}
}

type countingSource struct {
	Source
	calls int
}

func (c *countingSource) List(ctx context.Context, rec string) ([]Workload, error) {
	c.calls++
	return c.Source.List(ctx, rec)
}

// Every screen is exactly the terminal's size.
func TestRenderFitsScreen(t *testing.T) {
	sizes := [][2]int{{80, 24}, {81, 25}, {100, 30}, {200, 50}, {60, 15}}
	steps := map[string][]string{
		"table":  nil,
		"detail": {"enter"},
		"help":   {"?"},
		"filter": {"/", "x"},
		"dialog": {"a", "A"},
	}
	for _, sz := range sizes {
		for name, ks := range steps {
			t.Run(name, func(t *testing.T) {
				hs := demoHarness(t, sz[0], sz[1], "")
				hs.keys(ks...)
				lines := strings.Split(hs.m.Render(), "\n")
				if len(lines) != sz[1] {
					t.Fatalf("%dx%d %s: %d lines", sz[0], sz[1], name, len(lines))
				}
				for i, l := range lines {
					if w := ansi.StringWidth(l); w != sz[0] {
						t.Fatalf("%dx%d %s: line %d is %d cells: %q", sz[0], sz[1], name, i, w, ansi.Strip(l))
					}
				}
			})
		}
	}
}

var sgr = regexp.MustCompile("\x1b\\[([0-9;:]*)m")

// colourParams reports whether an SGR sequence sets a colour.
func setsColour(params string) bool {
	for _, p := range strings.FieldsFunc(params, func(r rune) bool { return r == ';' || r == ':' }) {
		switch {
		case p >= "30" && p <= "39" && len(p) == 2, p >= "40" && p <= "49" && len(p) == 2,
			p >= "90" && p <= "97" && len(p) == 2, len(p) == 3 && p >= "100" && p <= "107":
			if p != "39" && p != "49" {
				return true
			}
		}
	}
	return false
}

func TestNoColor(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		src := newDemo(t, "")
		hs := newHarness(t, 120, 40, Options{Source: src, Actions: src, NoColor: noColor})
		screens := []string{hs.m.Render()}
		hs.keys("enter")
		screens = append(screens, hs.m.Render())
		hs.keys("esc", "?")
		screens = append(screens, hs.m.Render())
		colours := 0
		for _, s := range screens {
			for _, mm := range sgr.FindAllStringSubmatch(s, -1) {
				if setsColour(mm[1]) {
					colours++
				}
			}
		}
		if noColor && colours > 0 {
			t.Errorf("NoColor: %d colour sequences", colours)
		}
		if !noColor && colours == 0 {
			t.Errorf("colour mode drew no colour (the test would not catch a leak)")
		}
	}
}

func TestViewSetsAltScreen(t *testing.T) {
	hs := demoHarness(t, 80, 24, "")
	v := hs.m.View()
	if !v.AltScreen || v.Content != hs.m.Render() {
		t.Fatalf("View: altscreen=%v", v.AltScreen)
	}
}

var _ tea.Model = (*Model)(nil)

func TestTimeoutApplies(t *testing.T) {
	src := &slowSource{Source: newDemo(t, "")}
	m := New(Options{Source: src, Timeout: 10 * time.Millisecond})
	m.noTick = true
	msg := m.loadList()()
	lm, ok := msg.(listMsg)
	if !ok || !errors.Is(lm.err, context.DeadlineExceeded) {
		t.Fatalf("slow source: %#v", msg)
	}
}

type slowSource struct{ Source }

func (s *slowSource) List(ctx context.Context, _ string) ([]Workload, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestStartNamespace(t *testing.T) {
	src := newDemo(t, "")
	hs := newHarness(t, 80, 24, Options{Source: src, Namespace: "shop"})
	if len(hs.m.view) != 4 {
		t.Fatalf("namespace shop shows %d rows, want 4: %v", len(hs.m.view), hs.viewRefs())
	}
	if !strings.Contains(ansi.Strip(hs.m.Render()), "ns shop") {
		t.Fatalf("header does not show the namespace:\n%s", ansi.Strip(hs.m.Render()))
	}
	// A refresh keeps the namespace.
	hs.keys("R")
	if len(hs.m.view) != 4 {
		t.Fatalf("after refresh %d rows", len(hs.m.view))
	}
}
