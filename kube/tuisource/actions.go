package tuisource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/updater"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/tui"
)

// patchedKinds are the resources whose pod template the UI patches, for the
// permission check.
var patchedKinds = []struct{ group, resource string }{
	{"apps", "deployments"}, {"apps", "statefulsets"}, {"apps", "daemonsets"},
	{"apps", "replicasets"}, {"batch", "cronjobs"},
}

// Permission implements tui.Actions with one SelfSubjectAccessReview per
// workload resource: patching is allowed when any of them may be patched in
// the namespace (in every namespace with -A). A server that refuses the
// review itself leaves the answer to the dry-run.
func (s *Source) Permission(ctx context.Context) (tui.Permission, error) {
	scope := "in namespace " + s.Namespace
	if s.Namespace == "" {
		scope = "in all namespaces"
	}
	for _, k := range patchedKinds {
		r, err := s.Client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
			Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{
				Namespace: s.Namespace, Verb: "patch", Group: k.group, Resource: k.resource,
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
				return tui.Permission{CanPatch: true, Reason: "permission unknown (access review refused); the dry-run will tell"}, nil
			}
			return tui.Permission{}, fmt.Errorf("access review: %w", err)
		}
		if r.Status.Allowed {
			return tui.Permission{CanPatch: true}, nil
		}
	}
	who := ""
	if u := s.userName(ctx); u != "" {
		who = " for " + u
	}
	// The kinds checked (patchedKinds) are left out: the status line is short.
	return tui.Permission{Reason: fmt.Sprintf("RBAC forbids patching workloads %s%s", scope, who)}, nil
}

// userName asks the server who we are (best effort).
func (s *Source) userName(ctx context.Context) string {
	r, err := s.Client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return ""
	}
	return r.Status.UserInfo.Username
}

// DryRun implements tui.Actions: each change is sent as the patch apply
// would send, with dryRun=All.
func (s *Source) DryRun(ctx context.Context, changes []tui.Change) ([]tui.Result, error) {
	return s.do(ctx, changes, kube.DryRunServer)
}

// Apply implements tui.Actions: each change is one strategic-merge patch of
// the pod template with field manager smartvpa.
func (s *Source) Apply(ctx context.Context, changes []tui.Change) ([]tui.Result, error) {
	return s.do(ctx, changes, kube.DryRunNone)
}

func (s *Source) do(ctx context.Context, changes []tui.Change, dry kube.DryRun) ([]tui.Result, error) {
	s.mu.Lock()
	last, hpas := s.last, s.hpa // replaced, never changed, by List
	s.mu.Unlock()
	a := &kube.Applier{Client: s.Client, Mode: kube.ModePatch, DryRun: dry, Now: s.Now}
	out := make([]tui.Result, 0, len(changes))
	for _, tc := range changes {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		out = append(out, doOne(ctx, a, tc, last[tc.Ref], hpas[tc.Ref]))
	}
	return out, nil
}

func doOne(ctx context.Context, a *kube.Applier, tc tui.Change, w *kube.Workload, hpa *kube.HPAInfo) tui.Result {
	res := tui.Result{Ref: tc.Ref}
	if w == nil {
		res.Err = fmt.Errorf("%s is no longer listed: press R to refresh", tc.Ref)
		return res
	}
	ch, notes, err := kubeChange(w, tc, hpa)
	if err != nil {
		res.Err = err
		return res
	}
	if len(ch.New) == 0 {
		res.Message = "nothing to change: " + strings.Join(notes, "; ")
		return res
	}
	body, err := json.Marshal(kube.TemplatePatch(w, ch.New))
	if err != nil {
		res.Err = err
		return res
	}
	res.Patch = string(body)
	r, err := a.Apply(ctx, ch)
	switch {
	case err != nil && apierrors.IsForbidden(err):
		res.Err = fmt.Errorf("forbidden: %w; nothing was changed: ask for patch rights on %s", err, kube.ResourceGroup(w.Kind))
		return res
	case err != nil:
		res.Err = err
		return res
	case len(r.Refused) > 0:
		res.Err = errors.New(strings.Join(r.Refused, "; "))
		return res
	}
	msg := kube.ResourceGroup(w.Kind) + "/" + w.Name + " patched" + a.DryRunSuffix()
	if dryRun := a.DryRun == kube.DryRunServer; !dryRun && r.ResourceVersion != "" {
		msg += " (resourceVersion " + r.ResourceVersion + ")"
	}
	if len(notes) > 0 {
		msg += "; " + strings.Join(notes, "; ")
	}
	res.Message = msg
	return res
}

// kubeChange turns the UI's change into the applier's: the new requests of
// each container, limits kept in proportion, a resource an HPA scales on left
// unchanged (as apply does without --allow-hpa).
func kubeChange(w *kube.Workload, tc tui.Change, hpa *kube.HPAInfo) (kube.Change, []string, error) {
	ch := kube.Change{Report: kube.NewWorkloadReport(w, hpa)}
	var notes []string
	if hpa != nil {
		for _, r := range hpa.Resources {
			notes = append(notes, fmt.Sprintf("%s requests left unchanged: HorizontalPodAutoscaler %s scales on %s", r, hpa.Name, r))
		}
	}
	for _, cc := range tc.Containers {
		c := w.Container(cc.Name)
		if c == nil {
			return ch, nil, fmt.Errorf("container %q not found in %s: press R to refresh", cc.Name, tc.Ref)
		}
		req := c.Requests
		for _, r := range model.AllResources {
			if v := cc.To.Get(r); v > 0 && !hpa.ScalesOn(r) {
				req = req.Set(r, v)
			}
		}
		lim := updater.ProportionalLimits(c.Requests, c.Limits, req)
		n := kube.ContainerResources{Name: c.Name, Sidecar: c.Sidecar, Requests: req, Limits: lim}
		if kube.SameQuantities(c.Requests, n.Requests) && kube.SameQuantities(c.Limits, n.Limits) {
			continue
		}
		ch.New = append(ch.New, n)
		ch.Previous = append(ch.Previous, kube.ContainerResources{Name: c.Name, Sidecar: c.Sidecar, Requests: c.Requests, Limits: c.Limits})
	}
	if len(ch.New) == 0 {
		notes = append(notes, "the requests already match")
	}
	return ch, notes, nil
}
