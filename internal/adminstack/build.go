package adminstack

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/atmos"
	"github.com/stackwright/spacelift-operator/internal/validate"
)

// Desired is the set of objects an AdminStack writes.
type Desired struct {
	// Admin is the Stack object of the administrative stack itself.
	Admin *v1alpha1.Stack
	// Stacks are the child Stacks of a non-root AdminStack, sorted by name.
	Stacks []*v1alpha1.Stack
	// AdminStacks are the child AdminStacks of a root AdminStack, sorted by name.
	AdminStacks []*v1alpha1.AdminStack
	// Names are the Spacelift worker pools, spaces and contexts that Admin and
	// Stacks name, as written; ResolveNames turns them into ids. Child
	// AdminStacks resolve their own.
	Names []NameRef
	// Unevaluated lists the children that carry values atmos evaluates only
	// when the component runs (see atmos.Record.Unevaluated), sorted by
	// Object: at most MaxUnevaluatedChildren of them, each with at most
	// MaxUnevaluatedPaths paths. They are not problems: the values reach
	// Spacelift as written, as with the Cloud Posse component, and atmos
	// evaluates them inside the run. UnevaluatedSummary formats them.
	Unevaluated []UnevaluatedChild
	// UnevaluatedChildren is how many children carry such values, including
	// those Unevaluated leaves out.
	UnevaluatedChildren int
}

// Bounds of Desired.Unevaluated, so that a summary of it fits a condition
// message.
const (
	// MaxUnevaluatedChildren is how many children Desired.Unevaluated lists.
	MaxUnevaluatedChildren = 10
	// MaxUnevaluatedPaths is how many paths an UnevaluatedChild lists.
	MaxUnevaluatedPaths = 5
)

// UnevaluatedChild is a child whose atmos values include some that atmos
// evaluates only when the component runs: YAML functions that need live
// infrastructure (!terraform.output, !terraform.state, !store, !exec) and
// templates that call atmos.Component, atmos.Store or
// atmos.GomplateDatasource. They reach Spacelift as literal strings.
type UnevaluatedChild struct {
	// Object is the child: "Stack <name>", or "AdminStack <name>" for a root
	// admin.
	Object string
	// Component names the atmos component instance it comes from, as
	// problems do: component "<component>" in stack "<stack>".
	Component string
	// Paths are the dotted paths of the values, sorted (e.g. "vars.vpc_id",
	// "env.TOKEN", "vars.subnets[0]"), at most MaxUnevaluatedPaths.
	Paths []string
	// MorePaths is how many paths Paths leaves out.
	MorePaths int
}

// String formats the child for a message: Object, then its paths in
// parentheses.
func (u UnevaluatedChild) String() string {
	paths := strings.Join(u.Paths, ", ")
	if u.MorePaths > 0 {
		paths += fmt.Sprintf(" and %d more", u.MorePaths)
	}
	return fmt.Sprintf("%s (%s)", u.Object, paths)
}

// UnevaluatedSummary is one stable line naming the children with values
// atmos evaluates only at run time, for a condition message or an event
// (once per source revision); "" when there are none. It holds no values,
// only paths, so it cannot leak what a value would resolve to.
func (d *Desired) UnevaluatedSummary() string {
	if d.UnevaluatedChildren == 0 {
		return ""
	}
	parts := make([]string, len(d.Unevaluated))
	for i, u := range d.Unevaluated {
		parts[i] = u.String()
	}
	if more := d.UnevaluatedChildren - len(d.Unevaluated); more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", more))
	}
	noun := "children carry"
	if d.UnevaluatedChildren == 1 {
		noun = "child carries"
	}
	return fmt.Sprintf("%d %s values that atmos evaluates only when the component runs (!terraform.output, !terraform.state, !store, !exec, atmos.Component); "+
		"they are kept as written: %s", d.UnevaluatedChildren, noun, strings.Join(parts, "; "))
}

