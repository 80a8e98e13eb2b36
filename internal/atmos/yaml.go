package atmos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// parseManifest decodes one YAML document into a map with string keys at
// every level. An empty document is an empty map; a document that is not a
// mapping is an error. Scalars carrying a custom tag (atmos YAML functions
// such as !terraform.output) are kept as the string "<tag> <value>", so they
// survive as literals instead of silently losing their tag.
func parseManifest(data []byte) (map[string]any, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return map[string]any{}, nil
		}
		return nil, err
	}
	if len(root.Content) == 0 {
		return map[string]any{}, nil
	}
	keepCustomTags(&root)
	var v any
	if err := root.Decode(&v); err != nil {
		return nil, err
	}
	if v == nil {
		return map[string]any{}, nil
	}
	m, ok := normalize(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("top level is %s, want a mapping", kindOf(v))
	}
	return m, nil
}

// keepCustomTags rewrites scalars with a local tag (one "!", not "!!") into
// plain strings that keep the tag, and drops local tags from collections.
func keepCustomTags(n *yaml.Node) {
	if n == nil {
		return
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		if n.Kind == yaml.ScalarNode {
			if n.Value == "" {
				n.Value = n.Tag
			} else {
				n.Value = n.Tag + " " + n.Value
			}
			n.Tag = "!!str"
			n.Style = 0
		} else {
			n.Tag = ""
		}
	}
	for _, c := range n.Content {
		keepCustomTags(c)
	}
}

// normalize converts map[any]any (produced for non-string keys such as the
// integer keys of settings.depends_on) into map[string]any, recursively.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = normalize(e)
		}
		return t
	default:
		return v
	}
}

// kindOf names the YAML kind of a decoded value for error messages.
func kindOf(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("string %q", t)
	case bool:
		return fmt.Sprintf("bool %t", t)
	default:
		return fmt.Sprintf("%T %v", v, v)
	}
}
