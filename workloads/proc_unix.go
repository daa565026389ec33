//go:build unix

package workloads

import (
	"errors"
	"syscall"
)

// processRunning reports whether a process with id pid exists.
func processRunning(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