// unevaluated lists, bounded and sorted, the children among children whose
// records carry unevaluated values, and how many there are.
func unevaluated(children []UnevaluatedChild) ([]UnevaluatedChild, int) {
	sort.Slice(children, func(i, j int) bool { return children[i].Object < children[j].Object })
	n := len(children)
	children = children[:min(n, MaxUnevaluatedChildren)]
	for i := range children {
		if extra := len(children[i].Paths) - MaxUnevaluatedPaths; extra > 0 {
			children[i].Paths = children[i].Paths[:MaxUnevaluatedPaths]
			children[i].MorePaths = extra
		}
	}
	return children, n
}

// unevaluatedChild is the entry of record r's child obj, if r carries
// unevaluated values.
func unevaluatedChild(obj string, r *atmos.Record) (UnevaluatedChild, bool) {
	if len(r.Unevaluated) == 0 {
		return UnevaluatedChild{}, false
	}
	paths := slices.Compact(slices.Sorted(slices.Values(r.Unevaluated)))
	return UnevaluatedChild{Object: obj, Component: describe(r), Paths: paths}, true
}

// Selected is how many component instances the children come from.
func (d *Desired) Selected() int {
	return len(d.Stacks) + len(d.AdminStacks)
}

// Cluster is what Build needs to know about the AdminStack's namespace.
type Cluster struct {
	// Policies holds the names of the Policy objects.
	Policies map[string]bool
	// Stacks are the Stack objects, by name.
	Stacks map[string]Existing
	// AdminStacks are the AdminStack objects, by name.
	AdminStacks map[string]Existing
}

// Existing describes an object already in the namespace.
type Existing struct {
	// SpaceliftName is a Stack's spec.name (or metadata.name), or an
	// AdminStack's administrative stack name.
	SpaceliftName string
	// Controller is the UID of the object's controller owner, if any.
	Controller types.UID
}

// Problem is something that keeps the desired set from being applied.
type Problem struct {
	// Object names what the problem is about: a child object or a component.
	Object string
	// Message says what is wrong.
	Message string
}

// String formats the problem for a condition message.
func (p Problem) String() string {
	if p.Object == "" {
		return p.Message
	}
	return p.Object + ": " + p.Message
}

// Summarize lists the first max problems, sorted, in one line.
func Summarize(problems []Problem, max int) string {
	lines := make([]string, len(problems))
	for i, p := range problems {
		lines[i] = p.String()
	}
	sort.Strings(lines)
	n := len(lines)
	if n > max {
		lines = append(lines[:max], fmt.Sprintf("and %d more", n-max))
	}
	noun := "problems"
	if n == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("%d %s: %s", n, noun, strings.Join(lines, "; "))
}

// Build computes the objects AdminStack a writes for the atmos records
// (all of them, unfiltered) and checks them. With a nil cluster (offline,
// as in the render command) the checks that need the namespace are skipped
// and native dependencies on stacks outside the selection are resolved to
// the object names their own admin stacks would give them.
//
// The desired set is only valid when no problems are returned; then it can
// be applied as a whole.
func Build(a *v1alpha1.AdminStack, records []atmos.Record, cluster *Cluster) (Desired, []Problem) {
	d := Desired{Admin: AdminStackObject(a)}
	d.Names = collectNames(a, d.Admin, nil)
	var problems []Problem
	if msg := defaultVersionProblem(a); msg != "" {
		problems = append(problems, Problem{Object: "AdminStack " + a.Name, Message: msg})
	}
	selected := Select(a, records)
	var children []child
	var uneval []UnevaluatedChild
	for i := range selected {
		r := &selected[i]
		var msgs []string
		obj := ""
		if a.Spec.RootAdmin {
			var as *v1alpha1.AdminStack
			as, msgs = childAdminStack(a, r)
			d.AdminStacks = append(d.AdminStacks, as)
			obj = "AdminStack " + as.Name
		} else {
			var c child
			c, msgs = childStack(a, r)
			children = append(children, c)
			d.Stacks = append(d.Stacks, c.stack)
			d.Names = append(d.Names, collectNames(a, c.stack, r)...)
			obj = "Stack " + c.stack.Name
		}
		for _, m := range msgs {
			problems = append(problems, Problem{Object: describe(r), Message: m})
		}
		if u, ok := unevaluatedChild(obj, r); ok {
			uneval = append(uneval, u)
		}
	}
	d.Unevaluated, d.UnevaluatedChildren = unevaluated(uneval)
	problems = append(problems, resolveDependencies(children, records, cluster)...)
	sort.Slice(d.Stacks, func(i, j int) bool { return d.Stacks[i].Name < d.Stacks[j].Name })
	sort.Slice(d.AdminStacks, func(i, j int) bool { return d.AdminStacks[i].Name < d.AdminStacks[j].Name })
	problems = append(problems, checkSet(a, &d, cluster)...)
	return d, problems
}

