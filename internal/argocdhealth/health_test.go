package argocdhealth

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

var update = flag.Bool("update", false, "regenerate config/argocd/argocd-cm.yaml from the health.lua files")

const (
	// configDir is config/argocd, relative to this package.
	configDir = "../../config/argocd"
	// customizationsDir holds the checks in Argo CD's layout:
	// <group>/<kind>/health.lua, health_test.yaml and testdata/.
	customizationsDir = configDir + "/resource_customizations"
	// crdDir holds the operator's CRDs; every kind they define needs a check.
	crdDir = "../../config/crd/bases"
)

// healthStatus is what a check returns, as Argo CD reads it
// (gitops-engine's health.HealthStatus).
type healthStatus struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

// healthTestFile is a health_test.yaml, as Argo CD's TestLuaHealthScript
// (util/lua/health_test.go) reads it.
type healthTestFile struct {
	Tests []struct {
		InputPath    string       `json:"inputPath"`
		HealthStatus healthStatus `json:"healthStatus"`
	} `json:"tests"`
}

// validStatuses are the health codes Argo CD accepts from a check.
var validStatuses = map[string]bool{"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true}

// invalidHealthStatus is the message Argo CD reports, with status Unknown,
// when a check returns a status it does not know.
const invalidHealthStatus = "Lua returned an invalid health status"

// executeHealthLua runs a check against obj as Argo CD's VM.ExecuteHealthLua
// (util/lua/lua.go) does: a fresh interpreter, Lua's standard libraries only
// when openLibs is set (Argo CD sets it for its built-in checks and for
// argocd-cm checks with resource.customizations.useOpenLibs), then always
// package, base and table; obj in the global "obj"; one second to finish.
// Argo CD also opens a reduced os library (time and date); it is left out
// here, so a check that starts reading the clock fails this test rather than
// flapping in Argo CD.
//
// The returned value is read as Argo CD reads it: nil is an empty status; a
// table whose status or message is not a string, or that is empty or a
// sequence (Argo CD encodes both as a JSON array), is an empty status too;
// an unknown status becomes Unknown.
func executeHealthLua(obj map[string]any, script string, openLibs bool) (healthStatus, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), Protect: true}, lua.LString(lib.name)); err != nil {
			return healthStatus{}, fmt.Errorf("opening Lua library %q: %w", lib.name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj))
	fn, err := l.LoadString(script)
	if err != nil {
		return healthStatus{}, fmt.Errorf("compiling the check: %w", err)
	}
	l.Push(fn)
	if err := l.PCall(0, lua.MultRet, nil); err != nil {
		return healthStatus{}, fmt.Errorf("running the check: %w", err)
	}
	switch ret := l.Get(-1).(type) {
	case *lua.LNilType:
		return healthStatus{}, nil
	case *lua.LTable:
		if first, _ := ret.Next(lua.LNil); first == lua.LNil || ret.MaxN() > 0 {
			return healthStatus{}, nil
		}
		status, statusOK := optionalString(ret.RawGetString("status"))
		message, messageOK := optionalString(ret.RawGetString("message"))
		if !statusOK || !messageOK {
			return healthStatus{}, nil
		}
		if !validStatuses[status] {
			return healthStatus{Status: "Unknown", Message: invalidHealthStatus}, nil
		}
		return healthStatus{Status: status, Message: message}, nil
	default:
		return healthStatus{}, fmt.Errorf("expect table output from Lua script, not %s", ret.Type())
	}
}

// optionalString is v as a string; ok is false when v is neither nil nor a
// string.
func optionalString(v lua.LValue) (s string, ok bool) {
	switch v := v.(type) {
	case *lua.LNilType:
		return "", true
	case lua.LString:
		return string(v), true
	}
	return "", false
}

