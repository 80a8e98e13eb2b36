package adminstack

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/atmos"
)

// testAdmin is a non-root AdminStack with every child default set.
func testAdmin() *v1alpha1.AdminStack {
	return &v1alpha1.AdminStack{
		ObjectMeta: metav1.ObjectMeta{Name: "plat", Namespace: "infra", UID: "admin-uid"},
		Spec: v1alpha1.AdminStackSpec{
			Repository:      "acme/infrastructure",
			Provider:        "GITHUB",
			ComponentRoot:   "components/terraform",
			AdminStackLabel: "admin-stack-name",
			ChildDefaults: v1alpha1.ChildStackDefaults{
				Branch:                "main",
				Description:           "default description",
				RunnerImage:           "default-image",
				TerraformVersion:      "1.9",
				TerraformVersionMap:   map[string]string{"1.9": "1.9.8", "1.5": "1.5.7"},
				TerraformWorkflowTool: "OPEN_TOFU",
				DriftDetection:        &v1alpha1.DriftDetection{Enabled: true, Schedule: []v1alpha1.CronSchedule{"0 1 * * *"}, Timezone: "UTC"},
				WorkerPool:            "default-pool",
				Space:                 "default-space",
				DeletionPolicy:        v1alpha1.DeletionPolicyDelete,
				Contexts:              []v1alpha1.ContextAttachment{{ID: "default-context"}},
			},
			ChildPolicyAttachments: []v1alpha1.PolicyReference{{Name: "child-policy"}},
		},
	}
}

// testRecord is a component instance with the given settings.spacelift.
func testRecord(stack, component string, spacelift map[string]any) atmos.Record {
	return atmos.Record{
		Name:      stack + "-" + strings.ReplaceAll(component, "/", "-"),
		Stack:     stack,
		Component: component,
		Workspace: stack,
		Tenant:    "plat",
		Labels:    []string{"folder:component/" + component},
		Vars:      map[string]any{"enabled": true, "name": component},
		Settings:  map[string]any{"spacelift": spacelift},
		Env:       map[string]any{},
		Metadata:  map[string]any{"component": component},
	}
}

func buildChild(t *testing.T, a *v1alpha1.AdminStack, r atmos.Record) *v1alpha1.Stack {
	t.Helper()
	c, problems := childStack(a, &r)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	return c.stack
}

