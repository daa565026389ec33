package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/updater"
)

// ApplyMode says how apply changes requests.
type ApplyMode string

// The apply modes.
const (
	// ModePatch patches the controller's pod template (one request per
	// workload, field manager smartvpa); the controller rolls the pods.
	ModePatch ApplyMode = "patch"
	// ModeInPlace resizes the running pods through the resize subresource,
	// falling back to ModePatch where the server has no such subresource.
	ModeInPlace ApplyMode = "in-place"
	// ModeEvict evicts the pods the updater policy selects through the
	// Eviction API, so PodDisruptionBudgets, minimum replicas and eviction
	// tolerance hold.
	ModeEvict ApplyMode = "evict"
)

// DryRun has kubectl's meaning: none sends, client only prints, server sends
// with dryRun=All so the server validates and admits but persists nothing.
type DryRun string

// The dry-run modes.
const (
	DryRunNone   DryRun = "none"
	DryRunClient DryRun = "client"
	DryRunServer DryRun = "server"
)

// Change is what apply would do to one workload.
type Change struct {
	Report   *WorkloadReport
	New      []ContainerResources
	Previous []ContainerResources
	// Skipped says what was left out and why (HPA resources, no data).
	Skipped []string
}

// Changes returns the changes a report asks for. A resource an HPA scales on
// is left unchanged unless allowHPA. Workloads whose requests would not
// change are left out.
func Changes(rep *Report, allowHPA bool) []Change {
	var out []Change
	for i := range rep.Workloads {
		wr := &rep.Workloads[i]
		ch := Change{Report: wr}
		skip := map[model.Resource]bool{}
		if wr.HPA != nil && !allowHPA {
			for _, r := range wr.HPA.Resources {
				skip[r] = true
				ch.Skipped = append(ch.Skipped, fmt.Sprintf("%s requests left unchanged: HorizontalPodAutoscaler %s scales on %s (pass --allow-hpa to change them)", r, wr.HPA.Name, r))
			}
		}
		for _, c := range wr.Containers {
			if c.Recommendation == nil {
				ch.Skipped = append(ch.Skipped, fmt.Sprintf("container %s left unchanged: no recommendation", c.Name))
			}
		}
		for _, n := range NewResources(wr, skip) {
			old := wr.Container(n.Name)
			if SameQuantities(old.Requests, n.Requests) && SameQuantities(old.Limits, n.Limits) {
				continue
			}
			ch.New = append(ch.New, n)
			ch.Previous = append(ch.Previous, ContainerResources{Name: old.Name, Sidecar: old.Sidecar, Requests: old.Requests, Limits: old.Limits})
		}
		if len(ch.New) > 0 || len(ch.Skipped) > 0 {
			out = append(out, ch)
		}
	}
	return out
}

// Container returns the report of container name, or nil.
func (w *WorkloadReport) Container(name string) *ContainerReport {
	for i := range w.Containers {
		if w.Containers[i].Name == name {
			return &w.Containers[i]
		}
	}
	return nil
}

// SameQuantities reports whether a and b are the same requests (or limits)
// once written as quantities: whole millicores and MiB, or equal bytes.
func SameQuantities(a, b model.Resources) bool {
	ca, cb := CPUQuantity(a.CPUMillicores), CPUQuantity(b.CPUMillicores)
	ma, mb := MemoryQuantity(a.MemoryBytes), MemoryQuantity(b.MemoryBytes)
	// Unrounded memory requests (e.g. 1000M) compare by value.
	return ca.Cmp(cb) == 0 && (ma.Cmp(mb) == 0 || a.MemoryBytes == b.MemoryBytes)
}

