package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDidYouMean(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"simualte"}, "error: unknown command \"simualte\" for \"kubectl smartvpa\" (did you mean simulate?); run 'kubectl smartvpa --help' for usage\n"},
		{[]string{"recomend", "-n", "x"}, "error: unknown command \"recomend\" for \"kubectl smartvpa\" (did you mean recommend?); run 'kubectl smartvpa --help' for usage\n"},
		{[]string{"workload", "lst"}, "error: unknown command \"lst\" for \"kubectl smartvpa workload\" (did you mean list?); run 'kubectl smartvpa workload --help' for usage\n"},
		{[]string{"zzzzzz"}, "error: unknown command \"zzzzzz\" for \"kubectl smartvpa\"; run 'kubectl smartvpa --help' for usage\n"},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			code, _, stderr := runArgs(tt.args...)
			if code != exitUsage || stderr != tt.want {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

// One store flag: --store everywhere; --out and --dir still work but are
// not in the help.
func TestStoreFlag(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runArgs("workload", "generate", "--type", "step", "--duration", "4d", "--id", "s", "--store", dir); code != 0 {
		t.Fatalf("generate --store: exit %d: %s", code, stderr)
	}
	old := t.TempDir()
	if code, _, stderr := runArgs("workload", "generate", "--type", "step", "--duration", "1h", "--id", "o", "--out", old); code != 0 {
		t.Fatalf("generate --out: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(old, "o", "trace.csv")); err != nil {
		t.Fatalf("--out did not write: %v", err)
	}
	for _, flag := range []string{"--store", "--dir"} {
		code, out, stderr := runArgs("workload", "list", flag, dir)
		if code != 0 || !strings.Contains(out, "\ns ") {
			t.Fatalf("workload list %s: exit %d, %q %q", flag, code, out, stderr)
		}
		// Durations as given: 4d, not 3d23h59m.
		if !strings.Contains(out, " 4d ") {
			t.Fatalf("workload list %s: duration not as given:\n%s", flag, out)
		}
	}
	for _, cmd := range [][]string{{"workload", "list"}, {"workload", "show"}, {"workload", "generate"}, {"workload", "import"}} {
		_, help, _ := runArgs(append(cmd, "--help")...)
		if !strings.Contains(help, "--store string") || strings.Contains(help, "--dir") || strings.Contains(help, "--out string") {
			t.Errorf("%v --help: want --store and no --out/--dir:\n%s", cmd, help)
		}
	}
}

// Offline commands list none of kubectl's connection flags in their help;
// commands that talk to a cluster do.
func TestOfflineHelpHasNoKubeconfigFlags(t *testing.T) {
	// As flag listings print them (the prose may name a flag).
	kube := []string{"--kubeconfig string", "--server string", "--token string", "--insecure-skip-tls-verify", "--certificate-authority string", "-n, --namespace string"}
	for _, cmd := range [][]string{{"backtest"}, {"simulate"}, {"train"}, {"stress", "local"}, {"workload", "generate"}, {"workload", "list"}, {"workload", "show"}, {"version"}} {
		code, help, _ := runArgs(append(cmd, "--help")...)
		if code != 0 {
			t.Fatalf("%v --help: exit %d", cmd, code)
		}
		for _, f := range kube {
			if strings.Contains(help, f) {
				t.Errorf("%v --help lists %s", cmd, f)
			}
		}
	}
	for _, cmd := range [][]string{{"recommend"}, {"audit"}, {"ui"}} {
		_, help, _ := runArgs(append(cmd, "--help")...)
		for _, f := range kube {
			if !strings.Contains(help, f) {
				t.Errorf("%v --help lacks %s", cmd, f)
			}
		}
	}
	// Hiding is for the help only: the flags stay accepted and visible after.
	_, help, _ := runArgs("workload", "import", "--help")
	if !strings.Contains(help, "--kubeconfig string") || strings.Contains(help, "--server string") {
		t.Errorf("workload import --help: want --kubeconfig (prometheus mode) and not --server:\n%s", help)
	}
}

// An unreachable API server is one line (no klog "Unhandled Error" lines)
// that says what to check, exit 3.
func TestUnreachableAPIServerOneLine(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: demo}}]
current-context: c
users: [{name: u, user: {token: x}}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	// klog writes to the process's stderr, not the command's: catch it.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	start := time.Now()
	code, _, stderr := runArgs("recommend", "--kubeconfig", kc)
	os.Stderr = saved
	_ = w.Close()
	leaked, _ := io.ReadAll(r)
	if len(leaked) > 0 {
		t.Errorf("klog lines on the process's stderr:\n%s", leaked)
	}
	want := "error: cannot reach the API server at https://127.0.0.1:1 (connection refused): check the kubeconfig context (kubectl config current-context, --context, --kubeconfig) and that the cluster is up\n"
	if code != exitCluster || stderr != want {
		t.Fatalf("exit %d, stderr %q (after %s); want %d, %q", code, stderr, time.Since(start), exitCluster, want)
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{96 * time.Hour, "4d"},
		{36 * time.Hour, "1d12h"},
		{24 * time.Hour, "1d"},
		{90 * time.Second, "1m30s"},
		{5 * time.Minute, "5m"},
		{250 * time.Millisecond, "250ms"},
		{0, "0s"},
	}
	for _, tt := range tests {
		got := formatDuration(tt.d)
		if got != tt.want {
			t.Errorf("formatDuration(%s) = %q, want %q", tt.d, got, tt.want)
		}
		if tt.d >= time.Second {
			if back, err := parseLongDuration(got); err != nil || back != tt.d {
				t.Errorf("parseLongDuration(%q) = %s, %v; want %s", got, back, err, tt.d)
			}
		}
	}
}

// The shell completes workload ids from the store (--store) for workload
// show and --workload, and -o values.
func TestCompleteWorkloadIDs(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runArgs("workload", "generate", "--type", "step", "--duration", "1h", "--id", "step-a", "--store", dir); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "workload", "show", "--store", dir, "st"}, "step-a\tstep\n"},
		{[]string{"__complete", "simulate", "--store", dir, "--workload", ""}, "step-a\tstep\n"},
		{[]string{"__complete", "stress", "local", "--store", dir, "--workload", "s"}, "step-a\tstep\n"},
		{[]string{"__complete", "simulate", "-o", ""}, "table\njson\ncsv\n"},
	}
	for _, tt := range tests {
		code, out, _ := runArgs(tt.args...)
		if code != 0 || !strings.HasPrefix(out, tt.want) {
			t.Errorf("%v: exit %d, %q; want it to start with %q", tt.args, code, out, tt.want)
		}
	}
}
