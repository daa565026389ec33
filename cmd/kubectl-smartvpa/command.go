package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// options is the shape of every command: its flags are bound to the fields of
// an XOptions value, then Complete fills in what the flags leave (the command
// path, arguments, defaults from the environment), Validate checks the
// result (usage errors, exit 2) and Run does the work with the context of
// run (cancelled on SIGINT and SIGTERM).
type options interface {
	Complete(cmd *cobra.Command, args []string) error
	Validate() error
	Run(ctx context.Context) error
}

// cli is what every command constructor gets: kubectl's flags, the streams,
// and the record of the options each command runs (newRootCmd's tree is
// checked against it by a test).
type cli struct {
	configFlags *genericclioptions.ConfigFlags
	streams     genericiooptions.IOStreams
	bound       map[*cobra.Command]options
}

func newCLI(streams genericiooptions.IOStreams) *cli {
	return &cli{configFlags: genericclioptions.NewConfigFlags(true), streams: streams, bound: map[*cobra.Command]options{}}
}

// bind makes cmd run o: its RunE checks the output flag (addOutputFlag),
// then completes, validates and runs o with the command's context. Usage
// lines are not printed on errors (the error names --help instead).
func (c *cli) bind(cmd *cobra.Command, o options) *cobra.Command {
	c.bound[cmd] = o
	cmd.SilenceUsage = true
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkOutputFlag(cmd); err != nil {
			return err
		}
		if err := o.Complete(cmd, args); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return o.Run(cmd.Context())
	}
	return cmd
}

// group makes cmd a command that only holds subcommands: run alone, it
// prints its help.
func group(cmd *cobra.Command, subcommands ...*cobra.Command) *cobra.Command {
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageErrorf(cmd.CommandPath(), "%s", suggest(cmd, args[0]))
		}
		return nil
	}
	cmd.SilenceUsage = true
	cmd.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	cmd.AddCommand(subcommands...)
	return cmd
}

// outputFlag is the value of -o/--output: one of formats, the first the
// default. "" also stands for the default (as kubectl's -o ”).
type outputFlag struct {
	p       *string
	formats []string
}

func (f *outputFlag) String() string { return *f.p }
func (f *outputFlag) Set(s string) error {
	*f.p = s
	return nil
}
func (f *outputFlag) Type() string { return "string" }

// addOutputFlag adds -o/--output to cmd, bound to p: formats[0] is the
// default, the shell completes the formats, and bind refuses any other value
// with a usage error before the command's Complete.
func addOutputFlag(cmd *cobra.Command, p *string, formats ...string) {
	*p = formats[0]
	cmd.Flags().VarP(&outputFlag{p: p, formats: formats}, "output", "o", "output format: "+orList(formats))
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return formats, cobra.ShellCompDirectiveNoFileComp
	})
}

// checkOutputFlag refuses an -o value that is not one of the command's
// formats; "" becomes the default.
func checkOutputFlag(cmd *cobra.Command) error {
	fl := cmd.Flags().Lookup("output")
	if fl == nil {
		return nil
	}
	f, ok := fl.Value.(*outputFlag)
	if !ok {
		return nil
	}
	if *f.p == "" {
		*f.p = f.formats[0]
		return nil
	}
	for _, v := range f.formats {
		if v == *f.p {
			return nil
		}
	}
	return usageErrorf(cmd.CommandPath(), "unknown output format %q: use %s", *f.p, orList(f.formats))
}

// orList writes "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return fmt.Sprintf("%s or %s", strings.Join(items[:len(items)-1], ", "), items[len(items)-1])
}