// resolveDependencies turns the depends-on labels of children with native
// dependencies into spec.dependencies on the Stack objects of the targets:
// a selected child, else a Stack object in the namespace with that Spacelift
// name. A target found in neither is a problem.
func resolveDependencies(children []child, records []atmos.Record, cluster *Cluster) []Problem {
	byName := map[string]string{}
	for _, c := range children {
		byName[c.stack.Spec.Name] = c.stack.Name
		byName[c.record.Name] = c.stack.Name
	}
	external := map[string]string{}
	if cluster != nil {
		for name, s := range cluster.Stacks {
			if prev, ok := external[s.SpaceliftName]; !ok || name < prev {
				external[s.SpaceliftName] = name
			}
		}
	} else {
		for i := range records {
			r := &records[i]
			external[SpaceliftName(r)] = ObjectName(r.Stack, r.Component)
			external[r.Name] = ObjectName(r.Stack, r.Component)
		}
	}
	var problems []Problem
	for _, c := range children {
		if !c.native {
			continue
		}
		var labels []v1alpha1.SpaceliftLabel
		seen := map[string]bool{}
		for _, l := range c.stack.Spec.Labels {
			target, ok := strings.CutPrefix(string(l), "depends-on:")
			if !ok {
				labels = append(labels, l)
				continue
			}
			obj, found := byName[target]
			if !found {
				obj, found = external[target]
			}
			switch {
			case !found:
				problems = append(problems, Problem{Object: "Stack " + c.stack.Name,
					Message: fmt.Sprintf("depends on %q, which is neither selected nor a Stack object in the namespace", target)})
			case obj != c.stack.Name && !seen[obj]:
				seen[obj] = true
				c.stack.Spec.Dependencies = append(c.stack.Spec.Dependencies, v1alpha1.StackDependency{StackRef: &v1alpha1.LocalObjectReference{Name: obj}})
			}
		}
		c.stack.Spec.Labels = labels
		sort.Slice(c.stack.Spec.Dependencies, func(i, j int) bool {
			return c.stack.Spec.Dependencies[i].StackRef.Name < c.stack.Spec.Dependencies[j].StackRef.Name
		})
	}
	return problems
}

// labelPattern is the pattern of v1alpha1.SpaceliftLabel.
var labelPattern = regexp.MustCompile(`^[^\s,]([^,]*[^\s,])?$`)

// maxLabels is the most labels a Stack may have.
const maxLabels = 100

