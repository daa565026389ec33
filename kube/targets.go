package kube

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/kubernetes"

	"github.com/smartvpa/smartvpa/core/model"
)

// The workload kinds smartvpa right-sizes.
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
	KindDaemonSet   = "DaemonSet"
	KindReplicaSet  = "ReplicaSet"
	KindJob         = "Job"
	KindCronJob     = "CronJob"
	KindPod         = "Pod"
)

// Workload is one thing whose pods share a pod template: a controller, a
// CronJob (its Jobs grouped under it) or a bare Pod.
type Workload struct {
	Namespace string
	Kind      string
	Name      string
	// Object is the typed object (*appsv1.Deployment, ..., *corev1.Pod).
	Object runtime.Object
	// Template is the pod template the controller creates pods from (for a
	// bare Pod: its metadata and spec).
	Template corev1.PodTemplateSpec
	// Containers are the template's containers, then its native sidecars
	// (init containers with restartPolicy Always).
	Containers []Container
	// Pods are the live pods the workload owns (via owner references).
	Pods []*corev1.Pod
	// Replicas is the desired number of pods (spec.replicas), or the number
	// of pods when the kind has no such field.
	Replicas int
	// Jobs names a CronJob's Jobs.
	Jobs []string
}

// Container is one container of a workload's pod template.
type Container struct {
	Name string
	// Sidecar is true for a native sidecar (an init container with
	// restartPolicy Always).
	Sidecar  bool
	Requests model.Resources
	Limits   model.Resources
}

// Ref returns "kind/name" in kubectl's lower-case form, e.g. "deployment/web".
func (w *Workload) Ref() string { return strings.ToLower(w.Kind) + "/" + w.Name }

// Key returns "namespace/kind/name", unique in a cluster.
func (w *Workload) Key() string { return w.Namespace + "/" + w.Kind + "/" + w.Name }

// Container returns the container named name, or nil.
func (w *Workload) Container(name string) *Container {
	for i := range w.Containers {
		if w.Containers[i].Name == name {
			return &w.Containers[i]
		}
	}
	return nil
}

// PodSpecPath returns the JSON path of the pod spec inside the object, e.g.
// ["spec", "template", "spec"]; nil for a bare Pod.
func (w *Workload) PodSpecPath() []string {
	switch w.Kind {
	case KindPod:
		return []string{"spec"}
	case KindCronJob:
		return []string{"spec", "jobTemplate", "spec", "template", "spec"}
	}
	return []string{"spec", "template", "spec"}
}

// PodNamePattern returns an anchored regular expression that matches the
// names of the pods this workload creates, past ones included (a Deployment's
// pods of an older ReplicaSet). Generated name suffixes use Kubernetes' safe
// alphabet, which has no vowels, so "web" does not match "web-api-..." pods.
func (w *Workload) PodNamePattern() string {
	n := regexp.QuoteMeta(w.Name)
	const safe = "[bcdfghjklmnpqrstvwxz2456789]"
	switch w.Kind {
	case KindDeployment:
		return n + "-" + safe + "{1,10}-" + safe + "{5}"
	case KindStatefulSet:
		return n + "-[0-9]+"
	case KindDaemonSet, KindReplicaSet, KindJob:
		return n + "-" + safe + "{5}"
	case KindCronJob:
		return n + "-[0-9]+-" + safe + "{5}"
	}
	return n
}

// ContainersOf lists the containers and native sidecars of a pod spec.
func ContainersOf(spec *corev1.PodSpec) []Container {
	var out []Container
	for _, c := range spec.Containers {
		out = append(out, Container{Name: c.Name, Requests: FromResourceList(c.Resources.Requests), Limits: FromResourceList(c.Resources.Limits)})
	}
	for _, c := range spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			out = append(out, Container{Name: c.Name, Sidecar: true, Requests: FromResourceList(c.Resources.Requests), Limits: FromResourceList(c.Resources.Limits)})
		}
	}
	return out
}

// TargetOptions say which workloads to resolve, as kubectl's flags do.
type TargetOptions struct {
	// Args are kubectl-style arguments: "deploy/foo", "deploy foo bar",
	// "deploy,sts". Empty means every workload kind.
	Args          []string
	Namespace     string
	AllNamespaces bool
	Selector      string
}

// defaultKinds are the controller kinds listed when no argument is given;
// standalone ReplicaSets and Jobs and bare Pods come from the ownership lists.
const defaultKinds = "deployments,statefulsets,daemonsets,cronjobs"

// Resolver finds workloads and their pods. Builder resolves the arguments
// (cli-runtime's resource builder: short names, kinds, names, selectors);
// Client lists the pods, ReplicaSets and Jobs that ownership needs, one list
// call per kind and namespace (one per kind with AllNamespaces).
type Resolver struct {
	NewBuilder func() *resource.Builder
	Client     kubernetes.Interface
}

