package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/workloads"
)

// WorkloadListOptions holds the flags of `workload list`.
type WorkloadListOptions struct {
	genericiooptions.IOStreams
	Dir    string
	Output string
	cmd    string
}

func (c *cli) newWorkloadListCmd() *cobra.Command {
	o := &WorkloadListOptions{IOStreams: c.streams, Dir: workloads.DefaultStoreDir}
	cmd := c.bind(&cobra.Command{
		Use:   "list [--dir DIR] [-o json]",
		Short: "List the workloads in the store",
		Long: `List the workloads in the store, sorted by id.

-o json prints a JSON array of the workloads' meta.json objects: id, source,
type, series, files, interval (Go duration string), start, end, samples,
originalRequest {cpuMillicores, memoryBytes}, conversions, assumedMachine,
seed, config.`,
		Example: `  kubectl smartvpa workload list
  kubectl smartvpa workload list --dir /tmp/wl -o json`,
		Aliases: []string{"ls"},
		Args:    noArgs,
	}, o)
	cmd.Flags().StringVar(&o.Dir, "dir", o.Dir, "workload store folder")
	addOutputFlag(cmd, &o.Output, "table", "json")
	return cmd
}

// Complete records the command path.
func (o *WorkloadListOptions) Complete(cmd *cobra.Command, _ []string) error {
	o.cmd = cmd.CommandPath()
	return nil
}

// Validate does nothing: -o is checked with the command's flags.
func (o *WorkloadListOptions) Validate() error { return nil }

// Run prints the workloads.
func (o *WorkloadListOptions) Run(context.Context) error {
	metas, err := workloads.OpenStore(o.Dir).List()
	if err != nil {
		return inputError(err)
	}
	if o.Output == "json" {
		if metas == nil {
			metas = []workloads.Meta{}
		}
		return wlWriteJSON(o.Out, metas)
	}
	if len(metas) == 0 {
		_, err := fmt.Fprintf(o.ErrOut, "No workloads in %s: create some with 'kubectl smartvpa workload generate' or 'import'.\n", o.Dir)
		return err
	}
	tw := tabwriter.NewWriter(o.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tSAMPLES\tINTERVAL\tSTART\tDURATION\tREQUEST")
	for _, m := range metas {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", m.ID, m.Type, m.Samples, wlHumanDuration(m.Interval),
			m.Start.UTC().Format(time.RFC3339), wlHumanDuration(m.End.Sub(m.Start)), wlRequestText(m.OriginalRequest))
	}
	return tw.Flush()
}

func wlWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// wlHumanDuration formats d as e.g. "29d23h55m", "5m", "30s".
func wlHumanDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h, m, s := d/time.Hour, (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	out := ""
	if days > 0 {
		out += fmt.Sprintf("%dd", days)
	}
	if h > 0 {
		out += fmt.Sprintf("%dh", h)
	}
	if m > 0 {
		out += fmt.Sprintf("%dm", m)
	}
	if s > 0 || out == "" {
		out += fmt.Sprintf("%ds", s)
	}
	return out
}

// wlRequestText formats a request as "2000m/7.8Gi", "-" when unknown.
func wlRequestText(r *model.Resources) string {
	if r == nil || r.IsZero() {
		return "-"
	}
	cpu, mem := "-", "-"
	if r.CPUMillicores > 0 {
		cpu = fmt.Sprintf("%gm", wlRound1(r.CPUMillicores))
	}
	if r.MemoryBytes > 0 {
		mem = wlBytesText(r.MemoryBytes)
	}
	return cpu + "/" + mem
}

func wlRound1(v float64) float64 {
	return float64(int64(v*10+0.5)) / 10
}

// wlBytesText formats bytes in Ki, Mi or Gi with one decimal.
func wlBytesText(b float64) string {
	switch {
	case b >= model.GiB:
		return fmt.Sprintf("%.1fGi", b/model.GiB)
	case b >= model.MiB:
		return fmt.Sprintf("%.1fMi", b/model.MiB)
	case b >= model.KiB:
		return fmt.Sprintf("%.1fKi", b/model.KiB)
	}
	return fmt.Sprintf("%.0f", b)
}
