package operator

import (
	"reflect"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/smartvpa/smartvpa/kube"
)

func TestTrimPodKeepsWhatServeReads(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	oom := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", FinishedAt: metav1.NewTime(t0)}}
	p := pod("web-0", "100m", "128Mi")
	p.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	p.Annotations = map[string]string{lastApplied: "{...}"}
	p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", Value: "b"}}
	p.Spec.Containers[0].Image = "registry.k8s.io/pause:3.10"
	p.Spec.InitContainers = []corev1.Container{{Name: "proxy", RestartPolicy: &always, Resources: corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")}}}}
	p.Spec.Volumes = []corev1.Volume{{Name: "data"}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: "x", ImageID: "y", LastTerminationState: oom, RestartCount: 2}}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodResizePending, Reason: corev1.PodReasonInfeasible}}
	p.Status.PodIPs = []corev1.PodIP{{IP: "10.0.0.1"}}
	before := p.DeepCopy()
	if _, err := trimObject(p); err != nil {
		t.Fatal(err)
	}
	if p.ManagedFields != nil || p.Annotations != nil || p.Spec.Volumes != nil || p.Spec.Containers[0].Env != nil || p.Spec.Containers[0].Image != "" || p.Status.PodIPs != nil {
		t.Errorf("trimmed pod still holds fields serve does not read: %+v", p)
	}
	if !reflect.DeepEqual(kube.ContainersOf(&p.Spec), kube.ContainersOf(&before.Spec)) {
		t.Errorf("containers %+v, want %+v", kube.ContainersOf(&p.Spec), kube.ContainersOf(&before.Spec))
	}
	if p.Name != before.Name || !reflect.DeepEqual(p.Labels, before.Labels) || p.Status.Phase != before.Status.Phase ||
		!reflect.DeepEqual(p.Status.StartTime, before.Status.StartTime) || !reflect.DeepEqual(p.Status.Conditions, before.Status.Conditions) {
		t.Errorf("trimmed pod lost metadata or status serve reads")
	}
	if st := p.Status.ContainerStatuses[0]; st.Name != "app" || !reflect.DeepEqual(st.LastTerminationState, oom) || st.RestartCount != 2 || st.Image != "" {
		t.Errorf("container status %+v", st)
	}
}

// TestTrimSharesResourceLists: replicas with equal resources share one
// ResourceList in the cache; different ones do not, and values are kept.
func TestTrimSharesResourceLists(t *testing.T) {
	a, b, c := pod("web-0", "100m", "128Mi"), pod("web-1", "100m", "128Mi"), pod("web-2", "200m", "128Mi")
	for _, p := range []*corev1.Pod{a, b, c} {
		r := p.Spec.Containers[0].Resources.DeepCopy()
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Resources: r, AllocatedResources: r.Requests.DeepCopy()}}
	}
	want := c.Spec.Containers[0].Resources.DeepCopy()
	for _, p := range []*corev1.Pod{a, b, c} {
		if _, err := trimObject(p); err != nil {
			t.Fatal(err)
		}
	}
	same := func(x, y corev1.ResourceList) bool {
		return reflect.ValueOf(x).Pointer() == reflect.ValueOf(y).Pointer()
	}
	ra, rb, rc := a.Spec.Containers[0].Resources, b.Spec.Containers[0].Resources, c.Spec.Containers[0].Resources
	if !same(ra.Requests, rb.Requests) || !same(ra.Requests, b.Status.ContainerStatuses[0].AllocatedResources) ||
		!same(ra.Requests, b.Status.ContainerStatuses[0].Resources.Requests) {
		t.Error("equal requests of two replicas are not shared")
	}
	if same(ra.Requests, rc.Requests) {
		t.Error("different requests share a list")
	}
	sameLabels := func(x, y map[string]string) bool { return reflect.ValueOf(x).Pointer() == reflect.ValueOf(y).Pointer() }
	if !sameLabels(a.Labels, b.Labels) || !reflect.DeepEqual(a.Labels, map[string]string{"app": "web"}) {
		t.Errorf("labels of two replicas %v and %v are not one shared map", a.Labels, b.Labels)
	}
	if !reflect.DeepEqual(rc, *want) {
		t.Errorf("resources %v, want %v", rc, want)
	}
}

