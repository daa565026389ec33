//go:build linux

package stress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ErrNoStressNG says the stress-ng backend cannot run here.
var ErrNoStressNG = errors.New("stress-ng not found on PATH: install it (e.g. apt-get install stress-ng) or use --backend native")

// StressNG is the backend that shells out to stress-ng: --cpu workers at a
// --cpu-load percentage for CPU, one --vm worker that maps, touches and then
// holds --vm-bytes (--vm-keep --vm-hang 0) for memory. A target that moves
// by more than 2 % restarts stress-ng with the new figures. Usage is measured
// from /proc over this process and all its descendants.
type StressNG struct {
	path    string
	workers int
	log     io.Writer
	want    chan Usage

	mu       sync.Mutex
	measCPU  time.Duration
	measWall time.Time
}

// NewStressNG finds stress-ng on PATH.
func NewStressNG(workers int, log io.Writer) (*StressNG, error) {
	p, err := exec.LookPath("stress-ng")
	if err != nil {
		return nil, ErrNoStressNG
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if log == nil {
		log = io.Discard
	}
	return &StressNG{path: p, workers: workers, log: log, want: make(chan Usage, 1), measWall: time.Now()}, nil
}

// stressNGArgs are the stress-ng arguments for a target, given the memory
// the agent itself holds; nil means nothing to run.
func stressNGArgs(t Usage, workers int, ownBytes float64) []string {
	var args []string
	if t.CPUMillicores > 0 {
		load := math.Min(100, math.Ceil(t.CPUMillicores/float64(workers)/10))
		args = append(args, "--cpu", strconv.Itoa(workers), "--cpu-load", strconv.Itoa(int(load)))
	}
	if vm := t.MemoryBytes - ownBytes; vm >= 4<<20 {
		args = append(args, "--vm", "1", "--vm-bytes", strconv.FormatInt(int64(vm), 10)+"b", "--vm-keep", "--vm-hang", "0")
	}
	if args == nil {
		return nil
	}
	return append(args, "--timeout", "0", "--quiet")
}

// SetTarget implements Backend.
func (s *StressNG) SetTarget(cpuMillicores, memoryBytes float64) {
	u := Usage{cpuMillicores, memoryBytes}
	select {
	case <-s.want:
	default:
	}
	s.want <- u
}

// Run implements Backend.
func (s *StressNG) Run(ctx context.Context) error {
	var cur *exec.Cmd
	var curTarget Usage
	stopCur := func() {
		if cur == nil {
			return
		}
		_ = syscall.Kill(-cur.Process.Pid, syscall.SIGTERM) // the group may be gone already: done tells
		done := make(chan struct{})
		go func() { _ = cur.Wait(); close(done) }() // stopped on purpose: its status says nothing
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cur.Process.Pid, syscall.SIGKILL)
			<-done
		}
		cur = nil
	}
	defer stopCur()
	for {
		var t Usage
		select {
		case <-ctx.Done():
			return nil
		case t = <-s.want:
		}
		if cur != nil && close2(t.CPUMillicores, curTarget.CPUMillicores) && close2(t.MemoryBytes, curTarget.MemoryBytes) {
			continue
		}
		stopCur()
		curTarget = t
		args := stressNGArgs(t, s.workers, float64(selfRSS()))
		if args == nil {
			continue
		}
		cmd := exec.Command(s.path, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
		cmd.Stdout, cmd.Stderr = s.log, s.log
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start stress-ng: %w", err)
		}
		cur = cmd
	}
}

func close2(a, b float64) bool { return math.Abs(a-b) <= 0.02*math.Max(math.Abs(a), math.Abs(b)) }

// Measure implements Backend.
func (s *StressNG) Measure() Usage {
	u, err := ReadProcTree(os.Getpid())
	if err != nil {
		return Usage{}
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cpu := math.Max(0, cpuMillicores(s.measCPU, u.CPUTime, now.Sub(s.measWall)))
	s.measCPU, s.measWall = u.CPUTime, now
	return Usage{CPUMillicores: cpu, MemoryBytes: float64(u.RSS)}
}