// LowConfidence returns "container NAME: why" for each container the change
// sets from low-confidence evidence (live sampling, less than a day).
func (ch *Change) LowConfidence() []string {
	var out []string
	for _, n := range ch.New {
		if c := ch.Report.Container(n.Name); c != nil && c.Confidence == ConfidenceLow {
			why := "low confidence"
			for _, note := range c.Notes {
				if strings.HasPrefix(note, "low confidence: ") {
					why = strings.TrimPrefix(note, "low confidence: ")
				}
			}
			out = append(out, fmt.Sprintf("container %s: %s", n.Name, why))
		}
	}
	return out
}

// Describe writes what a change sets, one line per container with its
// confidence and notes, then what it leaves out.
func (ch *Change) Describe(w io.Writer) {
	for i, n := range ch.New {
		p := ch.Previous[i]
		fmt.Fprintf(w, "  %s: cpu %s -> %s, memory %s -> %s", n.Name, FormatCPU(p.Requests.CPUMillicores), FormatCPU(n.Requests.CPUMillicores), FormatMemory(p.Requests.MemoryBytes), FormatMemory(n.Requests.MemoryBytes))
		if !p.Limits.IsZero() || !n.Limits.IsZero() {
			fmt.Fprintf(w, " (limits cpu %s -> %s, memory %s -> %s)", FormatCPU(p.Limits.CPUMillicores), FormatCPU(n.Limits.CPUMillicores), FormatMemory(p.Limits.MemoryBytes), FormatMemory(n.Limits.MemoryBytes))
		}
		fmt.Fprintln(w)
		if c := ch.Report.Container(n.Name); c != nil {
			notes := make([]string, len(c.Notes))
			for i, n := range c.Notes {
				notes[i] = strings.TrimPrefix(n, "low confidence: ")
			}
			fmt.Fprintf(w, "    confidence %s", c.Confidence)
			if len(notes) > 0 {
				fmt.Fprintf(w, ": %s", strings.Join(notes, "; "))
			}
			fmt.Fprintln(w)
		}
	}
	for _, s := range ch.Skipped {
		fmt.Fprintf(w, "  note: %s\n", s)
	}
}

// Applier carries out changes.
type Applier struct {
	Client kubernetes.Interface
	Mode   ApplyMode
	DryRun DryRun
	// Policy is the updater policy for ModeEvict (min replicas, eviction
	// tolerance).
	Policy updater.Policy
	Out    io.Writer
	Now    func() time.Time
}

// Result is what applying one change did.
type Result struct {
	Workload string
	// Patched is true when the pod template was patched (or would be).
	Patched bool
	// ResourceVersion of the object after the patch (server answers only).
	ResourceVersion string
	// Resized, Evicted name the pods changed.
	Resized []string
	Evicted []string
	// Refused explains why nothing (or less) was done, e.g. a PDB.
	Refused []string
}

func (a *Applier) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Applier) dryRunOpt() []string {
	if a.DryRun == DryRunServer {
		return []string{metav1.DryRunAll}
	}
	return nil
}

func (a *Applier) printf(format string, args ...any) {
	if a.Out != nil {
		fmt.Fprintf(a.Out, format, args...)
	}
}

// DryRunSuffix is what the applier's messages end with: " (dry run)", " (server
// dry run)" or nothing.
func (a *Applier) DryRunSuffix() string {
	switch a.DryRun {
	case DryRunClient:
		return " (dry run)"
	case DryRunServer:
		return " (server dry run)"
	}
	return ""
}

// Apply carries out one change in the applier's mode.
func (a *Applier) Apply(ctx context.Context, ch Change) (Result, error) {
	w := ch.Report.workload
	res := Result{Workload: w.Namespace + "/" + w.Ref()}
	if len(ch.New) == 0 {
		return res, nil
	}
	switch a.Mode {
	case ModeInPlace:
		return a.resize(ctx, w, ch, res)
	case ModeEvict:
		return a.evict(ctx, w, ch, res)
	}
	return a.patch(ctx, w, ch, res)
}

