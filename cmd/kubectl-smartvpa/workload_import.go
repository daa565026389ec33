package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/workloads"
)

// WorkloadImportOptions holds the flags of `workload import`.
type WorkloadImportOptions struct {
	genericiooptions.IOStreams
	Format        string
	Paths         []string
	Limit         int
	OutDir        string
	Overwrite     bool
	Start         string
	Interval      time.Duration
	MachineCPU    float64
	MachineMemory string
	Meta          []string
	CSV           workloads.CSVMapping
	Resample      string

	// Prometheus import (--format prometheus): targets instead of paths.
	prom promImport

	opts workloads.ImportOptions
	cmd  string
}

func (c *cli) newWorkloadImportCmd() *cobra.Command {
	o := &WorkloadImportOptions{IOStreams: c.streams, OutDir: workloads.DefaultStoreDir}
	o.prom.live.configFlags = c.configFlags
	cmd := c.bind(&cobra.Command{
		Use:   "import --format " + strings.Join(workloads.Formats, "|") + " PATH... [--limit N] [--store DIR] | --format prometheus TYPE/NAME...",
		Short: "Import public usage traces as workloads and print their ids",
		Long: `Import usage traces in a public format, one workload per series (container,
machine, VM, task or file), and print the ids, one per line. A PATH that is a
folder stands for the files in it; gzip files (.gz) are read as such.

Formats and units:
  alibaba-container  Alibaba 2018 container_usage.csv + container_meta.csv (needed):
                     cpu = cpu_util_percent/100 * cpu_request*10 m; memory =
                     mem_util_percent/100 * mem_size/100 * machine memory (512Gi);
                     the original request is cpu_request and mem_size
  alibaba-machine    Alibaba 2018 machine_usage.csv (+ machine_meta.csv for cpu_num,
                     else 96 cores); memory = percent of a 512Gi machine
  azure              Azure vm_cpu_readings-*.csv[.gz] (+ vmtable.csv for the VM size,
                     else 8 cores); cpu = avg_cpu percent of the VM; memory is 0
                     (the readings have none)
  google2011         Google 2011 task_usage CSV, one series per job/task; cpu_rate and
                     canonical memory usage of a normalised 8-core, 32Gi machine
  google2019         Google 2019 instance_usage JSON lines (gzip too), one series per
                     collection/instance; average_usage of an 8-core, 32Gi machine
  bitbrains          Bitbrains GWA-T-12 per-VM CSV: cpu = MHz / (capacity MHz / cores)
                     * 1000 m, memory = KB * 1024; the original request is the
                     provisioned capacity
  jobs               two space-separated columns, cpu% and memory% of an 8-core, 32Gi
                     machine, one row per --interval (5m)
  csv                generic CSV mapped by --time-column, --cpu-column,
                     --memory-column and their units (defaults read trace.csv)
  prometheus         a cluster's history: the arguments are workloads as for
                     recommend (deploy/web, -n, -l, -A); each container's CPU
                     rate and memory working set over --history-duration at
                     --step, from --prometheus-url (cAdvisor series), mean over
                     the workload's pods; the original request is the
                     container's current request; ids are
                     <namespace>-<name>-<container>

Relative timestamps (Alibaba, Azure, Google) count from --start (default
` + wlDefaultStartText + `). Percent formats assume the machine size above unless
--machine-cpu/--machine-memory say otherwise; every conversion and assumption is
recorded in meta.json. Alibaba rows come every 10 s to several minutes at
irregular times, so alibaba-* series are resampled to 5-minute samples (CPU
mean, memory max per bucket; --resample none keeps the rows, --resample 1m
picks another width, for any format). Everything is read and checked before anything is
written: a bad row fails the import with file, line and field, and leaves
nothing in --store. A progress bar shows on stderr when it is a terminal.`,
		Example: `  kubectl smartvpa workload import --format bitbrains ../shared/traces/bitbrains-rnd-2013-7/*.csv
  kubectl smartvpa workload import --format alibaba-machine machine_usage.csv machine_meta.csv --limit 5
  kubectl smartvpa workload import --format azure vm_cpu_readings-file-1-of-125.csv.gz --meta vmtable.csv
  kubectl smartvpa workload import --format jobs ../shared/traces/google2011-jobs --machine-cpu 16 --machine-memory 64Gi
  kubectl smartvpa workload import --format csv usage.csv --time-column ts --time-unit rfc3339 \
      --cpu-column cpu --cpu-unit cores --memory-column mem --memory-unit mib
  kubectl smartvpa workload import --format prometheus --prometheus-url http://127.0.0.1:39090 -n demo deploy/web \
      --history-duration 8d --step 5m`,
		// Files need at least one PATH; --format prometheus may select by -l or -A.
		Args: func(cmd *cobra.Command, args []string) error {
			if f, _ := cmd.Flags().GetString("format"); f == formatPrometheus {
				return nil
			}
			return minArgs(1)(cmd, args)
		},
	}, o)
	f := cmd.Flags()
	f.StringVar(&o.Format, "format", "", "input format: "+strings.Join(workloads.Formats, ", ")+" (required)")
	f.IntVar(&o.Limit, "limit", 0, "import at most N series, in order of first appearance (0 = all)")
	addStoreFlag(cmd, &o.OutDir, "workload store folder to write to", "out")
	f.BoolVar(&o.Overwrite, "overwrite", false, "replace workloads with the same ids (default: refuse and write nothing)")
	f.StringVar(&o.Start, "start", "", "time that relative timestamps count from, RFC 3339 (default "+wlDefaultStartText+")")
	f.Var(durationFlag{&o.Interval}, "interval", "time between rows for formats without timestamps (jobs, csv without a time column) (default 5m)")
	f.Float64Var(&o.MachineCPU, "machine-cpu", 0, "assumed machine (or VM) size in cores for percent formats (default: per format, see above)")
	f.StringVar(&o.MachineMemory, "machine-memory", "", "assumed machine memory for percent formats, a quantity such as 32Gi (default: per format, see above)")
	f.StringArrayVar(&o.Meta, "meta", nil, "metadata file: container_meta.csv, machine_meta.csv or vmtable.csv (repeatable; such files among the PATHs are recognised by name)")
	f.StringVar(&o.CSV.TimeColumn, "time-column", "", `csv: time column, a header name or 1-based number; "none" for rows --interval apart (default "timestamp")`)
	f.StringVar(&o.CSV.TimeUnit, "time-unit", "", "csv: "+strings.Join(workloads.CSVTimeUnits, ", ")+" (default unix seconds; offset = seconds from --start)")
	f.StringVar(&o.CSV.CPUColumn, "cpu-column", "", `csv: CPU column (default "cpu_millicores")`)
	f.StringVar(&o.CSV.CPUUnit, "cpu-unit", "", "csv: "+strings.Join(workloads.CSVCPUUnits, ", ")+" (default millicores; percent of --machine-cpu, default 8)")
	f.StringVar(&o.CSV.MemoryColumn, "memory-column", "", `csv: memory column; "none" for no memory (default "memory_bytes")`)
	f.StringVar(&o.CSV.MemoryUnit, "memory-unit", "", "csv: "+strings.Join(workloads.CSVMemoryUnits, ", ")+" (default bytes; percent of --machine-memory, default 32Gi)")
	f.StringVar(&o.CSV.SeriesColumn, "series-column", "", "csv: column whose values split rows into one workload each (default: one workload per file)")
	f.StringVar(&o.CSV.Separator, "separator", "", `csv: field separator, one character or \t (default ",")`)
	f.BoolVar(&o.CSV.NoHeader, "no-header", false, "csv: the file has no header row; give columns by 1-based number")
	f.StringVar(&o.Resample, "resample", "auto", "put rows in buckets of this width, one sample each (CPU mean, memory max): auto (5m for alibaba-*, else none), none, or a duration")
	o.prom.addFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return append(append([]string(nil), workloads.Formats...), formatPrometheus), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Complete expands folders among the paths and builds the import options.
func (o *WorkloadImportOptions) Complete(cmd *cobra.Command, args []string) error {
	o.cmd = cmd.CommandPath()
	if o.Format == formatPrometheus {
		return o.prom.complete(cmd, args)
	}
	start, err := wlParseStart(o.Start, workloads.DefaultStart)
	if err != nil {
		return usageErrorf(o.cmd, "%v", err)
	}
	resample, err := parseResample(o.Resample)
	if err != nil {
		return usageErrorf(o.cmd, "%v", err)
	}
	var mem float64
	if o.MachineMemory != "" {
		q, err := resource.ParseQuantity(o.MachineMemory)
		if err != nil || q.Sign() <= 0 || q.AsApproximateFloat64() > workloads.MaxMemoryBytes {
			return usageErrorf(o.cmd, "invalid --machine-memory %q: use a positive quantity such as 32Gi, at most 1Ei", o.MachineMemory)
		}
		mem = q.AsApproximateFloat64()
	}
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return inputError(fmt.Errorf("open input: %w", err))
		}
		if !st.IsDir() {
			o.Paths = append(o.Paths, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return inputError(fmt.Errorf("read folder: %w", err))
		}
		var files []string
		for _, e := range entries {
			if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
				files = append(files, filepath.Join(a, e.Name()))
			}
		}
		sort.Strings(files)
		o.Paths = append(o.Paths, files...)
	}
	o.opts = workloads.ImportOptions{
		Limit: o.Limit, Start: start, Interval: o.Interval, MachineCores: o.MachineCPU,
		MachineMemoryBytes: mem, MetaPaths: o.Meta, CSV: o.CSV, Resample: resample,
	}
	return nil
}

