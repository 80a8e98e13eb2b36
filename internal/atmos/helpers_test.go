package atmos

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// testAtmosYAML is the atmos.yaml of test trees that do not bring their own.
const testAtmosYAML = `
stacks:
  base_path: stacks
  included_paths: ["orgs/**/*"]
  excluded_paths: ["**/_defaults.yaml"]
  name_pattern: "{tenant}-{environment}-{stage}"
`

// ctx returns a stack preamble: Spacelift enabled everywhere, and the vars
// of plat-ue1-<stage> plus extra lines ("key: value") for vars.
func ctx(stage string, extra ...string) string {
	s := "settings:\n  spacelift:\n    workspace_enabled: true\n" +
		"vars:\n  namespace: acme\n  tenant: plat\n  environment: ue1\n  stage: " + stage + "\n"
	for _, e := range extra {
		s += "  " + e + "\n"
	}
	return s
}

// ctxDev is the preamble of plat-ue1-dev.
var ctxDev = ctx("dev")

// tree builds a test tree; files are YAML bodies by path, with testAtmosYAML
// added unless atmos.yaml is given ("" omits it).
func tree(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	if _, ok := files["atmos.yaml"]; !ok {
		fsys["atmos.yaml"] = &fstest.MapFile{Data: []byte(testAtmosYAML)}
	}
	for name, body := range files {
		if name == "atmos.yaml" && body == "" {
			continue
		}
		fsys[name] = &fstest.MapFile{Data: []byte(strings.TrimPrefix(body, "\n"))}
	}
	return fsys
}

// mustExpand expands files and fails the test on error.
func mustExpand(t *testing.T, files map[string]string) []Record {
	t.Helper()
	recs, err := Expand(tree(files), Options{})
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	return recs
}

// byName indexes records by Spacelift name.
func byName(recs []Record) map[string]Record {
	m := make(map[string]Record, len(recs))
	for _, r := range recs {
		m[r.Name] = r
	}
	return m
}

// names lists the records' Spacelift names in order.
func names(recs []Record) []string {
	out := []string{}
	for _, r := range recs {
		out = append(out, r.Name)
	}
	return out
}

// record returns the record named name or fails the test.
func record(t *testing.T, recs []Record, name string) Record {
	t.Helper()
	r, ok := byName(recs)[name]
	if !ok {
		t.Fatalf("no record %q; have %v", name, names(recs))
	}
	return r
}

// wantError checks that err is an *Error whose rendering contains every
// fragment.
func wantError(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", fragments)
	}
	var ae *Error
	if !errors.As(err, &ae) {
		t.Errorf("error %v (%T) is not an *Error", err, err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}

// eq fails the test when got and want differ.
func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}
