package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func controlPost(t *testing.T, h *harness, path string, body any, out any) int {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(h.URL+"/_emulator"+path, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("decoding %s answer: %v", path, err)
		}
	}
	return resp.StatusCode
}

func TestFailNextInjectsStatusAndRetryAfter(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	if code := controlPost(t, h, "/faults/fail-next", map[string]any{"count": 2, "status": 429, "retryAfter": "3s"}, nil); code != http.StatusOK {
		t.Fatalf("fail-next answered %d", code)
	}
	for i := range 2 {
		resp := c.post(`{ stacks { id } }`, nil)
		if resp.Status != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "3" || len(resp.Errors) != 1 {
			t.Fatalf("request %d: HTTP %d Retry-After %q errors %+v", i, resp.Status, resp.Header.Get("Retry-After"), resp.Errors)
		}
	}
	c.ok(`{ stacks { id } }`, nil, nil)

	h.FailNext(1, 0, 0)
	if resp := c.post(`{ stacks { id } }`, nil); resp.Status != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "" {
		t.Fatalf("default injected failure: HTTP %d Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
	c.ok(`{ stacks { id } }`, nil, nil)
}

func TestRateLimitAnswers429WithRetryAfter(t *testing.T) {
	h := newTestHarness(t, func(o *Options) { o.RateLimit = 1 })
	c := h.client(t)
	c.ok(`{ stacks { id } }`, nil, nil)
	resp := c.post(`{ stacks { id } }`, nil)
	if resp.Status != http.StatusTooManyRequests {
		t.Fatalf("second request within a second: HTTP %d, want 429", resp.Status)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After = %q, want 1", ra)
	}
}

func TestLatencyIsAdded(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	h.SetLatency(150 * time.Millisecond)
	start := time.Now()
	c.ok(`{ stacks { id } }`, nil, nil)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("request took %v with 150ms injected latency", d)
	}
}

func TestStatePersistsAcrossRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	opts := Options{Clock: FixedClock{T: testEpoch}, RunStepDuration: time.Second, StateFile: file, APIKeyID: "key", APIKeySecret: "secret"}

	first := startHarness(t, opts)
	c := first.client(t)
	token := c.token
	stack := c.createStack("Persistent", map[string]any{"labels": []string{"keep"}})
	c.ok(policyCreateDoc, map[string]any{"input": map[string]any{"name": "Keep me", "body": "package spacelift", "type": "PLAN"}}, nil)
	runID := c.trigger(stack, "TRACKED")
	first.Advance(time.Minute)
	first.HTTP.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := startHarness(t, opts)
	c2 := &apiClient{t: t, url: second.GraphQLURL(), token: token} // issued before the restart
	var out struct {
		Stack *struct {
			ID     string
			Labels []string
			State  string
		}
		Policies []struct{ ID string }
	}
	c2.ok(`query($id: ID!) { stack(id: $id) { id labels state } policies { id } }`, map[string]any{"id": stack}, &out)
	if out.Stack == nil || out.Stack.Labels[0] != "keep" || out.Stack.State != "UNCONFIRMED" || len(out.Policies) != 1 {
		t.Fatalf("after restart: stack %+v policies %+v", out.Stack, out.Policies)
	}
	if got := c2.run(stack, runID); got.Stack.Run.State != "UNCONFIRMED" {
		t.Errorf("run after restart is %s", got.Stack.Run.State)
	}
	if !second.Now().Equal(testEpoch.Add(time.Minute)) {
		t.Errorf("clock after restart = %v, want the advanced time", second.Now())
	}
}

