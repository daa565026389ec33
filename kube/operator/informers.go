package operator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/tools/cache"
)

// What the informer caches hold. serve reads few fields of the objects it
// watches: of pods their labels, phase, deletion time, container names,
// resources and statuses (OOM kills), conditions and start time; of workload
// controllers their selector, replicas and pod template's containers. The
// caches would otherwise hold whole objects (managed fields, the
// last-applied annotation, environment, volumes, probes, images), most of a
// kwok pod's size, so trimObject, the informers' transform, drops the rest
// before an object is stored. Nothing in the caches is written back.

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// recDigestKey holds, in a cached VPA's status, the digest of the
// status.recommendation it replaces: writeStatus only compares it with the
// recommendation it would write.
const recDigestKey = "smartvpa.io/recommendationDigest"

// trimVPA is the VPA informer's transform: of a VPA serve reads the
// metadata that names it, the spec, and of the status the conditions (their
// lastTransitionTime is kept) and a digest of the recommendation (about a
// sixth of a cached VPA at 1,000 VPAs instead of the whole status).
func trimVPA(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	if md, ok := u.Object["metadata"].(map[string]any); ok {
		keep := map[string]any{}
		for _, k := range []string{"name", "namespace", "uid", "resourceVersion", "generation"} {
			if v, ok := md[k]; ok {
				keep[k] = v
			}
		}
		u.Object["metadata"] = keep
	}
	if st, ok := u.Object["status"].(map[string]any); ok {
		out := map[string]any{recDigestKey: jsonDigest(st["recommendation"])}
		if c, ok := st["conditions"]; ok {
			out["conditions"] = c
		}
		u.Object["status"] = out
	}
	return u, nil
}

// jsonDigest is the SHA-256 of v's JSON in a canonical form (decoded and
// encoded again, so Go values and the API server's JSON compare alike).
func jsonDigest(v any) string {
	b, err := json.Marshal(v)
	if err == nil {
		var x any
		if err = json.Unmarshal(b, &x); err == nil {
			b, err = json.Marshal(x)
		}
	}
	if err != nil {
		return "unencodable: " + err.Error()
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// trimObject is the transform of every informer serve starts.
func trimObject(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		o.ManagedFields = nil
		o.Annotations = nil
		o.Labels = internLabels(o.Labels)
		trimPodSpec(&o.Spec)
		trimPodStatus(&o.Status)
	case *appsv1.Deployment:
		trimMeta(&o.ObjectMeta)
		trimTemplate(&o.Spec.Template)
	case *appsv1.StatefulSet:
		trimMeta(&o.ObjectMeta)
		trimTemplate(&o.Spec.Template)
		o.Spec.VolumeClaimTemplates = nil
	case *appsv1.DaemonSet:
		trimMeta(&o.ObjectMeta)
		trimTemplate(&o.Spec.Template)
	case *appsv1.ReplicaSet:
		trimMeta(&o.ObjectMeta)
		trimTemplate(&o.Spec.Template)
	case *batchv1.Job:
		trimMeta(&o.ObjectMeta)
		trimTemplate(&o.Spec.Template)
	case *unstructured.Unstructured:
		// VPAs: their managed fields grow with every status patch.
		unstructured.RemoveNestedField(o.Object, "metadata", "managedFields")
		unstructured.RemoveNestedField(o.Object, "metadata", "annotations", lastApplied)
	}
	return obj, nil
}

func trimMeta(m *metav1.ObjectMeta) {
	m.ManagedFields = nil
	delete(m.Annotations, lastApplied)
}

func trimTemplate(t *corev1.PodTemplateSpec) {
	t.Annotations = nil
	trimPodSpec(&t.Spec)
}

// trimPodSpec keeps each container's name, resources, resize policy and
// restart policy (native sidecars), and nothing else of the spec but the
// node name.
func trimPodSpec(s *corev1.PodSpec) {
	*s = corev1.PodSpec{
		Containers:     trimContainers(s.Containers),
		InitContainers: trimContainers(s.InitContainers),
		NodeName:       s.NodeName,
		RestartPolicy:  s.RestartPolicy,
	}
}

func trimContainers(cs []corev1.Container) []corev1.Container {
	if len(cs) == 0 {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i, c := range cs {
		out[i] = corev1.Container{Name: c.Name, Resources: internResources(c.Resources), ResizePolicy: c.ResizePolicy, RestartPolicy: c.RestartPolicy}
	}
	return out
}

// Replicas carry the same requests and limits (and allocated resources)
// and the same labels, so the caches share one ResourceList and one label
// map per distinct value instead of holding one per container or pod: at
// 5,000 pods of 1,000 Deployments that is most of 9 MB. Objects in an
// informer's cache are never modified, so sharing is safe.
var (
	internedLists  = newInternTable[corev1.ResourceList]()
	internedLabels = newInternTable[map[string]string]()
)

// maxInterned bounds an intern table: it is emptied when it passes this
// many values, so churn cannot grow it.
const maxInterned = 8192

// internTable maps a canonical key to the first value seen with it.
type internTable[V any] struct {
	mu sync.Mutex
	m  map[string]V
}

func newInternTable[V any]() *internTable[V] { return &internTable[V]{m: map[string]V{}} }

// share returns the value held for key, else holds v for it and returns v.
func (t *internTable[V]) share(key string, v V) V {
	t.mu.Lock()
	defer t.mu.Unlock()
	if shared, ok := t.m[key]; ok {
		return shared
	}
	if len(t.m) >= maxInterned {
		clear(t.m)
	}
	t.m[key] = v
	return v
}

// canonicalKey joins a map's entries in key order, each as k=v and sep.
func canonicalKey[K ~string, V any](m map[K]V, str func(V) string, sep byte) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(str(m[K(k)]))
		b.WriteByte(sep)
	}
	return b.String()
}

