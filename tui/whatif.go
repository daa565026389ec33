package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/smartvpa/smartvpa/core/model"
)

// The what-if view (b on a workload): every recommender replayed on the
// workload's own history in the background, then one row per recommender
// with its slack, OOM kills, restarts, updates per day and monthly cost, and
// the choice of the recommender to approve with.

// WhatIfer replays a workload's history against the recommenders. The
// cluster implementation lives in kube/tuisource. It must honour ctx: the
// user cancels a run with Esc.
type WhatIfer interface {
	WhatIf(ctx context.Context, ref Ref) (WhatIf, error)
}

// WhatIf is the outcome of one what-if.
type WhatIf struct {
	Ref Ref
	// Source says where the history came from, e.g. "prometheus at http://…".
	Source string
	// Containers is the number of containers replayed; Hours the measured
	// hours per container (after the warm-up).
	Containers int
	Hours      float64
	Warmup     time.Duration
	// Current is the workload's total request now (containers x replicas).
	Current model.Resources
	// Rows holds one row per recommender, in the source's order.
	Rows []WhatIfRow
	// Notes are remarks: short history, containers without history.
	Notes []string
}

// WhatIfRow is one recommender's figures on the workload's history.
type WhatIfRow struct {
	Recommender string
	// CPUSlack and MemorySlack are relative slacks, means over containers.
	CPUSlack, MemorySlack float64
	OOMs, Restarts        int
	// UpdatesPerDay is per container-day.
	UpdatesPerDay float64
	// Request is the total request the recommender ends with (its last
	// targets x replicas); HasRequest is false when it never answered.
	Request    model.Resources
	HasRequest bool
}

// whatIfState is the open what-if view.
type whatIfState struct {
	ref     Ref
	seq     int
	cancel  context.CancelFunc
	running bool
	started time.Time
	frame   int
	res     *WhatIf
	err     error
	cursor  int
}

// whatIfModel is the what-if's bookkeeping that outlives the view: the run
// counter, and the pick waiting for its recommender's rows.
type whatIfModel struct {
	seq  int
	pick *whatIfPick
	// inner is set while Update handles a list message for the pick.
	inner bool
}

// whatIfPick is a recommender picked in the view: the workload is approved
// once the table shows that recommender's recommendations.
type whatIfPick struct {
	ref         Ref
	recommender string
	approve     bool
}

type (
	whatIfMsg struct {
		seq int
		res WhatIf
		err error
	}
	whatIfTickMsg struct{ seq int }
)

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// whatIfUpdate handles the messages and keys of the what-if view; ok is false
// for a message it leaves to the rest of Update.
func (m *Model) whatIfUpdate(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case listMsg:
		if m.whatIf.pick == nil || m.whatIf.inner {
			return nil, false
		}
		m.whatIf.inner = true
		_, cmd := m.Update(msg)
		m.whatIf.inner = false
		m.finishPick(msg)
		return cmd, true
	case whatIfMsg:
		if m.wi == nil || msg.seq != m.wi.seq {
			return nil, true
		}
		m.wi.running = false
		m.wi.cancel()
		if msg.err != nil {
			m.wi.err = msg.err
			return nil, true
		}
		res := msg.res
		m.wi.res = &res
		for i, r := range res.Rows {
			if r.Recommender == m.recommender() {
				m.wi.cursor = i
			}
		}
		return nil, true
	case whatIfTickMsg:
		if m.wi == nil || msg.seq != m.wi.seq || !m.wi.running {
			return nil, true
		}
		m.wi.frame++
		return m.whatIfTick(), true
	case tea.KeyPressMsg:
		if m.editing || m.prompting || m.dialog != nil || m.yaml != nil || m.help {
			return nil, false
		}
		if m.wi != nil {
			return m.whatIfKey(msg), true
		}
		if key.Matches(msg, m.keys.WhatIf) {
			return m.startWhatIf(), true
		}
	}
	return nil, false
}

