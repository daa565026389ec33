package tui

// The table's columns and rows: which columns fit a width, their cells,
// the row marker and colours (table.go holds the rows, cursor and keys).

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/smartvpa/smartvpa/core/model"
)

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
