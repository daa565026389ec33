package kube

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/smartvpa/smartvpa/core/model"
)

// AuditReport is what audit prints: per container, whether its requests
// drift from the recommendation by more than MaxDrift. Its JSON shape is
// documented in docs/cluster.md and stable.
type AuditReport struct {
	APIVersion  string       `json:"apiVersion"`
	Kind        string       `json:"kind"`
	Recommender string       `json:"recommender"`
	History     string       `json:"history"`
	MaxDrift    float64      `json:"maxDrift"`
	Checked     int          `json:"checked"`
	Drifting    int          `json:"drifting"`
	Unknown     int          `json:"unknown"`
	Items       []AuditItem  `json:"items"`
	Notes       []string     `json:"notes,omitempty"`
	Source      *Report      `json:"-"`
	Status      AuditOutcome `json:"status"`
}

// AuditOutcome is the verdict of an audit.
type AuditOutcome string

// The verdicts: ok (exit 0) and drift (exit 1).
const (
	AuditOK    AuditOutcome = "ok"
	AuditDrift AuditOutcome = "drift"
)

// AuditItem is one container's verdict.
type AuditItem struct {
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Container string `json:"container"`
	// Status is ok, drift or unknown (no recommendation).
	Status   string          `json:"status"`
	Requests model.Resources `json:"requests"`
	Target   model.Resources `json:"target"`
	// Drift is model.Drift: + over-provisioned, - under-provisioned.
	Drift *model.Drift `json:"drift,omitempty"`
	// MonthlySavings is recommend's: what setting the requests to the
	// target saves a month at the current replica count.
	MonthlySavings float64  `json:"monthlySavings"`
	Reasons        []string `json:"reasons,omitempty"`
}

// Audit compares each container's requests with its recommendation.
func Audit(rep *Report, maxDrift float64) *AuditReport {
	a := &AuditReport{APIVersion: "smartvpa.io/v1alpha1", Kind: "AuditReport", Recommender: rep.Recommender, History: rep.History, MaxDrift: maxDrift, Items: []AuditItem{}, Notes: rep.HistoryNotes, Source: rep, Status: AuditOK}
	for _, wr := range rep.Workloads {
		for _, c := range wr.Containers {
			it := AuditItem{Namespace: wr.Namespace, Kind: wr.Kind, Name: wr.Name, Container: c.Name, Requests: c.Requests, Drift: c.Drift, MonthlySavings: c.MonthlySavings, Status: "ok"}
			a.Checked++
			if c.Recommendation == nil {
				it.Status = "unknown"
				it.Reasons = append(it.Reasons, "no recommendation: "+strings.Join(c.Notes, "; "))
				a.Unknown++
				a.Items = append(a.Items, it)
				continue
			}
			it.Target = c.Recommendation.Target
			for _, r := range model.AllResources {
				req, t := c.Requests.Get(r), c.Recommendation.Target.Get(r)
				d := c.Drift.Get(r)
				switch {
				case req == 0 && t > 0:
					it.Reasons = append(it.Reasons, fmt.Sprintf("no %s request (recommended %s)", r, format(r, t)))
				case math.Abs(d) > maxDrift: // NaN (no target) never drifts
					dir := "over-provisioned"
					if d < 0 {
						dir = "under-provisioned"
					}
					it.Reasons = append(it.Reasons, fmt.Sprintf("%s %s (drift %s): request %s, recommended %s (max drift %.0f%%)", r, dir, model.FormatDrift(d), format(r, req), format(r, t), 100*maxDrift))
				}
			}
			if len(it.Reasons) > 0 {
				it.Status = "drift"
				a.Drifting++
			}
			a.Items = append(a.Items, it)
		}
	}
	if a.Drifting > 0 {
		a.Status = AuditDrift
	}
	return a
}

// worst is the item's drift that matters most (model.Drift.Worst).
func (it *AuditItem) worst() float64 {
	if it.Drift == nil {
		return math.NaN()
	}
	return it.Drift.Worst()
}

func format(r model.Resource, v float64) string {
	if r == model.CPU {
		return FormatCPU(v)
	}
	return FormatMemory(v)
}

// AuditFormats are the formats of PrintAudit.
var AuditFormats = []string{"table", "json", "junit"}

// PrintAudit writes a in format.
func PrintAudit(w io.Writer, a *AuditReport, format string) error {
	switch format {
	case "", "table":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAMESPACE\tWORKLOAD\tCONTAINER\tSTATUS\tCPU REQUEST -> REC\tMEMORY REQUEST -> REC\tCPU DRIFT\tMEM DRIFT\tREASON")
		items := append([]AuditItem(nil), a.Items...)
		sort.SliceStable(items, func(i, j int) bool { return model.RiskFirst(items[i].worst(), items[j].worst()) })
		for _, it := range items {
			cpuDrift, memDrift := DriftCells(it.Drift)
			reason := strings.Join(it.Reasons, "; ")
			if reason == "" {
				reason = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s -> %s\t%s -> %s\t%s\t%s\t%s\n", it.Namespace, strings.ToLower(it.Kind)+"/"+it.Name, it.Container, it.Status,
				FormatCPU(it.Requests.CPUMillicores), orDash(FormatCPU(it.Target.CPUMillicores)), FormatMemory(it.Requests.MemoryBytes), orDash(FormatMemory(it.Target.MemoryBytes)), cpuDrift, memDrift, reason)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%d container(s) checked, %d drift more than %.0f%%, %d without a recommendation (recommender %s, history from %s)\n", a.Checked, a.Drifting, 100*a.MaxDrift, a.Unknown, a.Recommender, orNone(a.History))
		fmt.Fprintf(w, "%s; rows riskiest first\n", DriftLegend)
		for _, n := range a.Notes {
			fmt.Fprintf(w, "note: %s\n", n)
		}
		return nil
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(a)
	case "junit":
		return printJUnit(w, a)
	}
	return fmt.Errorf("unknown output format %q: use %s", format, strings.Join(AuditFormats, ", "))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func printJUnit(w io.Writer, a *AuditReport) error {
	out := junitSuites{Name: "smartvpa audit", Tests: a.Checked, Failures: a.Drifting, Skipped: a.Unknown}
	idx := map[string]int{}
	for _, it := range a.Items {
		suite := it.Namespace + "/" + strings.ToLower(it.Kind) + "/" + it.Name
		i, ok := idx[suite]
		if !ok {
			i = len(out.Suites)
			idx[suite] = i
			out.Suites = append(out.Suites, junitSuite{Name: suite})
		}
		s := &out.Suites[i]
		c := junitCase{Name: it.Container, ClassName: it.Namespace + "." + strings.ToLower(it.Kind) + "." + it.Name}
		switch it.Status {
		case "drift":
			msg := strings.Join(it.Reasons, "; ")
			c.Failure = &junitMessage{Message: msg, Text: msg}
			s.Failures++
		case "unknown":
			msg := strings.Join(it.Reasons, "; ")
			c.Skipped = &junitMessage{Message: msg}
			s.Skipped++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
