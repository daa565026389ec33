package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/smartvpa/smartvpa/workloads"
)

// WorkloadGenerateOptions holds the flags of `workload generate`.
type WorkloadGenerateOptions struct {
	genericiooptions.IOStreams
	Type       string
	ConfigFile string
	Seed       int64
	Duration   time.Duration
	Interval   time.Duration
	Start      string
	ID         string
	OutDir     string
	Overwrite  bool

	start  time.Time
	config []byte
	cmd    string
}

func (c *cli) newWorkloadGenerateCmd() *cobra.Command {
	o := &WorkloadGenerateOptions{IOStreams: c.streams, Seed: 1, Duration: workloads.DefaultDuration, Interval: workloads.DefaultInterval, OutDir: workloads.DefaultStoreDir}
	var types []string
	for _, t := range workloads.GeneratorTypes() {
		types = append(types, fmt.Sprintf("  %-11s %s", t, workloads.GeneratorDoc(t)))
	}
	cmd := c.bind(&cobra.Command{
		Use:   "generate --type TYPE [--config FILE] [--seed N] [--duration 8d] [--interval 1m] [--id ID] [--store DIR]",
		Short: "Generate a synthetic workload and print its id",
		Long: `Generate a synthetic usage trace, save it in the workload store and print its id.

Types:
` + strings.Join(types, "\n") + `

Each type is configured by a JSON file with a "cpu" part (millicores) and a
"memory" part (bytes); the defaults ship in data/configs/workloads/<type>.json,
where "_doc" documents every field, and are built into the binary. The same
type, config, seed, duration, interval and start give byte-identical trace.csv
files. Samples start at --start (default ` + wlDefaultStartText + `, a Monday).
The id is --id, or <type>-<hash of the arguments>.`,
		Example: `  kubectl smartvpa workload generate --type step
  kubectl smartvpa workload generate --type weekly --seed 3 --duration 14d --interval 5m
  kubectl smartvpa workload generate --type sinusoidal --config my-sine.json --id my-sine --store /tmp/wl`,
		Args: noArgs,
	}, o)
	f := cmd.Flags()
	f.StringVar(&o.Type, "type", "", "generator type: "+strings.Join(workloads.GeneratorTypes(), ", ")+" (required)")
	f.StringVar(&o.ConfigFile, "config", "", "JSON config file (default: the shipped data/configs/workloads/<type>.json)")
	f.Int64Var(&o.Seed, "seed", o.Seed, "random seed; the same seed gives the same trace")
	f.Var(durationFlag{&o.Duration}, "duration", "length of the trace (Go duration; d and w allowed, e.g. 8d)")
	f.Var(durationFlag{&o.Interval}, "interval", "time between samples, a whole number of seconds")
	f.StringVar(&o.Start, "start", "", "time of the first sample, RFC 3339 (default "+wlDefaultStartText+")")
	f.StringVar(&o.ID, "id", "", "workload id (default <type>-<hash>)")
	addStoreFlag(cmd, &o.OutDir, "workload store folder to write to", "out")
	f.BoolVar(&o.Overwrite, "overwrite", false, "replace a workload with the same --id (without --id the id is a hash of the inputs, so the same workload is written again)")
	_ = cmd.RegisterFlagCompletionFunc("type", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return workloads.GeneratorTypes(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Complete reads the config file and parses --start.
func (o *WorkloadGenerateOptions) Complete(cmd *cobra.Command, _ []string) error {
	o.cmd = cmd.CommandPath()
	var err error
	if o.start, err = wlParseStart(o.Start, workloads.DefaultStart); err != nil {
		return usageErrorf(o.cmd, "%v", err)
	}
	if o.ConfigFile != "" {
		if o.config, err = os.ReadFile(o.ConfigFile); err != nil {
			return inputError(fmt.Errorf("read config: %w", err))
		}
	}
	return nil
}

// Validate checks the flags.
func (o *WorkloadGenerateOptions) Validate() error {
	if o.Type == "" {
		return usageErrorf(o.cmd, "--type is required: use one of %s", strings.Join(workloads.GeneratorTypes(), ", "))
	}
	if _, err := workloads.DefaultConfig(o.Type); err != nil {
		return usageErrorf(o.cmd, "%v", err)
	}
	if o.Interval < time.Second || o.Interval%time.Second != 0 {
		return usageErrorf(o.cmd, "invalid --interval %s: use a whole number of seconds, at least 1s", o.Interval)
	}
	if o.Duration < o.Interval {
		return usageErrorf(o.cmd, "invalid --duration %s: use at least one --interval (%s)", o.Duration, o.Interval)
	}
	if o.ID != "" {
		if err := workloads.ValidateID(o.ID); err != nil {
			return usageErrorf(o.cmd, "%v", err)
		}
	}
	return nil
}

// Run generates the trace, saves it and prints its id.
func (o *WorkloadGenerateOptions) Run(ctx context.Context) error {
	config, name := o.config, o.ConfigFile
	if config == nil {
		config, _ = workloads.DefaultConfig(o.Type)
		name = "default config " + o.Type + ".json"
	}
	cfg, err := workloads.ParseConfig(o.Type, config, name)
	if err != nil {
		return inputError(err)
	}
	t, err := cfg.Generate(config, o.Seed, o.Duration, o.Interval, o.start)
	if err != nil {
		return usageErrorf(o.cmd, "%v", err)
	}
	if o.ID != "" {
		t.ID = o.ID
	}
	// Without --id the id is a hash of everything that makes the bytes:
	// replacing a workload of the same id writes the same workload.
	if err := wlSave(ctx, o.OutDir, o.Overwrite || o.ID == "", []*workloads.Trace{t}); err != nil {
		return err
	}
	_, err = fmt.Fprintln(o.Out, t.ID)
	return err
}
