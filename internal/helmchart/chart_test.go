package helmchart

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

const (
	repoRoot  = "../.."
	chartDir  = repoRoot + "/config/helm/spacelift-operator"
	release   = "so"
	namespace = "spacelift-system"
	// fullname is the name prefix the chart gives release "so".
	fullname = "so-spacelift-operator"
	// regenerate is what to do when the chart lags `make manifests`.
	regenerate = "run hack/gen-helm-crds.sh after make manifests"
)

// rendered is the output of the chart for some values.
type rendered struct {
	objects []*unstructured.Unstructured
	notes   string
}

// render renders the chart as `helm install --dry-run` would for release
// "so" in namespace spacelift-system, with values given as YAML. Undefined
// values are errors (strict), as are values the schema rejects.
func render(values string) (*rendered, error) {
	chrt, err := loader.Load(chartDir)
	if err != nil {
		return nil, fmt.Errorf("loading the chart: %w", err)
	}
	vals, err := chartutil.ReadValues([]byte(values))
	if err != nil {
		return nil, fmt.Errorf("reading values: %w", err)
	}
	top, err := chartutil.ToRenderValues(chrt, vals.AsMap(),
		chartutil.ReleaseOptions{Name: release, Namespace: namespace, Revision: 1, IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	files, err := engine.Engine{Strict: true}.Render(chrt, top)
	if err != nil {
		return nil, err
	}
	out := &rendered{}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.HasSuffix(name, "NOTES.txt") {
			out.notes = files[name]
			continue
		}
		for i, doc := range documentSeparator.Split(files[name], -1) {
			var m map[string]any
			if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
				return nil, fmt.Errorf("%s, document %d: %w\n%s", name, i, err, doc)
			}
			if len(m) > 0 {
				out.objects = append(out.objects, &unstructured.Unstructured{Object: m})
			}
		}
	}
	return out, nil
}

var documentSeparator = regexp.MustCompile(`(?m)^---\s*$`)

func mustRender(t *testing.T, values string) *rendered {
	t.Helper()
	r, err := render(values)
	if err != nil {
		t.Fatalf("rendering the chart: %v", err)
	}
	return r
}

