package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/smartvpa/smartvpa/core/model"
)

// Options configures the TUI.
type Options struct {
	// Source is where workloads come from (required).
	Source Source
	// Actions dry-runs and applies changes; nil means read-only.
	Actions Actions
	// Refresh is the interval of the live refresh; 0 means 5s.
	Refresh time.Duration
	// Recommender is the initial recommender; empty means the source's first.
	Recommender string
	// Namespace, when set, starts the table on that namespace.
	Namespace string
	// NoColor renders without colours (NO_COLOR, --no-color).
	NoColor bool
	// Prices price the monthly saving (model.MonthlySavings, the formula
	// recommend and audit use); zero means model.DefaultPrices.
	Prices model.Prices
	// Simulated says that Actions change nothing real (the demo): dialogs
	// and results are labelled simulated.
	Simulated bool
	// Context is the parent of every call to Source and Actions; nil means
	// context.Background().
	Context context.Context
	// Timeout bounds each call to Source and Actions; 0 means 30s.
	Timeout time.Duration
	// WhatIf runs the what-if view (b); nil turns it off.
	WhatIf WhatIfer
}

type mode int

const (
	modeTable mode = iota
	modeDetail
)

// approval is an approved workload with the numbers the user saw: the
// recommender shown when `a` was pressed and the change built from it. `A`
// applies exactly these, whatever recommender is shown later.
type approval struct {
	recommender string
	change      Change
}

// Model is the Bubble Tea model of the TUI. Its pointer implements tea.Model;
// all I/O runs in commands, never in Update or View.
type Model struct {
	opts   Options
	ctx    context.Context
	keys   KeyMap
	styles styles

	width, height int
	mode          mode
	help          bool
	dialog        *dialog

	recommenders []string
	recIdx       int
	shownRec     string // the recommender of the rows shown

	rows     []row // every workload, sorted by name
	view     []int // indices into rows after namespace filter, filter and sort
	cursor   int   // index into view
	offset   int   // first visible row of view
	sortIdx  int
	sortDesc bool // S: the current sort reversed
	nsIdx    int  // -1: all namespaces
	// kind, when set, shows only workloads of this kind (:deploy, :sts, ...).
	kind string
	nss  []string
	// maxNS and maxName are the widest namespace and kind/name, for the layout.
	maxNS, maxName int
	// colWidth is the widest cell per table column (measureColumns).
	colWidth map[string]int
	filter   string
	editing  bool // the filter input has focus
	// prompting: the command line (:) has focus; prompt is its text.
	prompting bool
	prompt    string
	approved  map[Ref]approval
	// yaml, when not nil, is the patch view (y): the lines shown.
	yaml       []string
	yamlTitle  string
	yamlScroll int

	loading bool
	listSeq int
	loaded  bool

	detailRef     Ref
	detail        *Detail
	detailErr     error
	detailSeq     int
	container     int
	detailScroll  int
	detailLoading bool
	internals     bool // i: the explanation's internals are shown

	perm      Permission
	permKnown bool

	status    string // last message for the status line
	statusErr bool
	dialogSeq int

	// wi is the open what-if view (whatif.go), nil when closed; whatIf its
	// bookkeeping.
	wi     *whatIfState
	whatIf whatIfModel

	// noTick disables the refresh timer (tests).
	noTick bool
}