// patch sends the template patch: all containers of the workload in one
// request. Apply computed ch.New from the requests and limits it read
// (ch.Previous), perhaps minutes ago behind a confirmation prompt: the patch
// re-reads the object first and refuses with a *ConflictError when those
// changed since (someone ran kubectl set resources, say), and carries the
// resourceVersion it re-read as a precondition, so a change between the
// re-read and the patch is refused by the API server (then read again).
func (a *Applier) patch(ctx context.Context, w *Workload, ch Change, res Result) (Result, error) {
	return a.patchChecked(ctx, w, res, func(cur *Workload) ([]ContainerResources, []string, error) {
		if changed := differences(cur, ch.Previous); len(changed) > 0 {
			return nil, nil, &ConflictError{Workload: w.Namespace + "/" + w.Ref(), Changed: changed}
		}
		return ch.New, nil, nil
	})
}

// Rollback restores what Apply replaced: each container whose requests and
// limits are still the ones ch.New set gets ch.Previous back; a container
// changed by someone else since is left as it is and named in
// Result.Refused. It patches the pod template (ModePatch), with the same
// resourceVersion precondition as Apply.
func (a *Applier) Rollback(ctx context.Context, ch Change) (Result, error) {
	w := ch.Report.workload
	res := Result{Workload: w.Namespace + "/" + w.Ref()}
	return a.patchChecked(ctx, w, res, func(cur *Workload) ([]ContainerResources, []string, error) {
		var back []ContainerResources
		var left []string
		for i, n := range ch.New {
			if d := differences(cur, []ContainerResources{n}); len(d) > 0 {
				left = append(left, fmt.Sprintf("container %s left as it is: changed since apply (%s)", n.Name, strings.Join(d, "; ")))
				continue
			}
			back = append(back, ch.Previous[i])
		}
		return back, left, nil
	})
}

// ConflictError says a workload's requests or limits changed between the
// read apply recommended from and its patch: nothing was applied to it.
type ConflictError struct {
	Workload string
	// Changed describes each difference, e.g. "container app: cpu request 1 -> 500m".
	Changed []string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s changed since apply read it (%s): nothing applied to it; run apply again to recommend from its new requests",
		e.Workload, strings.Join(e.Changed, "; "))
}

// differences describes how the containers of cur differ from want (by
// name; requests and limits).
func differences(cur *Workload, want []ContainerResources) []string {
	var out []string
	for _, c := range want {
		got := cur.Container(c.Name)
		if got == nil {
			out = append(out, fmt.Sprintf("container %s is gone", c.Name))
			continue
		}
		for _, d := range []struct {
			what      string
			was, is   float64
			memory    bool
			requested bool
		}{
			{"cpu request", c.Requests.CPUMillicores, got.Requests.CPUMillicores, false, true},
			{"memory request", c.Requests.MemoryBytes, got.Requests.MemoryBytes, true, true},
			{"cpu limit", c.Limits.CPUMillicores, got.Limits.CPUMillicores, false, false},
			{"memory limit", c.Limits.MemoryBytes, got.Limits.MemoryBytes, true, false},
		} {
			format := FormatCPU
			var was, is model.Resources
			if d.memory {
				format = FormatMemory
				was.MemoryBytes, is.MemoryBytes = d.was, d.is
			} else {
				was.CPUMillicores, is.CPUMillicores = d.was, d.is
			}
			if !SameQuantities(was, is) {
				out = append(out, fmt.Sprintf("container %s: %s %s -> %s", c.Name, d.what, orUnset(format, d.was), orUnset(format, d.is)))
			}
		}
	}
	return out
}

func orUnset(format func(float64) string, v float64) string {
	if v == 0 {
		return "unset"
	}
	return format(v)
}

