package kube

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// OutputFormats are the formats of PrintReport.
var OutputFormats = []string{"table", "wide", "json", "yaml", "csv", "patch"}

// PrintReport writes rep in format (table, wide, json, yaml, csv, patch).
// explain adds the evidence behind each number after a table.
func PrintReport(w io.Writer, rep *Report, format string, explain bool) error {
	switch format {
	case "", "table":
		return printTable(w, rep, false, explain)
	case "wide":
		return printTable(w, rep, true, explain)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "yaml":
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		y, err := yaml.JSONToYAML(b)
		if err != nil {
			return err
		}
		_, err = w.Write(y)
		return err
	case "csv":
		return printCSV(w, rep)
	case "patch":
		return printPatches(w, rep)
	}
	return fmt.Errorf("unknown output format %q: use %s", format, strings.Join(OutputFormats, ", "))
}

// NewResources returns the requests and limits a workload's containers get
// from the report: the targets for resources with a recommendation, limits in
// proportion. skip names resources to leave unchanged. Containers without a
// recommendation are left out.
func NewResources(wr *WorkloadReport, skip map[model.Resource]bool) []ContainerResources {
	var out []ContainerResources
	for _, c := range wr.Containers {
		if c.Recommendation == nil {
			continue
		}
		req := c.Requests
		for _, r := range model.AllResources {
			if t := c.Recommendation.Target.Get(r); t > 0 && !skip[r] {
				req = req.Set(r, t)
			}
		}
		lim := c.Limits
		if c.NewLimits != nil {
			for _, r := range model.AllResources {
				if !skip[r] {
					lim = lim.Set(r, c.NewLimits.Get(r))
				}
			}
		}
		out = append(out, ContainerResources{Name: c.Name, Sidecar: c.Sidecar, Requests: req, Limits: lim})
	}
	return out
}

