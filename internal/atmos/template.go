package atmos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"

	"github.com/Masterminds/sprig/v3"
	"gopkg.in/yaml.v3"
)

// errNeedsLiveInfrastructure marks a template function that atmos evaluates
// by reading live infrastructure (Terraform state, stores, data sources),
// which expansion never does.
var errNeedsLiveInfrastructure = errors.New("needs live infrastructure (Terraform state, a store or a data source), which atmos reads only when it runs the component")

// templateFuncs returns the functions templates in stack manifests may call,
// as atmos offers them: Sprig (github.com/Masterminds/sprig/v3, the library
// atmos uses), the pure Gomplate functions and namespaces, and the atmos
// namespace. Functions that read the process environment (Sprig's env and
// expandenv) read env instead, so the operator's own environment never
// reaches a manifest; functions that need live infrastructure
// (atmos.Component, atmos.Store, atmos.GomplateDatasource) fail with
// errNeedsLiveInfrastructure.
func templateFuncs(env map[string]string) template.FuncMap {
	funcs := template.FuncMap{}
	for k, v := range gomplateFuncs(env) {
		funcs[k] = v
	}
	for k, v := range sprig.TxtFuncMap() {
		funcs[k] = v
	}
	lookup := func(k string) string { return env[k] }
	funcs["env"] = lookup
	funcs["expandenv"] = func(s string) string {
		return expandVars(s, lookup)
	}
	funcs["atmos"] = func() any { return atmosNamespace{} }
	return funcs
}

// expandVars replaces $VAR and ${VAR} in s using lookup.
func expandVars(s string, lookup func(string) string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		j := i + 1
		if s[j] == '{' {
			end := strings.IndexByte(s[j:], '}')
			if end < 0 {
				b.WriteByte(s[i])
				continue
			}
			b.WriteString(lookup(s[j+1 : j+end]))
			i = j + end
			continue
		}
		k := j
		for k < len(s) && (s[k] == '_' || s[k] >= 'a' && s[k] <= 'z' || s[k] >= 'A' && s[k] <= 'Z' || s[k] >= '0' && s[k] <= '9') {
			k++
		}
		if k == j {
			b.WriteByte(s[i])
			continue
		}
		b.WriteString(lookup(s[j:k]))
		i = k - 1
	}
	return b.String()
}

// atmosNamespace is what {{ atmos }} returns in a manifest template.
type atmosNamespace struct{}

// Component is atmos.Component: it reads another component's configuration
// and Terraform outputs, which needs live infrastructure.
func (atmosNamespace) Component(component, stack string) (any, error) {
	return nil, fmt.Errorf("atmos.Component %q %q: %w", component, stack, errNeedsLiveInfrastructure)
}

// Store is atmos.Store: it reads a value from an external store.
func (atmosNamespace) Store(store, stack, component, key string) (any, error) {
	return nil, fmt.Errorf("atmos.Store %q: %w", store, errNeedsLiveInfrastructure)
}

// GomplateDatasource is atmos.GomplateDatasource: it reads a data source.
func (atmosNamespace) GomplateDatasource(alias string, args ...string) (any, error) {
	return nil, fmt.Errorf("atmos.GomplateDatasource %q: %w", alias, errNeedsLiveInfrastructure)
}

// renderTemplate executes text as a Go template over data with funcs. With
// ignoreMissing, a missing map key renders as "<no value>" (atmos's
// ignore_missing_template_values); otherwise it is an error.
func renderTemplate(name, text string, data any, funcs template.FuncMap, ignoreMissing bool) (string, error) {
	t, err := template.New(name).Funcs(funcs).Parse(text)
	if err != nil {
		return "", err
	}
	if ignoreMissing {
		t.Option("missingkey=default")
	} else {
		t.Option("missingkey=error")
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// plainFieldRef reports whether s is exactly one template action that is a
// field chain such as "{{ .locals.x }}" (surrounding blanks allowed), and
// returns its path. atmos substitutes such a reference with the referenced
// value itself, keeping its type, instead of rendering it as text.
func plainFieldRef(s string) ([]string, bool) {
	if !strings.Contains(s, "{{") {
		return nil, false
	}
	trees, err := parse.Parse("ref", s, "{{", "}}", map[string]any{})
	if err != nil {
		return nil, false
	}
	tree := trees["ref"]
	if tree == nil || tree.Root == nil {
		return nil, false
	}
	var action *parse.ActionNode
	for _, n := range tree.Root.Nodes {
		switch t := n.(type) {
		case *parse.TextNode:
			if strings.TrimSpace(string(t.Text)) != "" {
				return nil, false
			}
		case *parse.ActionNode:
			if action != nil {
				return nil, false
			}
			action = t
		default:
			return nil, false
		}
	}
	if action == nil || action.Pipe == nil || len(action.Pipe.Decl) > 0 || len(action.Pipe.Cmds) != 1 {
		return nil, false
	}
	cmd := action.Pipe.Cmds[0]
	if len(cmd.Args) != 1 {
		return nil, false
	}
	f, ok := cmd.Args[0].(*parse.FieldNode)
	if !ok || len(f.Ident) == 0 {
		return nil, false
	}
	return f.Ident, true
}

// fieldRefsWithPrefix returns the names referenced as .<prefix>.<name> in the
// template s, in order of appearance, each once. A template that does not
// parse has none.
func fieldRefsWithPrefix(s, prefix string) []string {
	if !strings.Contains(s, "{{") {
		return nil
	}
	trees, err := parse.Parse("refs", s, "{{", "}}", map[string]any{}, builtinNames())
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		if n == nil || reflect.ValueOf(n).IsNil() {
			return
		}
		switch t := n.(type) {
		case *parse.ListNode:
			for _, c := range t.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(t.Pipe)
		case *parse.PipeNode:
			for _, c := range t.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range t.Args {
				walk(a)
			}
		case *parse.FieldNode:
			if len(t.Ident) >= 2 && t.Ident[0] == prefix && !seen[t.Ident[1]] {
				seen[t.Ident[1]] = true
				out = append(out, t.Ident[1])
			}
		case *parse.IfNode:
			walk(t.Pipe)
			walk(t.List)
			walk(t.ElseList)
		case *parse.RangeNode:
			walk(t.Pipe)
			walk(t.List)
			walk(t.ElseList)
		case *parse.WithNode:
			walk(t.Pipe)
			walk(t.List)
			walk(t.ElseList)
		}
	}
	for _, tr := range trees {
		walk(tr.Root)
	}
	return out
}

// builtinNames lets the parser accept calls to any template function when
// only the structure of a template is needed.
var builtinNames = sync.OnceValue(func() map[string]any {
	names := map[string]any{}
	for k := range templateFuncs(nil) {
		names[k] = nil
	}
	return names
})

// lookupField follows path through nested maps.
func lookupField(data any, path []string) (any, bool) {
	cur := data
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// substituteFieldRefs replaces every string that is a plain field reference
// resolvable in data by the referenced value (atmos's structured template
// references); it returns a new value and leaves v unchanged.
func substituteFieldRefs(v any, data map[string]any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = substituteFieldRefs(e, data)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = substituteFieldRefs(e, data)
		}
		return out
	case string:
		if p, ok := plainFieldRef(t); ok {
			if val, found := lookupField(data, p); found {
				return val
			}
		}
		return t
	default:
		return v
	}
}

// toYAML renders v as YAML text.
func toYAML(v any) (string, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// toJSON renders v as compact JSON.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// jsonUnmarshalString decodes the JSON text s into v.
func jsonUnmarshalString(s string, v any) error {
	return json.Unmarshal([]byte(s), v)
}
