package tenancytest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/tenancy"
)

func stack(ns, name string, mutate func(*spaceliftv1alpha1.StackSpec)) *spaceliftv1alpha1.Stack {
	s := &spaceliftv1alpha1.Stack{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: spaceliftv1alpha1.StackSpec{Repository: "acme/infra", Branch: "main", Space: ns,
			OpenTofu: &spaceliftv1alpha1.OpenTofuVendor{Version: "1.8.0"}},
	}
	if mutate != nil {
		mutate(&s.Spec)
	}
	return s
}

func policy(ns, name string, mutate func(*spaceliftv1alpha1.PolicySpec)) *spaceliftv1alpha1.Policy {
	body := "package spacelift\n"
	p := &spaceliftv1alpha1.Policy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       spaceliftv1alpha1.PolicySpec{Type: spaceliftv1alpha1.PolicyTypePlan, Body: &body, Space: ns},
	}
	if mutate != nil {
		mutate(&p.Spec)
	}
	return p
}

// The two-team story: with tenancy enforced, team-b cannot read, change,
// adopt, block or delete team-a's stack, cannot attach anything account-wide,
// and every refusal names the field and the grant; team-a's stack is never
// written by any of it.
func TestTwoTeams(t *testing.T) {
	ctx := context.Background()
	db := stack("team-a", "payments-db", nil)
	create(t, db)
	waitCondition(t, db, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	before, err := sl.GetStack(ctx, "payments-db")
	if err != nil {
		t.Fatal(err)
	}

	attacks := []struct {
		name   string
		obj    client.Object
		reason string
		want   string
	}{
		{"adopt by name, destroy on delete", stack("team-b", "grab", func(s *spaceliftv1alpha1.StackSpec) {
			s.Name, s.AdoptExisting, s.DeletionPolicy = "payments-db", true, spaceliftv1alpha1.DeletionPolicyDestroy
		}), spaceliftv1alpha1.ReasonNotPermitted, `spec.adoptExisting: adopting an existing Spacelift stack needs the "adopt" grant`},
		{"same name without adoption", stack("team-b", "same-name", func(s *spaceliftv1alpha1.StackSpec) { s.Name = "payments-db" }),
			spaceliftv1alpha1.ReasonOwnedByAnother, `Spacelift stack "payments-db" is managed by the Stack payments-db in namespace team-a`},
		{"id annotation", func() client.Object {
			s := stack("team-b", "by-id", func(s *spaceliftv1alpha1.StackSpec) { s.DeletionPolicy = spaceliftv1alpha1.DeletionPolicyDestroy })
			s.Annotations = map[string]string{spaceliftv1alpha1.AnnotationSpaceliftID: "payments-db"}
			return s
		}(), spaceliftv1alpha1.ReasonOwnedByAnother, `Spacelift stack "payments-db" is managed by the Stack payments-db in namespace team-a`},
		{"dependency that blocks deletion and reads outputs", stack("team-b", "blocker", func(s *spaceliftv1alpha1.StackSpec) {
			s.Dependencies = []spaceliftv1alpha1.StackDependency{{StackID: "payments-db", References: []spaceliftv1alpha1.DependencyReference{{OutputName: "password", InputName: "TF_VAR_pw"}}}}
		}), spaceliftv1alpha1.ReasonNotPermitted, `spec.dependencies[0].stackID: a dependency on a Spacelift stack this namespace does not manage needs the "external-references" grant`},
		{"team-a's space", stack("team-b", "squatter", func(s *spaceliftv1alpha1.StackSpec) { s.Space = "team-a" }),
			spaceliftv1alpha1.ReasonNotPermitted, `spec.space: namespace team-b may not use Spacelift space "team-a" (allowed: team-b;`},
		{"administrative stack in root", stack("team-b", "root-admin", func(s *spaceliftv1alpha1.StackSpec) { s.Space, s.Administrative, s.Autodeploy = "", true, true }),
			spaceliftv1alpha1.ReasonNotPermitted, `spec.administrative: an administrative stack (the Space Admin role) needs the "administrative" grant`},
		{"another team's context and its secrets", stack("team-b", "exfil", func(s *spaceliftv1alpha1.StackSpec) {
			s.Contexts = []spaceliftv1alpha1.ContextAttachment{{ID: "team-a-secrets"}}
		}), spaceliftv1alpha1.ReasonNotPermitted, `spec.contexts[0].id: attaching a Spacelift context (its values reach the runs) needs the "external-references" grant`},
		{"login policy", policy("team-b", "login", func(p *spaceliftv1alpha1.PolicySpec) { p.Type = spaceliftv1alpha1.PolicyTypeLogin }),
			spaceliftv1alpha1.ReasonNotPermitted, `spec.type: a policy of type LOGIN, which acts on the whole account, needs the "account-policies" grant`},
		{"autoattach to every stack", policy("team-b", "everywhere", func(p *spaceliftv1alpha1.PolicySpec) {
			p.Labels = []spaceliftv1alpha1.SpaceliftLabel{"autoattach:*"}
		}), spaceliftv1alpha1.ReasonNotPermitted, `spec.labels[0]: the label "autoattach:*", which attaches the policy to other stacks, needs the "autoattach" grant`},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			create(t, a.obj)
			msg := waitCondition(t, a.obj, spaceliftv1alpha1.ConditionStalled, metav1.ConditionTrue, a.reason)
			if !strings.Contains(msg, a.want) {
				t.Errorf("Stalled message = %q, want it to contain %q", msg, a.want)
			}
		})
	}
	for _, a := range attacks {
		deleteAndWaitGone(t, a.obj)
	}

	after, err := sl.GetStack(ctx, "payments-db")
	if err != nil {
		t.Fatalf("team-a's stack is gone: %v", err)
	}
	if after.Description != before.Description || after.Space != before.Space || fmt.Sprint(after.Labels) != fmt.Sprint(before.Labels) || after.Administrative {
		t.Errorf("team-a's stack was written: %+v (was %+v)", after, before)
	}
	deps, err := sl.ListStackDependencies(ctx, "payments-db")
	if err != nil || len(deps) != 0 {
		t.Errorf("dependencies of team-a's stack = %v, %v", deps, err)
	}
	for _, name := range []string{"login", "everywhere"} {
		if _, err := sl.GetPolicy(ctx, name); !spacelift.IsNotFound(err) {
			t.Errorf("policy %s reached Spacelift: %v", name, err)
		}
	}
	stacks, err := sl.SearchStacks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stacks {
		if slices.ContainsFunc(s.Labels, func(l string) bool { return strings.HasPrefix(l, "k8s-owner:team-b/") }) {
			t.Errorf("team-b wrote stack %s", s.ID)
		}
	}

	// A grant from the cluster admin lets a stalled object go ahead without
	// a change to it.
	own := stack("team-b", "own-contexts", func(s *spaceliftv1alpha1.StackSpec) { s.Administrative = true })
	create(t, own)
	waitCondition(t, own, spaceliftv1alpha1.ConditionStalled, metav1.ConditionTrue, spaceliftv1alpha1.ReasonNotPermitted)
	ns := &corev1.Namespace{}
	eventually(t, func() error {
		if err := k8s.Get(ctx, client.ObjectKey{Name: "team-b"}, ns); err != nil {
			return err
		}
		ns.Annotations[tenancy.AnnotationGrants] = "administrative"
		return k8s.Update(ctx, ns)
	})
	waitCondition(t, own, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	deleteAndWaitGone(t, own)
	deleteAndWaitGone(t, db)
}
