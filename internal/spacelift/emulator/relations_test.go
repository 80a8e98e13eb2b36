package emulator

import (
	"testing"
)

const depCreateDoc = `mutation($input: StackDependencyInput!) { stackDependencyCreate(input: $input) { id stack { id } dependsOnStack { id name } } }`

func (c *apiClient) dependOn(stack, on string) string {
	c.t.Helper()
	var out struct{ StackDependencyCreate struct{ ID string } }
	c.ok(depCreateDoc, map[string]any{"input": map[string]any{"stackId": stack, "dependsOnStackId": on}}, &out)
	return out.StackDependencyCreate.ID
}

func TestDependenciesRefuseDeleteAndCycles(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	for _, n := range []string{"network", "cluster", "app"} {
		c.createStack(n, nil)
	}
	clusterOnNetwork := c.dependOn("cluster", "network")
	c.dependOn("app", "cluster")

	const del = `mutation($id: ID!) { stackDelete(id: $id) { id } }`
	c.fails(del, map[string]any{"id": "network"}, "cluster depend on it")

	in := func(stack, on string) map[string]any {
		return map[string]any{"input": map[string]any{"stackId": stack, "dependsOnStackId": on}}
	}
	c.fails(depCreateDoc, in("network", "app"), "dependency cycle")
	c.fails(depCreateDoc, in("network", "network"), "cannot depend on itself")
	c.fails(depCreateDoc, in("cluster", "network"), "already depends")

	var read struct {
		Stack struct {
			DependsOn      []struct{ DependsOnStack struct{ ID string } }
			IsDependedOnBy []struct{ Stack struct{ ID string } }
			Dependency     *struct{ ID string }
		}
	}
	c.ok(`query($id: ID!, $on: ID!) { stack(id: $id) { dependsOn { dependsOnStack { id } } isDependedOnBy { stack { id } } dependency(dependsOnStackId: $on) { id } } }`,
		map[string]any{"id": "cluster", "on": "network"}, &read)
	if len(read.Stack.DependsOn) != 1 || read.Stack.DependsOn[0].DependsOnStack.ID != "network" ||
		len(read.Stack.IsDependedOnBy) != 1 || read.Stack.IsDependedOnBy[0].Stack.ID != "app" ||
		read.Stack.Dependency == nil || read.Stack.Dependency.ID != clusterOnNetwork {
		t.Fatalf("dependency graph read back as %+v", read.Stack)
	}

	const addRef = `mutation($dep: ID!, $ref: StackDependencyReferenceInput!) { stackDependenciesAddReference(stackDependencyID: $dep, reference: $ref) { id inputName type triggerAlways } }`
	var ref struct {
		StackDependenciesAddReference struct{ ID, InputName, Type string }
	}
	c.ok(addRef, map[string]any{"dep": clusterOnNetwork, "ref": map[string]any{"outputName": "vpc_id", "inputName": "TF_VAR_vpc_id"}}, &ref)
	if ref.StackDependenciesAddReference.Type != "ENVIRONMENT_VARIABLE" {
		t.Errorf("reference type = %q, want ENVIRONMENT_VARIABLE", ref.StackDependenciesAddReference.Type)
	}
	c.fails(addRef, map[string]any{"dep": clusterOnNetwork, "ref": map[string]any{"outputName": "other", "inputName": "TF_VAR_vpc_id"}}, "already set")

	var deleted struct{ StackDependencyDelete *struct{ ID string } }
	c.ok(`mutation($id: ID!) { stackDependencyDelete(id: $id) { id } }`, map[string]any{"id": clusterOnNetwork}, &deleted)
	if deleted.StackDependencyDelete == nil {
		t.Fatal("stackDependencyDelete returned null for an existing dependency")
	}
	c.ok(del, map[string]any{"id": "network"}, nil)
}

const policyCreateDoc = `mutation($input: PolicyCreateInput!) { policyCreatev2(input: $input) { id name type engineType labels } }`

const attachedPoliciesDoc = `query($id: ID!) { stack(id: $id) { attachedPolicies { id policyId policyName policyType isAutoattached } } }`

type attachedPolicies struct {
	Stack struct {
		AttachedPolicies []struct {
			ID, PolicyID, PolicyType string
			IsAutoattached           bool
		}
	}
}

