package conformance

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
)

// Doc is one GraphQL request a client sends.
type Doc struct {
	// Client is who sends it: operator, spacectl or terraform-provider.
	Client string
	// Name says what the client does with it, e.g. "stack show".
	Name  string
	Query string
	// Vars are the request variables. A string "@name" stands for the id
	// World.Build generated under that name.
	Vars map[string]any
	// Nullable lists top-level fields (by response key) that may be null,
	// such as a delete of something the world does not have.
	Nullable []string
}

var (
	schemaOnce sync.Once
	schema     *ast.Schema
	schemaErr  error
)

// Schema is the emulator's schema as gqlparser sees it.
func Schema() (*ast.Schema, error) {
	schemaOnce.Do(func() {
		s, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: emulator.Schema})
		if err != nil {
			schemaErr = fmt.Errorf("loading the emulator schema: %w", err)
			return
		}
		schema = s
	})
	return schema, schemaErr
}

// Validate checks that d parses, validates against the schema and that its
// variables (placeholders included, as strings) fit their declared types.
func Validate(d Doc) (*ast.OperationDefinition, error) {
	s, err := Schema()
	if err != nil {
		return nil, err
	}
	doc, errs := gqlparser.LoadQuery(s, dropEmptyArguments(d.Query))
	if len(errs) > 0 {
		return nil, fmt.Errorf("does not validate against the emulator schema: %v", errs)
	}
	if len(doc.Operations) != 1 {
		return nil, fmt.Errorf("want one operation, got %d", len(doc.Operations))
	}
	op := doc.Operations[0]
	vars := d.Vars
	if vars == nil {
		vars = map[string]any{}
	}
	if _, err := validator.VariableValues(s, op, vars); err != nil {
		return nil, fmt.Errorf("variables %v do not fit their types: %w", vars, err)
	}
	return op, nil
}

// Check fails the test when Run finds a problem with d.
func Check(t *testing.T, w *World, d Doc) {
	t.Helper()
	if err := Run(w, d); err != nil {
		t.Fatalf("%s %q: %v", d.Client, d.Name, err)
	}
}

// Run validates d, builds a fresh world, runs d against it and checks that
// no error comes back and that the data has every selected field, with
// top-level fields non-null unless listed in Nullable.
func Run(w *World, d Doc) error {
	op, err := Validate(d)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, d.Query)
	}
	w.Build()
	vars, err := w.resolve(d.Vars)
	if err != nil {
		return err
	}
	resp, err := w.Do(d.Query, vars)
	if err != nil {
		return err
	}
	if len(resp.Errors) > 0 {
		return fmt.Errorf("the emulator answered with errors %v\n%s\nvariables %v", resp.Errors, d.Query, vars)
	}
	var data map[string]any
	if err := json.Unmarshal(resp.Data, &data); err != nil || data == nil {
		return fmt.Errorf("data %s is not an object: %v", resp.Data, err)
	}
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok {
			continue
		}
		key := responseKey(f)
		if data[key] == nil && !slices.Contains(d.Nullable, key) && !strings.HasPrefix(f.Name, "__") {
			return fmt.Errorf("%s is null in %s", key, resp.Data)
		}
	}
	if err := checkShape(op.SelectionSet, data, ""); err != nil {
		return fmt.Errorf("%w in %s", err, resp.Data)
	}
	return nil
}

func responseKey(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// checkShape reports a selected field missing from the data. Fields inside
// a fragment on a type other than the object's are not required.
func checkShape(set ast.SelectionSet, data any, path string) error {
	switch v := data.(type) {
	case []any:
		for i, el := range v {
			if err := checkShape(set, el, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		typename, _ := v["__typename"].(string)
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				key := responseKey(s)
				val, ok := v[key]
				if !ok {
					return fmt.Errorf("%s.%s is missing", path, key)
				}
				if err := checkShape(s.SelectionSet, val, path+"."+key); err != nil {
					return err
				}
			case *ast.InlineFragment:
				if typename != "" && s.TypeCondition != "" && s.TypeCondition != typename {
					continue
				}
				if typename == "" && s.TypeCondition != "" && s.ObjectDefinition != nil && s.ObjectDefinition.Kind != ast.Object {
					continue
				}
				if err := checkShape(s.SelectionSet, v, path); err != nil && typename != "" {
					return err
				}
			case *ast.FragmentSpread:
				if err := checkShape(s.Definition.SelectionSet, v, path); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// resolve replaces "@name" strings with the ids Build generated.
func (w *World) resolve(v map[string]any) (map[string]any, error) {
	out, err := w.resolveValue(v)
	if err != nil {
		return nil, err
	}
	m, _ := out.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

func (w *World) resolveValue(v any) (any, error) {
	switch t := v.(type) {
	case string:
		name, ok := strings.CutPrefix(t, "@")
		if !ok {
			return t, nil
		}
		id, ok := w.IDs[name]
		if !ok {
			return nil, fmt.Errorf("no generated id %q in the world (have %v)", name, w.IDs)
		}
		return id, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			r, err := w.resolveValue(val)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			r, err := w.resolveValue(val)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// dropEmptyArguments removes empty argument lists such as the provider's
// "workerPools()". The GraphQL grammar wants at least one argument inside
// parentheses and gqlparser holds to it, but Spacelift's API and the
// emulator (graph-gophers) accept them, and the provider sends them, so the
// validation here must not refuse them either. String literals are left
// alone.
func dropEmptyArguments(q string) string {
	var b strings.Builder
	inString := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '"' && (i == 0 || q[i-1] != '\\'):
			inString = !inString
		case !inString && c == '(':
			j := i + 1
			for j < len(q) && strings.ContainsRune(" \t\r\n,", rune(q[j])) {
				j++
			}
			if j < len(q) && q[j] == ')' {
				i = j
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}