// patchChecked re-reads the workload, asks plan which containers to set
// (and what to report as left alone), and patches them with the re-read
// resourceVersion as a precondition; on a conflict it reads again (a status
// update also moves the resourceVersion), at most three times.
func (a *Applier) patchChecked(ctx context.Context, w *Workload, res Result,
	plan func(cur *Workload) (set []ContainerResources, left []string, err error)) (Result, error) {
	if ok, why := PatchableTemplate(w.Kind); !ok {
		res.Refused = append(res.Refused, why)
		a.printf("%s/%s not patched: %s\n", w.Namespace, w.Ref(), why)
		return res, nil
	}
	if a.DryRun == DryRunClient {
		cs, left, err := plan(w)
		if err != nil {
			return res, err
		}
		res.Refused = append(res.Refused, left...)
		res.Patched = len(cs) > 0
		a.printf("%s/%s patched%s\n", w.Namespace, w.Ref(), a.DryRunSuffix())
		return res, nil
	}
	for attempt := 1; ; attempt++ {
		obj, err := GetWorkloadObject(ctx, a.Client, w.Kind, w.Namespace, w.Name)
		if err != nil {
			return res, fmt.Errorf("read %s/%s before patching it: %w", w.Namespace, w.Ref(), err)
		}
		cur := NewWorkload(obj)
		cs, left, err := plan(cur)
		if err != nil {
			return res, err
		}
		res.Refused = left
		for _, l := range left {
			a.printf("%s/%s: %s\n", w.Namespace, w.Ref(), l)
		}
		if len(cs) == 0 {
			return res, nil
		}
		body := TemplatePatch(w, cs)
		if rv := obj.(metav1.Object).GetResourceVersion(); rv != "" {
			body["metadata"] = map[string]any{"resourceVersion": rv}
		}
		data, err := json.Marshal(body)
		if err != nil {
			return res, err
		}
		rv, err := PatchWorkload(ctx, a.Client, w, data, a.dryRunOpt())
		if apierrors.IsConflict(err) && attempt < 3 {
			continue
		}
		if err != nil {
			return res, fmt.Errorf("patch %s/%s: %w", w.Namespace, w.Ref(), err)
		}
		res.Patched, res.ResourceVersion = true, rv
		a.printf("%s/%s patched%s\n", w.Namespace, w.Ref(), a.DryRunSuffix())
		return res, nil
	}
}

// GetWorkloadObject reads a workload object of a kind smartvpa right-sizes.
func GetWorkloadObject(ctx context.Context, c kubernetes.Interface, kind, ns, name string) (runtime.Object, error) {
	opts := metav1.GetOptions{}
	switch kind {
	case KindDeployment:
		return c.AppsV1().Deployments(ns).Get(ctx, name, opts)
	case KindStatefulSet:
		return c.AppsV1().StatefulSets(ns).Get(ctx, name, opts)
	case KindDaemonSet:
		return c.AppsV1().DaemonSets(ns).Get(ctx, name, opts)
	case KindReplicaSet:
		return c.AppsV1().ReplicaSets(ns).Get(ctx, name, opts)
	case KindCronJob:
		return c.BatchV1().CronJobs(ns).Get(ctx, name, opts)
	case KindJob:
		return c.BatchV1().Jobs(ns).Get(ctx, name, opts)
	case KindPod:
		return c.CoreV1().Pods(ns).Get(ctx, name, opts)
	}
	return nil, fmt.Errorf("kind %s is not a workload smartvpa right-sizes", kind)
}

