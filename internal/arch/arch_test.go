package arch

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// moduleGraph is the import graph of every package of the module and of
// everything they depend on, from go list -deps.
func moduleGraph(t *testing.T) Graph {
	t.Helper()
	touchSources(t, filepath.Join("..", ".."))
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", Module+"/...")
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %s/...: %v\n%s", Module, err, stderr)
	}
	g := Graph{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 {
			g[f[0]] = f[1:]
		}
	}
	return g
}

// touchSources stats go.mod and every .go file under root. go test caches a
// test's result by the files the test itself opens or stats, not by those the
// go list it runs reads: this makes an edited import invalidate the cached
// result.
func touchSources(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || d.Name() == "go.mod") {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestArchitecture checks the module's real import graph against Rules.
func TestArchitecture(t *testing.T) {
	g := moduleGraph(t)
	for _, r := range Rules {
		// A rule about no package (a package renamed away) would pass for
		// nothing.
		if len(r.Applies(g)) == 0 {
			t.Errorf("rule %q applies to no package of the module: fix its patterns", r.Name)
		}
	}
	for _, v := range Check(g, Rules) {
		t.Error(v)
	}
}

func TestCheckFakeGraph(t *testing.T) {
	const m = Module + "/"
	// base follows every rule: the real layout in miniature.
	base := func() Graph {
		return Graph{
			m + "cmd/kubectl-smartvpa":    {m + "kube/tuisource", m + "kube/operator", m + "kube/emulate", m + "stress", m + "tui"},
			m + "core/model":              {"math"},
			m + "core/sim":                {m + "core/model", "gonum.org/v1/gonum/stat"},
			m + "workloads":               {m + "core/model", "encoding/csv"},
			m + "stress":                  {m + "workloads", m + "core/model", "net/http"},
			m + "tui":                     {m + "core/model", "charm.land/bubbletea/v2"},
			m + "kube":                    {m + "core/sim", m + "workloads", "k8s.io/client-go/kubernetes"},
			m + "kube/operator":           {m + "kube"},
			m + "kube/emulate":            {m + "kube", m + "stress"},
			m + "kube/stressdeploy":       {m + "stress", "k8s.io/api/apps/v1"},
			m + "kube/tuisource":          {m + "kube", m + "tui"},
			"charm.land/bubbletea/v2":     {"github.com/charmbracelet/x/ansi"},
			"k8s.io/client-go/kubernetes": {"k8s.io/api/core/v1"},
		}
	}
	tests := []struct {
		name string
		edit func(Graph)
		want []string
	}{
		{"the layout as it is", func(Graph) {}, nil},
		{"kube imports tui, so the operator links Bubble Tea", func(g Graph) { g[m+"kube"] = append(g[m+"kube"], m+"tui") }, []string{
			"kube depends on tui (kube -> tui): kube links no terminal UI: only the TUI adapter kube/tuisource imports tui",
			"kube/emulate depends on tui (kube/emulate -> kube -> tui): kube links no terminal UI: only the TUI adapter kube/tuisource imports tui",
			"kube/operator depends on tui (kube/operator -> kube -> tui): kube links no terminal UI: only the TUI adapter kube/tuisource imports tui",
		}},
		{"the operator imports lipgloss itself", func(g Graph) { g[m+"kube/operator"] = append(g[m+"kube/operator"], "charm.land/lipgloss/v2") }, []string{
			"kube/operator depends on charm.land/lipgloss/v2 (kube/operator -> charm.land/lipgloss/v2): kube links no terminal UI: only the TUI adapter kube/tuisource imports tui",
		}},
		{"stress uses client-go again", func(g Graph) { g[m+"stress"] = append(g[m+"stress"], "k8s.io/client-go/kubernetes") }, []string{
			"stress depends on k8s.io/client-go/kubernetes (stress -> k8s.io/client-go/kubernetes): stress imports no Kubernetes module (its in-cluster controller is kube/stressdeploy) and of the project only workloads and core/model",
		}},
		{"tui imports kube", func(g Graph) { g[m+"tui"] = append(g[m+"tui"], m+"kube") }, []string{
			"tui depends on kube (tui -> kube): tui imports no Kubernetes module and of the project only core (its Source and Actions are implemented in kube/tuisource)",
		}},
		{"workloads reaches Kubernetes through a helper", func(g Graph) {
			g[m+"workloads"] = append(g[m+"workloads"], "example.com/helper")
			g["example.com/helper"] = []string{"sigs.k8s.io/yaml"}
		}, []string{
			"workloads depends on sigs.k8s.io/yaml (workloads -> example.com/helper -> sigs.k8s.io/yaml): workloads imports no Kubernetes module and of the project only core/model",
			"stress depends on sigs.k8s.io/yaml (stress -> workloads -> example.com/helper -> sigs.k8s.io/yaml): stress imports no Kubernetes module (its in-cluster controller is kube/stressdeploy) and of the project only workloads and core/model",
		}},
		{"core imports workloads", func(g Graph) { g[m+"core/sim"] = append(g[m+"core/sim"], m+"workloads") }, []string{
			"core/sim depends on workloads (core/sim -> workloads): core is stdlib + gonum only: no Kubernetes, no terminal UI, no project package outside core",
		}},
		{"core imports k8s.io", func(g Graph) { g[m+"core/model"] = append(g[m+"core/model"], "k8s.io/apimachinery/pkg/api/resource") }, []string{
			"core/model depends on k8s.io/apimachinery/pkg/api/resource (core/model -> k8s.io/apimachinery/pkg/api/resource): core is stdlib + gonum only: no Kubernetes, no terminal UI, no project package outside core",
			"core/sim depends on k8s.io/apimachinery/pkg/api/resource (core/sim -> core/model -> k8s.io/apimachinery/pkg/api/resource): core is stdlib + gonum only: no Kubernetes, no terminal UI, no project package outside core",
			"workloads depends on k8s.io/apimachinery/pkg/api/resource (workloads -> core/model -> k8s.io/apimachinery/pkg/api/resource): workloads imports no Kubernetes module and of the project only core/model",
			"tui depends on k8s.io/apimachinery/pkg/api/resource (tui -> core/model -> k8s.io/apimachinery/pkg/api/resource): tui imports no Kubernetes module and of the project only core (its Source and Actions are implemented in kube/tuisource)",
			"stress depends on k8s.io/apimachinery/pkg/api/resource (stress -> core/model -> k8s.io/apimachinery/pkg/api/resource): stress imports no Kubernetes module (its in-cluster controller is kube/stressdeploy) and of the project only workloads and core/model",
		}},
		{"the adapter imports cmd", func(g Graph) { g[m+"kube/tuisource"] = append(g[m+"kube/tuisource"], m+"cmd/kubectl-smartvpa") }, []string{
			"kube/tuisource depends on cmd/kubectl-smartvpa (kube/tuisource -> cmd/kubectl-smartvpa): the TUI adapter imports of the project only kube, tui, core, workloads and stress",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := base()
			tt.edit(g)
			var got []string
			for _, v := range Check(g, Rules) {
				got = append(got, v.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("violations:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
