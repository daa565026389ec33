package kube

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// managed returns managedFields in which manager owns the requests of the
// named containers under the pod spec at path.
func managed(manager string, path []string, list string, names ...string) []metav1.ManagedFieldsEntry {
	cs := map[string]any{}
	for _, n := range names {
		k, _ := json.Marshal(map[string]string{"name": n})
		cs["k:"+string(k)] = map[string]any{".": map[string]any{}, "f:resources": map[string]any{"f:requests": map[string]any{"f:cpu": map[string]any{}, "f:memory": map[string]any{}}}}
	}
	body := map[string]any{list: cs}
	for i := len(path) - 1; i >= 0; i-- {
		body = map[string]any{"f:" + path[i]: body}
	}
	raw, _ := json.Marshal(body)
	return []metav1.ManagedFieldsEntry{{Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(string(raw))}}
}

func TestRequestsManagedBySmartVPA(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	side := container("proxy", "20m", "32Mi", "", "")
	side.RestartPolicy = &always
	tests := []struct {
		name   string
		object func() runtime.Object
		want   string
	}{
		{"deployment, smartvpa", func() runtime.Object {
			d := deployment("demo", "api", 1, container("api", "100m", "128Mi", "", ""), container("log", "10m", "16Mi", "", ""))
			d.ManagedFields = managed(FieldManager, []string{"spec", "template", "spec"}, "f:containers", "api")
			return d
		}, "api"},
		{"deployment, someone else", func() runtime.Object {
			d := deployment("demo", "api", 1, container("api", "100m", "128Mi", "", ""))
			d.ManagedFields = managed("kubectl-client-side-apply", []string{"spec", "template", "spec"}, "f:containers", "api")
			return d
		}, ""},
		{"cronjob and native sidecar", func() runtime.Object {
			c := cronJob("demo", "report", container("report", "500m", "512Mi", "", ""))
			c.Spec.JobTemplate.Spec.Template.Spec.InitContainers = []corev1.Container{side}
			c.ManagedFields = append(managed(FieldManager, []string{"spec", "jobTemplate", "spec", "template", "spec"}, "f:containers", "report"),
				managed(FieldManager, []string{"spec", "jobTemplate", "spec", "template", "spec"}, "f:initContainers", "proxy")...)
			return c
		}, "proxy report"},
		{"cronjob owned at the wrong path", func() runtime.Object {
			c := cronJob("demo", "report", container("report", "500m", "512Mi", "", ""))
			c.ManagedFields = managed(FieldManager, []string{"spec", "template", "spec"}, "f:containers", "report")
			return c
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RequestsManagedBySmartVPA(NewWorkload(tt.object()))
			var names []string
			for _, n := range []string{"api", "log", "proxy", "report"} {
				if got[n] {
					names = append(names, n)
				}
			}
			if s := strings.Join(names, " "); s != tt.want {
				t.Errorf("owned = %q, want %q", s, tt.want)
			}
		})
	}
}