func TestPoliciesAutoattachAndAttach(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	c.createStack("prod-app", map[string]any{"labels": []string{"prod"}})
	c.createStack("dev-app", map[string]any{"labels": []string{"dev"}})

	var p struct {
		PolicyCreatev2 struct{ ID, Type, EngineType string }
	}
	c.ok(policyCreateDoc, map[string]any{"input": map[string]any{
		"name": "Plan Guard", "body": "package spacelift\ndeny[\"no\"] { false }", "type": "TERRAFORM_PLAN",
		"labels": []string{"autoattach:prod"},
	}}, &p)
	if p.PolicyCreatev2.ID != "plan-guard" || p.PolicyCreatev2.Type != "PLAN" || p.PolicyCreatev2.EngineType != "REGO_V0" {
		t.Fatalf("created policy %+v, want plan-guard of type PLAN (deprecated name mapped) on REGO_V0", p.PolicyCreatev2)
	}
	c.fails(policyCreateDoc, map[string]any{"input": map[string]any{"name": "Bad", "body": "package x", "type": "NOT_A_TYPE"}}, "NOT_A_TYPE")
	c.fails(policyCreateDoc, map[string]any{"input": map[string]any{"name": "No package", "body": "deny { true }", "type": "PLAN"}}, "missing package")

	var prod, dev attachedPolicies
	c.ok(attachedPoliciesDoc, map[string]any{"id": "prod-app"}, &prod)
	c.ok(attachedPoliciesDoc, map[string]any{"id": "dev-app"}, &dev)
	if len(prod.Stack.AttachedPolicies) != 1 || !prod.Stack.AttachedPolicies[0].IsAutoattached || prod.Stack.AttachedPolicies[0].PolicyID != "plan-guard" {
		t.Fatalf("prod stack policies = %+v, want plan-guard autoattached", prod.Stack.AttachedPolicies)
	}
	if len(dev.Stack.AttachedPolicies) != 0 {
		t.Fatalf("dev stack got policies %+v", dev.Stack.AttachedPolicies)
	}
	c.fails(`mutation($id: ID!) { policyDetach(id: $id) { id } }`, map[string]any{"id": prod.Stack.AttachedPolicies[0].ID}, "autoattached")

	c.ok(policyCreateDoc, map[string]any{"input": map[string]any{"name": "Trigger", "body": "package spacelift", "type": "TRIGGER", "engineType": "REGO_V1"}}, nil)
	var att struct {
		PolicyAttach struct {
			ID, StackID    string
			IsAutoattached bool
		}
	}
	c.ok(`mutation($id: ID!, $stack: ID!) { policyAttach(id: $id, stack: $stack) { id stackId isAutoattached } }`,
		map[string]any{"id": "trigger", "stack": "dev-app"}, &att)
	c.fails(`mutation($id: ID!, $stack: ID!) { policyAttach(id: $id, stack: $stack) { id } }`,
		map[string]any{"id": "trigger", "stack": "dev-app"}, "already attached")
	c.ok(attachedPoliciesDoc, map[string]any{"id": "dev-app"}, &dev)
	if len(dev.Stack.AttachedPolicies) != 1 || dev.Stack.AttachedPolicies[0].IsAutoattached || dev.Stack.AttachedPolicies[0].ID != att.PolicyAttach.ID {
		t.Fatalf("dev stack policies after attach = %+v", dev.Stack.AttachedPolicies)
	}
	var det struct{ PolicyDetach *struct{ ID string } }
	c.ok(`mutation($id: ID!) { policyDetach(id: $id) { id } }`, map[string]any{"id": att.PolicyAttach.ID}, &det)
	c.ok(attachedPoliciesDoc, map[string]any{"id": "dev-app"}, &dev)
	if det.PolicyDetach == nil || len(dev.Stack.AttachedPolicies) != 0 {
		t.Fatalf("detach left %+v", dev.Stack.AttachedPolicies)
	}

	// Relabelling the stack drops the autoattached policy.
	c.ok(`mutation($id: ID!, $input: StackInput!) { stackUpdate(id: $id, input: $input) { id } }`, map[string]any{
		"id": "prod-app", "input": map[string]any{"name": "prod-app", "repository": "infra", "branch": "main", "administrative": false, "autodeploy": false, "labels": []string{"staging"}}}, nil)
	c.ok(attachedPoliciesDoc, map[string]any{"id": "prod-app"}, &prod)
	if len(prod.Stack.AttachedPolicies) != 0 {
		t.Fatalf("policies after relabel = %+v", prod.Stack.AttachedPolicies)
	}
}

