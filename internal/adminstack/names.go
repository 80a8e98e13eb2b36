package adminstack

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/atmos"
)

// NameKind is a kind of Spacelift object that the configuration may name.
type NameKind string

const (
	// KindWorkerPool is a Spacelift worker pool.
	KindWorkerPool NameKind = "worker pool"
	// KindSpace is a Spacelift space.
	KindSpace NameKind = "space"
	// KindContext is a Spacelift context.
	KindContext NameKind = "context"
)

// NameKinds lists every kind a NameRef can have, in the order the lists are
// fetched.
var NameKinds = []NameKind{KindWorkerPool, KindSpace, KindContext}

// NameRef is one place in the configuration that names a Spacelift object.
// Spacelift only accepts ids, and a name is not an id, so every reference is
// looked up before the child that holds it is written.
type NameRef struct {
	// Kind is the kind of object named.
	Kind NameKind
	// Value is what the configuration says.
	Value string
	// Match says what Value may be: an id, a name, or either.
	Match Match
	// Source says where the value came from: a file and key of the atmos
	// tree, or a field of the AdminStack.
	Source string

	set func(id string)
}

// Match says how a NameRef's value is matched against Spacelift objects.
type Match int

const (
	// MatchIDOrName accepts an id, else a name (the AdminStack's defaults).
	MatchIDOrName Match = iota
	// MatchID accepts only an id (atmos's *_id settings).
	MatchID
	// MatchName accepts only a name (atmos's *_name settings).
	MatchName
)

// SpaceliftObject is one object of a kind as Spacelift lists it.
type SpaceliftObject struct {
	ID   string
	Name string
}

// Directory maps the ids and names of the Spacelift objects of each kind to
// ids. The controller fills it from Spacelift's lists, once per reconcile.
type Directory struct {
	ids   map[NameKind]map[string]bool
	names map[NameKind]map[string][]string
}

// NewDirectory indexes objects by kind.
func NewDirectory(objects map[NameKind][]SpaceliftObject) *Directory {
	d := &Directory{ids: map[NameKind]map[string]bool{}, names: map[NameKind]map[string][]string{}}
	for kind, objs := range objects {
		ids, names := map[string]bool{}, map[string][]string{}
		for _, o := range objs {
			ids[o.ID] = true
			names[o.Name] = append(names[o.Name], o.ID)
		}
		for n := range names {
			sort.Strings(names[n])
		}
		d.ids[kind], d.names[kind] = ids, names
	}
	return d
}

// lookup returns the id ref stands for, or a problem message.
func (d *Directory) lookup(ref NameRef) (string, string) {
	if ref.Match != MatchName && d.ids[ref.Kind][ref.Value] {
		return ref.Value, ""
	}
	if ref.Match != MatchID {
		switch ids := d.names[ref.Kind][ref.Value]; len(ids) {
		case 0:
		case 1:
			return ids[0], ""
		default:
			return "", fmt.Sprintf("names %d %ss (ids %s): give the id instead", len(ids), ref.Kind, strings.Join(ids, ", "))
		}
	}
	switch ref.Match {
	case MatchID:
		if ids := d.names[ref.Kind][ref.Value]; len(ids) > 0 {
			return "", fmt.Sprintf("is the name of %s %s, not an id: use the id, or the *_name setting", ref.Kind, ids[0])
		}
		return "", fmt.Sprintf("no %s has this id", ref.Kind)
	case MatchName:
		return "", fmt.Sprintf("no %s has this name", ref.Kind)
	default:
		return "", fmt.Sprintf("no %s has this id or name", ref.Kind)
	}
}

// maxSources is how many places a name problem lists.
const maxSources = 3

// ResolveNames replaces every named Spacelift object in d with its id. It
// returns one problem per unknown or ambiguous value, naming where it came
// from; d must not be applied when there are problems.
func ResolveNames(d *Desired, dir *Directory) []Problem {
	type key struct {
		kind  NameKind
		value string
		msg   string
	}
	sources := map[key][]string{}
	for _, ref := range d.Names {
		id, msg := dir.lookup(ref)
		if msg != "" {
			k := key{ref.Kind, ref.Value, msg}
			sources[k] = append(sources[k], ref.Source)
			continue
		}
		ref.set(id)
	}
	var problems []Problem
	for k, srcs := range sources {
		srcs = slices.Compact(slices.Sorted(slices.Values(srcs)))
		where := strings.Join(srcs[:min(len(srcs), maxSources)], ", ")
		if len(srcs) > maxSources {
			where += fmt.Sprintf(" and %d more", len(srcs)-maxSources)
		}
		problems = append(problems, Problem{Object: fmt.Sprintf("%s %q", k.kind, k.value), Message: k.msg + "; set in " + where})
	}
	sort.Slice(problems, func(i, j int) bool { return problems[i].String() < problems[j].String() })
	return problems
}