// internLabels shares equal label maps.
func internLabels(l map[string]string) map[string]string {
	if len(l) == 0 {
		return l
	}
	// NUL cannot occur in a label value.
	return internedLabels.share(canonicalKey(l, func(v string) string { return v }, 0), l)
}

func internResources(r corev1.ResourceRequirements) corev1.ResourceRequirements {
	r.Requests = internList(r.Requests)
	r.Limits = internList(r.Limits)
	return r
}

// internList shares equal ResourceLists.
func internList(l corev1.ResourceList) corev1.ResourceList {
	if len(l) == 0 {
		return l
	}
	return internedLists.share(canonicalKey(l, func(q resource.Quantity) string { return q.String() }, ';'), l)
}

func trimPodStatus(s *corev1.PodStatus) {
	*s = corev1.PodStatus{
		Phase:                 s.Phase,
		Conditions:            s.Conditions,
		StartTime:             s.StartTime,
		Resize:                s.Resize,
		ContainerStatuses:     trimStatuses(s.ContainerStatuses),
		InitContainerStatuses: trimStatuses(s.InitContainerStatuses),
	}
}

func trimStatuses(ss []corev1.ContainerStatus) []corev1.ContainerStatus {
	if len(ss) == 0 {
		return nil
	}
	out := make([]corev1.ContainerStatus, len(ss))
	for i, st := range ss {
		out[i] = corev1.ContainerStatus{Name: st.Name, State: st.State, LastTerminationState: st.LastTerminationState,
			Ready: st.Ready, RestartCount: st.RestartCount, Started: st.Started,
			AllocatedResources: internList(st.AllocatedResources), Resources: st.Resources}
		if st.Resources != nil {
			r := internResources(*st.Resources)
			out[i].Resources = &r
		}
	}
	return out
}

// podLabelIndex indexes pods by "namespace/key=value" of each label, so a
// VPA's pods are found from one of its selector's equality requirements
// instead of by matching the selector against every pod of the namespace.
const podLabelIndex = "smartvpa.io/label"

func podLabelKeys(obj any) ([]string, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	keys := make([]string, 0, len(p.Labels))
	for k, v := range p.Labels {
		keys = append(keys, p.Namespace+"/"+k+"="+v)
	}
	return keys, nil
}

// selectPods returns the pods of namespace ns that sel selects: from the
// smallest label-index bucket of sel's single-value equality requirements,
// else (no such requirement) from list.
func selectPods(idx cache.Indexer, ns string, sel labels.Selector, list func() ([]*corev1.Pod, error)) ([]*corev1.Pod, error) {
	reqs, _ := sel.Requirements()
	var best []any
	found := false
	for _, r := range reqs {
		op := r.Operator()
		if (op != selection.Equals && op != selection.DoubleEquals && op != selection.In) || r.Values().Len() != 1 {
			continue
		}
		items, err := idx.ByIndex(podLabelIndex, ns+"/"+r.Key()+"="+r.Values().UnsortedList()[0])
		if err != nil {
			return nil, err
		}
		if !found || len(items) < len(best) {
			best, found = items, true
		}
	}
	if !found {
		return list()
	}
	out := make([]*corev1.Pod, 0, len(best))
	for _, o := range best {
		if p, ok := o.(*corev1.Pod); ok && p.Namespace == ns && sel.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out, nil
}