// toLua converts a decoded object to Lua as Argo CD's decodeValue does:
// objects become tables keyed by name, arrays sequences, numbers numbers;
// anything else becomes nil.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case []any:
		tbl := l.CreateTable(len(v), 0)
		for _, e := range v {
			tbl.Append(toLua(l, e))
		}
		return tbl
	case map[string]any:
		tbl := l.CreateTable(0, len(v))
		for k, e := range v {
			tbl.RawSetH(lua.LString(k), toLua(l, e))
		}
		return tbl
	}
	return lua.LNil
}

// readObject reads a testdata object as Argo CD's test does (YAML through
// JSON, so numbers arrive as float64), and checks that it is a valid object
// of its kind: every field it sets exists in the operator's API types.
func readObject(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	obj := &unstructured.Unstructured{Object: m}
	scheme := runtime.NewScheme()
	if err := spaceliftv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	typed, err := scheme.New(obj.GroupVersionKind())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := yaml.UnmarshalStrict(b, typed); err != nil {
		t.Fatalf("%s is not a valid %s: %v", path, obj.GetKind(), err)
	}
	return obj
}

// scriptFor is the check Argo CD picks for obj among its built-in checks:
// the health.lua in the directory named after the object's group and kind.
func scriptFor(t *testing.T, obj *unstructured.Unstructured) (path, script string) {
	t.Helper()
	gvk := obj.GroupVersionKind()
	path = filepath.Join(customizationsDir, gvk.Group, gvk.Kind, "health.lua")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no health check for %s: %v", gvk.GroupKind(), err)
	}
	return path, string(b)
}

