package atmos

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestIncludeArgs(t *testing.T) {
	for _, c := range []struct {
		arg, file, query, err string
	}{
		{arg: "config/vars.json", file: "config/vars.json"},
		{arg: "  config/vars.json   .a.b ", file: "config/vars.json", query: ".a.b"},
		{arg: `"b c.txt" ".[1]"`, file: "b c.txt", query: ".[1]"},
		{arg: `'it''s.yaml' .a`, file: "it's.yaml", query: ".a"},
		{arg: `stacks/ue2.yaml .components.terraform.vpc.vars.availability_zones[2]`, file: "stacks/ue2.yaml", query: ".components.terraform.vpc.vars.availability_zones[2]"},
		{arg: `x.yaml .a | .b`, file: "x.yaml", query: ".a | .b"},
		{arg: `"x.yaml .a`, err: "unterminated quoted value"},
		{arg: "  ", err: "needs a file path"},
	} {
		file, query, err := includeArgs(c.arg)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("includeArgs(%q): error %v, want %q", c.arg, err, c.err)
			}
			continue
		}
		if err != nil || file != c.file || query != c.query {
			t.Errorf("includeArgs(%q) = %q, %q, %v; want %q, %q", c.arg, file, query, err, c.file, c.query)
		}
	}
}

// yqDoc is the included value of TestYQQuery.
const yqDoc = `
a:
  b: 1
  list: [x, y, z]
  "key with space": v
  "0": zero
  nested: {c: {d: true}}
  n: null
  num: 1.0
  hash: "#notcomment"
  arn: "arn:aws::x::"
  empty: ""
  quoted_int: "123"
  quoted_bool: "true"
  quoted_map: "k: v"
  multiline: "a: b\nc: d"
  folded: |
    line1
    line2
  padded: "  padded  "
list: [1, 2, {k: v}]
dash-key: dk
`

// TestYQQuery pins the results of queries over yqDoc; every want is what
// atmos's !include returned for the same file and query (atmos
// 0a1cb4480b3d, pkg/utils.EvaluateYqExpression).
func TestYQQuery(t *testing.T) {
	var doc any
	if err := yaml.Unmarshal([]byte(yqDoc), &doc); err != nil {
		t.Fatal(err)
	}
	doc = normalize(doc)
	for _, c := range []struct {
		query string
		want  any
		err   string
	}{
		{query: ".a.b", want: 1},
		{query: ".a.list", want: []any{"x", "y", "z"}},
		{query: ".a.list[0]", want: "x"},
		{query: ".a.list.[1]", want: "y"},
		{query: ".a.list[-1]", want: "z"},
		{query: ".a.list[5]", want: nil},
		{query: ".a.missing", want: nil},
		{query: ".a.missing.deeper", want: nil},
		{query: ".a.b.c", want: nil},
		{query: ".a.b[0]", want: nil},
		{query: `.a["key with space"]`, want: "v"},
		{query: `.["a"].b`, want: 1},
		{query: ".a[0]", want: "zero"},
		{query: `.a["0"]`, want: "zero"},
		{query: ".a.nested", want: map[string]any{"c": map[string]any{"d": true}}},
		{query: ".a.n", want: nil},
		{query: ".a.num", want: 1},
		{query: ".a.hash", want: "#notcomment"},
		{query: ".a.arn", want: "arn:aws::x::"},
		{query: ".a.empty", want: nil},
		{query: ".a.quoted_int", want: 123},
		{query: ".a.quoted_bool", want: true},
		{query: ".a.quoted_map", want: map[string]any{"k": "v"}},
		{query: ".a.multiline", want: map[string]any{"a": "b", "c": "d"}},
		{query: ".a.folded", want: "line1 line2"},
		{query: ".a.padded", want: "padded"},
		{query: ".list[2].k", want: "v"},
		{query: ".dash-key", want: "dk"},
		{query: " .a.b ", want: 1},
		{query: ".a.list.x", err: `cannot index a list with "x"`},
		{query: ".a.list[-5]", err: "index [-5] out of range"},
		// Beyond paths: atmos evaluates them, expansion refuses them.
		{query: ".a | .b", err: "only paths"},
		{query: ".a.list[]", err: "only paths"},
		{query: ".a.b // 3", err: "only paths"},
		{query: ".list[1:]", err: "only paths"},
		{query: `."dash-key"`, err: "only paths"},
		{query: "a.b", err: "only paths"},
		{query: ".a..b", err: "only paths"},
	} {
		got, err := yqQuery(doc, c.query)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("yqQuery(%q): error %v, want %q", c.query, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("yqQuery(%q): %v", c.query, err)
			continue
		}
		eq(t, c.query, got, c.want)
	}
	// A text file is one string, which the query "." reads as YAML.
	for text, want := range map[string]any{"plain text\n": "plain text", "a: 1\n": map[string]any{"a": 1}} {
		got, err := yqQuery(text, ".")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "text "+text, got, want)
	}
}
