package stress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Usage is what a backend measured: the average CPU over the last window and
// the current resident set.
type Usage struct {
	CPUMillicores float64
	MemoryBytes   float64
}

// Backend produces a target usage.
type Backend interface {
	// SetTarget changes the usage to produce; it returns at once.
	SetTarget(cpuMillicores, memoryBytes float64)
	// Run produces the target until ctx is done, then releases everything.
	Run(ctx context.Context) error
	// Measure returns the usage measured since its previous call.
	Measure() Usage
}

// MaxWorkers is the most CPU worker threads an agent takes: 4 per CPU of the
// machine. Each worker is an OS thread locked to its goroutine; more
// workers than that add no CPU (a worker burns at most one CPU) and tens of
// thousands exhaust the runtime's threads (a fatal error, not a panic).
func MaxWorkers() int { return 4 * runtime.NumCPU() }

// NativeConfig tunes the built-in backend; zero fields take the defaults.
type NativeConfig struct {
	// Workers is the number of busy-loop goroutines (default GOMAXPROCS, which
	// follows the container's CPU limit).
	Workers int
	// Period is a worker's duty-cycle period (default 100ms).
	Period time.Duration
	// ControlInterval is how often CPU and memory are measured and corrected
	// (default 500ms).
	ControlInterval time.Duration
	// ChunkBytes is the unit of memory held (default 1 MiB).
	ChunkBytes int
}

// Native produces CPU load with duty-cycled busy loops, one goroutine locked
// to an OS thread per worker, each burning its share of every period as
// measured by its thread's CPU clock and sleeping the rest; an integral
// controller on the whole process's CPU time corrects for the runtime's own
// use. Memory is held in chunks of anonymous pages that are touched so they
// are resident, and unmapped when the target drops; the number of chunks
// follows the measured resident set.
type Native struct {
	cfg    NativeConfig
	target atomic.Pointer[Usage]
	duties []atomic.Uint64 // float64 bits

	// memMu guards the chunks; mu the CPU measurement, so that a long
	// allocation does not hold up reports.
	memMu     sync.Mutex
	chunks    []chunk
	mu        sync.Mutex
	lastCPU   time.Duration
	lastWall  time.Time
	measCPU   time.Duration
	measWall  time.Time
	cpuCtl    cpuController
	allocErrs int
	memWake   chan struct{}
}

// NewNative returns the built-in backend.
func NewNative(cfg NativeConfig) *Native {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Period <= 0 {
		cfg.Period = 100 * time.Millisecond
	}
	if cfg.ControlInterval <= 0 {
		cfg.ControlInterval = 500 * time.Millisecond
	}
	if cfg.ChunkBytes <= 0 {
		cfg.ChunkBytes = 1 << 20
	}
	n := &Native{cfg: cfg, duties: make([]atomic.Uint64, cfg.Workers), memWake: make(chan struct{}, 1)}
	n.cpuCtl = cpuController{Gain: 0.3, MaxMillicores: 1000 * float64(cfg.Workers)}
	n.target.Store(&Usage{})
	now := time.Now()
	n.lastCPU, n.lastWall = selfCPUTime(), now
	n.measCPU, n.measWall = n.lastCPU, now
	return n
}

// SetTarget implements Backend. The CPU command takes the new target at once;
// memory follows at the next control step.
func (n *Native) SetTarget(cpuMillicores, memoryBytes float64) {
	n.target.Store(&Usage{CPUMillicores: cpuMillicores, MemoryBytes: memoryBytes})
	n.mu.Lock()
	cmd := n.cpuCtl.command(cpuMillicores, -1)
	n.mu.Unlock()
	n.setDuties(cmd)
	select {
	case n.memWake <- struct{}{}:
	default:
	}
}

func (n *Native) setDuties(cmd float64) {
	for i, d := range splitDuty(cmd, len(n.duties)) {
		n.duties[i].Store(math.Float64bits(d))
	}
}

