// Command quality turns the backtest reports of `make quality` (kubectl
// smartvpa backtest -o json) into docs/quality.md: leave-one-family-out
// figures per family and update budget, the comparison statistics against
// vpa with bootstrap intervals, the budget curves (slack against updates per
// container-day), the hindsight oracle as per-budget references, smart
// against the bars of issue 17 and its profiles read at vpa's own risk. See
// hack/models.mk for the protocol.
//
// Usage:
//
//	go run ./hack/quality -dir DIR -families generated,bitbrains,google,alibaba \
//	    -budgets 0,1h,12h -quantiles 0.9,0.95,0.98,0.99 -out docs/quality.md
//
// DIR holds, per family F and budget B, F-B.json (the recommenders with the
// models trained without F), F-B-oracle1h.json and F-B-oracle24h.json, and
// per family F-q<Q>.json (the 24 h oracle requesting the Q-quantile of CPU,
// budget 0), and lofo-F/ (the model files trained without F). With -models
// M, it also holds validation-B.json: every recommender with the shipped
// models of M on the workloads they hold out for validation (listed by
// -list-validation), reported per family against the same bars. With
// -first-day B1,B2 it also holds F-firstday-B.json: vpa and smart over the
// first day of every series (backtest --warmup 1h --measure-for 1d).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
	"github.com/smartvpa/smartvpa/core/recommend/smart"
	"github.com/smartvpa/smartvpa/core/sim"
)

// seed seeds the bootstrap intervals (the backtests ran with seed 1 too).
const seed = 1

type input struct {
	dir       string
	families  []string
	budgets   []string
	quantiles []string
	command   string
	// firstDay are the budgets of the first-day backtests (F-firstday-B.json;
	// none: no such section).
	firstDay []string
	// models is the folder of the shipped model files whose validation
	// workloads (held out of training, --holdout) were backtested with
	// them into validation-BUDGET.json ("": no such section).
	models string
}

func main() {
	var in input
	out := flag.String("out", "docs/quality.md", "markdown file to write")
	flag.StringVar(&in.dir, "dir", "bin/models-work", "folder of the backtest reports and lofo-FAMILY model folders")
	fams := flag.String("families", "generated,bitbrains,google,alibaba", "dataset families, each held out in turn")
	budgets := flag.String("budgets", "0,1h,12h", "--min-update-interval values backtested")
	qs := flag.String("quantiles", "0.9,0.95,0.98,0.99", "CPU quantiles of the 24 h oracle backtested (the matched reference is picked among them)")
	flag.StringVar(&in.command, "command", "make quality", "the command that reproduces the report")
	flag.StringVar(&in.models, "models", "", "folder of the shipped model files: report their validation workloads' backtests (DIR/validation-BUDGET.json)")
	first := flag.String("first-day", "", "budgets of the first-day backtests to report (DIR/FAMILY-firstday-BUDGET.json; empty: none)")
	list := flag.Bool("list-validation", false, "print the folders (DIR/FAMILY/ID, comma-separated) of the workloads the model files of -models were not trained on, and exit")
	flag.Parse()
	in.families = strings.Split(*fams, ",")
	in.budgets = strings.Split(*budgets, ",")
	in.quantiles = strings.Split(*qs, ",")
	if *first != "" {
		in.firstDay = strings.Split(*first, ",")
	}
	if *list {
		paths, _, err := validationPaths(in)
		if err != nil {
			fail(err)
		}
		fmt.Println(strings.Join(paths, ","))
		return
	}
	md, err := render(in)
	if err != nil {
		fail(err)
	}
	tmp := *out + ".tmp"
	if err := os.WriteFile(tmp, md, 0o644); err != nil {
		fail(err)
	}
	if err := os.Rename(tmp, *out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "quality:", err)
	os.Exit(2)
}

