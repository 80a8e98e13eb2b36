package argocdhealth

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "regenerate config/argocd/argocd-cm.yaml from the Lua scripts")

// configDir is config/argocd, relative to this package.
const configDir = "../../config/argocd"

const group = "spacelift.stackwright.io"

// scripts maps each kind with a health check to its script in configDir.
var scripts = map[string]string{
	"AdminStack": "health/adminstack.lua",
	"Policy":     "health/policy.lua",
	"Stack":      "health/stack.lua",
}

// health is what a script returns, as Argo CD reads it.
type health struct {
	Status  string
	Message string
}

// argoStatuses are the health codes Argo CD accepts from a script; any other
// turns into Unknown.
var argoStatuses = map[string]bool{"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true}

func readScript(t *testing.T, kind string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(configDir, scripts[kind]))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// evaluate runs script against obj as Argo CD runs a custom health check: a
// fresh interpreter with only the package, base and table libraries (Argo
// CD adds a reduced os library, which the scripts do not use), obj in the
// global "obj" converted from the object's JSON, a one-second budget, and
// the returned table read as status and message.
func evaluate(t *testing.T, script string, obj map[string]any) health {
	t.Helper()
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for name, open := range map[string]lua.LGFunction{lua.LoadLibName: lua.OpenPackage, lua.BaseLibName: lua.OpenBase, lua.TabLibName: lua.OpenTable} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(open), Protect: true}, lua.LString(name)); err != nil {
			t.Fatalf("opening Lua library %q: %v", name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(t, l, obj))
	if err := l.DoString(script); err != nil {
		t.Fatalf("running the script: %v", err)
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("script returned %s, want a table", l.Get(-1).Type())
	}
	var h health
	if s, ok := ret.RawGetString("status").(lua.LString); ok {
		h.Status = string(s)
	}
	if m, ok := ret.RawGetString("message").(lua.LString); ok {
		h.Message = string(m)
	}
	if !argoStatuses[h.Status] {
		t.Fatalf("script returned status %q, which Argo CD turns into Unknown", h.Status)
	}
	return h
}

// toLua converts a decoded JSON value to Lua as Argo CD does: objects become
// tables keyed by name, arrays become sequences, numbers become numbers.
func toLua(t *testing.T, l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case []any:
		tbl := l.CreateTable(len(v), 0)
		for _, e := range v {
			tbl.Append(toLua(t, l, e))
		}
		return tbl
	case map[string]any:
		tbl := l.CreateTable(0, len(v))
		for k, e := range v {
			tbl.RawSetString(k, toLua(t, l, e))
		}
		return tbl
	}
	t.Fatalf("no Lua conversion for %T", v)
	return nil
}

// names are what the operator's messages call the sample object of a kind.
var names = map[string]string{"Stack": "stack net-dev", "Policy": "policy require-approval", "AdminStack": "admin stack plat-admin"}

// object describes a Stack, Policy or AdminStack in a compact form; build
// turns it into what the API server returns.
type object struct {
	generation int64 // metadata.generation; 0 means 2
	observed   int64 // status.observedGeneration; 0 means generation, -1 leaves it out
	// conditions are written "Type=Status/Reason: message"; "$what" in the
	// message becomes the kind's name for the object ("stack net-dev").
	// No conditions and no status leaves status out entirely.
	conditions []string
	status     map[string]any // further status fields
	suspend    bool
	deleting   bool
}

func (o object) build(t *testing.T, kind string) map[string]any {
	t.Helper()
	gen := o.generation
	if gen == 0 {
		gen = 2
	}
	meta := map[string]any{"name": "sample", "namespace": "infra", "generation": gen, "uid": "0b6e1d5c-4f1e-4f7e-9d8e-2a1f3c4b5d6e",
		"creationTimestamp": "2026-01-02T03:04:05Z", "finalizers": []any{"spacelift.stackwright.io/finalizer"}}
	if o.deleting {
		meta["deletionTimestamp"] = "2026-01-03T00:00:00Z"
	}
	u := map[string]any{"apiVersion": group + "/v1alpha1", "kind": kind, "metadata": meta, "spec": map[string]any{}}
	if o.suspend {
		u["spec"].(map[string]any)["suspend"] = true
	}
	if o.conditions != nil || o.status != nil {
		st := map[string]any{}
		for k, v := range o.status {
			st[k] = v
		}
		observed := o.observed
		if observed == 0 {
			observed = gen
		}
		if observed > 0 {
			st["observedGeneration"] = observed
		} else {
			observed = gen
		}
		conds := []any{}
		for _, c := range o.conditions {
			typ, rest, _ := strings.Cut(c, "=")
			status, rest, _ := strings.Cut(rest, "/")
			reason, msg, _ := strings.Cut(rest, ": ")
			conds = append(conds, map[string]any{"type": typ, "status": status, "reason": reason,
				"message": strings.ReplaceAll(msg, "$what", names[kind]), "observedGeneration": observed, "lastTransitionTime": "2026-01-02T03:04:06Z"})
		}
		st["conditions"] = conds
		u["status"] = st
	}
	// Go through JSON as Argo CD does, so numbers arrive as int64.
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	var decoded unstructured.Unstructured
	if err := decoded.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	return decoded.Object
}

