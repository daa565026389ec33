// Package tui owns the k9s-style terminal UI (kubectl smartvpa ui), built on
// Bubble Tea v2, Lip Gloss v2, the Bubbles key bindings and asciigraph.
//
// # Interfaces
//
// The package defines what it consumes: Source (workloads with their requests
// and recommendations, and per workload the usage history and the
// recommender's explanation) and Actions (permission check, server dry-run
// and apply of request changes). kube/ implements them for a cluster;
// DemoSource implements both in memory for tests and `ui --demo`. The package
// imports nothing of the project but core/: no Kubernetes client code.
//
// DemoSource generates a dozen workloads with a small seeded generator (daily
// and weekly cycles, steps, spikes, leaks) whose history ends at DemoEnd, a
// fixed instant, and runs registered recommenders from core/recommend over
// that history (once per recommender, cached). The same seed always shows the
// same screens, which the golden tests and test/tui/run.sh rely on.
//
// # Model
//
// Model is the Bubble Tea model. Update never does I/O: loading the list, a
// detail, the permission, a dry-run or an apply are commands whose answers
// come back as messages tagged with a sequence number, so that an answer that
// arrives after the user moved on is dropped. A tick every Options.Refresh
// reloads the list (and the open detail) unless a load is still running.
//
// Keys are data (KeyMap): Update matches key presses against the bindings,
// the help overlay and the hint line are generated from them, and read-only
// mode disables the approve, apply and dry-run bindings, which removes them
// from the hint line and marks them in the help.
//
// # Rendering
//
// Render returns exactly height lines of exactly width cells. Table numbers
// are computed once per list (setRows), so View only formats the visible
// rows; styles are precomputed escape sequences (paint), which keeps View of
// a 1,000-row table well under the 5 ms goal (BenchmarkView1000Rows). With
// NoColor no colour is drawn at all (bold and reverse remain, as NO_COLOR
// allows); the chart series stay apart by their characters.
//
// # Tests
//
// Tests drive Update with key messages through a harness that runs each
// command synchronously, and compare Render at 80x24 and 200x50, colour
// stripped, with testdata/*.golden (go test ./tui -run TestGoldenViews
// -update rewrites them). They use two tiny recommenders of their own, so
// that the goldens do not move when the real recommenders change.
package tui
