//go:build linux

package stress

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat; it
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

const clockThreadCPUTimeID = 3 // CLOCK_THREAD_CPUTIME_ID

// threadCPUTime is the CPU time of the calling OS thread.
func threadCPUTime() time.Duration {
	var ts syscall.Timespec
	_, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	if e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}

// selfCPUTime is the CPU time (user + system) of this process, with
// microsecond resolution.
func selfCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ProcUsage is what /proc says of one process.
type ProcUsage struct {
	PID     int
	PPID    int
	CPUTime time.Duration // utime + stime, 10 ms resolution
	RSS     int64         // resident set in bytes
}

var pageSize = int64(os.Getpagesize())

// ReadProc reads /proc/<pid>/stat (CPU time, parent) and /proc/<pid>/statm
// (resident set).
func ReadProc(pid int) (ProcUsage, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return ProcUsage{}, err
	}
	u, err := parseProcStat(b)
	if err != nil {
		return ProcUsage{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	m, err := os.ReadFile(filepath.Join(dir, "statm"))
	if err != nil {
		return ProcUsage{}, err
	}
	f := strings.Fields(string(m))
	if len(f) < 2 {
		return ProcUsage{}, fmt.Errorf("/proc/%d/statm: short line", pid)
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return ProcUsage{}, fmt.Errorf("/proc/%d/statm: %w", pid, err)
	}
	u.RSS = pages * pageSize
	return u, nil
}

// parseProcStat reads pid, ppid, utime and stime from a /proc/<pid>/stat
// line. The command name (field 2) is in parentheses and may hold spaces and
// parentheses, so fields are counted after its last ')'.
func parseProcStat(b []byte) (ProcUsage, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 1 || end < open {
		return ProcUsage{}, fmt.Errorf("no command name")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:open])))
	if err != nil {
		return ProcUsage{}, fmt.Errorf("pid: %w", err)
	}
	f := strings.Fields(string(b[end+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15
	if len(f) < 13 {
		return ProcUsage{}, fmt.Errorf("only %d fields", len(f)+2)
	}
	ppid, err1 := strconv.Atoi(f[1])
	ut, err2 := strconv.ParseInt(f[11], 10, 64)
	st, err3 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || ppid < 0 || ut < 0 || st < 0 {
		return ProcUsage{}, fmt.Errorf("bad ppid, utime or stime")
	}
	return ProcUsage{PID: pid, PPID: ppid, CPUTime: time.Duration(ut+st) * time.Second / clockTicks}, nil
}

// ReadProcTree sums CPU time and resident set over pid and all its
// descendants (the stress-ng backend's workers). Processes that exit during
// the scan are skipped.
func ReadProcTree(pid int) (ProcUsage, error) {
	root, err := ReadProc(pid)
	if err != nil {
		return ProcUsage{}, err
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return root, err
	}
	children := map[int][]ProcUsage{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == pid {
			continue
		}
		if u, err := ReadProc(p); err == nil {
			children[u.PPID] = append(children[u.PPID], u)
		}
	}
	total := root
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			total.CPUTime += c.CPUTime
			total.RSS += c.RSS
			queue = append(queue, c.PID)
		}
	}
	return total, nil
}

// selfRSS is this process's resident set in bytes.
func selfRSS() int64 {
	u, err := ReadProc(os.Getpid())
	if err != nil {
		return 0
	}
	return u.RSS
}

// chunk is memory held by the agent: anonymous pages mapped outside the Go
// heap, so that unmapping returns them to the kernel at once.
type chunk []byte

func allocChunk(n int) (chunk, error) {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, err
	}
	return chunk(b), nil
}

func (c chunk) free() { _ = syscall.Munmap(c) } // only fails for a bad mapping, which chunk never holds

// dieWithParent makes cmd's process get SIGTERM when this process dies, so
// that local agents never outlive stress local.
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
}

func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
