package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/smartvpa/smartvpa/workloads"
)

// offlineCommands talk to no cluster: their help leaves out kubectl's ~20
// kubeconfig flags (inherited from the root), all but the ones listed.
// workload import keeps -n and the kubeconfig for --format prometheus.
var offlineCommands = map[string][]string{
	"backtest":          nil,
	"completion":        nil,
	"simulate":          nil,
	"stress local":      nil,
	"train":             nil,
	"version":           nil,
	"workload":          nil,
	"workload generate": nil,
	"workload import":   {"namespace", "kubeconfig", "context"},
	"workload list":     nil,
	"workload show":     nil,
}

// relPath is a command's path without the root: "workload show".
func relPath(cmd *cobra.Command) string {
	return strings.TrimPrefix(strings.TrimPrefix(cmd.CommandPath(), rootName), " ")
}

// hideKubeFlags hides the kubeconfig flags an offline command does not use
// and returns the function that shows them again.
func hideKubeFlags(root, cmd *cobra.Command) (restore func()) {
	keep, offline := offlineCommands[relPath(cmd)]
	if !offline {
		return func() {}
	}
	var hidden []*pflag.Flag
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && !slices.Contains(keep, f.Name) {
			f.Hidden = true
			hidden = append(hidden, f)
		}
	})
	return func() {
		for _, f := range hidden {
			f.Hidden = false
		}
	}
}

// suggest appends "did you mean" to an unknown subcommand's error.
func suggest(cmd *cobra.Command, typed string) string {
	msg := fmt.Sprintf("unknown command %q for %q", typed, cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default for its own message
	}
	if s := cmd.SuggestionsFor(typed); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
	}
	return msg
}

// completeWorkloadIDs completes workload ids from the store (--store, else
// data/workloads).
func completeWorkloadIDs(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	dir := workloads.DefaultStoreDir
	if f := cmd.Flags().Lookup("store"); f != nil && f.Value.String() != "" {
		dir = f.Value.String()
	}
	metas, err := workloads.OpenStore(dir).List()
	if err != nil {
		return nil, cobra.ShellCompDirectiveDefault // a path is fine too
	}
	var ids []string
	for _, m := range metas {
		if strings.HasPrefix(m.ID, toComplete) {
			ids = append(ids, m.ID+"\t"+m.Type)
		}
	}
	return ids, cobra.ShellCompDirectiveDefault // ids, or a folder or trace.csv
}
