package tui

import (
	"math"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/smartvpa/smartvpa/core/model"
)

// The workload table: its rows (computed once per list), the view after the
// namespace filter, the filter and the sort, the cursor and scrolling, and its
// keys.

// sortKeys are the table's sort orders, in the order `s` cycles them; `S`
// reverses the current one.
var sortKeys = []string{"name", "drift", "saving", "confidence", "status"}

// row is one workload with the numbers the table shows, computed once per
// list (View only formats them). Drift and saving are core/model's, the same
// numbers recommend and audit print.
type row struct {
	w                              Workload
	key                            string // lower-case ref, for the filter
	kindName                       string
	cpuReq, cpuRec, memReq, memRec float64
	cpuLim, memLim                 float64
	cpuUse, memUse                 float64 // latest usage, 0 unknown
	cpuDrift, memDrift             float64 // model.DriftValue, NaN none
	drift                          float64 // model.Drift.Worst: the riskiest of the two
	hasRec                         bool
	conf                           float64
	saving                         float64 // model.MonthlySavings, $ per month
}

// setRows replaces the rows with a fresh list.
func (m *Model) setRows(ws []Workload, rec string) {
	var sel Ref
	hadSel := m.cursor < len(m.view)
	if hadSel {
		sel = m.rows[m.view[m.cursor]].w.Ref
	}
	m.shownRec = rec
	m.view = m.view[:0]
	m.rows = m.rows[:0]
	nsSet := map[string]bool{}
	m.maxNS, m.maxName = 0, 0
	for _, w := range ws {
		r := m.makeRow(w)
		m.rows = append(m.rows, r)
		nsSet[w.Ref.Namespace] = true
		m.maxNS = max(m.maxNS, ansi.StringWidth(w.Ref.Namespace))
		m.maxName = max(m.maxName, ansi.StringWidth(r.kindName))
	}
	sort.Slice(m.rows, func(i, j int) bool { return m.rows[i].key < m.rows[j].key })
	var curNS string
	if m.nsIdx >= 0 && m.nsIdx < len(m.nss) {
		curNS = m.nss[m.nsIdx]
	} else if !m.loaded && m.opts.Namespace != "" {
		curNS = m.opts.Namespace
	}
	m.nss = m.nss[:0]
	for ns := range nsSet {
		m.nss = append(m.nss, ns)
	}
	sort.Strings(m.nss)
	m.nsIdx = -1
	for i, ns := range m.nss {
		if ns == curNS {
			m.nsIdx = i
		}
	}
	m.loaded = true
	m.measureColumns()
	m.rebuildView()
	if hadSel {
		m.selectRef(sel)
	}
}

// Numbers are a workload's drift and monthly saving as the table shows them:
// model.DriftOf the summed requests and targets of its containers with a
// recommendation (for one container: recommend's and audit's drift), and
// the sum of model.MonthlySavings of each at the workload's replicas (at
// least 1) and prices. ok is false when no container has a recommendation.
func Numbers(w Workload, prices model.Prices) (drift model.Drift, saving float64, ok bool) {
	replicas := float64(max(w.Replicas, 1))
	var req, rec model.Resources
	for _, c := range w.Containers {
		if !c.OK {
			continue
		}
		ok = true
		req.CPUMillicores += c.Request.CPUMillicores
		req.MemoryBytes += c.Request.MemoryBytes
		rec.CPUMillicores += c.Rec.Target.CPUMillicores
		rec.MemoryBytes += c.Rec.Target.MemoryBytes
		saving += model.MonthlySavings(c.Request, c.Rec.Target, replicas, prices)
	}
	if !ok {
		return model.Drift{CPU: math.NaN(), Memory: math.NaN()}, 0, false
	}
	return model.DriftOf(req, rec), saving, true
}

func (m *Model) makeRow(w Workload) row {
	r := row{w: w, kindName: w.Ref.KindName(), conf: 1}
	r.key = strings.ToLower(w.Ref.Namespace + "/" + r.kindName)
	for _, c := range w.Containers {
		r.cpuReq += c.Request.CPUMillicores
		r.memReq += c.Request.MemoryBytes
		r.cpuLim += c.Limit.CPUMillicores
		r.memLim += c.Limit.MemoryBytes
		r.cpuUse += c.Usage.CPUMillicores
		r.memUse += c.Usage.MemoryBytes
		if !c.OK {
			r.conf = 0
			continue
		}
		r.hasRec = true
		r.cpuRec += c.Rec.Target.CPUMillicores
		r.memRec += c.Rec.Target.MemoryBytes
		r.conf = math.Min(r.conf, c.Confidence)
	}
	if !r.hasRec {
		r.conf = 0
	}
	var d model.Drift
	d, r.saving, _ = Numbers(w, m.opts.Prices)
	r.cpuDrift, r.memDrift, r.drift = d.CPU, d.Memory, d.Worst()
	return r
}

// statusOf is the status column of a row.
func (m *Model) statusOf(r *row) string {
	switch {
	case r.w.HPAConflict != "":
		return "HPA conflict"
	case r.w.Applied:
		return "applied"
	}
	if a, ok := m.approved[r.w.Ref]; ok {
		if a.recommender != m.shownRec {
			return "approved (" + a.recommender + ")"
		}
		return "approved"
	}
	return ""
}

func statusRank(s string) int {
	switch {
	case s == "HPA conflict":
		return 3
	case strings.HasPrefix(s, "approved"):
		return 2
	case s == "applied":
		return 1
	}
	return 0
}

