package spacelift

import (
	"context"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// clientCall exercises one method of Client with representative arguments.
type clientCall struct {
	method string
	call   func(ctx context.Context, c *Client) error
}

// everyCall calls every method of Client that talks to the API, with every
// optional argument set so that each variable appears in the request.
func everyCall() []clientCall {
	ignore := func(_ any, err error) error { return err }
	stackInput := StackInput{
		Name: "net", Repository: "infra", Branch: "main", Autodeploy: true,
		Description: ptr("d"), Labels: []string{"team:net"}, Space: ptr("root"),
		Namespace: ptr("acme"), Provider: ptr(VCSProviderGitHub), RepositoryURL: ptr("https://example.com/infra.git"),
		ProjectRoot: ptr("net"), AdditionalProjectGlobs: []string{"modules/**"}, RunnerImage: ptr("img"),
		WorkerPool: ptr("pool"), VCSIntegrationID: ptr("vcs"), GitHubActionDeploy: ptr(true),
		EnableWellKnownSecretMasking: ptr(true), EnableSensitiveOutputUpload: ptr(false),
		VendorConfig: &VendorConfigInput{Terraform: &TerraformInput{
			Version: ptr("1.9.0"), WorkflowTool: ptr(WorkflowToolOpenTofu), Workspace: ptr("default"),
			UseSmartSanitization: ptr(true), ExternalStateAccessEnabled: ptr(false),
		}},
		AfterApply: []string{"echo"}, AfterDestroy: []string{"echo"}, AfterInit: []string{"echo"},
		AfterPerform: []string{"echo"}, AfterPlan: []string{"echo"}, AfterRun: []string{"echo"},
		BeforeApply: []string{"echo"}, BeforeDestroy: []string{"echo"}, BeforeInit: []string{"echo"},
		BeforePerform: []string{"echo"}, BeforePlan: []string{"echo"},
	}
	allVendors := []*VendorConfigInput{
		{Ansible: &AnsibleInput{Playbook: "site.yml"}},
		{CloudFormation: &CloudFormationInput{EntryTemplateFile: "t.yml", Region: "eu-west-1", StackName: "s", TemplateBucket: "b"}},
		{Kubernetes: &KubernetesInput{Namespace: "ns", KubectlVersion: ptr("1.30"), KubernetesWorkflowTool: ptr("KUBERNETES")}},
		{OpenTofu: &OpenTofuInput{Concise: ptr(true), Version: ptr("1.8.0"), WorkflowTool: ptr(WorkflowToolOpenTofu), Workspace: ptr("w")}},
		{Pulumi: &PulumiInput{LoginURL: "s3://b", StackName: "dev"}},
		{Terragrunt: &TerragruntInput{TerraformVersion: ptr("1.5.7"), TerragruntVersion: ptr("0.55.0"), UseRunAll: true, Tool: ptr("OPEN_TOFU")}},
	}
	search := SearchInput{
		First: ptr(10), After: ptr("cursor"), FullTextSearch: ptr("net"),
		Predicates: []QueryPredicate{
			LabelPredicate("team:*"), NamePredicate("net"), EnumPredicate("state", "FINISHED"), BoolPredicate("isDisabled", false),
			{Field: "branch", Constraint: QueryFieldConstraint{StringMatches: []string{"main"}}, Exclude: true},
		},
		OrderBy: &QueryOrder{Field: "name", Direction: "ASC"},
	}
	calls := []clientCall{
		{"GetStack", func(ctx context.Context, c *Client) error { return ignore(c.GetStack(ctx, "s")) }},
		{"ObserveStack", func(ctx context.Context, c *Client) error { return ignore(c.ObserveStack(ctx, "s")) }},
		{"CreateStack", func(ctx context.Context, c *Client) error {
			return ignore(c.CreateStack(ctx, stackInput, CreateStackOptions{ManageState: true, Slug: "net"}))
		}},
		{"UpdateStack", func(ctx context.Context, c *Client) error { return ignore(c.UpdateStack(ctx, "s", stackInput)) }},
		{"DeleteStack", func(ctx context.Context, c *Client) error { return ignore(c.DeleteStack(ctx, "s", true)) }},
		{"EnableStack", func(ctx context.Context, c *Client) error { return ignore(c.EnableStack(ctx, "s")) }},
		{"DisableStack", func(ctx context.Context, c *Client) error { return ignore(c.DisableStack(ctx, "s")) }},
		{"SearchStacksPage", func(ctx context.Context, c *Client) error { return ignore(c.SearchStacksPage(ctx, search)) }},
		{"SearchStacks", func(ctx context.Context, c *Client) error { return ignore(c.SearchStacks(ctx, LabelPredicate("a"))) }},
		{"StackPages", func(ctx context.Context, c *Client) error {
			for _, err := range c.StackPages(ctx) {
				return err
			}
			return nil
		}},
		{"SearchStackSnapshotPage", func(ctx context.Context, c *Client) error { return ignore(c.SearchStackSnapshotPage(ctx, search)) }},
		{"StackSnapshotPages", func(ctx context.Context, c *Client) error {
			for _, err := range c.StackSnapshotPages(ctx, LabelPredicate("a")) {
				return err
			}
			return nil
		}},
		{"GetPolicy", func(ctx context.Context, c *Client) error { return ignore(c.GetPolicy(ctx, "p")) }},
		{"CreatePolicy", func(ctx context.Context, c *Client) error {
			return ignore(c.CreatePolicy(ctx, PolicyCreateInput{
				Name: "p", Body: "package spacelift", Type: PolicyTypePlan, Labels: []string{"l"},
				Space: ptr("root"), Description: ptr("d"), EngineType: ptr(PolicyEngineRegoV1),
			}))
		}},
		{"UpdatePolicy", func(ctx context.Context, c *Client) error {
			return ignore(c.UpdatePolicy(ctx, "p", PolicyUpdateInput{
				Name: "p", Body: "package spacelift", Labels: []string{"l"}, Space: ptr("root"),
				Description: ptr("d"), EngineType: ptr(PolicyEngineRegoV0),
			}))
		}},
		{"DeletePolicy", func(ctx context.Context, c *Client) error { return c.DeletePolicy(ctx, "p") }},
		{"AttachPolicy", func(ctx context.Context, c *Client) error { return ignore(c.AttachPolicy(ctx, "p", "s")) }},
		{"DetachPolicy", func(ctx context.Context, c *Client) error { return c.DetachPolicy(ctx, "a") }},
		{"ListStackPolicies", func(ctx context.Context, c *Client) error { return ignore(c.ListStackPolicies(ctx, "s")) }},
		{"AddStackConfig", func(ctx context.Context, c *Client) error {
			in := EnvironmentVariable("TF_VAR_x", "1", true)
			in.Description = ptr("d")
			return ignore(c.AddStackConfig(ctx, "s", in))
		}},
		{"AddStackConfigs", func(ctx context.Context, c *Client) error {
			return c.AddStackConfigs(ctx, "s", []ConfigInput{EnvironmentVariable("TF_VAR_x", "1", true), EnvironmentVariable("TF_VAR_y", "2", false)})
		}},
		{"DeleteStackConfig", func(ctx context.Context, c *Client) error { return c.DeleteStackConfig(ctx, "s", "TF_VAR_x") }},
		{"ListStackConfig", func(ctx context.Context, c *Client) error { return ignore(c.ListStackConfig(ctx, "s")) }},
		{"AttachContext", func(ctx context.Context, c *Client) error { return ignore(c.AttachContext(ctx, "ctx", "s", 1)) }},
		{"DetachContext", func(ctx context.Context, c *Client) error { return c.DetachContext(ctx, "a") }},
		{"ListStackContexts", func(ctx context.Context, c *Client) error { return ignore(c.ListStackContexts(ctx, "s")) }},
		{"CreateDriftDetection", func(ctx context.Context, c *Client) error {
			return ignore(c.CreateDriftDetection(ctx, "s", DriftDetectionIntegrationInput{
				Reconcile: true, Schedule: []string{"*/15 * * * *"}, Timezone: ptr("UTC"),
			}))
		}},
		{"UpdateDriftDetection", func(ctx context.Context, c *Client) error {
			return ignore(c.UpdateDriftDetection(ctx, "s", DriftDetectionIntegrationInput{IgnoreState: true, Schedule: []string{"0 * * * *"}}))
		}},
		{"DeleteDriftDetection", func(ctx context.Context, c *Client) error { return c.DeleteDriftDetection(ctx, "s") }},
		{"GetDriftDetection", func(ctx context.Context, c *Client) error { return ignore(c.GetDriftDetection(ctx, "s")) }},
		{"AttachAWSIntegration", func(ctx context.Context, c *Client) error {
			return ignore(c.AttachAWSIntegration(ctx, "aws", "s", true, false))
		}},
		{"UpdateAWSIntegrationAttachment", func(ctx context.Context, c *Client) error {
			return ignore(c.UpdateAWSIntegrationAttachment(ctx, "a", true, true))
		}},
		{"DetachAWSIntegration", func(ctx context.Context, c *Client) error { return c.DetachAWSIntegration(ctx, "a") }},
		{"ListStackAWSIntegrations", func(ctx context.Context, c *Client) error { return ignore(c.ListStackAWSIntegrations(ctx, "s")) }},
		{"CreateWebhook", func(ctx context.Context, c *Client) error {
			return ignore(c.CreateWebhook(ctx, "s", WebhooksIntegrationInput{
				Enabled: true, Endpoint: "https://example.com/hook", Secret: "shh", RetryOnFailure: ptr(true),
			}))
		}},
		{"UpdateWebhook", func(ctx context.Context, c *Client) error {
			return ignore(c.UpdateWebhook(ctx, "s", "w", WebhooksIntegrationInput{Endpoint: "https://example.com/hook", Secret: "shh"}))
		}},
		{"DeleteWebhook", func(ctx context.Context, c *Client) error { return c.DeleteWebhook(ctx, "s", "w") }},
		{"ListWebhooks", func(ctx context.Context, c *Client) error { return ignore(c.ListWebhooks(ctx, "s")) }},
		{"CreateStackDependency", func(ctx context.Context, c *Client) error {
			return ignore(c.CreateStackDependency(ctx, "s", "other"))
		}},
		{"DeleteStackDependency", func(ctx context.Context, c *Client) error { return c.DeleteStackDependency(ctx, "d") }},
		{"AddStackDependencyReference", func(ctx context.Context, c *Client) error {
			return ignore(c.AddStackDependencyReference(ctx, "d", StackDependencyReferenceInput{
				OutputName: "vpc_id", InputName: "TF_VAR_vpc_id", Type: ptr(ConfigTypeEnvironmentVariable), TriggerAlways: ptr(true),
			}))
		}},
		{"DeleteStackDependencyReference", func(ctx context.Context, c *Client) error {
			return c.DeleteStackDependencyReference(ctx, "r")
		}},
		{"ListStackDependencies", func(ctx context.Context, c *Client) error { return ignore(c.ListStackDependencies(ctx, "s")) }},
		{"CreateStackRoleBinding", func(ctx context.Context, c *Client) error {
			return ignore(c.CreateStackRoleBinding(ctx, StackRoleBindingInput{RoleID: "space-admin", StackID: "s", SpaceID: "root"}))
		}},
		{"GetStackRoleBinding", func(ctx context.Context, c *Client) error { return ignore(c.GetStackRoleBinding(ctx, "b")) }},
		{"ListWorkerPools", func(ctx context.Context, c *Client) error { return ignore(c.ListWorkerPools(ctx)) }},
		{"ListSpaces", func(ctx context.Context, c *Client) error { return ignore(c.ListSpaces(ctx)) }},
		{"ListContexts", func(ctx context.Context, c *Client) error { return ignore(c.ListContexts(ctx)) }},
		{"ListRoles", func(ctx context.Context, c *Client) error { return ignore(c.ListRoles(ctx)) }},
		{"DeleteStackRoleBinding", func(ctx context.Context, c *Client) error { return c.DeleteStackRoleBinding(ctx, "b") }},
		{"TriggerRun", func(ctx context.Context, c *Client) error {
			return ignore(c.TriggerRun(ctx, "s", RunTypeProposed, "abc123", WithRunMetadata(`{"v":1}`)))
		}},
		{"ConfirmRun", func(ctx context.Context, c *Client) error {
			return ignore(c.ConfirmRun(ctx, "s", "r", WithRunMetadata(`{"v":1}`)))
		}},
		{"DiscardRun", func(ctx context.Context, c *Client) error { return ignore(c.DiscardRun(ctx, "s", "r")) }},
		{"GetRun", func(ctx context.Context, c *Client) error { return ignore(c.GetRun(ctx, "s", "r")) }},
		{"ListRuns", func(ctx context.Context, c *Client) error { return ignore(c.ListRuns(ctx, "s", "r")) }},
		{"ListProposedRuns", func(ctx context.Context, c *Client) error { return ignore(c.ListProposedRuns(ctx, "s", "")) }},
		{"LatestDriftDetectionRun", func(ctx context.Context, c *Client) error { return ignore(c.LatestDriftDetectionRun(ctx, "s")) }},
		{"ListManagedEntities", func(ctx context.Context, c *Client) error { return ignore(c.ListManagedEntities(ctx, "s")) }},
		{"GetStackOutputs", func(ctx context.Context, c *Client) error { return ignore(c.GetStackOutputs(ctx, "s")) }},
		{"GetRunChanges", func(ctx context.Context, c *Client) error { return ignore(c.GetRunChanges(ctx, "s", "r")) }},
	}
	// Apply sends each mutation the parts build, one document each, so
	// that every field is validated and executed on its own.
	webhook := WebhooksIntegrationInput{Enabled: true, Endpoint: "https://example.com/hook", Secret: "shh", RetryOnFailure: ptr(true)}
	drift := DriftDetectionIntegrationInput{Schedule: []string{"0 * * * *"}, Timezone: ptr("UTC"), Reconcile: true}
	for _, m := range []Mutation{
		UpdateStackMutation("s", stackInput),
		AddConfigMutation("s", EnvironmentVariable("TF_VAR_x", "1", true)), DeleteConfigMutation("s", "TF_VAR_x"),
		AttachPolicyMutation("p", "s"), DetachPolicyMutation("a"),
		AttachContextMutation("ctx", "s", 1), DetachContextMutation("a"),
		CreateDriftDetectionMutation("s", drift), UpdateDriftDetectionMutation("s", drift), DeleteDriftDetectionMutation("s"),
		CreateDependencyMutation("s", "other"), DeleteDependencyMutation("d", "other"),
		AddDependencyReferenceMutation("d", StackDependencyReferenceInput{OutputName: "o", InputName: "TF_VAR_o"}), DeleteDependencyReferenceMutation("r", "TF_VAR_o"),
		AttachAWSIntegrationMutation("aws", "s", true, false), UpdateAWSIntegrationAttachmentMutation("a", true, true), DetachAWSIntegrationMutation("a"),
		CreateWebhookMutation("s", webhook), UpdateWebhookMutation("s", "w", webhook), DeleteWebhookMutation("s", "w", webhook.Endpoint),
	} {
		calls = append(calls, clientCall{"Apply", func(ctx context.Context, c *Client) error {
			return ignore(c.Apply(ctx, "StackChanges", []Mutation{m}))
		}})
	}
	for _, v := range allVendors {
		in := stackInput
		in.VendorConfig = v
		calls = append(calls, clientCall{"UpdateStack", func(ctx context.Context, c *Client) error {
			return ignore(c.UpdateStack(ctx, "s", in))
		}})
	}
	return calls
}

// notAPIMethods are the exported methods of Client that send no request.
var notAPIMethods = map[string]bool{"Endpoint": true, "KeyID": true}

func TestEveryClientMethodIsExercised(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range everyCall() {
		covered[c.method] = true
	}
	typ := reflect.TypeFor[*Client]()
	var missing []string
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		if !covered[name] && !notAPIMethods[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("methods missing from everyCall, so their operations are not validated against the schema: %v", missing)
	}
}

func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	sdl, err := os.ReadFile("emulator/schema.graphql")
	if err != nil {
		t.Fatalf("reading the API schema: %v", err)
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(sdl)})
	if gerr != nil {
		t.Fatalf("loading the API schema: %v", gerr)
	}
	return schema
}