// Run implements Backend. It raises GOMAXPROCS to one more than the
// workers, so that the memory loop and the HTTP client are not queued behind
// busy workers.
func (n *Native) Run(ctx context.Context) error {
	if p := runtime.GOMAXPROCS(0); p < len(n.duties)+1 {
		runtime.GOMAXPROCS(len(n.duties) + 1)
	}
	var wg sync.WaitGroup
	for i := range n.duties {
		wg.Add(1)
		go func() { defer wg.Done(); n.worker(ctx, &n.duties[i]) }()
	}
	// memory has its own loop so that a large allocation does not delay the
	// CPU correction
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(n.cfg.ControlInterval)
		defer tick.Stop()
		for {
			n.adjustMemory(n.target.Load().MemoryBytes)
			select {
			case <-ctx.Done():
				return
			case <-n.memWake:
			case <-tick.C:
			}
		}
	}()
	tick := time.NewTicker(n.cfg.ControlInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			n.releaseAll()
			return nil
		case <-tick.C:
			n.controlCPU()
		}
	}
}

// controlCPU measures the last window and corrects the CPU command.
func (n *Native) controlCPU() {
	t := *n.target.Load()
	now, cpu := time.Now(), selfCPUTime()
	n.mu.Lock()
	measured := cpuMillicores(n.lastCPU, cpu, now.Sub(n.lastWall))
	n.lastCPU, n.lastWall = cpu, now
	cmd := n.cpuCtl.command(t.CPUMillicores, measured)
	n.mu.Unlock()
	n.setDuties(cmd)
}

func (n *Native) adjustMemory(target float64) {
	n.memMu.Lock()
	defer n.memMu.Unlock()
	want := memoryChunks(target, float64(selfRSS()), len(n.chunks), n.cfg.ChunkBytes)
	for len(n.chunks) > want {
		last := len(n.chunks) - 1
		c := n.chunks[last]
		n.chunks[last] = nil
		n.chunks = n.chunks[:last]
		c.free()
	}
	for len(n.chunks) < want {
		c, err := allocChunk(n.cfg.ChunkBytes)
		if err != nil {
			n.allocErrs++
			return
		}
		touch(c)
		n.chunks = append(n.chunks, c)
	}
}

// touch writes one byte per page so the kernel backs every page.
func touch(c chunk) {
	for i := 0; i < len(c); i += 4096 {
		c[i] = 1
	}
}

func (n *Native) releaseAll() {
	n.memMu.Lock()
	defer n.memMu.Unlock()
	for i, c := range n.chunks {
		c.free()
		n.chunks[i] = nil
	}
	n.chunks = nil
}

// HeldBytes is the memory the backend holds in chunks.
func (n *Native) HeldBytes() int64 {
	n.memMu.Lock()
	defer n.memMu.Unlock()
	return int64(len(n.chunks)) * int64(n.cfg.ChunkBytes)
}

// Measure implements Backend: the process's CPU since the previous call and
// its resident set now.
func (n *Native) Measure() Usage {
	now, cpu := time.Now(), selfCPUTime()
	n.mu.Lock()
	u := Usage{CPUMillicores: cpuMillicores(n.measCPU, cpu, now.Sub(n.measWall))}
	n.measCPU, n.measWall = cpu, now
	n.mu.Unlock()
	u.MemoryBytes = float64(selfRSS())
	return u
}

// sink keeps the busy loop's arithmetic from being optimised away.
var sink atomic.Uint64

func (n *Native) worker(ctx context.Context, duty *atomic.Uint64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	period := n.cfg.Period
	var carry time.Duration
	x := uint64(88172645463325252)
	timer := time.NewTimer(period)
	defer timer.Stop()
	for {
		start := time.Now()
		budget := burnBudget(math.Float64frombits(duty.Load()), period, carry)
		if budget > 0 {
			c0 := threadCPUTime()
			used := time.Duration(0)
			for used < budget && time.Since(start) < period {
				for range 2000 { // a few microseconds of work between clock reads
					x ^= x << 13
					x ^= x >> 7
					x ^= x << 17
				}
				used = threadCPUTime() - c0
			}
			carry = budget - used
		} else {
			carry = 0
		}
		rest := period - time.Since(start)
		if rest <= 0 {
			if ctx.Err() != nil {
				sink.Add(x)
				return
			}
			continue
		}
		timer.Reset(rest)
		select {
		case <-ctx.Done():
			sink.Add(x)
			return
		case <-timer.C:
		}
	}
}

