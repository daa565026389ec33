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
		Use:   "list [--store DIR] [-o json]",
		Short: "List the workloads in the store",
		Long: `List the workloads in the store, sorted by id.

-o json prints a JSON array of the workloads' meta.json objects: id, source,
type, series, files, interval (Go duration string), start, end, samples,
originalRequest {cpuMillicores, memoryBytes}, conversions, assumedMachine,
seed, config.`,
		Example: `  kubectl smartvpa workload list
  kubectl smartvpa workload list --store /tmp/wl -o json`,
		Aliases: []string{"ls"},
		Args:    noArgs,
	}, o)
	addStoreFlag(cmd, &o.Dir, "workload store folder", "dir")
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
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", m.ID, m.Type, m.Samples, formatDuration(m.Interval),
			m.Start.UTC().Format(time.RFC3339), formatDuration(m.End.Sub(m.Start)+m.Interval), wlRequestText(m.OriginalRequest))
	}
	return tw.Flush()
}

func wlWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// wlRequestText formats a request in the one unit of each resource,
// "2000m/7987Mi" (model.FormatCPU, model.FormatMemory); "-" when unknown.
func wlRequestText(r *model.Resources) string {
	if r == nil || r.IsZero() {
		return "-"
	}
	return model.FormatCPU(r.CPUMillicores) + "/" + model.FormatMemory(r.MemoryBytes)
}