// New returns the model for opts.
func New(opts Options) *Model {
	if opts.Refresh <= 0 {
		opts.Refresh = 5 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Prices == (model.Prices{}) {
		opts.Prices = model.DefaultPrices
	}
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	m := &Model{
		opts:     opts,
		ctx:      ctx,
		keys:     DefaultKeyMap(),
		styles:   newStyles(opts.NoColor),
		width:    80,
		height:   24,
		nsIdx:    -1,
		approved: map[Ref]approval{},
	}
	m.recommenders = opts.Source.Recommenders()
	for i, n := range m.recommenders {
		if n == opts.Recommender {
			m.recIdx = i
		}
	}
	m.keys.setReadOnly(true)
	if opts.Actions == nil {
		m.perm = Permission{Reason: "no actions in this mode"}
		m.permKnown = true
	} else {
		m.perm = Permission{Reason: "checking permissions"}
	}
	return m
}

// Messages from commands.
type (
	listMsg struct {
		seq         int
		recommender string
		workloads   []Workload
		err         error
	}
	detailMsg struct {
		seq    int
		detail Detail
		err    error
	}
	permMsg struct {
		perm Permission
		err  error
	}
	dryRunMsg struct {
		seq     int
		results []Result
		err     error
	}
	applyMsg struct {
		seq     int
		results []Result
		err     error
	}
	tickMsg struct{}
)

func (m *Model) recommender() string {
	if len(m.recommenders) == 0 {
		return ""
	}
	return m.recommenders[m.recIdx]
}

// Init starts the first load, the permission check and the refresh timer.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.loadList()}
	if m.opts.Actions != nil {
		actions, ctx, timeout := m.opts.Actions, m.ctx, m.opts.Timeout
		cmds = append(cmds, func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			p, err := actions.Permission(ctx)
			return permMsg{perm: p, err: err}
		})
	}
	cmds = append(cmds, m.tick())
	return tea.Batch(cmds...)
}

func (m *Model) tick() tea.Cmd {
	if m.noTick {
		return nil
	}
	return tea.Tick(m.opts.Refresh, func(time.Time) tea.Msg { return tickMsg{} })
}

// loadList starts loading the rows of the current recommender.
func (m *Model) loadList() tea.Cmd {
	rec := m.recommender()
	if rec == "" {
		m.setStatus(true, "no recommender available: build with at least one recommender")
		return nil
	}
	m.listSeq++
	m.loading = true
	seq, src, ctx, timeout := m.listSeq, m.opts.Source, m.ctx, m.opts.Timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		ws, err := src.List(ctx, rec)
		return listMsg{seq: seq, recommender: rec, workloads: ws, err: err}
	}
}

// loadDetail starts loading the detail of the open workload.
func (m *Model) loadDetail() tea.Cmd {
	rec := m.recommender()
	if rec == "" || m.mode != modeDetail {
		return nil
	}
	m.detailSeq++
	m.detailLoading = true
	seq, src, ctx, timeout, ref := m.detailSeq, m.opts.Source, m.ctx, m.opts.Timeout, m.detailRef
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		d, err := src.Detail(ctx, ref, rec)
		return detailMsg{seq: seq, detail: d, err: err}
	}
}

