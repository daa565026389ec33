package main

import (
	"bytes"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func TestUIUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"demo with targets", []string{"ui", "--demo", "deploy/web"},
			"error: --demo takes no targets, -A or -l: drop them, or drop --demo to browse the cluster; run 'kubectl smartvpa ui --help' for usage\n"},
		{"demo with -A", []string{"ui", "--demo", "-A"},
			"error: --demo takes no targets, -A or -l: drop them, or drop --demo to browse the cluster; run 'kubectl smartvpa ui --help' for usage\n"},
		{"read-only on a cluster", []string{"ui", "--read-only"},
			"error: --read-only is for the demo; on a cluster the UI is read-only when RBAC forbids patching; run 'kubectl smartvpa ui --help' for usage\n"},
		{"name across namespaces", []string{"ui", "-A", "deploy/web"},
			"error: a resource cannot be named across namespaces with -A: drop -A or the name; run 'kubectl smartvpa ui --help' for usage\n"},
		{"unknown history", []string{"ui", "--history", "tea-leaves"},
			"error: unknown --history \"tea-leaves\": use auto, prometheus, checkpoints, live; run 'kubectl smartvpa ui --help' for usage\n"},
		{"prometheus without url", []string{"ui", "--history", "prometheus", "--prometheus-url", ""},
			"error: --history prometheus needs --prometheus-url (or PROMETHEUS_URL); run 'kubectl smartvpa ui --help' for usage\n"},
		{"cluster recommender not offered", []string{"ui", "--recommenders", "vpa", "--recommender", "autopilot"},
			"error: invalid --recommender \"autopilot\": choose one of vpa; run 'kubectl smartvpa ui --help' for usage\n"},
		{"zero refresh", []string{"ui", "--demo", "--refresh", "0s"},
			"error: invalid --refresh 0s: use a positive duration such as 5s; run 'kubectl smartvpa ui --help' for usage\n"},
		{"bad refresh", []string{"ui", "--demo", "--refresh", "soon"},
			"error: invalid argument \"soon\" for \"--refresh\" flag: time: invalid duration \"soon\"; run 'kubectl smartvpa ui --help' for usage\n"},
		{"unknown recommender", []string{"ui", "--demo", "--recommenders", "vpa", "--recommender", "nope"},
			"error: invalid --recommender \"nope\": choose one of vpa; run 'kubectl smartvpa ui --help' for usage\n"},
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
	code, _, stderr := runArgs("ui", "--demo", "--recommenders", "vpa,nope", "--recommender", "vpa")
	if code != exitUsage || !strings.HasPrefix(stderr, `error: invalid --recommenders: unknown recommender "nope"`) {
		t.Errorf("unknown --recommenders: exit %d, %q", code, stderr)
	}
}

func TestUIHelp(t *testing.T) {
	code, out, _ := runArgs("ui", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"kubectl smartvpa ui --demo", "kubectl smartvpa ui -n demo", "--refresh duration", "--history string", "--prometheus-url", "-A, --all-namespaces", "-l, --selector", "NO_COLOR", "--read-only", "read-only"} {
		if !strings.Contains(out, s) {
			t.Errorf("help lacks %q", s)
		}
	}
}

// With q on its input the demo starts, quits at once with exit 0 and leaves
// the terminal as it found it: alternate screen left, cursor shown again.
func TestUIDemoQuitRestoresTerminal(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"ui", "--demo", "--recommenders", "vpa"},
		genericiooptions.IOStreams{In: strings.NewReader("q"), Out: &out, ErrOut: &errOut})
	if code != 0 || errOut.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	s := out.String()
	enter, leave := strings.Index(s, "\x1b[?1049h"), strings.LastIndex(s, "\x1b[?1049l")
	if enter < 0 || leave < enter {
		t.Fatalf("alternate screen not entered and left: %q", s)
	}
	if !strings.Contains(s[leave:], "\x1b[?25h") {
		t.Fatalf("cursor not shown again after quitting: %q", s[leave:])
	}
}

func TestUINoColorFromEnvironment(t *testing.T) {
	tests := []struct {
		env  string
		flag bool
		want bool
	}{
		{"", false, false},
		{"1", false, true},
		{"yes", false, true}, // any non-empty value, as no-color.org says
		{"", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv("NO_COLOR", tt.env)
			cmd := newCLI(genericiooptions.IOStreams{}).newUICmd()
			o := &UIOptions{NoColor: tt.flag}
			if err := o.Complete(cmd, nil); err != nil {
				t.Fatal(err)
			}
			if o.NoColor != tt.want {
				t.Fatalf("NO_COLOR=%q --no-color=%v: NoColor=%v, want %v", tt.env, tt.flag, o.NoColor, tt.want)
			}
		})
	}
}

func TestUIFirstRecommender(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		def   string
		want  string
	}{
		{"recommend's default", []string{"smart", "vpa"}, "smart", "smart"},
		{"default among others", []string{"autopilot", "smart", "vpa"}, "smart", "smart"},
		{"default not offered: first offered", []string{"autopilot", "vpa"}, "smart", "autopilot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstRecommender(tt.names, tt.def); got != tt.want {
				t.Fatalf("firstRecommender(%v, %q) = %q, want %q", tt.names, tt.def, got, tt.want)
			}
		})
	}
}

// Without --demo an unreachable cluster fails before the screen opens, with
// exit 3 and nothing drawn.
func TestUIClusterUnreachable(t *testing.T) {
	code, stdout, stderr := runArgs("ui", "--server", "https://127.0.0.1:1", "--insecure-skip-tls-verify", "-n", "demo", "--history", "live")
	if code != exitCluster {
		t.Fatalf("exit %d, want %d (stderr %q)", code, exitCluster, stderr)
	}
	if stdout != "" || !strings.Contains(stderr, "connection refused") {
		t.Fatalf("stdout %q (want nothing drawn), stderr %q (want the connection error)", stdout, stderr)
	}
}
