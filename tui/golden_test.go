package tui

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// goldenScenarios are the screens kept as golden text, each reached by a key
// sequence from the start.
var goldenScenarios = []struct {
	name     string
	readOnly string
	keys     []string
}{
	{"table", "", nil},
	{"detail", "", []string{"j", "j", "j", "j", "enter"}},
	{"detail-second-container", "", []string{"/", "f", "r", "o", "n", "t", "enter", "enter", "tab"}},
	{"help", "", []string{"?"}},
	{"filter", "", []string{"/", "s", "h", "o", "p"}},
	{"sorted-by-saving", "", []string{"s", "s"}},
	{"confirm", "", []string{"/", "p", "a", "y", "enter", "a", "j", "a", "A"}},
	{"applied", "", []string{"/", "p", "a", "y", "enter", "a", "j", "a", "A", "y"}},
	{"dry-run", "", []string{"d"}},
	{"read-only", "RBAC forbids patch on deployments.apps in payments", []string{"a"}},
}

// TestGoldenViews compares View at fixed sizes, colour stripped, with
// testdata/*.golden. Run `go test ./tui -run TestGoldenViews -update` to
// rewrite them after an intended change.
func TestGoldenViews(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		for _, sc := range goldenScenarios {
			name := fmt.Sprintf("%s-%dx%d", sc.name, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				hs := demoHarness(t, size[0], size[1], sc.readOnly)
				hs.keys(sc.keys...)
				got := []byte(ansi.Strip(hs.m.Render()) + "\n")
				path := filepath.Join("testdata", name+".golden")
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from %s (run with -update if intended):\n--- got\n%s\n--- want\n%s", name, path, got, want)
				}
			})
		}
	}
}
