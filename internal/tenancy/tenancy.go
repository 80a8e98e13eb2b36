// Package tenancy decides what the objects of one namespace may ask of
// Spacelift when one operator, with one API key that can do anything in the
// account, serves many teams.
//
// # Model
//
// A tenant is a namespace. Tenants can create Stack, Policy and AdminStack
// objects in their namespace and nothing else; the cluster admin, who alone
// can annotate Namespace objects and set the operator's flags, grants them
// privileges:
//
//   - spaces: the Spacelift spaces (ids, with * and ? globs) where the
//     namespace's stacks and policies may live and where its role bindings
//     may apply. Without a grant a namespace may use no space at all.
//   - grants: named privileges, each off until granted:
//   - administrative: stack role bindings (spec.roleBindings) and the
//     deprecated spec.administrative, i.e. stacks that manage Spacelift;
//   - autoattach: Policy labels autoattach:…, which attach a policy to every
//     stack in its space tree carrying the label;
//   - account-policies: LOGIN, ACCESS and NOTIFICATION policies, which act on
//     the whole account rather than on the stacks they are attached to;
//   - external-references: Spacelift ids of objects the namespace does not
//     manage: stack dependencies by stackID, policies by id, contexts and the
//     AWS integration (which hand their secrets and cloud roles to the runs);
//   - adopt: spec.adoptExisting, taking over a Spacelift stack that no
//     Kubernetes object manages;
//   - default-credentials: using the operator's default API key; without it
//     every object must name its own spec.credentialsRef.
//
// The operator's flags give every namespace the same defaults; the
// namespace annotations spacelift.stackwright.io/allowed-spaces and
// spacelift.stackwright.io/grants add to them. Enforcement is on when the
// operator runs with --tenancy=enforce; with --tenancy=off every object may do
// everything above.
//
// Independently of grants, objects never read the Secrets the operator
// itself uses (its credentials, run-signing key, webhook secret) into a run's
// environment, and a Spacelift object is only ever written or deleted through
// the Kubernetes object whose ownership label it carries.
package tenancy

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

// Grant names one privilege a namespace can be given.
type Grant string

// The grants; see the package documentation.
const (
	GrantAdministrative     Grant = "administrative"
	GrantAutoattach         Grant = "autoattach"
	GrantAccountPolicies    Grant = "account-policies"
	GrantExternalReferences Grant = "external-references"
	GrantAdopt              Grant = "adopt"
	GrantDefaultCredentials Grant = "default-credentials"
)

// AllGrants lists every grant, for flag help and validation.
var AllGrants = []Grant{GrantAdministrative, GrantAutoattach, GrantAccountPolicies, GrantExternalReferences, GrantAdopt, GrantDefaultCredentials}

const (
	// AnnotationAllowedSpaces on a Namespace lists, comma-separated, the
	// Spacelift space ids (globs allowed) its objects may use, in addition
	// to the operator's defaults.
	AnnotationAllowedSpaces = "spacelift.stackwright.io/allowed-spaces"
	// AnnotationGrants on a Namespace lists, comma-separated, the grants its
	// objects have in addition to the operator's defaults.
	AnnotationGrants = "spacelift.stackwright.io/grants"
)

// Policy is what the objects of one namespace may do.
type Policy struct {
	// Enforced turns the checks on; off, everything is allowed.
	Enforced bool
	// Spaces are the space ids (path.Match globs) the namespace may use.
	Spaces []string
	// Grants are the privileges the namespace has.
	Grants map[Grant]bool
}

// ParseList splits a comma-separated list, dropping blanks.
func ParseList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseGrants reads a comma-separated list of grants.
func ParseGrants(s string) (map[Grant]bool, error) {
	out := map[Grant]bool{}
	for _, g := range ParseList(s) {
		if !slices.Contains(AllGrants, Grant(g)) {
			return nil, fmt.Errorf("unknown grant %q: use %s", g, joinGrants(AllGrants))
		}
		out[Grant(g)] = true
	}
	return out, nil
}

// CheckSpacePatterns reports the first pattern path.Match rejects.
func CheckSpacePatterns(patterns []string) error {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("space pattern %q: %w", p, err)
		}
	}
	return nil
}

// ForNamespace is defaults widened by a namespace's annotations. A malformed
// annotation is an error naming it; the defaults then still apply to nothing
// more.
func ForNamespace(defaults Policy, annotations map[string]string) (Policy, error) {
	p := Policy{Enforced: defaults.Enforced, Spaces: slices.Clone(defaults.Spaces), Grants: map[Grant]bool{}}
	for g, ok := range defaults.Grants {
		p.Grants[g] = ok
	}
	spaces := ParseList(annotations[AnnotationAllowedSpaces])
	if err := CheckSpacePatterns(spaces); err != nil {
		return defaults, fmt.Errorf("namespace annotation %s: %w", AnnotationAllowedSpaces, err)
	}
	p.Spaces = append(p.Spaces, spaces...)
	grants, err := ParseGrants(annotations[AnnotationGrants])
	if err != nil {
		return defaults, fmt.Errorf("namespace annotation %s: %w", AnnotationGrants, err)
	}
	for g := range grants {
		p.Grants[g] = true
	}
	return p, nil
}

// allows reports whether g is granted (always, when not enforced).
func (p Policy) allows(g Grant) bool { return !p.Enforced || p.Grants[g] }

// spaceAllowed reports whether the namespace may use space.
func (p Policy) spaceAllowed(space string) bool {
	if !p.Enforced {
		return true
	}
	for _, pat := range p.Spaces {
		if ok, _ := path.Match(pat, space); ok {
			return true
		}
	}
	return false
}

// Denial is one thing an object asks for that its namespace may not do.
type Denial struct {
	// Field is the path of the field that asks for it.
	Field string
	// Grant is the grant it needs; empty for a space.
	Grant Grant
	// Message says what is denied and how to get it.
	Message string
}

// String formats the denial for a condition message.
func (d Denial) String() string { return d.Field + ": " + d.Message }

// Summarize joins denials sorted, for a Stalled message.
func Summarize(ds []Denial) string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	sort.Strings(lines)
	return strings.Join(slices.Compact(lines), "; ")
}

// needs is the message of a denial for a missing grant.
func needs(g Grant, namespace, what string) string {
	return fmt.Sprintf("%s needs the %q grant, which namespace %s does not have (a cluster admin adds it to the namespace annotation %s)", what, g, namespace, AnnotationGrants)
}

// space is the denial of a space, or nil.
func (p Policy) space(field, namespace, space string) *Denial {
	if p.spaceAllowed(space) {
		return nil
	}
	return &Denial{Field: field, Message: fmt.Sprintf("namespace %s may not use Spacelift space %q (allowed: %s; a cluster admin adds spaces to the namespace annotation %s)",
		namespace, space, orNone(p.Spaces), AnnotationAllowedSpaces)}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func joinGrants(gs []Grant) string {
	s := make([]string, len(gs))
	for i, g := range gs {
		s[i] = string(g)
	}
	return strings.Join(s, ", ")
}