// checkSet checks the desired set: duplicate object names, Spacelift names
// that give the same Spacelift id (validate.Slug: "a b" and "a-b" collide),
// labels the CRD would reject, objects too large for the apiserver, and,
// with a cluster, Policy objects that do not exist and names already taken
// by objects this AdminStack does not control.
func checkSet(a *v1alpha1.AdminStack, d *Desired, cluster *Cluster) []Problem {
	var problems []Problem
	add := func(obj, format string, args ...any) {
		problems = append(problems, Problem{Object: obj, Message: fmt.Sprintf(format, args...)})
	}
	stacks := append([]*v1alpha1.Stack{d.Admin}, d.Stacks...)

	// ids maps each Spacelift id to the first object whose name gives it.
	ids := map[string]spaceliftClaim{}
	claim := func(obj, name string) {
		id := validate.Slug(name)
		if id == "" {
			return // a name without an id is reported on its own
		}
		if prev, dup := ids[id]; dup {
			add(obj, "%s", sameID(name, id, prev))
			return
		}
		ids[id] = spaceliftClaim{object: obj, name: name}
	}
	objects := map[string]bool{}
	for _, s := range stacks {
		obj := "Stack " + s.Name
		if objects[s.Name] {
			add(obj, "two component instances map to this object name")
		}
		objects[s.Name] = true
		claim(obj, s.Spec.Name)
		if len(s.Spec.Labels) > maxLabels {
			add(obj, "has %d labels, more than %d", len(s.Spec.Labels), maxLabels)
		}
		for _, l := range s.Spec.Labels {
			if len(l) > 255 || !labelPattern.MatchString(string(l)) {
				add(obj, "label %q is not a valid Spacelift label (no commas, no surrounding spaces, at most 255 characters)", l)
			}
		}
	}
	admins := map[string]bool{}
	for _, as := range d.AdminStacks {
		obj := "AdminStack " + as.Name
		if admins[as.Name] {
			add(obj, "two component instances map to this object name")
		}
		admins[as.Name] = true
		claim(obj, as.Spec.AdminStack.Name)
	}
	problems = append(problems, sizeProblems(d)...)
	if cluster == nil {
		return problems
	}

	problems = append(problems, missingPolicies(d, cluster.Policies)...)
	for _, s := range stacks {
		if e, ok := cluster.Stacks[s.Name]; ok && e.Controller != a.UID {
			add("Stack "+s.Name, "exists and is not managed by this AdminStack")
		}
	}
	for name, e := range cluster.Stacks {
		if e.Controller == a.UID || objects[name] {
			continue
		}
		id := validate.Slug(e.SpaceliftName)
		mine, ok := ids[id]
		if !ok || id == "" || !strings.HasPrefix(mine.object, "Stack ") {
			continue
		}
		if mine.name == e.SpaceliftName {
			add(mine.object, "Spacelift name %q is already used by Stack %s", e.SpaceliftName, name)
		} else {
			add(mine.object, "Spacelift name %q gives the Spacelift id %q, as the name %q of Stack %s does: rename one of them",
				mine.name, id, e.SpaceliftName, name)
		}
	}
	for _, as := range d.AdminStacks {
		if e, ok := cluster.AdminStacks[as.Name]; ok && e.Controller != a.UID {
			add("AdminStack "+as.Name, "exists and is not managed by this AdminStack")
		}
	}
	return problems
}

// spaceliftClaim is an object of the desired set and its Spacelift name.
type spaceliftClaim struct {
	object string // "Stack <name>" or "AdminStack <name>"
	name   string
}

// sameID says that name gives the Spacelift id that prev's name gives.
func sameID(name, id string, prev spaceliftClaim) string {
	if name == prev.name {
		return fmt.Sprintf("Spacelift name %q is also used by %s", name, prev.object)
	}
	return fmt.Sprintf("Spacelift name %q gives the Spacelift id %q, as the name %q of %s does: Spacelift derives ids from names, so rename one of them (settings.spacelift.stack_name)",
		name, id, prev.name, prev.object)
}

// maxReferrers is how many referring objects a missing-policy problem names.
const maxReferrers = 3

// missingPolicies reports each Policy object the desired set refers to by
// name that is not in policies, with the objects that refer to it.
func missingPolicies(d *Desired, policies map[string]bool) []Problem {
	referrers := map[string][]string{}
	check := func(obj string, refs []v1alpha1.PolicyReference) {
		for _, p := range refs {
			if p.Name != "" && !policies[p.Name] {
				referrers[p.Name] = append(referrers[p.Name], obj)
			}
		}
	}
	check("Stack "+d.Admin.Name, d.Admin.Spec.Policies)
	for _, s := range d.Stacks {
		check("Stack "+s.Name, s.Spec.Policies)
	}
	for _, as := range d.AdminStacks {
		check("AdminStack "+as.Name, slices.Concat(as.Spec.RootStackPolicyAttachments, as.Spec.ChildPolicyAttachments))
	}
	var out []Problem
	for name, objs := range referrers {
		objs = slices.Compact(slices.Sorted(slices.Values(objs)))
		msg := "does not exist; referenced by " + strings.Join(objs[:min(len(objs), maxReferrers)], ", ")
		if len(objs) > maxReferrers {
			msg += fmt.Sprintf(" and %d more", len(objs)-maxReferrers)
		}
		out = append(out, Problem{Object: "Policy " + name, Message: msg})
	}
	return out
}
