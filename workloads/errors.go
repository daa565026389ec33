package workloads

import (
	"bufio"
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
