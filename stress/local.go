package stress

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/smartvpa/smartvpa/workloads"
)

// LocalConfig configures a local run: a utilisation server and agent
// processes on loopback, no cluster.
type LocalConfig struct {
	Trace    *workloads.Trace
	Agents   int
	Speedup  float64
	Interval time.Duration
	// Duration of the run in wall time (the workload's length at the
	// speed-up when 0). The agents loop: a duration longer than the
	// workload's length at the speed-up replays it from its first sample.
	Duration time.Duration
	// AgentCommand returns the command that runs one agent; the token is in
	// its environment as SMARTVPA_STRESS_TOKEN.
	AgentCommand func(serverURL, pod string) *exec.Cmd
	// OnRow gets one row per interval and agent.
	OnRow func(LocalRow) error
}

// LocalRow is one agent's target and measured usage over one interval, the
// measurement taken from /proc/<pid> of the agent process.
type LocalRow struct {
	Agent                 string    `json:"agent"`
	Time                  time.Time `json:"time"`
	WorkloadTime          time.Time `json:"workloadTime"`
	TargetCPUMillicores   float64   `json:"targetCpuMillicores"`
	MeasuredCPUMillicores float64   `json:"measuredCpuMillicores"`
	TargetMemoryBytes     float64   `json:"targetMemoryBytes"`
	MeasuredMemoryBytes   float64   `json:"measuredMemoryBytes"`
}

// Accuracy thresholds of the acceptance check: targets below them are not
// judged (a process cannot use less than its runtime needs).
const (
	AccuracyMinCPUMillicores = 200
	AccuracyMinMemoryBytes   = 64e6
	AccuracyTolerance        = 0.10
)

// LocalSummary counts, per agent, the intervals judged and those within the
// tolerance. An interval is judged when its target is above the threshold,
// the same as in the two intervals before (an agent has two intervals to
// switch) and still in force at the interval's end.
type LocalSummary struct {
	Agent        string `json:"agent"`
	Rows         int    `json:"rows"`
	CPUJudged    int    `json:"cpuJudged"`
	CPUWithin    int    `json:"cpuWithin"`
	MemoryJudged int    `json:"memoryJudged"`
	MemoryWithin int    `json:"memoryWithin"`
	ExitedOK     bool   `json:"exitedOk"`
}

type localAgent struct {
	name    string
	cmd     *exec.Cmd
	log     *tailBuffer
	exited  chan struct{}
	lastCPU time.Duration
	lastAt  time.Time
	prev    *Target
	history []Target // targets of the last intervals
	sum     LocalSummary
}

// RunLocal runs the server and cfg.Agents agent processes until the duration
// has passed or ctx is done, calling OnRow every interval.
func RunLocal(ctx context.Context, cfg LocalConfig) ([]LocalSummary, error) {
	if cfg.Agents <= 0 || cfg.Interval <= 0 || !(cfg.Speedup > 0) || cfg.AgentCommand == nil || cfg.Trace == nil {
		return nil, errors.New("local run: agents, interval, speedup, agent command and trace are required")
	}
	token, err := NewToken()
	if err != nil {
		return nil, err
	}
	srv, err := NewServer(ServerConfig{Interval: cfg.Interval, Speedup: cfg.Speedup, Token: token})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	sctx, stopServer := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	defer func() { stopServer(); <-served }() //nolint:errcheck // Serve's error after the stop is the stop's
	url := "http://" + ln.Addr().String()
	c := &Client{BaseURL: url, Token: token}

	info, err := c.UploadTrace(ctx, cfg.Trace)
	if err != nil {
		return nil, fmt.Errorf("upload workload %s: %w", cfg.Trace.ID, err)
	}
	duration := cfg.Duration
	if duration <= 0 {
		span := info.End.Sub(info.Start) + time.Duration(info.IntervalSeconds*float64(time.Second))
		duration = time.Duration(float64(span) / cfg.Speedup)
	}

	agents := make([]*localAgent, cfg.Agents)
	for i := range agents {
		name := fmt.Sprintf("agent-%d", i)
		if _, err := c.Register(ctx, PodRegistration{Pod: name, Service: "local", Workload: info.ID, Speedup: cfg.Speedup, Loop: true}); err != nil {
			return nil, fmt.Errorf("register %s: %w", name, err)
		}
		agents[i] = &localAgent{name: name, log: &tailBuffer{max: 4096}, exited: make(chan struct{}), sum: LocalSummary{Agent: name}}
	}
	defer stopAgents(agents)
	for _, a := range agents {
		cmd := cfg.AgentCommand(url, a.name)
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		cmd.Env = append(cmd.Env, "SMARTVPA_STRESS_TOKEN="+token)
		cmd.Stdout, cmd.Stderr = a.log, a.log
		dieWithParent(cmd)
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start %s: %w", a.name, err)
		}
		a.cmd = cmd
		go func() { _ = cmd.Wait(); close(a.exited) }() // the exit status is read from ProcessState
	}

	// wait for every agent to connect, so that the first row has a target
	connectBy := time.Now().Add(30 * time.Second)
	for _, a := range agents {
		for {
			p, err := c.Pod(ctx, a.name)
			if err == nil && p.Connected {
				break
			}
			select {
			case <-a.exited:
				return nil, fmt.Errorf("%s exited before connecting: %s", a.name, a.log.String())
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(connectBy) {
				return nil, fmt.Errorf("%s did not connect within 30s: %s", a.name, a.log.String())
			}
		}
	}
	for _, a := range agents {
		u, err := ReadProc(a.cmd.Process.Pid)
		if err != nil {
			return nil, fmt.Errorf("measure %s: %w", a.name, err)
		}
		a.lastCPU, a.lastAt = u.CPUTime, time.Now()
		t, err := c.Target(ctx, a.name)
		if err != nil {
			return nil, err
		}
		a.prev = &t
	}

	end := time.Now().Add(duration)
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	// done stops the agents before it takes the summaries, so that they
	// record how the agents exited, whichever way the run ends.
	done := func(err error) ([]LocalSummary, error) {
		stopAgents(agents)
		return summaries(agents), err
	}
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			return done(nil)
		case <-tick.C:
		}
		for _, a := range agents {
			select {
			case <-a.exited:
				return done(fmt.Errorf("%s exited: %s", a.name, a.log.String()))
			default:
			}
			end, err := c.Target(ctx, a.name)
			if err != nil {
				return done(err)
			}
			u, err := ReadProc(a.cmd.Process.Pid)
			if err != nil {
				return done(fmt.Errorf("measure %s: %w", a.name, err))
			}
			now := time.Now()
			row := LocalRow{
				Agent: a.name, Time: now.UTC(), WorkloadTime: a.prev.WorkloadTime,
				TargetCPUMillicores: a.prev.CPUMillicores, TargetMemoryBytes: a.prev.MemoryBytes,
				MeasuredCPUMillicores: math.Round(10*cpuMillicores(a.lastCPU, u.CPUTime, now.Sub(a.lastAt))) / 10,
				MeasuredMemoryBytes:   float64(u.RSS),
			}
			a.lastCPU, a.lastAt = u.CPUTime, now
			a.judge(row, end)
			if cfg.OnRow != nil {
				if err := cfg.OnRow(row); err != nil {
					return done(err)
				}
			}
			t := end
			a.prev = &t
		}
	}
	return done(nil)
}

