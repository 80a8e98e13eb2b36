package atmos

import (
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// localsFuncs are the functions atmos offers inside locals: Sprig and its
// own collectKeys (not Gomplate).
func localsFuncs(env map[string]string) template.FuncMap {
	funcs := template.FuncMap{}
	for k, v := range sprig.TxtFuncMap() {
		funcs[k] = v
	}
	funcs["env"] = func(k string) string { return env[k] }
	funcs["expandenv"] = func(s string) string { return expandVars(s, func(k string) string { return env[k] }) }
	funcs["collectKeys"] = func(m map[string]any) []string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	}
	return funcs
}

// fileLocals are a manifest's resolved locals and the template context they
// give the manifest, as atmos builds them before it renders the file.
type fileLocals struct {
	// has is true when the file has a locals section (even an empty one)
	// at the top level or in its terraform section.
	has bool
	// locals are the resolved locals, the terraform section's winning.
	locals map[string]any
}

// resolveFileLocals resolves the file-scoped locals of raw: the top-level
// locals section, then terraform.locals on top of it. A local may refer to
// another one as {{ .locals.name }} and to the file's own settings, vars and
// env; atmos resolves them in dependency order and refuses cycles.
func (l *loader) resolveFileLocals(raw map[string]any) (fileLocals, error) {
	var out fileLocals
	base := map[string]any{}
	for _, s := range []string{"settings", "vars", "env"} {
		if m, ok := raw[s].(map[string]any); ok {
			base[s] = m
		}
	}
	global, err := l.resolveLocals("locals", raw, nil, base)
	if err != nil {
		return out, err
	}
	_, out.has = raw["locals"]
	out.locals = maps.Clone(global)
	if tf, ok := raw["terraform"].(map[string]any); ok {
		ctx := maps.Clone(base)
		for _, s := range []string{"settings", "vars", "env"} {
			if m, ok := tf[s].(map[string]any); ok {
				g, _ := base[s].(map[string]any)
				merged := maps.Clone(g)
				if merged == nil {
					merged = map[string]any{}
				}
				maps.Copy(merged, m)
				ctx[s] = merged
			}
		}
		tfLocals, err := l.resolveLocals("terraform.locals", tf, global, ctx)
		if err != nil {
			return out, err
		}
		if _, ok := tf["locals"]; ok {
			out.has = true
			if out.locals == nil {
				out.locals = map[string]any{}
			}
			maps.Copy(out.locals, tfLocals)
		}
	}
	if out.has && out.locals == nil {
		out.locals = map[string]any{}
	}
	return out, nil
}

// resolveLocals resolves section["locals"] on top of parent.
func (l *loader) resolveLocals(key string, section, parent, ctx map[string]any) (map[string]any, error) {
	rawLocals, ok := section["locals"]
	if !ok {
		return maps.Clone(parent), nil
	}
	defs, ok := rawLocals.(map[string]any)
	if !ok {
		if rawLocals == nil {
			defs = nil
		} else {
			return nil, &Error{Key: key, Err: fmt.Errorf("want a mapping of local names to values, got %s", kindOf(rawLocals))}
		}
	}
	resolved := maps.Clone(parent)
	if resolved == nil {
		resolved = map[string]any{}
	}
	if len(defs) == 0 {
		return resolved, nil
	}
	deps := make(map[string][]string, len(defs))
	for name, v := range defs {
		deps[name] = localRefs(v)
	}
	order, err := localsOrder(defs, deps)
	if err != nil {
		return nil, &Error{Key: key, Err: err}
	}
	for _, name := range order {
		v, err := l.resolveLocalValue(defs[name], name, resolved, ctx)
		if err != nil {
			return nil, &Error{Key: key + "." + name, Err: err}
		}
		resolved[name] = v
	}
	return resolved, nil
}

// localRefs lists the locals a value refers to.
func localRefs(v any) []string {
	switch t := v.(type) {
	case string:
		return fieldRefsWithPrefix(t, "locals")
	case map[string]any:
		var out []string
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, localRefs(t[k])...)
		}
		return out
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, localRefs(e)...)
		}
		return out
	default:
		return nil
	}
}

