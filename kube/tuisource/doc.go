// Package tuisource is the cluster side of `kubectl smartvpa ui`: Source
// implements tui.Source (source.go: workloads, history, recommendations, with
// their caches) and tui.Actions (actions.go: permission check, dry-run and
// apply through kube's Applier).
//
// It is the one package under kube/ that imports the TUI (package tui, and so
// Bubble Tea); the rest of kube, the operator and the emulator never link it.
// The architecture test at the repository root holds that rule.
package tuisource
