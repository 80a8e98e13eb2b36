package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/graph-gophers/graphql-go"
)

var testEpoch = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// harness is the in-package twin of emulatortest.Harness (which this package's
// tests cannot import without a cycle).
type harness struct {
	*Server
	URL  string
	HTTP *httptest.Server
}

// startHarness serves a new emulator until the test ends.
func startHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("starting emulator: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("closing emulator: %v", err)
		}
	})
	return &harness{Server: srv, URL: ts.URL, HTTP: ts}
}

// newTestHarness starts an emulator on a frozen clock with one-second run steps.
func newTestHarness(t *testing.T, mutate ...func(*Options)) *harness {
	t.Helper()
	opts := Options{Clock: FixedClock{T: testEpoch}, RunStepDuration: time.Second}
	for _, m := range mutate {
		m(&opts)
	}
	return startHarness(t, opts)
}

func (h *harness) GraphQLURL() string { return h.URL + "/graphql" }

func (h *harness) Token() string { return h.IssueToken(h.URL) }

type gqlError struct {
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

type gqlResponse struct {
	Status int
	Header http.Header
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// apiClient sends GraphQL documents the way a client library would.
type apiClient struct {
	t       *testing.T
	url     string
	token   string
	headers map[string]string
}

func (h *harness) client(t *testing.T) *apiClient {
	return &apiClient{t: t, url: h.GraphQLURL(), token: h.Token()}
}

func (c *apiClient) post(query string, vars map[string]any) gqlResponse {
	c.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", c.url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	out := gqlResponse{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(raw, &out); err != nil {
		c.t.Fatalf("decoding %q: %v", raw, err)
	}
	return out
}

// ok runs a document that must succeed and decodes data into out.
func (c *apiClient) ok(query string, vars map[string]any, out any) {
	c.t.Helper()
	resp := c.post(query, vars)
	if resp.Status != http.StatusOK || len(resp.Errors) > 0 {
		c.t.Fatalf("unexpected failure: HTTP %d, errors %+v", resp.Status, resp.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Data, out); err != nil {
			c.t.Fatalf("decoding data %s: %v", resp.Data, err)
		}
	}
}

// fails runs a document that must produce a GraphQL error containing want.
func (c *apiClient) fails(query string, vars map[string]any, want string) {
	c.t.Helper()
	resp := c.post(query, vars)
	if len(resp.Errors) == 0 {
		c.t.Fatalf("expected an error containing %q, got data %s", want, resp.Data)
	}
	if !strings.Contains(resp.Errors[0].Message, want) {
		c.t.Fatalf("expected an error containing %q, got %q", want, resp.Errors[0].Message)
	}
}

const createStackDoc = `mutation StackCreate($input: StackInput!, $manageState: Boolean!, $stackObjectID: String, $slug: String) {
  stackCreate(input: $input, manageState: $manageState, stackObjectID: $stackObjectID, slug: $slug) { id name state labels }
}`

func stackInputVars(name string, extra map[string]any) map[string]any {
	in := map[string]any{
		"name": name, "repository": "infra", "branch": "main",
		"administrative": false, "autodeploy": false,
	}
	for k, v := range extra {
		in[k] = v
	}
	return map[string]any{"input": in, "manageState": true}
}

func (c *apiClient) createStack(name string, extra map[string]any) string {
	c.t.Helper()
	var out struct {
		StackCreate struct{ ID string } `json:"stackCreate"`
	}
	c.ok(createStackDoc, stackInputVars(name, extra), &out)
	return out.StackCreate.ID
}

const runDoc = `query Run($stack: ID!, $run: ID!) {
  stack(id: $stack) {
    state
    blocker { id }
    run(id: $run) {
      id type state driftDetection triggeredBy createdAt userProvidedMetadata
      delta { addCount changeCount deleteCount resources }
      history { state stateVersion terminal timestamp }
    }
  }
}`

type runResult struct {
	Stack struct {
		State   string
		Blocker *struct{ ID string }
		Run     *struct {
			ID                   string
			Type                 string
			State                string
			DriftDetection       bool
			TriggeredBy          *string
			UserProvidedMetadata []string
			Delta                *struct{ AddCount, ChangeCount, DeleteCount, Resources int }
			History              []struct {
				State    string
				Terminal bool
			}
		}
	}
}

func (c *apiClient) run(stack, run string) runResult {
	c.t.Helper()
	var out runResult
	c.ok(runDoc, map[string]any{"stack": stack, "run": run}, &out)
	if out.Stack.Run == nil {
		c.t.Fatalf("run %s not found on stack %s", run, stack)
	}
	return out
}

const triggerDoc = `mutation RunTrigger($stack: ID!, $sha: String, $type: RunType, $runtimeConfig: RuntimeConfigInput) {
  runTrigger(stack: $stack, commitSha: $sha, runType: $type, runtimeConfig: $runtimeConfig) { id state }
}`

func (c *apiClient) trigger(stack, runType string) string {
	c.t.Helper()
	var out struct {
		RunTrigger struct{ ID string } `json:"runTrigger"`
	}
	c.ok(triggerDoc, map[string]any{"stack": stack, "type": runType}, &out)
	return out.RunTrigger.ID
}

func graphqlID(s string) graphql.ID { return graphql.ID(s) }