// Resolve returns the workloads named by o, sorted by namespace, kind, name.
func (r *Resolver) Resolve(ctx context.Context, o TargetOptions) ([]*Workload, error) {
	sel := labels.Everything()
	if o.Selector != "" {
		s, err := labels.Parse(o.Selector)
		if err != nil {
			return nil, fmt.Errorf("invalid label selector %q: %w", o.Selector, err)
		}
		sel = s
	}
	args := o.Args
	explicit := len(args) > 0
	if !explicit {
		args = []string{defaultKinds}
	}
	b := r.NewBuilder().Unstructured().
		NamespaceParam(o.Namespace).DefaultNamespace().AllNamespaces(o.AllNamespaces).
		LabelSelectorParam(o.Selector).
		ResourceTypeOrNameArgs(true, args...).
		ContinueOnError().Flatten()
	infos, err := b.Do().Infos()
	if err != nil {
		return nil, err
	}
	var objs []runtime.Object
	namespaces := map[string]bool{}
	for _, info := range infos {
		u, ok := info.Object.(*unstructured.Unstructured)
		if !ok {
			return nil, fmt.Errorf("%s/%s: unexpected object type %T", info.Mapping.Resource.Resource, info.Name, info.Object)
		}
		obj, err := typedWorkload(u)
		if err != nil {
			return nil, err
		}
		if obj == nil {
			return nil, fmt.Errorf("%s %q is not a workload smartvpa right-sizes: use deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs or pods", u.GetKind(), u.GetName())
		}
		objs = append(objs, obj)
		namespaces[u.GetNamespace()] = true
	}
	if !explicit {
		// The default lists every namespace in scope even without controllers.
		if o.AllNamespaces {
			namespaces[metav1.NamespaceAll] = true
		} else {
			ns := o.Namespace
			if ns == "" {
				ns = "default"
			}
			namespaces[ns] = true
		}
	}
	if o.AllNamespaces {
		namespaces = map[string]bool{metav1.NamespaceAll: true}
	}
	snap, err := r.listOwnership(ctx, namespaces)
	if err != nil {
		return nil, err
	}
	return Group(objs, snap, !explicit, sel), nil
}

// Snapshot is what ownership needs: the pods, ReplicaSets and Jobs of the
// namespaces in scope.
type Snapshot struct {
	Pods        []corev1.Pod
	ReplicaSets []appsv1.ReplicaSet
	Jobs        []batchv1.Job
}

func (r *Resolver) listOwnership(ctx context.Context, namespaces map[string]bool) (*Snapshot, error) {
	snap := &Snapshot{}
	nss := make([]string, 0, len(namespaces))
	for ns := range namespaces {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	for _, ns := range nss {
		pods, err := r.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return nil, fmt.Errorf("list pods: %w", err)
		}
		snap.Pods = append(snap.Pods, pods.Items...)
		rss, err := r.Client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return nil, fmt.Errorf("list replicasets: %w", err)
		}
		snap.ReplicaSets = append(snap.ReplicaSets, rss.Items...)
		jobs, err := r.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		snap.Jobs = append(snap.Jobs, jobs.Items...)
	}
	return snap, nil
}

