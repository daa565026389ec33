package main

import (
	"context"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// CompletionOptions holds the arguments of `completion`.
type CompletionOptions struct {
	genericiooptions.IOStreams
	Shell string
	root  *cobra.Command
	cmd   string
}

func (c *cli) newCompletionCmd() *cobra.Command {
	return c.bind(&cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print a shell completion script for kubectl-smartvpa.

Completion through kubectl (kubectl smartvpa <TAB>) needs the script
kubectl_complete-smartvpa on PATH next to kubectl-smartvpa; make build puts it in
bin/ and krew installs it. The scripts below complete the kubectl-smartvpa
binary when it is called directly.`,
		Example: `  source <(kubectl-smartvpa completion bash)
  kubectl-smartvpa completion zsh > "${fpath[1]}/_kubectl-smartvpa"
  kubectl-smartvpa completion fish > ~/.config/fish/completions/kubectl-smartvpa.fish`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args:      exactArgs(1),
	}, &CompletionOptions{IOStreams: c.streams})
}

// Complete takes the shell and the command tree to describe.
func (o *CompletionOptions) Complete(cmd *cobra.Command, args []string) error {
	o.Shell, o.root, o.cmd = args[0], cmd.Root(), cmd.CommandPath()
	return nil
}

// Validate checks the shell.
func (o *CompletionOptions) Validate() error {
	switch o.Shell {
	case "bash", "zsh", "fish":
		return nil
	}
	return usageErrorf(o.cmd, "unknown shell %q: use bash, zsh or fish", o.Shell)
}

// Run prints the script.
func (o *CompletionOptions) Run(context.Context) error {
	switch o.Shell {
	case "bash":
		return o.root.GenBashCompletionV2(o.Out, true)
	case "zsh":
		return o.root.GenZshCompletion(o.Out)
	}
	return o.root.GenFishCompletion(o.Out, true)
}
