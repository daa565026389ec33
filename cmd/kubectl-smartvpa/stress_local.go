package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/stress"
	"github.com/smartvpa/smartvpa/workloads"
)

// StressLocalOptions holds the flags of `stress local`.
type StressLocalOptions struct {
	genericiooptions.IOStreams
	Workload string
	Store    string
	Agents   int
	Speedup  float64
	Interval time.Duration
	Duration time.Duration
	Backend  string
	Workers  int
	Output   string

	cmd   string
	trace *workloads.Trace
}

func (c *cli) newStressLocalCmd() *cobra.Command {
	o := &StressLocalOptions{IOStreams: c.streams, Store: workloads.DefaultStoreDir, Agents: 2, Speedup: 3600, Interval: 2 * time.Second,
		Backend: "native"}
	cmd := c.bind(&cobra.Command{
		Use:   "local --workload ID|PATH [--agents N] [--speedup X] [--interval 2s] [--duration D] [-o table|json]",
		Short: "Run the utilisation server and N stress agent processes on this machine and show them follow a workload",
		Long: `Run the utilisation server and --agents stress agent processes on loopback (no
cluster), all following --workload at --speedup (workload seconds per wall
second), and print every --interval, per agent, the target and the usage
measured from /proc/<pid> of the agent process: CPU averaged over the
interval, resident set at its end.

-o json prints one JSON object per line: {agent, time, workloadTime,
targetCpuMillicores, measuredCpuMillicores, targetMemoryBytes,
measuredMemoryBytes}. The table ends with, per agent, how many intervals were
within 10 % of the target, counting targets above 200m and 64 MB that held
for the two intervals before (an agent has two intervals to switch), and
whether the agent exited 0 on SIGTERM.

The run lasts --duration of wall time, or the workload's length at the
speed-up. The agents loop: a --duration longer than the workload's length
divided by the speed-up replays it from its first sample (the start line says
when). The agents
compete with everything else on the machine for CPU: on a busy machine they
fall short of CPU targets.`,
		Example: `  kubectl smartvpa workload generate --type step --duration 1d --id step-1d
  kubectl smartvpa stress local --workload step-1d --agents 2 --speedup 3600 --duration 1m
  kubectl smartvpa stress local --workload data/workloads/step-1d -o json | jq .`,
		Args: noArgs,
	}, o)
	f := cmd.Flags()
	f.StringVar(&o.Workload, "workload", "", "workload id in --store, workload folder or trace.csv file (required)")
	_ = cmd.RegisterFlagCompletionFunc("workload", completeWorkloadIDs)
	f.StringVar(&o.Store, "store", o.Store, "workload store folder where workload ids are looked up")
	f.IntVar(&o.Agents, "agents", o.Agents, "number of agent processes")
	f.Float64Var(&o.Speedup, "speedup", o.Speedup, "workload seconds per wall second")
	f.DurationVar(&o.Interval, "interval", o.Interval, "wall time between targets and between printed measurements")
	f.DurationVar(&o.Duration, "duration", 0, "how long to run, in wall time (default: the workload's length at the speed-up; longer loops the workload)")
	f.StringVar(&o.Backend, "backend", o.Backend, "agent backend: native or stress-ng")
	f.IntVar(&o.Workers, "workers", 0, "CPU worker threads per agent, at most 4 per CPU (default GOMAXPROCS)")
	addOutputFlag(cmd, &o.Output, "table", "json")
	return cmd
}

// Complete records the command path.
func (o *StressLocalOptions) Complete(cmd *cobra.Command, _ []string) error {
	o.cmd = cmd.CommandPath()
	return nil
}

// Validate checks the flags and loads the workload.
func (o *StressLocalOptions) Validate() error {
	switch {
	case o.Workload == "":
		return usageErrorf(o.cmd, "--workload is required: give a workload id, folder or trace.csv file")
	case o.Agents < 1 || o.Agents > 64:
		return usageErrorf(o.cmd, "--agents must be between 1 and 64, got %d", o.Agents)
	case !(o.Speedup > 0):
		return usageErrorf(o.cmd, "--speedup must be positive, e.g. 3600")
	case o.Interval < 100*time.Millisecond:
		return usageErrorf(o.cmd, "--interval must be at least 100ms, e.g. 2s")
	case o.Duration < 0:
		return usageErrorf(o.cmd, "--duration must not be negative")
	case o.Workers < 0 || o.Workers > stress.MaxWorkers():
		return usageErrorf(o.cmd, "--workers must be from 0 (GOMAXPROCS) to %d (4 per CPU), got %d", stress.MaxWorkers(), o.Workers)
	case o.Backend != "native" && o.Backend != "stress-ng":
		return usageErrorf(o.cmd, "unknown backend %q: use native or stress-ng", o.Backend)
	}
	if o.Backend == "stress-ng" {
		if _, err := exec.LookPath("stress-ng"); err != nil {
			return inputError(stress.ErrNoStressNG)
		}
	}
	t, err := loadTrace(o.Workload, o.Store)
	if err != nil {
		return err
	}
	o.trace = t
	return nil
}