// Condition sets the operator writes (controllers/stack_status.go).
var (
	synced = []string{
		"Ready=True/Succeeded: $what is in sync with Spacelift",
		"Reconciling=False/Succeeded: $what is in sync with Spacelift",
		"Stalled=False/Succeeded: $what is in sync with Spacelift",
		"Synced=True/Succeeded: $what is in sync with Spacelift",
	}
	firstSync = []string{
		"Ready=Unknown/Progressing: syncing with Spacelift",
		"Reconciling=True/Progressing: syncing with Spacelift",
		"Stalled=False/Progressing: syncing with Spacelift",
		"Synced=Unknown/Progressing: syncing with Spacelift",
	}
	invalidSpec = []string{
		"Ready=False/InvalidSpec: spec.space: space \"legacy\" does not exist",
		"Reconciling=False/InvalidSpec: waiting for the spec or a referenced object to be fixed",
		"Stalled=True/InvalidSpec: spec.space: space \"legacy\" does not exist",
		"Synced=False/InvalidSpec: spec.space: space \"legacy\" does not exist",
	}
	credentialsNotFound = []string{
		"Ready=False/CredentialsNotFound: Secret infra/spacelift-credentials does not exist",
		"Reconciling=False/CredentialsNotFound: waiting for the spec or a referenced object to be fixed",
		"Stalled=True/CredentialsNotFound: Secret infra/spacelift-credentials does not exist",
		"Synced=False/CredentialsNotFound: Secret infra/spacelift-credentials does not exist",
	}
	unavailable = []string{
		"Ready=False/SpaceliftUnavailable: a Spacelift request failed; retrying with backoff",
		"Reconciling=True/SpaceliftUnavailable: a Spacelift request failed; retrying with backoff",
		"Stalled=False/SpaceliftUnavailable: retrying, not stalled",
		"Synced=True/Succeeded: $what is in sync with Spacelift",
	}
	suspended = []string{
		"Ready=False/Suspended: spec.suspend is true: nothing is written to Spacelift",
		"Reconciling=False/Suspended: spec.suspend is true: nothing is written to Spacelift",
		"Stalled=False/Suspended: spec.suspend is true: nothing is written to Spacelift",
		"Synced=True/Succeeded: $what is in sync with Spacelift",
	}
	deleting = []string{
		"Ready=False/Deleting: Spacelift is deleting $what",
		"Reconciling=True/Deleting: Spacelift is deleting $what",
		"Stalled=False/Deleting: deletion in progress",
	}
	deletionProtected = []string{
		"Ready=False/DeletionProtected: protectFromDeletion is set: unset it to delete $what",
		"Reconciling=False/DeletionProtected: protectFromDeletion is set: unset it to delete $what",
		"Stalled=True/DeletionProtected: protectFromDeletion is set: unset it to delete $what",
		"DeletionBlocked=True/DeletionProtected: protectFromDeletion is set: unset it to delete $what",
	}
	driftFound = "Drifted=True/DriftDetected: 3 resources drifted (run 01HZYQ)"
	noDrift    = "Drifted=False/NoDrift: no resources drifted (run 01HZYR)"
	driftOff   = "Drifted=Unknown/DriftDetectionDisabled: drift detection is not enabled: set spec.driftDetection"
	// AdminStack conditions (controllers/adminstack_status.go).
	adminReady = []string{
		"Ready=True/Succeeded: the admin stack and its 5 children are Ready",
		"Reconciling=False/Succeeded: the admin stack and its 5 children are Ready",
		"Stalled=False/Succeeded: the admin stack and its 5 children are Ready",
	}
	childrenWait = []string{
		"Ready=False/ChildrenNotReady: 2 of 6 stacks are not Ready: Stack/plat-ue2-dev-eks, Stack/plat-ue2-dev-vpc",
		"Reconciling=True/ChildrenNotReady: 2 of 6 stacks are not Ready: Stack/plat-ue2-dev-eks, Stack/plat-ue2-dev-vpc",
		"Stalled=False/ChildrenNotReady: waiting for the children, not stalled",
		"Drifted=Unknown/NotYetChecked: no child reports a drift-detection result",
	}
	childrenDrifted = "Drifted=True/DriftDetected: 2 children drifted: plat-ue2-dev-eks, plat-ue2-dev-vpc"
)

