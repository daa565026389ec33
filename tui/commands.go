package tui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// The command line (`:`, as in k9s) and the YAML view of a patch (`y`).

// kindAliases maps the words of :KIND to workload kinds.
var kindAliases = map[string]string{
	"deploy": "Deployment", "deployment": "Deployment", "deployments": "Deployment",
	"sts": "StatefulSet", "statefulset": "StatefulSet", "statefulsets": "StatefulSet",
	"ds": "DaemonSet", "daemonset": "DaemonSet", "daemonsets": "DaemonSet",
	"rs": "ReplicaSet", "replicaset": "ReplicaSet", "replicasets": "ReplicaSet",
	"cj": "CronJob", "cronjob": "CronJob", "cronjobs": "CronJob",
	"job": "Job", "jobs": "Job",
	"pod": "Pod", "pods": "Pod", "po": "Pod",
}

// commandHelp lists the commands for the error of an unknown one.
const commandHelp = "ns [NAME|all], deploy|sts|ds|cj|job|pod|all, rec NAME, sort COLUMN, q"

func (m *Model) editPrompt(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		m.prompting = false
		return m.runCommand(strings.TrimSpace(m.prompt))
	case "esc":
		m.prompting, m.prompt = false, ""
	case "backspace":
		if r := []rune(m.prompt); len(r) > 0 {
			m.prompt = string(r[:len(r)-1])
		} else {
			m.prompting = false
		}
	case "ctrl+u":
		m.prompt = ""
	case "ctrl+c":
		return tea.Quit
	case "tab":
		m.prompt = m.completeCommand(m.prompt)
	default:
		if msg.Text != "" && msg.Mod&^tea.ModShift == 0 {
			m.prompt += msg.Text
		}
	}
	return nil
}

// completeCommand completes the last word of a command line: namespaces
// after ns, recommenders after rec.
func (m *Model) completeCommand(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 || (len(f) == 1 && !strings.HasSuffix(line, " ")) {
		return line
	}
	var pool []string
	switch f[0] {
	case "ns", "namespace":
		pool = m.nss
	case "rec", "recommender":
		pool = m.recommenders
	default:
		return line
	}
	prefix := ""
	if !strings.HasSuffix(line, " ") {
		prefix = f[len(f)-1]
	}
	var hits []string
	for _, p := range pool {
		if strings.HasPrefix(p, prefix) {
			hits = append(hits, p)
		}
	}
	if len(hits) != 1 {
		return line
	}
	return f[0] + " " + hits[0]
}

// runCommand runs one command line.
func (m *Model) runCommand(line string) tea.Cmd {
	f := strings.Fields(line)
	if len(f) == 0 {
		return nil
	}
	word, arg := strings.ToLower(f[0]), strings.Join(f[1:], " ")
	switch word {
	case "q", "quit", "q!":
		return tea.Quit
	case "ns", "namespace", "namespaces":
		m.mode = modeTable
		switch arg {
		case "", "all", "-A":
			m.nsIdx = -1
			m.setStatus(false, "all namespaces")
		default:
			i := slices.Index(m.nss, arg)
			if i < 0 {
				m.setStatus(true, "no namespace %q among the workloads: choose from %s", arg, strings.Join(m.nss, ", "))
				return nil
			}
			m.nsIdx = i
			m.setStatus(false, "namespace %s", arg)
		}
		m.rebuildView()
		m.cursor, m.offset = 0, 0
		m.clampScroll()
		return nil
	case "all":
		m.mode, m.kind = modeTable, ""
		m.rebuildView()
		m.setStatus(false, "every kind")
		return nil
	case "rec", "recommender":
		i := slices.Index(m.recommenders, arg)
		if i < 0 {
			m.setStatus(true, "unknown recommender %q: choose from %s", arg, strings.Join(m.recommenders, ", "))
			return nil
		}
		return m.setRecommender(i)
	case "sort":
		i := slices.Index(sortKeys, arg)
		if i < 0 {
			m.setStatus(true, "unknown sort column %q: choose from %s", arg, strings.Join(sortKeys, ", "))
			return nil
		}
		m.sortIdx, m.sortDesc = i, false
		m.rebuildView()
		return nil
	}
	if kind, ok := kindAliases[word]; ok {
		m.mode, m.kind = modeTable, kind
		if arg != "" {
			m.filter = arg
		}
		m.rebuildView()
		m.cursor, m.offset = 0, 0
		m.clampScroll()
		m.setStatus(false, "%s only (:all shows every kind)", kind)
		return nil
	}
	m.setStatus(true, "unknown command %q: use %s", word, commandHelp)
	return nil
}

