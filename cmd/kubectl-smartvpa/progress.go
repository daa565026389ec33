package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// isTerminal reports whether v (a stream) is a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressBar is the one progress display of the commands: a line on stderr,
// drawn only when stderr is a terminal, redrawn at most every 100 ms:
//
//	importing  42% [############..................] 12.3/29.1 MB, ETA 1m20s
//
// A nil *progressBar (not a terminal) draws nothing, so callers need no
// checks. Its methods may be called from several goroutines.
type progressBar struct {
	w     io.Writer
	label string
	// amounts formats done and total for the line, e.g. "12.3/29.1 MB".
	amounts func(done, total int64) string
	now     func() time.Time

	mu          sync.Mutex
	done, total int64
	start, last time.Time
	drawn       bool
}

// newProgressBar returns a bar labelled label over total units on w, or nil
// when w is not a terminal. total may be 0 when only Line is used, or when
// Set gives it later.
func newProgressBar(w io.Writer, label string, total int64, amounts func(done, total int64) string) *progressBar {
	if !isTerminal(w) {
		return nil
	}
	return &progressBar{w: w, label: label, amounts: amounts, total: total, now: time.Now}
}

// Add counts n more units done.
func (p *progressBar) Add(n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.update(p.done+n, p.total)
}

// Set sets the units done and the total.
func (p *progressBar) Set(done, total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.update(done, total)
}

func (p *progressBar) update(done, total int64) {
	now := p.now()
	if p.start.IsZero() {
		p.start = now
	}
	p.done, p.total = done, total
	if total <= 0 || (now.Sub(p.last) < 100*time.Millisecond && done < total) {
		return
	}
	p.last = now
	var eta time.Duration
	if done > 0 && done < total {
		eta = time.Duration(float64(now.Sub(p.start)) * float64(total-done) / float64(done))
	}
	p.draw(renderProgress(p.label, done, total, 30, p.amounts(min(done, total), total), eta))
}

// Line shows s in place of the bar (a status line, e.g. training epochs).
func (p *progressBar) Line(s string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(s)
}

func (p *progressBar) draw(s string) {
	p.drawn = true
	fmt.Fprint(p.w, "\r\x1b[K"+s)
}

// Done clears the line.
func (p *progressBar) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// renderProgress draws one progress line with a bar of width cells; eta 0
// leaves the ETA out (nothing done yet, or all of it).
func renderProgress(label string, done, total int64, width int, amounts string, eta time.Duration) string {
	done = min(done, total)
	frac := float64(done) / float64(total)
	full := int(frac * float64(width))
	s := fmt.Sprintf("%s %3.0f%% [%s%s] %s", label, frac*100, strings.Repeat("#", full), strings.Repeat(".", width-full), amounts)
	if eta > 0 {
		s += ", ETA " + formatDuration(eta)
	}
	return s
}

// megabytes formats byte amounts for a progress bar: "12.3/29.1 MB".
func megabytes(done, total int64) string {
	return fmt.Sprintf("%.1f/%.1f MB", float64(done)/1e6, float64(total)/1e6)
}

// runs formats counts of runs for a progress bar: "5/20 runs".
func runs(done, total int64) string { return fmt.Sprintf("%d/%d runs", done, total) }
