package tui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/smartvpa/smartvpa/core/model"
)

// View renders the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "kubectl smartvpa ui"
	return v
}

// Render returns the screen as text: exactly height lines of exactly width
// cells (with colours unless NoColor).
func (m *Model) Render() string {
	w, h := max(m.width, 1), max(m.height, 1)
	var b strings.Builder
	b.Grow(w * h * 2)
	lines := make([]string, 0, h)
	lines = append(lines, m.headerLine(w))
	bodyH := max(0, h-3)
	var body []string
	switch {
	case m.help:
		body = m.helpLines(w, bodyH)
	case m.dialog != nil:
		body = m.dialogLines(w, bodyH)
	case m.yaml != nil:
		body = m.yamlLines(w, bodyH)
	case m.wi != nil:
		body = m.whatIfLines(w, bodyH)
	case m.mode == modeDetail:
		body = m.detailLines(w, bodyH)
	default:
		body = m.tableLines(w, bodyH)
	}
	for i := 0; i < bodyH; i++ {
		if i < len(body) {
			lines = append(lines, body[i])
		} else {
			lines = append(lines, "")
		}
	}
	lines = append(lines, m.statusLine(w), m.hintLine(w))
	for i, l := range lines[:min(len(lines), h)] {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(clipLine(l, w))
	}
	return b.String()
}

func (m *Model) headerLine(w int) string {
	s := m.styles
	ns := "all"
	if m.nsIdx >= 0 && m.nsIdx < len(m.nss) {
		ns = m.nss[m.nsIdx]
	}
	rec := m.recommender()
	if rec == "" {
		rec = "none"
	}
	parts := []string{s.title.r("smartvpa")}
	if m.opts.Simulated {
		parts = append(parts, s.warn.r("demo"))
	}
	parts = append(parts,
		"ns "+s.info.r(ns),
		"rec "+s.info.r(rec),
		"sort "+s.info.r(sortKeys[m.sortIdx]+m.sortArrow()),
	)
	if m.kind != "" {
		parts = append(parts, "kind "+s.info.r(shortKind(m.kind)))
	}
	if m.filter != "" {
		parts = append(parts, "filter "+s.info.r(m.filter))
	}
	parts = append(parts, fmt.Sprintf("%d/%d", len(m.view), len(m.rows)))
	if m.loaded {
		parts = append(parts, "total "+s.info.r(fmtMoney(m.viewSaving())+"/mo"))
	}
	left := " " + strings.Join(parts, "  ")
	right := ""
	switch {
	case m.loading && !m.loaded:
		right = "loading… "
	case m.loading:
		right = "refreshing… "
	default:
		right = "every " + fmtInterval(m.opts.Refresh) + " "
	}
	gap := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return left
	}
	return left + strings.Repeat(" ", gap) + s.dim.r(right)
}

// viewSaving is the monthly saving of the rows shown: what applying every
// recommendation in view would save (model.MonthlySavings).
func (m *Model) viewSaving() float64 {
	total := 0.0
	for _, i := range m.view {
		if m.rows[i].hasRec {
			total += m.rows[i].saving
		}
	}
	return total
}

// sortArrow marks the direction of the sort: ↓ the column's natural order
// (A-Z, riskiest, largest saving, ... first), ↑ reversed.
func (m *Model) sortArrow() string {
	if m.sortDesc {
		return "↑"
	}
	return "↓"
}

// column is one table column: its title, width, alignment, which sort key
// it shows (marked in its title) and when it goes on narrow screens (drop:
// 0 never, higher first).
type column struct {
	id, title string
	width     int
	right     bool
	sort      string
	drop      int
}

// The wide layout (replicas, limits, usage as % of request) starts at this
// width.
const wideWidth = 160

