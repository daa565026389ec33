package tui

import (
	"context"
	"io"

	tea "charm.land/bubbletea/v2"
)

// Run runs the TUI on a terminal until the user quits. in and out are the
// terminal (os.Stdin and os.Stdout); the terminal is restored on return.
func Run(ctx context.Context, opts Options, in io.Reader, out io.Writer) error {
	opts.Context = ctx
	p := tea.NewProgram(New(opts), tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out))
	_, err := p.Run()
	return err
}