func (m *Model) setStatus(isErr bool, format string, args ...any) {
	m.status = fmt.Sprintf(format, args...)
	m.statusErr = isErr
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if cmd, ok := m.whatIfUpdate(msg); ok {
		return m, cmd
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.clampScroll()
		return m, nil
	case tickMsg:
		var cmds []tea.Cmd
		if !m.loading {
			cmds = append(cmds, m.loadList())
		}
		if m.mode == modeDetail && !m.detailLoading {
			cmds = append(cmds, m.loadDetail())
		}
		cmds = append(cmds, m.tick())
		return m, tea.Batch(cmds...)
	case listMsg:
		if msg.seq != m.listSeq {
			return m, nil
		}
		m.loading = false
		if msg.err != nil {
			m.setStatus(true, "refresh failed: %v", msg.err)
			return m, nil
		}
		m.setRows(msg.workloads, msg.recommender)
		if m.statusErr && strings.HasPrefix(m.status, "refresh failed") {
			m.status, m.statusErr = "", false
		}
		return m, nil
	case detailMsg:
		if msg.seq != m.detailSeq {
			return m, nil
		}
		m.detailLoading = false
		m.detailErr = msg.err
		if msg.err == nil {
			d := msg.detail
			m.detail = &d
			if m.container >= len(d.Containers) {
				m.container = 0
			}
		}
		return m, nil
	case permMsg:
		m.permKnown = true
		m.perm = msg.perm
		if msg.err != nil {
			m.perm = Permission{Reason: fmt.Sprintf("cannot check permissions: %v", msg.err)}
		}
		if !m.perm.CanPatch && m.perm.Reason == "" {
			m.perm.Reason = "patching is forbidden"
		}
		m.keys.setReadOnly(!m.perm.CanPatch)
		return m, nil
	case dryRunMsg:
		if m.dialog == nil || msg.seq != m.dialogSeq {
			return m, nil
		}
		m.dialog.busy = ""
		m.dialog.results, m.dialog.err = msg.results, msg.err
		return m, nil
	case applyMsg:
		cmd := m.applied(msg)
		return m, cmd
	case tea.KeyPressMsg:
		cmd := m.handleKey(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if m.editing {
		return m.editFilter(msg)
	}
	if m.prompting {
		return m.editPrompt(msg)
	}
	if m.dialog != nil {
		return m.dialogKey(msg)
	}
	if m.yaml != nil {
		return m.yamlKey(msg)
	}
	if m.help {
		switch {
		case key.Matches(msg, k.Quit):
			return tea.Quit
		case key.Matches(msg, k.Help, k.Back):
			m.help = false
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.help = true
		return nil
	case key.Matches(msg, k.Refresh):
		m.setStatus(false, "refreshing")
		cmds := []tea.Cmd{m.loadList()}
		if m.mode == modeDetail {
			cmds = append(cmds, m.loadDetail())
		}
		return tea.Batch(cmds...)
	case key.Matches(msg, k.Recommender):
		if len(m.recommenders) == 0 {
			m.setStatus(true, "no recommender available")
			return nil
		}
		return m.setRecommender((m.recIdx + 1) % len(m.recommenders))
	case key.Matches(msg, k.Approve):
		return m.approve()
	case key.Matches(msg, k.ApplyMarked):
		return m.applyMarked()
	case key.Matches(msg, k.DryRun):
		return m.dryRunSelected()
	case key.Matches(msg, k.YAML):
		m.openYAML()
		return nil
	case key.Matches(msg, k.Command):
		m.prompting, m.prompt = true, ""
		return nil
	}
	if !m.perm.CanPatch && (msg.String() == "a" || msg.String() == "A" || msg.String() == "d") {
		m.setStatus(true, "approve, apply and dry-run are off in read-only mode")
		return nil
	}
	if m.mode == modeDetail {
		return m.detailKey(msg)
	}
	return m.tableKey(msg)
}

// setRecommender shows recommender i. Approvals keep the numbers they were
// made with (their recommender is named in the status column and the apply
// dialog); the status line says so, so that nobody applies numbers they did
// not see.
func (m *Model) setRecommender(i int) tea.Cmd {
	m.recIdx = i
	msg := "recommender " + m.recommender()
	if kept := m.approvalsFrom(m.recommender()); kept > 0 {
		msg += fmt.Sprintf(" · %d approval(s) keep the numbers of the recommender they were approved with (A applies those; a twice re-approves with %s)", kept, m.recommender())
	}
	m.setStatus(false, "%s", msg)
	cmds := []tea.Cmd{m.loadList()}
	if m.mode == modeDetail {
		cmds = append(cmds, m.loadDetail())
	}
	return tea.Batch(cmds...)
}

// approvalsFrom counts the approvals made with another recommender than rec.
func (m *Model) approvalsFrom(rec string) int {
	n := 0
	for _, a := range m.approved {
		if a.recommender != rec {
			n++
		}
	}
	return n
}

// unknownKey tells the user that a key does nothing here.
func (m *Model) unknownKey(msg tea.KeyPressMsg) {
	k := msg.String()
	if k == "" || strings.HasPrefix(k, "shift+") || k == "ctrl" || k == "alt" {
		return
	}
	m.setStatus(true, "key %s does nothing here: ? lists the keys", k)
}
