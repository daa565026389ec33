//go:build !linux

package stress

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"time"
)

// Outside Linux the agent runs with reduced fidelity: workers account wall
// time instead of thread CPU time, the process measures nothing from /proc,
// and memory is held on the Go heap. Stress pods run on Linux.

var errNoProc = errors.New("process measurement needs Linux /proc")

// ProcUsage is what /proc says of one process.
type ProcUsage struct {
	PID     int
	PPID    int
	CPUTime time.Duration
	RSS     int64
}

// ReadProc is only available on Linux.
func ReadProc(pid int) (ProcUsage, error) { return ProcUsage{}, errNoProc }

// ReadProcTree is only available on Linux.
func ReadProcTree(pid int) (ProcUsage, error) { return ProcUsage{}, errNoProc }

var wallStart = time.Now()

func threadCPUTime() time.Duration { return time.Since(wallStart) }

func selfCPUTime() time.Duration { return 0 }

func selfRSS() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

type chunk []byte

func allocChunk(n int) (chunk, error) { return make(chunk, n), nil }

func (c chunk) free() { debug.FreeOSMemory() }

func dieWithParent(cmd *exec.Cmd) {}

func terminate(p *os.Process) error { return p.Kill() }