func TestSelectPods(t *testing.T) {
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{podLabelIndex: podLabelKeys})
	mk := func(ns, name string, l map[string]string) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: l}}
		if err := idx.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	mk("demo", "web-0", map[string]string{"app": "web", "tier": "front"})
	mk("demo", "web-1", map[string]string{"app": "web", "tier": "back"})
	mk("demo", "api-0", map[string]string{"app": "api", "tier": "front"})
	mk("other", "web-0", map[string]string{"app": "web", "tier": "front"})
	listAll := func(ns string, sel labels.Selector) func() ([]*corev1.Pod, error) {
		return func() ([]*corev1.Pod, error) {
			var out []*corev1.Pod
			for _, o := range idx.List() {
				if p := o.(*corev1.Pod); p.Namespace == ns && sel.Matches(labels.Set(p.Labels)) {
					out = append(out, p)
				}
			}
			return out, nil
		}
	}
	tests := []struct {
		name string
		sel  metav1.LabelSelector
		want []string
	}{
		{"match labels", metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, []string{"web-0", "web-1"}},
		{"two labels", metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "front"}}, []string{"web-0"}},
		{"in one value", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"api"}}}}, []string{"api-0"}},
		{"not in: fallback", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"api"}}}}, []string{"web-0", "web-1"}},
		{"in two values: fallback", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"api", "web"}}}}, []string{"api-0", "web-0", "web-1"}},
		{"no pod", metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := metav1.LabelSelectorAsSelector(&tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			pods, err := selectPods(idx, "demo", sel, listAll("demo", sel))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pods {
				got = append(got, p.Name)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("selected %v, want %v", got, tt.want)
			}
		})
	}
}

// TestTrimVPAKeepsWhatServeReads: the cached VPA parses as the whole one,
// keeps its conditions, and its recommendation digest matches what
// writeStatus compares (the same recommendation as Go values).
func TestTrimVPAKeepsWhatServeReads(t *testing.T) {
	rec := map[string]any{"containerRecommendations": []any{map[string]any{"containerName": "app",
		"target": map[string]any{"cpu": "250m", "memory": "300Mi"}}}}
	conds := []any{map[string]any{"type": "RecommendationProvided", "status": "True", "lastTransitionTime": "2026-11-01T00:00:00Z"}}
	// As the API server sends it: JSON, so numbers are int64/float64.
	raw := `{"apiVersion":"autoscaling.k8s.io/v1","kind":"VerticalPodAutoscaler",
	  "metadata":{"name":"web","namespace":"demo","uid":"u1","generation":3,"resourceVersion":"42",
	    "labels":{"a":"b"},"annotations":{"` + lastApplied + `":"{}"},"managedFields":[{"manager":"kubectl"}]},
	  "spec":{"targetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"recommenders":[{"name":"smartvpa"}],
	    "updatePolicy":{"updateMode":"Off","minReplicas":2}},
	  "status":{"recommendation":{"containerRecommendations":[{"containerName":"app","target":{"cpu":"250m","memory":"300Mi"}}]},
	    "conditions":[{"type":"RecommendationProvided","status":"True","lastTransitionTime":"2026-11-01T00:00:00Z"}]}}`
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	whole, err := ParseVPA(u.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	out, err := trimVPA(u)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseVPA(out.(*unstructured.Unstructured))
	if err != nil || !reflect.DeepEqual(got, whole) {
		t.Fatalf("trimmed VPA parses as %+v (%v), want %+v", got, err, whole)
	}
	o := out.(*unstructured.Unstructured).Object
	if md := o["metadata"].(map[string]any); len(md) != 5 || md["resourceVersion"] != "42" {
		t.Errorf("metadata kept %v, want name, namespace, uid, resourceVersion, generation", md)
	}
	st := o["status"].(map[string]any)
	if !reflect.DeepEqual(st["conditions"], conds) {
		t.Errorf("conditions %v, want %v", st["conditions"], conds)
	}
	if _, ok := st["recommendation"]; ok || st[recDigestKey] != jsonDigest(rec) {
		t.Errorf("status %v: want the recommendation replaced by the digest of the same recommendation as Go values", st)
	}
	rec["containerRecommendations"].([]any)[0].(map[string]any)["target"].(map[string]any)["cpu"] = "251m"
	if st[recDigestKey] == jsonDigest(rec) {
		t.Error("a different recommendation has the same digest")
	}
}
