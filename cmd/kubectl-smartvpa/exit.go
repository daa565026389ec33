package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Exit codes of the whole program, as documented in the README.
const (
	exitOK      = 0 // success
	exitFound   = 1 // the command found something (audit drift), like `kubectl diff`
	exitUsage   = 2 // usage or input error
	exitCluster = 3 // cluster or API error
)

// exitError carries an explicit exit code with an error.
type exitError struct {
	code int
	err  error
	// hint is appended to the message, e.g. where to find help.
	hint string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a usage or input error (exit 2) for command path cmd.
func usageErrorf(cmdPath string, format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...), hint: helpHint(cmdPath)}
}

// inputError marks err as an input error (exit 2), e.g. a bad file.
func inputError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitUsage, err: err}
}

// clusterError marks err as a cluster or API error (exit 3).
func clusterError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitCluster, err: err}
}

// errFound is returned by commands that ran fine but found something to report
// (exit 1). The command has already printed what it found.
var errFound = &exitError{code: exitFound, err: errors.New("found something")}

func helpHint(cmdPath string) string {
	if cmdPath == "" {
		cmdPath = rootName
	}
	return fmt.Sprintf("run '%s --help' for usage", cmdPath)
}

// exitCode maps an error to the program's exit code. It is the only place that
// decides exit codes.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var status apierrors.APIStatus
	var urlErr *url.Error
	var netErr net.Error
	if errors.As(err, &status) || errors.As(err, &urlErr) ||
		(errors.As(err, &netErr) && !isErrno(netErr)) ||
		errors.Is(err, context.DeadlineExceeded) {
		return exitCluster
	}
	return exitUsage
}

// isErrno reports whether the first net.Error of a chain is a bare
// syscall.Errno: syscall.Errno satisfies net.Error, but one that no
// *net.OpError wraps comes from the local file system (a regular file or a
// read-only folder as --out, a folder as a file), an input error.
func isErrno(err net.Error) bool {
	_, ok := err.(syscall.Errno)
	return ok
}

// printError writes err as one line to w, with a hint when it has one.
func printError(w io.Writer, err error) {
	if err == errFound {
		return
	}
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
	if m, ok := unreachable(err); ok {
		msg = m
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.hint != "" {
		msg += "; " + ee.hint
	}
	fmt.Fprintf(w, "error: %s\n", msg)
}

// unreachable rewords a failed connection as one line that says what to
// check: "cannot reach the API server at https://127.0.0.1:6443 (connection
// refused): ...".
func unreachable(err error) (string, bool) {
	var urlErr *url.Error
	var opErr *net.OpError
	if !errors.As(err, &urlErr) || !errors.As(err, &opErr) || opErr.Op != "dial" {
		return "", false
	}
	u, perr := url.Parse(urlErr.URL)
	if perr != nil {
		return "", false
	}
	reason := opErr.Err.Error()
	var sys *os.SyscallError
	if errors.As(opErr.Err, &sys) {
		reason = sys.Err.Error()
	}
	server := u.Scheme + "://" + u.Host
	if strings.Contains(u.Path, "/api/v1/query") || strings.Contains(u.Path, "/api/v1/series") || strings.Contains(u.Path, "/api/v1/label") {
		return fmt.Sprintf("cannot reach Prometheus at %s (%s): check --prometheus-url (or PROMETHEUS_URL)", server, reason), true
	}
	return fmt.Sprintf("cannot reach the API server at %s (%s): check the kubeconfig context (kubectl config current-context, --context, --kubeconfig) and that the cluster is up", server, reason), true
}
