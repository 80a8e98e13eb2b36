package spacelift

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// sentRequest is a GraphQL request as a test server received it.
type sentRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Header        http.Header    `json:"-"`
}

// fakeAPI is a scripted GraphQL endpoint: it answers apiKeyUser with a token
// and every other request with respond, recording what it receives.
type fakeAPI struct {
	t        *testing.T
	srv      *httptest.Server
	tokenTTL time.Duration

	mu       sync.Mutex
	requests []sentRequest
	minted   int
	respond  func(w http.ResponseWriter, req sentRequest)
}

func newFakeAPI(t *testing.T, respond func(w http.ResponseWriter, req sentRequest)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, tokenTTL: time.Hour, respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req sentRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Header = r.Header.Clone()
	f.mu.Lock()
	f.requests = append(f.requests, req)
	if req.OperationName == "ApiKeyUser" {
		f.minted++
		n := f.minted
		ttl := f.tokenTTL
		f.mu.Unlock()
		writeJSON(w, map[string]any{"data": map[string]any{"apiKeyUser": map[string]any{
			"jwt": "jwt-" + string(rune('0'+n%10)), "validUntil": time.Now().Add(ttl).Unix(),
		}}})
		return
	}
	respond := f.respond
	f.mu.Unlock()
	respond(w, req)
}

func (f *fakeAPI) sent() []sentRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentRequest(nil), f.requests...)
}

func (f *fakeAPI) client(t *testing.T, mutate ...func(*Options)) *Client {
	t.Helper()
	return newTestClient(t, f.srv.URL, "key-id", "key-secret", mutate...)
}

func newTestClient(t *testing.T, endpoint, id, secret string, mutate ...func(*Options)) *Client {
	t.Helper()
	opts := Options{
		QPS:            1000,
		Burst:          1000,
		InitialBackoff: 5 * time.Millisecond,
		MaxBackoff:     2 * time.Second,
		Observer:       &recordingObserver{},
	}
	for _, m := range mutate {
		m(&opts)
	}
	c, err := New(Credentials{Endpoint: endpoint, KeyID: id, KeySecret: secret}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeStatus(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": msg}}})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// observedRequest is one call of RequestObserver.ObserveRequest.
type observedRequest struct {
	operation string
	outcome   Outcome
	elapsed   time.Duration
}

// recordingObserver records the requests a client reports.
type recordingObserver struct {
	mu       sync.Mutex
	requests []observedRequest
}

func (o *recordingObserver) ObserveRequest(operation string, outcome Outcome, elapsed time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests = append(o.requests, observedRequest{operation, outcome, elapsed})
}

func (o *recordingObserver) observed() []observedRequest {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]observedRequest(nil), o.requests...)
}

// apply1 applies m in a document of its own and returns its answer.
func apply1(ctx context.Context, c *Client, m Mutation) (json.RawMessage, error) {
	answers, err := c.Apply(ctx, "StackChanges", []Mutation{m})
	if err != nil {
		return nil, err
	}
	return answers[0], nil
}

// mustApply applies m in a document of its own and fails the test when it
// fails. It returns the id of the answer when m selects one, else "".
func mustApply(t *testing.T, c *Client, m Mutation) string {
	t.Helper()
	answer, err := apply1(t.Context(), c, m)
	if err != nil {
		t.Fatalf("%s: %v", m.Desc, err)
	}
	if m.Select != "id" {
		return ""
	}
	id, err := AnswerID(answer)
	if err != nil {
		t.Fatalf("%s: %v", m.Desc, err)
	}
	return id
}
