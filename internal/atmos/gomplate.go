package atmos

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// gomplateFuncs returns the Gomplate functions atmos offers in stack
// templates that need no outside system: the strings, conv, data, test,
// coll and math namespaces (the commonly used members) and their top-level
// aliases that Sprig does not already define (atmos gives Sprig precedence
// over Gomplate for the names both define). Data sources, files, network,
// cloud and time functions are left out: they read the world outside the
// tree. getenv reads env, not the process environment. (Gomplate's env
// namespace is shadowed by Sprig's env function in atmos too.)
func gomplateFuncs(env map[string]string) map[string]any {
	getenv := func(k string, def ...string) string {
		if v, ok := env[k]; ok && v != "" {
			return v
		}
		if len(def) > 0 {
			return def[0]
		}
		return ""
	}
	return map[string]any{
		"strings":      func() any { return gStrings{} },
		"conv":         func() any { return gConv{} },
		"data":         func() any { return gData{} },
		"test":         func() any { return gTest{} },
		"coll":         func() any { return gColl{} },
		"math":         func() any { return gMath{} },
		"getenv":       getenv,
		"toJSON":       gData{}.ToJSON,
		"toJSONPretty": gData{}.ToJSONPretty,
		"toYAML":       gData{}.ToYAML,
		"json":         gData{}.JSON,
		"jsonArray":    gData{}.JSONArray,
		"yaml":         gData{}.YAML,
		"yamlArray":    gData{}.YAMLArray,
		"assert":       gTest{}.Assert,
	}
}

// gStrings is Gomplate's strings namespace.
type gStrings struct{}

func (gStrings) ToUpper(s any) string          { return strings.ToUpper(toStr(s)) }
func (gStrings) ToLower(s any) string          { return strings.ToLower(toStr(s)) }
func (gStrings) Title(s any) string            { return titleCase(toStr(s)) }
func (gStrings) TrimSpace(s any) string        { return strings.TrimSpace(toStr(s)) }
func (gStrings) Trim(cut string, s any) string { return strings.Trim(toStr(s), cut) }
func (gStrings) TrimPrefix(p string, s any) string {
	return strings.TrimPrefix(toStr(s), p)
}
func (gStrings) TrimSuffix(p string, s any) string {
	return strings.TrimSuffix(toStr(s), p)
}
func (gStrings) ReplaceAll(old, new string, s any) string {
	return strings.ReplaceAll(toStr(s), old, new)
}
func (gStrings) Contains(sub string, s any) bool  { return strings.Contains(toStr(s), sub) }
func (gStrings) HasPrefix(p string, s any) bool   { return strings.HasPrefix(toStr(s), p) }
func (gStrings) HasSuffix(p string, s any) bool   { return strings.HasSuffix(toStr(s), p) }
func (gStrings) Split(sep string, s any) []string { return strings.Split(toStr(s), sep) }
func (gStrings) Repeat(n int, s any) string       { return strings.Repeat(toStr(s), n) }
func (gStrings) Quote(s any) string               { return strconv.Quote(toStr(s)) }
func (gStrings) Squote(s any) string {
	return "'" + strings.ReplaceAll(toStr(s), "'", "''") + "'"
}
func (gStrings) Indent(args ...any) (string, error) {
	width, pad, in := 1, " ", ""
	switch len(args) {
	case 1:
		in = toStr(args[0])
	case 2:
		n, err := strconv.Atoi(toStr(args[0]))
		if err != nil {
			return "", fmt.Errorf("strings.Indent: width: %w", err)
		}
		width, in = n, toStr(args[1])
	case 3:
		n, err := strconv.Atoi(toStr(args[0]))
		if err != nil {
			return "", fmt.Errorf("strings.Indent: width: %w", err)
		}
		width, pad, in = n, toStr(args[1]), toStr(args[2])
	default:
		return "", fmt.Errorf("strings.Indent: want 1 to 3 arguments, got %d", len(args))
	}
	prefix := strings.Repeat(pad, width)
	lines := strings.Split(in, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n"), nil
}

func titleCase(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// gConv is Gomplate's conv namespace.
type gConv struct{}

func (gConv) ToString(v any) string { return toStr(v) }
func (gConv) ToBool(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case int:
		return t == 1
	default:
		b, _ := strconv.ParseBool(strings.TrimSpace(toStr(v)))
		return b
	}
}
func (gConv) ToInt(v any) int {
	switch t := v.(type) {
	case int:
		return t
	case float64:
		return int(t)
	default:
		n, _ := strconv.Atoi(strings.TrimSpace(toStr(v)))
		return n
	}
}
func (gConv) Default(def, v any) any {
	if v == nil || reflect.ValueOf(v).IsZero() {
		return def
	}
	return v
}
func (gConv) Join(list any, sep string) string {
	var parts []string
	rv := reflect.ValueOf(list)
	if rv.Kind() == reflect.Slice {
		for i := range rv.Len() {
			parts = append(parts, toStr(rv.Index(i).Interface()))
		}
	}
	return strings.Join(parts, sep)
}

// gData is Gomplate's data namespace (the parts that need no data source).
type gData struct{}

func (gData) ToJSON(v any) (string, error) { return toJSON(v) }
func (gData) ToJSONPretty(indent string, v any) (string, error) {
	b, err := json.MarshalIndent(v, "", indent)
	return string(b), err
}
func (gData) ToYAML(v any) (string, error) { return toYAML(v) }
func (gData) JSON(s any) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(toStr(s)), &m); err != nil {
		return nil, fmt.Errorf("data.JSON: %w", err)
	}
	return m, nil
}
func (gData) JSONArray(s any) ([]any, error) {
	var l []any
	if err := json.Unmarshal([]byte(toStr(s)), &l); err != nil {
		return nil, fmt.Errorf("data.JSONArray: %w", err)
	}
	return l, nil
}
func (gData) YAML(s any) (map[string]any, error) {
	var m map[string]any
	if err := yaml.Unmarshal([]byte(toStr(s)), &m); err != nil {
		return nil, fmt.Errorf("data.YAML: %w", err)
	}
	return m, nil
}
func (gData) YAMLArray(s any) ([]any, error) {
	var l []any
	if err := yaml.Unmarshal([]byte(toStr(s)), &l); err != nil {
		return nil, fmt.Errorf("data.YAMLArray: %w", err)
	}
	return l, nil
}

