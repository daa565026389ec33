package kube

import (
	"encoding/json"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RequestsManagedBySmartVPA returns the containers whose requests field
// manager smartvpa owns in the workload's managedFields, i.e. smartvpa set
// them last.
func RequestsManagedBySmartVPA(w *Workload) map[string]bool {
	out := map[string]bool{}
	obj, ok := w.Object.(metav1.Object)
	if !ok || obj == nil {
		return out
	}
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager != FieldManager || mf.FieldsV1 == nil {
			continue
		}
		var fields map[string]any
		if err := json.Unmarshal(mf.FieldsV1.GetRawBytes(), &fields); err != nil {
			continue
		}
		spec := fields
		for _, p := range w.PodSpecPath() {
			next, _ := spec["f:"+p].(map[string]any)
			if next == nil {
				spec = nil
				break
			}
			spec = next
		}
		if spec == nil {
			continue
		}
		for _, list := range []string{"f:containers", "f:initContainers"} {
			cs, _ := spec[list].(map[string]any)
			for k, v := range cs {
				name, ok := containerKeyName(k)
				if !ok {
					continue
				}
				c, _ := v.(map[string]any)
				res, _ := c["f:resources"].(map[string]any)
				req, _ := res["f:requests"].(map[string]any)
				if len(req) > 0 {
					out[name] = true
				}
			}
		}
	}
	return out
}

// containerKeyName reads the name out of a list key of managedFields,
// `k:{"name":"api"}`.
func containerKeyName(k string) (string, bool) {
	raw, ok := strings.CutPrefix(k, "k:")
	if !ok {
		return "", false
	}
	var key struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(raw), &key); err != nil || key.Name == "" {
		return "", false
	}
	return key.Name, true
}
