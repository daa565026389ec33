package tui

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/guptarohit/asciigraph"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// The characters of the chart series, so that the lines stay apart without
// colour: usage is the plain line, the bounds are flat lines of their own.
var seriesChars = [5]string{"", "━", "┄", "═", "·"}

var seriesNames = [5]string{"usage", "request", "upper", "target", "lower"}

// detailLines renders the detail of the open workload: the recommender
// picker, a CPU and a memory chart of the selected container with the bounds,
// and the explanation. It scrolls with detailScroll.
func (m *Model) detailLines(w, h int) []string {
	s := m.styles
	var out []string
	r, _ := m.rowByRef(m.detailRef)
	title := m.detailRef.String()
	if r != nil {
		title += fmt.Sprintf(" · %d replica(s)", r.w.Replicas)
	}
	var ct *ContainerRec
	var cd *ContainerDetail
	if m.detail != nil && m.container < len(m.detail.Containers) {
		cd = &m.detail.Containers[m.container]
		for i := range m.detail.Workload.Containers {
			if m.detail.Workload.Containers[i].Name == cd.Name {
				ct = &m.detail.Workload.Containers[i]
			}
		}
		title += fmt.Sprintf(" · container %s (%d/%d)", cd.Name, m.container+1, len(m.detail.Containers))
	}
	out = append(out, " "+s.title.r(title))
	out = append(out, " "+m.pickerLine(w-1))
	var state []string
	if r != nil {
		if st := m.statusOf(r); st != "" {
			state = append(state, st)
		}
		if r.w.HPAConflict != "" {
			state = append(state, r.w.HPAConflict)
		}
	}
	if len(state) > 0 {
		out = append(out, " status: "+s.warn.r(strings.Join(state, ": ")))
	} else {
		out = append(out, "")
	}
	switch {
	case m.detailErr != nil:
		return append(out, " "+s.err.r(m.detailErr.Error()))
	case cd == nil || ct == nil:
		return append(out, " loading history…")
	}
	out = append(out, " "+m.numbersLine(ct, r))
	why := wrapLines(explanationLines(cd.Explanation, ct), w-1)
	headLines := len(out)
	// Two charts each of a legend line and height+1 plot lines, a blank line
	// between them, and room for the explanation when the screen is tall.
	// A chart is a legend, height+1 plot lines and a time axis.
	avail := h - headLines
	reserve := 0
	if avail > 30 {
		reserve = min(len(why), avail-30)
	}
	height := max(3, (avail-reserve-2)/2-3)
	out = append(out, m.chartLines(cd.History, ct, model.CPU, w, height)...)
	out = append(out, "")
	out = append(out, m.chartLines(cd.History, ct, model.Memory, w, height)...)
	out = append(out, "")
	out = append(out, why...)

	// Scroll: keep the header, scroll the rest.
	rest := out[headLines:]
	maxScroll := max(0, len(rest)-(h-headLines))
	if m.detailScroll > maxScroll {
		m.detailScroll = maxScroll
	}
	return append(out[:headLines:headLines], rest[m.detailScroll:]...)
}

// numbersLine states the container's numbers as recommend and audit print
// them: request → target, drift (model.DriftValue) and the monthly saving
// (model.MonthlySavings) at the workload's replicas.
func (m *Model) numbersLine(ct *ContainerRec, r *row) string {
	if !ct.OK {
		return fmt.Sprintf("cpu %s · memory %s · no recommendation yet", model.FormatCPU(ct.Request.CPUMillicores), model.FormatMemory(ct.Request.MemoryBytes))
	}
	replicas := 1
	if r != nil {
		replicas = max(r.w.Replicas, 1)
	}
	saving := model.MonthlySavings(ct.Request, ct.Rec.Target, float64(replicas), m.opts.Prices)
	return fmt.Sprintf("cpu %s→%s (%s) · mem %s→%s (%s) · %s/mo at %d replica(s)",
		model.FormatCPU(ct.Request.CPUMillicores), model.FormatCPU(ct.Rec.Target.CPUMillicores), model.FormatDrift(model.DriftValue(ct.Request.CPUMillicores, ct.Rec.Target.CPUMillicores)),
		model.FormatMemory(ct.Request.MemoryBytes), model.FormatMemory(ct.Rec.Target.MemoryBytes), model.FormatDrift(model.DriftValue(ct.Request.MemoryBytes, ct.Rec.Target.MemoryBytes)),
		fmtMoney(saving), replicas)
}