// gTest is Gomplate's test namespace.
type gTest struct{}

func (gTest) Fail(args ...any) (string, error) {
	if len(args) == 0 {
		return "", errors.New("template generation failed")
	}
	return "", fmt.Errorf("template generation failed: %s", toStr(args[0]))
}
func (gTest) Assert(args ...any) (string, error) {
	msg, v := "", any(nil)
	switch len(args) {
	case 1:
		v = args[0]
	case 2:
		msg, v = toStr(args[0]), args[1]
	default:
		return "", fmt.Errorf("assert: want 1 or 2 arguments, got %d", len(args))
	}
	if b, ok := v.(bool); !ok || !b {
		if msg == "" {
			return "", errors.New("assertion failed")
		}
		return "", fmt.Errorf("assertion failed: %s", msg)
	}
	return "", nil
}
func (gTest) Required(args ...any) (any, error) {
	msg, v := "", any(nil)
	switch len(args) {
	case 1:
		v = args[0]
	case 2:
		msg, v = toStr(args[0]), args[1]
	default:
		return nil, fmt.Errorf("required: want 1 or 2 arguments, got %d", len(args))
	}
	if v == nil || v == "" {
		if msg == "" {
			msg = "can not render template: a required value was not set"
		}
		return nil, errors.New(msg)
	}
	return v, nil
}
func (gTest) Ternary(t, f any, cond bool) any {
	if cond {
		return t
	}
	return f
}

// gColl is Gomplate's coll namespace.
type gColl struct{}

func (gColl) Has(in any, key string) bool {
	switch t := in.(type) {
	case map[string]any:
		_, ok := t[key]
		return ok
	case []any:
		for _, e := range t {
			if toStr(e) == key {
				return true
			}
		}
	}
	return false
}
func (gColl) Slice(args ...any) []any { return args }
func (gColl) Dict(args ...any) (map[string]any, error) {
	out := map[string]any{}
	for i := 0; i < len(args); i += 2 {
		k := toStr(args[i])
		if i+1 < len(args) {
			out[k] = args[i+1]
		} else {
			out[k] = ""
		}
	}
	return out, nil
}
func (gColl) Keys(maps ...map[string]any) []string {
	var out []string
	for _, m := range maps {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out = append(out, keys...)
	}
	return out
}
func (gColl) Merge(dst map[string]any, srcs ...map[string]any) map[string]any {
	out := deepCopy(dst).(map[string]any)
	for _, s := range srcs {
		for k, v := range s {
			if _, ok := out[k]; !ok {
				out[k] = deepCopy(v)
			}
		}
	}
	return out
}

// gMath is Gomplate's math namespace (integer arithmetic).
type gMath struct{}

func (gMath) Add(n ...any) int64 {
	var s int64
	for _, v := range n {
		s += toInt64(v)
	}
	return s
}
func (gMath) Sub(a, b any) int64 { return toInt64(a) - toInt64(b) }
func (gMath) Mul(n ...any) int64 {
	p := int64(1)
	for _, v := range n {
		p *= toInt64(v)
	}
	return p
}

func toStr(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case fmt.Stringer:
		return t.String()
	default:
		return fmt.Sprint(v)
	}
}

func toInt64(v any) int64 {
	switch t := v.(type) {
	case int:
		return int64(t)
	case int64:
		return t
	case float64:
		return int64(t)
	default:
		n, _ := strconv.ParseInt(strings.TrimSpace(toStr(v)), 10, 64)
		return n
	}
}
