//go:build linux

package stress

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/workloads"
)

// TestMain lets the test binary act as a stress agent process for
// TestRunLocal.
func TestMain(m *testing.M) {
	if url := os.Getenv("STRESS_TEST_AGENT_URL"); url != "" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		a := NewAgent(AgentConfig{Client: &Client{BaseURL: url, Token: os.Getenv("SMARTVPA_STRESS_TOKEN")},
			Pod: os.Getenv("STRESS_TEST_AGENT_POD"), Backend: NewNative(NativeConfig{Workers: 1}), ReportInterval: time.Second, Log: os.Stderr})
		err := a.Run(ctx)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRunLocal runs the server and two real agent processes on loopback and
// checks the plumbing: rows per interval and agent, targets that follow the
// workload, a measured resident set near the memory target, agents that exit
// 0 on SIGTERM. CPU accuracy is not asserted here (the machine may be busy);
// see TestNativeAccuracy.
func TestRunLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	tr := &workloads.Trace{ID: "two-steps"}
	tr.Meta.Interval = time.Minute
	for i := range 4 {
		cpu, mem := 50.0, 48e6
		if i >= 2 {
			cpu, mem = 100, 80e6
		}
		tr.Append(t0.Add(time.Duration(i)*time.Minute), cpu, mem)
	}
	var rows []LocalRow
	sums, err := RunLocal(context.Background(), LocalConfig{
		Trace: tr, Agents: 2, Speedup: 30, Interval: 500 * time.Millisecond, Duration: 7 * time.Second,
		AgentCommand: func(url, pod string) *exec.Cmd {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "STRESS_TEST_AGENT_URL="+url, "STRESS_TEST_AGENT_POD="+pod)
			return cmd
		},
		OnRow: func(r LocalRow) error { rows = append(rows, r); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 2 || len(rows) < 8 {
		t.Fatalf("%d summaries, %d rows", len(sums), len(rows))
	}
	seen := map[string]map[float64]bool{}
	for _, r := range rows {
		if seen[r.Agent] == nil {
			seen[r.Agent] = map[float64]bool{}
		}
		seen[r.Agent][r.TargetCPUMillicores] = true
		if r.MeasuredMemoryBytes <= 0 || r.MeasuredCPUMillicores < 0 {
			t.Fatalf("row %+v", r)
		}
	}
	for _, a := range []string{"agent-0", "agent-1"} {
		if !seen[a][50] || !seen[a][100] {
			t.Errorf("%s saw targets %v, want both 50 and 100", a, seen[a])
		}
	}
	for _, s := range sums {
		// the 80e6 memory target holds for four intervals: at least two are
		// judged, and the resident set (from /proc) reaches 10 % of it in one
		// (each in a quiet run; a loaded machine can slow the first pages)
		if s.MemoryJudged < 2 || s.MemoryWithin < 1 {
			t.Errorf("%s memory: %d of %d judged intervals within 10%%", s.Agent, s.MemoryWithin, s.MemoryJudged)
		}
		if !s.ExitedOK {
			t.Errorf("%s did not exit 0 on SIGTERM", s.Agent)
		}
	}
}

func TestLocalJudge(t *testing.T) {
	a := &localAgent{sum: LocalSummary{Agent: "a"}}
	steps := []struct {
		target, measured float64
	}{{500, 100}, {500, 300}, {500, 480}, {500, 600}, {500, 200}, {100, 100}, {1000, 500}}
	for i, s := range steps {
		a.prev = &Target{CPUMillicores: s.target, MemoryBytes: 100e6}
		end := Target{CPUMillicores: s.target, MemoryBytes: 100e6}
		if i+1 < len(steps) {
			end.CPUMillicores = steps[i+1].target
		}
		a.judge(LocalRow{TargetCPUMillicores: s.target, MeasuredCPUMillicores: s.measured, TargetMemoryBytes: 100e6, MeasuredMemoryBytes: 105e6}, end)
	}
	// judged: the 3rd and 4th rows (500m held for three intervals and still
	// in force at their end; the 5th row's target changes at its end); 480 is
	// within 10 %, 600 is not
	want := LocalSummary{Agent: "a", Rows: 7, CPUJudged: 2, CPUWithin: 1, MemoryJudged: 5, MemoryWithin: 5}
	if a.sum != want {
		t.Fatalf("got %+v, want %+v", a.sum, want)
	}
}

// TestRunLocalInterruptedRecordsExits: a run interrupted (ctx done, as on
// SIGINT) stops the agents before it takes the summaries, so agents that
// exit 0 are recorded as such (they were reported "failed").
func TestRunLocalInterruptedRecordsExits(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	tr := &workloads.Trace{ID: "flat"}
	tr.Meta.Interval = time.Minute
	for i := range 4 {
		tr.Append(t0.Add(time.Duration(i)*time.Minute), 50, 48e6)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rows := 0
	sums, err := RunLocal(ctx, LocalConfig{
		Trace: tr, Agents: 2, Speedup: 1, Interval: 300 * time.Millisecond, Duration: time.Hour,
		AgentCommand: func(url, pod string) *exec.Cmd {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "STRESS_TEST_AGENT_URL="+url, "STRESS_TEST_AGENT_POD="+pod)
			return cmd
		},
		OnRow: func(LocalRow) error {
			if rows++; rows == 4 {
				cancel()
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 2 {
		t.Fatalf("%d summaries", len(sums))
	}
	for _, s := range sums {
		if !s.ExitedOK {
			t.Errorf("%s: ExitedOK false after an interrupted run, want true (it exits 0 on SIGTERM)", s.Agent)
		}
	}
}
