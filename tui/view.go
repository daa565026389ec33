package tui

import (
	"fmt"
	"math"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
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
	parts := []string{
		s.title.r("smartvpa"),
		"ns " + s.info.r(ns),
		"rec " + s.info.r(rec),
		"sort " + s.info.r(sortKeys[m.sortIdx]),
	}
	if m.filter != "" {
		parts = append(parts, "filter "+s.info.r(m.filter))
	}
	parts = append(parts, fmt.Sprintf("%d/%d", len(m.view), len(m.rows)))
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

// columns holds the widths of the table columns for one screen width.
type columns struct {
	ns, name, status int
}

// Fixed column widths: marker, CTR, CPU, MEM, DRIFT, CONF, $/MO.
const (
	colMark, colCtr, colCPU, colMem, colDrift, colConf, colSave = 2, 3, 11, 11, 6, 4, 6
	colGaps                                                     = 8
	fixedCols                                                   = colMark + colCtr + colCPU + colMem + colDrift + colConf + colSave + colGaps
)

func (m *Model) layout(w int) columns {
	c := columns{status: 8}
	flex := w - fixedCols - c.status
	if flex >= 32 {
		c.status = 12
		flex -= 4
	}
	maxNS, maxName := max(len("NAMESPACE"), m.maxNS), max(len("KIND/NAME"), m.maxName)
	c.ns = min(maxNS, max(6, flex*2/5))
	c.name = max(6, flex-c.ns)
	if c.name > maxName {
		extra := c.name - maxName
		c.name = maxName
		c.ns = min(maxNS, c.ns+extra)
	}
	return c
}

func (m *Model) tableLines(w, h int) []string {
	s := m.styles
	c := m.layout(w)
	out := make([]string, 0, h)
	hdr := "  " + strings.Join([]string{
		fit("NAMESPACE", c.ns), fit("KIND/NAME", c.name), fit("CTR", colCtr),
		fit("CPU REQ→REC", colCPU), fit("MEM REQ→REC", colMem), fitRight("DRIFT", colDrift),
		fitRight("CONF", colConf), fitRight("$/MO", colSave), fit("STATUS", c.status),
	}, " ")
	out = append(out, s.header.r(clipLine(hdr, w)))
	if !m.loaded {
		out = append(out, "  loading workloads…")
		return out
	}
	if len(m.view) == 0 {
		msg := "  no workloads"
		if m.filter != "" || m.nsIdx >= 0 {
			msg += " match: esc clears the filter, n changes the namespace"
		}
		return append(out, msg)
	}
	n := min(h-1, len(m.view)-m.offset)
	for i := 0; i < n; i++ {
		vi := m.offset + i
		r := &m.rows[m.view[vi]]
		out = append(out, m.rowLine(r, c, w, vi == m.cursor))
	}
	return out
}

func (m *Model) rowLine(r *row, c columns, w int, sel bool) string {
	s := m.styles
	var mark string
	if sel {
		mark = ">"
	} else {
		mark = " "
	}
	if m.approved[r.w.Ref] {
		mark += "*"
	} else {
		mark += " "
	}
	var cpu, mem string
	if r.hasRec {
		cpu = fmtCPU(r.cpuReq) + "→" + fmtCPU(r.cpuRec)
		mem = fmtMem(r.memReq) + "→" + fmtMem(r.memRec)
	} else {
		cpu = fmtCPU(r.cpuReq) + "→?"
		mem = fmtMem(r.memReq) + "→?"
	}
	driftS, confS, saveS := "-", "-", "-"
	if r.hasRec {
		driftS = fmtPct(r.drift)
		confS = fmt.Sprintf("%.0f%%", r.conf*100)
		saveS = fmtMoney(r.saving)
	}
	status := m.statusOf(r)
	cells := []string{
		fit(r.w.Ref.Namespace, c.ns), fit(r.kindName, c.name),
		fitRight(fmt.Sprint(len(r.w.Containers)), colCtr),
		fit(cpu, colCPU), fit(mem, colMem), fitRight(driftS, colDrift),
		fitRight(confS, colConf), fitRight(saveS, colSave), fit(status, c.status),
	}
	if sel {
		return s.selected.r(clipLine(mark+strings.Join(cells, " "), w))
	}
	if r.hasRec {
		cells[5] = m.driftPaint(r.drift).r(cells[5])
		cells[6] = m.confPaint(r.conf).r(cells[6])
		if r.saving >= 0 {
			cells[7] = s.ok.r(cells[7])
		} else {
			cells[7] = s.bad.r(cells[7])
		}
	}
	switch status {
	case "HPA conflict":
		cells[8] = s.bad.r(cells[8])
	case "applied":
		cells[8] = s.ok.r(cells[8])
	case "approved":
		cells[8] = s.info.r(cells[8])
	}
	return mark + strings.Join(cells, " ")
}

// Colour thresholds of the drift and confidence columns.
const (
	driftOK, driftWarn = 15.0, 50.0 // |drift| in %
	confOK, confWarn   = 0.7, 0.3
)

func (m *Model) driftPaint(d float64) paint {
	a := math.Abs(d)
	switch {
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
	var parts []string
	if !m.perm.CanPatch {
		parts = append(parts, s.warn.r("read-only: "+m.perm.Reason))
	}
	if m.status != "" {
		if m.statusErr {
			parts = append(parts, s.err.r(m.status))
		} else {
			parts = append(parts, m.status)
		}
	} else if len(m.approved) > 0 {
		parts = append(parts, fmt.Sprintf("%d approved: A applies", len(m.approved)))
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
	case m.wi != nil:
		return []hint{{k.Back, "back"}, {k.Down, "pick"}, {k.Enter, "approve with"}, {k.Quit, "quit"}}
	case m.mode == modeDetail:
		return []hint{{k.Help, "help"}, {k.Quit, "quit"}, {k.Back, "back"}, {k.NextContainer, "container"},
			{k.Recommender, "recommender"}, {k.Down, "scroll"}, {k.Approve, "approve"}, {k.DryRun, "dry-run"}}
	}
	return []hint{{k.Help, "help"}, {k.Quit, "quit"}, {k.Enter, "detail"}, {k.Filter, "filter"},
		{k.Sort, "sort"}, {k.Namespace, "ns"}, {k.Recommender, "rec"}, {k.Approve, "approve"},
		{k.ApplyMarked, "apply"}, {k.DryRun, "dry-run"}, {k.WhatIf, "what-if"}}
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
		if used+iw > w {
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
		title = fmt.Sprintf("Apply %d workload(s) with %s?", len(d.changes), m.shownRec)
	}
	results := map[Ref]Result{}
	for _, r := range d.results {
		results[r.Ref] = r
	}
	for _, c := range d.changes {
		add(s.header.r(c.Ref.String()))
		for _, cc := range c.Containers {
			wrap("  ", fmt.Sprintf("%s: cpu %s → %s, memory %s → %s", cc.Name,
				fmtCPU(cc.From.CPUMillicores), quantityCPU(cc.To.CPUMillicores),
				fmtMem(cc.From.MemoryBytes), quantityMem(cc.To.MemoryBytes)))
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
