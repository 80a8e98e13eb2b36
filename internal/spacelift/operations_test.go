package spacelift

import (
	"context"
	"encoding/json"
	"fmt"
	goast "go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
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
		{"ListStackPolicies", func(ctx context.Context, c *Client) error { return ignore(c.ListStackPolicies(ctx, "s")) }},
		{"ListStackConfig", func(ctx context.Context, c *Client) error { return ignore(c.ListStackConfig(ctx, "s")) }},
		{"ListStackContexts", func(ctx context.Context, c *Client) error { return ignore(c.ListStackContexts(ctx, "s")) }},
		{"GetDriftDetection", func(ctx context.Context, c *Client) error { return ignore(c.GetDriftDetection(ctx, "s")) }},
		{"ListStackAWSIntegrations", func(ctx context.Context, c *Client) error { return ignore(c.ListStackAWSIntegrations(ctx, "s")) }},
		{"ListWebhooks", func(ctx context.Context, c *Client) error { return ignore(c.ListWebhooks(ctx, "s")) }},
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
	// that every field is validated and executed on its own, and a
	// document of several aliased fields.
	for _, m := range everyMutation(stackInput) {
		calls = append(calls, clientCall{"Apply", func(ctx context.Context, c *Client) error {
			return ignore(apply1(ctx, c, m))
		}})
	}
	calls = append(calls, clientCall{"Apply", func(ctx context.Context, c *Client) error {
		return ignore(c.Apply(ctx, "StackChanges", []Mutation{
			AddConfigMutation("s", EnvironmentVariable("TF_VAR_x", "1", true)),
			AddConfigMutation("s", EnvironmentVariable("TF_VAR_y", "2", false)),
		}))
	}})
	for _, v := range allVendors {
		in := stackInput
		in.VendorConfig = v
		calls = append(calls, clientCall{"UpdateStack", func(ctx context.Context, c *Client) error {
			return ignore(c.UpdateStack(ctx, "s", in))
		}})
	}
	return calls
}

// everyMutation builds a mutation with every constructor of batch.go, with
// every optional input field set so that each appears in a request.
func everyMutation(stackInput StackInput) []Mutation {
	config := EnvironmentVariable("TF_VAR_x", "1", true)
	config.Description = ptr("d")
	drift := DriftDetectionIntegrationInput{Reconcile: true, IgnoreState: true, Schedule: []string{"*/15 * * * *"}, Timezone: ptr("UTC")}
	reference := StackDependencyReferenceInput{
		OutputName: "vpc_id", InputName: "TF_VAR_vpc_id", Type: ptr(ConfigTypeEnvironmentVariable), TriggerAlways: ptr(true),
	}
	webhook := WebhooksIntegrationInput{Enabled: true, Endpoint: "https://example.com/hook", Secret: "shh", RetryOnFailure: ptr(true)}
	return []Mutation{
		UpdateStackMutation("s", stackInput),
		AddConfigMutation("s", config), DeleteConfigMutation("s", "TF_VAR_x"),
		AttachPolicyMutation("p", "s"), DetachPolicyMutation("a"),
		AttachContextMutation("ctx", "s", 1), DetachContextMutation("a"),
		CreateDriftDetectionMutation("s", drift), UpdateDriftDetectionMutation("s", drift), DeleteDriftDetectionMutation("s"),
		CreateDependencyMutation("s", "other"), DeleteDependencyMutation("d", "other"),
		AddDependencyReferenceMutation("d", reference), DeleteDependencyReferenceMutation("r", reference.InputName),
		AttachAWSIntegrationMutation("aws", "s", true, false), UpdateAWSIntegrationAttachmentMutation("a", true, true), DetachAWSIntegrationMutation("a"),
		CreateWebhookMutation("s", webhook), UpdateWebhookMutation("s", "w", webhook), DeleteWebhookMutation("s", "w", webhook.Endpoint),
	}
}

// constructorFields reads batch.go and maps the GraphQL field of each
// exported function that returns a Mutation to the function's name.
func constructorFields(t *testing.T) map[string]string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "batch.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range file.Decls {
		fn, ok := d.(*goast.FuncDecl)
		if !ok || fn.Recv != nil || !fn.Name.IsExported() || fn.Type.Results == nil || len(fn.Type.Results.List) != 1 {
			continue
		}
		if id, ok := fn.Type.Results.List[0].Type.(*goast.Ident); !ok || id.Name != "Mutation" {
			continue
		}
		field := ""
		goast.Inspect(fn.Body, func(n goast.Node) bool {
			if kv, ok := n.(*goast.KeyValueExpr); ok {
				key, isIdent := kv.Key.(*goast.Ident)
				lit, isLit := kv.Value.(*goast.BasicLit)
				if isIdent && isLit && key.Name == "Field" {
					field, _ = strconv.Unquote(lit.Value)
				}
			}
			return field == ""
		})
		if field == "" {
			t.Fatalf("%s builds a Mutation without a literal Field", fn.Name.Name)
		}
		out[field] = fn.Name.Name
	}
	if len(out) == 0 {
		t.Fatal("no mutation constructors found in batch.go")
	}
	return out
}

