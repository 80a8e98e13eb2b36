package v1alpha1_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/testenv"
)

var k8s client.Client

func TestMain(m *testing.M) {
	env, cfg, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scheme := runtime.NewScheme()
	if err := spaceliftv1alpha1.AddToScheme(scheme); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

const validStack = `
apiVersion: spacelift.stackwright.io/v1alpha1
kind: Stack
metadata: {name: s, namespace: default}
spec:
  repository: acme/infra
  branch: main
  terraform: {}
`

const validPolicy = `
apiVersion: spacelift.stackwright.io/v1alpha1
kind: Policy
metadata: {name: p, namespace: default}
spec:
  type: PLAN
  body: "package spacelift"
`

const validAdminStack = `
apiVersion: spacelift.stackwright.io/v1alpha1
kind: AdminStack
metadata: {name: a, namespace: default}
spec:
  repository: acme/infra
  source:
    configMaps: [{name: atmos}]
`

// withSpec returns base with the given YAML merged into its spec (a nil value
// removes the key).
func withSpec(t *testing.T, base string, patch string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(base), &u.Object); err != nil {
		t.Fatalf("parsing base manifest: %v", err)
	}
	if patch == "" {
		return u
	}
	p := map[string]any{}
	if err := yaml.Unmarshal([]byte(patch), &p); err != nil {
		t.Fatalf("parsing patch: %v", err)
	}
	spec := u.Object["spec"].(map[string]any)
	for k, v := range p {
		if v == nil {
			delete(spec, k)
			continue
		}
		spec[k] = v
	}
	return u
}

// causes renders an API rejection as sorted "field: message" lines.
func causes(err error) []string {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		return []string{"unexpected error: " + fmt.Sprint(err)}
	}
	var out []string
	for _, c := range status.Status().Details.Causes {
		out = append(out, c.Field+": "+c.Message)
	}
	sort.Strings(out)
	return out
}

