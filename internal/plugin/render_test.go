package plugin

import (
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/render"
	"github.com/stackwright/spacelift-operator/internal/testenv"
)

var (
	sampleAdminStack = filepath.Join(testenv.RepoRoot(), "config", "samples", "spacelift_v1alpha1_adminstack.yaml")
	sampleTree       = filepath.Join(testenv.RepoRoot(), "config", "samples", "atmos")
)

// TestRenderDiff applies what the sample AdminStack writes, as its
// controller would, then changes one child by hand, deletes another and adds
// a child the tree no longer selects: the diff shows one to create, one to
// change (with the unified diff of its spec) and one to prune, and that the
// prune guard lets a single prune through.
func TestRenderDiff(t *testing.T) {
	ns := namespace(t, "render")
	ctx := t.Context()
	admins, err := render.ReadAdminStacks(sampleAdminStack, ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	admin := admins[0]
	create(t, admin, nil)
	names, err := render.NewNames(true)
	if err != nil {
		t.Fatal(err)
	}
	sets, problems, err := render.Tree(admin, sampleTree, names)
	if err != nil || len(problems) > 0 {
		t.Fatalf("rendering the sample: %v %v", err, problems)
	}
	for _, obj := range sets[0].Objects {
		if len(obj.GetOwnerReferences()) != 1 {
			t.Fatalf("%s has no owner reference: the rendered AdminStack should carry the live UID", obj.GetName())
		}
		create(t, obj, nil)
	}

	code, out, errOut := run(t, "render", "-f", sampleAdminStack, "--source", sampleTree, "--diff", "-n", ns)
	if code != 0 {
		t.Fatalf("render --diff: exit %d: %s", code, errOut)
	}
	wantOutput(t, "render --diff of the applied set", out, "AdminStack render/plat-admin: 0 to create, 0 to change, 0 to prune, 7 unchanged\n")

	vpc := &v1.Stack{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "plat-ue2-dev-vpc"}, vpc); err != nil {
		t.Fatal(err)
	}
	// The version is the AdminStack's field and comes back; a label added
	// by another field manager stays (labels are a set, as server-side
	// apply merges them), so the diff does not show it.
	vpc.Spec.Terraform.Version = "1.5.7"
	vpc.Spec.Labels = append(vpc.Spec.Labels, "edited-by-hand")
	if err := k8s.Update(ctx, vpc); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(ctx, &v1.Stack{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plat-uw2-prod-vpc"}}); err != nil {
		t.Fatal(err)
	}
	old := newStack(ns, "plat-ue2-dev-legacy")
	controlledBy(old, admin)
	create(t, old, nil)
	// A Stack of the same name that the AdminStack does not control would
	// stall it.
	if err := k8s.Delete(ctx, &v1.Stack{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plat-ue2-prod-vpc"}}); err != nil {
		t.Fatal(err)
	}
	create(t, newStack(ns, "plat-ue2-prod-vpc"), nil)

	code, out, errOut = run(t, "render", "-f", sampleAdminStack, "--source", sampleTree, "--diff", "-n", ns)
	if code != 0 {
		t.Fatalf("render --diff: exit %d: %s", code, errOut)
	}
	wantOutput(t, "render --diff", out, ""+
		"AdminStack render/plat-admin: 1 to create, 1 to change, 1 to prune, 4 unchanged\n"+
		"  + Stack/plat-uw2-prod-vpc\n"+
		"  ! Stack/plat-ue2-prod-vpc exists and is not controlled by this AdminStack: it would be Stalled (AlreadyExists or OwnedByAnother) until that object is removed or renamed\n"+
		"  ~ Stack/plat-ue2-dev-vpc\n"+
		"      --- live Stack/plat-ue2-dev-vpc spec\n"+
		"      +++ rendered Stack/plat-ue2-dev-vpc spec\n"+
		"      @@ -35,6 +35,6 @@\n"+
		"       repository: acme/infrastructure\n"+
		"       space: root\n"+
		"       terraform:\n"+
		"      -  version: 1.5.7\n"+
		"      +  version: 1.9.8\n"+
		"         workflowTool: OPEN_TOFU\n"+
		"         workspace: plat-ue2-dev\n"+
		"  - Stack/plat-ue2-dev-legacy\n"+
		"  prune guard: deleting 1 of 5 children goes ahead (the guard stops more than 5 children and more than 20% of them, or all)\n")

	// Without --diff it prints what `spacelift-operator render` prints.
	code, out, errOut = run(t, "render", "-f", sampleAdminStack, "--source", sampleTree, "-n", ns)
	if code != 0 || strings.Count(out, "---\n") != 7 || !strings.Contains(out, "namespace: render\n") {
		t.Errorf("render: exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	code, _, errOut = run(t, "render", "--source", sampleTree)
	if code != 2 || !strings.Contains(errOut, "render needs -f MANIFEST and --source DIR") {
		t.Errorf("render without -f: exit %d, stderr %q", code, errOut)
	}
}