// judge counts row in the agent's summary; end is the target at the end of
// the row's interval (the agent may already be following it).
func (a *localAgent) judge(row LocalRow, end Target) {
	a.sum.Rows++
	a.history = append(a.history, *a.prev)
	if len(a.history) > 3 {
		a.history = a.history[1:]
	}
	steady := func(get func(Target) float64) bool {
		if len(a.history) < 3 || get(end) != get(a.history[len(a.history)-1]) {
			return false
		}
		for _, h := range a.history {
			if get(h) != get(a.history[len(a.history)-1]) {
				return false
			}
		}
		return true
	}
	if row.TargetCPUMillicores > AccuracyMinCPUMillicores && steady(func(t Target) float64 { return t.CPUMillicores }) {
		a.sum.CPUJudged++
		if math.Abs(row.MeasuredCPUMillicores/row.TargetCPUMillicores-1) <= AccuracyTolerance {
			a.sum.CPUWithin++
		}
	}
	if row.TargetMemoryBytes > AccuracyMinMemoryBytes && steady(func(t Target) float64 { return t.MemoryBytes }) {
		a.sum.MemoryJudged++
		if math.Abs(row.MeasuredMemoryBytes/row.TargetMemoryBytes-1) <= AccuracyTolerance {
			a.sum.MemoryWithin++
		}
	}
}

func summaries(agents []*localAgent) []LocalSummary {
	out := make([]LocalSummary, len(agents))
	for i, a := range agents {
		out[i] = a.sum
	}
	return out
}

// stopAgents sends SIGTERM to every agent still running and waits for them
// (SIGKILL after 10 s); an agent that exits 0 is marked ExitedOK.
func stopAgents(agents []*localAgent) {
	var wg sync.WaitGroup
	for _, a := range agents {
		if a.cmd == nil || a.cmd.Process == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-a.exited:
				a.sum.ExitedOK = a.sum.ExitedOK || (a.cmd.ProcessState != nil && a.cmd.ProcessState.Success())
				return
			default:
			}
			_ = terminate(a.cmd.Process) // it may have exited already: a.exited tells
			select {
			case <-a.exited:
			case <-time.After(10 * time.Second):
				_ = a.cmd.Process.Kill() // as above
				<-a.exited
			}
			a.sum.ExitedOK = a.cmd.ProcessState != nil && a.cmd.ProcessState.Success()
		}()
	}
	wg.Wait()
}

// NewToken returns a random bearer token for the server and its agents (32
// hex digits).
func NewToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.b))
	if s == "" {
		return "no output"
	}
	return strings.ReplaceAll(s, "\n", "; ")
}

var _ io.Writer = (*tailBuffer)(nil)
