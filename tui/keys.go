package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the TUI answers to, as data: Update matches against it
// and the help overlay is generated from it.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding

	Enter, Back, Filter, Sort, Reverse, Namespace, Recommender key.Binding
	NextContainer, Command, Internals                          key.Binding

	Approve, ApplyMarked, DryRun, YAML key.Binding

	WhatIf key.Binding

	Refresh, Help, Quit key.Binding

	Confirm, Cancel key.Binding
}

// DefaultKeyMap returns the keys of the TUI.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "move up (scroll in detail)")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "move down (scroll in detail)")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first row")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last row")),

		Enter:         key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open detail")),
		Back:          key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back / clear filter")),
		Filter:        key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter by name")),
		Sort:          key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "next sort column")),
		Reverse:       key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse the sort")),
		Command:       key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "commands: :ns NAME :deploy")),
		Internals:     key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "why: internals (detail)")),
		Namespace:     key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next namespace")),
		Recommender:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "next recommender")),
		NextContainer: key.NewBinding(key.WithKeys("tab", "l", "right"), key.WithHelp("tab/l", "next container (detail)")),

		Approve:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "approve (mark) workload")),
		ApplyMarked: key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "apply approved (confirm)")),
		DryRun:      key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "server dry-run of workload")),
		YAML:        key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "patch as YAML (copyable)")),
		WhatIf:      key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "what-if of recommenders")),

		Refresh: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "refresh now")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "toggle help")),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),

		Confirm: key.NewBinding(key.WithKeys("y", "enter"), key.WithHelp("y/enter", "apply (dialog)")),
		Cancel:  key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "cancel (dialog)")),
	}
}

// helpGroup is one titled column of the help overlay.
type helpGroup struct {
	Title    string
	Bindings []key.Binding
}

// groups returns the key map in help order.
func (k KeyMap) groups() []helpGroup {
	return []helpGroup{
		{"Navigate", []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Enter, k.Back, k.NextContainer, k.Internals}},
		{"View", []key.Binding{k.Filter, k.Command, k.Sort, k.Reverse, k.Namespace, k.Recommender, k.WhatIf, k.Refresh, k.Help, k.Quit}},
		{"Change", []key.Binding{k.Approve, k.ApplyMarked, k.DryRun, k.YAML, k.Confirm, k.Cancel}},
	}
}

// setReadOnly enables or disables the keys that change workloads.
func (k *KeyMap) setReadOnly(ro bool) {
	k.Approve.SetEnabled(!ro)
	k.ApplyMarked.SetEnabled(!ro)
	k.DryRun.SetEnabled(!ro)
	k.Confirm.SetEnabled(!ro)
}
