// Package arch states the dependency rules of the project's layout (see
// ARCHITECTURE.md, "Layout and dependency direction") and checks an import
// graph against them. The graph of the real module is checked by this
// package's test (go list -deps); Check itself is pure, so the rules are also
// tested on fake graphs that break them.
package arch

import (
	"fmt"
	"sort"
	"strings"
)

// Module is the project's module path.
const Module = "github.com/smartvpa/smartvpa"

// Graph maps an import path to the import paths it imports directly.
type Graph map[string][]string

// Rule is one dependency rule: no package matched by Packages (and not by
// Except) may depend, directly or through others, on an import path that
// starts with one of Forbid, or on a project package that matches none of
// ProjectAllow (when ProjectAllow is set). Patterns are module-relative:
// "kube" is the package itself, "kube/..." it and every package below it.
type Rule struct {
	Name         string
	Packages     []string
	Except       []string
	Forbid       []string
	ProjectAllow []string
}

// Rules are the project's rules.
var Rules = []Rule{
	{
		Name:         "core is stdlib + gonum only: no Kubernetes, no terminal UI, no project package outside core",
		Packages:     []string{"core/..."},
		Forbid:       []string{"k8s.io/", "sigs.k8s.io/", "charm.land/", "github.com/charmbracelet/"},
		ProjectAllow: []string{"core/..."},
	},
	{
		Name:         "workloads imports no Kubernetes module and of the project only core/model",
		Packages:     []string{"workloads/..."},
		Forbid:       []string{"k8s.io/", "sigs.k8s.io/", "charm.land/", "github.com/charmbracelet/"},
		ProjectAllow: []string{"workloads/...", "core/model"},
	},
	{
		Name:         "tui imports no Kubernetes module and of the project only core (its Source and Actions are implemented in kube/tuisource)",
		Packages:     []string{"tui/..."},
		Forbid:       []string{"k8s.io/", "sigs.k8s.io/"},
		ProjectAllow: []string{"tui/...", "core/..."},
	},
	{
		Name:         "stress imports no Kubernetes module (its in-cluster controller is kube/stressdeploy) and of the project only workloads and core/model",
		Packages:     []string{"stress/..."},
		Forbid:       []string{"k8s.io/", "sigs.k8s.io/"},
		ProjectAllow: []string{"stress/...", "workloads/...", "core/model"},
	},
	{
		Name:         "kube links no terminal UI: only the TUI adapter kube/tuisource imports tui",
		Packages:     []string{"kube/..."},
		Except:       []string{"kube/tuisource"},
		Forbid:       []string{"charm.land/", "github.com/charmbracelet/"},
		ProjectAllow: []string{"kube/...", "core/...", "workloads/...", "stress/..."},
	},
	{
		Name:         "the TUI adapter imports of the project only kube, tui, core, workloads and stress",
		Packages:     []string{"kube/tuisource"},
		ProjectAllow: []string{"kube/...", "tui/...", "core/...", "workloads/...", "stress/..."},
	},
}

// Violation is a package that breaks a rule: Path is the import chain from
// the package to the dependency the rule forbids.
type Violation struct {
	Rule string
	Path []string
}

func (v Violation) String() string {
	short := make([]string, len(v.Path))
	for i, p := range v.Path {
		short[i] = rel(p)
	}
	return fmt.Sprintf("%s depends on %s (%s): %s", short[0], short[len(short)-1], strings.Join(short, " -> "), v.Rule)
}

// rel returns a project import path relative to the module, others as they
// are.
func rel(path string) string {
	if path == Module {
		return "."
	}
	if r, ok := strings.CutPrefix(path, Module+"/"); ok {
		return r
	}
	return path
}

// match reports whether module-relative pattern matches import path p.
func match(pattern, p string) bool {
	r := rel(p)
	if r == p && !strings.HasPrefix(p, Module) {
		return false // not a project package
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return r == base || strings.HasPrefix(r, base+"/")
	}
	return r == pattern
}

func matchAny(patterns []string, p string) bool {
	for _, pat := range patterns {
		if match(pat, p) {
			return true
		}
	}
	return false
}

// forbidden reports whether rule r forbids depending on import path dep.
func (r Rule) forbidden(dep string) bool {
	for _, f := range r.Forbid {
		if strings.HasPrefix(dep, f) {
			return true
		}
	}
	isProject := dep == Module || strings.HasPrefix(dep, Module+"/")
	return isProject && r.ProjectAllow != nil && !matchAny(r.ProjectAllow, dep)
}

// Applies returns the packages of g that rule r is about, sorted.
func (r Rule) Applies(g Graph) []string {
	var out []string
	for p := range g {
		if matchAny(r.Packages, p) && !matchAny(r.Except, p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// Check returns the violations of rules in g: for each package and rule, the
// first forbidden dependency in breadth-first order with its import chain,
// sorted by package.
func Check(g Graph, rules []Rule) []Violation {
	var out []Violation
	for _, r := range rules {
		for _, p := range r.Applies(g) {
			if path := firstForbidden(g, p, r); path != nil {
				out = append(out, Violation{Rule: r.Name, Path: path})
			}
		}
	}
	return out
}

// firstForbidden walks the dependencies of start breadth-first and returns
// the chain to the first one r forbids, or nil.
func firstForbidden(g Graph, start string, r Rule) []string {
	parent := map[string]string{start: ""}
	queue := []string{start}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		deps := append([]string(nil), g[p]...)
		sort.Strings(deps)
		for _, d := range deps {
			if _, seen := parent[d]; seen {
				continue
			}
			parent[d] = p
			if r.forbidden(d) {
				var path []string
				for x := d; x != ""; x = parent[x] {
					path = append([]string{x}, path...)
				}
				return path
			}
			queue = append(queue, d)
		}
	}
	return nil
}