func (m *Model) whatIfTick() tea.Cmd {
	if m.noTick {
		return nil
	}
	seq := m.wi.seq
	return tea.Tick(120*time.Millisecond, func(time.Time) tea.Msg { return whatIfTickMsg{seq: seq} })
}

// startWhatIf runs the what-if of the workload under the cursor (or the open
// detail) in the background.
func (m *Model) startWhatIf() tea.Cmd {
	if m.opts.WhatIf == nil {
		m.setStatus(true, "what-if needs a cluster with history: not available in this mode")
		return nil
	}
	r, ok := m.target()
	if !ok {
		return nil
	}
	m.whatIf.seq++
	m.whatIf.pick = nil
	ctx, cancel := context.WithCancel(m.ctx)
	m.wi = &whatIfState{ref: r.w.Ref, seq: m.whatIf.seq, cancel: cancel, running: true, started: time.Now()}
	seq, wi, ref := m.wi.seq, m.opts.WhatIf, r.w.Ref
	run := func() tea.Msg {
		res, err := wi.WhatIf(ctx, ref)
		return whatIfMsg{seq: seq, res: res, err: err}
	}
	return tea.Batch(run, m.whatIfTick())
}

func (m *Model) whatIfKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	wi := m.wi
	switch {
	case key.Matches(msg, k.Quit):
		wi.cancel()
		return tea.Quit
	case key.Matches(msg, k.Back):
		if wi.running {
			m.setStatus(false, "what-if of %s cancelled", wi.ref.KindName())
		}
		wi.cancel()
		m.wi = nil
		return nil
	case wi.res == nil:
		return nil
	case key.Matches(msg, k.Up):
		wi.cursor = max(0, wi.cursor-1)
	case key.Matches(msg, k.Down):
		wi.cursor = min(len(wi.res.Rows)-1, wi.cursor+1)
	case key.Matches(msg, k.Enter, k.Approve):
		return m.pickWhatIf()
	}
	return nil
}

// pickWhatIf switches the table to the recommender under the cursor and,
// when patching is allowed, approves the workload with it once the table
// shows that recommender's recommendations (finishPick).
func (m *Model) pickWhatIf() tea.Cmd {
	wi := m.wi
	if len(wi.res.Rows) == 0 {
		return nil
	}
	name := wi.res.Rows[wi.cursor].Recommender
	idx := -1
	for i, n := range m.recommenders {
		if n == name {
			idx = i
		}
	}
	if idx < 0 {
		m.setStatus(true, "%s cannot recommend for the cluster: pick another", name)
		return nil
	}
	m.wi = nil
	m.recIdx = idx
	m.whatIf.pick = &whatIfPick{ref: wi.ref, recommender: name, approve: m.perm.CanPatch}
	if m.perm.CanPatch {
		m.setStatus(false, "loading %s's recommendations to approve %s", name, wi.ref.KindName())
	} else {
		m.setStatus(false, "table shows %s (read-only: approving is off)", name)
	}
	return m.loadList()
}

// finishPick approves the picked workload once the list of its recommender
// arrived.
func (m *Model) finishPick(msg listMsg) {
	p := m.whatIf.pick
	if msg.recommender != p.recommender {
		return // an older list
	}
	m.whatIf.pick = nil
	if !p.approve {
		return
	}
	r, ok := m.rowByRef(p.ref)
	switch {
	case msg.err != nil || m.shownRec != p.recommender:
		m.setStatus(true, "%s not approved: %s's recommendations did not load", p.ref.KindName(), p.recommender)
	case !ok:
		m.setStatus(true, "%s is gone from the table", p.ref.KindName())
	case r.w.HPAConflict != "":
		m.setStatus(true, "table shows %s; cannot approve %s: %s", p.recommender, p.ref.KindName(), r.w.HPAConflict)
	case !r.hasRec:
		m.setStatus(true, "table shows %s; cannot approve %s: no recommendation yet", p.recommender, p.ref.KindName())
	default:
		// Bound to the numbers the table now shows (see approval).
		c, err := changeFor(r.w, m.shownRec)
		if err != nil {
			m.setStatus(true, "cannot approve %s: %v", p.ref.KindName(), err)
			return
		}
		m.approved[p.ref] = approval{recommender: m.shownRec, change: c}
		m.measureStatus()
		m.setStatus(false, "%s approved with %s (%d approved; A applies)", p.ref.KindName(), p.recommender, len(m.approved))
	}
}