// cell returns the text of column id for row r (plain, unpadded).
func (m *Model) cell(r *row, id string) string {
	switch id {
	case "ns":
		return r.w.Ref.Namespace
	case "name":
		return r.kindName
	case "ctr":
		return strconv.Itoa(len(r.w.Containers))
	case "repl":
		return strconv.Itoa(r.w.Replicas)
	case "cpu":
		if !r.hasRec {
			return model.FormatCPU(r.cpuReq) + "→?"
		}
		return model.FormatCPU(r.cpuReq) + "→" + model.FormatCPU(r.cpuRec)
	case "mem":
		if !r.hasRec {
			return model.FormatMemory(r.memReq) + "→?"
		}
		return model.FormatMemory(r.memReq) + "→" + model.FormatMemory(r.memRec)
	case "cpud":
		return model.FormatDrift(r.cpuDrift)
	case "memd":
		return model.FormatDrift(r.memDrift)
	case "conf":
		if !r.hasRec {
			return "-"
		}
		return strconv.FormatFloat(math.Round(r.conf*100), 'f', 0, 64) + "%"
	case "save":
		if !r.hasRec {
			return "-"
		}
		return fmtMoney(r.saving)
	case "status":
		return m.statusOf(r)
	case "lim":
		return model.FormatCPU(r.cpuLim) + "/" + model.FormatMemory(r.memLim)
	case "cpuuse":
		return usePct(r.cpuUse, r.cpuReq)
	case "memuse":
		return usePct(r.memUse, r.memReq)
	}
	return ""
}

// measureColumns records the widest cell of every column once per list
// (the namespace and the name are measured by setRows, the status column
// by measureStatus).
func (m *Model) measureColumns() {
	m.colWidth = map[string]int{"ns": m.maxNS, "name": m.maxName}
	for _, id := range []string{"ctr", "repl", "cpu", "mem", "cpud", "memd", "conf", "save", "lim", "cpuuse", "memuse"} {
		for j := range m.rows {
			m.colWidth[id] = max(m.colWidth[id], utf8.RuneCountInString(m.cell(&m.rows[j], id)))
		}
	}
	m.measureStatus()
}

// measureStatus records the widest status; approvals change it.
func (m *Model) measureStatus() {
	w := 0
	for j := range m.rows {
		w = max(w, ansi.StringWidth(m.statusOf(&m.rows[j])))
	}
	m.colWidth["status"] = w
}

// usePct is the latest usage as a share of the request: "45%"; "-" unknown.
func usePct(use, req float64) string {
	if use <= 0 || req <= 0 {
		return "-"
	}
	return strconv.FormatFloat(math.Round(100*use/req), 'f', 0, 64) + "%"
}