func TestSeededObjectsContextsAwsAndRoleBindings(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	if err := h.Seed(Seed{
		Spaces:          []SeedSpace{{ID: "platform", Name: "Platform"}},
		WorkerPools:     []SeedWorkerPool{{ID: "01POOL", Name: "private", Space: "platform"}},
		Contexts:        []SeedContext{{ID: "shared", Name: "Shared", Labels: []string{"autoattach:k8s"}, Config: []SeedConfig{{ID: "PASSWORD", Value: "x", WriteOnly: true}}}},
		AWSIntegrations: []SeedAWSIntegration{{ID: "01AWS", Name: "prod-aws", RoleArn: "arn:aws:iam::1:role/x"}},
	}); err != nil {
		t.Fatal(err)
	}
	c.createStack("k8s", map[string]any{"space": "platform", "workerPool": "01POOL", "labels": []string{"k8s"}})
	c.fails(createStackDoc, stackInputVars("pool", map[string]any{"workerPool": "missing"}), `worker pool "missing" not found`)

	var ctxAtt struct {
		ContextAttach struct {
			ID       string
			Priority int
		}
	}
	c.fails(`mutation($id: ID!, $stack: ID!, $priority: Int!) { contextAttach(id: $id, stack: $stack, priority: $priority) { id } }`,
		map[string]any{"id": "nope", "stack": "k8s", "priority": 1}, "not found")
	if err := h.Seed(Seed{Contexts: []SeedContext{{ID: "extra", Name: "Extra"}}}); err != nil {
		t.Fatal(err)
	}
	c.ok(`mutation($id: ID!, $stack: ID!, $priority: Int!) { contextAttach(id: $id, stack: $stack, priority: $priority) { id priority } }`,
		map[string]any{"id": "extra", "stack": "k8s", "priority": 3}, &ctxAtt)

	var aws struct {
		AwsIntegrationAttach struct {
			ID          string
			Read, Write bool
		}
	}
	c.ok(`mutation($id: ID!, $stack: ID!, $read: Boolean!, $write: Boolean!) { awsIntegrationAttach(id: $id, stack: $stack, read: $read, write: $write) { id read write } }`,
		map[string]any{"id": "01AWS", "stack": "k8s", "read": true, "write": false}, &aws)

	var rb struct {
		StackRoleBindingCreate struct {
			ID      string
			Role    struct{ Slug string }
			StackID string
		}
	}
	c.ok(`mutation($input: StackRoleBindingInput!) { stackRoleBindingCreate(input: $input) { id role { slug } stackID } }`,
		map[string]any{"input": map[string]any{"roleID": "space-admin", "stackID": "k8s", "spaceID": "platform"}}, &rb)

	var read struct {
		Stack struct {
			SpaceDetails     struct{ Name string }
			WorkerPool       *struct{ ID, Name string }
			AttachedContexts []struct {
				ContextID      string
				IsAutoattached bool
				Priority       int
				Config         []struct {
					ID    string
					Value *string
				}
			}
			AttachedAwsIntegrations []struct {
				IntegrationID string
				Read, Write   bool
			}
		}
		StackRoleBinding *struct{ Space struct{ ID string } }
		Space            *struct{ Name string }
		WorkerPools      []struct{ ID string }
	}
	c.ok(`query($id: ID!, $rb: ID!) {
  stack(id: $id) { spaceDetails { name } workerPool { id name }
    attachedContexts { contextId isAutoattached priority config { id value } }
    attachedAwsIntegrations { integrationId read write } }
  stackRoleBinding(id: $rb) { space { id } }
  space(id: "platform") { name }
  workerPools { id }
}`, map[string]any{"id": "k8s", "rb": rb.StackRoleBindingCreate.ID}, &read)
	s := read.Stack
	if s.SpaceDetails.Name != "Platform" || s.WorkerPool == nil || s.WorkerPool.Name != "private" || read.Space == nil || len(read.WorkerPools) != 1 {
		t.Errorf("space/pool reads: %+v %+v %+v", s.SpaceDetails, s.WorkerPool, read.Space)
	}
	if len(s.AttachedContexts) != 2 {
		t.Fatalf("attached contexts = %+v, want autoattached shared and explicit extra", s.AttachedContexts)
	}
	for _, a := range s.AttachedContexts {
		switch a.ContextID {
		case "shared":
			if !a.IsAutoattached || len(a.Config) != 1 || a.Config[0].Value != nil {
				t.Errorf("shared context attachment %+v: want autoattached with write-only value hidden", a)
			}
		case "extra":
			if a.IsAutoattached || a.Priority != 3 {
				t.Errorf("extra context attachment %+v", a)
			}
		}
	}
	if len(s.AttachedAwsIntegrations) != 1 || !s.AttachedAwsIntegrations[0].Read || s.AttachedAwsIntegrations[0].Write {
		t.Errorf("aws attachments = %+v", s.AttachedAwsIntegrations)
	}
	if read.StackRoleBinding == nil || read.StackRoleBinding.Space.ID != "platform" || rb.StackRoleBindingCreate.Role.Slug != "space-admin" {
		t.Errorf("role binding = %+v / %+v", read.StackRoleBinding, rb.StackRoleBindingCreate)
	}
}
