package smart

import (
	"fmt"
	"strings"
)

// Profile is a stated service level: the risk smart plans for.
type Profile struct {
	// Name is the profile's name (reliability, balanced, savings).
	Name string `json:"name"`
	// CPUShortfall is the mean share of time the CPU usage may be above the
	// request over a fleet (the container may then be throttled by its
	// neighbours); smart's weight for the profile is trained to it, and no
	// container goes above Options.CPUMaxShareFactor times it.
	CPUShortfall float64 `json:"cpuShortfall"`
	// OOMsPerMonth is the rate of OOM kills per container-month the memory
	// margin settles at: after a kill the margin grows, and it shrinks back
	// only as fast as this rate allows.
	OOMsPerMonth float64 `json:"oomsPerMonth"`
	// MemoryMargin is the margin above the memory peak smart starts from
	// (0.1 = 10 %).
	MemoryMargin float64 `json:"memoryMargin"`
}

// Profiles are the built-in profiles, safest first.
var Profiles = []Profile{
	{Name: "reliability", CPUShortfall: 0.005, OOMsPerMonth: 0.1, MemoryMargin: 0.15},
	{Name: "balanced", CPUShortfall: 0.015, OOMsPerMonth: 1, MemoryMargin: 0.05},
	{Name: "savings", CPUShortfall: 0.03, OOMsPerMonth: 3, MemoryMargin: 0.02},
}

// DefaultProfile is the profile used when none is named.
const DefaultProfile = "balanced"

// ProfileNames lists the built-in profiles' names, safest first.
func ProfileNames() []string {
	names := make([]string, len(Profiles))
	for i, p := range Profiles {
		names[i] = p.Name
	}
	return names
}

// ProfileByName returns the built-in profile name ("" is DefaultProfile).
func ProfileByName(name string) (Profile, error) {
	if name == "" {
		name = DefaultProfile
	}
	for _, p := range Profiles {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("unknown profile %q: use one of %s", name, strings.Join(ProfileNames(), ", "))
}
