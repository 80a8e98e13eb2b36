package spacelift

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	graphql "github.com/hasura/go-graphql-client"
)

func TestBatchDocument(t *testing.T) {
	doc, vars, idempotent := batchDocument("StackChanges", []Mutation{
		AttachPolicyMutation("p", "app"),
		DeleteConfigMutation("app", "OLD"),
	})
	want := "mutation StackChanges($m0_id: ID!, $m0_stack: ID!, $m1_stack: ID!, $m1_id: ID!) {" +
		" m0: policyAttach(id: $m0_id, stack: $m0_stack) { id }" +
		" m1: stackConfigDelete(stack: $m1_stack, id: $m1_id) { __typename } }"
	if doc != want {
		t.Errorf("document\n got %s\nwant %s", doc, want)
	}
	if len(vars) != 4 || vars["m1_id"] != any(idArg("", "OLD").Value) {
		t.Errorf("variables = %v", vars)
	}
	if idempotent {
		t.Error("a batch with an attach must not count as idempotent")
	}
	if _, _, idem := batchDocument("X", []Mutation{DeleteConfigMutation("app", "A")}); !idem {
		t.Error("a batch of deletes must count as idempotent")
	}
}

// Every sub-resource change of a stack goes out in one request, executed in
// order, and one read then sees all of it.
func TestEmulatorApplyMixedBatch(t *testing.T) {
	h, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "app")
	mustStack(t, c, "upstream")
	pol, err := c.CreatePolicy(ctx, PolicyCreateInput{Name: "plan", Type: PolicyTypePlan, Body: "package spacelift"})
	if err != nil {
		t.Fatal(err)
	}
	before := len(h.Operations())
	answers, err := c.Apply(ctx, "StackChanges", []Mutation{
		AddConfigMutation("app", EnvironmentVariable("REGION", "us-east-1", false)),
		AttachPolicyMutation(pol.ID, "app"),
		CreateDriftDetectionMutation("app", DriftDetectionIntegrationInput{Schedule: []string{"*/15 * * * *"}}),
		CreateDependencyMutation("app", "upstream"),
		AddConfigMutation("app", EnvironmentVariable("REGION", "eu-west-1", false)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.Operations()) - before; n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	depID, err := AnswerID(answers[3])
	if err != nil {
		t.Fatal(err)
	}
	before = len(h.Operations())
	snap, err := c.ObserveStack(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.Operations()) - before; n != 1 {
		t.Errorf("observing took %d requests, want 1", n)
	}
	if len(snap.Config) != 1 || *snap.Config[0].Value != "eu-west-1" {
		t.Errorf("config = %+v; want REGION=eu-west-1 (the later element)", snap.Config)
	}
	if !slices.ContainsFunc(snap.Policies, func(a StackPolicyAttachment) bool { return a.PolicyID == pol.ID }) {
		t.Errorf("policies = %+v", snap.Policies)
	}
	if snap.Stack.DriftDetection == nil || len(snap.Dependencies) != 1 || snap.Dependencies[0].ID != depID {
		t.Errorf("drift detection %+v, dependencies %+v (created %s)", snap.Stack.DriftDetection, snap.Dependencies, depID)
	}

	// A refused mutation fails the request; the one before it landed, and
	// the error names the batch and is invalid input.
	_, err = c.Apply(ctx, "StackChanges", []Mutation{
		AddConfigMutation("app", EnvironmentVariable("B", "1", false)),
		AttachPolicyMutation(pol.ID, "app"),
	})
	if !IsInvalidInput(err) || !strings.Contains(err.Error(), "attach policy "+pol.ID) {
		t.Fatalf("err = %v; want invalid input naming the batch", err)
	}
	snap, err = c.ObserveStack(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(snap.Config, func(e ConfigElement) bool { return e.ID == "B" }) {
		t.Errorf("the mutation before the refused one did not land: %+v", snap.Config)
	}
	if _, err := c.ObserveStack(ctx, "missing"); !IsNotFound(err) {
		t.Errorf("observing a missing stack: %v, want not found", err)
	}
}

// Changes that concurrent callers hand over while the rate limiter holds
// requests back go out together, and each caller gets its own answers.
func TestEmulatorApplyCoalesces(t *testing.T) {
	h, setup := startEmulator(t)
	ctx := t.Context()
	const n = 24
	for i := range n {
		mustStack(t, setup, fmt.Sprintf("s%d", i))
	}
	id, secret := h.APIKey()
	c := newTestClient(t, h.URL, id, secret, func(o *Options) { o.QPS, o.Burst = 5, 1 })
	if _, err := c.ObserveStack(ctx, "s0"); err != nil { // logs in
		t.Fatal(err)
	}
	before := len(h.Operations())
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			stack := fmt.Sprintf("s%d", i)
			answers, err := c.Apply(ctx, "StackChanges", []Mutation{
				AddConfigMutation(stack, EnvironmentVariable("A", stack, false)),
				AddConfigMutation(stack, EnvironmentVariable("B", stack, false)),
			})
			if err == nil && (len(answers) != 2 || !strings.Contains(string(answers[1]), `"B"`)) {
				err = fmt.Errorf("answers %s", answers)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	requests := len(h.Operations()) - before
	if requests > n/4 {
		t.Errorf("%d requests for %d callers at 5 requests/s; want the changes merged into at most %d", requests, n, n/4)
	}
	for i := range n {
		snap, err := setup.ObserveStack(ctx, fmt.Sprintf("s%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Config) != 2 {
			t.Errorf("stack s%d has config %+v", i, snap.Config)
		}
	}
	t.Logf("%d callers, %d requests", n, requests)
}

func TestOwnError(t *testing.T) {
	doc := &Error{Operation: "StackChanges", Kind: KindInvalidInput, Messages: []string{"policy is already attached", "no such context"}, Aliases: []string{"m1", "m4"}}
	mine := ownError(doc, 0, 2)
	var e *Error
	if !errors.As(mine, &e) || e.Kind != KindInvalidInput || len(e.Messages) != 1 || e.Messages[0] != "policy is already attached" {
		t.Errorf("the first group's error = %v", mine)
	}
	other := ownError(doc, 2, 4)
	if !IsTransient(other) || !errors.Is(other, errSharedFailure) {
		t.Errorf("a group whose fields raised nothing: %v, want the transient shared failure", other)
	}
	whole := &Error{Operation: "StackChanges", Kind: KindTransient, StatusCode: 503}
	if got := ownError(whole, 2, 4); got != error(whole) {
		t.Errorf("an error without messages belongs to every group: %v", got)
	}
	limited := &Error{Operation: "StackChanges", Kind: KindRateLimited, Messages: []string{"Too Many Requests"}, Aliases: []string{""}}
	if got := ownError(limited, 2, 4); got != error(limited) {
		t.Errorf("a message that names no field belongs to every group: %v", got)
	}
	// A validation error names a variable: another caller's value in it
	// must not reach this caller.
	invalid := &Error{Operation: "StackChanges", Kind: KindInvalidInput, Aliases: []string{""},
		Messages: []string{`Variable "$m3_config" got invalid value {"id": "team-a-secret-name"}`}}
	if got := ownError(invalid, 0, 2); strings.Contains(got.Error(), "team-a") || !IsTransient(got) {
		t.Errorf("another group's validation error reached this one: %v", got)
	}
	if got := ownError(invalid, 2, 4); !IsInvalidInput(got) || !strings.Contains(got.Error(), "m3_config") {
		t.Errorf("the group's own validation error: %v", got)
	}
}

// Snapshot pages are decoded with encoding/json; the GraphQL client's own
// decoder must read the same answer into the same snapshots, for every
// vendor and every sub-resource.
func TestSnapshotDecodersAgree(t *testing.T) {
	_, c := startEmulator(t)
	ctx := t.Context()
	vendors := map[string]*VendorConfigInput{
		"tf":    {Terraform: &TerraformInput{Version: ptr("1.9.8"), WorkflowTool: ptr(WorkflowToolOpenTofu), Workspace: ptr("w")}},
		"tofu":  {OpenTofu: &OpenTofuInput{Version: ptr("1.8.0"), Workspace: ptr("t")}},
		"tg":    {Terragrunt: &TerragruntInput{TerraformVersion: ptr("1.5.7"), TerragruntVersion: ptr("0.55.0"), UseRunAll: true}},
		"pul":   {Pulumi: &PulumiInput{LoginURL: "s3://b", StackName: "dev"}},
		"cf":    {CloudFormation: &CloudFormationInput{EntryTemplateFile: "t.yml", Region: "eu-west-1", StackName: "s", TemplateBucket: "b"}},
		"k8s":   {Kubernetes: &KubernetesInput{Namespace: "ns", KubectlVersion: ptr("1.30")}},
		"ansib": {Ansible: &AnsibleInput{Playbook: "site.yml"}},
	}
	created := map[string]*Stack{}
	for name, v := range vendors {
		st, err := c.CreateStack(ctx, StackInput{Name: name, Repository: "infra", Branch: "main", Labels: []string{"team:x"}, VendorConfig: v},
			CreateStackOptions{ManageState: true, Slug: name})
		if err != nil {
			t.Fatalf("creating %s: %v", name, err)
		}
		created[name] = st
	}
	// The create's answer is decoded with encoding/json too.
	for name, st := range created {
		var q struct {
			Stack stackFields `graphql:"stack(id: $id)"`
		}
		if err := c.do(ctx, query("StackRead"), &q, map[string]any{"id": graphql.ID(name)}); err != nil {
			t.Fatal(err)
		}
		if want := q.Stack.stack(); !reflect.DeepEqual(st, want) {
			t.Errorf("%s: the create's answer decoded as\n%+v\nthe GraphQL client reads it as\n%+v", name, st, want)
		}
	}
	pol, err := c.CreatePolicy(ctx, PolicyCreateInput{Name: "plan", Type: PolicyTypePlan, Body: "package spacelift"})
	if err != nil {
		t.Fatal(err)
	}
	answers, err := c.Apply(ctx, "StackChanges", []Mutation{
		AddConfigMutation("tf", EnvironmentVariable("REGION", "eu-west-1", false)),
		AddConfigMutation("tf", EnvironmentVariable("TOKEN", "s", true)),
		AttachPolicyMutation(pol.ID, "tf"),
		CreateDriftDetectionMutation("tf", DriftDetectionIntegrationInput{Schedule: []string{"0 * * * *"}}),
		CreateDependencyMutation("tf", "tofu"),
		CreateWebhookMutation("tf", WebhooksIntegrationInput{Enabled: true, Endpoint: "https://example.com/h", Secret: "x"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := AnswerID(answers[4])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apply(ctx, "StackChanges", []Mutation{AddDependencyReferenceMutation(dep, StackDependencyReferenceInput{OutputName: "vpc", InputName: "TF_VAR_vpc"})}); err != nil {
		t.Fatal(err)
	}

	page, err := c.SearchStackSnapshotPage(ctx, SearchInput{})
	if err != nil {
		t.Fatal(err)
	}
	var viaClient snapshotPageQuery
	if err := c.do(ctx, query("SearchStackSnapshot"), &viaClient, map[string]any{"input": withPageSize(SearchInput{})}); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != len(vendors) || len(viaClient.Search.Edges) != len(vendors) {
		t.Fatalf("%d and %d snapshots, want %d", len(page.Items), len(viaClient.Search.Edges), len(vendors))
	}
	for i, got := range page.Items {
		want := viaClient.Search.Edges[i].Node.snapshot()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("stack %s decodes differently:\nencoding/json %+v\nclient        %+v", got.Stack.ID, *got.Stack, *want.Stack)
		}
		if got.Stack.VendorConfig == (VendorConfigInput{}) {
			t.Errorf("stack %s: no vendor decoded", got.Stack.ID)
		}
	}
	one, err := c.ObserveStack(ctx, "tf")
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Config) != 2 || len(one.Policies) != 1 || len(one.Dependencies) != 1 || len(one.Dependencies[0].References) != 1 ||
		len(one.Stack.Webhooks) != 1 || one.Stack.DriftDetection == nil || one.Stack.VendorConfig.Terraform == nil {
		t.Errorf("ObserveStack(tf) = %+v, stack %+v", one, *one.Stack)
	}
}