// PatchWorkload sends a strategic-merge patch of the workload object with
// field manager smartvpa and returns the resourceVersion the server answered.
func PatchWorkload(ctx context.Context, c kubernetes.Interface, w *Workload, data []byte, dryRun []string) (string, error) {
	opts := metav1.PatchOptions{FieldManager: FieldManager, DryRun: dryRun}
	pt := types.StrategicMergePatchType
	var obj metav1.Object
	var err error
	switch w.Kind {
	case KindDeployment:
		obj, err = c.AppsV1().Deployments(w.Namespace).Patch(ctx, w.Name, pt, data, opts)
	case KindStatefulSet:
		obj, err = c.AppsV1().StatefulSets(w.Namespace).Patch(ctx, w.Name, pt, data, opts)
	case KindDaemonSet:
		obj, err = c.AppsV1().DaemonSets(w.Namespace).Patch(ctx, w.Name, pt, data, opts)
	case KindReplicaSet:
		obj, err = c.AppsV1().ReplicaSets(w.Namespace).Patch(ctx, w.Name, pt, data, opts)
	case KindCronJob:
		obj, err = c.BatchV1().CronJobs(w.Namespace).Patch(ctx, w.Name, pt, data, opts)
	case KindJob:
		obj, err = c.BatchV1().Jobs(w.Namespace).Patch(ctx, w.Name, pt, data, opts)
	case KindPod:
		obj, err = c.CoreV1().Pods(w.Namespace).Patch(ctx, w.Name, pt, data, opts)
	default:
		return "", fmt.Errorf("kind %s cannot be patched", w.Kind)
	}
	if err != nil {
		return "", err
	}
	return obj.GetResourceVersion(), nil
}

// resize changes the running pods in place through pods/resize, falling back
// to the template patch when the server has no resize subresource.
func (a *Applier) resize(ctx context.Context, w *Workload, ch Change, res Result) (Result, error) {
	data, err := json.Marshal(map[string]any{"spec": PodSpecPatch(ch.New)})
	if err != nil {
		return res, err
	}
	if len(w.Pods) == 0 {
		res.Refused = append(res.Refused, "no running pods to resize")
		a.printf("%s/%s: no running pods to resize\n", w.Namespace, w.Ref())
		return res, nil
	}
	for _, p := range w.Pods {
		if a.DryRun == DryRunClient {
			res.Resized = append(res.Resized, p.Name)
			continue
		}
		_, err := a.Client.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.StrategicMergePatchType, data,
			metav1.PatchOptions{FieldManager: FieldManager, DryRun: a.dryRunOpt()}, "resize")
		if err != nil {
			if apierrors.IsNotFound(err) && len(res.Resized) == 0 && isSubresourceMissing(err) || apierrors.IsMethodNotSupported(err) {
				a.printf("%s/%s: the server has no pods/resize subresource; patching the pod template instead\n", w.Namespace, w.Ref())
				return a.patch(ctx, w, ch, res)
			}
			return res, fmt.Errorf("resize pod %s/%s: %w", p.Namespace, p.Name, err)
		}
		res.Resized = append(res.Resized, p.Name)
	}
	a.printf("%s/%s: resized %d pod(s) in place%s; the pod template is unchanged\n", w.Namespace, w.Ref(), len(res.Resized), a.DryRunSuffix())
	return res, nil
}

func isSubresourceMissing(err error) bool {
	var st apierrors.APIStatus
	if s, ok := err.(apierrors.APIStatus); ok {
		st = s
	}
	if st == nil {
		return false
	}
	d := st.Status().Details
	// A missing pod says Name=<pod>; a missing subresource has no details or
	// says the path is not found.
	return d == nil || d.Name == "" || strings.Contains(st.Status().Message, "resize")
}

