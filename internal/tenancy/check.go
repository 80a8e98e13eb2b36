package tenancy

import (
	"fmt"
	"strings"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// rootSpace is the space of objects whose spec names none.
const rootSpace = "root"

// accountWidePolicyTypes act on the whole account, not on attached stacks.
var accountWidePolicyTypes = map[string]bool{"LOGIN": true, "ACCESS": true, "NOTIFICATION": true}

// Subject is the object being checked.
type Subject struct {
	// Namespace is the object's namespace.
	Namespace string
	// ProtectedSecrets are the names of the Secrets in Namespace that the
	// operator itself uses; no object may read them into a run.
	ProtectedSecrets []string
}

// CheckStack lists what a Stack spec asks for that p does not allow.
func CheckStack(p Policy, sub Subject, spec *v1alpha1.StackSpec) []Denial {
	var out []Denial
	add := func(d *Denial) {
		if d != nil {
			out = append(out, *d)
		}
	}
	grant := func(g Grant, field, what string) {
		if !p.allows(g) {
			out = append(out, Denial{Field: field, Grant: g, Message: needs(g, sub.Namespace, what)})
		}
	}
	space := spec.Space
	if space == "" {
		space = rootSpace
	}
	add(p.space("spec.space", sub.Namespace, space))
	if spec.CredentialsRef == nil {
		grant(GrantDefaultCredentials, "spec.credentialsRef", "using the operator's default Spacelift API key")
	}
	if spec.Administrative {
		grant(GrantAdministrative, "spec.administrative", "an administrative stack (the Space Admin role)")
	}
	for i, b := range spec.RoleBindings {
		field := fmt.Sprintf("spec.roleBindings[%d]", i)
		grant(GrantAdministrative, field, "a stack role binding")
		add(p.space(field+".spaceID", sub.Namespace, b.SpaceID))
	}
	if spec.AdoptExisting {
		grant(GrantAdopt, "spec.adoptExisting", "adopting an existing Spacelift stack")
	}
	for i, d := range spec.Dependencies {
		if d.StackID != "" {
			grant(GrantExternalReferences, fmt.Sprintf("spec.dependencies[%d].stackID", i), "a dependency on a Spacelift stack this namespace does not manage")
		}
	}
	for i, pr := range spec.Policies {
		if pr.ID != "" {
			grant(GrantExternalReferences, fmt.Sprintf("spec.policies[%d].id", i), "attaching a Spacelift policy by id")
		}
	}
	for i := range spec.Contexts {
		grant(GrantExternalReferences, fmt.Sprintf("spec.contexts[%d].id", i), "attaching a Spacelift context (its values reach the runs)")
	}
	if spec.AWSIntegration != nil {
		grant(GrantExternalReferences, "spec.awsIntegration.id", "attaching an AWS integration (its role reaches the runs)")
	}
	for i, e := range spec.Environment {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		name := e.ValueFrom.SecretKeyRef.Name
		for _, protected := range sub.ProtectedSecrets {
			if name == protected {
				out = append(out, Denial{Field: fmt.Sprintf("spec.environment[%d].valueFrom.secretKeyRef", i),
					Message: fmt.Sprintf("Secret %s holds the operator's own credentials or keys and may not be read into a run", name)})
			}
		}
	}
	return out
}

// CheckPolicy lists what a Policy spec asks for that p does not allow.
func CheckPolicy(p Policy, sub Subject, spec *v1alpha1.PolicySpec) []Denial {
	var out []Denial
	space := spec.Space
	if space == "" {
		space = rootSpace
	}
	if d := p.space("spec.space", sub.Namespace, space); d != nil {
		out = append(out, *d)
	}
	if spec.CredentialsRef == nil && !p.allows(GrantDefaultCredentials) {
		out = append(out, Denial{Field: "spec.credentialsRef", Grant: GrantDefaultCredentials,
			Message: needs(GrantDefaultCredentials, sub.Namespace, "using the operator's default Spacelift API key")})
	}
	if t := spec.Type.Canonical(); accountWidePolicyTypes[string(t)] && !p.allows(GrantAccountPolicies) {
		out = append(out, Denial{Field: "spec.type", Grant: GrantAccountPolicies,
			Message: needs(GrantAccountPolicies, sub.Namespace, fmt.Sprintf("a policy of type %s, which acts on the whole account,", t))})
	}
	for i, l := range spec.Labels {
		if strings.HasPrefix(string(l), "autoattach:") && !p.allows(GrantAutoattach) {
			out = append(out, Denial{Field: fmt.Sprintf("spec.labels[%d]", i), Grant: GrantAutoattach,
				Message: needs(GrantAutoattach, sub.Namespace, fmt.Sprintf("the label %q, which attaches the policy to other stacks,", l))})
		}
	}
	return out
}
