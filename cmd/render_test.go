package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

const (
	sampleAdminStack = "../config/samples/spacelift_v1alpha1_adminstack.yaml"
	sampleTree       = "../config/samples/atmos"
)

// runRenderCmd runs the render subcommand and returns its exit code and output.
func runRenderCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := render(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// decodeStacks splits the output into documents and decodes them as Stacks.
func decodeStacks(t *testing.T, out string) []spaceliftv1alpha1.Stack {
	t.Helper()
	var stacks []spaceliftv1alpha1.Stack
	for _, doc := range strings.Split(out, "---\n")[1:] {
		var s spaceliftv1alpha1.Stack
		if err := yaml.UnmarshalStrict([]byte(doc), &s); err != nil {
			t.Fatalf("decoding %q: %v", doc, err)
		}
		stacks = append(stacks, s)
	}
	return stacks
}

func TestRenderSample(t *testing.T) {
	code, out, stderr := runRenderCmd(t, "-f", sampleAdminStack, "--source", sampleTree)
	if code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr)
	}
	stacks := decodeStacks(t, out)
	var names []string
	byName := map[string]spaceliftv1alpha1.Stack{}
	for _, s := range stacks {
		names = append(names, s.Name)
		byName[s.Name] = s
		if s.Kind != "Stack" || s.Namespace != "default" || s.Labels["spacelift.stackwright.io/admin-stack"] != "plat-admin" {
			t.Errorf("%s: kind %q, namespace %q, labels %v", s.Name, s.Kind, s.Namespace, s.Labels)
		}
		if len(s.OwnerReferences) > 0 || s.CreationTimestamp.Unix() > 0 {
			t.Errorf("%s: offline output carries server-side metadata: %+v", s.Name, s.ObjectMeta)
		}
	}
	want := []string{
		"plat-admin-admin",
		"plat-ue2-dev-eks-cluster", "plat-ue2-dev-vpc",
		"plat-ue2-prod-aurora-postgres", "plat-ue2-prod-eks-cluster", "plat-ue2-prod-vpc",
		"plat-uw2-prod-vpc",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("objects = %v, want %v (sorted)", names, want)
	}

	admin := byName["plat-admin-admin"]
	rootAdmin := []spaceliftv1alpha1.StackRoleBinding{{RoleID: "space-admin", SpaceID: "root"}}
	if admin.Spec.Name != "plat-admin" || admin.Spec.Administrative || !slices.Equal(admin.Spec.RoleBindings, rootAdmin) ||
		admin.Spec.Description != "Administrative stack for the plat tenant." {
		t.Errorf("admin stack spec = %+v", admin.Spec)
	}
	dr := byName["plat-uw2-prod-vpc"]
	if dr.Spec.ProjectRoot != "components/terraform/vpc" || dr.Spec.Terraform.Version != "1.9.8" || dr.Spec.Terraform.Workspace != "plat-uw2-prod" {
		t.Errorf("plat-uw2-prod-vpc: projectRoot %q, terraform %+v", dr.Spec.ProjectRoot, dr.Spec.Terraform)
	}
	if len(dr.Spec.Dependencies) != 1 || dr.Spec.Dependencies[0].StackRef.Name != "plat-ue2-prod-vpc" {
		t.Errorf("plat-uw2-prod-vpc: dependencies = %+v, want the primary region's VPC", dr.Spec.Dependencies)
	}
	if !dr.Spec.ProtectFromDeletion || !slices.Contains(dr.Spec.Labels, "managed-by:plat-admin") || !slices.Contains(dr.Spec.Labels, "network") {
		t.Errorf("plat-uw2-prod-vpc: protectFromDeletion %v, labels %v", dr.Spec.ProtectFromDeletion, dr.Spec.Labels)
	}
	if !slices.Equal(dr.Spec.Policies, []spaceliftv1alpha1.PolicyReference{{Name: "require-approval-for-deletes"}}) {
		t.Errorf("plat-uw2-prod-vpc: policies = %v", dr.Spec.Policies)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	_, first, _ := runRenderCmd(t, "-f", sampleAdminStack, "--source", sampleTree)
	_, second, _ := runRenderCmd(t, "-f", sampleAdminStack, "--source", sampleTree)
	if first != second {
		t.Error("two renders of the same input differ")
	}
}