func TestOperationsAreRecordedWithoutSecrets(t *testing.T) {
	h := newTestHarness(t)
	id, secret := h.APIKey()
	anon := &apiClient{t: t, url: h.GraphQLURL()}
	anon.ok(apiKeyDoc, map[string]any{"id": id, "secret": secret}, nil)
	// The variable name says nothing; the argument it feeds does.
	anon.ok(`mutation($id: ID!, $s: String!) { apiKeyUser(id: $id, secret: $s) { jwt } }`, map[string]any{"id": id, "s": secret}, nil)
	c := h.client(t)
	stack := c.createStack("Recorded", nil)
	c.ok(`mutation AddVar($stack: ID!, $config: ConfigInput!) { stackConfigAdd(stack: $stack, config: $config) { id } }`,
		map[string]any{"stack": stack, "config": map[string]any{"id": "DB_PASS", "type": "ENVIRONMENT_VARIABLE", "value": "hunter2", "writeOnly": true}}, nil)
	c.headers = map[string]string{UserProvidedRunMetadataHeader: "meta-1"}
	c.trigger(stack, "TRACKED")

	var ops []Operation
	resp, err := http.Get(h.URL + "/_emulator/operations")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&ops); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(ops)
	if strings.Contains(string(raw), secret) || strings.Contains(string(raw), "hunter2") {
		t.Fatalf("operation log leaks a secret: %s", raw)
	}
	var names []string
	for _, op := range ops {
		names = append(names, op.Name)
	}
	if want := []string{"GetSpaceliftToken", "apiKeyUser", "StackCreate", "AddVar", "RunTrigger"}; !equal(names, want) {
		t.Fatalf("operations = %v, want %v", names, want)
	}
	if ops[0].Variables["secret"] != "<redacted>" || ops[0].Variables["id"] != id {
		t.Errorf("apiKeyUser variables = %v", ops[0].Variables)
	}
	if ops[1].Variables["s"] != "<redacted>" {
		t.Errorf("secret passed as $s was recorded as %v", ops[1].Variables["s"])
	}
	if ops[4].RunMetadata != "meta-1" || ops[4].Type != "mutation" || ops[4].Fields[0] != "runTrigger" {
		t.Errorf("runTrigger record = %+v", ops[4])
	}
}

func TestControlAPISeedsAndAdvancesOverHTTP(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	code := controlPost(t, h, "/seed", map[string]any{
		"spaces":      []map[string]any{{"id": "team-a", "name": "Team A"}},
		"workerPools": []map[string]any{{"id": "01POOLA", "name": "pool-a", "space": "team-a"}},
	}, nil)
	if code != http.StatusOK {
		t.Fatalf("seed answered %d", code)
	}
	stack := c.createStack("Seeded", map[string]any{"space": "team-a", "workerPool": "01POOLA"})
	runID := c.trigger(stack, "PROPOSED")

	var adv struct{ Now time.Time }
	if code := controlPost(t, h, "/clock/advance", map[string]any{"duration": 30}, &adv); code != http.StatusOK || !adv.Now.Equal(testEpoch.Add(30*time.Second)) {
		t.Fatalf("advance answered %d with %v", code, adv.Now)
	}
	if s := c.run(stack, runID).Stack.Run.State; s != "FINISHED" {
		t.Errorf("proposed run after advance is %s", s)
	}
	var drift struct{ RunID string }
	if code := controlPost(t, h, "/drift", map[string]any{"stack": stack, "drifted": 1, "runDriftDetection": true}, &drift); code != http.StatusOK || drift.RunID == "" {
		t.Fatalf("drift seed answered %d %+v", code, drift)
	}
	if code := controlPost(t, h, "/drift", map[string]any{"stack": "ghost", "drifted": 1}, nil); code != http.StatusNotFound {
		t.Errorf("drift on a missing stack answered %d, want 404", code)
	}
	if code := controlPost(t, h, "/reset", nil, nil); code != http.StatusOK {
		t.Fatalf("reset answered %d", code)
	}
	var stacks struct{ Stacks []struct{ ID string } }
	c.ok(`{ stacks { id } }`, nil, &stacks)
	if len(stacks.Stacks) != 0 {
		t.Errorf("stacks after reset: %+v", stacks.Stacks)
	}
}