// TestEveryMutationConstructorIsExercised guards everyCall: every
// constructor of batch.go goes through Apply there, so its document is
// validated against the schema and run against the emulator.
func TestEveryMutationConstructorIsExercised(t *testing.T) {
	calls := slices.DeleteFunc(everyCall(), func(c clientCall) bool { return c.method != "Apply" })
	applied := map[string]bool{}
	for _, req := range sentBy(t, calls) {
		if req.OperationName == "StackChanges" {
			for _, f := range topLevelFields(t, req.Query) {
				applied[f] = true
			}
		}
	}
	var missing []string
	for field, constructor := range constructorFields(t) {
		if !applied[field] {
			missing = append(missing, constructor)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("constructors missing from everyMutation, so their fields are not validated against the schema: %v", missing)
	}
}

// sentBy runs calls against an API that answers every request with null
// data and returns the requests they sent.
func sentBy(t *testing.T, calls []clientCall) []sentRequest {
	t.Helper()
	api := newFakeAPI(t, func(w http.ResponseWriter, _ sentRequest) {
		writeJSON(w, map[string]any{"data": nil})
	})
	c := api.client(t, func(o *Options) { o.MaxAttempts = 1 })
	for _, call := range calls {
		_ = call.call(t.Context(), c)
	}
	return api.sent()
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
	seen := map[string]bool{}
	for _, req := range sentBy(t, everyCall()) {
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
	_, _ = apply1(t.Context(), c, CreateDriftDetectionMutation("s", DriftDetectionIntegrationInput{}))
	_, _ = c.SearchStacksPage(t.Context(), SearchInput{})
	want := map[string][]string{
		"ApiKeyUser":     {"$id:ID!", "$secret:String!"},
		"StackCreate":    {"$m0_input: StackInput!", "$m0_manageState: Boolean!", "$m0_slug: String)"},
		"RunTrigger":     {"$stack:ID!", "$commitSha:String", "$runType:RunType"},
		"PolicyCreateV2": {"$input:PolicyCreateInput!"},
		"StackChanges":   {"$m0_stack: ID!", "$m0_input: DriftDetectionIntegrationInput!"},
		"SearchStacks":   {"$input:SearchInput!"},
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

// TestMutationConstructorsMatchSchema puts a mutation of every constructor
// into one aliased document, validates it and its variables against the
// API schema, and requires each variable to declare exactly the type of the
// argument it feeds (validation alone accepts a non-null variable for a
// nullable argument) and every required argument to be passed.
func TestMutationConstructorsMatchSchema(t *testing.T) {
	schema := loadSchema(t)
	muts := everyMutation(StackInput{Name: "n", Repository: "r", Branch: "main"})
	doc, vars, _ := batchDocument("StackChanges", muts)
	parsed, errs := gqlparser.LoadQuery(schema, doc)
	if len(errs) > 0 {
		t.Fatalf("the document does not validate against the schema:\n%s\n%v", doc, errs)
	}
	op := parsed.Operations[0]
	var sent map[string]any // the variables as they travel, in JSON
	if err := json.Unmarshal([]byte(mustJSON(t, vars)), &sent); err != nil {
		t.Fatal(err)
	}
	if _, err := validator.VariableValues(schema, op, sent); err != nil {
		t.Errorf("variables %s do not match their types: %v", mustJSON(t, sent), err)
	}
	for i, m := range muts {
		field := schema.Mutation.Fields.ForName(m.Field)
		if field == nil {
			t.Errorf("%s: the schema has no mutation field %s", m.Desc, m.Field)
			continue
		}
		passed := map[string]bool{}
		for _, a := range m.Args {
			passed[a.Name] = true
			arg := field.Arguments.ForName(a.Name)
			decl := op.VariableDefinitions.ForName(fmt.Sprintf("m%d_%s", i, a.Name))
			switch {
			case arg == nil:
				t.Errorf("%s: %s takes no argument %s", m.Desc, m.Field, a.Name)
			case decl == nil:
				t.Errorf("%s: the document declares no variable for %s", m.Desc, a.Name)
			case decl.Type.String() != arg.Type.String() || a.Type != arg.Type.String():
				t.Errorf("%s: %s(%s:) is declared %s (Arg %s), the schema says %s", m.Desc, m.Field, a.Name, decl.Type, a.Type, arg.Type)
			}
		}
		for _, arg := range field.Arguments {
			if arg.Type.NonNull && arg.DefaultValue == nil && !passed[arg.Name] {
				t.Errorf("%s: the required argument %s of %s is not passed", m.Desc, arg.Name, m.Field)
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