// layout picks the columns for width w: each as wide as its widest cell;
// on narrow screens the least useful columns go first (container count,
// confidence, status: the row marker still shows approved, applied and HPA
// conflicts), then the namespace is cut, the name last.
func (m *Model) layout(w int) []column {
	cols := []column{
		{id: "ns", title: "NAMESPACE"},
		{id: "name", title: "KIND/NAME", sort: "name"},
		{id: "ctr", title: "CTR", right: true, drop: 5},
	}
	wide := w >= wideWidth
	if wide {
		cols = append(cols, column{id: "repl", title: "REPL", right: true})
	}
	cols = append(cols,
		column{id: "cpu", title: "CPU REQ→REC"},
		column{id: "mem", title: "MEM REQ→REC"},
		column{id: "cpud", title: "CPU±", right: true, sort: "drift"},
		column{id: "memd", title: "MEM±", right: true, sort: "drift"},
		column{id: "conf", title: "CONF", right: true, sort: "confidence", drop: 4},
		column{id: "save", title: "$/MO", right: true, sort: "saving"},
	)
	if wide {
		cols = append(cols,
			column{id: "lim", title: "LIMITS CPU/MEM"},
			column{id: "cpuuse", title: "CPU USE", right: true},
			column{id: "memuse", title: "MEM USE", right: true},
		)
	}
	cols = append(cols, column{id: "status", title: "STATUS", sort: "status", drop: 3})
	if m.nsIdx >= 0 {
		cols = cols[1:] // one namespace: it is in the header
	}
	for i := range cols {
		c := &cols[i]
		if c.sort == sortKeys[m.sortIdx] {
			c.title += m.sortArrow()
		}
		c.width = max(ansi.StringWidth(c.title), m.colWidth[c.id])
	}
	total := func() int {
		t := 2 + len(cols) - 1
		for _, c := range cols {
			t += c.width
		}
		return t
	}
	var status *column
	for total() > w {
		worst := -1
		for i, c := range cols {
			if c.drop > 0 && (worst < 0 || c.drop > cols[worst].drop) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		if cols[worst].id == "status" {
			c := cols[worst]
			status = &c
		}
		cols = append(cols[:worst], cols[worst+1:]...)
	}
	// The status column comes back cut when there is room for a part of it.
	if spare := w - total(); status != nil && spare >= 7 {
		status.width = spare - 1
		cols = append(cols, *status)
	}
	for _, id := range []string{"ns", "name"} {
		for i := range cols {
			if cols[i].id == id && total() > w {
				cols[i].width = max(6, cols[i].width-(total()-w))
			}
		}
	}
	return cols
}

func (m *Model) tableLines(w, h int) []string {
	s := m.styles
	cols := m.layout(w)
	out := make([]string, 0, h)
	titles := make([]string, len(cols))
	for i, c := range cols {
		if c.right {
			titles[i] = fitRight(c.title, c.width)
		} else {
			titles[i] = fit(c.title, c.width)
		}
	}
	out = append(out, s.header.r(clipLine("  "+strings.Join(titles, " "), w)))
	if !m.loaded {
		out = append(out, "  loading workloads…")
		return out
	}
	if len(m.view) == 0 {
		msg := "  no workloads"
		if m.filter != "" || m.nsIdx >= 0 || m.kind != "" {
			msg += " match: esc clears the filter, n changes the namespace, :all shows every kind"
		}
		return append(out, msg)
	}
	n := min(h-1, len(m.view)-m.offset)
	for i := 0; i < n; i++ {
		vi := m.offset + i
		r := &m.rows[m.view[vi]]
		out = append(out, m.rowLine(r, cols, w, vi == m.cursor))
	}
	return out
}

// rowMark is the second cell of the marker: * approved, ! HPA conflict,
// = applied, so that narrow screens without the status column still show it.
func (m *Model) rowMark(r *row) string {
	switch {
	case r.w.HPAConflict != "":
		return "!"
	case r.w.Applied:
		return "="
	}
	if _, ok := m.approved[r.w.Ref]; ok {
		return "*"
	}
	return " "
}

func (m *Model) rowLine(r *row, cols []column, w int, sel bool) string {
	s := m.styles
	mark := " "
	if sel {
		mark = ">"
	}
	mark += m.rowMark(r)
	cells := make([]string, len(cols))
	for i, c := range cols {
		v := m.cell(r, c.id)
		if c.right {
			cells[i] = fitRight(v, c.width)
		} else {
			cells[i] = fit(v, c.width)
		}
	}
	if sel {
		return s.selected.r(clipLine(mark+strings.Join(cells, " "), w))
	}
	for i, c := range cols {
		switch {
		case c.id == "cpud" && r.hasRec:
			cells[i] = m.driftPaint(r.cpuDrift).r(cells[i])
		case c.id == "memd" && r.hasRec:
			cells[i] = m.driftPaint(r.memDrift).r(cells[i])
		case c.id == "conf" && r.hasRec:
			cells[i] = m.confPaint(r.conf).r(cells[i])
		case c.id == "save" && r.hasRec && r.saving >= 0:
			cells[i] = s.ok.r(cells[i])
		case c.id == "save" && r.hasRec:
			cells[i] = s.bad.r(cells[i])
		case c.id == "status":
			switch st := m.statusOf(r); {
			case st == "HPA conflict":
				cells[i] = s.bad.r(cells[i])
			case st == "applied":
				cells[i] = s.ok.r(cells[i])
			case strings.HasPrefix(st, "approved"):
				cells[i] = s.info.r(cells[i])
			}
		}
	}
	return mark + strings.Join(cells, " ")
}

// Colour thresholds of the drift and confidence columns.
const (
	driftOK, driftWarn = 0.15, 0.5 // |model drift|
	confOK, confWarn   = 0.7, 0.3
)

// driftPaint colours a drift: under-provisioned is never green (it is a
// risk), over-provisioned by the distance from the target.
func (m *Model) driftPaint(d float64) paint {
	a := math.Abs(d)
	switch {
	case math.IsNaN(d):
		return m.styles.dim
	case a < driftOK:
		return m.styles.ok
	case a < driftWarn:
		return m.styles.warn
	}
	return m.styles.bad
}

func (m *Model) confPaint(c float64) paint {
	switch {
	case c >= confOK:
		return m.styles.ok
	case c >= confWarn:
		return m.styles.warn
	}
	return m.styles.bad
}

func (m *Model) statusLine(w int) string {
	s := m.styles
	if m.editing {
		return " " + s.keyName.r("/") + m.filter + "█" + s.dim.r("   enter keep · esc clear")
	}
	if m.prompting {
		return " " + s.keyName.r(":") + m.prompt + "█" + s.dim.r("   "+commandHelp+" · tab completes · esc")
	}
	var parts []string
	if !m.perm.CanPatch {
		parts = append(parts, s.warn.r("read-only: "+m.perm.Reason))
	}
	switch {
	case m.status != "" && m.statusErr:
		parts = append(parts, s.err.r(m.status))
	case m.status != "":
		parts = append(parts, m.status)
	case len(m.approved) > 0:
		parts = append(parts, fmt.Sprintf("%d approved: A applies", len(m.approved)))
	case m.mode == modeTable && m.loaded && m.width >= 100 && m.wi == nil && m.yaml == nil && m.dialog == nil && !m.help:
		parts = append(parts, s.dim.r("±: drift, + over-provisioned, - under-provisioned (+100% = twice the recommendation)"))
	}
	return " " + strings.Join(parts, " · ")
}

type hint struct {
	b     key.Binding
	short string
}

func (m *Model) hints() []hint {
	k := m.keys
	switch {
	case m.help:
		return []hint{{k.Help, "close"}, {k.Back, "close"}, {k.Quit, "quit"}}
	case m.dialog != nil && m.dialog.apply:
		return []hint{{k.Confirm, "apply"}, {k.Cancel, "cancel"}, {k.Down, "scroll"}}
	case m.dialog != nil:
		return []hint{{k.Cancel, "close"}, {k.Down, "scroll"}}
	case m.yaml != nil:
		return []hint{{k.Back, "close"}, {k.Down, "scroll"}}
	case m.wi != nil:
		return []hint{{k.Back, "back"}, {k.Down, "pick"}, {k.Enter, "approve with"}, {k.Quit, "quit"}}
	case m.mode == modeDetail:
		return []hint{{k.Help, "help"}, {k.Back, "back"}, {k.Approve, "approve"}, {k.ApplyMarked, "apply"}, {k.DryRun, "dry-run"},
			{k.NextContainer, "container"}, {k.Recommender, "rec"}, {k.YAML, "yaml"}, {k.Down, "scroll"}, {k.Quit, "quit"}}
	}
	// Most important first: a narrow footer keeps approve, apply and dry-run.
	return []hint{{k.Help, "help"}, {k.Enter, "detail"}, {k.Approve, "approve"}, {k.ApplyMarked, "apply"},
		{k.DryRun, "dry-run"}, {k.Quit, "quit"}, {k.Filter, "filter"}, {k.Sort, "sort"}, {k.Command, "cmd"},
		{k.Recommender, "rec"}, {k.WhatIf, "what-if"}, {k.YAML, "yaml"}, {k.Namespace, "ns"}}
}

func (m *Model) hintLine(w int) string {
	var b strings.Builder
	b.WriteByte(' ')
	used := 1
	for _, h := range m.hints() {
		if !h.b.Enabled() {
			continue
		}
		k := h.b.Help().Key
		item := k + " " + h.short
		iw := ansi.StringWidth(item) + 2
		if used+iw-2 > w {
			break
		}
		b.WriteString(m.styles.keyName.r(k))
		b.WriteString(" " + m.styles.dim.r(h.short) + "  ")
		used += iw
	}
	return b.String()
}

// helpLines renders the help overlay from the key map, in as many columns as
// fit.
func (m *Model) helpLines(w, h int) []string {
	s := m.styles
	const keyW, descW = 8, 28
	colW := keyW + 1 + descW
	type entry struct{ text, styled string }
	var blocks [][]entry
	for _, g := range m.keys.groups() {
		blk := []entry{{g.Title, s.header.r(fit(g.Title, colW))}}
		for _, b := range g.Bindings {
			hp := b.Help()
			desc := hp.Desc
			if !b.Enabled() {
				desc = "(read-only) " + desc
			}
			blk = append(blk, entry{"", s.keyName.r(fit(hp.Key, keyW)) + " " + fit(desc, descW)})
		}
		blocks = append(blocks, blk)
	}
	avail := max(1, h-2)
	// Flow the blocks into columns of at most avail lines.
	var cols [][]entry
	var cur []entry
	for _, blk := range blocks {
		need := len(blk)
		if len(cur) > 0 {
			need++
		}
		if len(cur) > 0 && len(cur)+need > avail {
			cols = append(cols, cur)
			cur = nil
		}
		if len(cur) > 0 {
			cur = append(cur, entry{"", strings.Repeat(" ", colW)})
		}
		cur = append(cur, blk...)
	}
	if len(cur) > 0 {
		cols = append(cols, cur)
	}
	// Put as many columns side by side as the width allows; the rest below.
	perRow := max(1, (w-2+3)/(colW+3))
	out := []string{" " + s.title.r("Keys") + s.dim.r("  (? or esc closes)"), ""}
	for start := 0; start < len(cols); start += perRow {
		group := cols[start:min(len(cols), start+perRow)]
		height := 0
		for _, c := range group {
			height = max(height, len(c))
		}
		for i := 0; i < height; i++ {
			line := " "
			for j, c := range group {
				if j > 0 {
					line += "   "
				}
				if i < len(c) {
					line += c[i].styled
				} else {
					line += strings.Repeat(" ", colW)
				}
			}
			out = append(out, line)
		}
	}
	switch {
	case len(out)+2 <= h:
		out = append(out, "")
		fallthrough
	case len(out)+1 <= h:
		out = append(out, " "+s.dim.r("CPU±/MEM± drift: + over-provisioned, - under-provisioned"))
	}
	return out
}

// dialogLines renders the confirm dialog or the dry-run result in a box.
func (m *Model) dialogLines(w, h int) []string {
	s, d := m.styles, m.dialog
	inner := max(10, w-6)
	var body []string
	add := func(styled string) { body = append(body, styled) }
	wrap := func(prefix, text string) {
		pw := ansi.StringWidth(prefix)
		for _, l := range strings.Split(ansi.Hardwrap(text, max(1, inner-pw), true), "\n") {
			add(prefix + l)
			prefix = strings.Repeat(" ", pw)
		}
	}
	title := "Dry-run"
	if d.apply {
		title = fmt.Sprintf("Apply %d workload(s)? (the numbers approved)", len(d.changes))
	}
	if m.opts.Simulated {
		title += " · simulated: demo, no cluster"
	}
	results := map[Ref]Result{}
	for _, r := range d.results {
		results[r.Ref] = r
	}
	for _, c := range d.changes {
		add(s.header.r(c.Ref.String()) + s.dim.r(fmt.Sprintf(" · with %s · %s a month", c.Recommender, savingWords(m.changeSaving(c)))))
		for _, cc := range c.Containers {
			wrap("  ", fmt.Sprintf("%s: cpu %s → %s (drift %s), memory %s → %s (drift %s)", cc.Name,
				model.FormatCPU(cc.From.CPUMillicores), quantityCPU(cc.To.CPUMillicores), model.FormatDrift(model.DriftValue(cc.From.CPUMillicores, cc.To.CPUMillicores)),
				model.FormatMemory(cc.From.MemoryBytes), quantityMem(cc.To.MemoryBytes), model.FormatDrift(model.DriftValue(cc.From.MemoryBytes, cc.To.MemoryBytes))))
		}
		r, ok := results[c.Ref]
		patch := RequestsPatch(c)
		if ok && r.Patch != "" {
			patch = r.Patch
		}
		wrap("  patch: ", patch)
		switch {
		case !ok && d.busy != "":
			add("  " + s.dim.r(d.busy+"…"))
		case !ok:
			add("  " + s.dim.r("no answer"))
		case r.Err != nil:
			wrap("  "+s.err.r("refused: "), r.Err.Error())
		default:
			wrap("  "+s.ok.r("ok: "), r.Message)
		}
	}
	if d.err != nil {
		wrap(s.err.r("error: "), d.err.Error())
	}
	add("")
	switch {
	case d.busy != "":
		add(s.dim.r(d.busy + "…"))
	case d.apply && len(d.passed()) > 0:
		add(fmt.Sprintf("%s apply %d that passed the dry-run   %s cancel",
			s.keyName.r("y"), len(d.passed()), s.keyName.r("n/esc")))
	case d.apply:
		add(s.err.r("nothing passed the dry-run") + "   " + s.keyName.r("esc") + " close")
	default:
		add(s.keyName.r("esc") + " close")
	}
	// Box with scrolling.
	room := max(1, h-2)
	if d.scroll > max(0, len(body)-room) {
		d.scroll = max(0, len(body)-room)
	}
	visible := body[d.scroll:min(len(body), d.scroll+room)]
	out := []string{" ╭─ " + s.title.r(fit(title, min(ansi.StringWidth(title), inner-2))) + " " +
		strings.Repeat("─", max(0, inner-ansi.StringWidth(title)-1)) + "╮"}
	for _, l := range visible {
		out = append(out, " │ "+clipLine(l, inner)+" │")
	}
	more := ""
	if d.scroll+room < len(body) {
		more = "─ more ↓ "
	}
	out = append(out, " ╰"+strings.Repeat("─", max(0, inner+2-ansi.StringWidth(more)))+more+"╯")
	return out
}
