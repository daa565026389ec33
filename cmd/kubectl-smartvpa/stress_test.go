package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/stress"
)

func TestStressUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"server listen", []string{"stress", "server", "--listen", "nohost"},
			`error: --listen "nohost" is not host:port, e.g. 127.0.0.1:8090; run 'kubectl smartvpa stress server --help' for usage` + "\n"},
		{"server interval", []string{"stress", "server", "--interval", "0s"},
			"error: interval must be positive, e.g. 5s; run 'kubectl smartvpa stress server --help' for usage\n"},
		{"server memory", []string{"stress", "server", "--max-memory", "lots"},
			`error: --max-memory "lots" is not a quantity, e.g. 64Gi; run 'kubectl smartvpa stress server --help' for usage` + "\n"},
		{"server token twice", []string{"stress", "server", "--token", "a", "--token-file", "f"},
			"error: give --token or --token-file, not both; run 'kubectl smartvpa stress server --help' for usage\n"},
		{"agent server", []string{"stress", "agent", "--server", "localhost:8090"},
			`error: --server "localhost:8090" is not an http(s) URL, e.g. http://127.0.0.1:8090; run 'kubectl smartvpa stress agent --help' for usage` + "\n"},
		{"agent backend", []string{"stress", "agent", "--backend", "magic"},
			`error: unknown backend "magic": use native or stress-ng; run 'kubectl smartvpa stress agent --help' for usage` + "\n"},
		{"agent report interval", []string{"stress", "agent", "--report-interval", "0s"},
			"error: --report-interval must be positive, e.g. 5s; run 'kubectl smartvpa stress agent --help' for usage\n"},
		{"server args", []string{"stress", "server", "extra"},
			"error: kubectl smartvpa stress server takes no arguments, got [\"extra\"]; run 'kubectl smartvpa stress server --help' for usage\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runArgs(tt.args...)
			if code != exitUsage {
				t.Errorf("exit code = %d, want %d", code, exitUsage)
			}
			if stderr != tt.wantErr {
				t.Errorf("stderr = %q\nwant     %q", stderr, tt.wantErr)
			}
		})
	}
}

func TestStressServerRuns(t *testing.T) {
	var out, errOut bytes.Buffer
	o := &StressServerOptions{IOStreams: genericiooptions.IOStreams{Out: &out, ErrOut: &errOut}, Listen: "127.0.0.1:0", Store: t.TempDir(),
		Interval: time.Second, Speedup: 1, MaxBodyBytes: 1 << 20, MaxCPUMillicores: 1000, MaxMemory: "1Gi", Token: "tok"}
	addrc := make(chan net.Addr, 1)
	o.ready = func(a net.Addr) { addrc <- a }
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatal(err)
	}
	c := &stress.Client{BaseURL: "http://" + addr.String(), Token: "tok"}
	if err := c.WaitHealthy(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := c.Register(ctx, stress.PodRegistration{Pod: "p", Workload: "none"})
	if err == nil || !strings.Contains(err.Error(), `404 Not Found: workload "none" not found`) {
		t.Fatalf("register: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "utilisation server listening on http://127.0.0.1:") {
		t.Fatalf("stdout %q", out.String())
	}
}

func TestStressLocalUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no workload", []string{"stress", "local"},
			"error: --workload is required: give a workload id, folder or trace.csv file; run 'kubectl smartvpa stress local --help' for usage\n"},
		{"agents", []string{"stress", "local", "--workload", "w", "--agents", "0"},
			"error: --agents must be between 1 and 64, got 0; run 'kubectl smartvpa stress local --help' for usage\n"},
		{"speedup", []string{"stress", "local", "--workload", "w", "--speedup", "0"},
			"error: --speedup must be positive, e.g. 3600; run 'kubectl smartvpa stress local --help' for usage\n"},
		{"output", []string{"stress", "local", "--workload", "w", "-o", "yaml"},
			`error: unknown output format "yaml": use table or json; run 'kubectl smartvpa stress local --help' for usage` + "\n"},
		{"run name", []string{"stress", "run", "--workload", "w"},
			"error: --name is required: name the stress deployment, e.g. --name stress; run 'kubectl smartvpa stress run --help' for usage\n"},
		{"run bad name", []string{"stress", "run", "--workload", "w", "--name", "Bad_Name"},
			`error: --name "Bad_Name": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?'); run 'kubectl smartvpa stress run --help' for usage` + "\n"},
		{"run cpu request", []string{"stress", "run", "--workload", "w", "--name", "s", "--cpu-request", "lots"},
			`error: --cpu-request "lots" is not a quantity, e.g. 250m; run 'kubectl smartvpa stress run --help' for usage` + "\n"},
		{"delete name", []string{"stress", "delete"},
			"error: --name is required: name the stress deployment, e.g. --name stress; run 'kubectl smartvpa stress delete --help' for usage\n"},
		{"missing workload", []string{"stress", "local", "--workload", "nope/trace.csv"},
			"error: workload nope/trace.csv: no such file or folder: give a workload folder, a trace.csv file or a workload id\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runArgs(tt.args...)
			if code != exitUsage {
				t.Errorf("exit code = %d, want %d", code, exitUsage)
			}
			if stderr != tt.wantErr {
				t.Errorf("stderr = %q\nwant     %q", stderr, tt.wantErr)
			}
		})
	}
}