// TestOperationsValidateAgainstSchema captures every request the client can
// send and validates it against the API schema: unknown operations, fields,
// arguments or input fields, wrong variable types and invalid enum values
// all fail.
func TestOperationsValidateAgainstSchema(t *testing.T) {
	schema := loadSchema(t)
	api := newFakeAPI(t, func(w http.ResponseWriter, _ sentRequest) {
		writeJSON(w, map[string]any{"data": nil})
	})
	c := api.client(t, func(o *Options) { o.MaxAttempts = 1 })
	for _, call := range everyCall() {
		_ = call.call(t.Context(), c)
	}

	seen := map[string]bool{}
	for _, req := range api.sent() {
		key := req.Query + "\x00" + mustJSON(t, req.Variables)
		if seen[key] {
			continue
		}
		seen[key] = true
		doc, errs := gqlparser.LoadQuery(schema, req.Query)
		if len(errs) > 0 {
			t.Errorf("operation %s does not validate against the schema:\n%s\n%v", req.OperationName, req.Query, errs)
			continue
		}
		if len(doc.Operations) != 1 {
			t.Errorf("operation %s: want one operation, got %d", req.OperationName, len(doc.Operations))
			continue
		}
		op := doc.Operations[0]
		if op.Name != req.OperationName {
			t.Errorf("operationName %q does not name the operation %q", req.OperationName, op.Name)
		}
		vars := req.Variables
		if vars == nil {
			vars = map[string]any{}
		}
		if _, err := validator.VariableValues(schema, op, vars); err != nil {
			t.Errorf("operation %s: variables %s do not match their types: %v", req.OperationName, mustJSON(t, vars), err)
		}
	}
	if len(seen) < len(everyCall())/2 {
		t.Fatalf("only %d distinct requests captured", len(seen))
	}
}