// get is the object of that kind and name, or nil.
func (r *rendered) get(kind, name string) *unstructured.Unstructured {
	for _, o := range r.objects {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func (r *rendered) mustGet(t *testing.T, kind, name string) *unstructured.Unstructured {
	t.Helper()
	o := r.get(kind, name)
	if o == nil {
		t.Fatalf("no %s %s among %v", kind, name, r.names())
	}
	return o
}

// names lists the objects as Kind/name, sorted.
func (r *rendered) names() []string {
	var out []string
	for _, o := range r.objects {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	sort.Strings(out)
	return out
}

// container is the manager container of the Deployment.
func (r *rendered) container(t *testing.T) map[string]any {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(r.mustGet(t, "Deployment", fullname).Object, "spec", "template", "spec", "containers")
	if len(cs) != 1 {
		t.Fatalf("Deployment has %d containers, want 1", len(cs))
	}
	return cs[0].(map[string]any)
}

func (r *rendered) args(t *testing.T) []string {
	t.Helper()
	args, _, err := unstructured.NestedStringSlice(r.container(t), "args")
	if err != nil {
		t.Fatal(err)
	}
	return args
}

func field(t *testing.T, obj map[string]any, path ...string) any {
	t.Helper()
	v, ok, err := unstructured.NestedFieldNoCopy(obj, path...)
	if err != nil || !ok {
		t.Fatalf("no field %s (%v)", strings.Join(path, "."), err)
	}
	return v
}

func TestDefaults(t *testing.T) {
	r := mustRender(t, "")
	want := []string{
		"ClusterRole/" + fullname + "-manager",
		"ClusterRole/" + fullname + "-metrics-auth",
		"ClusterRole/" + fullname + "-metrics-reader",
		"ClusterRoleBinding/" + fullname + "-manager",
		"ClusterRoleBinding/" + fullname + "-metrics-auth",
		"CustomResourceDefinition/adminstacks.spacelift.stackwright.io",
		"CustomResourceDefinition/policies.spacelift.stackwright.io",
		"CustomResourceDefinition/stacks.spacelift.stackwright.io",
		"Deployment/" + fullname,
		"Role/" + fullname + "-leader-election",
		"RoleBinding/" + fullname + "-leader-election",
		"Service/" + fullname + "-metrics",
		"ServiceAccount/" + fullname,
	}
	if got := r.names(); !reflect.DeepEqual(got, want) {
		t.Errorf("objects = %v\nwant %v", got, want)
	}
	for _, o := range r.objects {
		if o.GetKind() == "CustomResourceDefinition" || strings.HasPrefix(o.GetKind(), "Cluster") {
			if o.GetNamespace() != "" {
				t.Errorf("cluster-scoped %s/%s has namespace %q", o.GetKind(), o.GetName(), o.GetNamespace())
			}
			continue
		}
		if o.GetNamespace() != namespace {
			t.Errorf("%s/%s is in namespace %q, want the release namespace", o.GetKind(), o.GetName(), o.GetNamespace())
		}
	}
	if image := field(t, r.container(t), "image"); image != "ghcr.io/stackwright/spacelift-operator:0.1.0" {
		t.Errorf("image = %v, want the chart's appVersion as tag", image)
	}
	if !strings.Contains(r.notes, "needs spec.credentialsRef") {
		t.Errorf("NOTES.txt does not say that objects need credentials:\n%s", r.notes)
	}
}

func TestDeploymentArgs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values string
		want   []string
	}{{
		name: "defaults",
		want: []string{
			"--health-probe-bind-address=:8081", "--metrics-bind-address=:8443", "--metrics-secure=true", "--leader-elect",
			"--concurrency=32", "--sync-interval=10m", "--spacelift-qps=10", "--spacelift-burst=20",
		},
	}, {
		name: "everything set",
		values: `
watchNamespaces: [team-a, team-b]
syncInterval: 5m
concurrency: 8
spacelift: {qps: 2.5, burst: 5}
leaderElection: {enabled: false}
metrics: {enabled: false}
credentials: {existingSecret: spacelift-credentials}
signingKey: {existingSecret: run-signing-key, key: key.pem, publicKeyConfigMap: run-public-keys}
webhookReceiver: {enabled: true, existingSecret: spacelift-webhook-hmac}
extraArgs: [--zap-log-level=debug]
`,
		want: []string{
			"--health-probe-bind-address=:8081", "--metrics-bind-address=0",
			"--watch-namespaces=team-a,team-b", "--concurrency=8", "--sync-interval=5m", "--spacelift-qps=2.5", "--spacelift-burst=5",
			"--credentials-secret=spacelift-system/spacelift-credentials",
			"--signing-key-secret=spacelift-system/run-signing-key", "--signing-key-key=key.pem",
			"--public-key-configmap=spacelift-system/run-public-keys",
			"--webhook-bind-address=:8082", "--webhook-secret=spacelift-system/spacelift-webhook-hmac", "--webhook-secret-key=webhook-secret",
			"--zap-log-level=debug",
		},
	}, {
		name:   "insecure metrics, created credentials",
		values: `{metrics: {secure: false, port: 8080}, credentials: {create: true, endpoint: "https://acme.app.spacelift.io", keyId: K, keySecret: S}}`,
		want: []string{
			"--health-probe-bind-address=:8081", "--metrics-bind-address=:8080", "--metrics-secure=false", "--leader-elect",
			"--concurrency=32", "--sync-interval=10m", "--spacelift-qps=10", "--spacelift-burst=20",
			"--credentials-secret=spacelift-system/" + fullname + "-credentials",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustRender(t, tc.values).args(t); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("args =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// pendingFlags are flags the chart passes before cmd/*.go defines them
// (none at the moment).
var pendingFlags = map[string]bool{}

// TestArgsAreManagerFlags checks every flag the chart can pass against the
// flags the manager defines in cmd/*.go, so that a renamed flag fails here
// and not in a crash-looping pod.
func TestArgsAreManagerFlags(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "cmd", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`fs\.\w+Var\([^,]+,\s*"([^"]+)"`).FindAllStringSubmatch(string(src), -1) {
			defined[m[1]] = true
		}
	}
	if !defined["metrics-bind-address"] {
		t.Fatalf("found no definition of --metrics-bind-address in cmd/*.go (found %v): has the flag set moved?", defined)
	}
	r := mustRender(t, `
watchNamespaces: [a]
credentials: {existingSecret: c}
signingKey: {existingSecret: k, publicKeyConfigMap: p}
webhookReceiver: {enabled: true, existingSecret: w}
`)
	for _, arg := range r.args(t) {
		name, _, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		switch {
		case defined[name] && pendingFlags[name]:
			t.Logf("--%s is defined now: drop it from pendingFlags", name)
		case defined[name], pendingFlags[name]:
		default:
			t.Errorf("the chart passes --%s, which cmd/*.go does not define", name)
		}
	}
}

func TestSecurityContext(t *testing.T) {
	r := mustRender(t, "")
	pod := field(t, r.mustGet(t, "Deployment", fullname).Object, "spec", "template", "spec").(map[string]any)
	wantPod := map[string]any{"runAsNonRoot": true, "seccompProfile": map[string]any{"type": "RuntimeDefault"}}
	if got := field(t, pod, "securityContext"); !reflect.DeepEqual(got, wantPod) {
		t.Errorf("pod securityContext = %v, want %v", got, wantPod)
	}
	c := r.container(t)
	wantContainer := map[string]any{"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
		"capabilities": map[string]any{"drop": []any{"ALL"}}}
	if got := field(t, c, "securityContext"); !reflect.DeepEqual(got, wantContainer) {
		t.Errorf("container securityContext = %v, want %v", got, wantContainer)
	}
	if got := field(t, c, "resources", "requests", "memory"); got != "128Mi" {
		t.Errorf("memory request = %v, want 128Mi", got)
	}
	if got := field(t, c, "resources", "limits", "memory"); got != "512Mi" {
		t.Errorf("memory limit = %v, want 512Mi", got)
	}
	ports := map[string]float64{}
	for _, p := range field(t, c, "ports").([]any) {
		p := p.(map[string]any)
		ports[p["name"].(string)] = p["containerPort"].(float64)
	}
	if want := map[string]float64{"health": 8081, "metrics": 8443}; !reflect.DeepEqual(ports, want) {
		t.Errorf("container ports = %v, want %v", ports, want)
	}
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		if got := field(t, c, probe, "httpGet", "port"); got != "health" {
			t.Errorf("%s port = %v, want the health port (8081)", probe, got)
		}
	}
	if got := field(t, c, "volumeMounts").([]any)[0].(map[string]any)["mountPath"]; got != "/tmp" {
		t.Errorf("volume mounted at %v, want a writable /tmp beside the read-only root", got)
	}
	if got := field(t, pod, "serviceAccountName"); got != fullname {
		t.Errorf("serviceAccountName = %v, want %s", got, fullname)
	}
	svc := r.mustGet(t, "Service", fullname+"-metrics")
	port := field(t, svc.Object, "spec", "ports").([]any)[0].(map[string]any)
	if port["name"] != "https" || port["port"] != float64(8443) || port["targetPort"] != "metrics" {
		t.Errorf("metrics Service port = %v, want https 8443 -> metrics", port)
	}
}

// readYAML parses a file of the repository.
func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	return m
}

func TestCRDsMatchBases(t *testing.T) {
	bases, err := filepath.Glob(filepath.Join(repoRoot, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(bases) == 0 {
		t.Fatalf("no CRDs in config/crd/bases (%v)", err)
	}
	r := mustRender(t, "")
	for _, path := range bases {
		base := readYAML(t, filepath.Join("config", "crd", "bases", filepath.Base(path)))
		want := &unstructured.Unstructured{Object: base}
		ann := want.GetAnnotations()
		ann["helm.sh/resource-policy"] = "keep"
		want.SetAnnotations(ann)
		got := r.get("CustomResourceDefinition", want.GetName())
		if got == nil {
			t.Errorf("the chart has no CRD %s: %s", want.GetName(), regenerate)
			continue
		}
		if !reflect.DeepEqual(got.Object, want.Object) {
			t.Errorf("the chart's CRD %s differs from %s: %s", want.GetName(), filepath.Base(path), regenerate)
		}
	}
	var crds int
	for _, o := range r.objects {
		if o.GetKind() == "CustomResourceDefinition" {
			crds++
		}
	}
	if crds != len(bases) {
		t.Errorf("the chart has %d CRDs, config/crd/bases %d: %s", crds, len(bases), regenerate)
	}

	t.Run("crds.keep=false", func(t *testing.T) {
		for _, o := range mustRender(t, "crds: {keep: false}").objects {
			if _, ok := o.GetAnnotations()["helm.sh/resource-policy"]; ok {
				t.Errorf("%s/%s keeps helm.sh/resource-policy", o.GetKind(), o.GetName())
			}
		}
	})
	t.Run("crds.install=false", func(t *testing.T) {
		for _, o := range mustRender(t, "crds: {install: false}").objects {
			if o.GetKind() == "CustomResourceDefinition" {
				t.Errorf("CRD %s rendered with crds.install=false", o.GetName())
			}
		}
	})
}

func TestRBACMatchesRole(t *testing.T) {
	r := mustRender(t, "")
	want := readYAML(t, "config/rbac/role.yaml")["rules"]
	got := r.mustGet(t, "ClusterRole", fullname+"-manager").Object["rules"]
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the chart's manager ClusterRole rules differ from config/rbac/role.yaml: %s", regenerate)
	}
	wantLeader := readYAML(t, "config/rbac/leader_election_role.yaml")["rules"]
	if got := r.mustGet(t, "Role", fullname+"-leader-election").Object["rules"]; !reflect.DeepEqual(got, wantLeader) {
		t.Errorf("leader-election Role rules = %v, want those of config/rbac/leader_election_role.yaml %v", got, wantLeader)
	}
	wantSubjects := []any{map[string]any{"kind": "ServiceAccount", "name": fullname, "namespace": namespace}}
	for _, b := range []*unstructured.Unstructured{
		r.mustGet(t, "ClusterRoleBinding", fullname+"-manager"),
		r.mustGet(t, "ClusterRoleBinding", fullname+"-metrics-auth"),
		r.mustGet(t, "RoleBinding", fullname+"-leader-election"),
	} {
		if got := b.Object["subjects"]; !reflect.DeepEqual(got, wantSubjects) {
			t.Errorf("%s %s subjects = %v, want %v", b.GetKind(), b.GetName(), got, wantSubjects)
		}
	}

	t.Run("rbac.create=false", func(t *testing.T) {
		for _, o := range mustRender(t, "rbac: {create: false}").objects {
			if strings.Contains(o.GetKind(), "Role") {
				t.Errorf("%s/%s rendered with rbac.create=false", o.GetKind(), o.GetName())
			}
		}
	})
}

// getIn is the object of that kind and name in namespace, or nil.
func (r *rendered) getIn(kind, namespace, name string) *unstructured.Unstructured {
	for _, o := range r.objects {
		if o.GetKind() == kind && o.GetNamespace() == namespace && o.GetName() == name {
			return o
		}
	}
	return nil
}

// rbacRule is one PolicyRule of a rendered Role or ClusterRole.
type rbacRule struct {
	APIGroups     []string `json:"apiGroups"`
	Resources     []string `json:"resources"`
	ResourceNames []string `json:"resourceNames"`
	Verbs         []string `json:"verbs"`
}

func rulesOf(t *testing.T, o *unstructured.Unstructured) []rbacRule {
	t.Helper()
	data, err := yaml.Marshal(o.Object["rules"])
	if err != nil {
		t.Fatal(err)
	}
	var rules []rbacRule
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatal(err)
	}
	return rules
}

// grants reports whether a rule grants verb on resource (of the core or
// spacelift group), and with which resourceNames (nil: every name).
func grants(rules []rbacRule, resource, verb string) (ok bool, names []string) {
	for _, r := range rules {
		if slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
			if len(r.ResourceNames) == 0 {
				return true, nil
			}
			ok, names = true, append(names, r.ResourceNames...)
		}
	}
	return ok, names
}

// TestNamespacedRBAC renders the chart with and without watchNamespaces and
// checks where the manager's rules are granted, and that writes to
// ConfigMaps and reads of the operator's own Secrets are limited by name.
func TestNamespacedRBAC(t *testing.T) {
	manager := fullname + "-manager"
	own := fullname + "-own-objects"
	roleRules := readYAML(t, "config/rbac/role.yaml")["rules"]
	for _, rules := range [][]rbacRule{rulesOf(t, &unstructured.Unstructured{Object: map[string]any{"rules": roleRules}})} {
		// Stacks write their outputs to Secrets and ConfigMaps of names
		// chosen at run time (spec.writeOutputsToSecret), which RBAC cannot
		// narrow; but the operator never lists, watches or deletes Secrets,
		// and deletes no ConfigMap (owner references do).
		for _, verb := range []string{"list", "watch", "delete", "deletecollection"} {
			if ok, _ := grants(rules, "secrets", verb); ok {
				t.Errorf("config/rbac/role.yaml grants %s on Secrets", verb)
			}
		}
		for _, verb := range []string{"delete", "deletecollection"} {
			if ok, _ := grants(rules, "configmaps", verb); ok {
				t.Errorf("config/rbac/role.yaml grants %s on every ConfigMap", verb)
			}
		}
	}
	const withSecrets = `
credentials: {existingSecret: spacelift-key}
signingKey: {existingSecret: signing-key}
webhookReceiver: {enabled: true, existingSecret: hmac}
`

	t.Run("cluster-wide without watchNamespaces", func(t *testing.T) {
		r := mustRender(t, withSecrets)
		role := r.mustGet(t, "ClusterRole", manager)
		if !reflect.DeepEqual(role.Object["rules"], roleRules) {
			t.Errorf("ClusterRole rules differ from config/rbac/role.yaml: %s", regenerate)
		}
		binding := r.mustGet(t, "ClusterRoleBinding", manager)
		if ref := binding.Object["roleRef"].(map[string]any); ref["kind"] != "ClusterRole" || ref["name"] != manager {
			t.Errorf("ClusterRoleBinding roleRef = %v", ref)
		}
		if r.get("Role", manager) != nil || r.get("RoleBinding", manager) != nil {
			t.Error("namespaced manager Role rendered without watchNamespaces")
		}
	})

	t.Run("namespaced with watchNamespaces", func(t *testing.T) {
		r := mustRender(t, withSecrets+"watchNamespaces: [team-a, team-b]")
		for _, kind := range []string{"ClusterRole", "ClusterRoleBinding"} {
			if r.get(kind, manager) != nil {
				t.Errorf("%s %s rendered although watchNamespaces is set", kind, manager)
			}
		}
		for _, o := range r.objects {
			if o.GetKind() == "ClusterRole" {
				for _, rule := range rulesOf(t, o) {
					if slices.Contains(rule.Resources, "secrets") || slices.Contains(rule.Resources, "configmaps") || slices.Contains(rule.Resources, "stacks") {
						t.Errorf("ClusterRole %s grants %v on %v cluster-wide", o.GetName(), rule.Verbs, rule.Resources)
					}
				}
			}
		}
		// Tenancy grants are Namespace annotations: readable even when the
		// operator watches a few namespaces only.
		nsRole := r.mustGet(t, "ClusterRole", fullname+"-namespaces")
		if ok, _ := grants(rulesOf(t, nsRole), "namespaces", "get"); !ok {
			t.Errorf("ClusterRole %s-namespaces does not grant get on namespaces", fullname)
		}
		r.mustGet(t, "ClusterRoleBinding", fullname+"-namespaces")
		for _, ns := range []string{"team-a", "team-b"} {
			role := r.getIn("Role", ns, manager)
			if role == nil {
				t.Fatalf("no Role %s in %s among %v", manager, ns, r.names())
			}
			if !reflect.DeepEqual(role.Object["rules"], roleRules) {
				t.Errorf("Role %s/%s rules differ from config/rbac/role.yaml: %s", ns, manager, regenerate)
			}
			binding := r.getIn("RoleBinding", ns, manager)
			if binding == nil {
				t.Fatalf("no RoleBinding %s in %s", manager, ns)
			}
			wantRef := map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": manager}
			if got := binding.Object["roleRef"]; !reflect.DeepEqual(got, wantRef) {
				t.Errorf("RoleBinding %s/%s roleRef = %v, want %v", ns, manager, got, wantRef)
			}
			wantSubjects := []any{map[string]any{"kind": "ServiceAccount", "name": fullname, "namespace": namespace}}
			if got := binding.Object["subjects"]; !reflect.DeepEqual(got, wantSubjects) {
				t.Errorf("RoleBinding %s/%s subjects = %v, want %v", ns, manager, got, wantSubjects)
			}
		}
		if !strings.Contains(r.notes, "in these namespaces only") {
			t.Errorf("NOTES.txt does not say the RBAC is namespaced:\n%s", r.notes)
		}
	})

	t.Run("own objects by name", func(t *testing.T) {
		for _, tc := range []struct {
			name, values string
			// secrets are the Secret names the Role reads; nil: no Role.
			secrets   []string
			configMap string
		}{
			{"nothing configured", "", nil, ""},
			{"credentials only", "credentials: {existingSecret: spacelift-key}", []string{"spacelift-key"}, ""},
			{"every Secret", withSecrets, []string{"spacelift-key", "signing-key", "hmac"}, "spacelift-run-signing-public-keys"},
			{"named public key ConfigMap", "signingKey: {existingSecret: signing-key, publicKeyConfigMap: keys}", []string{"signing-key"}, "keys"},
			{"created credentials", `credentials: {create: true, endpoint: "https://a.app.spacelift.io", keyId: K, keySecret: S}`, []string{fullname + "-credentials"}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := mustRender(t, tc.values)
				role := r.getIn("Role", namespace, own)
				if tc.secrets == nil {
					if role != nil {
						t.Errorf("Role %s rendered with nothing to grant", own)
					}
					return
				}
				if role == nil {
					t.Fatalf("no Role %s in %s among %v", own, namespace, r.names())
				}
				rules := rulesOf(t, role)
				if ok, names := grants(rules, "secrets", "get"); !ok || !reflect.DeepEqual(names, tc.secrets) {
					t.Errorf("Secrets readable = %v (%v), want exactly %v by name", names, ok, tc.secrets)
				}
				for _, verb := range []string{"list", "watch", "update"} {
					if ok, _ := grants(rules, "secrets", verb); ok {
						t.Errorf("Role %s grants %s on Secrets", own, verb)
					}
				}
				for _, verb := range []string{"update", "patch"} {
					ok, names := grants(rules, "configmaps", verb)
					switch {
					case tc.configMap == "" && ok:
						t.Errorf("Role %s grants %s on ConfigMaps without a signing key", own, verb)
					case tc.configMap != "" && (!ok || !reflect.DeepEqual(names, []string{tc.configMap})):
						t.Errorf("ConfigMaps %s-able = %v (%v), want only %s", verb, names, ok, tc.configMap)
					}
				}
				if ok, names := grants(rules, "configmaps", "create"); ok != (tc.configMap != "") || names != nil {
					t.Errorf("ConfigMap create = %v %v, want %v in the release namespace only", ok, names, tc.configMap != "")
				}
				binding := r.getIn("RoleBinding", namespace, own)
				if binding == nil || binding.Object["roleRef"].(map[string]any)["name"] != own {
					t.Errorf("RoleBinding %s missing or bound to another role: %v", own, binding)
				}
			})
		}
	})
}