// whatIfCost prices a total request per month.
func (m *Model) whatIfCost(r model.Resources) float64 {
	return model.MonthlyCost(r, m.opts.Prices)
}

// whatIfLines renders the what-if view.
func (m *Model) whatIfLines(w, h int) []string {
	s := m.styles
	wi := m.wi
	out := []string{s.header.r(clipLine(" WHAT-IF "+wi.ref.String(), w)), ""}
	switch {
	case wi.running:
		frame := spinnerFrames[wi.frame%len(spinnerFrames)]
		out = append(out, fmt.Sprintf(" %s replaying the history of %s against every recommender… (esc cancels)", s.info.r(frame), wi.ref.KindName()))
		return out
	case wi.err != nil:
		msg := wi.err.Error()
		if errors.Is(wi.err, context.DeadlineExceeded) {
			msg = "timed out: " + msg
		}
		out = append(out, " "+s.err.r("what-if failed: ")+msg, "", " esc: back to the table")
		return out
	}
	res := wi.res
	out = append(out, fmt.Sprintf(" %d container(s) from %s; warm-up %s, %.0f h measured per container; now %s/month",
		res.Containers, res.Source, fmtInterval(res.Warmup), res.Hours, fmtMoney(m.whatIfCost(res.Current))), "")
	hdr := "  " + strings.Join([]string{fit("RECOMMENDER", 18), fitRight("CPU SLACK", 9), fitRight("MEM SLACK", 9),
		fitRight("OOMS", 5), fitRight("RESTARTS", 8), fitRight("UPD/DAY", 7), fitRight("$/MONTH", 8)}, " ")
	out = append(out, s.header.r(clipLine(hdr, w)))
	for i, r := range res.Rows {
		mark := []byte("  ")
		if i == wi.cursor {
			mark[0] = '>'
		}
		if r.Recommender == m.recommender() {
			mark[1] = '*'
		}
		cost := "-"
		if r.HasRequest {
			cost = fmtMoney(m.whatIfCost(r.Request))
		}
		line := string(mark) + strings.Join([]string{fit(r.Recommender, 18), fitRight(fmt.Sprintf("%.1f%%", 100*r.CPUSlack), 9),
			fitRight(fmt.Sprintf("%.1f%%", 100*r.MemorySlack), 9), fitRight(fmt.Sprint(r.OOMs), 5),
			fitRight(fmt.Sprint(r.Restarts), 8), fitRight(fmt.Sprintf("%.2f", r.UpdatesPerDay), 7), fitRight(cost, 8)}, " ")
		line = clipLine(line, w)
		if i == wi.cursor {
			line = s.selected.r(fit(line, w))
		}
		out = append(out, line)
	}
	out = append(out, "")
	for _, n := range res.Notes {
		out = append(out, wrapWords("note: "+n, w-1, " ")...)
	}
	act := "enter/a: approve with the recommender under the cursor"
	if !m.perm.CanPatch {
		act = "enter: show the table with the recommender under the cursor"
	}
	out = append(out, s.dim.r(clipLine(" * the table's recommender   ↑/↓ pick   "+act+"   esc: back", w)))
	if len(out) > h {
		out = out[:h]
	}
	return out
}

// wrapWords breaks s into lines of at most w cells at spaces, each prefixed
// by indent.
func wrapWords(s string, w int, indent string) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > w-len(indent) {
			out = append(out, indent+line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		out = append(out, indent+line)
	}
	return out
}
