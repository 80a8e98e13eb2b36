package adminstack

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// maxListedKeys is how many keys of a misplaced mapping a problem names.
const maxListedKeys = 5

// fields reads typed values out of a section of an atmos record (for example
// settings.spacelift or vars) and collects a problem for every value of the
// wrong type, so that one bad value does not hide the others.
type fields struct {
	m        map[string]any
	path     string
	problems *[]string
}

func newFields(m map[string]any, path string, problems *[]string) fields {
	return fields{m: m, path: path, problems: problems}
}

func (f fields) wrongType(key, want string, v any) {
	*f.problems = append(*f.problems, fmt.Sprintf("%s.%s: want %s, got %s", f.path, key, want, kindOf(v)))
}

// problem records a problem with the value at key.
func (f fields) problem(key, format string, args ...any) {
	*f.problems = append(*f.problems, fmt.Sprintf("%s.%s: ", f.path, key)+fmt.Sprintf(format, args...))
}

// has reports whether key is set to a non-null value.
func (f fields) has(key string) bool {
	v, ok := f.m[key]
	return ok && v != nil
}

// boolean returns the boolean at key, or def when it is unset.
func (f fields) boolean(key string, def bool) bool {
	if !f.has(key) {
		return def
	}
	b, ok := f.m[key].(bool)
	if !ok {
		f.wrongType(key, "a boolean", f.m[key])
		return def
	}
	return b
}

// optBool returns the boolean at key, or nil when it is unset.
func (f fields) optBool(key string) *bool {
	if !f.has(key) {
		return nil
	}
	b := f.boolean(key, false)
	return &b
}

// str returns the string at key, or def when it is unset. Numbers are
// accepted and formatted, because YAML reads an unquoted 1.9 as a number.
func (f fields) str(key, def string) string {
	if !f.has(key) {
		return def
	}
	if s, ok := scalarString(f.m[key]); ok {
		return s
	}
	f.wrongType(key, "a string", f.m[key])
	return def
}

// strs returns the list of strings at key and whether it was set.
func (f fields) strs(key string) ([]string, bool) {
	if !f.has(key) {
		return nil, false
	}
	list, ok := f.m[key].([]any)
	if !ok {
		f.wrongType(key, "a list of strings", f.m[key])
		return nil, false
	}
	out := make([]string, 0, len(list))
	for i, v := range list {
		s, ok := scalarString(v)
		if !ok {
			f.wrongType(fmt.Sprintf("%s[%d]", key, i), "a string", v)
			continue
		}
		out = append(out, s)
	}
	return out, true
}

// stringMap returns the mapping of strings at key and whether it was set.
func (f fields) stringMap(key string) (map[string]string, bool) {
	if !f.has(key) {
		return nil, false
	}
	m, ok := f.m[key].(map[string]any)
	if !ok {
		f.wrongType(key, "a mapping of strings", f.m[key])
		return nil, false
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := scalarString(v)
		if !ok {
			f.wrongType(key+"."+k, "a string", v)
			continue
		}
		out[k] = s
	}
	return out, true
}

// sub returns the mapping at key as fields; an unset key yields empty fields.
func (f fields) sub(key string) fields {
	out := fields{m: map[string]any{}, path: f.path + "." + key, problems: f.problems}
	if !f.has(key) {
		return out
	}
	m, ok := f.m[key].(map[string]any)
	if !ok {
		f.wrongType(key, "a mapping", f.m[key])
		return out
	}
	out.m = m
	return out
}

// list returns the raw list at key and whether it was set.
func (f fields) list(key string) ([]any, bool) {
	if !f.has(key) {
		return nil, false
	}
	l, ok := f.m[key].([]any)
	if !ok {
		if m, isMap := f.m[key].(map[string]any); isMap {
			keys := slices.Sorted(maps.Keys(m))
			if len(keys) > maxListedKeys {
				keys = append(keys[:maxListedKeys], fmt.Sprintf("and %d more", len(keys)-maxListedKeys))
			}
			f.problem(key, "want a list, got a mapping with the keys %s: write one list item per entry", strings.Join(keys, ", "))
			return nil, false
		}
		f.wrongType(key, "a list", f.m[key])
		return nil, false
	}
	return l, true
}

// emptyMapping reports whether key holds an empty mapping ({}), which the
// list-valued settings that the Cloud Posse components read leniently
// (settings.spacelift.policies and policies_by_id_enabled) take as an empty
// list. See policies.
func (f fields) emptyMapping(key string) bool {
	m, ok := f.m[key].(map[string]any)
	return ok && len(m) == 0
}

// scalarString formats a string or number as a string.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// kindOf names the YAML kind of v for messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case int, int64, uint64, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}
