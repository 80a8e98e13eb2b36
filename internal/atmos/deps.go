package atmos

import (
	"iter"
	"maps"
	"sort"
	"strings"
)

// candidate is one place where a section of a component may be defined.
type candidate struct {
	f *manifest
	m map[string]any
}

// depSections are the sections whose sources atmos reports as deps.
var depSections = [...]string{"vars", "env", "settings", "backend"}

// depCandidates lists, for each of depSections and in atmos's search order,
// the maps in which the keys of that section of an instance may be defined:
// the component in the stack manifest then in its imports (sorted by name),
// the same for each base component, the terraform section then the global
// section of the stack manifest, then of the imports. For backend, the maps
// are those of the instance's backend type.
//
// This is the order of atmos's ProcessConfigSources. It is not always the
// merge order (imports are searched by name, not by import order), which is
// why Record.Deps can differ from the true winners; it matches what atmos and
// the cloudposse/utils provider put in deps: labels.
func (st *stack) depCandidates(in *instance) [len(depSections)][]candidate {
	var out [len(depSections)][]candidate
	add := func(f *manifest, scope map[string]any) {
		if len(scope) == 0 {
			return
		}
		for i, section := range depSections {
			m := mapAt(scope, section)
			if section == "backend" {
				m = mapAt(m, in.backendType)
			}
			if len(m) > 0 {
				out[i] = append(out[i], candidate{f, m})
			}
		}
	}
	for i := -1; i < len(in.chain); i++ {
		c := in.component
		if i >= 0 {
			c = in.chain[i]
		}
		for _, f := range st.depsOrder {
			add(f, mapAt(f.components, c))
		}
	}
	self, imports := st.depsOrder[0], st.depsOrder[1:]
	add(self, mapAt(self.raw, "terraform"))
	add(self, self.raw)
	for _, f := range imports {
		add(f, mapAt(f.raw, "terraform"))
	}
	for _, f := range imports {
		add(f, f.raw)
	}
	return out
}

// deps returns the names of the manifests that atmos reports as supplying
// the instance's vars, env, settings and backend: for each top-level key of
// each section, the first candidate that defines it.
func (st *stack) deps(in *instance) []string {
	set := map[string]bool{}
	cands := st.depCandidates(in)
	sections := [len(depSections)]iter.Seq[string]{
		maps.Keys(in.vars), maps.Keys(in.env), maps.Keys(in.settings), maps.Keys(in.backendKeys),
	}
	for i, keys := range sections {
		if len(cands[i]) == 0 || (depSections[i] == "backend" && in.backendType == "") {
			continue
		}
		for k := range keys {
			for _, c := range cands[i] {
				if _, ok := c.m[k]; ok {
					set[c.f.name] = true
					break
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// origin locates the manifest and key that supply the value at keys (a path
// below a component, e.g. settings.spacelift.workspace_enabled) for an
// instance, in merge precedence: overrides, the component, its base
// components, the terraform section, the global section; within each, the
// manifest merged last first. It falls back to the stack manifest.
func (st *stack) origin(component string, chain []string, keys ...string) (file, key string) {
	section := len(keys) > 0 && (keys[0] == "vars" || keys[0] == "settings" || keys[0] == "env" ||
		keys[0] == "backend_type" || keys[0] == "remote_state_backend_type")
	var scopes [][]string
	if section {
		scopes = append(scopes, []string{"terraform", "overrides"}, []string{"overrides"})
	}
	scopes = append(scopes, []string{"components", "terraform", component})
	for _, c := range chain {
		scopes = append(scopes, []string{"components", "terraform", c})
	}
	if section {
		scopes = append(scopes, []string{"terraform"}, nil)
	}
	for _, scope := range scopes {
		full := append(append([]string{}, scope...), keys...)
		for _, f := range st.precedence {
			if _, ok := lookupPath(f.raw, full...); ok {
				return f.file, strings.Join(full, ".")
			}
		}
	}
	return st.m.file, strings.Join(append([]string{"components", "terraform", component}, keys...), ".")
}
