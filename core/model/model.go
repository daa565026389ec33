// Package model holds the value types every part of smartvpa shares: usage
// samples, resource amounts and recommendations. Units are part of the names:
// CPU is always in millicores and memory always in bytes. Conversions to and
// from Kubernetes quantities live in kube/, never here.
package model

import (
	"fmt"
	"time"
)

// Resource names a resource that smartvpa right-sizes.
type Resource string

// The resources smartvpa right-sizes.
const (
	CPU    Resource = "cpu"
	Memory Resource = "memory"
)

// AllResources lists every Resource in a stable order.
var AllResources = []Resource{CPU, Memory}

// Sample is one usage observation of one container.
type Sample struct {
	Time          time.Time
	CPUMillicores float64
	MemoryBytes   float64
}

// Resources is an amount of CPU and memory, such as a request or a limit.
// A zero field means "not set".
type Resources struct {
	CPUMillicores float64 `json:"cpuMillicores"`
	MemoryBytes   float64 `json:"memoryBytes"`
}

// Get returns the amount of r.
func (x Resources) Get(r Resource) float64 {
	if r == CPU {
		return x.CPUMillicores
	}
	return x.MemoryBytes
}

// Set returns a copy of x with the amount of r set to v.
func (x Resources) Set(r Resource, v float64) Resources {
	if r == CPU {
		x.CPUMillicores = v
	} else {
		x.MemoryBytes = v
	}
	return x
}

// IsZero reports whether neither resource is set.
func (x Resources) IsZero() bool { return x.CPUMillicores == 0 && x.MemoryBytes == 0 }

// String formats x in human units, for logs and errors.
func (x Resources) String() string {
	return fmt.Sprintf("cpu=%.0fm memory=%.0fMi", x.CPUMillicores, x.MemoryBytes/MiB)
}

// Byte multiples used across the project.
const (
	KiB = 1024.0
	MiB = 1024.0 * KiB
	GiB = 1024.0 * MiB
)

// Recommendation is a recommender's answer for one container: per resource a
// lower bound, a target and an upper bound (all after caps and policy), and the
// target before caps were applied.
type Recommendation struct {
	Lower          Resources `json:"lower"`
	Target         Resources `json:"target"`
	Upper          Resources `json:"upper"`
	UncappedTarget Resources `json:"uncappedTarget"`
}

// IsZero reports whether r holds no recommendation at all.
func (r Recommendation) IsZero() bool {
	return r.Lower.IsZero() && r.Target.IsZero() && r.Upper.IsZero() && r.UncappedTarget.IsZero()
}

// OOMEvent records that a container was killed for running out of memory.
type OOMEvent struct {
	Time time.Time
	// MemoryRequestBytes is the container's memory request when it was killed.
	MemoryRequestBytes float64
	// MemoryUsageBytes is the last usage observed before the kill (0 if unknown).
	MemoryUsageBytes float64
}
