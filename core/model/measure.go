package model

import (
	"encoding/json"
	"math"
	"strconv"
)

// One meaning per number: the drift of a request from a recommendation, the
// money a change saves and the units resources are printed in are defined
// here once; recommend, audit and the TUI all call these.

// Drift is how far a request is from the recommended target, per resource,
// on a symmetric scale:
//
//	drift = (request - target) / min(request, target)
//
// 0 is on target; +1 (+100 %) means the request is twice the target
// (over-provisioned: money wasted); -1 (-100 %) means the target is twice the
// request (under-provisioned: throttling or OOM risk). Swapping request and
// target only flips the sign, so +50 % and -50 % are the same distance from
// the target in opposite directions. A resource without a request or without
// a target has no drift: NaN, left out of JSON.
type Drift struct {
	CPU    float64
	Memory float64
}

// DriftOf returns the drift of request from target per resource.
func DriftOf(request, target Resources) Drift {
	return Drift{CPU: DriftValue(request.CPUMillicores, target.CPUMillicores), Memory: DriftValue(request.MemoryBytes, target.MemoryBytes)}
}

// DriftValue is the drift of one resource: (request - target) / min(request,
// target), NaN when either is not positive.
func DriftValue(request, target float64) float64 {
	if request <= 0 || target <= 0 || math.IsNaN(request) || math.IsNaN(target) {
		return math.NaN()
	}
	return (request - target) / math.Min(request, target)
}

// Get returns the drift of r.
func (d Drift) Get(r Resource) float64 {
	if r == CPU {
		return d.CPU
	}
	return d.Memory
}

// Worst returns the drift that matters most, risk first: the most
// under-provisioned resource when one is, else the most over-provisioned;
// NaN when neither resource has a drift.
func (d Drift) Worst() float64 {
	w := math.NaN()
	for _, v := range []float64{d.CPU, d.Memory} {
		if !math.IsNaN(v) && (math.IsNaN(w) || RiskFirst(v, w)) {
			w = v
		}
	}
	return w
}

// RiskFirst orders drifts for people who fix the riskiest first:
// under-provisioned (negative) before over-provisioned, each by distance
// from the target (largest first), and NaN (no drift) last.
func RiskFirst(a, b float64) bool {
	switch {
	case math.IsNaN(a):
		return false
	case math.IsNaN(b):
		return true
	case (a < 0) != (b < 0):
		return a < 0
	}
	return math.Abs(a) > math.Abs(b)
}

// MarshalJSON writes {"cpu": x, "memory": y}, leaving out a resource with no
// drift.
func (d Drift) MarshalJSON() ([]byte, error) {
	m := map[string]float64{}
	if !math.IsNaN(d.CPU) && !math.IsInf(d.CPU, 0) {
		m["cpu"] = d.CPU
	}
	if !math.IsNaN(d.Memory) && !math.IsInf(d.Memory, 0) {
		m["memory"] = d.Memory
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON writes; a missing resource is NaN.
func (d *Drift) UnmarshalJSON(b []byte) error {
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	d.CPU, d.Memory = math.NaN(), math.NaN()
	if v, ok := m["cpu"]; ok {
		d.CPU = v
	}
	if v, ok := m["memory"]; ok {
		d.Memory = v
	}
	return nil
}

// FormatDrift formats a drift as a signed percentage: "+35%", "-120%", "0%";
// "-" when there is none.
func FormatDrift(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	r := math.Round(100 * v)
	if r == 0 {
		return "0%"
	}
	s := strconv.FormatFloat(r, 'f', 0, 64) + "%"
	if r > 0 {
		s = "+" + s
	}
	return s
}

// Prices are what a core and a GiB of memory cost per hour.
type Prices struct {
	CPUCoreHour   float64 `json:"cpuCoreHour"`
	MemoryGiBHour float64 `json:"memoryGiBHour"`
}

// DefaultPrices are the on-demand list prices of a general-purpose cloud
// VM's vCPU and GiB (USD 0.031611 per core-hour, 0.004237 per GiB-hour:
// 23.08 per core-month and 3.09 per GiB-month).
var DefaultPrices = Prices{CPUCoreHour: 0.031611, MemoryGiBHour: 0.004237}

// HoursPerMonth is the month savings are quoted for (365 * 24 / 12).
const HoursPerMonth = 730.0

// MonthlyCost is what requests r cost a month at prices (a resource not
// set costs nothing).
func MonthlyCost(r Resources, p Prices) float64 {
	return (math.Max(0, r.CPUMillicores)/1000*p.CPUCoreHour + math.Max(0, r.MemoryBytes)/GiB*p.MemoryGiBHour) * HoursPerMonth
}

// MonthlySavings is what setting the requests of replicas copies of a
// container from request to target saves in a month at prices (negative:
// the change costs more). A resource without a request or without a target
// saves nothing: there is nothing to compare.
func MonthlySavings(request, target Resources, replicas float64, p Prices) float64 {
	var perHour float64
	if request.CPUMillicores > 0 && target.CPUMillicores > 0 {
		perHour += (request.CPUMillicores - target.CPUMillicores) / 1000 * p.CPUCoreHour
	}
	if request.MemoryBytes > 0 && target.MemoryBytes > 0 {
		perHour += (request.MemoryBytes - target.MemoryBytes) / GiB * p.MemoryGiBHour
	}
	return perHour * HoursPerMonth * replicas
}

// FormatCPU formats millicores in the one CPU unit smartvpa prints,
// millicores rounded up: "250m", "1300m"; "-" when not set.
func FormatCPU(millicores float64) string {
	if millicores <= 0 || math.IsNaN(millicores) {
		return "-"
	}
	return strconv.FormatFloat(math.Ceil(millicores-1e-9), 'f', 0, 64) + "m"
}

// FormatMemory formats bytes in the one memory unit smartvpa prints, MiB
// rounded up: "300Mi", "1851Mi"; "-" when not set.
func FormatMemory(bytes float64) string {
	if bytes <= 0 || math.IsNaN(bytes) {
		return "-"
	}
	return strconv.FormatFloat(math.Ceil(bytes/MiB-1e-9), 'f', 0, 64) + "Mi"
}

// Format formats an amount of r in its unit.
func Format(r Resource, v float64) string {
	if r == CPU {
		return FormatCPU(v)
	}
	return FormatMemory(v)
}
