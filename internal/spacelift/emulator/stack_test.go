package emulator

import (
	"testing"
	"time"
)

const stackReadDoc = `query StackRead($id: ID!) {
  stack(id: $id) {
    id name description labels branch repository autodeploy protectFromDeletion managesStateFile state space
    isDisabled deleting provider githubActionDeploy
    spaceDetails { id name }
    vendorConfig { __typename ... on StackConfigVendorTerraform { version workflowTool } ... on StackConfigVendorPulumi { loginURL stackName } }
    config { id type value writeOnly checksum }
  }
}`

type stackRead struct {
	Stack *struct {
		ID, Name, Branch, Repository, State, Space, Provider string
		Description                                          *string
		Labels                                               []string
		Autodeploy, ProtectFromDeletion, ManagesStateFile    bool
		IsDisabled, Deleting, GithubActionDeploy             bool
		SpaceDetails                                         struct{ ID string }
		VendorConfig                                         struct {
			Typename     string  `json:"__typename"`
			Version      *string `json:"version"`
			WorkflowTool *string `json:"workflowTool"`
			LoginURL     string  `json:"loginURL"`
		}
		Config []struct {
			ID, Type, Checksum string
			Value              *string
			WriteOnly          bool
		}
	}
}

func TestStackCreateReadUpdateDelete(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)

	id := c.createStack("My Stack: Prod #1", map[string]any{
		"labels": []string{"team:core", "prod"}, "description": "first",
		"vendorConfig": map[string]any{"terraform": map[string]any{"version": "1.9.0", "workflowTool": "OPEN_TOFU"}},
	})
	if id != "my-stack-prod-1" {
		t.Fatalf("id = %q, want slug my-stack-prod-1", id)
	}
	c.fails(createStackDoc, stackInputVars("my stack prod 1", nil), `stack with slug "my-stack-prod-1" already exists`)
	c.fails(createStackDoc, stackInputVars("   ", nil), "name can't be empty")
	c.fails(createStackDoc, stackInputVars("In space", map[string]any{"space": "nope"}), `space "nope" not found`)

	var got stackRead
	c.ok(stackReadDoc, map[string]any{"id": id}, &got)
	s := got.Stack
	if s == nil || s.Name != "My Stack: Prod #1" || s.State != "NONE" || !s.ManagesStateFile || s.Space != "root" ||
		s.SpaceDetails.ID != "root" || s.Provider != "GITHUB" || !s.GithubActionDeploy {
		t.Fatalf("unexpected stack %+v", s)
	}
	if s.VendorConfig.Typename != "StackConfigVendorTerraform" || *s.VendorConfig.Version != "1.9.0" || *s.VendorConfig.WorkflowTool != "OPEN_TOFU" {
		t.Errorf("vendorConfig = %+v", s.VendorConfig)
	}

	// stackUpdate replaces the configuration: labels and description left out are cleared.
	var upd struct{ StackUpdate struct{ ID, Name string } }
	c.ok(`mutation($id: ID!, $input: StackInput!) { stackUpdate(id: $id, input: $input) { id name } }`, map[string]any{
		"id": id, "input": map[string]any{"name": "Renamed", "repository": "infra", "branch": "dev", "administrative": false, "autodeploy": true,
			"vendorConfig": map[string]any{"pulumi": map[string]any{"loginURL": "s3://state", "stackName": "prod"}}},
	}, &upd)
	c.ok(stackReadDoc, map[string]any{"id": id}, &got)
	if upd.StackUpdate.ID != id || got.Stack.Name != "Renamed" || len(got.Stack.Labels) != 0 || got.Stack.Description != nil ||
		got.Stack.Branch != "dev" || !got.Stack.Autodeploy || got.Stack.VendorConfig.Typename != "StackConfigVendorPulumi" {
		t.Errorf("after update: %+v", got.Stack)
	}

	var del struct {
		StackDelete *struct {
			ID                string
			Deleted, Deleting bool
		}
	}
	c.ok(`mutation($id: ID!) { stackDelete(id: $id) { id deleted deleting } }`, map[string]any{"id": id}, &del)
	if del.StackDelete == nil || !del.StackDelete.Deleted || del.StackDelete.Deleting {
		t.Errorf("stackDelete returned %+v", del.StackDelete)
	}
	c.ok(stackReadDoc, map[string]any{"id": id}, &got)
	if got.Stack != nil {
		t.Errorf("deleted stack still readable: %+v", got.Stack)
	}
}

func TestCustomSlugAndEnableDisable(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	var out struct{ StackCreate struct{ ID string } }
	vars := stackInputVars("Anything", nil)
	vars["slug"] = "chosen-id"
	c.ok(createStackDoc, vars, &out)
	if out.StackCreate.ID != "chosen-id" {
		t.Fatalf("id = %q, want the requested slug", out.StackCreate.ID)
	}
	var dis struct{ StackDisable struct{ IsDisabled bool } }
	c.ok(`mutation($stack: ID!) { stackDisable(id: $stack) { id isDisabled } }`, map[string]any{"stack": "chosen-id"}, &dis)
	if !dis.StackDisable.IsDisabled {
		t.Fatal("stackDisable did not disable")
	}
	c.fails(triggerDoc, map[string]any{"stack": "chosen-id"}, "is disabled")
}

