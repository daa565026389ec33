package tuisource

import (
	"context"
	"errors"
	"strings"
	"testing"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/tui"
)

func patchImpls(c *fake.Clientset) []k8stesting.PatchActionImpl {
	var out []k8stesting.PatchActionImpl
	for _, a := range c.Actions() {
		if p, ok := a.(k8stesting.PatchActionImpl); ok {
			out = append(out, p)
		}
	}
	return out
}

func TestSourceDryRunAndApply(t *testing.T) {
	to := model.Resources{CPUMillicores: 120, MemoryBytes: 200 * model.MiB}
	tests := []struct {
		name       string
		dryRun     bool
		ref        string
		wantDryRun []string
		wantPatch  string
		wantMsg    string
	}{
		{"dry-run", true, "api", []string{metav1.DryRunAll},
			`{"spec":{"template":{"spec":{"containers":[{"name":"api","resources":{"limits":{"cpu":"240m","memory":"800Mi"},"requests":{"cpu":"120m","memory":"200Mi"}}}]}}}}`,
			"deployment.apps/api patched (server dry run)"},
		{"apply", false, "api", nil,
			`{"spec":{"template":{"spec":{"containers":[{"name":"api","resources":{"limits":{"cpu":"240m","memory":"800Mi"},"requests":{"cpu":"120m","memory":"200Mi"}}}]}}}}`,
			"deployment.apps/api patched"},
		{"HPA resource left alone", false, "web", nil,
			`{"spec":{"template":{"spec":{"containers":[{"name":"web","resources":{"limits":{"memory":"200Mi"},"requests":{"cpu":"1","memory":"200Mi"}}}]}}}}`,
			"deployment.apps/web patched; cpu requests left unchanged: HorizontalPodAutoscaler web scales on cpu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTUIFixture(t)
			ctx := context.Background()
			if _, err := f.src.List(ctx, "vpa"); err != nil {
				t.Fatal(err)
			}
			f.client.ClearActions()
			ch := tui.Change{Ref: tui.Ref{Namespace: "demo", Kind: "Deployment", Name: tt.ref}, Recommender: "vpa",
				Containers: []tui.ContainerChange{{Name: tt.ref, To: to}}}
			do := f.src.Apply
			if tt.dryRun {
				do = f.src.DryRun
			}
			res, err := do(ctx, []tui.Change{ch})
			if err != nil || len(res) != 1 {
				t.Fatalf("results %v, err %v", res, err)
			}
			r := res[0]
			if r.Err != nil || r.Patch != tt.wantPatch || !strings.HasPrefix(r.Message, tt.wantMsg) {
				t.Errorf("result = patch %s, message %q, err %v\nwant patch %s, message %q", r.Patch, r.Message, r.Err, tt.wantPatch, tt.wantMsg)
			}
			ps := patchImpls(f.client)
			if len(ps) != 1 {
				t.Fatalf("%d patch requests, want 1", len(ps))
			}
			p := ps[0]
			if p.PatchType != "application/strategic-merge-patch+json" || p.PatchOptions.FieldManager != kube.FieldManager ||
				strings.Join(p.PatchOptions.DryRun, ",") != strings.Join(tt.wantDryRun, ",") || string(p.Patch) != tt.wantPatch {
				t.Errorf("patch request: type %s, manager %q, dryRun %v, body %s", p.PatchType, p.PatchOptions.FieldManager, p.PatchOptions.DryRun, p.Patch)
			}
		})
	}
}

