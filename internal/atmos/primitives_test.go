package atmos

import (
	"reflect"
	"testing"
)

func TestMergeInto(t *testing.T) {
	tests := []struct {
		name     string
		strategy ListMergeStrategy
		dst, src map[string]any
		want     map[string]any
	}{
		{
			name: "maps merge key by key",
			dst:  map[string]any{"a": 1, "m": map[string]any{"x": 1, "y": 1}},
			src:  map[string]any{"b": 2, "m": map[string]any{"y": 2, "z": 2}},
			want: map[string]any{"a": 1, "b": 2, "m": map[string]any{"x": 1, "y": 2, "z": 2}},
		},
		{
			name: "lists are replaced by default",
			dst:  map[string]any{"l": []any{"a", "b", "c"}},
			src:  map[string]any{"l": []any{"d"}},
			want: map[string]any{"l": []any{"d"}},
		},
		{
			name:     "append strategy appends",
			strategy: ListAppend,
			dst:      map[string]any{"l": []any{"a"}},
			src:      map[string]any{"l": []any{"b"}},
			want:     map[string]any{"l": []any{"a", "b"}},
		},
		{
			name:     "merge strategy merges maps by index and extends",
			strategy: ListMerge,
			dst:      map[string]any{"l": []any{map[string]any{"a": 1, "b": 1}, "keep"}},
			src:      map[string]any{"l": []any{map[string]any{"b": 2}, "ignored", "extra"}},
			want:     map[string]any{"l": []any{map[string]any{"a": 1, "b": 2}, "keep", "extra"}},
		},
		{
			name: "a later null replaces",
			dst:  map[string]any{"m": map[string]any{"x": 1}},
			src:  map[string]any{"m": nil},
			want: map[string]any{"m": nil},
		},
		{
			name: "a later scalar replaces a map and vice versa",
			dst:  map[string]any{"a": map[string]any{"x": 1}, "b": "s"},
			src:  map[string]any{"a": "s", "b": map[string]any{"y": 2}},
			want: map[string]any{"a": "s", "b": map[string]any{"y": 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := tt.strategy
			if ls == "" {
				ls = ListReplace
			}
			mergeInto(tt.dst, tt.src, ls)
			if !reflect.DeepEqual(tt.dst, tt.want) {
				t.Errorf("got %v, want %v", tt.dst, tt.want)
			}
		})
	}
}

func TestMergeDoesNotAliasSource(t *testing.T) {
	src := map[string]any{"m": map[string]any{"x": 1}, "l": []any{map[string]any{"y": 1}}}
	dst := merged(ListReplace, src)
	dst["m"].(map[string]any)["x"] = 2
	dst["l"].([]any)[0].(map[string]any)["y"] = 2
	if src["m"].(map[string]any)["x"] != 1 || src["l"].([]any)[0].(map[string]any)["y"] != 1 {
		t.Errorf("modifying the result changed the source: %v", src)
	}
}

func TestCOWMerger(t *testing.T) {
	for _, ls := range []ListMergeStrategy{ListReplace, ListAppend, ListMerge} {
		a := map[string]any{"m": map[string]any{"x": 1, "n": map[string]any{"p": 1}}, "l": []any{map[string]any{"a": 1}}}
		b := map[string]any{"m": map[string]any{"y": 2, "n": map[string]any{"q": 2}}, "l": []any{map[string]any{"b": 2}}}
		before := deepCopy(a)
		beforeB := deepCopy(b)

		c := newCOWMerger(ls)
		got := c.newMap()
		c.merge(got, a)
		c.merge(got, b)

		want := merged(ls, a, b)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: copy-on-write merge %v, deep merge %v", ls, got, want)
		}
		if !reflect.DeepEqual(a, before) || !reflect.DeepEqual(b, beforeB) {
			t.Errorf("%s: inputs changed: %v %v", ls, a, b)
		}
	}
}

