package tui

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/smartvpa/smartvpa/core/model"
)

// Pricing turns resources into money for the saving column.
type Pricing struct {
	// CPUCoreMonth is the price of one core for a month.
	CPUCoreMonth float64
	// MemoryGiBMonth is the price of one GiB of memory for a month.
	MemoryGiBMonth float64
}

// DefaultPricing is a typical on-demand cloud price (about $0.0316 per
// vCPU-hour and $0.0042 per GiB-hour, 730 hours a month).
var DefaultPricing = Pricing{CPUCoreMonth: 23.08, MemoryGiBMonth: 3.09}

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
	// Pricing prices the monthly saving; zero means DefaultPricing.
	Pricing Pricing
	// Context is the parent of every call to Source and Actions; nil means
	// context.Background().
	Context context.Context
	// Timeout bounds each call to Source and Actions; 0 means 30s.
	Timeout time.Duration
}

type mode int

const (
	modeTable mode = iota
	modeDetail
)

// sortKeys are the table's sort orders, in the order `s` cycles them.
var sortKeys = []string{"name", "drift", "saving", "confidence", "status"}

// row is one workload with the numbers the table shows, computed once per
// list (View only formats them).
type row struct {
	w                              Workload
	key                            string // lower-case ref, for the filter
	kindName                       string
	cpuReq, cpuRec, memReq, memRec float64
	drift                          float64 // signed %, the resource with the largest |drift|
	hasRec                         bool
	conf                           float64
	saving                         float64
}

// dialog is the confirm dialog (apply) or the dry-run result (d).
type dialog struct {
	apply   bool // true: confirm and apply; false: dry-run only
	changes []Change
	results []Result
	err     error
	busy    string // what we wait for, "" when idle
	scroll  int
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

	rows    []row // every workload, sorted by name
	view    []int // indices into rows after namespace filter, filter and sort
	cursor  int   // index into view
	offset  int   // first visible row of view
	sortIdx int
	nsIdx   int // -1: all namespaces
	nss     []string
	// maxNS and maxName are the widest namespace and kind/name, for the layout.
	maxNS, maxName int
	filter         string
	editing        bool // the filter input has focus
	approved       map[Ref]bool

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

	perm      Permission
	permKnown bool

	status    string // last message for the status line
	statusErr bool
	dialogSeq int

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
	if opts.Pricing == (Pricing{}) {
		opts.Pricing = DefaultPricing
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
		approved: map[Ref]bool{},
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
		return m, m.applied(msg)
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	}
	return m, nil
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
	for _, r := range msg.results {
		if r.Err == nil {
			ok++
			delete(m.approved, r.Ref)
		} else {
			failed++
		}
	}
	if msg.err != nil {
		m.setStatus(true, "apply failed: %v", msg.err)
	} else if failed > 0 {
		m.setStatus(true, "applied %d of %d workloads: %d failed, see the dialog", ok, ok+failed, failed)
	} else {
		m.setStatus(false, "applied %d workload(s)", ok)
		m.dialog = nil
	}
	d.apply = false // what is left to show are results, not a question
	return m.loadList()
}

// setRows replaces the rows with a fresh list.
func (m *Model) setRows(ws []Workload, rec string) {
	var sel Ref
	hadSel := m.cursor < len(m.view)
	if hadSel {
		sel = m.rows[m.view[m.cursor]].w.Ref
	}
	m.shownRec = rec
	m.view = m.view[:0]
	m.rows = m.rows[:0]
	nsSet := map[string]bool{}
	m.maxNS, m.maxName = 0, 0
	for _, w := range ws {
		r := m.makeRow(w)
		m.rows = append(m.rows, r)
		nsSet[w.Ref.Namespace] = true
		m.maxNS = max(m.maxNS, ansi.StringWidth(w.Ref.Namespace))
		m.maxName = max(m.maxName, ansi.StringWidth(r.kindName))
	}
	sort.Slice(m.rows, func(i, j int) bool { return m.rows[i].key < m.rows[j].key })
	var curNS string
	if m.nsIdx >= 0 && m.nsIdx < len(m.nss) {
		curNS = m.nss[m.nsIdx]
	} else if !m.loaded && m.opts.Namespace != "" {
		curNS = m.opts.Namespace
	}
	m.nss = m.nss[:0]
	for ns := range nsSet {
		m.nss = append(m.nss, ns)
	}
	sort.Strings(m.nss)
	m.nsIdx = -1
	for i, ns := range m.nss {
		if ns == curNS {
			m.nsIdx = i
		}
	}
	m.loaded = true
	m.rebuildView()
	if hadSel {
		m.selectRef(sel)
	}
}

