package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/workloads"
)

// formatPrometheus is the `workload import` format that reads a cluster's
// history from Prometheus (kube.ImportPrometheus) instead of files.
const formatPrometheus = "prometheus"

// promImport holds the flags of `workload import --format prometheus`; it
// reuses the live commands' connection and target resolution.
type promImport struct {
	live    liveOptions
	targets []string
	cmd     string
}

func (p *promImport) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVarP(&p.live.AllNamespaces, "all-namespaces", "A", false, "prometheus: workloads in every namespace")
	f.StringVarP(&p.live.Selector, "selector", "l", "", "prometheus: label selector for the workloads, e.g. app=web")
	p.live.PrometheusURL = os.Getenv("PROMETHEUS_URL")
	f.StringVar(&p.live.PrometheusURL, "prometheus-url", p.live.PrometheusURL, "prometheus: Prometheus base URL (default $PROMETHEUS_URL)")
	p.live.HistoryDuration = 8 * 24 * time.Hour
	f.Var(durationFlag{&p.live.HistoryDuration}, "history-duration", "prometheus: how far back the history goes (8d, 36h)")
	p.live.Step = 5 * time.Minute
	f.DurationVar(&p.live.Step, "step", p.live.Step, "prometheus: time between samples of the range queries")
}

func (p *promImport) complete(cmd *cobra.Command, args []string) error {
	p.cmd = cmd.CommandPath()
	p.live.cmd = p.cmd
	p.targets = args
	return nil
}

func (p *promImport) validate() error {
	switch {
	case p.live.PrometheusURL == "":
		return usageErrorf(p.cmd, "--format prometheus needs --prometheus-url (or PROMETHEUS_URL)")
	case p.live.HistoryDuration <= 0:
		return usageErrorf(p.cmd, "invalid --history-duration %s: use a positive duration such as 8d", p.live.HistoryDuration)
	case p.live.Step < time.Second:
		return usageErrorf(p.cmd, "invalid --step %s: use 1s or more, e.g. 5m", p.live.Step)
	case len(p.targets) == 0 && p.live.Selector == "" && !p.live.AllNamespaces:
		return usageErrorf(p.cmd, "--format prometheus needs workloads: give TYPE/NAME (e.g. deploy/web), -l SELECTOR or -A")
	}
	return nil
}

// run resolves the target workloads and reads their containers' history.
func (p *promImport) run(ctx context.Context) ([]*workloads.Trace, error) {
	ws, err := p.live.resolve(ctx, p.targets)
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, inputError(fmt.Errorf("no workloads match: check the namespace (-n), the names and the selector"))
	}
	prom := &kube.Prometheus{URL: p.live.PrometheusURL, Duration: p.live.HistoryDuration, Step: p.live.Step}
	traces, err := kube.ImportPrometheus(ctx, prom, ws, time.Now())
	if err != nil {
		return nil, clusterError(fmt.Errorf("prometheus: %w", err))
	}
	if len(traces) == 0 {
		var names []string
		for _, w := range ws {
			names = append(names, w.Namespace+"/"+w.Ref())
		}
		return nil, inputError(fmt.Errorf("prometheus at %s has no history for %s in the last %s: check --prometheus-url and --history-duration",
			p.live.PrometheusURL, strings.Join(names, ", "), p.live.HistoryDuration))
	}
	return traces, nil
}

// parseResample reads --resample: auto (0: the format's default), none, or a
// whole number of seconds.
func parseResample(s string) (time.Duration, error) {
	switch s {
	case "", "auto":
		return 0, nil
	case "none", "0":
		return workloads.NoResample, nil
	}
	d, err := parseLongDuration(s)
	if err != nil || d < time.Second || d%time.Second != 0 {
		return 0, fmt.Errorf("invalid --resample %q: use auto, none or a whole number of seconds such as 5m", s)
	}
	return d, nil
}