// wlMaxMachineCPU is the largest --machine-cpu, in cores.
const wlMaxMachineCPU = 1_000_000

// Validate checks the flags.
func (o *WorkloadImportOptions) Validate() error {
	if o.Format == formatPrometheus {
		return o.prom.validate()
	}
	known := false
	for _, f := range workloads.Formats {
		known = known || f == o.Format
	}
	switch {
	case o.Format == "":
		return usageErrorf(o.cmd, "--format is required: use one of %s, %s", strings.Join(workloads.Formats, ", "), formatPrometheus)
	case !known:
		return usageErrorf(o.cmd, "unknown format %q: use one of %s, %s", o.Format, strings.Join(workloads.Formats, ", "), formatPrometheus)
	case o.Limit < 0:
		return usageErrorf(o.cmd, "invalid --limit %d: use 0 (all) or more", o.Limit)
	case !(o.MachineCPU >= 0 && o.MachineCPU <= wlMaxMachineCPU):
		return usageErrorf(o.cmd, "invalid --machine-cpu %g: use a positive number of cores, at most %d", o.MachineCPU, wlMaxMachineCPU)
	case o.Interval != 0 && (o.Interval < time.Second || o.Interval%time.Second != 0):
		return usageErrorf(o.cmd, "invalid --interval %s: use a whole number of seconds, at least 1s", o.Interval)
	case len(o.Paths) == 0:
		return usageErrorf(o.cmd, "no input files: the folders given are empty")
	}
	return nil
}

