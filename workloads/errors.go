package workloads

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// InputError is a problem with an input file, located by file, line and
// field. Its message is one line: `file:line: field "name": what is wrong`.
type InputError struct {
	File  string
	Line  int    // 1-based; 0 when the problem is the whole file
	Field string // the column or JSON field; empty when the whole line is wrong
	Msg   string
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(oneLine(e.Msg))
	return b.String()
}

func oneLine(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r", " "), "\n", " ")
}

// maxLine is the longest input line a loader accepts.
const maxLine = 4 << 20

func newLineScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	return sc
}

// lineLimitReader fails with bufio.ErrTooLong once a line of r grows past
// maxLine bytes: every input file is read through one (see openInput), so
// no format, whatever parser it uses (bufio.Scanner, encoding/csv), holds
// more than maxLine bytes of a line in memory.
type lineLimitReader struct {
	r   io.Reader
	run int // bytes since the last '\n'
}

func (l *lineLimitReader) Read(b []byte) (int, error) {
	if l.run > maxLine {
		return 0, bufio.ErrTooLong
	}
	n, err := l.r.Read(b)
	for i := 0; i < n; {
		j := bytes.IndexByte(b[i:n], '\n')
		seg := n - i
		if j >= 0 {
			seg = j
		}
		if l.run+seg > maxLine {
			// Deliver the line up to one byte past the limit and no '\n'
			// after it, so that no parser takes it for a whole line.
			cut := i + maxLine - l.run + 1
			l.run = maxLine + 1
			return cut, bufio.ErrTooLong
		}
		if j < 0 {
			l.run += seg
			break
		}
		l.run, i = 0, i+j+1
	}
	return n, err
}

// errRecorder keeps the first read error of r other than io.EOF.
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 40
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// parseNumber parses a float field and rejects NaN and infinities.
func parseNumber(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("out of range %q", clip(s))
		}
		return 0, fmt.Errorf("not a number %q", clip(s))
	}
	if math.IsNaN(v) {
		return 0, fmt.Errorf("not a number %q", clip(s))
	}
	if math.IsInf(v, 0) {
		return 0, fmt.Errorf("infinite value %q", clip(s))
	}
	return v, nil
}

// parseUsage parses a usage value: a finite number that is not negative.
func parseUsage(s string) (float64, error) {
	v, err := parseNumber(s)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, fmt.Errorf("negative usage %s", clip(strings.TrimSpace(s)))
	}
	return v, nil
}