// localsOrder sorts the locals so that each comes after the locals it
// refers to (ties by name), or reports a cycle.
func localsOrder(defs map[string]any, deps map[string][]string) ([]string, error) {
	indeg := map[string]int{}
	for name, ds := range deps {
		for _, d := range ds {
			if _, ok := defs[d]; ok {
				indeg[name]++
			}
		}
	}
	var queue, order []string
	for name := range defs {
		if indeg[name] == 0 {
			queue = append(queue, name)
		}
	}
	sort.Strings(queue)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		order = append(order, name)
		var ready []string
		for other, ds := range deps {
			for _, d := range ds {
				if d == name {
					indeg[other]--
					if indeg[other] == 0 {
						ready = append(ready, other)
					}
				}
			}
		}
		if len(ready) > 0 {
			queue = append(queue, ready...)
			sort.Strings(queue)
		}
	}
	if len(order) != len(defs) {
		var stuck []string
		for name := range defs {
			if indeg[name] > 0 {
				stuck = append(stuck, name)
			}
		}
		sort.Strings(stuck)
		return nil, fmt.Errorf("circular references between locals %s; atmos needs locals that do not refer to each other in a cycle", strings.Join(stuck, ", "))
	}
	return order, nil
}

// resolveLocalValue resolves one local's value, recursively.
func (l *loader) resolveLocalValue(v any, name string, resolved, ctx map[string]any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			r, err := l.resolveLocalValue(e, name, resolved, ctx)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			r, err := l.resolveLocalValue(e, name, resolved, ctx)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case string:
		return l.resolveLocalString(t, name, resolved, ctx)
	default:
		return v, nil
	}
}

func (l *loader) resolveLocalString(s, name string, resolved, ctx map[string]any) (any, error) {
	if strings.HasPrefix(s, "!") {
		v, ok, err := l.yamlFunction(s)
		if err != nil {
			return nil, err
		}
		if ok {
			return v, nil
		}
	}
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	data := maps.Clone(ctx)
	if data == nil {
		data = map[string]any{}
	}
	data["locals"] = resolved
	if p, ok := plainFieldRef(s); ok {
		if v, found := lookupField(data, p); found {
			return v, nil
		}
	}
	out, err := renderTemplate(name, s, data, l.localsFuncs, false)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// liveTags are the YAML functions that read live infrastructure or run
// commands; atmos evaluates them only when it runs a component.
var liveTags = []string{"!terraform.output", "!terraform.state", "!store.get", "!store", "!exec", "!secret", "!aws.", "!emulator"}

// isLiveFunction reports whether s is a YAML function that needs live
// infrastructure.
func isLiveFunction(s string) bool {
	for _, t := range liveTags {
		if strings.HasPrefix(s, t) && (strings.HasSuffix(t, ".") || len(s) == len(t) || s[len(t)] == ' ') {
			return true
		}
	}
	return false
}

// errOutsideTree marks a YAML function in locals that reads something
// outside the stack tree (Git metadata, the working directory, randomness).
var errOutsideTree = errors.New("reads state outside the stack tree, which expansion cannot see")

// yamlFunction evaluates a YAML function kept as a string ("!env HOME")
// where atmos evaluates it at load time: in locals. It reports false for a
// string that is not an atmos function.
func (l *loader) yamlFunction(s string) (any, bool, error) {
	tag, arg, _ := strings.Cut(s, " ")
	arg = strings.TrimSpace(arg)
	if !atmosTags[tag] {
		return nil, false, nil
	}
	switch {
	case tag == "!env":
		name, def, hasDef := strings.Cut(arg, " ")
		if v, ok := l.env[name]; ok && v != "" {
			return v, true, nil
		}
		if hasDef {
			return strings.Trim(strings.TrimSpace(def), `"'`), true, nil
		}
		return "", true, nil
	case tag == "!template":
		return templateFunctionValue(arg), true, nil
	case isLiveFunction(s):
		return nil, false, fmt.Errorf("%s %w", tag, errNeedsLiveInfrastructure)
	case tag == "!literal":
		return arg, true, nil
	default:
		return nil, false, fmt.Errorf("%s %w", tag, errOutsideTree)
	}
}

// templateFunctionValue is the value of "!template <text>": JSON text is
// decoded, anything else is kept as the string.
func templateFunctionValue(arg string) any {
	var v any
	if err := jsonUnmarshalString(arg, &v); err == nil {
		return normalize(v)
	}
	return arg
}
