package main

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/smartvpa/smartvpa/core/sim"
)

// riskPoint is one smart profile against vpa on a set of workloads: its
// risk (CPU over-request share, or the ratio of OOM kill totals to vpa's)
// and its slack (the ratio of slack totals to vpa's).
type riskPoint struct{ risk, slack float64 }

// atRisk reads the profiles' line at risk r: the slack interpolated
// log-log between the two profiles whose risks are nearest r on either
// side. ok is false when no two profiles bracket r (or a figure is not
// positive, which a log cannot take).
func atRisk(pts []riskPoint, r float64) (slack float64, ok bool) {
	if r <= 0 {
		return 0, false
	}
	ps := slices.Clone(pts)
	slices.SortFunc(ps, func(a, b riskPoint) int { return cmp.Compare(a.risk, b.risk) })
	for i := 0; i+1 < len(ps); i++ {
		a, b := ps[i], ps[i+1]
		if r < a.risk || r > b.risk || a.risk <= 0 || a.slack <= 0 || b.slack <= 0 {
			continue
		}
		if a.risk == b.risk {
			return math.Min(a.slack, b.slack), true
		}
		t := (math.Log(r) - math.Log(a.risk)) / (math.Log(b.risk) - math.Log(a.risk))
		return math.Exp(math.Log(a.slack) + t*(math.Log(b.slack)-math.Log(a.slack))), true
	}
	return 0, false
}

// riskRange is the range of the profiles' risks, for a cell where they do
// not bracket vpa's.
func riskRange(pts []riskPoint, format func(float64) string) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		lo, hi = math.Min(lo, p.risk), math.Max(hi, p.risk)
	}
	return fmt.Sprintf("outside (profiles %s to %s)", format(lo), format(hi))
}

// riskMatched prints, per set of workloads and bar budget, where the line
// of smart's profiles (smart:reliability, smart, smart:savings) passes at
// vpa's own risk: the CPU slack at vpa's CPU over-request share and the
// memory slack at vpa's OOM kills, as ratios of totals to vpa's. The
// profiles differ only in the risk they state, so the line is what smart
// trades between slack and risk; read at vpa's risk, it says whether smart
// wastes less than vpa at no more risk whichever profile is the default.
// With again, the reading is not explained a second time.
func riskMatched(b *bytes.Buffer, sets []barSet, recs []string, seed int64, again bool) {
	var profiles []string
	for _, r := range recs {
		if r == "smart" || strings.HasPrefix(r, "smart:") {
			profiles = append(profiles, r)
		}
	}
	if len(profiles) < 2 {
		return
	}
	budgets := []string{"1h", "12h"}
	fmt.Fprintf(b, "### smart's profiles at vpa's own risk\n\n")
	if again {
		fmt.Fprintf(b, "Read as above, on these series.\n\n")
	} else {
		riskMatchedIntro(b, profiles)
	}
	fmt.Fprintf(b, "| family |")
	for _, bud := range budgets {
		fmt.Fprintf(b, " %s: vpa's CPU over-request | %s CPU slack at it | %s memory slack at vpa's OOM kills |", bud, bud, bud)
	}
	fmt.Fprintf(b, "\n|---|")
	for range budgets {
		fmt.Fprintf(b, "---|---|---|")
	}
	fmt.Fprintf(b, "\n")
	pct := func(v float64) string { return fmt.Sprintf("%.2f %%", 100*v) }
	times := func(v float64) string { return fmt.Sprintf("%s x", num(v)) }
	for _, st := range sets {
		fmt.Fprintf(b, "| %s |", st.name)
		for _, bud := range budgets {
			var cpu, mem []riskPoint
			vpaShare := math.NaN()
			for _, c := range sim.Compare(append([]string{"vpa"}, profiles...), "vpa", st.results[bud], seed) {
				if c.Dataset != sim.DatasetAll || c.Recommender == "vpa" {
					continue
				}
				vpaShare = c.BaselineCPUOverRequestShare
				cpu = append(cpu, riskPoint{c.CPUOverRequestShare, c.CPUSlack.Total})
				mem = append(mem, riskPoint{c.OOMs.Total, c.MemorySlack.Total})
			}
			if len(cpu) < 2 {
				fmt.Fprintf(b, " - | - | - |")
				continue
			}
			fmt.Fprintf(b, " %s |", pct(vpaShare))
			if v, ok := atRisk(cpu, vpaShare); ok {
				fmt.Fprintf(b, " %s |", num(v))
			} else {
				fmt.Fprintf(b, " %s |", riskRange(cpu, pct))
			}
			if v, ok := atRisk(mem, 1); ok {
				fmt.Fprintf(b, " %s |", num(v))
			} else {
				fmt.Fprintf(b, " %s |", riskRange(mem, times))
			}
		}
		fmt.Fprintf(b, "\n")
	}
	fmt.Fprintln(b)
}

// riskMatchedIntro explains the reading of riskMatched's table.
func riskMatchedIntro(b *bytes.Buffer, profiles []string) {
	fmt.Fprintf(b, "The profiles (%s) state different risks and otherwise plan alike: together they draw the line smart\n", strings.Join(profiles, ", "))
	fmt.Fprintf(b, "trades slack for risk along. Read at vpa's own risk, the line says whether smart wastes less than vpa at no more\n")
	fmt.Fprintf(b, "risk, whichever profile is the default. CPU: the CPU slack (ratio of totals to vpa's) at vpa's CPU over-request\n")
	fmt.Fprintf(b, "share; memory: the memory slack at vpa's OOM kills (a ratio of kill totals of 1); each interpolated log-log between\n")
	fmt.Fprintf(b, "the two profiles whose risks bracket vpa's. \"outside\": no two profiles bracket it (their range is given).\n\n")
}