// typedWorkload converts an unstructured object of a workload kind to its
// typed form; nil, nil for other kinds.
func typedWorkload(u *unstructured.Unstructured) (runtime.Object, error) {
	var obj runtime.Object
	switch u.GetKind() {
	case KindDeployment:
		obj = &appsv1.Deployment{}
	case KindStatefulSet:
		obj = &appsv1.StatefulSet{}
	case KindDaemonSet:
		obj = &appsv1.DaemonSet{}
	case KindReplicaSet:
		obj = &appsv1.ReplicaSet{}
	case KindJob:
		obj = &batchv1.Job{}
	case KindCronJob:
		obj = &batchv1.CronJob{}
	case KindPod:
		obj = &corev1.Pod{}
	default:
		return nil, nil
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	return obj, nil
}

// NewWorkload builds a workload (without pods) from a typed object; nil for
// kinds smartvpa does not right-size.
func NewWorkload(obj runtime.Object) *Workload {
	w := &Workload{Object: obj}
	var meta metav1.Object
	switch o := obj.(type) {
	case *appsv1.Deployment:
		w.Kind, meta, w.Template, w.Replicas = KindDeployment, o, o.Spec.Template, replicas(o.Spec.Replicas)
	case *appsv1.StatefulSet:
		w.Kind, meta, w.Template, w.Replicas = KindStatefulSet, o, o.Spec.Template, replicas(o.Spec.Replicas)
	case *appsv1.DaemonSet:
		w.Kind, meta, w.Template = KindDaemonSet, o, o.Spec.Template
		w.Replicas = int(o.Status.DesiredNumberScheduled)
	case *appsv1.ReplicaSet:
		w.Kind, meta, w.Template, w.Replicas = KindReplicaSet, o, o.Spec.Template, replicas(o.Spec.Replicas)
	case *batchv1.Job:
		w.Kind, meta, w.Template = KindJob, o, o.Spec.Template
		w.Replicas = int(replicas(o.Spec.Parallelism))
	case *batchv1.CronJob:
		w.Kind, meta, w.Template = KindCronJob, o, o.Spec.JobTemplate.Spec.Template
		w.Replicas = int(replicas(o.Spec.JobTemplate.Spec.Parallelism))
	case *corev1.Pod:
		w.Kind, meta = KindPod, o
		w.Template = corev1.PodTemplateSpec{ObjectMeta: *o.ObjectMeta.DeepCopy(), Spec: *o.Spec.DeepCopy()}
		w.Replicas = 1
	default:
		return nil
	}
	w.Namespace, w.Name = meta.GetNamespace(), meta.GetName()
	w.Containers = ContainersOf(&w.Template.Spec)
	return w
}

func replicas(p *int32) int {
	if p == nil {
		return 1
	}
	return int(*p)
}

// Group turns resolved objects into workloads with their pods, following
// owner references (Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob).
// With all set (no explicit arguments) it also adds standalone ReplicaSets
// and Jobs and bare Pods from the snapshot that match sel.
func Group(objs []runtime.Object, snap *Snapshot, all bool, sel labels.Selector) []*Workload {
	byKey := map[string]*Workload{}
	var out []*Workload
	add := func(w *Workload) {
		if w == nil {
			return
		}
		if _, dup := byKey[w.Key()]; dup {
			return
		}
		byKey[w.Key()] = w
		out = append(out, w)
	}
	for _, o := range objs {
		add(NewWorkload(o))
	}
	rsOwner := map[string]string{} // ns/rs -> Deployment name ("" when standalone)
	for i := range snap.ReplicaSets {
		rs := &snap.ReplicaSets[i]
		owner := ""
		if ref := metav1.GetControllerOf(rs); ref != nil && ref.Kind == KindDeployment {
			owner = ref.Name
		}
		rsOwner[rs.Namespace+"/"+rs.Name] = owner
		if all && owner == "" && sel.Matches(labels.Set(rs.Labels)) {
			add(NewWorkload(rs))
		}
	}
	jobOwner := map[string]string{}
	for i := range snap.Jobs {
		j := &snap.Jobs[i]
		owner := ""
		if ref := metav1.GetControllerOf(j); ref != nil && ref.Kind == KindCronJob {
			owner = ref.Name
		}
		jobOwner[j.Namespace+"/"+j.Name] = owner
		if owner != "" {
			if w := byKey[j.Namespace+"/"+KindCronJob+"/"+owner]; w != nil {
				w.Jobs = append(w.Jobs, j.Name)
			}
		} else if all && sel.Matches(labels.Set(j.Labels)) {
			add(NewWorkload(j))
		}
	}
	for i := range snap.Pods {
		p := &snap.Pods[i]
		ref := metav1.GetControllerOf(p)
		var key string
		switch {
		case ref == nil:
			if w := byKey[p.Namespace+"/"+KindPod+"/"+p.Name]; w != nil {
				w.Pods = []*corev1.Pod{p}
				w.Object = p
				continue
			}
			if all && sel.Matches(labels.Set(p.Labels)) {
				w := NewWorkload(p)
				w.Pods = []*corev1.Pod{p}
				add(w)
			}
			continue
		case ref.Kind == KindReplicaSet:
			if d := rsOwner[p.Namespace+"/"+ref.Name]; d != "" {
				key = p.Namespace + "/" + KindDeployment + "/" + d
				if byKey[key] == nil { // a ReplicaSet named explicitly
					key = p.Namespace + "/" + KindReplicaSet + "/" + ref.Name
				}
			} else {
				key = p.Namespace + "/" + KindReplicaSet + "/" + ref.Name
			}
		case ref.Kind == KindJob:
			if c := jobOwner[p.Namespace+"/"+ref.Name]; c != "" {
				key = p.Namespace + "/" + KindCronJob + "/" + c
				if byKey[key] == nil {
					key = p.Namespace + "/" + KindJob + "/" + ref.Name
				}
			} else {
				key = p.Namespace + "/" + KindJob + "/" + ref.Name
			}
		default:
			key = p.Namespace + "/" + ref.Kind + "/" + ref.Name
		}
		if w := byKey[key]; w != nil {
			w.Pods = append(w.Pods, p)
		}
	}
	for _, w := range out {
		sort.Slice(w.Pods, func(i, j int) bool { return w.Pods[i].Name < w.Pods[j].Name })
		sort.Strings(w.Jobs)
		if w.Kind == KindDaemonSet && w.Replicas == 0 {
			w.Replicas = len(w.Pods)
		}
		if w.Kind == KindCronJob || w.Kind == KindJob {
			if n := runningPods(w.Pods); n > 0 {
				w.Replicas = n
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if kindOrder(a.Kind) != kindOrder(b.Kind) {
			return kindOrder(a.Kind) < kindOrder(b.Kind)
		}
		return a.Name < b.Name
	})
	return out
}

func runningPods(pods []*corev1.Pod) int {
	n := 0
	for _, p := range pods {
		if p.Status.Phase == corev1.PodRunning {
			n++
		}
	}
	return n
}

func kindOrder(k string) int {
	switch k {
	case KindDeployment:
		return 0
	case KindStatefulSet:
		return 1
	case KindDaemonSet:
		return 2
	case KindReplicaSet:
		return 3
	case KindCronJob:
		return 4
	case KindJob:
		return 5
	case KindPod:
		return 6
	}
	return 7
}