func TestChildStackSettingsOverrideDefaults(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]any
		get      func(*v1alpha1.StackSpec) any
		def, set any
	}{
		{"autodeploy", map[string]any{"autodeploy": true},
			func(s *v1alpha1.StackSpec) any { return s.Autodeploy }, false, true},
		{"autoretry", map[string]any{"autoretry": true},
			func(s *v1alpha1.StackSpec) any { return s.Autoretry }, false, true},
		{"branch", map[string]any{"branch": "release"},
			func(s *v1alpha1.StackSpec) any { return s.Branch }, "main", "release"},
		{"description", map[string]any{"description": "mine"},
			func(s *v1alpha1.StackSpec) any { return s.Description }, "default description", "mine"},
		{"protect_from_deletion", map[string]any{"protect_from_deletion": true},
			func(s *v1alpha1.StackSpec) any { return s.ProtectFromDeletion }, false, true},
		{"runner_image", map[string]any{"runner_image": "mine"},
			func(s *v1alpha1.StackSpec) any { return s.RunnerImage }, "default-image", "mine"},
		{"local_preview_enabled", map[string]any{"local_preview_enabled": true},
			func(s *v1alpha1.StackSpec) any { return s.LocalPreviewEnabled }, false, true},
		{"manage_state", map[string]any{"manage_state": true},
			func(s *v1alpha1.StackSpec) any { return *s.ManageState }, false, true},
		{"terraform_version through the map", map[string]any{"terraform_version": "1.5"},
			func(s *v1alpha1.StackSpec) any { return s.Terraform.Version }, "1.9.8", "1.5.7"},
		{"terraform_version as a YAML number", map[string]any{"terraform_version": 1.5},
			func(s *v1alpha1.StackSpec) any { return s.Terraform.Version }, "1.9.8", "1.5.7"},
		{"terraform_version not in the map is used as is", map[string]any{"terraform_version": "~> 1.10"},
			func(s *v1alpha1.StackSpec) any { return s.Terraform.Version }, "1.9.8", "~> 1.10"},
		{"terraform_workflow_tool", map[string]any{"terraform_workflow_tool": "TERRAFORM_FOSS"},
			func(s *v1alpha1.StackSpec) any { return string(s.Terraform.WorkflowTool) }, "OPEN_TOFU", "TERRAFORM_FOSS"},
		{"terraform_smart_sanitization", map[string]any{"terraform_smart_sanitization": true},
			func(s *v1alpha1.StackSpec) any { return s.Terraform.SmartSanitization }, false, true},
		{"drift_detection_enabled", map[string]any{"drift_detection_enabled": false},
			func(s *v1alpha1.StackSpec) any { return s.DriftDetection != nil }, true, false},
		{"drift_detection_schedule", map[string]any{"drift_detection_schedule": []any{"0 2 * * *", "0 3 * * *"}},
			func(s *v1alpha1.StackSpec) any { return s.DriftDetection.Schedule },
			[]v1alpha1.CronSchedule{"0 1 * * *"}, []v1alpha1.CronSchedule{"0 2 * * *", "0 3 * * *"}},
		{"drift_detection_reconcile", map[string]any{"drift_detection_reconcile": true},
			func(s *v1alpha1.StackSpec) any { return s.DriftDetection.Reconcile }, false, true},
		{"drift_detection_timezone", map[string]any{"drift_detection_timezone": "Europe/Berlin"},
			func(s *v1alpha1.StackSpec) any { return s.DriftDetection.Timezone }, "UTC", "Europe/Berlin"},
		{"worker_pool_id", map[string]any{"worker_pool_id": "01POOL", "worker_pool_name": "ignored"},
			func(s *v1alpha1.StackSpec) any { return s.WorkerPool }, "default-pool", "01POOL"},
		{"worker_pool_name is used as an id", map[string]any{"worker_pool_name": "pool-name"},
			func(s *v1alpha1.StackSpec) any { return s.WorkerPool }, "default-pool", "pool-name"},
		{"space_id", map[string]any{"space_id": "space-01"},
			func(s *v1alpha1.StackSpec) any { return s.Space }, "default-space", "space-01"},
		{"space_name is used as an id", map[string]any{"space_name": "plat"},
			func(s *v1alpha1.StackSpec) any { return s.Space }, "default-space", "plat"},
		{"context_attachments", map[string]any{"context_attachments": []any{"c1", "c2"}},
			func(s *v1alpha1.StackSpec) any { return s.Contexts },
			[]v1alpha1.ContextAttachment{{ID: "default-context"}}, []v1alpha1.ContextAttachment{{ID: "c1"}, {ID: "c2", Priority: 1}}},
		{"stack_destructor_enabled", map[string]any{"stack_destructor_enabled": true},
			func(s *v1alpha1.StackSpec) any { return s.DeletionPolicy }, v1alpha1.DeletionPolicyDelete, v1alpha1.DeletionPolicyDestroy},
		{"administrative", map[string]any{"administrative": true},
			func(s *v1alpha1.StackSpec) any { return s.Administrative }, false, true},
		{"stack_name is taken raw", map[string]any{"stack_name": "plat/vpc"},
			func(s *v1alpha1.StackSpec) any { return s.Name }, "plat-ue2-dev-vpc", "plat/vpc"},
		{"policies name Policy objects or ids", map[string]any{
			"policies":               []any{"plan-policy", map[string]any{"id": "spacelift-id"}, map[string]any{"name": "child-policy"}},
			"policies_by_id_enabled": []any{"legacy-id"},
		}, func(s *v1alpha1.StackSpec) any { return s.Policies },
			[]v1alpha1.PolicyReference{{Name: "child-policy"}},
			[]v1alpha1.PolicyReference{{Name: "plan-policy"}, {ID: "spacelift-id"}, {Name: "child-policy"}, {ID: "legacy-id"}}},
		{"policies: {} is no policies, as in the admin-stack component's README", map[string]any{
			"policies": map[string]any{}, "policies_by_id_enabled": map[string]any{},
		}, func(s *v1alpha1.StackSpec) any { return s.Policies },
			[]v1alpha1.PolicyReference{{Name: "child-policy"}}, []v1alpha1.PolicyReference{{Name: "child-policy"}}},
		{"hooks", map[string]any{"before_init": []any{"a", "b"}, "after_run": []any{"c"}},
			func(s *v1alpha1.StackSpec) any { return s.Hooks },
			v1alpha1.StackHooks{}, v1alpha1.StackHooks{BeforeInit: []string{"a", "b"}, AfterRun: []string{"c"}}},
		{"webhook", map[string]any{"webhook_endpoint": "https://hooks.example.com"},
			func(s *v1alpha1.StackSpec) any { return s.Webhooks },
			[]v1alpha1.Webhook(nil), []v1alpha1.Webhook{{Endpoint: "https://hooks.example.com", Enabled: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			def := buildChild(t, testAdmin(), testRecord("plat-ue2-dev", "vpc", map[string]any{}))
			if diff := cmp.Diff(tc.def, tc.get(&def.Spec)); diff != "" {
				t.Errorf("default (-want +got):\n%s", diff)
			}
			set := buildChild(t, testAdmin(), testRecord("plat-ue2-dev", "vpc", tc.settings))
			if diff := cmp.Diff(tc.set, tc.get(&set.Spec)); diff != "" {
				t.Errorf("with settings.spacelift %v (-want +got):\n%s", tc.settings, diff)
			}
		})
	}
}