func TestStackConfigWriteOnlyValuesAreNeverReturned(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("Config", nil)
	const add = `mutation($stack: ID!, $config: ConfigInput!) { stackConfigAdd(stack: $stack, config: $config) { id value writeOnly } }`
	var added struct{ StackConfigAdd struct{ Value *string } }
	c.ok(add, map[string]any{"stack": id, "config": map[string]any{"id": "TOKEN", "type": "ENVIRONMENT_VARIABLE", "value": "s3cr3t", "writeOnly": true}}, &added)
	if added.StackConfigAdd.Value != nil {
		t.Errorf("stackConfigAdd returned a write-only value %q", *added.StackConfigAdd.Value)
	}
	c.ok(add, map[string]any{"stack": id, "config": map[string]any{"id": "REGION", "type": "ENVIRONMENT_VARIABLE", "value": "eu-west-1", "writeOnly": false}}, nil)

	var got stackRead
	c.ok(stackReadDoc, map[string]any{"id": id}, &got)
	values := map[string]*string{}
	for _, el := range got.Stack.Config {
		values[el.ID] = el.Value
		if el.Checksum == "" {
			t.Errorf("%s has no checksum", el.ID)
		}
	}
	if v, ok := values["TOKEN"]; !ok || v != nil {
		t.Errorf("TOKEN = %v (present %v), want present with null value", v, ok)
	}
	if v := values["REGION"]; v == nil || *v != "eu-west-1" {
		t.Errorf("REGION = %v, want eu-west-1", v)
	}
	var del struct{ StackConfigDelete *struct{ ID string } }
	c.ok(`mutation($stack: ID!, $id: ID!) { stackConfigDelete(stack: $stack, id: $id) { id } }`, map[string]any{"stack": id, "id": "TOKEN"}, &del)
	c.ok(stackReadDoc, map[string]any{"id": id}, &got)
	if del.StackConfigDelete == nil || len(got.Stack.Config) != 1 {
		t.Errorf("after delete: %+v", got.Stack.Config)
	}
}

func TestSearchStacksFiltersAndPages(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	for _, n := range []string{"alpha", "bravo", "charlie", "delta"} {
		labels := []string{"env:dev"}
		if n != "bravo" {
			labels = []string{"env:prod"}
		}
		c.createStack(n, map[string]any{"labels": labels})
	}
	const doc = `query($input: SearchInput!) { searchStacks(input: $input) { edges { cursor node { id } } pageInfo { endCursor hasNextPage hasPreviousPage } } }`
	type page struct {
		SearchStacks struct {
			Edges []struct {
				Cursor string
				Node   struct{ ID string }
			}
			PageInfo struct {
				EndCursor                    *string
				HasNextPage, HasPreviousPage bool
			}
		}
	}
	prod := []map[string]any{{"field": "label", "constraint": map[string]any{"stringMatches": []string{"env:prod"}}}}
	var ids []string
	var after any
	for i := 0; ; i++ {
		var p page
		c.ok(doc, map[string]any{"input": map[string]any{"first": 2, "after": after, "predicates": prod}}, &p)
		for _, e := range p.SearchStacks.Edges {
			ids = append(ids, e.Node.ID)
		}
		if !p.SearchStacks.PageInfo.HasNextPage {
			break
		}
		if i > 3 {
			t.Fatal("paging does not end")
		}
		after = *p.SearchStacks.PageInfo.EndCursor
	}
	if want := []string{"alpha", "charlie", "delta"}; !equal(ids, want) {
		t.Errorf("paged ids = %v, want %v", ids, want)
	}

	var p page
	c.ok(doc, map[string]any{"input": map[string]any{"predicates": []map[string]any{
		{"field": "name", "constraint": map[string]any{"stringMatches": []string{"*a*"}}},
		{"field": "state", "constraint": map[string]any{"enumEquals": []string{"NONE"}}},
		{"field": "label", "constraint": map[string]any{"stringMatches": []string{"env:dev"}}, "exclude": true},
	}, "orderBy": map[string]any{"field": "name", "direction": "DESC"}}}, &p)
	var got []string
	for _, e := range p.SearchStacks.Edges {
		got = append(got, e.Node.ID)
	}
	if want := []string{"delta", "charlie", "alpha"}; !equal(got, want) {
		t.Errorf("filtered ids = %v, want %v", got, want)
	}
	c.fails(doc, map[string]any{"input": map[string]any{"predicates": []map[string]any{
		{"field": "bogus", "constraint": map[string]any{"booleanEquals": []bool{true}}}}}}, `unsupported search field "bogus"`)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestProtectFromDeletionRefusesDelete(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("Precious", map[string]any{"protectFromDeletion": true})
	const del = `mutation($id: ID!) { stackDelete(id: $id) { id } }`
	c.fails(del, map[string]any{"id": id}, "protected from deletion")
	var got stackRead
	c.ok(stackReadDoc, map[string]any{"id": id}, &got)
	if got.Stack == nil {
		t.Fatal("protected stack was deleted")
	}
}

func TestDeleteWithDestroyResourcesIsAsynchronous(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("Doomed", nil)
	var out struct{ StackDelete struct{ Deleting bool } }
	c.ok(`mutation($id: ID!) { stackDelete(id: $id, destroyResources: true) { id deleting } }`, map[string]any{"id": id}, &out)
	if !out.StackDelete.Deleting {
		t.Fatal("stackDelete with destroyResources did not report deleting")
	}
	var got stackRead
	c.ok(stackReadDoc, map[string]any{"id": id}, &got)
	if got.Stack == nil || !got.Stack.Deleting {
		t.Fatalf("stack right after delete: %+v, want it still there and deleting", got.Stack)
	}
	c.fails(triggerDoc, map[string]any{"stack": id}, "being deleted")
	h.Advance(30 * time.Second)
	c.ok(stackReadDoc, map[string]any{"id": id}, &got)
	if got.Stack != nil {
		t.Fatalf("stack still there after its destroy run: %+v", got.Stack)
	}
}
