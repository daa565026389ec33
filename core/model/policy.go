package model

// ControlledValues says which values of a container the autoscaler sets.
type ControlledValues string

// The controlled-values modes of the upstream VPA.
const (
	RequestsAndLimits ControlledValues = "RequestsAndLimits"
	RequestsOnly      ControlledValues = "RequestsOnly"
)

// ContainerPolicy is the per-container resource policy of the upstream VPA:
// bounds on the recommendation and which resources and values it controls.
// The zero value controls CPU and memory requests and limits, without bounds.
type ContainerPolicy struct {
	// MinAllowed and MaxAllowed bound the recommendation; a zero field is unbounded.
	MinAllowed Resources `json:"minAllowed"`
	MaxAllowed Resources `json:"maxAllowed"`
	// ControlledResources lists the resources the recommendation covers; empty
	// means both CPU and memory.
	ControlledResources []Resource `json:"controlledResources,omitempty"`
	// ControlledValues is RequestsAndLimits (default when empty) or RequestsOnly.
	ControlledValues ControlledValues `json:"controlledValues,omitempty"`
	// Off turns the autoscaler off for this container.
	Off bool `json:"off,omitempty"`
}

// Controls reports whether the policy controls resource r.
func (p ContainerPolicy) Controls(r Resource) bool {
	if p.Off {
		return false
	}
	if len(p.ControlledResources) == 0 {
		return true
	}
	for _, c := range p.ControlledResources {
		if c == r {
			return true
		}
	}
	return false
}
