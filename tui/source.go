package tui

import (
	"context"
	"fmt"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// Ref names one workload: its namespace, kind (Deployment, StatefulSet, ...)
// and name.
type Ref struct {
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
}

// String returns namespace/kind/name.
func (r Ref) String() string { return r.Namespace + "/" + r.Kind + "/" + r.Name }

// KindName returns the short kind and the name, e.g. "deploy/api".
func (r Ref) KindName() string { return shortKind(r.Kind) + "/" + r.Name }

// Workload is one row of the table: a workload with, per container, its
// current requests and the recommendation of the chosen recommender.
type Workload struct {
	Ref      Ref
	Replicas int
	// Containers are the workload's containers in pod-spec order.
	Containers []ContainerRec
	// HPAConflict, when not empty, says why a HorizontalPodAutoscaler conflicts
	// with changing the requests (e.g. "hpa/api scales on cpu").
	HPAConflict string
	// Applied reports that the current requests are this recommendation, as
	// set by smartvpa.
	Applied bool
}

// ContainerRec is one container's requests and recommendation.
type ContainerRec struct {
	Name    string
	Request model.Resources
	// Limit is the current limit (zero: none), for the wide layout.
	Limit model.Resources
	// Usage is the latest usage seen (zero: unknown), for the wide layout.
	Usage model.Resources
	// Rec is the recommendation; OK is false while the recommender has too
	// little data (Rec is then zero).
	Rec model.Recommendation
	OK  bool
	// Confidence is in [0, 1]: how much the source trusts Rec.
	Confidence float64
}

// Detail is one workload with the usage history and the evidence behind each
// container's recommendation, for the detail view.
type Detail struct {
	Workload   Workload
	Containers []ContainerDetail
}

// ContainerDetail is the history and explanation of one container.
type ContainerDetail struct {
	Name string
	// History is the usage over the history window, in time order.
	History     []model.Sample
	Explanation recommend.Explanation
	// Targets is the recommended target replayed over History
	// (ReplayTargets): what the recommender would have asked for at each
	// time; empty when the source cannot replay.
	Targets []model.Sample
	// OOMKills are the times the container was killed for memory, when
	// the source knows them.
	OOMKills []time.Time
}

// Source is where the TUI reads workloads, history and recommendations. The
// cluster implementation lives in kube/; DemoSource serves tests and --demo.
// Implementations must be safe for use from several goroutines: the TUI calls
// them from commands.
type Source interface {
	// Recommenders lists the recommenders the source can use, in picker order.
	Recommenders() []string
	// List returns the workloads with the recommendations of recommender.
	List(ctx context.Context, recommender string) ([]Workload, error)
	// Detail returns the history and explanations of one workload.
	Detail(ctx context.Context, ref Ref, recommender string) (Detail, error)
}

// Change asks to set the requests of one workload's containers.
type Change struct {
	Ref         Ref
	Recommender string
	Containers  []ContainerChange
}

// ContainerChange is the new requests of one container; From is the current
// requests, for display.
type ContainerChange struct {
	Name string
	From model.Resources
	To   model.Resources
}

// Result is the outcome of a dry-run or apply of one Change.
type Result struct {
	Ref Ref
	// Patch is the patch as sent to the server, for people to read.
	Patch string
	// Message is the server's answer in one line (e.g. "deployment.apps/api patched (server dry run)").
	Message string
	// Err is set when the server refused the change.
	Err error
}

// Permission says whether the TUI may change workloads.
type Permission struct {
	// CanPatch is false when patching is forbidden (e.g. by RBAC).
	CanPatch bool
	// Reason says why not, for the status line.
	Reason string
}

// Actions changes workloads: dry-run and apply of request changes. The
// cluster implementation lives in kube/; DemoSource implements it in memory.
// Implementations must be safe for use from several goroutines.
type Actions interface {
	// Permission reports whether patching is allowed.
	Permission(ctx context.Context) (Permission, error)
	// DryRun asks the server to validate the changes without persisting them.
	DryRun(ctx context.Context, changes []Change) ([]Result, error)
	// Apply makes the changes.
	Apply(ctx context.Context, changes []Change) ([]Result, error)
}

// shortKind abbreviates well-known workload kinds as kubectl does.
func shortKind(kind string) string {
	switch kind {
	case "Deployment":
		return "deploy"
	case "StatefulSet":
		return "sts"
	case "DaemonSet":
		return "ds"
	case "ReplicaSet":
		return "rs"
	case "CronJob":
		return "cj"
	case "Job":
		return "job"
	case "Pod":
		return "pod"
	}
	return kind
}

// changeFor builds the change that sets every container with a
// recommendation to its target, rounded up to whole millicores and MiB.
func changeFor(w Workload, recommender string) (Change, error) {
	c := Change{Ref: w.Ref, Recommender: recommender}
	for _, ct := range w.Containers {
		if !ct.OK {
			continue
		}
		c.Containers = append(c.Containers, ContainerChange{Name: ct.Name, From: ct.Request, To: roundRequest(ct.Rec.Target)})
	}
	if len(c.Containers) == 0 {
		return c, fmt.Errorf("%s has no recommendation yet: wait for more history", w.Ref)
	}
	return c, nil
}
