// Package core is the engine of smartvpa: recommenders, the updater policy and
// the simulator. It depends on the standard library and gonum only; nothing under
// core imports Kubernetes, terminal UI or any other project package outside core.
// The dependency test in this package enforces that.
package core
