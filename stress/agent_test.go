package stress

import (
	"context"
	"sync"
	"testing"
	"time"
)

// recordingBackend records the targets it is given and measures what it was
// told to produce.
type recordingBackend struct {
	mu      sync.Mutex
	targets []Usage
	ran     bool
	stopped bool
}

func (b *recordingBackend) SetTarget(c, m float64) {
	b.mu.Lock()
	b.targets = append(b.targets, Usage{c, m})
	b.mu.Unlock()
}

func (b *recordingBackend) Run(ctx context.Context) error {
	b.mu.Lock()
	b.ran = true
	b.mu.Unlock()
	<-ctx.Done()
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	return nil
}

func (b *recordingBackend) Measure() Usage {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.targets) == 0 {
		return Usage{}
	}
	return b.targets[len(b.targets)-1]
}

func (b *recordingBackend) snapshot() ([]Usage, bool, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Usage(nil), b.targets...), b.ran, b.stopped
}

// TestAgentFollowsServer runs an agent against a real server over HTTP: it
// gets the initial usage, follows the pushed targets, reports, and stops
// cleanly when its context ends (what SIGTERM does in the command).
func TestAgentFollowsServer(t *testing.T) {
	_, ts, clk := newTestServer(t, ServerConfig{Interval: 10 * time.Millisecond, Token: "tok"})
	ctx := context.Background()
	c := &Client{BaseURL: ts.URL, Token: "tok"}
	if _, err := c.UploadTrace(ctx, stepTrace("step")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(ctx, PodRegistration{Pod: "stress-0", Workload: "step", Speedup: 60, Loop: true}); err != nil {
		t.Fatal(err)
	}
	be := &recordingBackend{}
	a := NewAgent(AgentConfig{Client: c, Pod: "stress-0", Backend: be, ReportInterval: 10 * time.Millisecond})
	actx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(actx) }()

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("the initial usage", func() bool { tg, _, _ := be.snapshot(); return len(tg) > 0 })
	if tg, _, _ := be.snapshot(); tg[0] != (Usage{100, 64 << 20}) {
		t.Fatalf("initial target %+v", tg[0])
	}
	clk.Add(1500 * time.Millisecond) // one and a half workload minutes at 60x
	waitFor("the second sample", func() bool {
		tg, _, _ := be.snapshot()
		return tg[len(tg)-1] == Usage{500, 128 << 20}
	})
	waitFor("a report", func() bool {
		p, err := c.Pod(ctx, "stress-0")
		return err == nil && p.LastReport != nil && p.LastReport.TargetCPUMillicores == 500 && p.LastReport.CPUMillicores == 500
	})
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("agent returned %v on stop", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("agent did not stop")
	}
	if _, ran, stopped := be.snapshot(); !ran || !stopped {
		t.Fatalf("backend ran %v stopped %v", ran, stopped)
	}
}

// TestAgentRetriesUnknownPod: an agent started before its pod is registered
// keeps retrying and follows once the pod exists.
func TestAgentRetriesUnknownPod(t *testing.T) {
	_, ts, _ := newTestServer(t, ServerConfig{Interval: 10 * time.Millisecond})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	c := &Client{BaseURL: ts.URL}
	be := &recordingBackend{}
	a := NewAgent(AgentConfig{Client: c, Pod: "late", Backend: be})
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	if _, err := c.UploadTrace(ctx, stepTrace("step")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(ctx, PodRegistration{Pod: "late", Workload: "step"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for a.Target() == nil {
		if time.Now().After(deadline) {
			t.Fatal("agent never connected")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestAgentRegistersItself: an agent given a registration registers its own
// pod (as the stress controller's pods do) and follows the workload.
func TestAgentRegistersItself(t *testing.T) {
	_, ts, _ := newTestServer(t, ServerConfig{Interval: 10 * time.Millisecond})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	c := &Client{BaseURL: ts.URL}
	if _, err := c.UploadTrace(ctx, stepTrace("step")); err != nil {
		t.Fatal(err)
	}
	be := &recordingBackend{}
	a := NewAgent(AgentConfig{Client: c, Pod: "stress-7f9c", Backend: be, Register: &PodRegistration{Workload: "step", Service: "stress", Speedup: 30}})
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for a.Target() == nil {
		if time.Now().After(deadline) {
			t.Fatal("agent never connected")
		}
		time.Sleep(10 * time.Millisecond)
	}
	p, err := c.Pod(ctx, "stress-7f9c")
	if err != nil || p.Service != "stress" || p.Speedup != 30 || p.Workload != "step" {
		t.Fatalf("pod %+v, %v", p, err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
