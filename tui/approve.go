package tui

import (
	"context"
	"sort"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/smartvpa/smartvpa/core/model"
)

// Approving and applying: the approved set, the dry-run and confirm dialog,
// and the apply through Actions.

// dialog is the confirm dialog (apply) or the dry-run result (d).
type dialog struct {
	apply   bool // true: confirm and apply; false: dry-run only
	changes []Change
	results []Result
	err     error
	busy    string // what we wait for, "" when idle
	scroll  int
}

// target returns the workload the change keys act on: the open detail, or
// the row under the cursor.
func (m *Model) target() (*row, bool) {
	if m.mode == modeDetail {
		return m.rowByRef(m.detailRef)
	}
	return m.selected()
}

func (m *Model) approve() tea.Cmd {
	r, ok := m.target()
	if !ok {
		return nil
	}
	ref := r.w.Ref
	_, was := m.approved[ref]
	switch {
	case was:
		delete(m.approved, ref)
		m.measureStatus()
		m.setStatus(false, "%s no longer approved", ref)
	case r.w.HPAConflict != "":
		m.setStatus(true, "cannot approve %s: %s; exclude the resource from the HPA first", ref, r.w.HPAConflict)
	case !r.hasRec:
		m.setStatus(true, "cannot approve %s: no recommendation yet", ref)
	default:
		c, err := changeFor(r.w, m.shownRec)
		if err != nil {
			m.setStatus(true, "cannot approve %s: %v", ref, err)
			return nil
		}
		m.approved[ref] = approval{recommender: m.shownRec, change: c}
		m.measureStatus()
		m.setStatus(false, "%s approved with %s (%d approved; A applies)", ref, m.shownRec, len(m.approved))
	}
	if m.sortIdx < len(sortKeys) && sortKeys[m.sortIdx] == "status" {
		m.rebuildView()
		m.selectRef(ref)
	}
	return nil
}

// approvedChanges returns the changes as they were approved (the numbers
// the user saw, whatever recommender is shown now), by reference.
func (m *Model) approvedChanges() ([]Change, error) {
	out := make([]Change, 0, len(m.approved))
	for _, a := range m.approved {
		out = append(out, a.change)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref.String() < out[j].Ref.String() })
	return out, nil
}

// changeSaving is what a change saves a month: model.MonthlySavings of
// each container at the workload's replicas.
func (m *Model) changeSaving(c Change) float64 {
	replicas := 1.0
	if r, ok := m.rowByRef(c.Ref); ok {
		replicas = float64(max(r.w.Replicas, 1))
	}
	total := 0.0
	for _, cc := range c.Containers {
		total += model.MonthlySavings(cc.From, cc.To, replicas, m.opts.Prices)
	}
	return total
}

func (m *Model) applyMarked() tea.Cmd {
	changes, err := m.approvedChanges()
	if err != nil {
		m.setStatus(true, "%v", err)
		return nil
	}
	if len(changes) == 0 {
		m.setStatus(true, "nothing approved: press a on a workload first")
		return nil
	}
	m.dialog = &dialog{apply: true, changes: changes}
	return m.startDryRun()
}

func (m *Model) dryRunSelected() tea.Cmd {
	r, ok := m.target()
	if !ok {
		return nil
	}
	c, err := changeFor(r.w, m.shownRec)
	if err != nil {
		m.setStatus(true, "%v", err)
		return nil
	}
	m.dialog = &dialog{changes: []Change{c}}
	return m.startDryRun()
}

func (m *Model) startDryRun() tea.Cmd {
	m.dialogSeq++
	m.dialog.busy = "waiting for the server dry-run"
	seq, actions, ctx, timeout, changes := m.dialogSeq, m.opts.Actions, m.ctx, m.opts.Timeout, m.dialog.changes
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		res, err := actions.DryRun(ctx, changes)
		return dryRunMsg{seq: seq, results: res, err: err}
	}
}

// passed returns the changes whose dry-run succeeded.
func (d *dialog) passed() []Change {
	if d.err != nil {
		return nil
	}
	ok := map[Ref]bool{}
	for _, r := range d.results {
		if r.Err == nil {
			ok[r.Ref] = true
		}
	}
	var out []Change
	for _, c := range d.changes {
		if ok[c.Ref] {
			out = append(out, c)
		}
	}
	return out
}

func (m *Model) dialogKey(msg tea.KeyPressMsg) tea.Cmd {
	d, k := m.dialog, m.keys
	switch {
	case msg.String() == "ctrl+c":
		return tea.Quit
	case key.Matches(msg, k.Cancel):
		m.dialog = nil
		m.dialogSeq++ // ignore answers still on their way
		if d.apply {
			m.setStatus(false, "apply cancelled")
		}
	case key.Matches(msg, k.Up):
		d.scroll = max(0, d.scroll-1)
	case key.Matches(msg, k.Down):
		d.scroll++
	case key.Matches(msg, k.Confirm):
		if !d.apply || d.busy != "" {
			return nil
		}
		changes := d.passed()
		if len(changes) == 0 {
			m.setStatus(true, "no change passed the dry-run: nothing to apply")
			return nil
		}
		m.dialogSeq++
		d.busy = "applying"
		seq, actions, ctx, timeout := m.dialogSeq, m.opts.Actions, m.ctx, m.opts.Timeout
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			res, err := actions.Apply(ctx, changes)
			return applyMsg{seq: seq, results: res, err: err}
		}
	}
	return nil
}

// applied handles the end of an apply.
func (m *Model) applied(msg applyMsg) tea.Cmd {
	if m.dialog == nil || msg.seq != m.dialogSeq {
		return nil
	}
	d := m.dialog
	d.busy = ""
	d.results, d.err = msg.results, msg.err
	ok, failed := 0, 0
	saving := 0.0
	for _, r := range msg.results {
		if r.Err == nil {
			ok++
			for _, c := range d.changes {
				if c.Ref == r.Ref {
					saving += m.changeSaving(c)
				}
			}
			delete(m.approved, r.Ref)
			m.measureStatus()
		} else {
			failed++
		}
	}
	switch {
	case msg.err != nil:
		m.setStatus(true, "apply failed: %v", msg.err)
	case failed > 0:
		m.setStatus(true, "applied %d of %d workloads: %d failed, see the dialog", ok, ok+failed, failed)
	default:
		m.setStatus(false, "%s %d workload(s): %s a month", m.appliedVerb(), ok, savingWords(saving))
		m.dialog = nil
	}
	d.apply = false // what is left to show are results, not a question
	return m.loadList()
}

// appliedVerb is "applied", or "applied (simulated)" in the demo.
func (m *Model) appliedVerb() string {
	if m.opts.Simulated {
		return "applied (simulated, no cluster)"
	}
	return "applied"
}

// savingWords says what an amount per month means: "saves $12", "costs $3 more".
func savingWords(v float64) string {
	if v < 0 {
		return "costs " + fmtMoney(-v) + " more"
	}
	return "saves " + fmtMoney(v)
}
