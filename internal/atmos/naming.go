package atmos

import (
	"fmt"
	"strings"
	"text/template"
)

// Context is the atmos context of a component instance, read from its vars.
type Context struct {
	// Namespace, Tenant, Environment, Stage and Region are the string values
	// of the corresponding vars.
	Namespace, Tenant, Environment, Stage, Region string
	// Attributes are vars.attributes, stringified.
	Attributes []string
	// Component is the atmos component name.
	Component string
	// BaseComponent is metadata.component when it differs from Component.
	BaseComponent string
}

// contextFromVars reads the string context vars, as atmos does: a missing
// or non-string value is empty.
func contextFromVars(vars map[string]any) Context {
	str := func(k string) string { s, _ := vars[k].(string); return s }
	c := Context{
		Namespace:   str("namespace"),
		Tenant:      str("tenant"),
		Environment: str("environment"),
		Stage:       str("stage"),
		Region:      str("region"),
	}
	if attrs, ok := vars["attributes"].([]any); ok {
		for _, a := range attrs {
			c.Attributes = append(c.Attributes, fmt.Sprint(a))
		}
	}
	return c
}

// ReplaceTokens substitutes the context tokens {namespace}, {tenant},
// {environment}, {stage}, {region}, {component}, {base-component} and
// {attributes} (joined by "-") in pattern, as atmos does for
// settings.spacelift.stack_name_pattern and metadata.terraform_workspace_pattern.
func ReplaceTokens(c Context, pattern string) string {
	return strings.NewReplacer(
		"{base-component}", c.BaseComponent,
		"{component}", c.Component,
		"{namespace}", c.Namespace,
		"{environment}", c.Environment,
		"{region}", c.Region,
		"{tenant}", c.Tenant,
		"{stage}", c.Stage,
		"{attributes}", strings.Join(c.Attributes, "-"),
	).Replace(pattern)
}

// PatternPrefix builds an atmos stack name from a stacks.name_pattern: the
// pattern is split on "-", each of the tokens {namespace}, {tenant},
// {environment} and {stage} is replaced by its value, other parts are
// dropped, and the values are joined by "-". A token whose value is empty is
// an error.
func PatternPrefix(c Context, pattern string) (string, error) {
	var parts []string
	for _, p := range strings.Split(pattern, "-") {
		var v, name string
		switch p {
		case "{namespace}":
			v, name = c.Namespace, "namespace"
		case "{tenant}":
			v, name = c.Tenant, "tenant"
		case "{environment}":
			v, name = c.Environment, "environment"
		case "{stage}":
			v, name = c.Stage, "stage"
		default:
			continue
		}
		if v == "" {
			return "", fmt.Errorf("stack name pattern %q needs vars.%s, which is not set", pattern, name)
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, "-"), nil
}

// namer computes atmos stack names (the "context prefix").
type namer struct {
	pattern string
	tmpl    *template.Template
	// funcs are the template functions atmos offers (Sprig, Gomplate, atmos).
	funcs template.FuncMap
}

func newNamer(s Settings, funcs template.FuncMap) (*namer, error) {
	n := &namer{pattern: s.NamePattern, funcs: funcs}
	if s.NameTemplate != "" {
		t, err := template.New("name_template").Funcs(funcs).Parse(s.NameTemplate)
		if err != nil {
			return nil, fmt.Errorf("stacks.name_template: %w", err)
		}
		if s.IgnoreMissingTemplateValues {
			t.Option("missingkey=default")
		} else {
			t.Option("missingkey=error")
		}
		n.tmpl = t
	}
	return n, nil
}

// prefix returns the atmos stack name of an instance with the given context
// and vars in the stack file named stackFile: name_template, else
// name_pattern, else the file name with "/" replaced by "-".
func (n *namer) prefix(stackFile string, c Context, vars map[string]any) (string, error) {
	switch {
	case n.tmpl != nil:
		var b strings.Builder
		if err := n.tmpl.Execute(&b, map[string]any{"vars": vars}); err != nil {
			return "", fmt.Errorf("stacks.name_template: %w", err)
		}
		return b.String(), nil
	case n.pattern != "":
		return PatternPrefix(c, n.pattern)
	default:
		return strings.ReplaceAll(stackFile, "/", "-"), nil
	}
}

// SpaceliftStackName returns the Spacelift stack name of an instance, as
// atmos does: settings.spacelift.stack_name_pattern with its tokens replaced
// if set, else settings.spacelift.stack_name, else "<prefix>-<component>";
// in every case "/" becomes "-".
func SpaceliftStackName(spacelift map[string]any, c Context, prefix string) string {
	var name string
	if p, ok := spacelift["stack_name_pattern"].(string); ok {
		name = ReplaceTokens(c, p)
	} else if s, ok := spacelift["stack_name"].(string); ok {
		name = s
	} else {
		name = prefix + "-" + c.Component
	}
	return strings.ReplaceAll(name, "/", "-")
}
