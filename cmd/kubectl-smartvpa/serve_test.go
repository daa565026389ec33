package main

import (
	"strings"
	"testing"
)

func TestServeUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--recommender", "nope"}, `unknown recommender "nope": use one of`},
		{[]string{"serve", "--interval", "10ms"}, "--interval 10ms is too short: use 1s or more (metrics-server resolves 15s)"},
		{[]string{"serve", "--interval", "1m", "--checkpoint-interval", "30s"}, "--checkpoint-interval 30s is shorter than --interval 1m0s: use at least the interval"},
		{[]string{"serve", "--recommender-name", ""}, "--recommender-name is empty: give the name VPAs list in spec.recommenders"},
		{[]string{"serve", "--log-format", "xml"}, `--log-format "xml": use text or json`},
		{[]string{"serve", "--eviction-tolerance", "2"}, "eviction tolerance 2 is outside [0, 1]: use a fraction (default 0.5)"},
		{[]string{"serve", "--gc-percent", "5"}, "--gc-percent 5 is too low: use 10 or more (100 is Go's default)"},
		{[]string{"serve", "--profiling", "--metrics-addr", ""}, "--profiling needs --metrics-addr: profiles are served on the metrics address"},
		{[]string{"serve", "extra"}, `kubectl smartvpa serve takes no arguments, got ["extra"]`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runArgs(tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}