// TestPublicKeyConfigMapDefault checks that the ConfigMap name the chart
// grants writes to by default is the one the manager writes.
func TestPublicKeyConfigMapDefault(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot, "cmd", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), `defaultPublicKeyConfigMap = "spacelift-run-signing-public-keys"`) {
		t.Error(`cmd/main.go's defaultPublicKeyConfigMap is not "spacelift-run-signing-public-keys", the name the chart's own-objects Role grants writes to`)
	}
}

func TestCredentialsSecret(t *testing.T) {
	secretName := fullname + "-credentials"
	t.Run("created from values", func(t *testing.T) {
		r := mustRender(t, `credentials: {create: true, endpoint: "https://acme.app.spacelift.io", keyId: 01HKEY, keySecret: s3cr3t}`)
		s := r.mustGet(t, "Secret", secretName)
		want := map[string]any{"SPACELIFT_API_KEY_ENDPOINT": "https://acme.app.spacelift.io", "SPACELIFT_API_KEY_ID": "01HKEY", "SPACELIFT_API_KEY_SECRET": "s3cr3t"}
		if got := s.Object["stringData"]; !reflect.DeepEqual(got, want) {
			t.Errorf("Secret stringData = %v, want %v", got, want)
		}
	})
	for _, values := range []string{"", "credentials: {existingSecret: mine}"} {
		if r := mustRender(t, values); r.get("Secret", secretName) != nil {
			t.Errorf("values %q render a credentials Secret", values)
		}
	}
	for _, tc := range []struct{ values, wantErr string }{
		{`credentials: {create: true, endpoint: "https://acme.app.spacelift.io", keyId: K}`, "credentials.keySecret is required"},
		{`credentials: {create: true, existingSecret: mine, endpoint: "https://a.app.spacelift.io", keyId: K, keySecret: S}`, "not both"},
		{`credentials: {existingSecret: Not_A_Name}`, "existingSecret"},
	} {
		if _, err := render(tc.values); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("values %s: error = %v, want one mentioning %q", tc.values, err, tc.wantErr)
		}
	}
}

