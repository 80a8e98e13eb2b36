package adminstack

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/atmos"
)

// vendorKeys are the vendor blocks of a Stack spec, as the Stack CRD's rule
// "exactly one vendor block must be set" lists them.
var vendorKeys = []string{"terraform", "opentofu", "terragrunt", "pulumi", "cloudFormation", "kubernetes", "ansible"}

// vendorBlocks counts the vendor blocks of s as the apiserver sees them: the
// AdminStack controller (and render) drop empty mappings from what they
// apply, so an empty terraform block does not count.
func vendorBlocks(t *testing.T, s *v1alpha1.Stack) int {
	t.Helper()
	data, err := json.Marshal(s.Spec)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range vendorKeys {
		if m, ok := spec[k].(map[string]any); ok && len(m) > 0 {
			n++
		}
	}
	return n
}

// minimalAdmin is an AdminStack as a user writes it with kubectl: no
// childDefaults, so the apiserver applied none of their defaults.
func minimalAdmin() *v1alpha1.AdminStack {
	return &v1alpha1.AdminStack{
		ObjectMeta: metav1.ObjectMeta{Name: "plat-admin", Namespace: "infra", UID: "admin-uid"},
		Spec: v1alpha1.AdminStackSpec{
			Repository:     "acme/infrastructure",
			ContextFilters: v1alpha1.ContextFilters{Tenants: []string{"plat"}},
		},
	}
}

func TestMinimalAdminStackChildrenHaveOneVendorBlock(t *testing.T) {
	records, err := atmos.Expand(os.DirFS("../../config/samples/atmos"), atmos.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A record without a workspace, and one that empties the workflow tool,
	// leave nothing else in the terraform block.
	bare := testRecord("plat-ue2-dev", "bare", map[string]any{"terraform_workflow_tool": ""})
	bare.Workspace = ""
	records = append(records, bare)

	d, problems := Build(minimalAdmin(), records, nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if len(d.Stacks) < 2 {
		t.Fatalf("children = %v, want the plat tenant's stacks", names(d.Stacks))
	}
	for _, s := range append([]*v1alpha1.Stack{d.Admin}, d.Stacks...) {
		if n := vendorBlocks(t, s); n != 1 {
			t.Errorf("Stack %s has %d non-empty vendor blocks, want exactly 1: %+v", s.Name, n, s.Spec.Terraform)
		}
		if s.Spec.Terraform == nil || s.Spec.Terraform.WorkflowTool != "TERRAFORM_FOSS" {
			t.Errorf("Stack %s: terraform = %+v, want the TERRAFORM_FOSS workflow tool", s.Name, s.Spec.Terraform)
		}
		if s.Spec.Branch != "main" || s.Spec.Space != "root" || s.Spec.DeletionPolicy != v1alpha1.DeletionPolicyDelete || !ptr.Equal(s.Spec.ManageState, ptr.To(false)) {
			t.Errorf("Stack %s: branch %q, space %q, deletionPolicy %q, manageState %v; want the CRD defaults main, root, Delete, false",
				s.Name, s.Spec.Branch, s.Spec.Space, s.Spec.DeletionPolicy, ptr.Deref(s.Spec.ManageState, true))
		}
	}
	for _, s := range d.Stacks {
		if s.Annotations[AnnotationAtmosComponent] == "bare" {
			continue
		}
		if s.Spec.Terraform.Workspace == "" {
			t.Errorf("Stack %s: no workspace; want the record's", s.Name)
		}
	}
}

// An absent childDefaults builds the same children as "childDefaults: {}"
// after the apiserver defaulted it.
func TestAbsentChildDefaultsEqualsDefaultedEmpty(t *testing.T) {
	records := []atmos.Record{testRecord("plat-ue2-dev", "vpc", map[string]any{})}
	absent, problems := Build(minimalAdmin(), records, nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	defaulted := minimalAdmin()
	defaulted.Spec.ChildDefaults = v1alpha1.ChildStackDefaults{
		Branch: "main", ManageState: ptr.To(false), TerraformWorkflowTool: "TERRAFORM_FOSS",
		Space: "root", DeletionPolicy: v1alpha1.DeletionPolicyDelete,
	}
	want, problems := Build(defaulted, records, nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if diff := cmp.Diff(want.Admin, absent.Admin); diff != "" {
		t.Errorf("admin stack (-defaulted +absent):\n%s", diff)
	}
	if diff := cmp.Diff(want.Stacks, absent.Stacks); diff != "" {
		t.Errorf("children (-defaulted +absent):\n%s", diff)
	}
}

func TestWithCRDDefaultsKeepsWhatIsSet(t *testing.T) {
	set := v1alpha1.ChildStackDefaults{
		Branch: "release", ManageState: ptr.To(true), TerraformWorkflowTool: "OPEN_TOFU",
		Space: "plat-01", DeletionPolicy: v1alpha1.DeletionPolicyRetain,
	}
	if diff := cmp.Diff(set, withCRDDefaults(set)); diff != "" {
		t.Errorf("withCRDDefaults changed set fields (-want +got):\n%s", diff)
	}
}