func TestRenderRootAdmin(t *testing.T) {
	manifest := filepath.Join(t.TempDir(), "root.yaml")
	writeFile(t, manifest, `
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored}
---
apiVersion: spacelift.stackwright.io/v1alpha1
kind: AdminStack
metadata: {name: root, namespace: infra}
spec:
  source: {git: {url: "https://example.com/infra.git", path: atmos}}
  rootAdmin: true
  repository: acme/infrastructure
`)
	// The Git path is applied to --source: the sample tree is "atmos" below its parent.
	tree := filepath.Join(t.TempDir(), "checkout")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(sampleTree)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, filepath.Join(tree, "atmos")); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runRenderCmd(t, "-f", manifest, "--source", tree)
	if code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr)
	}
	// The root's admin stack, its child AdminStack, and what that child writes.
	docs := strings.Split(out, "---\n")[1:]
	var names []string
	for _, d := range docs {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(d), &obj); err != nil {
			t.Fatal(err)
		}
		names = append(names, obj.Kind+"/"+obj.Metadata.Name)
	}
	want := []string{
		"Stack/core-gbl-auto-admin-stack-plat-admin",
		"Stack/plat-ue2-dev-eks-cluster", "Stack/plat-ue2-dev-vpc",
		"Stack/plat-ue2-prod-aurora-postgres", "Stack/plat-ue2-prod-eks-cluster", "Stack/plat-ue2-prod-vpc",
		"Stack/plat-uw2-prod-vpc", "Stack/root-admin",
		"AdminStack/core-gbl-auto-admin-stack-plat",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("objects = %v, want %v", names, want)
	}
	var child spaceliftv1alpha1.AdminStack
	if err := yaml.UnmarshalStrict([]byte(docs[len(docs)-1]), &child); err != nil {
		t.Fatal(err)
	}
	if child.Name != "core-gbl-auto-admin-stack-plat" || child.Namespace != "infra" || !child.Spec.Prune ||
		!slices.Equal(child.Spec.ContextFilters.Tenants, []string{"plat"}) || child.Spec.Source.Git.Path != "atmos" {
		t.Errorf("child AdminStack = %+v", child)
	}
	if !strings.Contains(docs[1], "- managed-by:core-gbl-auto-admin-stack-plat\n") {
		t.Errorf("the plat stacks are not managed by the child admin stack:\n%s", docs[1])
	}
}

// An AdminStack without childDefaults renders Stacks the Stack CRD admits:
// each has exactly one vendor block, a Terraform one with the default
// workflow tool.
func TestRenderMinimalAdminStack(t *testing.T) {
	manifest := filepath.Join(t.TempDir(), "minimal.yaml")
	writeFile(t, manifest, `
apiVersion: spacelift.stackwright.io/v1alpha1
kind: AdminStack
metadata: {name: plat-admin}
spec:
  source: {configMaps: [{name: atmos}]}
  contextFilters: {tenants: [plat]}
  repository: acme/infrastructure
`)
	code, out, stderr := runRenderCmd(t, "-f", manifest, "--source", sampleTree)
	if code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr)
	}
	stacks := decodeStacks(t, out)
	if len(stacks) < 2 {
		t.Fatalf("rendered %d Stacks, want the admin stack and the plat tenant's", len(stacks))
	}
	for _, s := range stacks {
		vendors := 0
		for _, set := range []bool{s.Spec.Terraform != nil, s.Spec.OpenTofu != nil, s.Spec.Terragrunt != nil, s.Spec.Pulumi != nil,
			s.Spec.CloudFormation != nil, s.Spec.Kubernetes != nil, s.Spec.Ansible != nil} {
			if set {
				vendors++
			}
		}
		if vendors != 1 || s.Spec.Terraform == nil || s.Spec.Terraform.WorkflowTool != "TERRAFORM_FOSS" {
			t.Errorf("%s: %d vendor blocks, terraform %+v; want exactly one, terraform with TERRAFORM_FOSS", s.Name, vendors, s.Spec.Terraform)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	dir := t.TempDir()
	badTree := filepath.Join(dir, "tree")
	writeFile(t, filepath.Join(badTree, "atmos.yaml"), "stacks:\n  base_path: stacks\n  included_paths: [\"*\"]\n  name_pattern: \"{stage}\"\n")
	writeFile(t, filepath.Join(badTree, "stacks", "dev.yaml"), `
vars: {stage: dev}
components:
  terraform:
    vpc:
      settings:
        spacelift: {workspace_enabled: true, autodeploy: "yes"}
`)
	admin := filepath.Join(dir, "admin.yaml")
	writeFile(t, admin, `
apiVersion: spacelift.stackwright.io/v1alpha1
kind: AdminStack
metadata: {name: dev}
spec:
  source: {configMaps: [{name: tree}]}
  repository: infra
`)
	notAdmin := filepath.Join(dir, "stack.yaml")
	writeFile(t, notAdmin, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no arguments", nil, 2, "Usage: spacelift-operator render"},
		{"no source", []string{"-f", admin}, 2, "Usage"},
		{"unknown flag", []string{"-x"}, 2, "flag provided but not defined"},
		{"no AdminStack in the manifest", []string{"-f", notAdmin, "--source", badTree}, 1, "holds no spacelift.stackwright.io/v1alpha1 AdminStack"},
		{"invalid settings", []string{"-f", admin, "--source", badTree}, 1,
			"AdminStack dev would be Stalled:\n  - component \"vpc\" in stack \"dev\": settings.spacelift.autodeploy: want a boolean, got a string"},
		{"tree without stacks", []string{"-f", admin, "--source", dir}, 1, "expanding the atmos configuration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runRenderCmd(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) || out != "" {
				t.Errorf("exit code %d, stdout %q, stderr:\n%s\nwant code %d and stderr containing %q", code, out, stderr, tc.code, tc.stderr)
			}
		})
	}
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