func TestSourceApplyRefusals(t *testing.T) {
	ctx := context.Background()
	api := tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "api"}
	to := model.Resources{CPUMillicores: 120, MemoryBytes: 200 * model.MiB}
	tests := []struct {
		name    string
		change  tui.Change
		forbid  bool
		wantErr string
		wantMsg string
	}{
		{"forbidden", tui.Change{Ref: api, Containers: []tui.ContainerChange{{Name: "api", To: to}}}, true,
			"forbidden: patch demo/deployment/api: deployments.apps \"api\" is forbidden: RBAC says no; nothing was changed: ask for patch rights on deployment.apps", ""},
		{"unknown container", tui.Change{Ref: api, Containers: []tui.ContainerChange{{Name: "sidecar", To: to}}}, false,
			`container "sidecar" not found in demo/Deployment/api: press R to refresh`, ""},
		{"not listed", tui.Change{Ref: tui.Ref{Namespace: "demo", Kind: "Deployment", Name: "gone"}}, false,
			"demo/Deployment/gone is no longer listed: press R to refresh", ""},
		{"bare pod", tui.Change{Ref: tui.Ref{Namespace: "demo", Kind: "Pod", Name: "debug"}, Containers: []tui.ContainerChange{{Name: "main", To: to}}}, false,
			"a bare Pod's resources change only in place (--mode in-place)", ""},
		{"nothing to change", tui.Change{Ref: api, Containers: []tui.ContainerChange{{Name: "api", To: model.Resources{CPUMillicores: 100, MemoryBytes: 128 * model.MiB}}}}, false,
			"", "nothing to change: the requests already match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTUIFixture(t)
			if tt.forbid {
				f.client.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "api", errors.New("RBAC says no"))
				})
			}
			if _, err := f.src.List(ctx, "vpa"); err != nil {
				t.Fatal(err)
			}
			res, err := f.src.Apply(ctx, []tui.Change{tt.change})
			if err != nil || len(res) != 1 {
				t.Fatalf("results %v, err %v", res, err)
			}
			gotErr := ""
			if res[0].Err != nil {
				gotErr = res[0].Err.Error()
			}
			if gotErr != tt.wantErr || res[0].Message != tt.wantMsg {
				t.Errorf("err %q, message %q; want err %q, message %q", gotErr, res[0].Message, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func TestSourcePermission(t *testing.T) {
	tests := []struct {
		name       string
		namespace  string
		allowed    map[string]bool
		reviewErr  error
		wantPatch  bool
		wantReason string
	}{
		{"deployments allowed", "demo", map[string]bool{"deployments": true}, nil, true, ""},
		{"cronjobs only", "demo", map[string]bool{"cronjobs": true}, nil, true, ""},
		{"view-only", "demo", nil, nil, false,
			"RBAC forbids patching workloads in namespace demo for system:serviceaccount:smartvpa-system:viewer"},
		{"view-only, all namespaces", "", nil, nil, false,
			"RBAC forbids patching workloads in all namespaces for system:serviceaccount:smartvpa-system:viewer"},
		{"review refused", "demo", nil, apierrors.NewForbidden(schema.GroupResource{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}, "", errors.New("no")), true,
			"permission unknown (access review refused); the dry-run will tell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewSimpleClientset()
			var asked []string
			client.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if tt.reviewErr != nil {
					return true, nil, tt.reviewErr
				}
				r := a.(k8stesting.CreateAction).GetObject().(*authzv1.SelfSubjectAccessReview)
				ra := r.Spec.ResourceAttributes
				if ra.Verb != "patch" || ra.Namespace != tt.namespace {
					t.Errorf("review of %s in %q", ra.Verb, ra.Namespace)
				}
				asked = append(asked, ra.Resource)
				r.Status.Allowed = tt.allowed[ra.Resource]
				return true, r, nil
			})
			client.PrependReactor("create", "selfsubjectreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, &authnv1.SelfSubjectReview{Status: authnv1.SelfSubjectReviewStatus{UserInfo: authnv1.UserInfo{Username: "system:serviceaccount:smartvpa-system:viewer"}}}, nil
			})
			src := &Source{Client: client, Namespace: tt.namespace}
			p, err := src.Permission(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if p.CanPatch != tt.wantPatch || p.Reason != tt.wantReason {
				t.Errorf("permission = %+v, want CanPatch %v, reason %q (asked %v)", p, tt.wantPatch, tt.wantReason, asked)
			}
			if !tt.wantPatch && strings.Join(asked, ",") != "deployments,statefulsets,daemonsets,replicasets,cronjobs" {
				t.Errorf("read-only after asking about %v, want every patched kind", asked)
			}
		})
	}
}