// TestMutationVariableTypes pins the variable types of a few operations to
// the ones the real API declares, as a readable complement to the schema
// validation.
func TestMutationVariableTypes(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ sentRequest) {
		writeJSON(w, map[string]any{"data": nil})
	})
	c := api.client(t, func(o *Options) { o.MaxAttempts = 1 })
	_, _ = c.CreateStack(t.Context(), StackInput{Name: "n"}, CreateStackOptions{})
	_, _ = c.TriggerRun(t.Context(), "s", RunTypeTracked, "")
	_, _ = c.CreatePolicy(t.Context(), PolicyCreateInput{Name: "p"})
	_, _ = c.CreateDriftDetection(t.Context(), "s", DriftDetectionIntegrationInput{})
	_, _ = c.SearchStacksPage(t.Context(), SearchInput{})
	want := map[string][]string{
		"ApiKeyUser":                           {"$id:ID!", "$secret:String!"},
		"StackCreate":                          {"$m0_input: StackInput!", "$m0_manageState: Boolean!", "$m0_slug: String)"},
		"RunTrigger":                           {"$stack:ID!", "$commitSha:String", "$runType:RunType"},
		"PolicyCreateV2":                       {"$input:PolicyCreateInput!"},
		"StackIntegrationDriftDetectionCreate": {"$stack:ID!", "$input:DriftDetectionIntegrationInput!"},
		"SearchStacks":                         {"$input:SearchInput!"},
	}
	got := map[string]string{}
	for _, req := range api.sent() {
		got[req.OperationName] = req.Query
	}
	for op, decls := range want {
		q, ok := got[op]
		if !ok {
			t.Errorf("operation %s was not sent", op)
			continue
		}
		for _, d := range decls {
			if !strings.Contains(q, d) {
				t.Errorf("operation %s: want declaration %s in %s", op, d, q)
			}
		}
	}
}

