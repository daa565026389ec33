package stress

import "time"

// The JSON shapes of the utilisation server's API (docs/stress-api.md). Field
// names are stable; units are in the names.

// Sample is one usage point of an uploaded workload.
type Sample struct {
	Time          time.Time `json:"time"`
	CPUMillicores float64   `json:"cpuMillicores"`
	MemoryBytes   float64   `json:"memoryBytes"`
}

// WorkloadUpload is the body of POST /v1/workloads (step 1). With Samples
// empty the server loads workload ID from its store; otherwise the samples
// are the workload (inline upload).
type WorkloadUpload struct {
	ID              string   `json:"id"`
	IntervalSeconds float64  `json:"intervalSeconds,omitempty"`
	Samples         []Sample `json:"samples,omitempty"`
}

// WorkloadInfo describes an uploaded workload.
type WorkloadInfo struct {
	ID               string    `json:"id"`
	Source           string    `json:"source"` // "store" or "inline"
	Samples          int       `json:"samples"`
	IntervalSeconds  float64   `json:"intervalSeconds"`
	Start            time.Time `json:"start"`
	End              time.Time `json:"end"`
	MaxCPUMillicores float64   `json:"maxCpuMillicores"`
	MaxMemoryBytes   float64   `json:"maxMemoryBytes"`
}

// PodRegistration is the body of POST /v1/pods (step 2).
type PodRegistration struct {
	Pod      string `json:"pod"`
	Service  string `json:"service,omitempty"`
	Workload string `json:"workload"`
	// Speedup is workload seconds per wall second (0: the server's default).
	Speedup float64 `json:"speedup,omitempty"`
	// Loop replays the workload from the start when it ends.
	Loop bool `json:"loop,omitempty"`
	// OffsetSeconds starts the replay this far into the workload.
	OffsetSeconds float64 `json:"offsetSeconds,omitempty"`
}

// PodInfo describes a registered pod.
type PodInfo struct {
	PodRegistration
	Registered  time.Time `json:"registered"`
	Connected   bool      `json:"connected"`
	ConnectedAt time.Time `json:"connectedAt,omitzero"`
	LastReport  *Report   `json:"lastReport,omitempty"`
	LastTarget  *Target   `json:"lastTarget,omitempty"`
}

// Target is the usage a pod must produce (steps 3 and 4): one line of the
// connect stream, or the body of GET /v1/pods/{pod}/target.
type Target struct {
	Pod           string    `json:"pod"`
	Workload      string    `json:"workload"`
	Time          time.Time `json:"time"`
	WorkloadTime  time.Time `json:"workloadTime"`
	Index         int       `json:"index"`
	CPUMillicores float64   `json:"cpuMillicores"`
	MemoryBytes   float64   `json:"memoryBytes"`
	// IntervalSeconds is the wall time until the next target.
	IntervalSeconds float64 `json:"intervalSeconds"`
	// Done is set on the last target of a workload that does not loop.
	Done bool `json:"done,omitempty"`
}

// Report is the body of POST /v1/pods/{pod}/report: the usage the pod
// actually produced, measured by the agent.
type Report struct {
	Time          time.Time `json:"time"`
	CPUMillicores float64   `json:"cpuMillicores"`
	MemoryBytes   float64   `json:"memoryBytes"`
	// TargetCPUMillicores and TargetMemoryBytes are the target the agent was
	// following when it measured.
	TargetCPUMillicores float64 `json:"targetCpuMillicores"`
	TargetMemoryBytes   float64 `json:"targetMemoryBytes"`
}

// APIError is the body of every error response.
type APIError struct {
	Error string `json:"error"`
}
