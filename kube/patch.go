package kube

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/smartvpa/smartvpa/core/model"
)

// FieldManager is the field manager of every write smartvpa makes.
const FieldManager = "smartvpa"

// ContainerResources are the new requests and limits of one container.
type ContainerResources struct {
	Name     string
	Sidecar  bool
	Requests model.Resources
	Limits   model.Resources
}

// APIVersion returns the API version of a workload kind.
func APIVersion(kind string) string {
	switch kind {
	case KindDeployment, KindStatefulSet, KindDaemonSet, KindReplicaSet:
		return "apps/v1"
	case KindJob, KindCronJob:
		return "batch/v1"
	}
	return "v1"
}

// PatchableTemplate reports whether the workload's pod template can be
// patched (a Job's template is immutable, a Pod's resources only change
// through the resize subresource), with the reason when it cannot.
func PatchableTemplate(kind string) (bool, string) {
	switch kind {
	case KindJob:
		return false, "a Job's pod template is immutable: recreate the Job, or patch its CronJob"
	case KindPod:
		return false, "a bare Pod's resources change only in place (--mode in-place)"
	}
	return true, ""
}

// resourcesPatch is the resources stanza of one container in a patch.
func resourcesPatch(c ContainerResources) map[string]any {
	res := map[string]any{}
	if req := ToResourceList(c.Requests); len(req) > 0 {
		res["requests"] = quantities(req)
	}
	if lim := ToResourceList(c.Limits); len(lim) > 0 {
		res["limits"] = quantities(lim)
	}
	return map[string]any{"name": c.Name, "resources": res}
}

func quantities(l corev1.ResourceList) map[string]any {
	out := map[string]any{}
	for k, q := range l {
		out[string(k)] = q.String()
	}
	return out
}

// PodSpecPatch returns a strategic-merge patch of a pod spec setting the
// containers' resources (containers and native sidecars by name).
func PodSpecPatch(cs []ContainerResources) map[string]any {
	var containers, inits []any
	for _, c := range cs {
		if c.Sidecar {
			inits = append(inits, resourcesPatch(c))
		} else {
			containers = append(containers, resourcesPatch(c))
		}
	}
	spec := map[string]any{}
	if len(containers) > 0 {
		spec["containers"] = containers
	}
	if len(inits) > 0 {
		spec["initContainers"] = inits
	}
	return spec
}

// TemplatePatch returns the strategic-merge patch that sets the containers'
// resources in the workload's pod template (for a Pod: its spec), as the
// object body without apiVersion, kind or metadata.
func TemplatePatch(w *Workload, cs []ContainerResources) map[string]any {
	body := PodSpecPatch(cs)
	path := w.PodSpecPath()
	for i := len(path) - 1; i >= 0; i-- {
		body = map[string]any{path[i]: body}
	}
	return body
}

// PatchDocument returns the patch as a self-describing YAML document
// (apiVersion, kind, metadata.name and .namespace, then the body) that both
// `kubectl patch --type strategic --patch-file` and kustomize accept.
func PatchDocument(w *Workload, cs []ContainerResources) ([]byte, error) {
	doc := TemplatePatch(w, cs)
	doc["apiVersion"] = APIVersion(w.Kind)
	doc["kind"] = w.Kind
	doc["metadata"] = map[string]any{"name": w.Name, "namespace": w.Namespace}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: marshal patch: %w", w.Ref(), err)
	}
	return b, nil
}

// ResourceGroup is kubectl's resource.group name of a kind
// ("deployment.apps").
func ResourceGroup(kind string) string {
	switch APIVersion(kind) {
	case "apps/v1":
		return strings.ToLower(kind) + ".apps"
	case "batch/v1":
		return strings.ToLower(kind) + ".batch"
	}
	return strings.ToLower(kind)
}
