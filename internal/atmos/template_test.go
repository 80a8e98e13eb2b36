package atmos

import (
	"testing"
)

func TestPlainFieldRef(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"{{ .locals.a }}", []string{"locals", "a"}},
		{"  {{ .vars.x.y }} ", []string{"vars", "x", "y"}},
		{"{{ .locals.a }}-x", nil},
		{"{{ .a | upper }}", nil},
		{"{{ .a }}{{ .b }}", nil},
		{"plain", nil},
	}
	for _, tt := range tests {
		got, ok := plainFieldRef(tt.in)
		if ok != (tt.want != nil) {
			t.Errorf("%q: ok = %v", tt.in, ok)
			continue
		}
		eq(t, tt.in, got, tt.want)
	}
}

func TestLocalsCycleRefused(t *testing.T) {
	_, err := Expand(tree(map[string]string{
		devStack: ctxDev + "locals:\n  a: '{{ .locals.b }}'\n  b: '{{ .locals.a }}'\n  c: ok\ncomponents: {terraform: {c: {}}}",
	}), Options{})
	wantError(t, err, devStack, "locals", "circular references between locals a, b")
}

func TestLocalsNeedingLiveInfrastructureRefused(t *testing.T) {
	_, err := Expand(tree(map[string]string{
		devStack: ctxDev + "locals:\n  id: !terraform.output vpc .id\ncomponents: {terraform: {c: {}}}",
	}), Options{})
	wantError(t, err, devStack, "locals.id", "!terraform.output needs live infrastructure")
}

func TestUnevaluated(t *testing.T) {
	got := unevaluated(map[string]any{
		"vars": map[string]any{
			"a": "!terraform.output vpc .id", "b": "!env HOME", "c": []any{"x", "!store s c k"},
			"d": `{{ (atmos.Component "vpc" "s").outputs.id }}`, "e": "{{ .vars.x }}", "f": "!terraform.outputs",
		},
		"settings": map[string]any{"g": "!exec make"},
	})
	eq(t, "paths", got, []string{"settings.g", "vars.a", "vars.c[1]", "vars.d"})
}
