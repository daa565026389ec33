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
	why := wrapLines(explanationLines(cd.Explanation, ct, m.internals), w-1)
	headLines := len(out)
	// Two charts, each a legend, height+1 plot lines, a marker row and a
	// time axis, a blank line after each, then the explanation. From 26
	// lines on (120x35 has 28) the plain explanation is kept on screen: the
	// charts give up lines for it.
	avail := h - headLines
	reserve := 0
	if avail >= 26 {
		reserve = min(len(why), 7, avail-20)
	}
	height := max(3, (avail-reserve-2)/2-4)
	out = append(out, m.chartLines(cd, ct, model.CPU, w, height)...)
	out = append(out, "")
	out = append(out, m.chartLines(cd, ct, model.Memory, w, height)...)
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
// (the maximum of each column's samples), the recommended target as it would
// have moved (replayed over the window, when the source replays) and the
// request, upper and lower bounds as flat, labelled series; a marker row
// (▲ usage above the replayed target then: throttling risk for CPU, OOM
// risk for memory; ✗ an OOM kill) and a time axis under it. The legend ends
// with how often usage was above the request and the replayed target.
func (m *Model) chartLines(cd *ContainerDetail, ct *ContainerRec, res model.Resource, w, height int) []string {
	s := m.styles
	hist := cd.History
	format, axis := model.FormatCPU, axisCPU
	name, risk := "CPU", "throttling risk"
	if res == model.Memory {
		format, axis, name, risk = model.FormatMemory, axisMem, "Memory", "OOM risk"
	}
	values := [5]float64{0, ct.Request.Get(res), ct.Rec.Upper.Get(res), ct.Rec.Target.Get(res), ct.Rec.Lower.Get(res)}
	replayed := ct.OK && len(cd.Targets) > 0
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
		label := seriesNames[i] + " " + format(values[i])
		if i == 3 && replayed {
			label = "target " + format(values[i]) + " now, replayed"
		}
		legend = append(legend, s.series[i].r(seriesChars[i])+" "+label)
	}
	// How often usage was above the request and the replayed target: said
	// in the middle of the time axis.
	var facts []string
	if req, tgt, n := exceedance(hist, cd.Targets, res, values[1]); len(hist) > 0 {
		if values[1] > 0 {
			facts = append(facts, fmt.Sprintf("above the request %s of the time", pctText(req)))
		}
		if replayed && n > 0 {
			facts = append(facts, fmt.Sprintf("▲ above the replayed target %s (%s)", pctText(tgt), risk))
		}
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
	clipped := false
	for _, i := range []int{4, 2, 3, 1} {
		if values[i] <= 0 || (i > 1 && !ct.OK) {
			continue
		}
		line := make([]float64, len(usage))
		for j := range line {
			line[j] = values[i]
		}
		cs := asciigraph.CreateCharSet(seriesChars[i])
		if i == 3 && replayed {
			line = replayedColumns(hist, cd.Targets, res, len(usage))
			cs = targetCharSet
			// A warm-up guess far above everything else would squash the
			// chart: the replay is cut at 1.25x the highest other line.
			top := 0.0
			for _, v := range usage {
				top = max(top, v)
			}
			for _, v := range values[1:] {
				if v > 0 && model.Bounded(v) {
					top = max(top, v)
				}
			}
			for j, v := range line {
				if v > 1.25*top {
					line[j] = 1.25 * top
					clipped = true
				}
			}
		}
		data = append(data, line)
		colors = append(colors, seriesColor(i, m.opts.NoColor))
		chars = append(chars, cs)
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
	if clipped {
		out[0] += "  (replay cut at the top)"
	}
	plot := asciigraph.PlotMany(data, opts...)
	lines := strings.Split(plot, "\n")
	dataAt := labelW + offset
	if len(lines) > 0 {
		if i := strings.IndexAny(ansi.Strip(lines[0]), "┤┼"); i >= 0 {
			dataAt = ansi.StringWidth(ansi.Strip(lines[0])[:i]) + 1
		}
	}
	for _, l := range lines {
		out = append(out, " "+l)
	}
	marks := ""
	if replayed {
		marks = markerRow(hist, cd.Targets, cd.OOMKills, res, len(usage))
	} else if res == model.Memory && len(cd.OOMKills) > 0 {
		marks = markerRow(hist, nil, cd.OOMKills, res, len(usage))
	}
	out = append(out, " "+strings.Repeat(" ", dataAt)+s.bad.r(marks))
	span := hist[len(hist)-1].Time.Sub(hist[0].Time)
	left, right := fmtDur(span)+" ago", "now"
	middle := strings.Join(facts, " · ")
	gap := cols - len(left) - len(right) - 1
	if w := ansi.StringWidth(middle); w > 0 && w+4 <= gap {
		pad := (gap - w) / 2
		middle = strings.Repeat(" ", pad) + middle + strings.Repeat(" ", gap-w-pad)
	} else {
		middle = strings.Repeat(" ", max(1, gap))
	}
	out = append(out, " "+strings.Repeat(" ", labelW+offset)+s.dim.r(left+middle+right))
	return out
}

// targetCharSet draws the replayed target with double lines, apart from the
// usage's single ones.
var targetCharSet = asciigraph.CharSet{
	Horizontal: "═", VerticalLine: "║", ArcDownRight: "╔", ArcDownLeft: "╗", ArcUpRight: "╚", ArcUpLeft: "╝",
	EndCap: "═", StartCap: "═", UpRight: "╚", DownHorizontal: "╦",
}

// columnRanges splits n samples into cols buckets as downsampleMax does.
func columnRanges(n, cols int) [][2]int {
	if n <= cols {
		out := make([][2]int, n)
		for i := range out {
			out[i] = [2]int{i, i + 1}
		}
		return out
	}
	out := make([][2]int, cols)
	for i := range out {
		lo := i * n / cols
		out[i] = [2]int{lo, max(lo+1, (i+1)*n/cols)}
	}
	return out
}

// replayedColumns is the replayed target per chart column (the target in
// force at the column's last sample); NaN where there was none yet.
func replayedColumns(hist, targets []model.Sample, res model.Resource, cols int) []float64 {
	rs := columnRanges(len(hist), cols)
	out := make([]float64, len(rs))
	for i, r := range rs {
		v := valueOf(targetAt(targets, hist[r[1]-1].Time), res)
		if v <= 0 {
			v = math.NaN()
		}
		out[i] = v
	}
	return out
}

// markerRow marks the chart columns where usage went above the replayed
// target in force then (▲), and those with an OOM kill (✗).
func markerRow(hist, targets []model.Sample, ooms []time.Time, res model.Resource, cols int) string {
	rs := columnRanges(len(hist), cols)
	row := make([]rune, len(rs))
	for i, r := range rs {
		row[i] = ' '
		for _, smp := range hist[r[0]:r[1]] {
			if t := valueOf(targetAt(targets, smp.Time), res); t > 0 && valueOf(smp, res) > t {
				row[i] = '▲'
				break
			}
		}
		if res != model.Memory {
			continue
		}
		from, to := hist[r[0]].Time, hist[r[1]-1].Time
		if i+1 < len(rs) {
			to = hist[rs[i+1][0]].Time
		}
		for _, o := range ooms {
			if !o.Before(from) && (o.Before(to) || (i == len(rs)-1 && !o.After(to))) {
				row[i] = '✗'
			}
		}
	}
	return strings.TrimRight(string(row), " ")
}

// pctText formats a share: "12%", "0.4%", "0%".
func pctText(v float64) string {
	switch {
	case v <= 0:
		return "0%"
	case v < 0.01:
		return trimFloat(100*v, 1) + "%"
	}
	return trimFloat(100*v, 0) + "%"
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

// explanationLines says why, plain words and the recommendation's own
// units first ("126m = p90 of 8d of usage (2304 samples) + 15% margin");
// with internals (the i key) also the recommender's confidence, the
// percentiles of the bounds and its technical notes (bucket ends, weights).
func explanationLines(e recommend.Explanation, ct *ContainerRec, internals bool) []string {
	out := []string{" Why (" + e.Recommender + "):"}
	if !ct.OK {
		out = append(out, "   not enough data for a recommendation yet")
	}
	var rs []string
	for r := range e.Resources {
		rs = append(rs, string(r))
	}
	sort.Strings(rs)
	var inner []string
	for _, r := range rs {
		res := model.Resource(r)
		ev := e.Resources[res]
		what := fmt.Sprintf("%s of usage (%s samples)", fmtDur(ev.HistorySpan), trimFloat(ev.SampleCount, 0))
		if ev.TargetPercentile > 0 {
			what = fmt.Sprintf("p%s of %s", trimFloat(ev.TargetPercentile*100, 1), what)
		} else {
			what = "from " + what
		}
		if ev.Margin > 0 {
			what += fmt.Sprintf(" + %s%% margin", trimFloat(ev.Margin*100, 1))
		}
		line := fmt.Sprintf("   %-6s ", r)
		if ct.OK {
			line += model.Format(res, ct.Rec.Target.Get(res)) + " = " + what
			lo, up := ct.Rec.Lower.Get(res), ct.Rec.Upper.Get(res)
			upper := "no bound yet"
			if model.Bounded(up) {
				upper = model.Format(res, up)
			}
			line += fmt.Sprintf("; range %s to %s", model.Format(res, lo), upper)
		} else {
			line += what
		}
		if len(ev.CapsApplied) > 0 {
			line += "; capped by " + strings.Join(ev.CapsApplied, ", ")
		}
		out = append(out, line)
		ip := fmt.Sprintf("confidence %s", trimFloat(ev.Confidence, 2))
		if ev.LowerPercentile > 0 || ev.UpperPercentile > 0 {
			ip += fmt.Sprintf(", lower p%s, upper p%s", trimFloat(ev.LowerPercentile*100, 1), trimFloat(ev.UpperPercentile*100, 1))
		}
		inner = append(inner, fmt.Sprintf("   %-6s %s", r, ip))
	}
	for _, n := range e.Notes {
		if technical(n) {
			inner = append(inner, "   - "+n)
		} else {
			out = append(out, "   - "+n)
		}
	}
	if len(e.Resources) == 0 && len(e.Notes) == 0 {
		out = append(out, "   the recommender gave no evidence")
	}
	switch {
	case internals && len(inner) > 0:
		out = append(out, " Internals (i hides):")
		out = append(out, inner...)
	case len(inner) > 0:
		out = append(out, "   i: internals (confidence, percentiles of the bounds, bucket ends, weights)")
	}
	return out
}

// technical reports whether a recommender's note is about its internals
// (histogram buckets, weights, windows) rather than something to act on.
func technical(note string) bool {
	for _, w := range []string{"bucket", "weight", "histogram", "p50/", "window", "decay", " x0.", " x1."} {
		if strings.Contains(note, w) {
			return true
		}
	}
	return false
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
	case key.Matches(msg, k.Internals):
		m.internals = !m.internals
	default:
		m.unknownKey(msg)
	}
	return nil
}