func TestChildStackFixedFields(t *testing.T) {
	a := testAdmin()
	a.Spec.CredentialsRef = &v1alpha1.LocalObjectReference{Name: "spacelift-creds"}
	r := testRecord("plat-ue2-dev", "eks/cluster", map[string]any{})
	r.Metadata["component"] = "eks/cluster-v2"
	r.Workspace = "plat-ue2-dev-eks"
	r.Env = map[string]any{"TF_LOG": "info", "RETRIES": 3, "DEBUG": true, "UNSET": nil}
	s := buildChild(t, a, r)

	if s.Name != "plat-ue2-dev-eks-cluster" || s.Namespace != "infra" {
		t.Errorf("object = %s/%s", s.Namespace, s.Name)
	}
	if s.Labels[LabelAdminStack] != "plat" {
		t.Errorf("labels = %v", s.Labels)
	}
	if s.Annotations[AnnotationAtmosStack] != "plat-ue2-dev" || s.Annotations[AnnotationAtmosComponent] != "eks/cluster" {
		t.Errorf("annotations = %v", s.Annotations)
	}
	wantOwner := []metav1.OwnerReference{{APIVersion: "spacelift.stackwright.io/v1alpha1", Kind: "AdminStack", Name: "plat", UID: "admin-uid", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}
	if diff := cmp.Diff(wantOwner, s.OwnerReferences); diff != "" {
		t.Errorf("owner references (-want +got):\n%s", diff)
	}
	if s.Spec.ProjectRoot != "components/terraform/eks/cluster-v2" {
		t.Errorf("projectRoot = %q, want <componentRoot>/<metadata.component>", s.Spec.ProjectRoot)
	}
	if s.Spec.Repository != "acme/infrastructure" || s.Spec.Provider != "GITHUB" {
		t.Errorf("repository = %q %q", s.Spec.Repository, s.Spec.Provider)
	}
	if s.Spec.Terraform.Workspace != "plat-ue2-dev-eks" {
		t.Errorf("workspace = %q", s.Spec.Terraform.Workspace)
	}
	if s.Spec.CredentialsRef == nil || s.Spec.CredentialsRef.Name != "spacelift-creds" {
		t.Errorf("credentialsRef = %v", s.Spec.CredentialsRef)
	}
	wantEnv := []v1alpha1.EnvVar{
		{Name: "/mnt/workspace/source/components/terraform/eks/cluster-v2/spacelift.auto.tfvars.json", Value: ptr.To(`{"enabled":true,"name":"eks/cluster"}`)},
		{Name: "ATMOS_COMPONENT", Value: ptr.To("eks/cluster")},
		{Name: "ATMOS_STACK", Value: ptr.To("plat-ue2-dev")},
		{Name: "DEBUG", Value: ptr.To("true")},
		{Name: "RETRIES", Value: ptr.To("3")},
		{Name: "TF_LOG", Value: ptr.To("info")},
	}
	if diff := cmp.Diff(wantEnv, s.Spec.Environment); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
}

func TestChildStackProblems(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]any
		env      map[string]any
		want     string
	}{
		{"boolean of the wrong type", map[string]any{"autodeploy": "yes"}, nil, "settings.spacelift.autodeploy: want a boolean, got a string"},
		{"list of the wrong type", map[string]any{"before_init": "x"}, nil, "settings.spacelift.before_init: want a list of strings, got a string"},
		{"policy mapping with both keys", map[string]any{"policies": []any{map[string]any{"id": "a", "name": "b"}}}, nil, "settings.spacelift.policies[0]: set exactly one of name and id"},
		{"policies as a mapping with keys", map[string]any{"policies": map[string]any{"plan": "x", "push": "y"}}, nil,
			"settings.spacelift.policies: want a list, got a mapping with the keys plan, push: write one list item per entry"},
		{"policies as a long mapping", map[string]any{"policies": map[string]any{"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1, "g": 1}}, nil,
			"settings.spacelift.policies: want a list, got a mapping with the keys a, b, c, d, e, and 2 more: write one list item per entry"},
		{"policies_by_id_enabled as a mapping with keys", map[string]any{"policies_by_id_enabled": map[string]any{"a": "id"}}, nil,
			"settings.spacelift.policies_by_id_enabled: want a list of strings, got a mapping"},
		{"an empty mapping is no empty list for hooks", map[string]any{"before_init": map[string]any{}}, nil,
			"settings.spacelift.before_init: want a list of strings, got a mapping"},
		{"policies as a string", map[string]any{"policies": "plan"}, nil, "settings.spacelift.policies: want a list, got a string"},
		{"unknown workflow tool", map[string]any{"terraform_workflow_tool": "PULUMI"}, nil, `terraform workflow tool "PULUMI" is not one of`},
		{"invalid env name", map[string]any{}, map[string]any{"BAD-NAME": "x"}, `environment variable name "BAD-NAME" is not valid`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testRecord("s", "c", tc.settings)
			if tc.env != nil {
				r.Env = tc.env
			}
			_, problems := childStack(testAdmin(), &r)
			if len(problems) != 1 || !strings.Contains(problems[0], tc.want) {
				t.Errorf("problems = %q, want one containing %q", problems, tc.want)
			}
		})
	}
}

