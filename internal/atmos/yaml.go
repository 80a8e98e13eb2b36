package atmos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// atmosTags are the YAML function tags atmos accepts in stack manifests
// (its function tag registry). Any other local tag makes atmos refuse the
// manifest.
var atmosTags = map[string]bool{
	"!exec": true, "!secret": true, "!store": true, "!store.get": true,
	"!template": true, "!terraform.output": true, "!terraform.state": true,
	"!env": true, "!cel": true, "!include": true, "!include.raw": true,
	"!repo-root": true, "!git.root": true, "!git.sha": true, "!git.branch": true,
	"!git.ref": true, "!git.repository": true, "!git.owner": true, "!git.name": true,
	"!git.host": true, "!git.url": true, "!append": true, "!cwd": true,
	"!unset": true, "!random": true, "!literal": true,
	"!aws.account_id": true, "!aws.caller_identity_arn": true,
	"!aws.caller_identity_user_id": true, "!aws.region": true,
	"!aws.organization_id": true, "!emulator": true, "!version": true,
	"!tags": true, "!labels": true, "!labels.keys": true, "!labels.values": true,
}

// appendKey marks a list tagged !append: merging appends it to the inherited
// list instead of replacing it (atmos's own marker key).
const appendKey = "__atmos_append__"

// includer resolves !include and !include.raw for the manifest file: it
// returns the included value (parsed by extension, or the raw text).
type includer func(file, arg string, raw bool) (any, error)

// parseManifest decodes one YAML document of the manifest file into a map
// with string keys at every level, handling YAML function tags as atmos does
// when it loads a stack manifest: !include and !include.raw are replaced by
// the included file (through inc), !literal is dropped, an !append list is
// wrapped for the merge, and every other atmos function is kept as the
// string "<tag> <value>", which atmos's Spacelift processing never
// evaluates. An unknown tag is an error, as in atmos. An empty document is an
// empty map; a document that is not a mapping is an error.
func parseManifest(data []byte, file string, inc includer) (map[string]any, error) {
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
	if err := processTags(&root, file, inc); err != nil {
		return nil, err
	}
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

// processTags rewrites the children of n that carry atmos function tags.
func processTags(n *yaml.Node, file string, inc includer) error {
	for _, c := range n.Content {
		tag := strings.TrimSpace(c.Tag)
		if tag == "" || strings.HasPrefix(tag, "!!") || !strings.HasPrefix(tag, "!") {
			if err := processTags(c, file, inc); err != nil {
				return err
			}
			continue
		}
		if !atmosTags[tag] {
			return fmt.Errorf("line %d: unsupported YAML tag %q: atmos accepts only its functions (!include, !template, !terraform.output, !env, ...)", c.Line, tag)
		}
		switch tag {
		case "!literal":
			c.Tag = ""
		case "!append":
			c.Tag = ""
			if c.Kind == yaml.SequenceNode {
				if err := processTags(c, file, inc); err != nil {
					return err
				}
				inner := *c
				*c = yaml.Node{Kind: yaml.MappingNode, Line: inner.Line, Content: []*yaml.Node{
					{Kind: yaml.ScalarNode, Tag: "!!str", Value: appendKey}, &inner,
				}}
			}
			continue
		case "!include", "!include.raw":
			if inc == nil {
				return fmt.Errorf("line %d: %s is not allowed here", c.Line, tag)
			}
			v, err := inc(file, strings.TrimSpace(c.Value), tag == "!include.raw")
			if err != nil {
				return fmt.Errorf("line %d: %s %s: %w", c.Line, tag, strings.TrimSpace(c.Value), err)
			}
			var repl yaml.Node
			if err := repl.Encode(v); err != nil {
				return fmt.Errorf("line %d: %s %s: %w", c.Line, tag, strings.TrimSpace(c.Value), err)
			}
			*c = repl
			continue
		default:
			c.Value = strings.TrimSpace(tag + " " + strings.TrimSpace(c.Value))
			c.Tag = ""
			if c.Kind == yaml.ScalarNode {
				c.Tag = "!!str"
				c.Style = 0
			}
		}
		if err := processTags(c, file, inc); err != nil {
			return err
		}
	}
	return nil
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