func TestAdmissionOnCreate(t *testing.T) {
	cases := []struct {
		name  string
		base  string
		patch string
		want  []string // nil: accepted
	}{
		{name: "stack: valid minimal", base: validStack},
		{name: "stack: valid full sample", base: readSample(t, "spacelift_v1alpha1_stack.yaml")},
		{name: "policy: valid sample", base: readSample(t, "spacelift_v1alpha1_policy.yaml")},
		{name: "adminstack: valid sample", base: readSample(t, "spacelift_v1alpha1_adminstack.yaml")},
		{name: "stack: git source with repository URL", base: validStack, patch: `{provider: GIT, repositoryURL: "https://git.example.com/infra.git"}`},
		{name: "policy: deprecated type accepted", base: validPolicy, patch: `{type: TERRAFORM_PLAN}`},
		{name: "adminstack: git source", base: validAdminStack, patch: `{source: {git: {url: "https://github.com/acme/infra", ref: {branch: main}, interval: 1m}}}`},
		{name: "adminstack: minimal, no childDefaults", base: validAdminStack},

		// Values the new rules must not refuse.
		{name: "stack: runner images", base: validStack, patch: `{runnerImage: "public.ecr.aws/spacelift/runner-terraform:latest"}`},
		{name: "stack: runner image with registry port and digest", base: validStack, patch: `{runnerImage: "localhost:5000/acme/runner_tf@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`},
		{name: "stack: version constraints", base: validStack, patch: `{terraform: {version: ">= 1.4, < 2.0"}}`},
		{name: "stack: pessimistic version constraint", base: validStack, patch: `{opentofu: {version: "~> 1.8.0"}, terraform: null}`},
		{name: "stack: pre-release version", base: validStack, patch: `{terraform: {version: "v1.10.0-beta1"}}`},
		{name: "stack: composite interval", base: validStack, patch: `{interval: 1h30m}`},
		{name: "stack: space id with ULID", base: validStack, patch: `{space: platform-01HZX5N1QG7B4T3V6D8K2M9C0E}`},
		{name: "stack: free-text name with emoji and letters", base: validStack, patch: `{name: "Payments DB (prod) 🚀"}`},
		{name: "stack: feature labels", base: validStack, patch: `{labels: ["feature:add_plan_pr_comment", "depends-on:vpc"]}`},
		{name: "stack: local http webhook", base: validStack, patch: `{webhooks: [{endpoint: "http://localhost:8080/hook?x=1"}]}`},
		{name: "stack: branch with slashes", base: validStack, patch: `{branch: feature/JIRA-12_new-vpc}`},
		{name: "stack: dependency on another stack", base: validStack, patch: `{dependencies: [{stackRef: {name: vpc}, references: [{outputName: vpc_id, inputName: TF_VAR_vpc_id}]}, {stackID: dns-prod}]}`},
		{name: "policy: autoattach to every stack", base: validPolicy, patch: `{labels: ["autoattach:*"]}`},
		{name: "adminstack: four-token name pattern", base: validAdminStack, patch: `{atmos: {namePattern: "{namespace}-{tenant}-{environment}-{stage}"}}`},
		{name: "adminstack: git polled every second", base: validAdminStack, patch: `{source: {git: {url: "file:///tmp/repo", interval: 1s}}}`},
		{name: "adminstack: names for space and worker pool", base: validAdminStack, patch: `{childDefaults: {space: Platform Team, workerPool: acme workers, contexts: [{id: AWS Prod}]}}`},
		{name: "adminstack: terraform version from the map", base: validAdminStack, patch: `{childDefaults: {terraformVersion: stable, terraformVersionMap: {stable: "1.9.8"}}}`},
		{name: "stack: outputs to a Secret and a ConfigMap", base: validStack, patch: `{writeOutputsToSecret: {name: vpc-outputs, outputs: [{name: vpc_id, key: VPC_ID}, {name: region}], configMap: {name: vpc-public}}}`},
		{name: "adminstack: outputs of every child", base: validAdminStack, patch: `{childDefaults: {writeOutputsToSecret: {outputs: [{name: vpc_id}], configMapNameSuffix: public}}}`},
		{name: "stack: two outputs written to one key", base: validStack, patch: `{writeOutputsToSecret: {name: o, outputs: [{name: a, key: x}, {name: x}]}}`,
			want: []string{`spec.writeOutputsToSecret: Invalid value: two outputs are written to the same key: give each a distinct key`}},
		{name: "stack: outputs key with a slash", base: validStack, patch: `{writeOutputsToSecret: {name: o, outputs: [{name: a, key: "a/b"}]}}`,
			want: []string{`spec.writeOutputsToSecret.outputs[0].key: Invalid value: "a/b": key must be a valid Secret key: letters, digits, '-', '_' and '.'`}},
		{name: "stack: outputs Secret name not an object name", base: validStack, patch: `{writeOutputsToSecret: {name: "Outputs"}}`,
			want: []string{`spec.writeOutputsToSecret.name: Invalid value: "Outputs": must be the name of a Kubernetes object: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`}},

		{name: "stack: no vendor block", base: validStack, patch: `{terraform: null}`,
			want: []string{`spec: Invalid value: exactly one vendor block must be set: terraform, opentofu, terragrunt, pulumi, cloudFormation, kubernetes or ansible`}},
		{name: "stack: two vendor blocks", base: validStack, patch: `{ansible: {playbook: site.yml}}`,
			want: []string{`spec: Invalid value: exactly one vendor block must be set: terraform, opentofu, terragrunt, pulumi, cloudFormation, kubernetes or ansible`}},
		{name: "stack: GIT provider without URL", base: validStack, patch: `{provider: GIT}`,
			want: []string{`spec: Invalid value: repositoryURL is required when provider is GIT`}},
		{name: "stack: unknown provider", base: validStack, patch: `{provider: SVN}`,
			want: []string{`<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`, `spec.provider: Unsupported value: "SVN": supported values: "GITHUB", "GITHUB_ENTERPRISE", "GITLAB", "BITBUCKET_CLOUD", "BITBUCKET_DATACENTER", "AZURE_DEVOPS", "GIT", "SHOWCASE"`}},
		{name: "stack: missing repository", base: validStack, patch: `{repository: null}`,
			want: []string{`<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`, `spec.repository: Required value`}},
		{name: "stack: env var with value and valueFrom", base: validStack, patch: `{environment: [{name: A, value: x, valueFrom: {secretKeyRef: {name: s, key: k}}}]}`,
			want: []string{`spec.environment[0]: Invalid value: set exactly one of value and valueFrom`}},
		{name: "stack: env var source with two refs", base: validStack, patch: `{environment: [{name: A, valueFrom: {secretKeyRef: {name: s, key: k}, configMapKeyRef: {name: c, key: k}}}]}`,
			want: []string{`spec.environment[0].valueFrom: Invalid value: set exactly one of secretKeyRef and configMapKeyRef`}},
		{name: "stack: env var bad name", base: validStack, patch: `{environment: [{name: "1BAD", value: x}]}`,
			want: []string{`spec.environment[0].name: Invalid value: "1BAD": name must be an environment variable name such as TF_VAR_region (letters, digits and '_', not starting with a digit) or the path of a mounted file under /mnt/workspace/`}},
		{name: "stack: policy reference with name and id", base: validStack, patch: `{policies: [{name: p, id: p}]}`,
			want: []string{`spec.policies[0]: Invalid value: set exactly one of name (a Policy object) and id (a Spacelift policy id)`}},
		{name: "stack: dependency without target", base: validStack, patch: `{dependencies: [{references: [{outputName: o, inputName: TF_VAR_o}]}]}`,
			want: []string{`spec.dependencies[0]: Invalid value: set exactly one of stackRef (a Stack object) and stackID (a Spacelift stack id)`}},
		{name: "stack: drift detection without schedule", base: validStack, patch: `{driftDetection: {enabled: true}}`,
			want: []string{`spec.driftDetection: Invalid value: driftDetection.schedule needs at least one cron expression when drift detection is enabled`}},
		{name: "stack: cron with four fields", base: validStack, patch: `{driftDetection: {schedule: ["0 4 * *"]}}`,
			want: []string{`spec.driftDetection.schedule[0]: Invalid value: "0 4 * *": schedule must be a cron expression with five fields: minute hour day-of-month month day-of-week, e.g. "0 */4 * * *"`}},
		{name: "stack: cron with shell characters", base: validStack, patch: `{driftDetection: {schedule: ["0 4 * * $(x)"]}}`,
			want: []string{`spec.driftDetection.schedule[0]: Invalid value: "0 4 * * $(x)": schedule may contain only digits, letters, spaces and the characters * / , - ? L W #`}},
		{name: "stack: label with comma", base: validStack, patch: `{labels: ["a,b"]}`,
			want: []string{`spec.labels[0]: Invalid value: "a,b": a label may not contain commas: write each label as its own list item`}},
		{name: "stack: absolute project root", base: validStack, patch: `{projectRoot: /abs}`,
			want: []string{`spec.projectRoot: Invalid value: "/abs": projectRoot must be relative to the repository root`}},
		{name: "stack: unknown deletion policy", base: validStack, patch: `{deletionPolicy: Orphan}`,
			want: []string{`<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`, `spec.deletionPolicy: Unsupported value: "Orphan": supported values: "Retain", "Delete", "Destroy"`}},
		{name: "stack: interval not a duration", base: validStack, patch: `{interval: "10 minutes"}`,
			want: []string{`spec.interval: Invalid value: "10 minutes": interval must be a duration such as 1m, 10m or 1h30m: numbers with the units ms, s, m or h, no spaces and no days (24h is a day)`}},
		{name: "stack: aws integration without read or write", base: validStack, patch: `{awsIntegration: {id: aws, read: false, write: false}}`,
			want: []string{`spec.awsIntegration: Invalid value: awsIntegration needs read, write or both`}},
		{name: "stack: webhook not http", base: validStack, patch: `{webhooks: [{endpoint: "ftp://x"}]}`,
			want: []string{`spec.webhooks[0].endpoint: Invalid value: "ftp://x": must be an http:// or https:// URL such as https://hooks.example.com/spacelift: add the scheme`}},
		{name: "stack: unknown workflow tool", base: validStack, patch: `{terraform: {workflowTool: TOFU}}`,
			want: []string{`<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`, `spec.terraform.workflowTool: Unsupported value: "TOFU": supported values: "TERRAFORM_FOSS", "OPEN_TOFU", "CUSTOM"`}},

		{name: "policy: body and bodyFrom", base: validPolicy, patch: `{bodyFrom: {configMapKeyRef: {name: c, key: policy.rego}}}`,
			want: []string{`spec: Invalid value: set exactly one of body and bodyFrom`}},
		{name: "policy: neither body nor bodyFrom", base: validPolicy, patch: `{body: null}`,
			want: []string{`spec: Invalid value: set exactly one of body and bodyFrom`}},
		{name: "policy: unknown type", base: validPolicy, patch: `{type: PLANN}`,
			want: []string{`<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`, `spec.type: Unsupported value: "PLANN": supported values: "ACCESS", "APPROVAL", "GIT_PUSH", "INITIALIZATION", "LOGIN", "NOTIFICATION", "PLAN", "TASK", "TRIGGER", "STACK_ACCESS", "TERRAFORM_PLAN", "TASK_RUN"`}},
		{name: "policy: destroy deletion policy", base: validPolicy, patch: `{deletionPolicy: Destroy}`,
			want: []string{`spec.deletionPolicy: Invalid value: "Destroy": deletionPolicy of a Policy is Retain or Delete; Destroy applies to stacks only`}},
		{name: "policy: unknown engine", base: validPolicy, patch: `{engineType: REGO_V2}`,
			want: []string{`<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`, `spec.engineType: Unsupported value: "REGO_V2": supported values: "REGO_V0", "REGO_V1"`}},

		{name: "adminstack: git and configMaps", base: validAdminStack, patch: `{source: {git: {url: "https://github.com/acme/infra"}, configMaps: [{name: a}]}}`,
			want: []string{`spec.source: Invalid value: set exactly one of source.git and source.configMaps`}},
		{name: "adminstack: no source", base: validAdminStack, patch: `{source: {}}`,
			want: []string{`spec.source: Invalid value: set exactly one of source.git and source.configMaps`}},
		{name: "adminstack: branch and tag", base: validAdminStack, patch: `{source: {git: {url: "https://github.com/acme/infra", ref: {branch: main, tag: v1}}}}`,
			want: []string{`spec.source.git: Invalid value: set at most one of ref.branch, ref.tag and ref.commit`}},
		{name: "adminstack: git url scheme", base: validAdminStack, patch: `{source: {git: {url: "ftp://x"}}}`,
			want: []string{`spec.source.git.url: Invalid value: "ftp://x": url must start with https://, http://, ssh://, git@ (scp-like SSH, git@host:path) or file://, e.g. https://github.com/acme/infrastructure`}},
		{name: "adminstack: configMap path escapes", base: validAdminStack, patch: `{source: {configMaps: [{name: a, path: "../x"}]}}`,
			want: []string{`spec.source.configMaps[0].path: Invalid value: "../x": path must be relative and may not contain '..'`}},
		{name: "adminstack: name pattern with upper case", base: validAdminStack, patch: `{atmos: {namePattern: "{Tenant}"}}`,
			want: []string{`spec.atmos.namePattern: Invalid value: "{Tenant}": namePattern part "{Tenant}" is not one of the tokens {namespace}, {tenant}, {environment} and {stage}: fix its spelling, or remove it (atmos joins the token values with - and ignores anything else)`}},
		{name: "adminstack: bad commit sha", base: validAdminStack, patch: `{childDefaults: {commitSHA: main}}`,
			want: []string{`spec.childDefaults.commitSHA: Invalid value: "main": must be a Git commit SHA: 7 to 40 lower-case hexadecimal digits, not a branch or tag name`}},
		{name: "adminstack: missing repository", base: validAdminStack, patch: `{repository: null}`,
			want: []string{`<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`, `spec.repository: Required value`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := withSpec(t, tc.base, tc.patch)
			obj.SetNamespace("default")
			err := k8s.Create(context.Background(), obj, client.DryRunAll)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("expected the manifest to be accepted, got: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("expected rejection %q, but the manifest was accepted", tc.want)
			}
			if got := causes(err); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("rejection causes:\n got: %q\nwant: %q", got, tc.want)
			}
		})
	}
}