func with(conds []string, more ...string) []string {
	return append(append([]string{}, conds...), more...)
}

type healthCase struct {
	name string
	obj  object
	want health
}

// commonCases hold for every kind; "$what" in a wanted message is replaced
// as in conditions.
var commonCases = []healthCase{
	{"no status yet", object{}, health{"Progressing", "Waiting for status"}},
	{"status without conditions", object{status: map[string]any{}}, health{"Progressing", "Waiting for status"}},
	{"first sync under way", object{conditions: firstSync}, health{"Progressing", "syncing with Spacelift"}},
	{"in sync", object{conditions: synced}, health{"Healthy", "$what is in sync with Spacelift"}},
	{"spec changed, not yet observed", object{generation: 3, observed: 2, conditions: synced},
		health{"Progressing", "Waiting for the operator to observe generation 3 (status describes generation 2)"}},
	{"status without observedGeneration", object{observed: -1, conditions: synced},
		health{"Progressing", "Waiting for the operator to observe generation 2 (status describes generation 0)"}},
	{"invalid spec", object{conditions: invalidSpec}, health{"Degraded", "InvalidSpec: spec.space: space \"legacy\" does not exist"}},
	{"credentials missing", object{conditions: credentialsNotFound}, health{"Degraded", "CredentialsNotFound: Secret infra/spacelift-credentials does not exist"}},
	{"Spacelift unavailable", object{conditions: unavailable}, health{"Progressing", "a Spacelift request failed; retrying with backoff"}},
	{"suspended", object{suspend: true, conditions: suspended}, health{"Suspended", "spec.suspend is true: nothing is written to Spacelift"}},
	{"suspend observed before the conditions say so", object{suspend: true, conditions: synced}, health{"Suspended", "spec.suspend is true"}},
	{"suspend not yet observed", object{suspend: true, generation: 4, observed: 3, conditions: synced},
		health{"Progressing", "Waiting for the operator to observe generation 4 (status describes generation 3)"}},
	{"suspended and stalled before", object{suspend: true, conditions: invalidSpec}, health{"Suspended", "spec.suspend is true"}},
	{"deleting", object{deleting: true, conditions: deleting}, health{"Progressing", "Deleting: Spacelift is deleting $what"}},
	{"deleting before any status", object{deleting: true}, health{"Progressing", "Deleting: waiting for the operator"}},
	{"deletion blocked", object{deleting: true, conditions: deletionProtected},
		health{"Progressing", "Deletion blocked: DeletionProtected: protectFromDeletion is set: unset it to delete $what"}},
	{"Ready False, neither reconciling nor stalled", object{conditions: []string{"Ready=False/DependencyNotReady: waiting for stack vpc to get a Spacelift id"}},
		health{"Progressing", "waiting for stack vpc to get a Spacelift id"}},
	{"Ready Unknown without a message", object{conditions: []string{"Ready=Unknown/SyncPending"}}, health{"Progressing", "SyncPending"}},
	{"no Ready condition", object{conditions: []string{"Synced=True/Succeeded: $what is in sync with Spacelift"}},
		health{"Progressing", "Waiting for the Ready condition"}},
}

// driftCases hold for the kinds that report drift: Stack and AdminStack.
var driftCases = []healthCase{
	{"in sync, drifted", object{conditions: with(synced, driftFound)}, health{"Degraded", "Drift detected: 3 resources drifted (run 01HZYQ)"}},
	{"in sync, no drift", object{conditions: with(synced, noDrift)}, health{"Healthy", "$what is in sync with Spacelift"}},
	{"in sync, drift detection off", object{conditions: with(synced, driftOff)}, health{"Healthy", "$what is in sync with Spacelift"}},
	{"drifted while stalled", object{conditions: with(invalidSpec, driftFound)}, health{"Degraded", "InvalidSpec: spec.space: space \"legacy\" does not exist"}},
	{"drifted while syncing", object{conditions: with(firstSync, driftFound)}, health{"Progressing", "syncing with Spacelift"}},
	{"drifted and suspended", object{suspend: true, conditions: with(suspended, driftFound)}, health{"Suspended", "spec.suspend is true: nothing is written to Spacelift"}},
}