func (m *Model) makeRow(w Workload) row {
	r := row{w: w, kindName: w.Ref.KindName(), conf: 1}
	r.key = strings.ToLower(w.Ref.Namespace + "/" + r.kindName)
	replicas := float64(max(w.Replicas, 1))
	var cpuDrift, memDrift float64
	for _, c := range w.Containers {
		r.cpuReq += c.Request.CPUMillicores
		r.memReq += c.Request.MemoryBytes
		if !c.OK {
			r.conf = 0
			continue
		}
		r.hasRec = true
		t := roundRequest(c.Rec.Target)
		r.cpuRec += t.CPUMillicores
		r.memRec += t.MemoryBytes
		r.conf = math.Min(r.conf, c.Confidence)
		r.saving += replicas * ((c.Request.CPUMillicores-t.CPUMillicores)/1000*m.opts.Pricing.CPUCoreMonth +
			(c.Request.MemoryBytes-t.MemoryBytes)/model.GiB*m.opts.Pricing.MemoryGiBMonth)
	}
	if !r.hasRec {
		r.conf = 0
		r.drift = math.NaN()
		return r
	}
	cpuDrift = drift(r.cpuReq, r.cpuRec)
	memDrift = drift(r.memReq, r.memRec)
	r.drift = cpuDrift
	if math.Abs(memDrift) > math.Abs(cpuDrift) || math.IsNaN(cpuDrift) {
		r.drift = memDrift
	}
	return r
}

// drift is how far the request is from the recommendation, in % of the
// recommendation: +100% means twice the recommended request.
func drift(req, rec float64) float64 {
	if rec <= 0 {
		return math.NaN()
	}
	return (req - rec) / rec * 100
}

// statusOf is the status column of a row.
func (m *Model) statusOf(r *row) string {
	switch {
	case r.w.HPAConflict != "":
		return "HPA conflict"
	case r.w.Applied:
		return "applied"
	case m.approved[r.w.Ref]:
		return "approved"
	}
	return ""
}

func statusRank(s string) int {
	switch s {
	case "HPA conflict":
		return 3
	case "approved":
		return 2
	case "applied":
		return 1
	}
	return 0
}

// rebuildView applies the namespace, the filter and the sort, keeping the
// cursor on the same workload when it is still shown.
func (m *Model) rebuildView() {
	sel, hadSel := m.selected()
	var selRef Ref
	if hadSel {
		selRef = sel.w.Ref
	}
	defer func() {
		if hadSel {
			m.selectRef(selRef)
		}
	}()
	m.view = m.view[:0]
	f := strings.ToLower(m.filter)
	for i := range m.rows {
		r := &m.rows[i]
		if m.nsIdx >= 0 && r.w.Ref.Namespace != m.nss[m.nsIdx] {
			continue
		}
		if f != "" && !strings.Contains(r.key, f) {
			continue
		}
		m.view = append(m.view, i)
	}
	by := sortKeys[m.sortIdx]
	sort.SliceStable(m.view, func(a, b int) bool {
		ra, rb := &m.rows[m.view[a]], &m.rows[m.view[b]]
		switch by {
		case "drift":
			return nanLow(math.Abs(ra.drift)) > nanLow(math.Abs(rb.drift))
		case "saving":
			return ra.saving > rb.saving
		case "confidence":
			return ra.conf > rb.conf
		case "status":
			return statusRank(m.statusOf(ra)) > statusRank(m.statusOf(rb))
		}
		return false // rows are sorted by name already
	})
	m.clampScroll()
}

func nanLow(v float64) float64 {
	if math.IsNaN(v) {
		return math.Inf(-1)
	}
	return v
}

func (m *Model) selectRef(ref Ref) {
	for i, idx := range m.view {
		if m.rows[idx].w.Ref == ref {
			m.cursor = i
			m.clampScroll()
			return
		}
	}
}

// tableRows is the number of table rows that fit on the screen.
func (m *Model) tableRows() int { return max(1, m.height-4) }

func (m *Model) clampScroll() {
	if m.cursor >= len(m.view) {
		m.cursor = len(m.view) - 1
	}
	if m.cursor < 0 {
		m.cursor = 0
	}
	n := m.tableRows()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+n {
		m.offset = m.cursor - n + 1
	}
	if m.offset > max(0, len(m.view)-n) {
		m.offset = max(0, len(m.view)-n)
	}
	if m.offset < 0 {
		m.offset = 0
	}
}

// selected returns the row under the cursor.
func (m *Model) selected() (*row, bool) {
	if m.cursor < 0 || m.cursor >= len(m.view) {
		return nil, false
	}
	return &m.rows[m.view[m.cursor]], true
}