// AgentConfig configures an Agent.
type AgentConfig struct {
	Client *Client
	Pod    string
	// Backend produces the usage (a Native backend when nil).
	Backend Backend
	// ReportInterval is how often measured usage is reported (default 5s).
	ReportInterval time.Duration
	// Log receives progress lines (nothing when nil).
	Log io.Writer
	// Register, when set, is the registration the agent makes itself (step 2)
	// when the server does not know its pod, as stress pods deployed by the
	// stress controller do. Its Pod field is set to Pod.
	Register *PodRegistration
}

// Agent is the stress pod's process: it connects to the utilisation server,
// makes its backend follow the targets, and reports what it measured.
type Agent struct {
	cfg    AgentConfig
	target atomic.Pointer[Target]
}

// NewAgent returns an agent for cfg.
func NewAgent(cfg AgentConfig) *Agent {
	if cfg.Backend == nil {
		cfg.Backend = NewNative(NativeConfig{})
	}
	if cfg.ReportInterval <= 0 {
		cfg.ReportInterval = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	return &Agent{cfg: cfg}
}

// Target is the target the agent follows now (nil before the first).
func (a *Agent) Target() *Target { return a.target.Load() }

// Run follows the server until ctx is done (SIGTERM), then releases the load
// and returns nil. Connection failures are retried with a growing delay; a
// workload that ends leaves the agent at its last target.
func (a *Agent) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	bctx, stop := context.WithCancel(ctx)
	defer stop()
	errc := make(chan error, 1)
	wg.Add(2)
	go func() { defer wg.Done(); errc <- a.cfg.Backend.Run(bctx) }()
	go func() { defer wg.Done(); a.reportLoop(bctx) }()

	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		got := false
		err := a.register(ctx)
		if err == nil {
			err = a.cfg.Client.Connect(ctx, a.cfg.Pod, func(t Target) error {
				if !got {
					fmt.Fprintf(a.cfg.Log, "connected as %s: workload %s, initial target %.0fm %.0f bytes\n", t.Pod, t.Workload, t.CPUMillicores, t.MemoryBytes)
				}
				got = true
				a.target.Store(&t)
				a.cfg.Backend.SetTarget(t.CPUMillicores, t.MemoryBytes)
				return nil
			})
		}
		if ctx.Err() != nil {
			break
		}
		if err == nil {
			fmt.Fprintf(a.cfg.Log, "workload finished: holding the last target until terminated\n")
			<-ctx.Done()
			break
		}
		if got {
			backoff = 500 * time.Millisecond
		}
		fmt.Fprintf(a.cfg.Log, "connection to the utilisation server lost: %v; retrying in %s\n", err, backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
	stop()
	wg.Wait()
	if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// register registers the agent's pod when it is configured to and the
// server does not know the pod yet.
func (a *Agent) register(ctx context.Context) error {
	if a.cfg.Register == nil {
		return nil
	}
	_, err := a.cfg.Client.Pod(ctx, a.cfg.Pod)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 404 {
		return err
	}
	reg := *a.cfg.Register
	reg.Pod = a.cfg.Pod
	if _, err := a.cfg.Client.Register(ctx, reg); err != nil {
		return fmt.Errorf("register pod %s: %w", a.cfg.Pod, err)
	}
	fmt.Fprintf(a.cfg.Log, "registered pod %s for workload %s\n", reg.Pod, reg.Workload)
	return nil
}

func (a *Agent) reportLoop(ctx context.Context) {
	tick := time.NewTicker(a.cfg.ReportInterval)
	defer tick.Stop()
	a.cfg.Backend.Measure() // start the first window
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		u := a.cfg.Backend.Measure()
		t := a.target.Load()
		if t == nil {
			continue
		}
		rep := Report{Time: time.Now().UTC(), CPUMillicores: u.CPUMillicores, MemoryBytes: u.MemoryBytes,
			TargetCPUMillicores: t.CPUMillicores, TargetMemoryBytes: t.MemoryBytes}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := a.cfg.Client.Report(rctx, a.cfg.Pod, rep); err != nil && ctx.Err() == nil {
			fmt.Fprintf(a.cfg.Log, "report: %v\n", err)
		}
		cancel()
	}
}

// PodName is the default pod name of an agent: $POD_NAME (set by the
// Deployment from the downward API), else the host name.
func PodName() string {
	if p := os.Getenv("POD_NAME"); p != "" {
		return p
	}
	h, _ := os.Hostname()
	return h
}