func printPatches(w io.Writer, rep *Report) error {
	first := true
	for i := range rep.Workloads {
		wr := &rep.Workloads[i]
		cs := NewResources(wr, nil)
		if len(wr.Containers) == 0 {
			continue
		}
		if !first {
			fmt.Fprintln(w, "---")
		}
		first = false
		if len(cs) == 0 {
			fmt.Fprintf(w, "# %s/%s: no recommendation, nothing to patch\n", wr.Namespace, wr.Ref())
			continue
		}
		if ok, why := PatchableTemplate(wr.Kind); !ok {
			fmt.Fprintf(w, "# %s/%s: %s\n", wr.Namespace, wr.Ref(), why)
			continue
		}
		wl := wr.workload
		if wl == nil {
			wl = &Workload{Namespace: wr.Namespace, Kind: wr.Kind, Name: wr.Name}
		}
		b, err := PatchDocument(wl, cs)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func cpuCell(req float64, rec *model.Recommendation) string {
	if rec == nil {
		return FormatCPU(req) + " -> ?"
	}
	return fmt.Sprintf("%s -> %s (%s-%s)", FormatCPU(req), FormatCPU(rec.Target.CPUMillicores), FormatCPU(rec.Lower.CPUMillicores), upperCell(FormatCPU, rec.Upper.CPUMillicores))
}

func memCell(req float64, rec *model.Recommendation) string {
	if rec == nil {
		return FormatMemory(req) + " -> ?"
	}
	return fmt.Sprintf("%s -> %s (%s-%s)", FormatMemory(req), FormatMemory(rec.Target.MemoryBytes), FormatMemory(rec.Lower.MemoryBytes), upperCell(FormatMemory, rec.Upper.MemoryBytes))
}

// upperCell formats an upper bound, or says there is none yet (the
// recommender's cap, model.NoBound, with too little history).
func upperCell(format func(float64) string, v float64) string {
	if !model.Bounded(v) {
		return "no bound yet"
	}
	return format(v)
}

// DriftCells formats the CPU and the memory drift (model.FormatDrift: "+60%"
// over-provisioned, "-350%" under-provisioned, "-" none).
func DriftCells(d *model.Drift) (cpu, memory string) {
	if d == nil {
		return "-", "-"
	}
	return model.FormatDrift(d.CPU), model.FormatDrift(d.Memory)
}

// DriftLegend is the line under every table with drift columns: the sign
// convention and the scale.
const DriftLegend = "drift = (request - target) / min(request, target): + over-provisioned, - under-provisioned (+100% = twice the target, -100% = half of it)"

func money(x float64) string {
	if x < 0 {
		return fmt.Sprintf("-$%.2f", -x)
	}
	return fmt.Sprintf("$%.2f", x)
}

func printTable(w io.Writer, rep *Report, wide, explain bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "NAMESPACE\tWORKLOAD\tCONTAINER\tCPU REQUEST -> REC (LOWER-UPPER)\tMEMORY REQUEST -> REC (LOWER-UPPER)\tCPU DRIFT\tMEM DRIFT\tCONFIDENCE"
	if wide {
		head += "\tREPLICAS\tHISTORY\tSAMPLES\tLIMITS -> NEW\tSAVINGS/MONTH"
	}
	fmt.Fprintln(tw, head+"\tNOTES")
	rows := 0
	for _, rc := range riskFirst(rep) {
		wr, c := rc.w, rc.c
		rows++
		name := c.Name
		if c.Sidecar {
			name += " (sidecar)"
		}
		cpuDrift, memDrift := DriftCells(c.Drift)
		row := []string{wr.Namespace, wr.Ref(), name, cpuCell(c.Requests.CPUMillicores, c.Recommendation), memCell(c.Requests.MemoryBytes, c.Recommendation), cpuDrift, memDrift, string(c.Confidence)}
		if wide {
			lim := fmt.Sprintf("%s/%s", FormatCPU(c.Limits.CPUMillicores), FormatMemory(c.Limits.MemoryBytes))
			if c.NewLimits != nil {
				lim += fmt.Sprintf(" -> %s/%s", FormatCPU(c.NewLimits.CPUMillicores), FormatMemory(c.NewLimits.MemoryBytes))
			}
			row = append(row, strconv.Itoa(wr.Replicas), shortDuration(time.Duration(c.HistorySpan)), strconv.Itoa(c.Samples), lim, money(c.MonthlySavings))
		}
		notes := strings.Join(c.Notes, "; ")
		if notes == "" {
			notes = "-"
		}
		row = append(row, notes)
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if rows == 0 {
		fmt.Fprintln(w, "no workloads found")
	}
	hist := rep.History
	if hist == "" {
		hist = "none"
	}
	fmt.Fprintf(w, "\nrecommender %s, profile %s, history from %s", rep.Recommender, rep.Profile, hist)
	fmt.Fprintf(w, "; estimated savings %s/month\n", money(rep.MonthlySavings))
	if rows > 0 {
		fmt.Fprintf(w, "%s; rows riskiest first\n", DriftLegend)
	}
	for _, n := range rep.HistoryNotes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if explain {
		return printExplain(w, rep)
	}
	return nil
}

func shortDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1fd", d.Hours()/24)
	case d >= time.Hour:
		return fmt.Sprintf("%.1fh", d.Hours())
	}
	return d.Round(time.Second).String()
}

func printExplain(w io.Writer, rep *Report) error {
	for _, wr := range rep.Workloads {
		for _, c := range wr.Containers {
			fmt.Fprintf(w, "\n%s/%s container %s:\n", wr.Namespace, wr.Ref(), c.Name)
			fmt.Fprintf(w, "  history: %s, %d samples over %s (confidence %s)\n", orNone(rep.History), c.Samples, shortDuration(time.Duration(c.HistorySpan)), c.Confidence)
			if c.Recommendation == nil {
				fmt.Fprintf(w, "  no recommendation: %s\n", strings.Join(c.Notes, "; "))
				continue
			}
			r := c.Recommendation
			fmt.Fprintf(w, "  cpu: request %s, target %s (lower %s, upper %s, uncapped %s)\n", FormatCPU(c.Requests.CPUMillicores), FormatCPU(r.Target.CPUMillicores), FormatCPU(r.Lower.CPUMillicores), upperCell(FormatCPU, r.Upper.CPUMillicores), FormatCPU(r.UncappedTarget.CPUMillicores))
			fmt.Fprintf(w, "  memory: request %s, target %s (lower %s, upper %s, uncapped %s)\n", FormatMemory(c.Requests.MemoryBytes), FormatMemory(r.Target.MemoryBytes), FormatMemory(r.Lower.MemoryBytes), upperCell(FormatMemory, r.Upper.MemoryBytes), FormatMemory(r.UncappedTarget.MemoryBytes))
			fmt.Fprintf(w, "  profile %s; floors never undercut; limits kept in proportion\n", rep.Profile)
			if c.Explanation != nil {
				writeEvidence(w, c.Explanation)
			}
			if c.OOMs > 0 {
				fmt.Fprintf(w, "  %d OOM kill(s) fed to the recommender\n", c.OOMs)
			}
			fmt.Fprintf(w, "  savings: %s/month at %d replica(s)\n", money(c.MonthlySavings), wr.Replicas)
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func writeEvidence(w io.Writer, ex *recommend.Explanation) {
	fmt.Fprintf(w, "  recommender %s evidence:\n", ex.Recommender)
	res := make([]string, 0, len(ex.Resources))
	for r := range ex.Resources {
		res = append(res, string(r))
	}
	sort.Strings(res)
	for _, r := range res {
		e := ex.Resources[model.Resource(r)]
		line := fmt.Sprintf("    %s: %.0f samples over %s, confidence %.2f, margin %.0f%%", r, e.SampleCount, shortDuration(e.HistorySpan), e.Confidence, 100*e.Margin)
		if e.TargetPercentile > 0 {
			line += fmt.Sprintf(", percentiles lower p%g target p%g upper p%g", 100*e.LowerPercentile, 100*e.TargetPercentile, 100*e.UpperPercentile)
		}
		if len(e.CapsApplied) > 0 {
			line += ", caps: " + strings.Join(e.CapsApplied, ", ")
		}
		fmt.Fprintln(w, line)
	}
	for _, n := range ex.Notes {
		fmt.Fprintf(w, "    note: %s\n", n)
	}
}

// csvDrift writes a drift with 4 decimals; empty when there is none.
func csvDrift(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

// reportRow is one container of a report with its workload.
type reportRow struct {
	w *WorkloadReport
	c *ContainerReport
}

// riskFirst returns the report's containers in the order tables print them:
// model.RiskFirst on the worst drift (under-provisioned first), containers
// without a recommendation last, otherwise in report order.
func riskFirst(rep *Report) []reportRow {
	var out []reportRow
	for i := range rep.Workloads {
		wr := &rep.Workloads[i]
		for j := range wr.Containers {
			out = append(out, reportRow{wr, &wr.Containers[j]})
		}
	}
	worst := func(c *ContainerReport) float64 {
		if c.Drift == nil {
			return math.NaN()
		}
		return c.Drift.Worst()
	}
	sort.SliceStable(out, func(i, j int) bool { return model.RiskFirst(worst(out[i].c), worst(out[j].c)) })
	return out
}

func printCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"namespace", "kind", "name", "container", "sidecar", "replicas",
		"cpu_request_millicores", "cpu_target_millicores", "cpu_lower_millicores", "cpu_upper_millicores",
		"memory_request_bytes", "memory_target_bytes", "memory_lower_bytes", "memory_upper_bytes",
		"drift_cpu", "drift_memory", "confidence", "history_seconds", "samples", "ooms", "monthly_savings", "notes"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	for _, wr := range rep.Workloads {
		for _, c := range wr.Containers {
			row := []string{wr.Namespace, wr.Kind, wr.Name, c.Name, strconv.FormatBool(c.Sidecar), strconv.Itoa(wr.Replicas), f(c.Requests.CPUMillicores)}
			if r := c.Recommendation; r != nil {
				// An upper bound at the recommender's cap is no bound yet: empty.
				up := func(x float64) string {
					if !model.Bounded(x) {
						return ""
					}
					return f(x)
				}
				row = append(row, f(r.Target.CPUMillicores), f(r.Lower.CPUMillicores), up(r.Upper.CPUMillicores), f(c.Requests.MemoryBytes), f(r.Target.MemoryBytes), f(r.Lower.MemoryBytes), up(r.Upper.MemoryBytes))
			} else {
				row = append(row, "", "", "", f(c.Requests.MemoryBytes), "", "", "")
			}
			if c.Drift != nil {
				row = append(row, csvDrift(c.Drift.CPU), csvDrift(c.Drift.Memory))
			} else {
				row = append(row, "", "")
			}
			row = append(row, string(c.Confidence), f(time.Duration(c.HistorySpan).Seconds()), strconv.Itoa(c.Samples), strconv.Itoa(c.OOMs), f(c.MonthlySavings), strings.Join(c.Notes, "; "))
			_ = cw.Write(row)
		}
	}
	cw.Flush()
	return cw.Error()
}
