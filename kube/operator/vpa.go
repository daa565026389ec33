package operator

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/kube"
)

// VPA is the part of an autoscaling.k8s.io/v1 VerticalPodAutoscaler that
// serve reads. It is parsed from the unstructured object the dynamic
// informer holds, so the upstream VPA module is not a dependency.
type VPA struct {
	Namespace, Name string
	UID             string
	Generation      int64
	// Recommenders are the names in spec.recommenders.
	Recommenders []string
	// Target is spec.targetRef.
	Target TargetRef
	// UpdateMode is spec.updatePolicy.updateMode ("" when unset; upstream
	// defaults it to Recreate, see EffectiveUpdateMode).
	UpdateMode string
	// MinReplicas is spec.updatePolicy.minReplicas (0 = unset).
	MinReplicas int
	// Policies are spec.resourcePolicy.containerPolicies by container name
	// ("*" is the default for containers not named).
	Policies map[string]ContainerPolicy
}

// TargetRef is a VPA's spec.targetRef.
type TargetRef struct {
	APIVersion, Kind, Name string
}

// ContainerPolicy is one entry of spec.resourcePolicy.containerPolicies.
type ContainerPolicy struct {
	model.ContainerPolicy
	// Mode is "Auto" (default) or "Off".
	Mode string
}

// Key returns "namespace/name".
func (v *VPA) Key() string { return v.Namespace + "/" + v.Name }

// Names reports whether spec.recommenders names recommender name.
func (v *VPA) Names(name string) bool {
	for _, r := range v.Recommenders {
		if r == name {
			return true
		}
	}
	return false
}

// EffectiveUpdateMode is the update mode with upstream's default (Recreate)
// applied to an empty value.
func (v *VPA) EffectiveUpdateMode() string {
	if v.UpdateMode == "" {
		return "Recreate"
	}
	return v.UpdateMode
}

// PolicyFor returns the policy of container name: its own entry, else the
// "*" entry, else none (everything controlled, no caps).
func (v *VPA) PolicyFor(name string) model.ContainerPolicy {
	p, ok := v.Policies[name]
	if !ok {
		p = v.Policies["*"]
	}
	out := p.ContainerPolicy
	out.Off = out.Off || p.Mode == "Off"
	return out
}

// ParseVPA reads the fields serve needs from an unstructured VPA. A field of
// the wrong type is an error naming it.
func ParseVPA(u *unstructured.Unstructured) (*VPA, error) {
	v := &VPA{Namespace: u.GetNamespace(), Name: u.GetName(), UID: string(u.GetUID()), Generation: u.GetGeneration(),
		Policies: map[string]ContainerPolicy{}}
	fail := func(field string, err error) (*VPA, error) {
		return nil, fmt.Errorf("verticalpodautoscaler %s/%s: %s: %w", v.Namespace, v.Name, field, err)
	}
	recs, _, err := unstructured.NestedSlice(u.Object, "spec", "recommenders")
	if err != nil {
		return fail("spec.recommenders", err)
	}
	for _, r := range recs {
		m, ok := r.(map[string]any)
		if !ok {
			return fail("spec.recommenders", fmt.Errorf("entry is %T, want an object with a name", r))
		}
		if n, ok := m["name"].(string); ok {
			v.Recommenders = append(v.Recommenders, n)
		}
	}
	ref, _, err := unstructured.NestedStringMap(u.Object, "spec", "targetRef")
	if err != nil {
		return fail("spec.targetRef", err)
	}
	v.Target = TargetRef{APIVersion: ref["apiVersion"], Kind: ref["kind"], Name: ref["name"]}
	if v.UpdateMode, _, err = unstructured.NestedString(u.Object, "spec", "updatePolicy", "updateMode"); err != nil {
		return fail("spec.updatePolicy.updateMode", err)
	}
	if mr, ok, err := unstructured.NestedFieldNoCopy(u.Object, "spec", "updatePolicy", "minReplicas"); err != nil {
		return fail("spec.updatePolicy.minReplicas", err)
	} else if ok {
		switch n := mr.(type) {
		case int64:
			v.MinReplicas = int(n)
		case float64:
			v.MinReplicas = int(n)
		}
	}
	cps, _, err := unstructured.NestedSlice(u.Object, "spec", "resourcePolicy", "containerPolicies")
	if err != nil {
		return fail("spec.resourcePolicy.containerPolicies", err)
	}
	for i, c := range cps {
		m, ok := c.(map[string]any)
		if !ok {
			return fail(fmt.Sprintf("spec.resourcePolicy.containerPolicies[%d]", i), fmt.Errorf("entry is %T, want an object", c))
		}
		p, name, err := parseContainerPolicy(m)
		if err != nil {
			return fail(fmt.Sprintf("spec.resourcePolicy.containerPolicies[%d]", i), err)
		}
		v.Policies[name] = p
	}
	return v, nil
}

