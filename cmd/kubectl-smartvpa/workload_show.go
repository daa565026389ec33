package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/guptarohit/asciigraph"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/workloads"
)

// WorkloadShowOptions holds the flags of `workload show`.
type WorkloadShowOptions struct {
	genericiooptions.IOStreams
	ID     string
	Dir    string
	Plot   bool
	Output string
	// Width is the chart width in columns; 0 means the terminal's width
	// (COLUMNS, then 80 when the output is not a terminal).
	Width int
	cmd   string
}

// WorkloadShowJSON is the JSON shape of `workload show -o json`.
type WorkloadShowJSON struct {
	Meta  workloads.Meta  `json:"meta"`
	Stats workloads.Stats `json:"stats"`
}

func (c *cli) newWorkloadShowCmd() *cobra.Command {
	o := &WorkloadShowOptions{IOStreams: c.streams, Dir: workloads.DefaultStoreDir}
	cmd := c.bind(&cobra.Command{
		Use:   "show ID|PATH [--plot] [-o json]",
		Short: "Show a workload's metadata, statistics and charts",
		Long: `Show a workload: where it came from, the unit conversions applied, and the
minimum, mean, percentiles and maximum of its CPU and memory. --plot adds an
ASCII chart of each, sized to the terminal (80 columns when it is not one);
each chart point is the maximum of the samples it covers.

The argument is a workload id in the store, or a path to a workload folder or
a trace.csv file. -o json prints {"meta": <meta.json>, "stats": {"cpuMillicores":
{min, mean, p50, p95, p99, max}, "memoryBytes": {...}}}.`,
		Example: `  kubectl smartvpa workload show bitbrains-1
  kubectl smartvpa workload show step-0123456789 --plot
  kubectl smartvpa workload show data/workloads/bitbrains-1/trace.csv -o json`,
		Args:              exactArgs(1),
		ValidArgsFunction: completeWorkloadIDs,
	}, o)
	addStoreFlag(cmd, &o.Dir, "workload store folder", "dir")
	cmd.Flags().BoolVar(&o.Plot, "plot", false, "draw ASCII charts of CPU and memory")
	cmd.Flags().IntVar(&o.Width, "width", 0, "chart width in columns (default: the terminal width, else 80)")
	addOutputFlag(cmd, &o.Output, "text", "json")
	return cmd
}

// Complete records the command path and the workload.
func (o *WorkloadShowOptions) Complete(cmd *cobra.Command, args []string) error {
	o.cmd, o.ID = cmd.CommandPath(), args[0]
	return nil
}

// Validate checks the flags.
func (o *WorkloadShowOptions) Validate() error {
	if o.Plot && o.Output == "json" {
		return usageErrorf(o.cmd, "--plot draws text charts: drop it or -o json")
	}
	if o.Width < 0 || o.Width > 0 && o.Width < wlMinWidth || o.Width > wlMaxWidth {
		return usageErrorf(o.cmd, "invalid --width %d: use %d to %d columns", o.Width, wlMinWidth, wlMaxWidth)
	}
	return nil
}

func (o *WorkloadShowOptions) load() (*workloads.Trace, error) {
	if strings.ContainsRune(o.ID, os.PathSeparator) || strings.HasSuffix(o.ID, ".csv") {
		return workloads.LoadPath(o.ID)
	}
	return workloads.OpenStore(o.Dir).Load(o.ID)
}

// Run prints the workload.
func (o *WorkloadShowOptions) Run(context.Context) error {
	t, err := o.load()
	if err != nil {
		return inputError(err)
	}
	if o.Output == "json" {
		return wlWriteJSON(o.Out, WorkloadShowJSON{Meta: t.Meta, Stats: t.Stats()})
	}
	if err := wlWriteShowText(o.Out, t); err != nil {
		return err
	}
	if o.Plot {
		width := o.Width
		if width == 0 {
			width = wlTerminalWidth(o.Out)
		}
		var req model.Resources
		if r := t.Meta.OriginalRequest; r != nil {
			req = *r
		}
		start, end := t.Start(), t.End().Add(t.Meta.Interval)
		fmt.Fprintln(o.Out)
		fmt.Fprint(o.Out, wlPlotSeries(t.CPUMillicores, req.CPUMillicores, start, end, width, "CPU (millicores)", 0))
		fmt.Fprintln(o.Out)
		mib := make([]float64, t.Len())
		for i, b := range t.MemoryBytes {
			mib[i] = b / model.MiB
		}
		fmt.Fprint(o.Out, wlPlotSeries(mib, req.MemoryBytes/model.MiB, start, end, width, "memory (MiB)", 0))
	}
	return nil
}