// evict applies the updater policy and evicts the pods it selects through
// the Eviction API. PodDisruptionBudgets that allow no disruption are checked
// first, so the answer names them.
func (a *Applier) evict(ctx context.Context, w *Workload, ch Change, res Result) (Result, error) {
	if len(w.Pods) == 0 {
		res.Refused = append(res.Refused, "no pods to evict")
		a.printf("%s/%s: no pods to evict\n", w.Namespace, w.Ref())
		return res, nil
	}
	blocking, err := blockingPDBs(ctx, a.Client, w)
	if err != nil {
		return res, err
	}
	if len(blocking) > 0 {
		res.Refused = append(res.Refused, blocking...)
		a.printf("%s/%s: evicted nothing: %s\n", w.Namespace, w.Ref(), strings.Join(blocking, "; "))
		return res, nil
	}
	recs := map[string]*model.Recommendation{}
	for _, c := range ch.Report.Containers {
		if c.Recommendation != nil {
			recs[c.Name] = c.Recommendation
		}
	}
	pods := make([]updater.Pod, len(w.Pods))
	for i, p := range w.Pods {
		up := updater.Pod{Name: p.Name, Pending: p.Status.Phase == corev1.PodPending}
		if p.Status.StartTime != nil {
			up.StartTime = p.Status.StartTime.Time
		}
		for _, c := range ContainersOf(&p.Spec) {
			up.Containers = append(up.Containers, updater.Container{Name: c.Name, Requests: c.Requests, Limits: c.Limits, Recommendation: recs[c.Name]})
		}
		pods[i] = up
	}
	pol := a.Policy
	if pol.Mode == "" {
		pol = updater.DefaultPolicy()
	}
	pol.Mode = updater.ModeRecreate
	plan := updater.Plan(a.now(), pods, updater.Group{Configured: w.Replicas}, pol)
	for _, pl := range plan {
		p := w.Pods[pl.Index]
		if pl.Decision.Action != updater.Evict {
			if pl.Decision.Action == updater.None && pl.Decision.Reason != "" {
				res.Refused = append(res.Refused, fmt.Sprintf("pod %s: %s", p.Name, pl.Decision.Reason))
			}
			continue
		}
		if a.DryRun == DryRunClient {
			res.Evicted = append(res.Evicted, p.Name)
			continue
		}
		ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}, DeleteOptions: &metav1.DeleteOptions{DryRun: a.dryRunOpt()}}
		if err := a.Client.PolicyV1().Evictions(p.Namespace).Evict(ctx, ev); err != nil {
			if apierrors.IsTooManyRequests(err) {
				res.Refused = append(res.Refused, fmt.Sprintf("pod %s: eviction refused by the API server: %v", p.Name, err))
				continue
			}
			return res, fmt.Errorf("evict pod %s/%s: %w", p.Namespace, p.Name, err)
		}
		res.Evicted = append(res.Evicted, p.Name)
	}
	if len(res.Evicted) == 0 {
		a.printf("%s/%s: evicted nothing: %s\n", w.Namespace, w.Ref(), strings.Join(res.Refused, "; "))
	} else {
		a.printf("%s/%s: evicted %d pod(s)%s: %s\n", w.Namespace, w.Ref(), len(res.Evicted), a.DryRunSuffix(), strings.Join(res.Evicted, ", "))
		if !ownTemplateOnDelete(w) {
			a.printf("  note: the controller recreates evicted pods from its pod template; without an admission controller that sets requests (upstream VPA), use --mode patch to change the template\n")
		}
	}
	return res, nil
}

// ownTemplateOnDelete reports whether the workload's controller uses the
// OnDelete update strategy (evicted pods then get a patched template).
func ownTemplateOnDelete(w *Workload) bool {
	switch o := w.Object.(type) {
	case *appsv1.StatefulSet:
		return o.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType
	case *appsv1.DaemonSet:
		return o.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType
	}
	return false
}

// blockingPDBs returns a sentence for each PodDisruptionBudget that selects
// the workload's pods and allows no disruption now.
func blockingPDBs(ctx context.Context, c kubernetes.Interface, w *Workload) ([]string, error) {
	list, err := c.PolicyV1().PodDisruptionBudgets(w.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list poddisruptionbudgets: %w", err)
	}
	var out []string
	for i := range list.Items {
		pdb := &list.Items[i]
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || sel.Empty() {
			continue
		}
		covers := false
		for _, p := range w.Pods {
			covers = covers || sel.Matches(labels.Set(p.Labels))
		}
		if covers && pdb.Status.DisruptionsAllowed <= 0 {
			out = append(out, fmt.Sprintf("PodDisruptionBudget %s allows no disruption (%d healthy, %d required)", pdb.Name, pdb.Status.CurrentHealthy, pdb.Status.DesiredHealthy))
		}
	}
	sort.Strings(out)
	return out, nil
}