func TestAdmissionOnUpdate(t *testing.T) {
	cases := []struct {
		name   string
		base   string
		create string
		update string
		want   []string // nil: accepted
	}{
		{name: "stack: manageState is immutable", base: validStack, create: `{manageState: true}`, update: `{manageState: false}`,
			want: []string{`spec.manageState: Invalid value: false: manageState is immutable after creation`}},
		{name: "stack: other fields change", base: validStack, update: `{branch: develop, labels: [x]}`},
		{name: "policy: type is immutable", base: validPolicy, update: `{type: TRIGGER}`,
			want: []string{`spec.type: Invalid value: "TRIGGER": type is immutable (a deprecated name may be replaced by its current one): create a new Policy instead`}},
		{name: "policy: deprecated type replaced by current name", base: validPolicy, create: `{type: TERRAFORM_PLAN}`, update: `{type: PLAN}`},
	}
	ctx := context.Background()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := withSpec(t, tc.base, tc.create)
			obj.SetName(fmt.Sprintf("update-%d", i))
			if err := k8s.Create(ctx, obj); err != nil {
				t.Fatalf("creating: %v", err)
			}
			t.Cleanup(func() { _ = k8s.Delete(ctx, obj) })
			p := map[string]any{}
			if err := yaml.Unmarshal([]byte(tc.update), &p); err != nil {
				t.Fatalf("parsing update: %v", err)
			}
			for k, v := range p {
				obj.Object["spec"].(map[string]any)[k] = v
			}
			err := k8s.Update(ctx, obj)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("expected the update to be accepted, got: %v", err)
				}
				return
			}
			if got := causes(err); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("rejection causes:\n got: %q\nwant: %q", got, tc.want)
			}
		})
	}
}

// TestDefaults checks the defaults a minimal manifest gets at admission.
func TestDefaults(t *testing.T) {
	ctx := context.Background()
	obj := withSpec(t, validStack, "")
	obj.SetName("defaults")
	if err := k8s.Create(ctx, obj); err != nil {
		t.Fatalf("creating: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, obj) })
	var s spaceliftv1alpha1.Stack
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), &s); err != nil {
		t.Fatalf("reading back: %v", err)
	}
	got := fmt.Sprintf("provider=%s space=%s deletionPolicy=%s manageState=%v workflowTool=%s",
		s.Spec.Provider, s.Spec.Space, s.Spec.DeletionPolicy, *s.Spec.ManageState, s.Spec.Terraform.WorkflowTool)
	want := "provider=GITHUB space=root deletionPolicy=Delete manageState=true workflowTool=TERRAFORM_FOSS"
	if got != want {
		t.Errorf("defaults:\n got: %s\nwant: %s", got, want)
	}
}

func readSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../config/samples/" + name)
	if err != nil {
		t.Fatalf("reading sample: %v", err)
	}
	return string(b)
}
