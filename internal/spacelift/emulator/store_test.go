package emulator

import "testing"

// A create puts "could not create …" in front of errors about the input
// only; a refusal (taken slug, missing linked object, no permission) is
// returned as it is. Clients compare these texts, so they are pinned whole.
func TestCreateErrorTexts(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	c.createStack("app", nil)
	c.ok(policyCreateDoc, map[string]any{"input": map[string]any{"name": "p", "body": "package spacelift", "type": "PLAN"}}, nil)
	const contextCreate = `mutation($input: ContextInput!) { contextCreateV2(input: $input) { id } }`
	c.ok(contextCreate, map[string]any{"input": map[string]any{"name": "c"}}, nil)
	const bind = `mutation($input: StackRoleBindingInput!) { stackRoleBindingCreate(input: $input) { id } }`
	binding := func(role, stack, space string) map[string]any {
		return map[string]any{"input": map[string]any{"roleID": role, "stackID": stack, "spaceID": space}}
	}
	c.ok(bind, binding("space-admin", "app", "root"), nil)
	asApp := &apiClient{t: t, url: h.GraphQLURL(), token: h.StackToken("app", h.URL)}
	asOther := &apiClient{t: t, url: h.GraphQLURL(), token: h.StackToken(c.createStack("other", nil), h.URL)}
	slug := "Not A Slug"

	for _, tc := range []struct {
		name   string
		client *apiClient
		doc    string
		vars   map[string]any
		want   string
	}{
		{"stack slug taken", c, createStackDoc, stackInputVars("APP", nil), `stack with slug "app" already exists`},
		{"stack slug not one", c, createStackDoc, func() map[string]any {
			v := stackInputVars("x", nil)
			v["slug"] = slug
			return v
		}(), `slug "Not A Slug" is not valid: use lower case letters, digits and dashes`},
		{"stack without a name", c, createStackDoc, stackInputVars(" ", nil), "name can't be empty"},
		{"stack input", c, createStackDoc, stackInputVars("x", map[string]any{"space": "nope"}), `could not create stack: space "nope" not found`},
		{"stack not allowed", asOther, createStackDoc, stackInputVars("x", nil),
			`unauthorized: stack "other" may not manage objects in space "root"; bind the space-admin role to it in that space or a parent space`},
		{"policy slug taken", c, policyCreateDoc, map[string]any{"input": map[string]any{"name": "P", "body": "package spacelift", "type": "PLAN"}},
			`policy with slug "p" already exists`},
		{"policy input", c, policyCreateDoc, map[string]any{"input": map[string]any{"name": "q", "body": "allow", "type": "PLAN"}},
			"could not create policy: policy body is not valid Rego: missing package declaration"},
		{"context slug taken", c, contextCreate, map[string]any{"input": map[string]any{"name": "C"}},
			`could not create context: context with slug "c" already exists`},
		{"dependency on itself", c, depCreateDoc, map[string]any{"input": map[string]any{"stackId": "app", "dependsOnStackId": "app"}},
			"stack cannot depend on itself"},
		{"dependency on a missing stack", c, depCreateDoc, map[string]any{"input": map[string]any{"stackId": "app", "dependsOnStackId": "nope"}},
			`stack "nope" not found`},
		{"binding of a missing role", c, bind, binding("nope", "app", "root"), `role "nope" not found`},
		{"binding taken", c, bind, binding("space-admin", "app", "root"), `stack "app" already has role "space-admin" in space "root"`},
		{"binding not allowed", asOther, bind, binding("space-admin", "other", "root"),
			`unauthorized: stack "other" may not manage objects in space "root"; bind the space-admin role to it in that space or a parent space`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.client.post(tc.doc, tc.vars)
			if len(resp.Errors) == 0 {
				t.Fatalf("no error, data %s", resp.Data)
			}
			if got := resp.Errors[0].Message; got != tc.want {
				t.Fatalf("error %q, want %q", got, tc.want)
			}
		})
	}
	// The stack bound as space admin may create; policyCreate spreads
	// policyCreatev2's input over its arguments.
	asApp.createStack("made by app", nil)
	var v1 struct {
		PolicyCreate struct{ ID, Name, Type string }
	}
	c.ok(`mutation { policyCreate(name: "Old style", body: "package spacelift", type: TERRAFORM_PLAN, labels: ["a"]) { id name type } }`, nil, &v1)
	if p := v1.PolicyCreate; p.ID != "old-style" || p.Name != "Old style" || p.Type != "PLAN" {
		t.Fatalf("policyCreate made %+v, want old-style named Old style of type PLAN", p)
	}
}
