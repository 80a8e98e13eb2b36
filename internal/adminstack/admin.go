package adminstack

import (
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/atmos"
)

// AdminStackObject is the Stack object that represents a's administrative
// Spacelift stack. The Stack controller syncs it like any other Stack, so
// the AdminStack controller never calls Spacelift itself.
//
// It is administrative through spec.adminStack.roleBindings when some are
// given, else through a binding of the Space Admin role on its space (on the
// root space for a root admin, which manages spaces everywhere); Spacelift
// refuses the administrative flag since 2026-06-01. It gets
// spec.rootStackPolicyAttachments as policies and is never destroyed:
// a Destroy deletion policy of the children becomes Delete for it.
func AdminStackObject(a *v1alpha1.AdminStack) *v1alpha1.Stack {
	d := withCRDDefaults(a.Spec.ChildDefaults)
	as := a.Spec.AdminStack
	labels := make([]string, 0, len(as.Labels)+1)
	for _, l := range as.Labels {
		labels = append(labels, string(l))
	}
	labels = append(labels, orDefault(a.Spec.AdminStackLabel, defaultAdminStackLabel)+":"+AdminName(a))
	space := orDefault(as.Space, d.Space)
	bindings := slices.Clone(as.RoleBindings)
	if len(bindings) == 0 {
		target := orDefault(space, RootSpace)
		if a.Spec.RootAdmin {
			target = RootSpace
		}
		bindings = []v1alpha1.StackRoleBinding{{RoleID: SpaceAdminRole, SpaceID: target}}
	}
	deletion := d.DeletionPolicy
	if deletion == v1alpha1.DeletionPolicyDestroy {
		deletion = v1alpha1.DeletionPolicyDelete
	}
	return &v1alpha1.Stack{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Stack"},
		ObjectMeta: childObjectMeta(a, AdminObjectName(a.Name), nil),
		Spec: v1alpha1.StackSpec{
			Name:           AdminName(a),
			Repository:     a.Spec.Repository,
			Provider:       a.Spec.Provider,
			Branch:         orDefault(d.Branch, defaultBranch),
			ProjectRoot:    as.ProjectRoot,
			Description:    as.Description,
			Labels:         uniqueLabels(labels),
			Space:          space,
			WorkerPool:     d.WorkerPool,
			Autodeploy:     d.Autodeploy,
			Autoretry:      d.Autoretry,
			ManageState:    manageState(d),
			RunnerImage:    d.RunnerImage,
			Terraform:      terraformVendor(d, ""),
			Policies:       uniquePolicies(slices.Clone(a.Spec.RootStackPolicyAttachments)),
			RoleBindings:   bindings,
			DeletionPolicy: deletion,
			Interval:       a.Spec.Interval.DeepCopy(),
			CredentialsRef: a.Spec.CredentialsRef.DeepCopy(),
		},
	}
}

const (
	// SpaceAdminRole is the slug of Spacelift's built-in Space Admin role; the
	// Stack controller looks up its id.
	SpaceAdminRole = "space-admin"
	// RootSpace is the id of Spacelift's root space.
	RootSpace = "root"
)