func TestWebhookReceiver(t *testing.T) {
	svcName := fullname + "-webhook"
	if r := mustRender(t, ""); r.get("Service", svcName) != nil {
		t.Error("webhook Service rendered while webhookReceiver.enabled is false")
	}
	r := mustRender(t, "webhookReceiver: {enabled: true, existingSecret: hmac, service: {port: 8080}}")
	port := field(t, r.mustGet(t, "Service", svcName).Object, "spec", "ports").([]any)[0].(map[string]any)
	if port["port"] != float64(8080) || port["targetPort"] != "webhook" {
		t.Errorf("webhook Service port = %v, want 8080 -> webhook", port)
	}
	var found bool
	for _, p := range field(t, r.container(t), "ports").([]any) {
		p := p.(map[string]any)
		found = found || (p["name"] == "webhook" && p["containerPort"] == float64(8082))
	}
	if !found {
		t.Error("the manager container has no webhook port 8082")
	}
	if _, err := render("webhookReceiver: {enabled: true}"); err == nil || !strings.Contains(err.Error(), "webhookReceiver.existingSecret is required") {
		t.Errorf("enabling the receiver without an HMAC secret: error = %v, want a required-value error", err)
	}
}

func TestMetrics(t *testing.T) {
	if r := mustRender(t, ""); r.get("ServiceMonitor", fullname) != nil {
		t.Error("ServiceMonitor rendered by default")
	}
	r := mustRender(t, "metrics: {serviceMonitor: {enabled: true, labels: {release: prom}}}")
	sm := r.mustGet(t, "ServiceMonitor", fullname)
	ep := field(t, sm.Object, "spec", "endpoints").([]any)[0].(map[string]any)
	if ep["scheme"] != "https" || ep["port"] != "https" || ep["bearerTokenFile"] == nil {
		t.Errorf("ServiceMonitor endpoint = %v, want https with the scraper's token", ep)
	}
	if sm.GetLabels()["release"] != "prom" {
		t.Errorf("ServiceMonitor labels = %v, want release=prom added", sm.GetLabels())
	}
	r = mustRender(t, "metrics: {secure: false, serviceMonitor: {enabled: true}}")
	ep = field(t, r.mustGet(t, "ServiceMonitor", fullname).Object, "spec", "endpoints").([]any)[0].(map[string]any)
	if ep["scheme"] != "http" || ep["bearerTokenFile"] != nil {
		t.Errorf("insecure ServiceMonitor endpoint = %v, want plain http", ep)
	}
	if r.get("ClusterRole", fullname+"-metrics-auth") != nil {
		t.Error("metrics-auth ClusterRole rendered although metrics are not secured")
	}
	r = mustRender(t, "metrics: {enabled: false, serviceMonitor: {enabled: true}}")
	for _, n := range r.names() {
		if strings.Contains(n, "metrics") || strings.HasPrefix(n, "ServiceMonitor/") {
			t.Errorf("%s rendered with metrics.enabled=false", n)
		}
	}
}