func TestParseListMergeStrategy(t *testing.T) {
	for in, want := range map[string]ListMergeStrategy{"": ListReplace, "replace": ListReplace, "append": ListAppend, "merge": ListMerge} {
		if got, err := parseListMergeStrategy(in); err != nil || got != want {
			t.Errorf("parseListMergeStrategy(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := parseListMergeStrategy("prepend"); err == nil {
		t.Error("parseListMergeStrategy(prepend) succeeded")
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"orgs/**/*.yaml", "orgs/a/b/c.yaml", true},
		{"orgs/**/*.yaml", "orgs/c.yaml", true},
		{"orgs/**/*.yaml", "catalog/c.yaml", false},
		{"**/_defaults.yaml", "_defaults.yaml", true},
		{"**/_defaults.yaml", "orgs/acme/_defaults.yaml", true},
		{"**/_defaults.yaml", "orgs/acme/defaults.yaml", false},
		{"catalog/*.yaml", "catalog/vpc.yaml", true},
		{"catalog/*.yaml", "catalog/eks/cluster.yaml", false},
		{"catalog/{vpc,eks}.yaml", "catalog/eks.yaml", true},
		{"catalog/{vpc,eks}.yaml", "catalog/rds.yaml", false},
		{"catalog/{a,{b,c}}.yaml", "catalog/c.yaml", true},
		{"mixins/region/us-?ast-2.yaml", "mixins/region/us-east-2.yaml", true},
		{"mixins/region/[a-t]*.yaml", "mixins/region/us-east-2.yaml", false},
		{"a/**/b/**/c.yaml", "a/x/b/y/z/c.yaml", true},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.pattern)
		if err != nil {
			t.Fatalf("compileGlob(%q): %v", tt.pattern, err)
		}
		if got := g.match(tt.name); got != tt.want {
			t.Errorf("glob %q match %q = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
	for _, bad := range []string{"a/[b.yaml", "a/{b.yaml", "a/b}.yaml"} {
		if _, err := compileGlob(bad); err == nil {
			t.Errorf("compileGlob(%q) succeeded", bad)
		}
	}
}

func TestPatternPrefix(t *testing.T) {
	c := Context{Namespace: "acme", Tenant: "plat", Environment: "ue2", Stage: "dev"}
	tests := []struct {
		pattern, want string
		wantErr       bool
	}{
		{"{tenant}-{environment}-{stage}", "plat-ue2-dev", false},
		{"{namespace}-{tenant}-{environment}-{stage}", "acme-plat-ue2-dev", false},
		{"{environment}-{stage}", "ue2-dev", false},
		{"literal-{stage}", "dev", false},
		{"{tenant}-{region}", "plat", false},
	}
	for _, tt := range tests {
		got, err := PatternPrefix(c, tt.pattern)
		if err != nil || got != tt.want {
			t.Errorf("PatternPrefix(%q) = %q, %v; want %q", tt.pattern, got, err, tt.want)
		}
	}
	if _, err := PatternPrefix(Context{Tenant: "plat"}, "{tenant}-{stage}"); err == nil {
		t.Error("PatternPrefix with an unset stage succeeded")
	}
}

func TestSpaceliftStackName(t *testing.T) {
	c := Context{Namespace: "acme", Tenant: "plat", Environment: "ue2", Stage: "dev", Region: "us-east-2",
		Component: "eks/cluster", BaseComponent: "eks/base", Attributes: []string{"blue", "1"}}
	tests := []struct {
		name      string
		spacelift map[string]any
		want      string
	}{
		{"default is prefix and component", nil, "plat-ue2-dev-eks-cluster"},
		{"stack_name", map[string]any{"stack_name": "my/stack"}, "my-stack"},
		{"stack_name_pattern wins over stack_name", map[string]any{
			"stack_name":         "ignored",
			"stack_name_pattern": "{namespace}-{tenant}-{environment}-{stage}-{component}",
		}, "acme-plat-ue2-dev-eks-cluster"},
		{"all tokens", map[string]any{"stack_name_pattern": "{region}.{base-component}.{attributes}"}, "us-east-2.eks-base.blue-1"},
		{"non-string values are ignored", map[string]any{"stack_name": 7}, "plat-ue2-dev-eks-cluster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SpaceliftStackName(tt.spacelift, c, "plat-ue2-dev"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]any
		wantErr  bool
	}{
		{"empty", "", map[string]any{}, false},
		{"comments only", "# nothing\n", map[string]any{}, false},
		{"integer keys become strings", "d:\n  1:\n    component: vpc\n", map[string]any{"d": map[string]any{"1": map[string]any{"component": "vpc"}}}, false},
		{"atmos functions are kept as strings", "a: !terraform.output vpc id\nb: !env\n", map[string]any{"a": "!terraform.output vpc id", "b": "!env"}, false},
		{"unknown tags are refused", "a: !nope x\n", nil, true},
		{"literal drops the tag", "a: !literal \"{{ x }}\"\n", map[string]any{"a": "{{ x }}"}, false},
		{"anchors and merge keys", "x: &a {b: 1}\ny:\n  <<: *a\n  c: 2\n", map[string]any{"x": map[string]any{"b": 1}, "y": map[string]any{"b": 1, "c": 2}}, false},
		{"list at top level", "- a\n", nil, true},
		{"invalid", "a: [\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseManifest([]byte(tt.in), "m.yaml", nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestInTree(t *testing.T) {
	for _, c := range []struct {
		repo, p, want string
		ok            bool
	}{
		{"", "stacks", "stacks", true},
		{"", "", ".", true},
		{"", "./a/../stacks", "stacks", true},
		{"", "../x/stacks", "", false},
		{"", "/etc", "", false},
		{"a/b", "stacks", "stacks", true},
		{"a/b", "../../a/b/stacks", "stacks", true},
		{"a/b", "../b", ".", true},
		{"a/b", "..", "", false},
		{"a/b", "../c/stacks", "", false},
		{"a/b", "../../../a/b/stacks", "", false},
		{"a/b", "../bb/stacks", "", false},
		{"a/b", "/a/b/stacks", "", false},
	} {
		got, ok := inTree(c.repo, c.p)
		if got != c.want || ok != c.ok {
			t.Errorf("inTree(%q, %q) = %q, %v; want %q, %v", c.repo, c.p, got, ok, c.want, c.ok)
		}
	}
	eq(t, "cleanRepoPath", []string{cleanRepoPath(""), cleanRepoPath("/"), cleanRepoPath("a/b/"), cleanRepoPath("./a//b")}, []string{"", "", "a/b", "a/b"})
}