// TestSchemaValidationRejectsMistakes guards the guard: the validation used
// above must reject the mistakes it is meant to catch.
func TestSchemaValidationRejectsMistakes(t *testing.T) {
	schema := loadSchema(t)
	for name, q := range map[string]string{
		"String for ID":  `query Q($id:String!){stack(id:$id){id}}`,
		"unknown field":  `query Q($id:ID!){stack(id:$id){id nope}}`,
		"unknown arg":    `mutation M($id:ID!){stackDelete(id:$id, force:true){id}}`,
		"wrong input":    `mutation M($input:StackCreateInput!){stackCreate(input:$input, manageState:true){id}}`,
		"nullable input": `mutation M($input:PolicyCreateInput){policyCreatev2(input:$input){id}}`,
	} {
		if _, errs := gqlparser.LoadQuery(schema, q); len(errs) == 0 {
			t.Errorf("%s: %s validated", name, q)
		}
	}
	doc, errs := gqlparser.LoadQuery(schema, `mutation M($t:RunType){runTrigger(stack:"s", runType:$t){id}}`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if _, err := validator.VariableValues(schema, doc.Operations[0], map[string]any{"t": "NIGHTLY"}); err == nil {
		t.Error("an invalid enum value validated")
	}
	doc, errs = gqlparser.LoadQuery(schema, `mutation M($c:ConfigInput!){stackConfigAdd(stack:"s", config:$c){id}}`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if _, err := validator.VariableValues(schema, doc.Operations[0], map[string]any{"c": map[string]any{
		"id": "A", "type": "ENVIRONMENT_VARIABLE", "value": "v", "writeOnly": false, "secret": true,
	}}); err == nil {
		t.Error("an unknown input field validated")
	}
}
