// Package tui owns the k9s-style terminal UI (kubectl smartvpa ui). It defines
// the Source and Actions interfaces it renders and drives; kube/ implements them
// for a cluster and an in-memory source serves tests and the demo.
package tui
