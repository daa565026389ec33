//go:build ignore

// tui-svg turns a terminal capture with ANSI colours (tmux capture-pane -e -p)
// into an SVG picture of the terminal, for the README. docs/tui.sh runs it:
//
//	go run docs/tui-svg.go -title "kubectl smartvpa ui" < capture.ans > docs/tui.svg
//
// It understands the SGR sequences tmux writes: reset, bold, faint, reverse,
// the 16 colours, 256 colours and 24-bit colours, foreground and background.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

type style struct {
	fg, bg          string // "" = default
	bold, faint, rv bool
}

type cell struct {
	r rune
	s style
}

// The 16 ANSI colours (a dark theme in the spirit of the common terminals).
var ansi16 = [16]string{
	"#1e1e1e", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2", "#d0d0d0",
	"#7f848e", "#ff7b86", "#b5e890", "#ffd68a", "#82c4ff", "#e099ff", "#7fdbe6", "#ffffff",
}

const (
	defaultFG = "#d0d0d0"
	defaultBG = "#1e1e1e"
)

func color256(n int) string {
	switch {
	case n < 16:
		return ansi16[n]
	case n < 232:
		n -= 16
		lv := func(v int) int {
			if v == 0 {
				return 0
			}
			return 55 + v*40
		}
		return fmt.Sprintf("#%02x%02x%02x", lv(n/36), lv(n/6%6), lv(n%6))
	}
	g := 8 + (n-232)*10
	return fmt.Sprintf("#%02x%02x%02x", g, g, g)
}

// sgr applies one SGR parameter list to s.
func sgr(s style, params string) style {
	ps := strings.FieldsFunc(params, func(r rune) bool { return r == ';' || r == ':' })
	if len(ps) == 0 {
		return style{}
	}
	for i := 0; i < len(ps); i++ {
		p, _ := strconv.Atoi(ps[i])
		switch {
		case p == 0:
			s = style{}
		case p == 1:
			s.bold = true
		case p == 2:
			s.faint = true
		case p == 7:
			s.rv = true
		case p == 22:
			s.bold, s.faint = false, false
		case p == 27:
			s.rv = false
		case p >= 30 && p <= 37:
			s.fg = ansi16[p-30]
		case p >= 90 && p <= 97:
			s.fg = ansi16[p-90+8]
		case p >= 40 && p <= 47:
			s.bg = ansi16[p-40]
		case p >= 100 && p <= 107:
			s.bg = ansi16[p-100+8]
		case p == 39:
			s.fg = ""
		case p == 49:
			s.bg = ""
		case (p == 38 || p == 48) && i+1 < len(ps):
			var c string
			if ps[i+1] == "5" && i+2 < len(ps) {
				n, _ := strconv.Atoi(ps[i+2])
				c = color256(n)
				i += 2
			} else if ps[i+1] == "2" && i+4 < len(ps) {
				r, _ := strconv.Atoi(ps[i+2])
				g, _ := strconv.Atoi(ps[i+3])
				b, _ := strconv.Atoi(ps[i+4])
				c = fmt.Sprintf("#%02x%02x%02x", r, g, b)
				i += 4
			}
			if p == 38 {
				s.fg = c
			} else {
				s.bg = c
			}
		}
	}
	return s
}

// parse splits the capture into lines of styled cells.
func parse(data string) [][]cell {
	var lines [][]cell
	var cur []cell
	var s style
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '\n':
			lines = append(lines, cur)
			cur = nil
			i++
		case c == 0x1b && i+1 < len(data) && data[i+1] == '[':
			j := i + 2
			for j < len(data) && (data[j] < 0x40 || data[j] > 0x7e) {
				j++
			}
			if j < len(data) && data[j] == 'm' {
				s = sgr(s, data[i+2:j])
			}
			i = j + 1
		case c == 0x1b:
			i += 2
		case c == '\r':
			i++
		default:
			r, n := utf8.DecodeRuneInString(data[i:])
			cur = append(cur, cell{r, s})
			i += n
		}
	}
	if len(cur) > 0 {
		lines = append(lines, cur)
	}
	return lines
}

func main() {
	title := flag.String("title", "", "window title")
	cols := flag.Int("cols", 0, "terminal width (default: the longest line)")
	flag.Parse()
	in, err := io.ReadAll(bufio.NewReader(os.Stdin))
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	lines := parse(string(in))
	w := *cols
	for _, l := range lines {
		w = max(w, len(l))
	}
	const cw, lh, pad, top = 8.4, 17.0, 12.0, 30.0
	width := float64(w)*cw + 2*pad
	height := float64(len(lines))*lh + top + pad
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	fmt.Fprintf(out, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`+"\n", width, height, width, height)
	fmt.Fprintf(out, `<rect width="100%%" height="100%%" rx="8" fill="%s"/>`+"\n", defaultBG)
	for i, c := range []string{"#ff5f56", "#ffbd2e", "#27c93f"} {
		fmt.Fprintf(out, `<circle cx="%d" cy="15" r="6" fill="%s"/>`+"\n", 20+i*20, c)
	}
	if *title != "" {
		fmt.Fprintf(out, `<text x="%.0f" y="20" fill="#8a8a8a" font-family="monospace" font-size="13" text-anchor="middle">%s</text>`+"\n", width/2, html.EscapeString(*title))
	}
	fmt.Fprintln(out, `<g font-family="'DejaVu Sans Mono','Menlo','Consolas',monospace" font-size="14" xml:space="preserve">`)
	for y, l := range lines {
		base := top + float64(y)*lh
		// Backgrounds first, then text runs of one style.
		for x := 0; x < len(l); {
			fg, bg := colors(l[x].s)
			_ = fg
			j := x
			for j < len(l) && sameBG(l[j].s, l[x].s) {
				j++
			}
			if bg != defaultBG {
				fmt.Fprintf(out, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.0f" fill="%s"/>`+"\n", pad+float64(x)*cw, base, float64(j-x)*cw, lh, bg)
			}
			x = j
		}
		for x := 0; x < len(l); {
			j := x
			var b strings.Builder
			for j < len(l) && l[j].s == l[x].s {
				b.WriteRune(l[j].r)
				j++
			}
			text := b.String()
			if strings.TrimSpace(text) != "" {
				fg, _ := colors(l[x].s)
				attrs := ""
				if l[x].s.bold {
					attrs += ` font-weight="bold"`
				}
				if l[x].s.faint {
					attrs += ` opacity="0.6"`
				}
				fmt.Fprintf(out, `<text x="%.1f" y="%.1f" fill="%s" textLength="%.1f" lengthAdjust="spacingAndGlyphs"%s>%s</text>`+"\n",
					pad+float64(x)*cw, base+13, fg, float64(j-x)*cw, attrs, html.EscapeString(text))
			}
			x = j
		}
	}
	fmt.Fprintln(out, "</g>\n</svg>")
}

func colors(s style) (fg, bg string) {
	fg, bg = s.fg, s.bg
	if fg == "" {
		fg = defaultFG
	}
	if bg == "" {
		bg = defaultBG
	}
	if s.rv {
		fg, bg = bg, fg
	}
	return fg, bg
}

func sameBG(a, b style) bool {
	_, ba := colors(a)
	_, bb := colors(b)
	return ba == bb
}