// Run runs the server and the agents and prints the rows.
func (o *StressLocalOptions) Run(ctx context.Context) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program to start the agents: %w", err)
	}
	var print func(stress.LocalRow) error
	if o.Output == "json" {
		enc := json.NewEncoder(o.Out)
		print = func(r stress.LocalRow) error { return enc.Encode(r) }
	} else {
		fmt.Fprintf(o.Out, "%-9s %-8s %-20s %10s %10s %10s %10s\n", "AGENT", "TIME", "WORKLOAD TIME", "CPU TARGET", "CPU USED", "MEM TARGET", "MEM USED")
		print = func(r stress.LocalRow) error {
			_, err := fmt.Fprintf(o.Out, "%-9s %-8s %-20s %10s %10s %10s %10s\n", r.Agent, r.Time.Local().Format("15:04:05"),
				r.WorkloadTime.Format("2006-01-02T15:04:05"), millis(r.TargetCPUMillicores), millis(r.MeasuredCPUMillicores),
				mebis(r.TargetMemoryBytes), mebis(r.MeasuredMemoryBytes))
			return err
		}
	}
	fmt.Fprintf(o.ErrOut, "stress local: workload %s (%d samples), %d agents, speed-up %g, interval %s\n", o.trace.ID, o.trace.Len(), o.Agents, o.Speedup, o.Interval)
	if note := stressLocalLoopNote(o.trace, o.Speedup, o.Duration); note != "" {
		fmt.Fprintln(o.ErrOut, note)
	}
	sums, err := stress.RunLocal(ctx, stress.LocalConfig{
		Trace: o.trace, Agents: o.Agents, Speedup: o.Speedup, Interval: o.Interval, Duration: o.Duration,
		AgentCommand: func(url, pod string) *exec.Cmd {
			args := []string{"stress", "agent", "--server", url, "--pod", pod, "--backend", o.Backend,
				"--report-interval", o.Interval.String(), "--workers", strconv.Itoa(o.Workers)}
			return exec.Command(self, args...)
		},
		OnRow: print,
	})
	if err != nil {
		return err
	}
	w := o.Out
	if o.Output == "json" {
		w = o.ErrOut
	}
	printLocalSummary(w, sums)
	return nil
}

// stressLocalLoopNote says how much workload time a --duration of wall time
// plays, and when the workload loops back to its first sample ("" without
// --duration: the run then stops at the workload's end).
func stressLocalLoopNote(t *workloads.Trace, speedup float64, wall time.Duration) string {
	if wall <= 0 {
		return ""
	}
	interval := t.Meta.Interval
	if interval <= 0 {
		interval = t.MedianInterval()
	}
	span := t.End().Sub(t.Start()) + interval
	played := time.Duration(math.Min(float64(wall)*speedup, math.MaxInt64))
	note := fmt.Sprintf("stress local: --duration %s is wall time: %s of workload time at speed-up %g", formatDuration(wall), formatDuration(played), speedup)
	if played > span {
		loopAt := time.Duration(float64(span) / speedup).Round(time.Second)
		note += fmt.Sprintf("; the workload is %s long, so it loops back to its first sample every %s of wall time", formatDuration(span), formatDuration(loopAt))
	}
	return note
}

func printLocalSummary(w io.Writer, sums []stress.LocalSummary) {
	fmt.Fprintf(w, "\n%-9s %-28s %-28s %s\n", "AGENT", "CPU WITHIN 10% (>200m)", "MEMORY WITHIN 10% (>64MB)", "EXIT ON SIGTERM")
	for _, s := range sums {
		exit := "ok"
		if !s.ExitedOK {
			exit = "failed"
		}
		fmt.Fprintf(w, "%-9s %-28s %-28s %s\n", s.Agent, fraction(s.CPUWithin, s.CPUJudged), fraction(s.MemoryWithin, s.MemoryJudged), exit)
	}
}

func fraction(n, of int) string {
	if of == 0 {
		return "no interval judged"
	}
	return fmt.Sprintf("%d/%d intervals", n, of)
}

func millis(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) + "m" }

func mebis(v float64) string { return strconv.FormatFloat(v/(1<<20), 'f', 1, 64) + "Mi" }