// rebuildView applies the namespace, the filter and the sort, keeping the
// cursor on the same workload when it is still shown.
func (m *Model) rebuildView() {
	sel, hadSel := m.selected()
	var selRef Ref
	if hadSel {
		selRef = sel.w.Ref
	}
	defer func() {
		if hadSel {
			m.selectRef(selRef)
		}
	}()
	m.view = m.view[:0]
	f := strings.ToLower(m.filter)
	for i := range m.rows {
		r := &m.rows[i]
		if m.nsIdx >= 0 && r.w.Ref.Namespace != m.nss[m.nsIdx] {
			continue
		}
		if f != "" && !strings.Contains(r.key, f) {
			continue
		}
		if m.kind != "" && r.w.Ref.Kind != m.kind {
			continue
		}
		m.view = append(m.view, i)
	}
	less := m.lessFunc()
	sort.SliceStable(m.view, func(a, b int) bool {
		ra, rb := &m.rows[m.view[a]], &m.rows[m.view[b]]
		if m.sortDesc {
			return less(rb, ra)
		}
		return less(ra, rb)
	})
	m.clampScroll()
}

// lessFunc is the order of the current sort column before reversing: name
// A-Z, drift risk-first (model.RiskFirst: under-provisioned first, then the
// largest over-provisioning, no recommendation last), the largest saving,
// the highest confidence, and HPA conflicts, approved, applied first.
func (m *Model) lessFunc() func(a, b *row) bool {
	switch sortKeys[m.sortIdx] {
	case "drift":
		return func(a, b *row) bool { return model.RiskFirst(a.drift, b.drift) }
	case "saving":
		return func(a, b *row) bool { return a.saving > b.saving }
	case "confidence":
		return func(a, b *row) bool { return a.conf > b.conf }
	case "status":
		return func(a, b *row) bool { return statusRank(m.statusOf(a)) > statusRank(m.statusOf(b)) }
	}
	return func(a, b *row) bool { return a.key < b.key }
}

func (m *Model) selectRef(ref Ref) {
	for i, idx := range m.view {
		if m.rows[idx].w.Ref == ref {
			m.cursor = i
			m.clampScroll()
			return
		}
	}
}

// tableRows is the number of table rows that fit on the screen.
func (m *Model) tableRows() int { return max(1, m.height-4) }

func (m *Model) clampScroll() {
	if m.cursor >= len(m.view) {
		m.cursor = len(m.view) - 1
	}
	if m.cursor < 0 {
		m.cursor = 0
	}
	n := m.tableRows()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+n {
		m.offset = m.cursor - n + 1
	}
	if m.offset > max(0, len(m.view)-n) {
		m.offset = max(0, len(m.view)-n)
	}
	if m.offset < 0 {
		m.offset = 0
	}
}

// selected returns the row under the cursor.
func (m *Model) selected() (*row, bool) {
	if m.cursor < 0 || m.cursor >= len(m.view) {
		return nil, false
	}
	return &m.rows[m.view[m.cursor]], true
}

func (m *Model) rowByRef(ref Ref) (*row, bool) {
	for i := range m.rows {
		if m.rows[i].w.Ref == ref {
			return &m.rows[i], true
		}
	}
	return nil, false
}

func (m *Model) tableKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	page := m.tableRows()
	switch {
	case key.Matches(msg, k.Up):
		m.cursor--
	case key.Matches(msg, k.Down):
		m.cursor++
	case key.Matches(msg, k.PageUp):
		m.cursor -= page
	case key.Matches(msg, k.PageDown):
		m.cursor += page
	case key.Matches(msg, k.Top):
		m.cursor = 0
	case key.Matches(msg, k.Bottom):
		m.cursor = len(m.view) - 1
	case key.Matches(msg, k.Enter):
		r, ok := m.selected()
		if !ok {
			return nil
		}
		m.mode = modeDetail
		m.detailRef = r.w.Ref
		m.detail, m.detailErr = nil, nil
		m.container, m.detailScroll = 0, 0
		return m.loadDetail()
	case key.Matches(msg, k.Back):
		if m.filter != "" {
			m.filter = ""
			m.rebuildView()
		}
	case key.Matches(msg, k.Filter):
		m.editing = true
	case key.Matches(msg, k.Sort):
		m.sortIdx = (m.sortIdx + 1) % len(sortKeys)
		m.sortDesc = false
		m.rebuildView()
	case key.Matches(msg, k.Reverse):
		m.sortDesc = !m.sortDesc
		m.rebuildView()
		m.setStatus(false, "sort %s, %s", sortKeys[m.sortIdx], m.sortOrderName())
	case key.Matches(msg, k.Namespace):
		m.nsIdx++
		if m.nsIdx >= len(m.nss) {
			m.nsIdx = -1
		}
		m.rebuildView()
		m.cursor, m.offset = 0, 0
	default:
		m.unknownKey(msg)
	}
	m.clampScroll()
	return nil
}

// sortOrderName says in words which way the current sort runs.
func (m *Model) sortOrderName() string {
	if m.sortDesc {
		return "reversed"
	}
	return map[string]string{"name": "A to Z", "drift": "riskiest first (under-provisioned first)",
		"saving": "largest saving first", "confidence": "most confident first", "status": "conflicts and approvals first"}[sortKeys[m.sortIdx]]
}

func (m *Model) editFilter(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		m.editing = false
	case "esc":
		m.editing = false
		m.filter = ""
	case "backspace":
		if r := []rune(m.filter); len(r) > 0 {
			m.filter = string(r[:len(r)-1])
		}
	case "ctrl+u":
		m.filter = ""
	case "ctrl+c":
		return tea.Quit
	default:
		if msg.Text != "" && msg.Mod&^tea.ModShift == 0 {
			m.filter += msg.Text
		}
	}
	m.rebuildView()
	m.cursor, m.offset = 0, 0
	m.clampScroll()
	return nil
}