func read(path string) (sim.Report, error) {
	var r sim.Report
	data, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// fold is one family held out, at every budget.
type fold struct {
	family   string
	reports  map[string]sim.Report // by budget
	oracles  map[string][]sim.Summary
	matched  *sim.Summary // the matched-quantile oracle at budget 0
	matchedQ string
	models   map[string]*modelfile.File
}

func render(in input) ([]byte, error) {
	var folds []fold
	for _, f := range in.families {
		fd := fold{family: f, reports: map[string]sim.Report{}, oracles: map[string][]sim.Summary{}, models: map[string]*modelfile.File{}}
		for _, b := range in.budgets {
			r, err := read(filepath.Join(in.dir, fmt.Sprintf("%s-%s.json", f, b)))
			if err != nil {
				return nil, err
			}
			fd.reports[b] = r
			for _, w := range []string{"1h", "24h"} {
				if !oracleFits(w, b) {
					continue
				}
				o, err := read(filepath.Join(in.dir, fmt.Sprintf("%s-%s-oracle%s.json", f, b, w)))
				if err != nil {
					return nil, err
				}
				s := o.Summary[0]
				s.Recommender = "oracle " + w
				fd.oracles[b] = append(fd.oracles[b], s)
			}
		}
		// The matched oracle: the lowest quantile whose CPU over-request
		// share is no higher than vpa's at budget 0.
		vpa, ok := find(fd.reports[in.budgets[0]].Summary, "vpa")
		if ok {
			for _, q := range in.quantiles {
				o, err := read(filepath.Join(in.dir, fmt.Sprintf("%s-q%s.json", f, q)))
				if err != nil {
					return nil, err
				}
				s := o.Summary[0]
				if s.CPU.OverRequestShare <= vpa.CPU.OverRequestShare {
					s.Recommender = "oracle 24h p" + strings.TrimPrefix(q, "0.")
					fd.matched, fd.matchedQ = &s, q
					break
				}
			}
		}
		paths, _ := filepath.Glob(filepath.Join(in.dir, "lofo-"+f, "*.json"))
		for _, p := range paths {
			m, err := modelfile.Read(p, "")
			if err != nil {
				return nil, err
			}
			fd.models[m.Recommender] = m
		}
		folds = append(folds, fd)
	}
	recs := folds[0].reports[in.budgets[0]].Recommenders
	var val *validation
	if in.models != "" {
		v, err := readValidation(in)
		if err != nil {
			return nil, err
		}
		val = v
	}

	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Recommender quality\n\n")
	p("Generated by `%s` (hack/models.mk, hack/quality); do not edit by hand.\n\n", in.command)
	p("## Protocol\n\n")
	p("Leave one family out: the workloads form %d families (%s). For each family, the learned models\n", len(folds), strings.Join(in.families, ", "))
	p("(lstm, bandit, autopilot, and smart's sweep of its memory planning) are trained on the other families only\n")
	p("(`kubectl smartvpa train --holdout 0`), and every recommender is backtested on the held-out family with them\n")
	p("(`backtest --model lofo-FAMILY/`). No figure below comes from a series its models were trained on.\n")
	if val != nil {
		p("The shipped models are also backtested on the series of each family they were not trained on (`make models`\n")
		p("holds out part of every family, `train --holdout`): the estimate for other series of the same traces.\n")
	}
	p("\n")
	p("Simulator defaults (core/sim): update mode in-place-or-recreate with upstream's updater rules (quick OOM as upstream:\n")
	p("a kill within 10 min of the container's start, until the pod is recreated), memory limit = request, no CPU limit,\n")
	p("24 h warm-up excluded, seed 1; every recommender plays by the same actuation: an in-place resize applies 1 min\n")
	p("after the decision (`--resize-delay`), a restart or OOM kill leaves the container down 30 s (`--restart-downtime`,\n")
	p("demand unserved), an in-place update costs 1 in the reward (`--update-cost`). Each family is run at update budgets\n")
	p("`--min-update-interval` %s (0: upstream's rules only), which bind every recommender alike.\n\n", strings.Join(in.budgets, ", "))
	p("Figures: slack totals in core-hours and GiB-hours; relative slack and CPU over-request share are means over\n")
	p("workloads; OOM kills, restarts and updates are totals; \"small\" counts updates that changed no request by 10 %%\n")
	p("or more. Comparisons against vpa are per workload: the ratio of each figure (slack + 0.001, counts + 1) to vpa's,\n")
	p("summarised by the geometric mean with a 95 %% bootstrap interval over workloads (seed 1) and by the ratio of the\n")
	p("totals. Per family, series whose memory reads 0 in over half the samples are reported apart (\"degenerate\").\n")
	p("The oracle knows the future: per window (1 h or 24 h) it requests the peak of the window (and of the next sample's,\n")
	p("which starts before a resize applies), or a CPU quantile matched to vpa's CPU over-request share (the lowest of\n")
	p("%s whose share is no higher than vpa's, budget 0); it is a reference for what hindsight buys at each budget\n", strings.Join(in.quantiles, ", "))
	p("(the hourly one only at budgets up to 1 h), not a bound.\n\n")

	scoreboard(&b, in, folds, recs, seed)
	if val != nil {
		validationBars(&b, in, val, recs, seed)
	}

	if err := firstDay(&b, in); err != nil {
		return nil, err
	}

	// Pooled: every family's results (each tested with models that never
	// saw it), per budget.
	p("## All families pooled (each family tested on models trained without it)\n\n")
	for _, bud := range in.budgets {
		var results []sim.Result
		for _, fd := range folds {
			results = append(results, fd.reports[bud].Results...)
		}
		p("### budget %s\n\n", budgetName(bud))
		ss := sim.Summarize(recs, results)
		table(&b, ss, nil)
		comparison(&b, sim.Compare(recs, "vpa", results, seed), sim.DatasetAll)
	}

	p("## Budget curves\n\n")
	p("Slack against updates per container-day as the budget tightens (`--min-update-interval` %s), pooled over the\n", strings.Join(in.budgets, " / "))
	p("families; the oracle rows are hindsight references at the same budgets.\n\n")
	p("| recommender | budget | updates / container-day | CPU slack (core-h) | memory slack (GiB-h) | CPU over-request | OOM kills | restarts |\n")
	p("|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, name := range append(append([]string{}, recs...), "oracle 1h", "oracle 24h") {
		for _, bud := range in.budgets {
			var ss []sim.Summary
			for _, fd := range folds {
				if strings.HasPrefix(name, "oracle ") {
					if s, ok := find(fd.oracles[bud], name); ok {
						ss = append(ss, s)
					}
					continue
				}
				if s, ok := find(fd.reports[bud].Summary, name); ok {
					ss = append(ss, s)
				}
			}
			if len(ss) == 0 {
				continue
			}
			s := pool(name, ss)
			p("| %s | %s | %.2f | %.1f | %.1f | %.2f %% | %d | %d |\n", name, budgetName(bud), s.UpdatesPerContainerDay,
				s.CPU.AbsoluteSlackCoreHours, s.Memory.AbsoluteSlackGiBHours, 100*s.CPU.OverRequestShare, s.Memory.OOMs, s.Restarts)
		}
	}
	p("\n")

	for _, fd := range folds {
		p("## Family %s (held out)\n\n", fd.family)
		if m := fd.models["smart"]; m != nil {
			p("Models trained on %d series of the other families (training set `%s`).\n\n", len(m.TrainingSet.Workloads), m.TrainingSet.Hash[:23])
			line, err := smartChoices(m)
			if err != nil {
				return nil, fmt.Errorf("lofo-%s: %w", fd.family, err)
			}
			p("%s\n\n", line)
		}
		for _, bud := range in.budgets {
			r := fd.reports[bud]
			p("### %s, budget %s\n\n", fd.family, budgetName(bud))
			refs := fd.oracles[bud]
			if fd.matched != nil && bud == in.budgets[0] {
				refs = append(refs, *fd.matched)
			}
			table(&b, r.Summary, refs)
			comparison(&b, r.Comparison, "")
		}
	}
	if val != nil {
		validationTables(&b, in, val)
	}
	return b.Bytes(), nil
}

// oracleFits reports whether an oracle changing once per window fits an
// update budget: the hourly oracle is not shown under a 12 h budget, which
// would block most of its changes (and OOM-kill it).
func oracleFits(window, budget string) bool {
	w, err1 := time.ParseDuration(window)
	b, err2 := time.ParseDuration(budget)
	return err1 != nil || err2 != nil || b <= w
}

func budgetName(b string) string {
	if b == "0" {
		return "0 (upstream rules)"
	}
	return b
}

// pool sums summaries of disjoint workload sets.
func pool(name string, ss []sim.Summary) sim.Summary {
	out := sim.Summary{Recommender: name}
	for _, s := range ss {
		n := float64(s.Workloads)
		out.Workloads += s.Workloads
		out.CPU.AbsoluteSlackCoreHours += s.CPU.AbsoluteSlackCoreHours
		out.CPU.RelativeSlack += s.CPU.RelativeSlack * n
		out.CPU.OverRequestShare += s.CPU.OverRequestShare * n
		out.Memory.AbsoluteSlackGiBHours += s.Memory.AbsoluteSlackGiBHours
		out.Memory.RelativeSlack += s.Memory.RelativeSlack * n
		out.Memory.OOMs += s.Memory.OOMs
		out.Updates += s.Updates
		out.Restarts += s.Restarts
		out.Hours += s.Hours
	}
	if n := float64(out.Workloads); n > 0 {
		out.CPU.RelativeSlack /= n
		out.CPU.OverRequestShare /= n
		out.Memory.RelativeSlack /= n
	}
	if out.Hours > 0 {
		out.UpdatesPerContainerDay = float64(out.Updates) / (out.Hours / 24)
	}
	return out
}

func table(b *bytes.Buffer, ss, refs []sim.Summary) {
	fmt.Fprintf(b, "| recommender | workloads | CPU slack (core-h) | CPU rel. slack | CPU over-request | memory slack (GiB-h) | memory rel. slack | OOM kills | restarts | updates | small | updates / day |\n")
	fmt.Fprintf(b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range append(append([]sim.Summary{}, ss...), refs...) {
		fmt.Fprintf(b, "| %s | %d | %.1f | %.1f %% | %.2f %% | %.1f | %.1f %% | %d | %d | %d | %d | %.2f |\n", s.Recommender, s.Workloads,
			s.CPU.AbsoluteSlackCoreHours, 100*s.CPU.RelativeSlack, 100*s.CPU.OverRequestShare,
			s.Memory.AbsoluteSlackGiBHours, 100*s.Memory.RelativeSlack, s.Memory.OOMs, s.Restarts, s.Updates, s.SmallUpdates, s.UpdatesPerContainerDay)
	}
	fmt.Fprintln(b)
}

// comparison prints the comparison rows (of dataset only, when not empty)
// and the verdicts of the "all" rows.
func comparison(b *bytes.Buffer, cs []sim.Comparison, dataset string) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(b, "Against vpa, per workload: geometric mean of the ratio [95 %% CI], and ratio of totals.\n\n")
	fmt.Fprintf(b, "| recommender | series | workloads | CPU slack | memory slack | OOM kills | restarts | updates |\n")
	fmt.Fprintf(b, "|---|---|---:|---|---|---|---|---|\n")
	st := func(s sim.Stat) string {
		return fmt.Sprintf("%.2f [%.2f, %.2f]; tot %s", s.Geomean, s.CI95[0], s.CI95[1], num(s.Total))
	}
	for _, c := range cs {
		if dataset != "" && c.Dataset != dataset {
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %d | %s | %s | %s | %s | %s |\n", c.Recommender, c.Dataset, c.Workloads,
			st(c.CPUSlack), st(c.MemorySlack), st(c.OOMs), st(c.Restarts), st(c.Updates))
	}
	fmt.Fprintln(b)
	for _, c := range cs {
		if c.Dataset == sim.DatasetAll {
			fmt.Fprintf(b, "- %s\n", sim.Verdict(c))
		}
	}
	fmt.Fprintln(b)
}

func num(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func find(ss []sim.Summary, name string) (sim.Summary, bool) {
	for _, s := range ss {
		if s.Recommender == name {
			return s, true
		}
	}
	return sim.Summary{}, false
}

// bar is one acceptance bar of smart (issue 17): at budget, figure (a ratio
// of totals to vpa's) at most max.
type bar struct {
	budget string
	what   string
	max    float64
	get    func(c sim.Comparison) float64
}

var bars = []bar{
	{"1h", "CPU slack", 0.75, func(c sim.Comparison) float64 { return c.CPUSlack.Total }},
	{"1h", "memory slack", 0.75, func(c sim.Comparison) float64 { return c.MemorySlack.Total }},
	{"1h", "OOM kills", 0.5, func(c sim.Comparison) float64 { return c.OOMs.Total }},
	{"1h", "restarts", 1.25, func(c sim.Comparison) float64 { return c.Restarts.Total }},
	{"12h", "CPU slack", 0.9, func(c sim.Comparison) float64 { return c.CPUSlack.Total }},
	{"12h", "memory slack", 0.8, func(c sim.Comparison) float64 { return c.MemorySlack.Total }},
	{"12h", "OOM kills", 0.7, func(c sim.Comparison) float64 { return c.OOMs.Total }},
	{"12h", "restarts", 1.25, func(c sim.Comparison) float64 { return c.Restarts.Total }},
}

// scoreboard prints, for each smart row (smart and smart:PROFILE), the
// acceptance bars of issue 17 per family and pooled: ratios of totals to
// vpa's, the CPU over-request share against vpa's, and whether the upper
// end of the 95 % interval of the per-workload geometric mean of the CPU
// and memory slack ratios is below 1. Every cell is computed from the
// backtests; "yes"/"no" says whether the bar is met.
func scoreboard(b *bytes.Buffer, in input, folds []fold, recs []string, seed int64) {
	if !hasBarBudgets(in) {
		return
	}
	fmt.Fprintf(b, "## smart against the bars of issue 17\n\n")
	fmt.Fprintf(b, "Ratios of totals to vpa's on each held-out family and pooled (the bar in brackets; yes = met). CPU over-request:\n")
	fmt.Fprintf(b, "smart's share against vpa's (mean over workloads; the bar at 1h is \"no higher\"). GM < 1: the upper end of the\n")
	fmt.Fprintf(b, "95 %% interval of the per-workload geometric mean of the CPU and memory slack ratios is below 1 (both budgets).\n\n")
	var sets []barSet
	pooled := barSet{name: "pooled", results: map[string][]sim.Result{}}
	for _, fd := range folds {
		st := barSet{name: fd.family, results: map[string][]sim.Result{}}
		for _, bud := range []string{"1h", "12h"} {
			st.results[bud] = fd.reports[bud].Results
			pooled.results[bud] = append(pooled.results[bud], fd.reports[bud].Results...)
		}
		sets = append(sets, st)
	}
	sets = append(sets, pooled)
	barTables(b, sets, recs, "###", seed)
	riskMatched(b, sets, recs, seed, false)
}

// hasBarBudgets reports whether the budgets of the bars (1h, 12h) were
// backtested.
func hasBarBudgets(in input) bool {
	return slices.Contains(in.budgets, "1h") && slices.Contains(in.budgets, "12h")
}

// barSet is one row of the bar tables: a set of workloads' results by
// budget.
type barSet struct {
	name    string
	results map[string][]sim.Result
}

// barTables prints, under headings of level head, one table per smart row
// (smart and smart:PROFILE) with one line per set.
func barTables(b *bytes.Buffer, sets []barSet, recs []string, head string, seed int64) {
	for _, rec := range recs {
		if rec != "smart" && !strings.HasPrefix(rec, "smart:") {
			continue
		}
		fmt.Fprintf(b, "%s %s\n\n", head, rec)
		fmt.Fprintf(b, "| family |")
		for _, br := range bars {
			fmt.Fprintf(b, " %s %s (<= %g) |", br.budget, br.what, br.max)
		}
		fmt.Fprintf(b, " 1h CPU over-request | GM < 1 |\n|---|")
		for range bars {
			fmt.Fprintf(b, "---|")
		}
		fmt.Fprintf(b, "---|---|\n")
		for _, st := range sets {
			cmp := map[string]sim.Comparison{}
			for _, bud := range []string{"1h", "12h"} {
				for _, c := range sim.Compare([]string{"vpa", rec}, "vpa", st.results[bud], seed) {
					if c.Recommender == rec && c.Dataset == sim.DatasetAll {
						cmp[bud] = c
					}
				}
			}
			fmt.Fprintf(b, "| %s |", st.name)
			for _, br := range bars {
				c, ok := cmp[br.budget]
				if !ok {
					fmt.Fprintf(b, " - |")
					continue
				}
				v := br.get(c)
				fmt.Fprintf(b, " %s %s |", num(v), yesNo(v <= br.max))
			}
			c1 := cmp["1h"]
			fmt.Fprintf(b, " %.2f %% vs %.2f %% %s |", 100*c1.CPUOverRequestShare, 100*c1.BaselineCPUOverRequestShare, yesNo(c1.CPUOverRequestShare <= c1.BaselineCPUOverRequestShare))
			gm := true
			for _, bud := range []string{"1h", "12h"} {
				c := cmp[bud]
				gm = gm && c.CPUSlack.CI95[1] < 1 && c.MemorySlack.CI95[1] < 1
			}
			fmt.Fprintf(b, " %s |\n", yesNo(gm))
		}
		fmt.Fprintln(b)
	}
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// smartChoices states what smart's sweep chose in a fold (its trained
// parameters), so that differences between folds are visible.
func smartChoices(m *modelfile.File) (string, error) {
	var o smart.Options
	if err := json.Unmarshal(m.Params, &o); err != nil {
		return "", fmt.Errorf("smart's parameters: %w", err)
	}
	mem := "peak"
	if o.MemoryQuantile > 0 {
		mem = fmt.Sprintf("%g quantile", o.MemoryQuantile)
	}
	step := "a decrease goes to the plan's at once"
	if f := o.MemoryDecreaseStep; f > 0 && f < 1 {
		step = fmt.Sprintf("a decrease to at least %g x the target", f)
	}
	floor := ""
	if o.CPUWeightSizeExponent > 0 && o.CPUWeightSizeFloor > 0 {
		floor = fmt.Sprintf(" (a container below %gm weighed as one of %gm)", o.CPUWeightSizeFloor, o.CPUWeightSizeFloor)
	}
	loop := o.OOMLoopStreak
	if loop == 0 {
		loop = smart.DefaultOptions().OOMLoopStreak
	}
	constant := ""
	switch {
	case o.OOMStreakConstant:
		constant = " at every kill"
	case o.OOMStreakConstantLong:
		constant = fmt.Sprintf(" (at every kill at budgets of %g h or more)", smart.LongHorizon.Hours())
	}
	long := ""
	if o.OOMStreakFactorLong != 0 || o.OOMLoopStreakLong != 0 {
		f, l := o.OOMStreakFactor, loop
		if o.OOMStreakFactorLong != 0 {
			f = o.OOMStreakFactorLong
		}
		if o.OOMLoopStreakLong != 0 {
			l = o.OOMLoopStreakLong
		}
		long = fmt.Sprintf(" (at budgets of %g h or more: %g, power %d)", smart.LongHorizon.Hours(), f, l)
	}
	cal := ", no share calibration"
	if o.CPUShareRate > 0 {
		r := o.CPUShareRange
		if r == 0 {
			r = 4
		}
		cal = fmt.Sprintf(", share calibration at rate %g down to 1/%g of the weight", o.CPUShareRate, r)
		if o.CPUShareBurst {
			cal += " (a burst above counted once per plan)"
		}
		if o.CPUShareCeiling > 1 {
			cal += fmt.Sprintf(" and up to %g x it while a container's share above is over the profile's", o.CPUShareCeiling)
		}
	}
	if o.CPUShadowFrom > 0 {
		cal += fmt.Sprintf(", CPU plans in the shadow of the warm-up from %g h", o.CPUShadowFrom.Hours())
	}
	cold := ""
	if cs := o.ColdStart; cs != nil {
		cold = fmt.Sprintf(" Cold start: a CPU prior from %g h of history (%d burstiness classes).", cs.Hours[0], len(cs.Classes)+1)
	}
	return fmt.Sprintf("smart's sweep chose: CPU weights %g / %g / %g (reliability / balanced / savings), size power %g%s%s; memory: %s of the hourly peaks, "+
		"hysteresis %g, %g h between decreases, %s, a bump falls back %g h after the last kill, streak factor %g%s (a crash loop at one request: its power %d)%s, kill to the next plan %s.%s",
		o.OverrunWeights["reliability"], o.OverrunWeights["balanced"], o.OverrunWeights["savings"],
		o.CPUWeightSizeExponent, floor, cal, mem, o.MemoryHysteresis, o.MemoryDecreaseGap.Hours(), step, o.TrimHold().Hours(), o.OOMStreakFactor, constant, loop, long, yesNo(o.OOMToPlan), cold), nil
}