// TestLuaHealthScript walks resource_customizations as Argo CD's test of the
// same name does: for each health.lua, every case of the health_test.yaml
// beside it runs the check Argo CD picks for the case's object and compares
// status and message exactly. Each case runs twice: with Lua's standard
// libraries, as Argo CD runs its built-in checks, and without, as it runs
// the argocd-cm copies.
func TestLuaHealthScript(t *testing.T) {
	checks := 0
	err := filepath.Walk(customizationsDir, func(path string, _ os.FileInfo, err error) error {
		if !strings.Contains(path, "health.lua") {
			return nil
		}
		if err != nil {
			return err
		}
		checks++
		dir := filepath.Dir(path)
		b, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
		if err != nil {
			return err
		}
		var file healthTestFile
		if err := yaml.UnmarshalStrict(b, &file); err != nil {
			return fmt.Errorf("parsing %s/health_test.yaml: %w", dir, err)
		}
		if len(file.Tests) == 0 {
			t.Errorf("%s/health_test.yaml has no tests", dir)
		}
		for _, test := range file.Tests {
			t.Run(filepath.Join(strings.TrimPrefix(dir, customizationsDir+"/"), test.InputPath), func(t *testing.T) {
				obj := readObject(t, filepath.Join(dir, test.InputPath))
				scriptPath, script := scriptFor(t, obj)
				if scriptPath != path {
					t.Fatalf("%s is a %s, so Argo CD tests it with %s, not %s", test.InputPath, obj.GroupVersionKind().GroupKind(), scriptPath, path)
				}
				for _, openLibs := range []bool{true, false} {
					got, err := executeHealthLua(obj.Object, script, openLibs)
					if err != nil {
						t.Fatalf("openLibs=%v: %v", openLibs, err)
					}
					if got != test.HealthStatus {
						t.Errorf("openLibs=%v: health = %+v, want %+v", openLibs, got, test.HealthStatus)
					}
				}
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checks == 0 {
		t.Fatalf("no health.lua under %s", customizationsDir)
	}
}

// kinds lists the directories of the checks, as group/kind, sorted.
func kinds(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(customizationsDir, "*", "*", "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		rel, err := filepath.Rel(customizationsDir, filepath.Dir(p))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	sort.Strings(out)
	return out
}

// TestEveryKindHasACheck checks that each kind the operator's CRDs define
// has a health check, and that no check is for a kind that does not exist.
func TestEveryKindHasACheck(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(crdDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var crd struct {
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(b, &crd); err != nil {
			t.Fatalf("parsing %s: %v", p, err)
		}
		want = append(want, crd.Spec.Group+"/"+crd.Spec.Names.Kind)
	}
	sort.Strings(want)
	if got := kinds(t); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("health checks for %v, want one for each CRD kind %v", got, want)
	}
}

// TestEveryTestdataFileIsUsed catches testdata that no health_test.yaml
// lists, which would look tested without being run.
func TestEveryTestdataFileIsUsed(t *testing.T) {
	for _, kind := range kinds(t) {
		dir := filepath.Join(customizationsDir, kind)
		b, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var file healthTestFile
		if err := yaml.Unmarshal(b, &file); err != nil {
			t.Fatalf("parsing %s/health_test.yaml: %v", dir, err)
		}
		listed := map[string]int{}
		for _, test := range file.Tests {
			listed[test.InputPath]++
		}
		files, err := filepath.Glob(filepath.Join(dir, "testdata", "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			rel := "testdata/" + filepath.Base(f)
			if listed[rel] == 0 {
				t.Errorf("%s/%s is in no test of health_test.yaml", kind, rel)
			}
		}
		for in, n := range listed {
			if n > 1 {
				t.Errorf("%s/health_test.yaml lists %s %d times", kind, in, n)
			}
		}
	}
}

// TestDriftHealthSetting checks the one setting the README tells users they
// may change: DRIFT_HEALTH = "Healthy" keeps drift in the message only.
func TestDriftHealthSetting(t *testing.T) {
	for _, kind := range []string{"AdminStack", "Stack"} {
		t.Run(kind, func(t *testing.T) {
			obj := readObject(t, filepath.Join(customizationsDir, spaceliftv1alpha1.GroupVersion.Group, kind, "testdata", "degraded_drifted.yaml"))
			path, script := scriptFor(t, obj)
			const setting = `local DRIFT_HEALTH = "Degraded"`
			if strings.Count(script, setting) != 1 {
				t.Fatalf("%s: want exactly one line %s", path, setting)
			}
			before, err := executeHealthLua(obj.Object, script, false)
			if err != nil {
				t.Fatal(err)
			}
			if before.Status != "Degraded" || !strings.HasPrefix(before.Message, "Drift detected: ") {
				t.Fatalf("as shipped: health = %+v, want Degraded with the drift", before)
			}
			script = strings.Replace(script, setting, `local DRIFT_HEALTH = "Healthy"`, 1)
			got, err := executeHealthLua(obj.Object, script, false)
			if err != nil {
				t.Fatal(err)
			}
			if want := (healthStatus{"Healthy", before.Message}); got != want {
				t.Errorf("with DRIFT_HEALTH Healthy: health = %+v, want %+v", got, want)
			}
		})
	}
}

// TestArgoReadsReturnValues checks executeHealthLua against the rules of
// Argo CD's ExecuteHealthLua that the shipped checks never exercise, so that
// a check that broke one of them would be reported as Argo CD reports it.
func TestArgoReadsReturnValues(t *testing.T) {
	obj := map[string]any{"metadata": map[string]any{"name": "x"}}
	for _, tc := range []struct {
		script string
		want   healthStatus
	}{
		{`return nil`, healthStatus{}},
		{`return {}`, healthStatus{}},
		{`return {"Healthy"}`, healthStatus{}},
		{`return {status = 1}`, healthStatus{}},
		{`return {status = "Fine", message = "x"}`, healthStatus{"Unknown", invalidHealthStatus}},
		{`return {message = "no status"}`, healthStatus{"Unknown", invalidHealthStatus}},
		{`return {status = "Healthy", message = obj.metadata.name, extra = true}`, healthStatus{"Healthy", "x"}},
	} {
		got, err := executeHealthLua(obj, tc.script, false)
		if err != nil {
			t.Errorf("%s: %v", tc.script, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s: health = %+v, want %+v", tc.script, got, tc.want)
		}
	}
	for _, script := range []string{`return "Healthy"`, `error("boom")`, `return string.upper("x")`, `while true do end`} {
		if got, err := executeHealthLua(obj, script, false); err == nil {
			t.Errorf("%s: health = %+v, want an error", script, got)
		}
	}
	if _, err := executeHealthLua(obj, `return {status = string.upper("healthy"):sub(1, 1) .. "ealthy"}`, true); err != nil {
		t.Errorf("with the standard libraries open, string is available: %v", err)
	}
}

// configMapKey is the argocd-cm key of the check of a group/kind.
func configMapKey(groupKind string) string {
	return "resource.customizations.health." + strings.Replace(groupKind, "/", "_", 1)
}

// renderConfigMap is config/argocd/argocd-cm.yaml as generated from the
// checks: each health.lua a literal block under its key.
func renderConfigMap(t *testing.T) string {
	var b strings.Builder
	b.WriteString("# Generated from resource_customizations/*/*/health.lua by\n")
	b.WriteString("# `go test ./internal/argocdhealth -update`: edit the checks, not this file.\n")
	b.WriteString("# Merge it into Argo CD's argocd-cm ConfigMap, as a kustomize patch\n")
	b.WriteString("# (kustomization.yaml here) or with kubectl patch (README.md).\n")
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n")
	for _, kind := range kinds(t) {
		script := readScript(t, kind)
		if !strings.HasSuffix(script, "\n") || strings.HasSuffix(script, "\n\n") {
			t.Fatalf("%s/health.lua must end with exactly one newline", kind)
		}
		b.WriteString("  " + configMapKey(kind) + ": |\n")
		for _, line := range strings.Split(strings.TrimSuffix(script, "\n"), "\n") {
			if line == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString("    " + line + "\n")
		}
	}
	return b.String()
}

func readScript(t *testing.T, groupKind string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(customizationsDir, groupKind, "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestConfigMapEmbedsScripts keeps argocd-cm.yaml, the copy users install,
// equal to the health.lua files.
func TestConfigMapEmbedsScripts(t *testing.T) {
	path := filepath.Join(configDir, "argocd-cm.yaml")
	want := renderConfigMap(t)
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s differs from the health.lua files: regenerate it with `go test ./internal/argocdhealth -update`", path)
	}
	// The literal blocks must read back as the scripts, byte for byte.
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(got, &cm); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	ks := kinds(t)
	if len(cm.Data) != len(ks) {
		t.Errorf("%s has %d keys, want %d", path, len(cm.Data), len(ks))
	}
	for _, kind := range ks {
		if cm.Data[configMapKey(kind)] != readScript(t, kind) {
			t.Errorf("%s: %s does not read back as %s/health.lua", path, configMapKey(kind), kind)
		}
	}
}

// TestKustomizeComponent checks that config/argocd/kustomization.yaml is a
// Component that patches argocd-cm with argocd-cm.yaml whatever its
// namespace (a target selector, not the patch's own name and namespace).
func TestKustomizeComponent(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(configDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Patches    []struct {
			Path   string `json:"path"`
			Target struct {
				Version   string `json:"version"`
				Kind      string `json:"kind"`
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"target"`
		} `json:"patches"`
	}
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("parsing kustomization.yaml: %v", err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1alpha1" || k.Kind != "Component" {
		t.Errorf("kustomization.yaml is %s %s, want a kustomize.config.k8s.io/v1alpha1 Component", k.APIVersion, k.Kind)
	}
	if len(k.Patches) != 1 || k.Patches[0].Path != "argocd-cm.yaml" || k.Patches[0].Target.Kind != "ConfigMap" ||
		k.Patches[0].Target.Name != "argocd-cm" || k.Patches[0].Target.Namespace != "" {
		t.Errorf("kustomization.yaml patches = %+v, want one patch argocd-cm.yaml targeting ConfigMap argocd-cm in any namespace", k.Patches)
	}
}