// childAdminStack builds the AdminStack a root AdminStack a generates for the
// admin-stack component instance r. The child reads the same source and
// inherits a's spec; r overrides it the way the admin-stack component's
// variables do:
//
//   - vars.context_filters / excluded_context_filters select its children;
//   - vars.repository, component_root, child_policy_attachments and the
//     per-child settings (autodeploy, branch, terraform_version, …) replace
//     a's repository, componentRoot, childPolicyAttachments and childDefaults;
//   - its administrative stack is named like any child (settings.spacelift
//     stack_name or the atmos name), runs in <componentRoot>/<component>,
//     carries the child labels (managed-by, depends-on the root, …), and gets
//     settings.spacelift.policies plus a's childPolicyAttachments.
func childAdminStack(a *v1alpha1.AdminStack, r *atmos.Record) (*v1alpha1.AdminStack, []string) {
	var problems []string
	settings := newFields(r.Settings, "settings", &problems).sub("spacelift")
	vars := newFields(r.Vars, "vars", &problems)
	varsLabels, _ := vars.strs("labels")

	spec := *a.Spec.DeepCopy()
	spec.RootAdmin = false
	spec.Suspend = false
	spec.Labels = nil
	spec.ContextFilters = contextFilters(vars.sub("context_filters"))
	spec.ExcludedContextFilters = excludedContextFilters(vars.sub("excluded_context_filters"))
	spec.Repository = vars.str("repository", a.Spec.Repository)
	spec.ComponentRoot = vars.str("component_root", a.Spec.ComponentRoot)
	spec.ChildDefaults = withOverrides(a.Spec.ChildDefaults, vars)
	if names, ok := vars.strs("child_policy_attachments"); ok {
		spec.ChildPolicyAttachments = nil
		for _, n := range names {
			spec.ChildPolicyAttachments = append(spec.ChildPolicyAttachments, v1alpha1.PolicyReference{Name: n})
		}
	}
	nameProblems(r, settings)
	spec.RootStackPolicyAttachments = uniquePolicies(slices.Concat(policies(settings), a.Spec.ChildPolicyAttachments))
	spec.AdminStack = v1alpha1.AdminStackSettings{
		Name:        SpaceliftName(r),
		Description: settings.str("description", ""),
		ProjectRoot: ProjectRoot(a.Spec.ComponentRoot, r),
		Labels:      ChildLabels(a, r, varsLabels),
		Space:       settings.str("space_id", settings.str("space_name", "")),
	}
	obj := &v1alpha1.AdminStack{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "AdminStack"},
		ObjectMeta: childObjectMeta(a, ObjectName(r.Stack, r.Component), r),
		Spec:       spec,
	}
	return obj, problems
}

// contextFilters reads an admin-stack component's context_filters variable.
func contextFilters(f fields) v1alpha1.ContextFilters {
	out := v1alpha1.ContextFilters{
		Administrative:     f.optBool("administrative"),
		RootAdministrative: f.optBool("root_administrative"),
	}
	out.Namespaces, _ = f.strs("namespaces")
	out.Environments, _ = f.strs("environments")
	out.Tenants, _ = f.strs("tenants")
	out.Stages, _ = f.strs("stages")
	out.Tags, _ = f.stringMap("tags")
	return out
}

// excludedContextFilters reads an admin-stack component's
// excluded_context_filters variable.
func excludedContextFilters(f fields) v1alpha1.ExcludedContextFilters {
	var out v1alpha1.ExcludedContextFilters
	out.Namespaces, _ = f.strs("namespaces")
	out.Environments, _ = f.strs("environments")
	out.Tenants, _ = f.strs("tenants")
	out.Stages, _ = f.strs("stages")
	out.Tags, _ = f.stringMap("tags")
	return out
}

// Select returns the records the AdminStack's filters select, as the
// admin-stack component does: atmos.Filter with contextFilters and
// excludedContextFilters, then
//
//   - for a root admin, only administrative records that are not
//     themselves root-administrative (the root is the AdminStack itself);
//   - otherwise, administrative records only when contextFilters.administrative
//     is explicitly true: admin stacks belong to the root admin.
func Select(a *v1alpha1.AdminStack, records []atmos.Record) []atmos.Record {
	f := a.Spec.ContextFilters
	ex := a.Spec.ExcludedContextFilters
	selected := atmos.Filter(records, atmos.ContextFilters{
		Namespaces: f.Namespaces, Environments: f.Environments, Tenants: f.Tenants, Stages: f.Stages,
		Tags: f.Tags, Administrative: f.Administrative, RootAdministrative: f.RootAdministrative,
	}, atmos.ExcludedContextFilters{
		Namespaces: ex.Namespaces, Environments: ex.Environments, Tenants: ex.Tenants, Stages: ex.Stages, Tags: ex.Tags,
	})
	return slices.DeleteFunc(selected, func(r atmos.Record) bool {
		if a.Spec.RootAdmin {
			return !r.Administrative || r.RootAdministrative
		}
		return r.Administrative && (f.Administrative == nil || !*f.Administrative)
	})
}

// describe names a record for problem messages.
func describe(r *atmos.Record) string {
	return fmt.Sprintf("component %q in stack %q", r.Component, r.Stack)
}
