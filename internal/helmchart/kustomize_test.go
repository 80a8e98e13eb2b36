package helmchart

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// kustomize builds the kustomization in dir (relative to the repository).
func kustomize(t *testing.T, dir string) *rendered {
	t.Helper()
	resmap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(repoRoot, dir))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out := &rendered{}
	for _, res := range resmap.Resources() {
		m, err := res.Map()
		if err != nil {
			t.Fatal(err)
		}
		out.objects = append(out.objects, &unstructured.Unstructured{Object: m})
	}
	return out
}

// TestKustomizeRBAC checks the RBAC of config/default (cluster-wide) and of
// the config/rbac-namespaced overlay (granted per watched namespace).
func TestKustomizeRBAC(t *testing.T) {
	const (
		ns          = "spacelift-operator-system"
		managerRole = "spacelift-operator-manager-role"
		own         = "spacelift-operator-own-objects"
	)
	checkOwnObjects := func(t *testing.T, r *rendered) {
		t.Helper()
		role := r.getIn("Role", ns, own)
		if role == nil {
			t.Fatalf("no Role %s/%s among %v", ns, own, r.names())
		}
		rules := rulesOf(t, role)
		if ok, names := grants(rules, "configmaps", "update"); !ok || !slices.Equal(names, []string{"spacelift-run-signing-public-keys"}) {
			t.Errorf("ConfigMap update = %v %v, want the public-key ConfigMap only", ok, names)
		}
		if ok, _ := grants(rules, "secrets", "get"); ok {
			t.Errorf("Role %s reads Secrets", own)
		}
		if r.getIn("RoleBinding", ns, own) == nil {
			t.Errorf("no RoleBinding %s/%s", ns, own)
		}
	}

	t.Run("config/default", func(t *testing.T) {
		r := kustomize(t, "config/default")
		r.mustGet(t, "ClusterRole", managerRole)
		r.mustGet(t, "ClusterRoleBinding", "spacelift-operator-manager-rolebinding")
		checkOwnObjects(t, r)
	})

	t.Run("config/rbac-namespaced", func(t *testing.T) {
		r := kustomize(t, "config/rbac-namespaced")
		for _, o := range r.objects {
			if o.GetKind() != "ClusterRoleBinding" {
				continue
			}
			if ref := o.Object["roleRef"].(map[string]any); ref["name"] == managerRole {
				t.Errorf("ClusterRoleBinding %s grants the manager's rules cluster-wide", o.GetName())
			}
		}
		for _, team := range []string{"team-a", "team-b"} {
			b := r.getIn("RoleBinding", team, "spacelift-operator-manager")
			if b == nil {
				t.Fatalf("no RoleBinding in %s among %v", team, r.names())
			}
			if ref := b.Object["roleRef"].(map[string]any); ref["kind"] != "ClusterRole" || ref["name"] != managerRole {
				t.Errorf("RoleBinding %s roleRef = %v, want ClusterRole %s", team, ref, managerRole)
			}
			subjects := b.Object["subjects"].([]any)
			if s := subjects[0].(map[string]any); len(subjects) != 1 || s["name"] != "spacelift-operator-controller-manager" || s["namespace"] != ns {
				t.Errorf("RoleBinding %s subjects = %v, want the operator's ServiceAccount", team, subjects)
			}
		}
		d := r.mustGet(t, "Deployment", "spacelift-operator-controller-manager")
		args := field(t, d.Object, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)["args"].([]any)
		if !slices.ContainsFunc(args, func(a any) bool { return strings.HasPrefix(a.(string), "--watch-namespaces=team-a,team-b") }) {
			t.Errorf("manager args = %v, want --watch-namespaces=team-a,team-b", args)
		}
		checkOwnObjects(t, r)
	})
}
