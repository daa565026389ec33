package tui

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/smartvpa/smartvpa/core/model"
)

// roundRequest rounds a recommendation up to whole millicores and whole MiB,
// the granularity the TUI applies.
func roundRequest(r model.Resources) model.Resources {
	return model.Resources{
		CPUMillicores: math.Ceil(r.CPUMillicores),
		MemoryBytes:   math.Ceil(r.MemoryBytes/model.MiB) * model.MiB,
	}
}

// quantityCPU and quantityMem format exact request quantities for patches.
func quantityCPU(m float64) string { return strconv.FormatFloat(math.Ceil(m), 'f', 0, 64) + "m" }
func quantityMem(b float64) string {
	return strconv.FormatFloat(math.Ceil(b/model.MiB), 'f', 0, 64) + "Mi"
}

func trimFloat(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// fmtMoney formats a monthly amount: "$12", "$1.2k", "-$3".
func fmtMoney(v float64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	switch {
	case v >= 10000:
		return sign + "$" + trimFloat(v/1000, 0) + "k"
	case v >= 1000:
		return sign + "$" + trimFloat(v/1000, 1) + "k"
	case v >= 10:
		return sign + "$" + trimFloat(v, 0)
	}
	return sign + "$" + trimFloat(v, 1)
}

// fit pads or truncates s (plain text) to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw == w {
		return s
	}
	if sw < w {
		return s + strings.Repeat(" ", w-sw)
	}
	if w == 1 {
		return "…"
	}
	return ansi.Truncate(s, w, "…")
}

// fitRight right-aligns s in w cells.
func fitRight(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw >= w {
		return fit(s, w)
	}
	return strings.Repeat(" ", w-sw) + s
}

// clipLine truncates a styled line to w cells and pads it to exactly w.
func clipLine(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "")
	}
	if sw < w {
		return s + strings.Repeat(" ", w-sw)
	}
	return s
}

// fmtInterval formats a duration without zero units: "5s", "1h", "1m30s".
func fmtInterval(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