func TestChildLabels(t *testing.T) {
	r := testRecord("s", "vpc", map[string]any{})
	r.Labels = []string{"deps:stacks/a.yaml", "network", "depends-on:s-eks"}
	for _, tc := range []struct {
		name   string
		admin  func(*v1alpha1.AdminStack)
		vars   []string
		labels []v1alpha1.SpaceliftLabel
	}{
		{"record labels then managed-by and the admin label", nil, nil,
			[]v1alpha1.SpaceliftLabel{"deps:stacks/a.yaml", "network", "depends-on:s-eks", "managed-by:plat", "admin-stack-name:plat"}},
		{"vars.labels and spec.labels, without duplicates", func(a *v1alpha1.AdminStack) { a.Spec.Labels = []v1alpha1.SpaceliftLabel{"team:platform", "network"} },
			[]string{"network", "cost-center:42"},
			[]v1alpha1.SpaceliftLabel{"deps:stacks/a.yaml", "network", "depends-on:s-eks", "cost-center:42", "team:platform", "managed-by:plat", "admin-stack-name:plat"}},
		{"admin stack name and label key from the spec", func(a *v1alpha1.AdminStack) {
			a.Spec.AdminStack.Name = "plat-admin-stack"
			a.Spec.AdminStackLabel = "owner"
		}, nil,
			[]v1alpha1.SpaceliftLabel{"deps:stacks/a.yaml", "network", "depends-on:s-eks", "managed-by:plat-admin-stack", "owner:plat-admin-stack"}},
		{"the default label key", func(a *v1alpha1.AdminStack) { a.Spec.AdminStackLabel = "" }, nil,
			[]v1alpha1.SpaceliftLabel{"deps:stacks/a.yaml", "network", "depends-on:s-eks", "managed-by:plat", "admin-stack-name:plat"}},
		{"children of a root admin depend on it", func(a *v1alpha1.AdminStack) { a.Spec.RootAdmin = true }, nil,
			[]v1alpha1.SpaceliftLabel{"deps:stacks/a.yaml", "network", "depends-on:s-eks", "managed-by:plat", "admin-stack-name:plat", "depends-on:plat"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := testAdmin()
			if tc.admin != nil {
				tc.admin(a)
			}
			if diff := cmp.Diff(tc.labels, ChildLabels(a, &r, tc.vars)); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAdminStackObject(t *testing.T) {
	a := testAdmin()
	a.Spec.AdminStack = v1alpha1.AdminStackSettings{Description: "admin", ProjectRoot: "components/terraform/spacelift/admin-stack", Labels: []v1alpha1.SpaceliftLabel{"admin"}}
	a.Spec.RootStackPolicyAttachments = []v1alpha1.PolicyReference{{Name: "trigger"}, {ID: "abc"}}
	a.Spec.ChildDefaults.DeletionPolicy = v1alpha1.DeletionPolicyDestroy
	s := AdminStackObject(a)
	if s.Name != "plat-admin" || s.Spec.Name != "plat" || s.Labels[LabelAdminStack] != "plat" || len(s.OwnerReferences) != 1 {
		t.Errorf("metadata = %+v, spec.name = %q", s.ObjectMeta, s.Spec.Name)
	}
	wantBinding := []v1alpha1.StackRoleBinding{{RoleID: SpaceAdminRole, SpaceID: "default-space"}}
	if s.Spec.Administrative || !cmp.Equal(s.Spec.RoleBindings, wantBinding) {
		t.Errorf("administrative = %v, roleBindings = %v; want no flag and %v", s.Spec.Administrative, s.Spec.RoleBindings, wantBinding)
	}
	if diff := cmp.Diff([]v1alpha1.SpaceliftLabel{"admin", "admin-stack-name:plat"}, s.Spec.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(a.Spec.RootStackPolicyAttachments, s.Spec.Policies); diff != "" {
		t.Errorf("policies (-want +got):\n%s", diff)
	}
	if s.Spec.DeletionPolicy != v1alpha1.DeletionPolicyDelete {
		t.Errorf("deletionPolicy = %s, want Delete: the admin stack is never destroyed", s.Spec.DeletionPolicy)
	}
	if s.Spec.Space != "default-space" || s.Spec.Terraform.Version != "1.9.8" || s.Spec.ProjectRoot != a.Spec.AdminStack.ProjectRoot {
		t.Errorf("space = %q, terraform = %+v, projectRoot = %q", s.Spec.Space, s.Spec.Terraform, s.Spec.ProjectRoot)
	}

	a.Spec.AdminStack.RoleBindings = []v1alpha1.StackRoleBinding{{RoleID: "space-admin", SpaceID: "plat"}}
	a.Spec.AdminStack.Space = "admin-space"
	s = AdminStackObject(a)
	if s.Spec.Administrative || len(s.Spec.RoleBindings) != 1 || s.Spec.Space != "admin-space" {
		t.Errorf("administrative = %v, roleBindings = %v, space = %q; want role bindings instead of the flag", s.Spec.Administrative, s.Spec.RoleBindings, s.Spec.Space)
	}

	a.Spec.AdminStack.RoleBindings = nil
	a.Spec.RootAdmin = true
	s = AdminStackObject(a)
	wantBinding = []v1alpha1.StackRoleBinding{{RoleID: SpaceAdminRole, SpaceID: RootSpace}}
	if s.Spec.Administrative || !cmp.Equal(s.Spec.RoleBindings, wantBinding) {
		t.Errorf("root admin: administrative = %v, roleBindings = %v; want %v: the root admin manages every space", s.Spec.Administrative, s.Spec.RoleBindings, wantBinding)
	}
}

func TestChildAdminStack(t *testing.T) {
	root := testAdmin()
	root.Name = "root"
	root.Spec.RootAdmin = true
	root.Spec.Source.ConfigMaps = []v1alpha1.ConfigMapMount{{Name: "atmos"}}
	root.Spec.Labels = []v1alpha1.SpaceliftLabel{"root-only"}
	r := testRecord("core-gbl-auto", "admin-stack-plat", map[string]any{
		"administrative": true, "labels": []any{"admin-stack-name:plat"}, "policies": []any{"admin-policy"},
	})
	r.Administrative = true
	r.Metadata["component"] = "spacelift/admin-stack"
	r.Labels = []string{"admin-stack-name:plat", "depends-on:core-gbl-auto-admin-stack"}
	r.Vars = map[string]any{
		"context_filters":          map[string]any{"tenants": []any{"plat"}, "administrative": false},
		"excluded_context_filters": map[string]any{"stages": []any{"sandbox"}},
		"repository":               "infrastructure",
		"autodeploy":               true,
		"terraform_version":        "1.5",
		"child_policy_attachments": []any{"plat-policy"},
	}
	got, problems := childAdminStack(root, &r)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if got.Name != "core-gbl-auto-admin-stack-plat" || got.Labels[LabelAdminStack] != "root" || got.OwnerReferences[0].Name != "root" {
		t.Errorf("metadata = %+v", got.ObjectMeta)
	}
	want := v1alpha1.AdminStackSpec{
		Source:                 root.Spec.Source,
		ContextFilters:         v1alpha1.ContextFilters{Tenants: []string{"plat"}, Administrative: ptr.To(false)},
		ExcludedContextFilters: v1alpha1.ExcludedContextFilters{Stages: []string{"sandbox"}},
		AdminStack: v1alpha1.AdminStackSettings{
			Name:        "core-gbl-auto-admin-stack-plat",
			ProjectRoot: "components/terraform/spacelift/admin-stack",
			Labels: []v1alpha1.SpaceliftLabel{"admin-stack-name:plat", "depends-on:core-gbl-auto-admin-stack",
				"root-only", "managed-by:root", "admin-stack-name:root", "depends-on:root"},
		},
		AdminStackLabel: "admin-stack-name",
		Repository:      "infrastructure",
		Provider:        "GITHUB",
		ComponentRoot:   "components/terraform",
		ChildDefaults: func() v1alpha1.ChildStackDefaults {
			d := testAdmin().Spec.ChildDefaults
			d.Autodeploy = true
			d.TerraformVersion = "1.5"
			return d
		}(),
		ChildPolicyAttachments:     []v1alpha1.PolicyReference{{Name: "plat-policy"}},
		RootStackPolicyAttachments: []v1alpha1.PolicyReference{{Name: "admin-policy"}, {Name: "child-policy"}},
	}
	if diff := cmp.Diff(want, got.Spec); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
}

func TestRequestFirstRun(t *testing.T) {
	cases := []struct {
		name        string
		runOnCreate bool
		sha         string
		wantSHA     string
		wantAnn     string
	}{
		{"off", false, "abc1234", "", ""},
		{"head of the branch", true, "", "", "on-create"},
		{"pinned commit", true, "abc1234", "abc1234", ""},
	}
	for _, tc := range cases {
		s := &v1alpha1.Stack{}
		requestFirstRun(s, tc.runOnCreate, tc.sha)
		if s.Spec.CommitSHA != tc.wantSHA || s.Annotations[v1alpha1.AnnotationRunRequestedAt] != tc.wantAnn {
			t.Errorf("%s: commitSHA %q annotation %q", tc.name, s.Spec.CommitSHA, s.Annotations[v1alpha1.AnnotationRunRequestedAt])
		}
	}
}

func TestChildOutputsSecret(t *testing.T) {
	long := strings.Repeat("a", 250)
	for _, tc := range []struct {
		name  string
		d     *v1alpha1.ChildOutputsSecret
		child string
		want  *v1alpha1.OutputsSecret
	}{
		{name: "not asked for", d: nil, child: "dev-vpc", want: nil},
		{name: "default suffix", d: &v1alpha1.ChildOutputsSecret{}, child: "dev-vpc",
			want: &v1alpha1.OutputsSecret{Name: "dev-vpc-outputs"}},
		{name: "suffix, selection and a ConfigMap",
			d: &v1alpha1.ChildOutputsSecret{NameSuffix: "out", ConfigMapNameSuffix: "public",
				Outputs: []v1alpha1.OutputSelector{{Name: "vpc_id", Key: "VPC_ID"}}},
			child: "dev-vpc",
			want: &v1alpha1.OutputsSecret{Name: "dev-vpc-out", ConfigMap: &v1alpha1.LocalObjectReference{Name: "dev-vpc-public"},
				Outputs: []v1alpha1.OutputSelector{{Name: "vpc_id", Key: "VPC_ID"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, childOutputsSecret(tc.d, tc.child)); diff != "" {
				t.Errorf("childOutputsSecret (-want +got):\n%s", diff)
			}
		})
	}
	got := childOutputsSecret(&v1alpha1.ChildOutputsSecret{}, long)
	if len(got.Name) > 253 || !strings.HasPrefix(got.Name, "aaaa") {
		t.Errorf("the Secret name of a child with a long name is %q (%d characters)", got.Name, len(got.Name))
	}
	if other := childOutputsSecret(&v1alpha1.ChildOutputsSecret{}, long+"b"); other.Name == got.Name {
		t.Errorf("two children with long names share the Secret %q", got.Name)
	}

	a := testAdmin()
	a.Spec.ChildDefaults.WriteOutputsToSecret = &v1alpha1.ChildOutputsSecret{NameSuffix: "out"}
	s := buildChild(t, a, testRecord("plat-ue2-dev", "eks/cluster", map[string]any{}))
	if w := s.Spec.WriteOutputsToSecret; w == nil || w.Name != "plat-ue2-dev-eks-cluster-out" {
		t.Errorf("child writeOutputsToSecret = %+v, want the Secret plat-ue2-dev-eks-cluster-out", w)
	}
}
