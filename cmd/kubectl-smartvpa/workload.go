package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartvpa/smartvpa/workloads"
)

// newWorkloadCmd groups the workload subcommands: generate, import, list, show.
func (c *cli) newWorkloadCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "workload",
		Short: "Generate, import, list and show usage traces (workloads)",
		Long: `Generate synthetic usage traces or import public ones, and inspect them.

A workload is a directory <store>/<id>/ holding trace.csv (header
timestamp,cpu_millicores,memory_bytes; timestamp in Unix seconds) and meta.json
(source, unit conversions, interval, original request). The store is
data/workloads unless --store says otherwise (--out and --dir, the old
names, still work). The simulator and the stress system read workloads from there.`,
		Example: `  kubectl smartvpa workload generate --type sinusoidal --seed 7
  kubectl smartvpa workload import --format bitbrains ../shared/traces/bitbrains-rnd-2013-7/*.csv
  kubectl smartvpa workload list
  kubectl smartvpa workload show bitbrains-1 --plot`,
	},
		c.newWorkloadGenerateCmd(),
		c.newWorkloadImportCmd(),
		c.newWorkloadListCmd(),
		c.newWorkloadShowCmd(),
	)
}

// wlSave saves traces into the store at dir as one unit. Until they are in
// place, a cancelled ctx (SIGINT, SIGTERM) makes it stop and remove what it
// staged (the store sweeps what a killed write left at its next write). A workload that
// exists is replaced only with overwrite: else the error says to pass
// --overwrite (exit 2).
func wlSave(ctx context.Context, dir string, overwrite bool, traces []*workloads.Trace) error {
	st := workloads.OpenStore(dir)
	st.Overwrite = overwrite
	if _, err := st.SaveAllContext(ctx, traces); err != nil {
		if errors.Is(err, workloads.ErrExists) {
			return inputError(fmt.Errorf("%w: pass --overwrite to replace it, or choose another id or --store", err))
		}
		return inputError(fmt.Errorf("save workload: %w", err))
	}
	return nil
}

// addStoreFlag adds --store, the workload store folder, bound to p; the
// names a command used before (--out, --dir) stay as hidden aliases.
func addStoreFlag(cmd *cobra.Command, p *string, usage string, aliases ...string) {
	f := cmd.Flags()
	f.StringVar(p, "store", *p, usage)
	for _, a := range aliases {
		f.StringVar(p, a, *p, usage+" (old name of --store)")
		_ = f.MarkHidden(a)
	}
}

// wlParseStart parses an RFC 3339 --start flag; "" means the default.
func wlParseStart(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid --start %q: use RFC 3339, e.g. 2026-01-05T00:00:00Z", s)
	}
	if t.Year() < wlMinStartYear || t.Year() >= wlMaxStartYear {
		return time.Time{}, fmt.Errorf("invalid --start %q: use a time from %d to %d (trace.csv holds Unix seconds, and the trace must end before year 10000)", s, wlMinStartYear, wlMaxStartYear-1)
	}
	return t.UTC(), nil
}

// The years --start may be in.
const (
	wlMinStartYear = 1970
	wlMaxStartYear = 9000
)

// wlDefaultStartText is DefaultStart as shown in help.
var wlDefaultStartText = workloads.DefaultStart.Format(time.RFC3339)
