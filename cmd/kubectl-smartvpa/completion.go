package main

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func newCompletionCmd(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
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
		ValidArgs:    []string{"bash", "zsh", "fish"},
		Args:         exactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(streams.Out, true)
			case "zsh":
				return root.GenZshCompletion(streams.Out)
			case "fish":
				return root.GenFishCompletion(streams.Out, true)
			}
			return usageErrorf(cmd.CommandPath(), "unknown shell %q: use bash, zsh or fish", args[0])
		},
	}
}