// pickerLine shows the recommenders with the current one marked. When they
// do not all fit in w cells, it shows a window around the current one.
func (m *Model) pickerLine(w int) string {
	s := m.styles
	n := len(m.recommenders)
	if n == 0 {
		return "recommender: none registered"
	}
	const prefix, suffix = "recommender:", "  (r: next)"
	item := func(i int) (plain, styled string) {
		name := m.recommenders[i]
		if i == m.recIdx {
			return " [" + name + "]", " " + s.selected.r("["+name+"]")
		}
		return "  " + name + " ", " " + s.dim.r(" "+name+" ")
	}
	// Grow a window [lo, hi] around the current recommender while it fits.
	lo, hi := m.recIdx, m.recIdx
	width := func(lo, hi int) int {
		total := len(prefix) + len(suffix)
		for i := lo; i <= hi; i++ {
			p, _ := item(i)
			total += ansi.StringWidth(p)
		}
		if lo > 0 {
			total += 2
		}
		if hi < n-1 {
			total += 2
		}
		return total
	}
	for grew := true; grew; {
		grew = false
		if hi < n-1 && width(lo, hi+1) <= w {
			hi++
			grew = true
		}
		if lo > 0 && width(lo-1, hi) <= w {
			lo--
			grew = true
		}
	}
	var b strings.Builder
	b.WriteString(prefix)
	if lo > 0 {
		b.WriteString(" …")
	}
	for i := lo; i <= hi; i++ {
		_, st := item(i)
		b.WriteString(st)
	}
	if hi < n-1 {
		b.WriteString(" …")
	}
	b.WriteString(s.dim.r(suffix))
	return b.String()
}

// chartLines draws one resource of one container: usage over the history
// (the maximum of each column's samples) with request, upper, target and
// lower as flat, labelled series.
func (m *Model) chartLines(hist []model.Sample, ct *ContainerRec, res model.Resource, w, height int) []string {
	s := m.styles
	format, axis := model.FormatCPU, axisCPU
	name := "CPU"
	if res == model.Memory {
		format, axis, name = model.FormatMemory, axisMem, "Memory"
	}
	values := [5]float64{0, ct.Request.Get(res), ct.Rec.Upper.Get(res), ct.Rec.Target.Get(res), ct.Rec.Lower.Get(res)}
	var legend []string
	legend = append(legend, s.series[0].r("╭╯")+" usage")
	if ct.OK && values[2] > 0 && !model.Bounded(values[2]) {
		// The recommender's cap with too little history: not drawn.
		values[2] = 0
		legend = append(legend, "upper: no bound yet")
	}
	for i := 1; i < 5; i++ {
		if values[i] <= 0 || (i > 1 && !ct.OK) {
			continue
		}
		legend = append(legend, s.series[i].r(seriesChars[i])+" "+seriesNames[i]+" "+format(values[i]))
	}
	out := []string{" " + m.styles.header.r(fmt.Sprintf("%-6s", name)) + " " + strings.Join(legend, "  ")}

	const labelW, offset = 7, 2
	cols := w - 2 - (labelW + 1) - (offset - 1) - 1
	if cols < 10 || len(hist) == 0 {
		return append(out, "  no usage history")
	}
	usage := downsampleMax(hist, res, cols)
	// Bounds first, usage last: usage stays visible where they cross. Where
	// two bounds fall on one row the later wins: lower, upper, target, then
	// the request on top of them.
	var data [][]float64
	var colors []asciigraph.AnsiColor
	var chars []asciigraph.CharSet
	for _, i := range []int{4, 2, 3, 1} {
		if values[i] <= 0 || (i > 1 && !ct.OK) {
			continue
		}
		line := make([]float64, len(usage))
		for j := range line {
			line[j] = values[i]
		}
		data = append(data, line)
		colors = append(colors, seriesColor(i, m.opts.NoColor))
		chars = append(chars, asciigraph.CreateCharSet(seriesChars[i]))
	}
	data = append(data, usage)
	colors = append(colors, seriesColor(0, m.opts.NoColor))
	chars = append(chars, asciigraph.DefaultCharSet)
	opts := []asciigraph.Option{
		asciigraph.Height(height),
		asciigraph.LowerBound(0),
		asciigraph.Offset(offset),
		asciigraph.SeriesChars(chars...),
		asciigraph.YAxisValueFormatter(func(v float64) string { return fmt.Sprintf("%*s", labelW, axis(v)) }),
	}
	if !m.opts.NoColor {
		opts = append(opts, asciigraph.SeriesColors(colors...))
	}
	plot := asciigraph.PlotMany(data, opts...)
	for _, l := range strings.Split(plot, "\n") {
		out = append(out, " "+l)
	}
	span := hist[len(hist)-1].Time.Sub(hist[0].Time)
	axisLine := fmt.Sprintf("%s ago%s now", fmtDur(span), strings.Repeat(" ", max(1, cols-len(fmtDur(span))-8)))
	out = append(out, " "+strings.Repeat(" ", labelW+offset)+s.dim.r(axisLine))
	return out
}

// seriesColor maps a series to its ANSI colour in the chart.
func seriesColor(i int, noColor bool) asciigraph.AnsiColor {
	if noColor {
		return asciigraph.Default
	}
	return [5]asciigraph.AnsiColor{asciigraph.Default, asciigraph.Yellow, asciigraph.Magenta, asciigraph.Green, asciigraph.Blue}[i]
}