// ResolvedIDs returns the id each reference of d stands for in dir, in the
// order of d.Names, and false when one is unknown or ambiguous. It changes
// nothing: equal results for two directories mean that ResolveNames makes
// the same objects of both, so a desired set resolved against the first one
// still holds.
func ResolvedIDs(d *Desired, dir *Directory) ([]string, bool) {
	ids := make([]string, len(d.Names))
	for i, ref := range d.Names {
		id, msg := dir.lookup(ref)
		if msg != "" {
			return nil, false
		}
		ids[i] = id
	}
	return ids, true
}

// NeededKinds are the kinds d names, in NameKinds order: what the controller
// has to list.
func (d *Desired) NeededKinds() []NameKind {
	var out []NameKind
	for _, k := range NameKinds {
		if slices.ContainsFunc(d.Names, func(r NameRef) bool { return r.Kind == k }) {
			out = append(out, k)
		}
	}
	return out
}

// collectNames records the Spacelift objects a Stack the AdminStack writes
// names: its worker pool, space and contexts, and the spaces of the admin
// stack's role bindings. r is the atmos record the Stack comes from, nil for
// the admin stack. The root space needs no lookup: its id is always root.
func collectNames(a *v1alpha1.AdminStack, s *v1alpha1.Stack, r *atmos.Record) []NameRef {
	var settings map[string]any
	file := ""
	if r != nil {
		settings, _ = r.Settings["spacelift"].(map[string]any)
		file = r.File
	}
	origin := func(idKey, nameKey, field string) (Match, string) {
		switch {
		case settings[idKey] != nil:
			return MatchID, file + ": settings.spacelift." + idKey
		case settings[nameKey] != nil:
			return MatchName, file + ": settings.spacelift." + nameKey
		}
		return MatchIDOrName, field
	}
	var refs []NameRef
	if s.Spec.WorkerPool != "" {
		m, src := origin("worker_pool_id", "worker_pool_name", "spec.childDefaults.workerPool")
		refs = append(refs, NameRef{Kind: KindWorkerPool, Value: s.Spec.WorkerPool, Match: m, Source: src,
			set: func(id string) { s.Spec.WorkerPool = id }})
	}
	if s.Spec.Space != "" && s.Spec.Space != RootSpace {
		field := "spec.childDefaults.space"
		if r == nil && a.Spec.AdminStack.Space != "" {
			field = "spec.adminStack.space"
		}
		m, src := origin("space_id", "space_name", field)
		refs = append(refs, NameRef{Kind: KindSpace, Value: string(s.Spec.Space), Match: m, Source: src,
			set: func(id string) { s.Spec.Space = id }})
	}
	if r == nil {
		for i := range s.Spec.RoleBindings {
			b := &s.Spec.RoleBindings[i]
			if b.SpaceID == RootSpace {
				continue
			}
			src := fmt.Sprintf("spec.adminStack.roleBindings[%d].spaceID", i)
			if len(a.Spec.AdminStack.RoleBindings) == 0 {
				src = "spec.adminStack.space (the admin stack's Space Admin binding)"
				if a.Spec.AdminStack.Space == "" {
					src = "spec.childDefaults.space (the admin stack's Space Admin binding)"
				}
			}
			refs = append(refs, NameRef{Kind: KindSpace, Value: b.SpaceID, Match: MatchIDOrName, Source: src,
				set: func(id string) { b.SpaceID = id }})
		}
	}
	for i := range s.Spec.Contexts {
		src := "spec.childDefaults.contexts"
		if settings["context_attachments"] != nil {
			src = fmt.Sprintf("%s: settings.spacelift.context_attachments[%d]", file, i)
		}
		c := &s.Spec.Contexts[i]
		refs = append(refs, NameRef{Kind: KindContext, Value: c.ID, Match: MatchIDOrName, Source: src,
			set: func(id string) { c.ID = id }})
	}
	return refs
}
