package tui

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"sigs.k8s.io/yaml"

	"github.com/smartvpa/smartvpa/core/model"
)

// The numbers of a row are core/model's: the drift and the saving of a
// one-container workload are exactly model.DriftValue and
// model.MonthlySavings of its request and target.
func TestRowNumbersAreTheModels(t *testing.T) {
	hs := demoHarness(t, 120, 35, "")
	checked := 0
	for i := range hs.m.rows {
		r := &hs.m.rows[i]
		if len(r.w.Containers) != 1 || !r.hasRec {
			continue
		}
		c := r.w.Containers[0]
		cpu, mem := model.DriftValue(c.Request.CPUMillicores, c.Rec.Target.CPUMillicores), model.DriftValue(c.Request.MemoryBytes, c.Rec.Target.MemoryBytes)
		save := model.MonthlySavings(c.Request, c.Rec.Target, float64(max(r.w.Replicas, 1)), model.DefaultPrices)
		if r.cpuDrift != cpu || r.memDrift != mem || math.Abs(r.saving-save) > 1e-9 {
			t.Errorf("%s: drift %v/%v saving %v, want %v/%v %v", r.w.Ref, r.cpuDrift, r.memDrift, r.saving, cpu, mem, save)
		}
		if r.drift != (model.Drift{CPU: cpu, Memory: mem}).Worst() {
			t.Errorf("%s: worst drift %v", r.w.Ref, r.drift)
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d one-container rows checked", checked)
	}
}

// An approval is bound to the numbers seen: after r the apply dialog offers
// the approved recommender's numbers and says which recommender they are
// from; a twice re-approves with the recommender shown.
func TestApprovalsKeepTheirNumbersOnRecommenderChange(t *testing.T) {
	hs := demoHarness(t, 120, 35, "")
	m := hs.m
	hs.typeText("/worker")
	hs.keys("enter", "a")
	r, _ := m.selected()
	want := roundRequest(r.w.Containers[0].Rec.Target)
	hs.keys("r")
	if m.shownRec != testRecPeak {
		t.Fatalf("r shows %s, want %s", m.shownRec, testRecPeak)
	}
	if !strings.Contains(m.status, "1 approval(s) keep the numbers of the recommender they were approved with") {
		t.Fatalf("status after r: %q", m.status)
	}
	r, _ = m.selected()
	if got := m.statusOf(r); got != "approved ("+testRecP90+")" {
		t.Fatalf("status column %q", got)
	}
	if peak := roundRequest(r.w.Containers[0].Rec.Target); peak == want {
		t.Fatalf("the two test recommenders agree on worker (%v): the test proves nothing", peak)
	}
	hs.keys("A")
	if m.dialog == nil || len(m.dialog.changes) != 1 {
		t.Fatalf("A: dialog %+v", m.dialog)
	}
	ch := m.dialog.changes[0]
	if ch.Recommender != testRecP90 || ch.Containers[0].To != want {
		t.Fatalf("dialog applies %s %+v, want %s %+v", ch.Recommender, ch.Containers[0].To, testRecP90, want)
	}
	if screen := ansi.Strip(m.Render()); !strings.Contains(screen, "with "+testRecP90) {
		t.Fatalf("dialog does not name the approved recommender:\n%s", screen)
	}
	hs.keys("esc", "a", "a")
	if a := m.approved[r.w.Ref]; a.recommender != testRecPeak {
		t.Fatalf("re-approved with %q, want %s", a.recommender, testRecPeak)
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name, line string
		check      func(m *Model) string // "" when fine
	}{
		{"ns NAME", "ns payments", func(m *Model) string {
			for _, i := range m.view {
				if m.rows[i].w.Ref.Namespace != "payments" {
					return "shows " + m.rows[i].w.Ref.String()
				}
			}
			if len(m.view) != 4 {
				return "wrong count"
			}
			return ""
		}},
		{"ns all", "ns", func(m *Model) string {
			if m.nsIdx != -1 || len(m.view) != 12 {
				return "not every namespace"
			}
			return ""
		}},
		{"deploy", "deploy", func(m *Model) string {
			for _, i := range m.view {
				if m.rows[i].w.Ref.Kind != "Deployment" {
					return "shows " + m.rows[i].w.Ref.String()
				}
			}
			if len(m.view) != 8 {
				return "wrong count"
			}
			return ""
		}},
		{"sts", "sts", func(m *Model) string {
			if len(m.view) != 3 || m.kind != "StatefulSet" {
				return "not the three StatefulSets"
			}
			return ""
		}},
		{"rec NAME", "rec " + testRecPeak, func(m *Model) string {
			if m.shownRec != testRecPeak {
				return "recommender " + m.shownRec
			}
			return ""
		}},
		{"unknown namespace", "ns nope", func(m *Model) string {
			if !m.statusErr || m.status != `no namespace "nope" among the workloads: choose from batch, monitoring, payments, shop` {
				return "status " + m.status
			}
			return ""
		}},
		{"unknown command", "frobnicate", func(m *Model) string {
			if !m.statusErr || m.status != `unknown command "frobnicate": use `+commandHelp {
				return "status " + m.status
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := demoHarness(t, 120, 35, "")
			hs.keys(":")
			if !hs.m.prompting {
				t.Fatal(": did not open the command line")
			}
			hs.typeText(tt.line)
			hs.keys("enter")
			if hs.m.prompting {
				t.Fatal("enter did not close the command line")
			}
			if msg := tt.check(hs.m); msg != "" {
				t.Fatalf(":%s: %s", tt.line, msg)
			}
		})
	}
}

// y shows the patch as YAML, and that YAML is the JSON patch A sends.
func TestYAMLPatch(t *testing.T) {
	hs := demoHarness(t, 120, 35, "")
	hs.keys("y")
	if hs.m.yaml == nil {
		t.Fatal("y did not open the patch view")
	}
	screen := ansi.Strip(hs.m.Render())
	for _, s := range []string{"patch of batch/Deployment/worker", "# kubectl patch -n batch deployment.apps worker --patch-file patch.yaml", "      - name: worker", "            cpu: "} {
		if !strings.Contains(screen, s) {
			t.Errorf("patch view lacks %q:\n%s", s, screen)
		}
	}
	r, _ := hs.m.selected()
	for _, kind := range []string{"Deployment", "CronJob"} {
		w := r.w
		w.Ref.Kind = kind
		c, err := changeFor(w, hs.m.shownRec)
		if err != nil {
			t.Fatal(err)
		}
		j, err := yaml.YAMLToJSON([]byte(RequestsPatchYAML(c)))
		if err != nil {
			t.Fatalf("%s: patch YAML does not parse: %v\n%s", kind, err, RequestsPatchYAML(c))
		}
		var a, b any
		_ = json.Unmarshal(j, &a)
		_ = json.Unmarshal([]byte(RequestsPatch(c)), &b)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("%s: YAML patch %s, JSON patch %s", kind, ja, jb)
		}
	}
	hs.keys("esc")
	if hs.m.yaml != nil {
		t.Fatal("esc did not close the patch view")
	}
}

func TestUnknownKeyAnswered(t *testing.T) {
	hs := demoHarness(t, 120, 35, "")
	hs.keys("x")
	if !hs.m.statusErr || hs.m.status != "key x does nothing here: ? lists the keys" {
		t.Fatalf("status %q", hs.m.status)
	}
}

func TestLayoutByWidth(t *testing.T) {
	tests := []struct {
		w, h      int
		want, not []string
	}{
		// 80 columns: the change keys stay in the footer, names are whole.
		{80, 24, []string{"a approve", "A apply", "d dry-run", "deploy/fraud-scorer", "CPU±", "MEM±", "$/MO"}, []string{"REPL", "LIMITS"}},
		{120, 35, []string{"CONF", "STATUS", "HPA conflict"}, []string{"REPL", "LIMITS", "CPU USE"}},
		// Wide: replicas, limits and usage as % of the request.
		{160, 40, []string{"REPL", "LIMITS CPU/MEM", "CPU USE", "MEM USE", "1100m/640Mi"}, nil},
	}
	for _, tt := range tests {
		hs := demoHarness(t, tt.w, tt.h, "")
		screen := ansi.Strip(hs.m.Render())
		for _, s := range tt.want {
			if !strings.Contains(screen, s) {
				t.Errorf("%dx%d lacks %q:\n%s", tt.w, tt.h, s, screen)
			}
		}
		for _, s := range tt.not {
			if strings.Contains(screen, s) {
				t.Errorf("%dx%d shows %q:\n%s", tt.w, tt.h, s, screen)
			}
		}
	}
}

// The header totals the monthly saving of the rows shown.
func TestHeaderTotal(t *testing.T) {
	hs := demoHarness(t, 120, 35, "")
	total := 0.0
	for i := range hs.m.rows {
		if hs.m.rows[i].hasRec {
			total += hs.m.rows[i].saving
		}
	}
	if !strings.Contains(ansi.Strip(hs.m.headerLine(120)), "total "+fmtMoney(total)+"/mo") {
		t.Fatalf("header %q lacks total %s", ansi.Strip(hs.m.headerLine(120)), fmtMoney(total))
	}
	hs.typeText("/payments")
	hs.keys("enter")
	sub := 0.0
	for _, i := range hs.m.view {
		sub += hs.m.rows[i].saving
	}
	if !strings.Contains(ansi.Strip(hs.m.headerLine(120)), "total "+fmtMoney(sub)+"/mo") {
		t.Fatalf("filtered header %q lacks %s", ansi.Strip(hs.m.headerLine(120)), fmtMoney(sub))
	}
}

// b is the what-if key, but not while typing a command or reading a patch.
func TestWhatIfKeyNotInPromptOrYAML(t *testing.T) {
	hs := demoHarness(t, 120, 35, "")
	hs.keys(":")
	hs.typeText("ns batch")
	if hs.m.prompt != "ns batch" || hs.m.wi != nil {
		t.Fatalf("prompt %q, what-if %v: b was taken from the command line", hs.m.prompt, hs.m.wi != nil)
	}
	hs.keys("esc", "y", "b")
	if hs.m.yaml == nil || hs.m.wi != nil {
		t.Fatalf("b in the patch view: yaml open %v, what-if %v", hs.m.yaml != nil, hs.m.wi != nil)
	}
}
