package tenancy

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
)

func TestForNamespace(t *testing.T) {
	defaults := Policy{Enforced: true, Spaces: []string{"sandbox"}, Grants: map[Grant]bool{GrantDefaultCredentials: true}}
	p, err := ForNamespace(defaults, map[string]string{
		AnnotationAllowedSpaces: "team-a, team-a-*",
		AnnotationGrants:        "adopt,administrative",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Policy{Enforced: true, Spaces: []string{"sandbox", "team-a", "team-a-*"},
		Grants: map[Grant]bool{GrantDefaultCredentials: true, GrantAdopt: true, GrantAdministrative: true}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("ForNamespace = %+v, want %+v", p, want)
	}
	if len(defaults.Grants) != 1 || len(defaults.Spaces) != 1 {
		t.Errorf("ForNamespace changed the defaults: %+v", defaults)
	}
	if _, err := ForNamespace(defaults, map[string]string{AnnotationGrants: "admin"}); err == nil || !strings.Contains(err.Error(), `unknown grant "admin"`) {
		t.Errorf("unknown grant: err = %v", err)
	}
	if _, err := ForNamespace(defaults, map[string]string{AnnotationAllowedSpaces: "team-[a"}); err == nil || !strings.Contains(err.Error(), AnnotationAllowedSpaces) {
		t.Errorf("bad pattern: err = %v", err)
	}
}

func TestCheckStack(t *testing.T) {
	teamA := Policy{Enforced: true, Spaces: []string{"team-a", "team-a-*"}}
	sub := Subject{Namespace: "team-a", ProtectedSecrets: []string{"spacelift-credentials"}}
	ref := &v1alpha1.LocalObjectReference{Name: "team-a-key"}
	tests := []struct {
		name   string
		policy Policy
		spec   v1alpha1.StackSpec
		want   []string
	}{
		{"plain stack in an allowed space", teamA, v1alpha1.StackSpec{Space: "team-a-dev", CredentialsRef: ref}, nil},
		{"root space by default", teamA, v1alpha1.StackSpec{CredentialsRef: ref},
			[]string{`spec.space: namespace team-a may not use Spacelift space "root" (allowed: team-a, team-a-*;`}},
		{"operator's key", teamA, v1alpha1.StackSpec{Space: "team-a"},
			[]string{`spec.credentialsRef: using the operator's default Spacelift API key needs the "default-credentials" grant`}},
		{"administrative and bindings", teamA, v1alpha1.StackSpec{Space: "team-a", CredentialsRef: ref, Administrative: true,
			RoleBindings: []v1alpha1.StackRoleBinding{{RoleID: "space-admin", SpaceID: "team-b"}}},
			[]string{`spec.administrative: an administrative stack (the Space Admin role) needs the "administrative" grant`,
				`spec.roleBindings[0]: a stack role binding needs the "administrative" grant`,
				`spec.roleBindings[0].spaceID: namespace team-a may not use Spacelift space "team-b"`}},
		{"adoption", teamA, v1alpha1.StackSpec{Space: "team-a", CredentialsRef: ref, AdoptExisting: true},
			[]string{`spec.adoptExisting: adopting an existing Spacelift stack needs the "adopt" grant`}},
		{"foreign references", teamA, v1alpha1.StackSpec{Space: "team-a", CredentialsRef: ref,
			Dependencies:   []v1alpha1.StackDependency{{StackRef: &v1alpha1.LocalObjectReference{Name: "vpc"}}, {StackID: "payments-db"}},
			Policies:       []v1alpha1.PolicyReference{{Name: "mine"}, {ID: "login-everything"}},
			Contexts:       []v1alpha1.ContextAttachment{{ID: "prod-secrets"}},
			AWSIntegration: &v1alpha1.AWSIntegrationAttachment{ID: "prod-admin-role"}},
			[]string{`spec.dependencies[1].stackID: a dependency on a Spacelift stack this namespace does not manage needs the "external-references" grant`,
				`spec.policies[1].id: attaching a Spacelift policy by id needs`,
				`spec.contexts[0].id: attaching a Spacelift context (its values reach the runs) needs`,
				`spec.awsIntegration.id: attaching an AWS integration (its role reaches the runs) needs`}},
		{"the operator's own Secret", Policy{}, v1alpha1.StackSpec{Environment: []v1alpha1.EnvVar{{Name: "K",
			ValueFrom: &v1alpha1.EnvVarSource{SecretKeyRef: &v1alpha1.KeySelector{Name: "spacelift-credentials", Key: "SPACELIFT_API_KEY_SECRET"}}}}},
			[]string{"spec.environment[0].valueFrom.secretKeyRef: Secret spacelift-credentials holds the operator's own credentials"}},
		{"off allows the rest", Policy{}, v1alpha1.StackSpec{Administrative: true, AdoptExisting: true, Contexts: []v1alpha1.ContextAttachment{{ID: "x"}}}, nil},
		{"granted", Policy{Enforced: true, Spaces: []string{"*"}, Grants: map[Grant]bool{GrantAdministrative: true, GrantExternalReferences: true, GrantDefaultCredentials: true}},
			v1alpha1.StackSpec{Administrative: true, Contexts: []v1alpha1.ContextAttachment{{ID: "x"}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckStack(tt.policy, sub, &tt.spec)
			if len(got) != len(tt.want) {
				t.Fatalf("denials = %v, want %d: %v", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i].String(), w) {
					t.Errorf("denial %d = %q, want it to start with %q", i, got[i], w)
				}
			}
		})
	}
}

func TestCheckPolicy(t *testing.T) {
	teamB := Policy{Enforced: true, Spaces: []string{"team-b"}, Grants: map[Grant]bool{GrantDefaultCredentials: true}}
	sub := Subject{Namespace: "team-b"}
	tests := []struct {
		name string
		spec v1alpha1.PolicySpec
		want []string
	}{
		{"plan policy in own space", v1alpha1.PolicySpec{Type: v1alpha1.PolicyTypePlan, Space: "team-b"}, nil},
		{"login policy", v1alpha1.PolicySpec{Type: v1alpha1.PolicyTypeLogin, Space: "team-b"},
			[]string{`spec.type: a policy of type LOGIN, which acts on the whole account, needs the "account-policies" grant`}},
		{"deprecated access type", v1alpha1.PolicySpec{Type: v1alpha1.PolicyTypeAccess, Space: "team-b"},
			[]string{`spec.type: a policy of type ACCESS`}},
		{"autoattach everywhere from root", v1alpha1.PolicySpec{Type: v1alpha1.PolicyTypePlan, Labels: []v1alpha1.SpaceliftLabel{"ok", "autoattach:*"}},
			[]string{`spec.space: namespace team-b may not use Spacelift space "root"`,
				`spec.labels[1]: the label "autoattach:*", which attaches the policy to other stacks, needs the "autoattach" grant`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckPolicy(teamB, sub, &tt.spec)
			if len(got) != len(tt.want) {
				t.Fatalf("denials = %v, want %v", got, tt.want)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i].String(), w) {
					t.Errorf("denial %d = %q, want it to start with %q", i, got[i], w)
				}
			}
		})
	}
}