func wlWriteShowText(w io.Writer, t *workloads.Trace) error {
	m := t.Meta
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("ID", t.ID)
	row("Source", m.Source+" ("+m.Type+")")
	if m.Series != "" {
		row("Series", m.Series)
	}
	if len(m.Files) > 0 {
		row("Files", strings.Join(m.Files, ", "))
	}
	row("Samples", strconv.Itoa(t.Len()))
	row("Interval", formatDuration(m.Interval))
	row("Start", m.Start.UTC().Format(time.RFC3339))
	row("End", m.End.UTC().Format(time.RFC3339))
	row("Duration", formatDuration(m.End.Sub(m.Start)+m.Interval))
	row("Original request", wlRequestText(m.OriginalRequest))
	if m.AssumedMachine != nil {
		row("Assumed machine", wlRequestText(m.AssumedMachine))
	}
	if m.Seed != nil {
		row("Seed", strconv.FormatInt(*m.Seed, 10))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(m.Conversions) > 0 {
		fmt.Fprintln(w, "Conversions:")
		for _, c := range m.Conversions {
			fmt.Fprintf(w, "  - %s\n", c)
		}
	}
	fmt.Fprintln(w)
	s := t.Stats()
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "RESOURCE\tMIN\tMEAN\tP50\tP95\tP99\tMAX\t")
	c := s.CPUMillicores
	fmt.Fprintf(tw, "cpu (m)\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", c.Min, c.Mean, c.P50, c.P95, c.P99, c.Max)
	mm := s.MemoryBytes
	fmt.Fprintf(tw, "memory (Mi)\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", mm.Min/model.MiB, mm.Mean/model.MiB, mm.P50/model.MiB,
		mm.P95/model.MiB, mm.P99/model.MiB, mm.Max/model.MiB)
	return tw.Flush()
}

// The chart widths --plot draws, in columns: a chart is a few lines of
// that width, so the maximum bounds its size whatever --width, the terminal
// or $COLUMNS say.
const (
	wlMinWidth = 30
	wlMaxWidth = 1000
)

// wlTerminalWidth is the width of w when it is a terminal, else $COLUMNS,
// else 80, at most wlMaxWidth.
func wlTerminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols >= wlMinWidth {
			return min(cols, wlMaxWidth)
		}
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n >= wlMinWidth {
		return min(n, wlMaxWidth)
	}
	return 80
}

// wlPlotSeries draws v as an ASCII chart no wider than width columns, with
// the original request (0: unknown) as a flat ━ line and a time axis from
// start to end under it.
func wlPlotSeries(v []float64, request float64, start, end time.Time, width int, caption string, precision uint) string {
	const height = 10
	plotW := width - 12
	caption += ", max per column"
	if request > 0 {
		caption += fmt.Sprintf("; ━ original request %.0f", request)
	}
	for {
		if plotW < 10 {
			plotW = 10
		}
		// Long series: the maximum per column; short ones are stretched to
		// the width by asciigraph's interpolation.
		data := workloads.Downsample(v, plotW)
		if len(data) == 1 {
			data = []float64{data[0], data[0]}
		}
		series := [][]float64{data}
		chars := []asciigraph.CharSet{asciigraph.DefaultCharSet}
		if request > 0 {
			line := make([]float64, len(data))
			for i := range line {
				line[i] = request
			}
			// The request first: usage stays visible where they cross.
			series = [][]float64{line, data}
			chars = []asciigraph.CharSet{asciigraph.CreateCharSet("━"), asciigraph.DefaultCharSet}
		}
		out := asciigraph.PlotMany(series, asciigraph.Height(height), asciigraph.Width(plotW), asciigraph.LowerBound(0),
			asciigraph.Precision(precision), asciigraph.SeriesChars(chars...))
		widest := 0
		lines := strings.Split(out, "\n")
		for _, l := range lines {
			widest = max(widest, utf8.RuneCountInString(l))
		}
		if widest <= width || plotW == 10 {
			// The caption under the axis, cut to the width.
			capLine := strings.Repeat(" ", max(0, (widest-utf8.RuneCountInString(caption))/2)) + caption
			if r := []rune(capLine); len(r) > width {
				capLine = string(r[:width-1]) + "…"
			}
			return wlWithTimeAxis(append(lines, capLine), start, end) + "\n"
		}
		plotW -= widest - width
	}
}

// wlWithTimeAxis puts a line with the first and the last time under the
// plot (before its caption), aligned with the plot's first and last column.
func wlWithTimeAxis(lines []string, start, end time.Time) string {
	if len(lines) < 2 || !end.After(start) {
		return strings.Join(lines, "\n")
	}
	first := []rune(lines[0])
	axisAt := strings.IndexFunc(string(first), func(r rune) bool { return r == '┤' || r == '┼' })
	if axisAt < 0 {
		return strings.Join(lines, "\n")
	}
	axisAt = utf8.RuneCountInString(string(first)[:axisAt]) + 1
	plotW := 0
	for _, l := range lines {
		if strings.ContainsAny(l, "┤┼") {
			plotW = max(plotW, utf8.RuneCountInString(l)-axisAt)
		}
	}
	layout := "2006-01-02 15:04"
	if end.Sub(start) >= 48*time.Hour && start.Hour() == 0 && start.Minute() == 0 {
		layout = "2006-01-02"
	}
	l, r := start.UTC().Format(layout), end.UTC().Format(layout)
	gap := max(1, plotW-len(l)-len(r))
	axis := strings.Repeat(" ", axisAt) + l + strings.Repeat(" ", gap) + r
	// The caption is the last line; the axis goes right above it.
	n := len(lines)
	for n > 0 && !strings.ContainsAny(lines[n-1], "┤┼") {
		n--
	}
	out := append(append(append([]string(nil), lines[:n]...), axis), lines[n:]...)
	return strings.Join(out, "\n")
}
