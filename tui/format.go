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

// fmtCPU formats millicores compactly: "250m" below one core, "1.5" above.
func fmtCPU(m float64) string {
	if m <= 0 || math.IsNaN(m) {
		return "-"
	}
	if m < 1000 {
		return strconv.FormatFloat(math.Ceil(m), 'f', 0, 64) + "m"
	}
	return trimFloat(m/1000, 2)
}

// fmtMem formats bytes compactly: "512Mi", "1.5Gi", "900Ki".
func fmtMem(b float64) string {
	switch {
	case b <= 0 || math.IsNaN(b):
		return "-"
	case b < model.MiB:
		return strconv.FormatFloat(math.Ceil(b/model.KiB), 'f', 0, 64) + "Ki"
	case b < model.GiB:
		return strconv.FormatFloat(math.Ceil(b/model.MiB), 'f', 0, 64) + "Mi"
	}
	return trimFloat(b/model.GiB, 1) + "Gi"
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

// fmtPct formats a signed percentage: "+35%", "-12%".
func fmtPct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	r := math.Round(v)
	if r > 999 {
		return ">999%"
	}
	if r < -999 {
		return "<-999%"
	}
	s := strconv.FormatFloat(r, 'f', 0, 64)
	if r > 0 {
		s = "+" + s
	}
	return s + "%"
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
