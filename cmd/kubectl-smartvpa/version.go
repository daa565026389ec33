package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// Stamped at build time by the Makefile with -ldflags -X from `git describe`.
var (
	version   = "v0.0.0-dev"
	gitCommit = "unknown"
)

// VersionInfo is the JSON shape of `version -o json`.
type VersionInfo struct {
	Version   string `json:"version"`
	GitCommit string `json:"gitCommit"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// VersionOptions holds the flags of `version`.
type VersionOptions struct {
	genericiooptions.IOStreams
	Output string
}

func (c *cli) newVersionCmd() *cobra.Command {
	o := &VersionOptions{IOStreams: c.streams}
	cmd := c.bind(&cobra.Command{
		Use:   "version",
		Short: "Print the version of smartvpa",
		Example: `  kubectl smartvpa version
  kubectl smartvpa version -o json`,
		Args: noArgs,
	}, o)
	addOutputFlag(cmd, &o.Output, "text", "json")
	return cmd
}

// Complete does nothing: version has no arguments.
func (o *VersionOptions) Complete(*cobra.Command, []string) error { return nil }

// Validate does nothing: -o is checked with the command's flags.
func (o *VersionOptions) Validate() error { return nil }

// Run prints the version.
func (o *VersionOptions) Run(context.Context) error {
	info := VersionInfo{
		Version:   version,
		GitCommit: gitCommit,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if o.Output == "json" {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	_, err := fmt.Fprintf(o.Out, "smartvpa %s (commit %s, %s, %s)\n", info.Version, info.GitCommit, info.GoVersion, info.Platform)
	return err
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf(cmd.CommandPath(), "%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// exactArgs requires n positional arguments, as a usage error otherwise.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf(cmd.CommandPath(), "%s takes %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

// minArgs requires at least n positional arguments, as a usage error otherwise.
func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageErrorf(cmd.CommandPath(), "%s needs at least %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}
