package adminstacktest

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
)

// namedTree is a small atmos tree whose component names a worker pool and a
// space, as Cloud Posse's configurations do.
func namedTree(ns, pool string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "named-tree"},
		Data: map[string]string{
			"atmos.yaml": "stacks:\n  base_path: .\n  included_paths: ['dev.yaml']\n  name_pattern: '{stage}'\ncomponents:\n  terraform:\n    base_path: components/terraform\n",
			"dev.yaml": "vars:\n  stage: dev\ncomponents:\n  terraform:\n    vpc:\n      settings:\n        spacelift:\n          workspace_enabled: true\n" +
				"          worker_pool_name: " + pool + "\n          space_name: Platform\n",
		},
	}
}

// An AdminStack whose tree names a worker pool and a space creates children
// with their ids; its admin stack gets a Space Admin binding, not the flag; a
// name that comes to stand for another id is applied with it; a name
// Spacelift does not know stalls it with the list, and nothing changes.
func TestNamesResolvedToIDs(t *testing.T) {
	if err := emu.Seed(emulator.Seed{
		Spaces:      []emulator.SeedSpace{{ID: "platform-01HX", Name: "Platform"}},
		WorkerPools: []emulator.SeedWorkerPool{{ID: "01HWPACME", Name: "acme-workers"}},
	}); err != nil {
		t.Fatal(err)
	}
	ns := newNamespace(t)
	cm := namedTree(ns, "acme-workers")
	create(t, cm)
	a := &spaceliftv1alpha1.AdminStack{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "named"},
		Spec: spaceliftv1alpha1.AdminStackSpec{
			Source:        spaceliftv1alpha1.AtmosSource{ConfigMaps: []spaceliftv1alpha1.ConfigMapMount{{Name: cm.Name}}},
			Repository:    "acme/infrastructure",
			ComponentRoot: "components/terraform",
			ChildDefaults: spaceliftv1alpha1.ChildStackDefaults{Space: "Platform", Branch: "main"},
			Prune:         true,
		},
	}
	create(t, a)
	waitForStacks(t, ns, "dev-vpc", "named-admin")
	child := getStack(t, ns, "dev-vpc")
	if child.Spec.WorkerPool != "01HWPACME" || child.Spec.Space != "platform-01HX" {
		t.Errorf("child worker pool %q, space %q; want the ids 01HWPACME and platform-01HX", child.Spec.WorkerPool, child.Spec.Space)
	}
	admin := getStack(t, ns, "named-admin")
	want := []spaceliftv1alpha1.StackRoleBinding{{RoleID: "space-admin", SpaceID: "platform-01HX"}}
	if admin.Spec.Administrative || len(admin.Spec.RoleBindings) != 1 || admin.Spec.RoleBindings[0] != want[0] {
		t.Errorf("admin stack: administrative %v, role bindings %v; want no flag and %v", admin.Spec.Administrative, admin.Spec.RoleBindings, want)
	}
	if admin.Spec.Space != "platform-01HX" {
		t.Errorf("admin stack space %q, want platform-01HX", admin.Spec.Space)
	}

	// The worker pool is replaced by another of the same name. The children
	// are kept as planned between lookups; the next lookup (one interval
	// later) finds the new id and the child is applied with it.
	if err := emu.Seed(emulator.Seed{WorkerPools: []emulator.SeedWorkerPool{
		{ID: "01HWPACME", Name: "acme-workers-retired"}, {ID: "01HWPNEXT", Name: "acme-workers"},
	}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		if got := getStack(t, ns, "dev-vpc").Spec.WorkerPool; got != "01HWPNEXT" {
			return fmt.Errorf("child worker pool %q, want the new id 01HWPNEXT", got)
		}
		return nil
	})

	update(t, cm, func(cm *corev1.ConfigMap) { cm.Data["dev.yaml"] = namedTree(ns, "acme-wrokers").Data["dev.yaml"] })
	got := waitForCondition(t, ns, "named", spaceliftv1alpha1.ConditionStalled, metav1.ConditionTrue, spaceliftv1alpha1.ReasonUnknownName, "")
	msg := meta.FindStatusCondition(got.Status.Conditions, spaceliftv1alpha1.ConditionStalled).Message
	if !strings.Contains(msg, `worker pool "acme-wrokers": no worker pool has this name; set in dev.yaml: settings.spacelift.worker_pool_name`) {
		t.Errorf("Stalled message = %q; want the unknown name and where it was set", msg)
	}
	if child := getStack(t, ns, "dev-vpc"); child.Spec.WorkerPool != "01HWPNEXT" {
		t.Errorf("the child changed to worker pool %q although a name was unknown", child.Spec.WorkerPool)
	}
}
