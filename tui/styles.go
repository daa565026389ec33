package tui

import (
	"strings"

	"charm.land/lipgloss/v2"
)

// paint is a precomputed style: the escape sequences around a text. Rendering
// a table cell is then two string concatenations, which keeps View fast.
type paint struct{ pre, post string }

func (p paint) r(s string) string {
	if p.pre == "" || s == "" {
		return s
	}
	return p.pre + s + p.post
}

func newPaint(st lipgloss.Style) paint {
	out := st.Render("X")
	i := strings.Index(out, "X")
	if i < 0 {
		return paint{}
	}
	return paint{pre: out[:i], post: out[i+1:]}
}

// styles are the TUI's colours. With noColor every colour is dropped and only
// text attributes (bold, reverse) remain, as NO_COLOR asks.
type styles struct {
	title, header, selected, dim, err, ok, warn, bad, info, keyName paint
	series                                                          [5]paint // usage, request, upper, target, lower
}

func newStyles(noColor bool) styles {
	fg := func(c string) lipgloss.Style {
		if noColor {
			return lipgloss.NewStyle()
		}
		return lipgloss.NewStyle().Foreground(lipgloss.Color(c))
	}
	s := styles{
		title:    newPaint(fg("14").Bold(true)),
		header:   newPaint(lipgloss.NewStyle().Bold(true)),
		selected: newPaint(lipgloss.NewStyle().Reverse(true)),
		dim:      newPaint(fg("8")),
		err:      newPaint(fg("9").Bold(true)),
		ok:       newPaint(fg("10")),
		warn:     newPaint(fg("11")),
		bad:      newPaint(fg("9")),
		info:     newPaint(fg("12")),
		keyName:  newPaint(fg("14").Bold(true)),
	}
	for i, c := range []string{"7", "11", "13", "10", "12"} {
		s.series[i] = newPaint(fg(c))
	}
	if noColor {
		s.dim, s.ok, s.warn, s.bad, s.info = paint{}, paint{}, paint{}, paint{}, paint{}
		s.series = [5]paint{}
	}
	return s
}
