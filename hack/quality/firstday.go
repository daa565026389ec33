package main

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/smartvpa/smartvpa/core/sim"
)

// firstDay prints the cold-start section: per budget of in.firstDay, vpa and
// smart (each family with the models trained without it) over the first day
// of every series after a warm-up of an hour (DIR/F-firstday-B.json:
// backtest --warmup 1h --measure-for 1d), per family and pooled.
func firstDay(b *bytes.Buffer, in input) error {
	if len(in.firstDay) == 0 {
		return nil
	}
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	p("## The first day (cold start)\n\n")
	p("A container smart has seen for less than a day: from 1 h of history to the last hour of that day smart answers\n")
	p("for CPU with its cold-start prior, learned from the training families (per burstiness class of the usage so far,\n")
	p("history length and horizon, a factor on the peak so far at the profile's cost), where before it answered with vpa\n")
	p("(its memory is the peak so far plus the margin, as before). Here every\n")
	p("series is run from its start with a warm-up of 1 h and measured for a day (`backtest --warmup 1h --measure-for 1d`),\n")
	p("each family with the models trained without it. smart / vpa: ratios of totals; CPU over-request: smart's share\n")
	p("against vpa's (means over workloads).\n\n")
	for _, bud := range in.firstDay {
		var pooled []sim.Result
		p("### budget %s\n\n", budgetName(bud))
		p("| family | workloads | CPU slack | CPU over-request | memory slack | OOM kills | restarts |\n")
		p("|---|---:|---:|---|---:|---|---|\n")
		row := func(name string, results []sim.Result) {
			ss := sim.Summarize([]string{"vpa", "smart"}, results)
			v, s := ss[0], ss[1]
			ratio := func(a, b float64) string { return num(a / b) }
			p("| %s | %d | %s | %.2f %% vs %.2f %% | %s | %d vs %d | %d vs %d |\n", name, s.Workloads,
				ratio(s.CPU.AbsoluteSlackCoreHours, v.CPU.AbsoluteSlackCoreHours), 100*s.CPU.OverRequestShare, 100*v.CPU.OverRequestShare,
				ratio(s.Memory.AbsoluteSlackGiBHours, v.Memory.AbsoluteSlackGiBHours), s.Memory.OOMs, v.Memory.OOMs, s.Restarts, v.Restarts)
		}
		for _, f := range in.families {
			r, err := read(filepath.Join(in.dir, fmt.Sprintf("%s-firstday-%s.json", f, bud)))
			if err != nil {
				return err
			}
			row(f, r.Results)
			pooled = append(pooled, r.Results...)
		}
		row("pooled", pooled)
		p("\n")
	}
	return nil
}
