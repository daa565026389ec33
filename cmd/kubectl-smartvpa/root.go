package main

import (
	"context"
	"flag"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"
)

// rootName is how the command is shown in help and usage lines.
const rootName = "kubectl smartvpa"

// newRootCmd builds the whole command tree.
func newRootCmd(streams genericiooptions.IOStreams) *cobra.Command {
	return newCLI(streams).root()
}

// root builds the command tree: every subcommand is listed here (groups list
// theirs where they are built).
func (c *cli) root() *cobra.Command {
	streams := c.streams
	root := &cobra.Command{
		Use:   "kubectl-smartvpa",
		Short: "Right-size container CPU and memory with learned models, and prove it",
		Long: `kubectl smartvpa right-sizes Kubernetes container CPU and memory requests.

It embeds a faithful port of the upstream VPA recommender and smarter ones
(Autopilot-style ensemble, forecasting, a bandit, LSTM), an updater with the upstream
rules, and a simulator that replays real usage traces to show which recommender
wastes least without OOM kills or CPU throttling.

Exit codes: 0 ok, 1 found something (audit drift), 2 usage or input error,
3 cluster or API error.`,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: rootName,
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		// A root without Run would print help for unknown commands; with Args
		// it reports them as usage errors instead.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf(rootName, "%s", suggest(cmd, args[0]))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.CompletionOptions.DisableDefaultCmd = true
	c.configFlags.AddFlags(root.PersistentFlags())
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf(c.CommandPath(), "%s", strings.TrimSpace(err.Error()))
	})

	root.AddCommand(
		c.newApplyCmd(),
		c.newAuditCmd(),
		c.newBacktestCmd(),
		c.newCompletionCmd(),
		c.newEmulateCmd(),
		c.newRecommendCmd(),
		c.newServeCmd(),
		c.newSimulateCmd(),
		c.newStressCmd(),
		c.newTrainCmd(),
		c.newUICmd(),
		c.newVersionCmd(),
		c.newWorkloadCmd(),
	)
	help := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		defer hideKubeFlags(root, cmd)()
		help(cmd, args)
	})
	return root
}

// run executes the program with args and returns its exit code. SIGINT and
// SIGTERM cancel the context every command runs with.
func run(args []string, streams genericiooptions.IOStreams) int {
	quietKlog()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		if !isClassified(err) && strings.HasPrefix(err.Error(), "unknown command") {
			err = usageErrorf(rootName, "%s", err.Error())
		}
		printError(streams.ErrOut, err)
	}
	return exitCode(err)
}

func isClassified(err error) bool {
	_, ok := err.(*exitError)
	return ok
}

// quietKlog stops client-go's klog lines ("Unhandled Error" for each failed
// discovery request, eight of them before the one error a command reports):
// every failure reaches the user as the command's own error line.
func quietKlog() {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
}