// downsampleMax reduces the history to n points, each the maximum of its
// bucket, so that peaks (what requests are sized for) stay visible.
func downsampleMax(hist []model.Sample, res model.Resource, n int) []float64 {
	if len(hist) <= n {
		out := make([]float64, len(hist))
		for i, s := range hist {
			out[i] = valueOf(s, res)
		}
		return out
	}
	out := make([]float64, n)
	for i := range out {
		lo := i * len(hist) / n
		hi := max(lo+1, (i+1)*len(hist)/n)
		v := math.Inf(-1)
		for _, s := range hist[lo:hi] {
			v = math.Max(v, valueOf(s, res))
		}
		out[i] = v
	}
	return out
}

func valueOf(s model.Sample, res model.Resource) float64 {
	if res == model.CPU {
		return s.CPUMillicores
	}
	return s.MemoryBytes
}

// axisCPU and axisMem label the charts' axes in the one unit of each
// resource (millicores, MiB), as every table does.
func axisCPU(v float64) string {
	if v <= 0 {
		return "0"
	}
	return fmt.Sprintf("%.0fm", v)
}

func axisMem(v float64) string {
	if v <= 0 {
		return "0"
	}
	return fmt.Sprintf("%.0fMi", v/model.MiB)
}

// fmtDur formats a history span: "8d", "36h", "45m".
func fmtDur(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return trimFloat(d.Hours()/24, 1) + "d"
	case d >= 2*time.Hour:
		return trimFloat(d.Hours(), 0) + "h"
	}
	return trimFloat(d.Minutes(), 0) + "m"
}

// explanationLines renders a recommender's evidence for people.
func explanationLines(e recommend.Explanation, ct *ContainerRec) []string {
	out := []string{" Why (" + e.Recommender + "):"}
	if !ct.OK {
		out = append(out, "   not enough data for a recommendation yet")
	}
	var rs []string
	for r := range e.Resources {
		rs = append(rs, string(r))
	}
	sort.Strings(rs)
	for _, r := range rs {
		ev := e.Resources[model.Resource(r)]
		var parts []string
		if ev.TargetPercentile > 0 {
			p := fmt.Sprintf("target p%s", trimFloat(ev.TargetPercentile*100, 1))
			if ev.LowerPercentile > 0 || ev.UpperPercentile > 0 {
				p += fmt.Sprintf(" (lower p%s, upper p%s)", trimFloat(ev.LowerPercentile*100, 1), trimFloat(ev.UpperPercentile*100, 1))
			}
			parts = append(parts, p)
		}
		parts = append(parts, fmt.Sprintf("%s samples over %s", trimFloat(ev.SampleCount, 0), fmtDur(ev.HistorySpan)))
		if ev.Margin > 0 {
			parts = append(parts, fmt.Sprintf("margin %s%%", trimFloat(ev.Margin*100, 1)))
		}
		parts = append(parts, fmt.Sprintf("confidence %s", trimFloat(ev.Confidence, 2)))
		if len(ev.CapsApplied) > 0 {
			parts = append(parts, "caps: "+strings.Join(ev.CapsApplied, ", "))
		}
		out = append(out, fmt.Sprintf("   %-6s %s", r, strings.Join(parts, " · ")))
	}
	for _, n := range e.Notes {
		out = append(out, "   - "+n)
	}
	if len(e.Resources) == 0 && len(e.Notes) == 0 {
		out = append(out, "   the recommender gave no evidence")
	}
	return out
}

// wrapLines wraps plain lines to width w, indenting continuation lines by
// the line's own indent plus two.
func wrapLines(lines []string, w int) []string {
	var out []string
	for _, l := range lines {
		if ansi.StringWidth(l) <= w {
			out = append(out, l)
			continue
		}
		ind := strings.Repeat(" ", len(l)-len(strings.TrimLeft(l, " "))+2)
		parts := strings.Split(ansi.Wrap(l, w, " "), "\n")
		out = append(out, parts[0])
		rest := strings.Join(parts[1:], " ")
		for _, p := range strings.Split(ansi.Wrap(rest, max(1, w-len(ind)), " "), "\n") {
			out = append(out, ind+p)
		}
	}
	return out
}

func (m *Model) detailKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Back):
		m.mode = modeTable
		m.detail = nil
		m.detailSeq++ // drop a detail still loading
		m.detailLoading = false
	case key.Matches(msg, k.Up):
		m.detailScroll = max(0, m.detailScroll-1)
	case key.Matches(msg, k.Down):
		m.detailScroll++
	case key.Matches(msg, k.PageUp):
		m.detailScroll = max(0, m.detailScroll-m.height/2)
	case key.Matches(msg, k.PageDown):
		m.detailScroll += m.height / 2
	case key.Matches(msg, k.Top):
		m.detailScroll = 0
	case key.Matches(msg, k.NextContainer):
		if m.detail != nil && len(m.detail.Containers) > 0 {
			m.container = (m.container + 1) % len(m.detail.Containers)
		}
	}
	return nil
}
