package emulator

import (
	"encoding/json"
	"reflect"
	"testing"
)

// batchDoc is one document of aliased mutations of different kinds, as the
// operator sends a stack's sub-resources. m1 and m4 set the same config
// element: GraphQL runs the fields in document order, so m4's value stays.
const batchDoc = `mutation Batch($stack: ID!, $policy: ID!, $context: ID!, $dep: ID!) {
  m0: policyAttach(id: $policy, stack: $stack) { id }
  m1: stackConfigAdd(stack: $stack, config: {id: "REGION", type: ENVIRONMENT_VARIABLE, value: "first", writeOnly: false}) { id value }
  m2: contextAttach(id: $context, stack: $stack, priority: 3) { id }
  m3: stackIntegrationDriftDetectionCreate(stack: $stack, input: {ignoreState: false, reconcile: true, schedule: ["*/15 * * * *"]}) { id }
  m4: stackConfigAdd(stack: $stack, config: {id: "REGION", type: ENVIRONMENT_VARIABLE, value: "second", writeOnly: false}) { id value }
  m5: stackDependencyCreate(input: {stackId: $stack, dependsOnStackId: $dep}) { id }
}`

const batchReadDoc = `query($id: ID!) { stack(id: $id) {
  attachedPolicies { policyId }
  attachedContexts { contextId priority }
  config { id value }
  integrations { driftDetection { reconcile schedule } }
  dependsOn { dependsOnStack { id } }
} }`

type batchRead struct {
	Stack struct {
		AttachedPolicies []struct{ PolicyID string }
		AttachedContexts []struct {
			ContextID string
			Priority  int
		}
		Config       []struct{ ID, Value string }
		Integrations struct {
			DriftDetection *struct {
				Reconcile bool
				Schedule  []string
			}
		}
		DependsOn []struct {
			DependsOnStack struct{ ID string }
		}
	}
}

// batchWorld creates a stack with what batchDoc attaches: a policy, a
// context and a stack to depend on. It returns the document's variables.
func batchWorld(c *apiClient) map[string]any {
	c.t.Helper()
	stack := c.createStack("Batched", nil)
	dep := c.createStack("Upstream", nil)
	var pol struct{ PolicyCreatev2 struct{ ID string } }
	c.ok(policyCreateDoc, map[string]any{"input": map[string]any{"name": "Plan", "body": "package spacelift", "type": "PLAN"}}, &pol)
	var ctx struct{ ContextCreateV2 struct{ ID string } }
	c.ok(`mutation($in: ContextInput!) { contextCreateV2(input: $in) { id } }`, map[string]any{"in": map[string]any{"name": "Shared"}}, &ctx)
	return map[string]any{"stack": stack, "policy": pol.PolicyCreatev2.ID, "context": ctx.ContextCreateV2.ID, "dep": dep}
}

func TestMutationDocumentRunsEveryFieldInOrder(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	vars := batchWorld(c)

	var data map[string]json.RawMessage
	c.ok(batchDoc, vars, &data)
	for _, alias := range []string{"m0", "m1", "m2", "m3", "m4", "m5"} {
		if string(data[alias]) == "" || string(data[alias]) == "null" {
			t.Errorf("answer of %s is %s", alias, data[alias])
		}
	}
	if got := string(data["m1"]) + string(data["m4"]); got != `{"id":"REGION","value":"first"}{"id":"REGION","value":"second"}` {
		t.Errorf("config answers in order: %s", got)
	}

	var read batchRead
	c.ok(batchReadDoc, map[string]any{"id": vars["stack"]}, &read)
	st := read.Stack
	if len(st.AttachedPolicies) != 1 || st.AttachedPolicies[0].PolicyID != vars["policy"] {
		t.Errorf("attached policies %+v", st.AttachedPolicies)
	}
	if len(st.AttachedContexts) != 1 || st.AttachedContexts[0].ContextID != vars["context"] || st.AttachedContexts[0].Priority != 3 {
		t.Errorf("attached contexts %+v", st.AttachedContexts)
	}
	if !reflect.DeepEqual(st.Config, []struct{ ID, Value string }{{"REGION", "second"}}) {
		t.Errorf("config %+v, want REGION=second (the later field wins)", st.Config)
	}
	if dd := st.Integrations.DriftDetection; dd == nil || !dd.Reconcile || len(dd.Schedule) != 1 {
		t.Errorf("drift detection %+v", dd)
	}
	if len(st.DependsOn) != 1 || st.DependsOn[0].DependsOnStack.ID != vars["dep"] {
		t.Errorf("dependencies %+v", st.DependsOn)
	}
}

// A field that fails in the middle of a document does not stop the ones
// after it, as with Spacelift's gqlgen server: every field runs, the error
// names the field by its alias, and because the failed field is non-null
// the answer's data is null, so the client learns what landed by reading.
func TestMutationDocumentRunsPastAFailedField(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	vars := batchWorld(c)
	vars["context"] = "no-such-context"

	resp := c.post(batchDoc, vars)
	if string(resp.Data) != "null" {
		t.Errorf("data is %s, want null: m2 is non-null and failed", resp.Data)
	}
	if len(resp.Errors) != 1 || !reflect.DeepEqual(resp.Errors[0].Path, []any{"m2"}) {
		t.Fatalf("errors %+v, want one at path [m2]", resp.Errors)
	}

	var read batchRead
	c.ok(batchReadDoc, map[string]any{"id": vars["stack"]}, &read)
	st := read.Stack
	if len(st.AttachedPolicies) != 1 {
		t.Errorf("m0 (before the failure) did not land: %+v", st.AttachedPolicies)
	}
	if len(st.AttachedContexts) != 0 {
		t.Errorf("the failed m2 attached %+v", st.AttachedContexts)
	}
	if !reflect.DeepEqual(st.Config, []struct{ ID, Value string }{{"REGION", "second"}}) {
		t.Errorf("config %+v, want m1 then m4 to have run", st.Config)
	}
	if st.Integrations.DriftDetection == nil || len(st.DependsOn) != 1 {
		t.Errorf("m3 and m5 (after the failure) did not land: drift %+v, dependencies %+v", st.Integrations.DriftDetection, st.DependsOn)
	}
}