func (m *Model) rowByRef(ref Ref) (*row, bool) {
	for i := range m.rows {
		if m.rows[i].w.Ref == ref {
			return &m.rows[i], true
		}
	}
	return nil, false
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if m.editing {
		return m.editFilter(msg)
	}
	if m.dialog != nil {
		return m.dialogKey(msg)
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
		m.recIdx = (m.recIdx + 1) % len(m.recommenders)
		m.setStatus(false, "recommender %s", m.recommender())
		cmds := []tea.Cmd{m.loadList()}
		if m.mode == modeDetail {
			cmds = append(cmds, m.loadDetail())
		}
		return tea.Batch(cmds...)
	case key.Matches(msg, k.Approve):
		return m.approve()
	case key.Matches(msg, k.ApplyMarked):
		return m.applyMarked()
	case key.Matches(msg, k.DryRun):
		return m.dryRunSelected()
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

func (m *Model) tableKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	page := m.tableRows()
	switch {
	case key.Matches(msg, k.Up):
		m.cursor--
	case key.Matches(msg, k.Down):
		m.cursor++
	case key.Matches(msg, k.PageUp):
		m.cursor -= page
	case key.Matches(msg, k.PageDown):
		m.cursor += page
	case key.Matches(msg, k.Top):
		m.cursor = 0
	case key.Matches(msg, k.Bottom):
		m.cursor = len(m.view) - 1
	case key.Matches(msg, k.Enter):
		r, ok := m.selected()
		if !ok {
			return nil
		}
		m.mode = modeDetail
		m.detailRef = r.w.Ref
		m.detail, m.detailErr = nil, nil
		m.container, m.detailScroll = 0, 0
		return m.loadDetail()
	case key.Matches(msg, k.Back):
		if m.filter != "" {
			m.filter = ""
			m.rebuildView()
		}
	case key.Matches(msg, k.Filter):
		m.editing = true
	case key.Matches(msg, k.Sort):
		m.sortIdx = (m.sortIdx + 1) % len(sortKeys)
		m.rebuildView()
	case key.Matches(msg, k.Namespace):
		m.nsIdx++
		if m.nsIdx >= len(m.nss) {
			m.nsIdx = -1
		}
		m.rebuildView()
		m.cursor, m.offset = 0, 0
	}
	m.clampScroll()
	return nil
}

func (m *Model) detailKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Back):
		m.mode = modeTable
		m.detail = nil
		m.detailSeq++ // drop a detail still loading
		m.detailLoading = false
	case key.Matches(msg, k.Up):
		m.detailScroll = max(0, m.detailScroll-1)
	case key.Matches(msg, k.Down):
		m.detailScroll++
	case key.Matches(msg, k.PageUp):
		m.detailScroll = max(0, m.detailScroll-m.height/2)
	case key.Matches(msg, k.PageDown):
		m.detailScroll += m.height / 2
	case key.Matches(msg, k.Top):
		m.detailScroll = 0
	case key.Matches(msg, k.NextContainer):
		if m.detail != nil && len(m.detail.Containers) > 0 {
			m.container = (m.container + 1) % len(m.detail.Containers)
		}
	}
	return nil
}

func (m *Model) editFilter(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		m.editing = false
	case "esc":
		m.editing = false
		m.filter = ""
	case "backspace":
		if r := []rune(m.filter); len(r) > 0 {
			m.filter = string(r[:len(r)-1])
		}
	case "ctrl+u":
		m.filter = ""
	case "ctrl+c":
		return tea.Quit
	default:
		if msg.Text != "" && msg.Mod&^tea.ModShift == 0 {
			m.filter += msg.Text
		}
	}
	m.rebuildView()
	m.cursor, m.offset = 0, 0
	m.clampScroll()
	return nil
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
	switch {
	case m.approved[ref]:
		delete(m.approved, ref)
		m.setStatus(false, "%s no longer approved", ref)
	case r.w.HPAConflict != "":
		m.setStatus(true, "cannot approve %s: %s; exclude the resource from the HPA first", ref, r.w.HPAConflict)
	case !r.hasRec:
		m.setStatus(true, "cannot approve %s: no recommendation yet", ref)
	default:
		m.approved[ref] = true
		m.setStatus(false, "%s approved (%d approved; A applies)", ref, len(m.approved))
	}
	if m.sortIdx < len(sortKeys) && sortKeys[m.sortIdx] == "status" {
		m.rebuildView()
		m.selectRef(ref)
	}
	return nil
}

// approvedChanges builds the changes of the approved workloads, by name.
func (m *Model) approvedChanges() ([]Change, error) {
	var out []Change
	for i := range m.rows {
		r := &m.rows[i]
		if !m.approved[r.w.Ref] {
			continue
		}
		c, err := changeFor(r.w, m.shownRec)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
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