func TestPodSettingsPassThrough(t *testing.T) {
	r := mustRender(t, `
replicas: 2
image: {repository: registry.example.com/spacelift-operator, digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
podAnnotations: {prometheus.io/scrape: "false"}
nodeSelector: {kubernetes.io/os: linux}
tolerations: [{key: dedicated, operator: Equal, value: platform, effect: NoSchedule}]
affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [system]}]}]}}}
`)
	d := r.mustGet(t, "Deployment", fullname).Object
	pod := field(t, d, "spec", "template", "spec").(map[string]any)
	if got := field(t, d, "spec", "replicas"); got != float64(2) {
		t.Errorf("replicas = %v, want 2", got)
	}
	if got := field(t, r.container(t), "image"); got != "registry.example.com/spacelift-operator@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" {
		t.Errorf("image = %v, want the digest to win", got)
	}
	ann := field(t, d, "spec", "template", "metadata", "annotations").(map[string]any)
	if ann["prometheus.io/scrape"] != "false" || ann["kubectl.kubernetes.io/default-container"] != "manager" {
		t.Errorf("pod annotations = %v", ann)
	}
	if got := field(t, pod, "nodeSelector"); !reflect.DeepEqual(got, map[string]any{"kubernetes.io/os": "linux"}) {
		t.Errorf("nodeSelector = %v", got)
	}
	if got := field(t, pod, "tolerations").([]any); len(got) != 1 || got[0].(map[string]any)["value"] != "platform" {
		t.Errorf("tolerations = %v", got)
	}
	if _, ok := pod["affinity"].(map[string]any)["nodeAffinity"]; !ok {
		t.Errorf("affinity = %v", pod["affinity"])
	}
}

func TestSchemaRejectsMistakes(t *testing.T) {
	for _, values := range []string{
		"watchNamespaces: team-a,team-b",
		"concurrency: 0",
		"syncInterval: 10 minutes",
		"credentials: {existinSecret: typo}",
		"webhookReceiver: {port: 70000}",
	} {
		if _, err := render(values); err == nil {
			t.Errorf("values %q render without error", values)
		}
	}
}

func TestLint(t *testing.T) {
	for _, values := range []map[string]any{
		nil,
		{
			"credentials":     map[string]any{"create": true, "endpoint": "https://acme.app.spacelift.io", "keyId": "K", "keySecret": "S"},
			"signingKey":      map[string]any{"existingSecret": "run-signing-key"},
			"webhookReceiver": map[string]any{"enabled": true, "existingSecret": "hmac"},
			"metrics":         map[string]any{"serviceMonitor": map[string]any{"enabled": true}},
			"watchNamespaces": []any{"team-a"},
		},
	} {
		linter := lint.AllWithKubeVersion(chartDir, values, namespace, nil)
		for _, m := range linter.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("helm lint (values %v): %s", values, m)
			}
		}
	}
}
