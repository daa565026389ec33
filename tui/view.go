package tui

import (
	"fmt"
	"strings"

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
