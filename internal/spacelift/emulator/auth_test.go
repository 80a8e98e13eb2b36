package emulator

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const apiKeyDoc = `mutation GetSpaceliftToken($id: ID!, $secret: String!) { apiKeyUser(id: $id, secret: $secret) { id jwt validUntil } }`

func TestAPIKeyExchangeAndTokenLifetime(t *testing.T) {
	h := newTestHarness(t, func(o *Options) { o.TokenTTL = 10 * time.Minute })
	id, secret := h.APIKey()
	anon := &apiClient{t: t, url: h.GraphQLURL()}

	anon.fails(apiKeyDoc, map[string]any{"id": id, "secret": "wrong"}, "unauthorized")

	var out struct {
		APIKeyUser struct {
			JWT        string `json:"jwt"`
			ValidUntil int64  `json:"validUntil"`
		} `json:"apiKeyUser"`
	}
	anon.ok(apiKeyDoc, map[string]any{"id": id, "secret": secret}, &out)
	if want := testEpoch.Add(10 * time.Minute).Unix(); out.APIKeyUser.ValidUntil != want {
		t.Errorf("validUntil = %d, want %d", out.APIKeyUser.ValidUntil, want)
	}

	authed := &apiClient{t: t, url: h.GraphQLURL(), token: out.APIKeyUser.JWT}
	var viewer struct{ Viewer *struct{ ID string } }
	authed.ok(`{ viewer { id name } }`, nil, &viewer)
	if viewer.Viewer == nil || viewer.Viewer.ID != "api::"+id {
		t.Errorf("viewer = %+v, want the API key", viewer.Viewer)
	}

	h.Advance(10 * time.Minute)
	resp := authed.post(`{ stacks { id } }`, nil)
	if resp.Status != http.StatusOK || len(resp.Errors) != 1 || resp.Errors[0].Message != "unauthorized" || string(resp.Data) != "null" {
		t.Errorf("expired token: HTTP %d data %s errors %+v, want 200, null data and unauthorized", resp.Status, resp.Data, resp.Errors)
	}
}

func TestRequestsWithoutValidTokenAreRejected(t *testing.T) {
	h := newTestHarness(t)
	for name, token := range map[string]string{
		"missing": "",
		"garbage": "not-a-jwt",
		"forged":  h.Token()[:len(h.Token())-4] + "AAAA",
	} {
		t.Run(name, func(t *testing.T) {
			c := &apiClient{t: t, url: h.GraphQLURL(), token: token}
			resp := c.post(createStackDoc, stackInputVars("Sneaky", nil))
			if resp.Status != http.StatusOK {
				t.Fatalf("HTTP %d, want 200 as from Spacelift", resp.Status)
			}
			if len(resp.Errors) != 1 || resp.Errors[0].Message != "unauthorized" || string(resp.Data) != "null" {
				t.Fatalf("data %s, errors %+v, want null data and one error saying unauthorized", resp.Data, resp.Errors)
			}
		})
	}
	var stacks struct{ Stacks []struct{ ID string } }
	h.client(t).ok(`{ stacks { id } }`, nil, &stacks)
	if len(stacks.Stacks) != 0 {
		t.Errorf("a rejected mutation created stacks: %+v", stacks.Stacks)
	}
}

func TestAnonymousCallerSeesNoViewerAndNoData(t *testing.T) {
	h := newTestHarness(t)
	h.client(t).createStack("Hidden", nil)
	anon := &apiClient{t: t, url: h.GraphQLURL()}

	var out struct{ Viewer *struct{ ID string } }
	anon.ok(`{ viewer { id } }`, nil, &out)
	if out.Viewer != nil {
		t.Errorf("anonymous request saw viewer %+v", out.Viewer)
	}
	for _, doc := range []string{`{ viewer { id } stacks { id } }`, `{ stack(id: "hidden") { id } }`, `{ searchStacks(input: {}) { edges { node { id } } } }`} {
		resp := anon.post(doc, nil)
		if resp.Status != http.StatusOK || string(resp.Data) != "null" || len(resp.Errors) != 1 || resp.Errors[0].Message != "unauthorized" {
			t.Errorf("%s: HTTP %d data %s errors %+v, want 200, null data, unauthorized", doc, resp.Status, resp.Data, resp.Errors)
		}
	}
	// A document that does not validate gets its validation error, not "unauthorized".
	resp := anon.post(`{ noSuchField }`, nil)
	if len(resp.Errors) != 1 || !strings.Contains(resp.Errors[0].Message, "noSuchField") {
		t.Errorf("invalid anonymous document: errors %+v, want the validation error", resp.Errors)
	}
}
