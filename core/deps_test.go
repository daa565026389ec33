package core_test

import (
	"os/exec"
	"strings"
	"testing"
)

// forbiddenPrefixes are import paths the engine must never depend on: core is
// stdlib + gonum only, so it can be embedded, simulated and benchmarked without
// a cluster or a terminal.
var forbiddenPrefixes = []string{
	"k8s.io/",
	"sigs.k8s.io/",
	"charm.land/",
	"github.com/charmbracelet/",
}

// TestCoreDependencyDirection fails when any package under core depends,
// directly or transitively, on Kubernetes or terminal UI modules.
func TestCoreDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/smartvpa/smartvpa/core/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps ./core/...: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps printed nothing")
	}
	var bad []string
	for _, d := range deps {
		for _, p := range forbiddenPrefixes {
			if strings.HasPrefix(d, p) {
				bad = append(bad, d)
			}
		}
		if strings.HasPrefix(d, "github.com/smartvpa/smartvpa/") && !strings.HasPrefix(d, "github.com/smartvpa/smartvpa/core") {
			bad = append(bad, d+" (project package outside core)")
		}
	}
	if len(bad) > 0 {
		t.Fatalf("core must depend on stdlib + gonum only, but depends on:\n  %s", strings.Join(bad, "\n  "))
	}
}