var kindCases = map[string][]healthCase{
	"Stack": driftCases,
	"AdminStack": append(append([]healthCase{}, driftCases...),
		healthCase{"children drifted", object{conditions: with(adminReady, childrenDrifted), status: map[string]any{"selected": 6, "ready": 6, "drifted": 2}},
			health{"Degraded", "Drift detected: 2 children drifted: plat-ue2-dev-eks, plat-ue2-dev-vpc"}},
		healthCase{"children drifted, condition not yet set", object{conditions: with(adminReady, noDrift), status: map[string]any{"selected": 6, "ready": 6, "drifted": 2}},
			health{"Degraded", "Drift detected: 2 child stacks drifted"}},
		healthCase{"one child drifted, condition not yet set", object{conditions: adminReady, status: map[string]any{"selected": 6, "ready": 6, "drifted": 1}},
			health{"Degraded", "Drift detected: 1 child stack drifted"}},
		healthCase{"all children ready, none drifted", object{conditions: with(adminReady, "Drifted=False/NoDrift: no child drifted"), status: map[string]any{"selected": 6, "ready": 6, "drifted": 0}},
			health{"Healthy", "the admin stack and its 5 children are Ready"}},
		healthCase{"children not ready", object{conditions: childrenWait, status: map[string]any{"selected": 6, "ready": 4}},
			health{"Progressing", "2 of 6 stacks are not Ready: Stack/plat-ue2-dev-eks, Stack/plat-ue2-dev-vpc"}},
	),
	"Policy": {
		// Policies have no drift: a Drifted condition, were one ever set, is ignored.
		{"in sync, Drifted ignored", object{conditions: with(synced, driftFound)}, health{"Healthy", "policy require-approval is in sync with Spacelift"}},
	},
}

func TestHealth(t *testing.T) {
	for _, kind := range sortedKinds() {
		script := readScript(t, kind)
		t.Run(kind, func(t *testing.T) {
			for _, tc := range append(append([]healthCase{}, commonCases...), kindCases[kind]...) {
				t.Run(tc.name, func(t *testing.T) {
					got := evaluate(t, script, tc.obj.build(t, kind))
					want := tc.want
					want.Message = strings.ReplaceAll(want.Message, "$what", names[kind])
					if got != want {
						t.Errorf("health = %+v, want %+v", got, want)
					}
				})
			}
		})
	}
}

// TestDriftHealthSetting checks the one setting the README tells users they
// may change: DRIFT_HEALTH = "Healthy" keeps drift in the message only.
func TestDriftHealthSetting(t *testing.T) {
	for _, kind := range []string{"AdminStack", "Stack"} {
		t.Run(kind, func(t *testing.T) {
			script := readScript(t, kind)
			const setting = `local DRIFT_HEALTH = "Degraded"`
			if strings.Count(script, setting) != 1 {
				t.Fatalf("%s: want exactly one line %s", scripts[kind], setting)
			}
			script = strings.Replace(script, setting, `local DRIFT_HEALTH = "Healthy"`, 1)
			got := evaluate(t, script, object{conditions: with(synced, driftFound)}.build(t, kind))
			want := health{"Healthy", "Drift detected: 3 resources drifted (run 01HZYQ)"}
			if got != want {
				t.Errorf("health = %+v, want %+v", got, want)
			}
		})
	}
}

func sortedKinds() []string {
	kinds := make([]string, 0, len(scripts))
	for k := range scripts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// configMapKey is the argocd-cm key of a kind's health check.
func configMapKey(kind string) string {
	return "resource.customizations.health." + group + "_" + kind
}

// renderConfigMap is config/argocd/argocd-cm.yaml as generated from the
// scripts: each one a literal block under its key.
func renderConfigMap(t *testing.T) string {
	var b strings.Builder
	b.WriteString("# Generated from health/*.lua by `go test ./internal/argocdhealth -update`:\n")
	b.WriteString("# edit the scripts, not this file. Merge it into Argo CD's argocd-cm ConfigMap,\n")
	b.WriteString("# as a kustomize patch (kustomization.yaml here) or with kubectl patch\n")
	b.WriteString("# (README.md).\n")
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n")
	for _, kind := range sortedKinds() {
		script := readScript(t, kind)
		if !strings.HasSuffix(script, "\n") || strings.HasSuffix(script, "\n\n") {
			t.Fatalf("%s must end with exactly one newline", scripts[kind])
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
		t.Fatalf("%s differs from the Lua scripts: regenerate it with `go test ./internal/argocdhealth -update`", path)
	}
	// The literal blocks must read back as the scripts, byte for byte.
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(got, &cm); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	if len(cm.Data) != len(scripts) {
		t.Errorf("%s has %d keys, want %d", path, len(cm.Data), len(scripts))
	}
	for kind := range scripts {
		if cm.Data[configMapKey(kind)] != readScript(t, kind) {
			t.Errorf("%s: %s does not read back as %s", path, configMapKey(kind), scripts[kind])
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