func parseContainerPolicy(m map[string]any) (ContainerPolicy, string, error) {
	var p ContainerPolicy
	name, _ := m["containerName"].(string)
	if name == "" {
		name = "*"
	}
	p.Mode, _ = m["mode"].(string)
	if p.Mode != "" && p.Mode != "Auto" && p.Mode != "Off" {
		return p, name, fmt.Errorf("mode %q: use Auto or Off", p.Mode)
	}
	var err error
	if p.MinAllowed, err = parseResources(m["minAllowed"]); err != nil {
		return p, name, fmt.Errorf("minAllowed: %w", err)
	}
	if p.MaxAllowed, err = parseResources(m["maxAllowed"]); err != nil {
		return p, name, fmt.Errorf("maxAllowed: %w", err)
	}
	if cr, ok := m["controlledResources"].([]any); ok {
		// An explicit empty list controls nothing; mark that with Off for
		// both resources rather than "all" (model's empty meaning).
		if len(cr) == 0 {
			p.Off = true
		}
		for _, r := range cr {
			s, _ := r.(string)
			switch model.Resource(s) {
			case model.CPU, model.Memory:
				p.ControlledResources = append(p.ControlledResources, model.Resource(s))
			default:
				return p, name, fmt.Errorf("controlledResources: unknown resource %q: use cpu or memory", s)
			}
		}
	}
	if cv, ok := m["controlledValues"].(string); ok && cv != "" {
		switch model.ControlledValues(cv) {
		case model.RequestsAndLimits, model.RequestsOnly:
			p.ControlledValues = model.ControlledValues(cv)
		default:
			return p, name, fmt.Errorf("controlledValues %q: use RequestsAndLimits or RequestsOnly", cv)
		}
	}
	return p, name, nil
}

func parseResources(v any) (model.Resources, error) {
	var r model.Resources
	m, ok := v.(map[string]any)
	if !ok || m == nil {
		return r, nil
	}
	for k, raw := range m {
		s := fmt.Sprint(raw)
		q, err := resource.ParseQuantity(s)
		if err != nil {
			return r, fmt.Errorf("%s: %w", k, err)
		}
		switch k {
		case "cpu":
			r.CPUMillicores = kube.CPUMillicores(q)
		case "memory":
			r.MemoryBytes = kube.MemoryBytes(q)
		}
	}
	return r, nil
}

// ApplyPolicy caps a recommendation as upstream's recommender does before it
// writes the status: UncappedTarget is the recommender's target; lower,
// target and upper are raised to minAllowed and lowered to maxAllowed (a
// zero bound is no bound); resources the policy does not control are zero.
// ok is false when the policy turns the container off.
func ApplyPolicy(rec model.Recommendation, p model.ContainerPolicy) (model.Recommendation, bool) {
	if p.Off {
		return model.Recommendation{}, false
	}
	out := model.Recommendation{UncappedTarget: rec.Target}
	for _, r := range model.AllResources {
		if !p.Controls(r) {
			out.UncappedTarget = out.UncappedTarget.Set(r, 0)
			continue
		}
		lo, hi := p.MinAllowed.Get(r), p.MaxAllowed.Get(r)
		c := func(x float64) float64 {
			if hi > 0 && x > hi {
				x = hi
			}
			if lo > 0 && x < lo {
				x = lo
			}
			return x
		}
		out.Lower = out.Lower.Set(r, c(rec.Lower.Get(r)))
		out.Target = out.Target.Set(r, c(rec.Target.Get(r)))
		out.Upper = out.Upper.Set(r, c(rec.Upper.Get(r)))
	}
	return out, true
}

// RecommendationStatus builds status.recommendation.containerRecommendations
// from per-container recommendations, sorted by container name.
func RecommendationStatus(recs map[string]model.Recommendation) []any {
	names := make([]string, 0, len(recs))
	for n := range recs {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]any, 0, len(names))
	for _, n := range names {
		r := recs[n]
		out = append(out, map[string]any{
			"containerName":  n,
			"target":         resourceList(r.Target),
			"lowerBound":     resourceList(r.Lower),
			"upperBound":     resourceList(r.Upper),
			"uncappedTarget": resourceList(r.UncappedTarget),
		})
	}
	return out
}

func resourceList(r model.Resources) map[string]any {
	m := map[string]any{}
	if r.CPUMillicores > 0 {
		q := kube.CPUQuantity(r.CPUMillicores)
		m["cpu"] = q.String()
	}
	if r.MemoryBytes > 0 {
		q := kube.MemoryQuantity(r.MemoryBytes)
		m["memory"] = q.String()
	}
	return m
}

// ParseRecommendationStatus reads containerRecommendations back (for the
// updater and tests).
func ParseRecommendationStatus(u *unstructured.Unstructured) (map[string]model.Recommendation, error) {
	list, _, err := unstructured.NestedSlice(u.Object, "status", "recommendation", "containerRecommendations")
	if err != nil {
		return nil, err
	}
	out := map[string]model.Recommendation{}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["containerName"].(string)
		var r model.Recommendation
		for _, f := range []struct {
			key string
			dst *model.Resources
		}{{"target", &r.Target}, {"lowerBound", &r.Lower}, {"upperBound", &r.Upper}, {"uncappedTarget", &r.UncappedTarget}} {
			if *f.dst, err = parseResources(m[f.key]); err != nil {
				return nil, fmt.Errorf("container %s: %s: %w", name, f.key, err)
			}
		}
		out[name] = r
	}
	return out, nil
}
