package spacelift

import (
	"slices"
	"strings"
	"testing"
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