// openYAML opens the patch of the selected workload as YAML: plain text
// without borders, so that it copies cleanly with the mouse.
func (m *Model) openYAML() {
	r, ok := m.target()
	if !ok {
		return
	}
	c, err := changeFor(r.w, m.shownRec)
	if a, approved := m.approved[r.w.Ref]; approved {
		c, err = a.change, nil
	}
	if err != nil {
		m.setStatus(true, "%v", err)
		return
	}
	m.yamlTitle = fmt.Sprintf("patch of %s (%s)", c.Ref, c.Recommender)
	m.yaml = append([]string{
		fmt.Sprintf("# kubectl patch -n %s %s %s --patch-file patch.yaml", c.Ref.Namespace, resourceName(c.Ref.Kind), c.Ref.Name),
	}, strings.Split(strings.TrimRight(RequestsPatchYAML(c), "\n"), "\n")...)
	m.yamlScroll = 0
}

func (m *Model) yamlKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case msg.String() == "ctrl+c":
		return tea.Quit
	case key.Matches(msg, k.Back), key.Matches(msg, k.YAML), msg.String() == "q":
		m.yaml = nil
	case key.Matches(msg, k.Up):
		m.yamlScroll = max(0, m.yamlScroll-1)
	case key.Matches(msg, k.Down):
		m.yamlScroll++
	default:
		m.unknownKey(msg)
	}
	return nil
}

// yamlLines renders the patch view.
func (m *Model) yamlLines(w, h int) []string {
	s := m.styles
	out := []string{" " + s.title.r(m.yamlTitle) + s.dim.r("  (esc closes; select with the mouse to copy)"), ""}
	room := max(1, h-len(out))
	m.yamlScroll = min(m.yamlScroll, max(0, len(m.yaml)-room))
	for _, l := range m.yaml[m.yamlScroll:min(len(m.yaml), m.yamlScroll+room)] {
		out = append(out, ansi.Truncate(l, w, "…"))
	}
	return out
}

// RequestsPatchYAML returns the patch of RequestsPatch as YAML, for people
// to read and copy: `kubectl patch --patch-file` takes it as it is.
func RequestsPatchYAML(ch Change) string {
	var b strings.Builder
	ind := ""
	b.WriteString("spec:\n")
	if ch.Ref.Kind == "CronJob" {
		b.WriteString("  jobTemplate:\n    spec:\n")
		ind = "    "
	}
	b.WriteString(ind + "  template:\n" + ind + "    spec:\n" + ind + "      containers:\n")
	for _, cc := range ch.Containers {
		fmt.Fprintf(&b, "%s      - name: %s\n", ind, yamlString(cc.Name))
		fmt.Fprintf(&b, "%s        resources:\n%s          requests:\n", ind, ind)
		fmt.Fprintf(&b, "%s            cpu: %s\n", ind, quantityCPU(cc.To.CPUMillicores))
		fmt.Fprintf(&b, "%s            memory: %s\n", ind, quantityMem(cc.To.MemoryBytes))
	}
	return b.String()
}

// yamlString quotes a container name when YAML would read it as something
// else (names are DNS labels, so this is rare).
func yamlString(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`") || s == "true" || s == "false" || s == "null" || s == "yes" || s == "no" {
		return fmt.Sprintf("%q", s)
	}
	return s
}
