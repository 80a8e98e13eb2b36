package atmos

import (
	"fmt"
	"sort"
	"strings"
)

// Error is a problem in the stack configuration, located in a manifest. It
// is never transient: retrying without changing the manifests fails again.
type Error struct {
	// File is the manifest's path in the tree, when known.
	File string
	// Key is the dotted path of the offending key within File, e.g.
	// "components.terraform.vpc.settings.spacelift.workspace_enabled".
	Key string
	// StackFile (atmos's name for the top-level manifest: stacks base path
	// relative, no extension) and Component name the component instance
	// being expanded, when the problem is specific to one.
	StackFile, Component string
	// Err describes the problem.
	Err error
}

// Error renders "file: key: problem (component C of stack manifest S)".
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.Component != "" {
		fmt.Fprintf(&b, " (component %q of stack manifest %q)", e.Component, e.StackFile)
	}
	return b.String()
}

// Unwrap returns the underlying problem.
func (e *Error) Unwrap() error { return e.Err }

// validateManifest checks the types of the sections expansion reads, so that
// later code can rely on them and report the exact key when they are wrong.
func validateManifest(raw map[string]any) *Error {
	bad := func(key string, v any, want string) *Error {
		return &Error{Key: key, Err: fmt.Errorf("want %s, got %s", want, kindOf(v))}
	}
	isMap := func(v any) bool { _, ok := v.(map[string]any); return ok || v == nil }
	if v, ok := raw["import"]; ok {
		if _, isList := v.([]any); !isList && v != nil {
			return bad("import", v, "a list")
		}
	}
	for _, k := range []string{"vars", "settings", "env", "overrides", "terraform", "components"} {
		if v, ok := raw[k]; ok && !isMap(v) {
			return bad(k, v, "a mapping")
		}
	}
	for _, k := range []string{"vars", "settings", "env"} {
		if v, ok := mapAt(raw, "overrides")[k]; ok && !isMap(v) {
			return bad("overrides."+k, v, "a mapping")
		}
	}
	tf := mapAt(raw, "terraform")
	for _, k := range []string{"vars", "settings", "env", "overrides", "backend"} {
		if v, ok := tf[k]; ok && !isMap(v) {
			return bad("terraform."+k, v, "a mapping")
		}
	}
	for _, k := range []string{"vars", "settings", "env"} {
		if v, ok := mapAt(tf, "overrides")[k]; ok && !isMap(v) {
			return bad("terraform.overrides."+k, v, "a mapping")
		}
	}
	if v, ok := tf["backend_type"]; ok {
		if _, s := v.(string); !s && v != nil {
			return bad("terraform.backend_type", v, "a string")
		}
	}
	comps := mapAt(raw, "components")
	if v, ok := comps["terraform"]; ok && !isMap(v) {
		return bad("components.terraform", v, "a mapping")
	}
	tcs := mapAt(comps, "terraform")
	names := make([]string, 0, len(tcs))
	for n := range tcs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := validateComponent("components.terraform."+n, tcs[n]); err != nil {
			return err
		}
	}
	return nil
}

// validateComponent checks one components.terraform.<name> entry.
func validateComponent(key string, v any) *Error {
	bad := func(k string, v any, want string) *Error {
		return &Error{Key: key + k, Err: fmt.Errorf("want %s, got %s", want, kindOf(v))}
	}
	if v == nil {
		return nil
	}
	c, ok := v.(map[string]any)
	if !ok {
		return bad("", v, "a mapping")
	}
	for _, k := range []string{"vars", "settings", "env", "metadata", "overrides", "backend"} {
		if e, ok := c[k]; ok && e != nil {
			if _, isMap := e.(map[string]any); !isMap {
				return bad("."+k, e, "a mapping")
			}
		}
	}
	for _, k := range []string{"component", "backend_type"} {
		if e, ok := c[k]; ok && e != nil {
			if _, isStr := e.(string); !isStr {
				return bad("."+k, e, "a string")
			}
		}
	}
	md := mapAt(c, "metadata")
	if e, ok := md["component"]; ok && e != nil {
		if _, isStr := e.(string); !isStr {
			return bad(".metadata.component", e, "a string")
		}
	}
	if e, ok := md["inherits"]; ok && e != nil {
		list, isList := e.([]any)
		if !isList {
			return bad(".metadata.inherits", e, "a list of component names")
		}
		for i, item := range list {
			if _, isStr := item.(string); !isStr {
				return bad(fmt.Sprintf(".metadata.inherits[%d]", i), item, "a component name")
			}
		}
	}
	return nil
}
