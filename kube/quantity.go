package kube

import (
	"fmt"
	"math"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/smartvpa/smartvpa/core/model"
)

// This file is the one place where resource.Quantity meets core/model units.

// CPUMillicores returns q as millicores (1 = 1000).
func CPUMillicores(q resource.Quantity) float64 {
	if q.IsZero() {
		return 0
	}
	// MilliValue rounds up to a whole millicore and is exact below 2^63 m;
	// beyond it (an absurd "100Ei" or "1E18") it overflows, so larger
	// quantities convert through float64.
	if v := q.AsApproximateFloat64(); math.Abs(v) >= maxExactCores {
		return v * 1000
	}
	return float64(q.MilliValue())
}

// maxExactCores is where MilliValue could overflow int64 (9.2e15 cores),
// with a margin for AsApproximateFloat64's rounding.
const maxExactCores = 9e15

// MemoryBytes returns q as bytes.
func MemoryBytes(q resource.Quantity) float64 {
	if q.IsZero() {
		return 0
	}
	if v, ok := q.AsInt64(); ok {
		return float64(v)
	}
	// AsInt64 refuses some whole numbers of bytes ("478525162Mi"), whose
	// float approximation is off by a fraction of a byte: Value (rounded up)
	// is exact when it equals q.
	if approx := q.AsApproximateFloat64(); math.Abs(approx) < maxExactCores {
		if v := q.Value(); q.Cmp(*resource.NewQuantity(v, q.Format)) == 0 {
			return float64(v)
		}
		return approx
	}
	return q.AsApproximateFloat64()
}

// CPUQuantity returns millicores as a quantity, rounded up to a whole
// millicore ("250m", "1"). Zero or less gives a zero quantity.
func CPUQuantity(millicores float64) resource.Quantity {
	if !(millicores > 0) || math.IsInf(millicores, 0) {
		return resource.Quantity{Format: resource.DecimalSI}
	}
	return *resource.NewMilliQuantity(int64(math.Ceil(millicores-1e-9)), resource.DecimalSI)
}

// MemoryQuantity returns bytes as a quantity rounded up to a whole MiB
// ("300Mi", "1Gi"), the unit people write requests in. Zero or less gives a
// zero quantity.
func MemoryQuantity(bytes float64) resource.Quantity {
	if !(bytes > 0) || math.IsInf(bytes, 0) {
		return resource.Quantity{Format: resource.BinarySI}
	}
	mib := math.Ceil(bytes/model.MiB - 1e-9)
	return *resource.NewQuantity(int64(mib)*int64(model.MiB), resource.BinarySI)
}

// FromResourceList reads CPU and memory from a Kubernetes resource list.
func FromResourceList(l corev1.ResourceList) model.Resources {
	var r model.Resources
	if q, ok := l[corev1.ResourceCPU]; ok {
		r.CPUMillicores = CPUMillicores(q)
	}
	if q, ok := l[corev1.ResourceMemory]; ok {
		r.MemoryBytes = MemoryBytes(q)
	}
	return r
}

// ToResourceList writes the set (non-zero) fields of r as a resource list.
func ToResourceList(r model.Resources) corev1.ResourceList {
	l := corev1.ResourceList{}
	if r.CPUMillicores > 0 {
		l[corev1.ResourceCPU] = CPUQuantity(r.CPUMillicores)
	}
	if r.MemoryBytes > 0 {
		l[corev1.ResourceMemory] = MemoryQuantity(r.MemoryBytes)
	}
	return l
}

// FormatCPU formats millicores in smartvpa's one CPU unit, model.FormatCPU
// ("250m", "2000m"): a column never mixes cores and millicores.
func FormatCPU(millicores float64) string { return model.FormatCPU(millicores) }

// FormatMemory formats bytes in smartvpa's one memory unit, model.FormatMemory
// ("300Mi", "1851Mi").
func FormatMemory(bytes float64) string { return model.FormatMemory(bytes) }

// ParseCPU parses a CPU quantity ("250m", "0.5") into millicores. A
// quantity of model.NoBound millicores or more ("1E1000") is refused.
func ParseCPU(s string) (float64, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0, err
	}
	return bounded(s, CPUMillicores(q))
}

// ParseMemory parses a memory quantity ("256Mi", "1G") into bytes. A
// quantity of model.NoBound bytes or more is refused.
func ParseMemory(s string) (float64, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0, err
	}
	return bounded(s, MemoryBytes(q))
}

func bounded(s string, v float64) (float64, error) {
	if math.Abs(v) >= model.NoBound || math.IsNaN(v) {
		return 0, fmt.Errorf("quantity %q is too large: use less than 1e14 millicores or bytes", s)
	}
	return v, nil
}
