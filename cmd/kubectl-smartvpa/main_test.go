package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func runArgs(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown command", []string{"no-such-command"},
			`error: unknown command "no-such-command" for "kubectl smartvpa"; run 'kubectl smartvpa --help' for usage` + "\n"},
		{"unknown flag", []string{"--no-such-flag"},
			"error: unknown flag: --no-such-flag; run 'kubectl smartvpa --help' for usage\n"},
		{"unknown subcommand flag", []string{"version", "--nope"},
			"error: unknown flag: --nope; run 'kubectl smartvpa version --help' for usage\n"},
		{"bad output", []string{"version", "-o", "yaml"},
			"error: unknown output format \"yaml\": use text or json; run 'kubectl smartvpa version --help' for usage\n"},
		{"completion shell", []string{"completion", "tcsh"},
			"error: unknown shell \"tcsh\": use bash, zsh or fish; run 'kubectl smartvpa completion --help' for usage\n"},
		{"completion args", []string{"completion"},
			"error: kubectl smartvpa completion takes 1 argument(s), got 0; run 'kubectl smartvpa completion --help' for usage\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runArgs(tt.args...)
			if code != exitUsage {
				t.Errorf("exit code = %d, want %d", code, exitUsage)
			}
			if stderr != tt.wantErr {
				t.Errorf("stderr = %q, want %q", stderr, tt.wantErr)
			}
		})
	}
}

func TestHelpShowsDisplayName(t *testing.T) {
	code, out, _ := runArgs("--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, "  kubectl smartvpa [command]") {
		t.Fatalf("help does not show the plugin name:\n%s", out)
	}
	_, out, _ = runArgs("version", "--help")
	if !strings.Contains(out, "  kubectl smartvpa version [flags]") {
		t.Fatalf("version help does not show the plugin name:\n%s", out)
	}
}

func TestVersionJSON(t *testing.T) {
	code, out, _ := runArgs("version", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var v VersionInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version -o json is not JSON: %v\n%s", err, out)
	}
	if v.Version != version || v.GitCommit != gitCommit {
		t.Fatalf("got %+v", v)
	}
}

func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		t.Run(sh, func(t *testing.T) {
			code, out, _ := runArgs("completion", sh)
			if code != 0 || !strings.Contains(out, "kubectl-smartvpa") {
				t.Fatalf("exit %d, output %.200q", code, out)
			}
		})
	}
	// kubectl_complete-smartvpa calls __complete: it must list subcommands.
	code, out, _ := runArgs("__complete", "")
	if code != 0 || !strings.Contains(out, "version") || !strings.Contains(out, "completion") {
		t.Fatalf("__complete: exit %d, output %q", code, out)
	}
}

func TestExitCode(t *testing.T) {
	notFound := apierrors.NewNotFound(schema.GroupResource{Resource: "deployments"}, "x")
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"found", errFound, 1},
		{"usage", usageErrorf("x", "bad"), 2},
		{"input", inputError(errors.New("bad file")), 2},
		{"plain", errors.New("something"), 2},
		{"api", fmt.Errorf("get: %w", notFound), 3},
		{"cluster", clusterError(errors.New("down")), 3},
		// Local file-system errors are input errors: syscall.Errno satisfies
		// net.Error, which must not make them cluster errors.
		{"not a directory", fmt.Errorf("write workload: %w", &fs.PathError{Op: "mkdir", Path: "/tmp/f/x", Err: syscall.ENOTDIR}), 2},
		{"read-only", fmt.Errorf("write: %w", &fs.PathError{Op: "open", Path: "/ro/x", Err: syscall.EROFS}), 2},
		{"is a directory", &fs.PathError{Op: "open", Path: "/tmp", Err: syscall.EISDIR}, 2},
		{"rename", &os.LinkError{Op: "rename", Old: "a", New: "b", Err: syscall.EXDEV}, 2},
		{"bare errno", syscall.EACCES, 2},
		{"dial refused", fmt.Errorf("get: %w", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), 3},
		{"url", &url.Error{Op: "Get", URL: "https://x", Err: errors.New("EOF")}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.err); got != tt.want {
				t.Fatalf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}