// Run imports everything, saves it as one unit and prints the ids.
func (o *WorkloadImportOptions) Run(ctx context.Context) error {
	if o.Format == formatPrometheus {
		traces, err := o.prom.run(ctx)
		if err != nil {
			return err
		}
		return o.save(ctx, traces)
	}
	if bar := importProgress(o.ErrOut, append(append([]string(nil), o.Paths...), o.Meta...)); bar != nil {
		o.opts.Progress = bar.Add
		defer bar.Done()
	}
	traces, err := workloads.Import(o.Format, o.Paths, o.opts)
	if err != nil {
		return inputError(err)
	}
	return o.save(ctx, traces)
}

// save stores traces as one unit and prints their ids.
func (o *WorkloadImportOptions) save(ctx context.Context, traces []*workloads.Trace) error {
	if err := wlSave(ctx, o.OutDir, o.Overwrite, traces); err != nil {
		return err
	}
	for _, t := range traces {
		if _, err := fmt.Fprintln(o.Out, t.ID); err != nil {
			return err
		}
	}
	return nil
}

// importProgress returns the progress bar of an import over the sizes of
// paths (nil when stderr is not a terminal or the sizes are unknown).
func importProgress(w io.Writer, paths []string) *progressBar {
	var total int64
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			total += st.Size()
		}
	}
	if total == 0 {
		return nil
	}
	return newProgressBar(w, "importing", total, megabytes)
}
