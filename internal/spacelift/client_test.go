package spacelift

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stackData is a minimal stack in a GraphQL answer.
var stackData = map[string]any{"id": "net", "name": "net", "state": "NONE", "labels": []string{}}

func answerStack(w http.ResponseWriter, _ sentRequest) {
	writeJSON(w, map[string]any{"data": map[string]any{"stack": stackData}})
}

func TestErrorClassification(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter)
		check  func(error) bool
		status int
	}{
		{"null result", func(w http.ResponseWriter) { writeJSON(w, map[string]any{"data": map[string]any{"stack": nil}}) }, IsNotFound, 0},
		{"not found message", func(w http.ResponseWriter) {
			writeJSON(w, map[string]any{"data": nil, "errors": []any{map[string]any{"message": `stack "x" not found`}}})
		}, IsNotFound, 200},
		{"unauthorized message", func(w http.ResponseWriter) {
			writeJSON(w, map[string]any{"data": nil, "errors": []any{map[string]any{"message": "unauthorized"}}})
		}, IsUnauthorized, 200},
		{"HTTP 401", func(w http.ResponseWriter) { writeStatus(w, http.StatusUnauthorized, "unauthorized") }, IsUnauthorized, 401},
		{"HTTP 403", func(w http.ResponseWriter) { writeStatus(w, http.StatusForbidden, "forbidden") }, IsUnauthorized, 403},
		// A failed read is never the user's input at fault.
		{"validation error", func(w http.ResponseWriter) {
			writeJSON(w, map[string]any{"errors": []any{map[string]any{"message": `Cannot query field "nope" on type "Stack".`}}})
		}, IsTransient, 200},
		{"value outside an enum", func(w http.ResponseWriter) {
			writeJSON(w, map[string]any{"data": nil, "errors": []any{map[string]any{"message": `Enum "StackState" cannot represent value: "WAITING"`}}})
		}, IsTransient, 200},
		{"undecodable answer", func(w http.ResponseWriter) {
			writeJSON(w, map[string]any{"data": map[string]any{"stack": map[string]any{"id": 7, "labels": "x"}}})
		}, IsTransient, 0},
		{"HTTP 400", func(w http.ResponseWriter) { writeStatus(w, http.StatusBadRequest, "bad query") }, IsTransient, 400},
		{"HTTP 404", func(w http.ResponseWriter) { writeStatus(w, http.StatusNotFound, "no such account") }, IsInvalidInput, 404},
		{"HTTP 503", func(w http.ResponseWriter) { writeStatus(w, http.StatusServiceUnavailable, "down") }, IsTransient, 503},
		{"HTTP 500", func(w http.ResponseWriter) { http.Error(w, "<html>oops</html>", http.StatusInternalServerError) }, IsTransient, 500},
		{"internal error message", func(w http.ResponseWriter) {
			writeJSON(w, map[string]any{"data": nil, "errors": []any{map[string]any{"message": "internal error"}}})
		}, IsTransient, 200},
		{"HTTP 429", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "7")
			writeStatus(w, http.StatusTooManyRequests, "slow down")
		}, IsRateLimited, 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, _ sentRequest) { tt.answer(w) })
			c := api.client(t, func(o *Options) { o.MaxAttempts = 1 })
			_, err := c.GetStack(t.Context(), "x")
			if !tt.check(err) {
				t.Fatalf("error %v (kind %v) is not of the expected kind", err, kindOf(err))
			}
			var e *Error
			if !errors.As(err, &e) || e.Operation != "StackRead" {
				t.Fatalf("error %#v does not name the operation", err)
			}
			if tt.status != 0 && e.StatusCode != tt.status {
				t.Errorf("status %d, want %d", e.StatusCode, tt.status)
			}
			if strings.Contains(err.Error(), "key-secret") || strings.Contains(err.Error(), "jwt-") {
				t.Errorf("error %q leaks a credential", err)
			}
		})
	}
}

func TestRateLimitedErrorCarriesRetryAfter(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ sentRequest) {
		w.Header().Set("Retry-After", "120")
		writeStatus(w, http.StatusTooManyRequests, "slow down")
	})
	c := api.client(t)
	start := time.Now()
	_, err := c.GetStack(t.Context(), "x")
	if !IsRateLimited(err) || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("got %v", err)
	}
	if d, ok := RetryAfter(err); !ok || d != 2*time.Minute {
		t.Fatalf("RetryAfter = %v, %v", d, ok)
	}
	if time.Since(start) > time.Second {
		t.Errorf("a Retry-After beyond MaxBackoff was waited for")
	}
}

func TestSentinelErrors(t *testing.T) {
	err := error(&Error{Operation: "X", Kind: KindNotFound})
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrTransient) {
		t.Fatal("errors.Is does not follow the kind")
	}
	if IsNotFound(errors.New("stack not found")) {
		t.Fatal("a plain error was classified")
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	var calls atomic.Int32
	api := newFakeAPI(t, func(w http.ResponseWriter, req sentRequest) {
		if calls.Add(1) <= 2 {
			writeStatus(w, http.StatusBadGateway, "bad gateway")
			return
		}
		answerStack(w, req)
	})
	c := api.client(t)
	s, err := c.GetStack(t.Context(), "net")
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "net" || calls.Load() != 3 {
		t.Fatalf("stack %q after %d calls", s.ID, calls.Load())
	}
}

func TestRetriesAreBounded(t *testing.T) {
	var calls atomic.Int32
	api := newFakeAPI(t, func(w http.ResponseWriter, _ sentRequest) {
		calls.Add(1)
		writeStatus(w, http.StatusServiceUnavailable, "down")
	})
	c := api.client(t, func(o *Options) { o.MaxAttempts = 3 })
	if _, err := c.GetStack(t.Context(), "net"); !IsTransient(err) {
		t.Fatalf("got %v", err)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d attempts, want 3", calls.Load())
	}
}

func TestNonIdempotentMutationIsNotRepeatedAfterAmbiguousFailure(t *testing.T) {
	var calls atomic.Int32
	api := newFakeAPI(t, func(w http.ResponseWriter, _ sentRequest) {
		calls.Add(1)
		writeStatus(w, http.StatusBadGateway, "bad gateway")
	})
	c := api.client(t)
	if _, err := c.TriggerRun(t.Context(), "net", RunTypeTracked, ""); !IsTransient(err) {
		t.Fatalf("got %v", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("runTrigger sent %d times after a 502", calls.Load())
	}
}

func TestNonIdempotentMutationIsRepeatedAfterRateLimit(t *testing.T) {
	var calls atomic.Int32
	api := newFakeAPI(t, func(w http.ResponseWriter, _ sentRequest) {
		if calls.Add(1) == 1 {
			writeStatus(w, http.StatusTooManyRequests, "slow down")
			return
		}
		writeJSON(w, map[string]any{"data": map[string]any{"runTrigger": map[string]any{"id": "run1", "state": "QUEUED", "type": "TRACKED"}}})
	})
	c := api.client(t)
	r, err := c.TriggerRun(t.Context(), "net", RunTypeTracked, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "run1" || calls.Load() != 2 {
		t.Fatalf("run %q after %d calls", r.ID, calls.Load())
	}
}

func TestHonoursRetryAfter(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	api := newFakeAPI(t, func(w http.ResponseWriter, req sentRequest) {
		mu.Lock()
		times = append(times, time.Now())
		n := len(times)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			writeStatus(w, http.StatusTooManyRequests, "slow down")
			return
		}
		answerStack(w, req)
	})
	c := api.client(t)
	if _, err := c.GetStack(t.Context(), "net"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 2 {
		t.Fatalf("%d requests", len(times))
	}
	if gap := times[1].Sub(times[0]); gap < time.Second {
		t.Fatalf("retried after %v, before the Retry-After of 1s", gap)
	}
}

func TestRetryRespectsContext(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ sentRequest) {
		writeStatus(w, http.StatusServiceUnavailable, "down")
	})
	c := api.client(t, func(o *Options) {
		o.InitialBackoff = time.Second
		o.MaxBackoff = 10 * time.Second
	})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetStack(ctx, "net")
	if !IsTransient(err) {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > 250*time.Millisecond {
		t.Fatalf("waited %v for a backoff that cannot end before the deadline", time.Since(start))
	}
}

func TestLimiterPacesRequests(t *testing.T) {
	api := newFakeAPI(t, answerStack)
	c := api.client(t, func(o *Options) {
		o.QPS = 20
		o.Burst = 1
	})
	start := time.Now()
	for range 6 {
		if _, err := c.GetStack(t.Context(), "net"); err != nil {
			t.Fatal(err)
		}
	}
	// Seven requests (the token exchange included) at 20/s with a burst of
	// one take at least 300ms.
	if elapsed := time.Since(start); elapsed < 250*time.Millisecond {
		t.Fatalf("7 requests took %v at 20 QPS", elapsed)
	}
}

func TestTransportErrorIsTransient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c := newTestClient(t, "http://"+addr, "key-id", "key-secret", func(o *Options) { o.MaxAttempts = 2 })
	_, err = c.GetStack(t.Context(), "net")
	if !IsTransient(err) {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "key-secret") {
		t.Fatalf("error %q leaks the secret", err)
	}
}

func TestTokenIsExchangedOnceAndSent(t *testing.T) {
	api := newFakeAPI(t, answerStack)
	c := api.client(t)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.GetStack(t.Context(), "net"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var exchanges int
	for _, req := range api.sent() {
		if req.OperationName == "ApiKeyUser" {
			exchanges++
			if req.Header.Get("Authorization") != "" {
				t.Error("apiKeyUser was sent with a token")
			}
			if req.Variables["id"] != "key-id" || req.Variables["secret"] != "key-secret" {
				t.Errorf("apiKeyUser variables %v", req.Variables)
			}
			continue
		}
		if got := req.Header.Get("Authorization"); got != "Bearer jwt-1" {
			t.Errorf("Authorization %q", got)
		}
	}
	if exchanges != 1 {
		t.Fatalf("%d token exchanges for 20 concurrent calls", exchanges)
	}
}

func TestTokenIsRefreshedBeforeExpiry(t *testing.T) {
	api := newFakeAPI(t, answerStack)
	api.tokenTTL = 10 * time.Minute
	var now atomic.Pointer[time.Time]
	start := time.Now()
	now.Store(&start)
	c := api.client(t, func(o *Options) {
		o.Now = func() time.Time { return *now.Load() }
		o.TokenRefreshMargin = time.Minute
	})
	get := func() {
		t.Helper()
		if _, err := c.GetStack(t.Context(), "net"); err != nil {
			t.Fatal(err)
		}
	}
	get()
	later := start.Add(8 * time.Minute)
	now.Store(&later)
	get() // 2 minutes left: still fresh
	if n := exchanges(api); n != 1 {
		t.Fatalf("%d exchanges before the margin", n)
	}
	later = start.Add(9*time.Minute + 30*time.Second)
	now.Store(&later)
	get() // inside the refresh margin
	if n := exchanges(api); n != 2 {
		t.Fatalf("%d exchanges inside the margin", n)
	}
	reqs := api.sent()
	if got := reqs[len(reqs)-1].Header.Get("Authorization"); got != "Bearer jwt-2" {
		t.Fatalf("the refreshed token was not used: %q", got)
	}
}

func TestShortLivedTokenIsRefreshedAtHalfLife(t *testing.T) {
	api := newFakeAPI(t, answerStack)
	api.tokenTTL = 2 * time.Second
	c := api.client(t) // default margin of 30s exceeds the lifetime
	if _, err := c.GetStack(t.Context(), "net"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetStack(t.Context(), "net"); err != nil {
		t.Fatal(err)
	}
	if n := exchanges(api); n != 1 {
		t.Fatalf("%d exchanges within the first half of the token's life", n)
	}
}

func TestUnauthorizedReplacesTokenOnce(t *testing.T) {
	var calls atomic.Int32
	api := newFakeAPI(t, func(w http.ResponseWriter, req sentRequest) {
		if calls.Add(1) == 1 {
			writeStatus(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		answerStack(w, req)
	})
	c := api.client(t)
	if _, err := c.GetStack(t.Context(), "net"); err != nil {
		t.Fatal(err)
	}
	if n := exchanges(api); n != 2 {
		t.Fatalf("%d exchanges, want a new token after the 401", n)
	}

	always := newFakeAPI(t, func(w http.ResponseWriter, _ sentRequest) {
		writeJSON(w, map[string]any{"data": nil, "errors": []any{map[string]any{"message": "unauthorized"}}})
	})
	c = always.client(t)
	if _, err := c.GetStack(t.Context(), "net"); !IsUnauthorized(err) {
		t.Fatalf("got %v", err)
	}
	if n := exchanges(always); n != 2 {
		t.Fatalf("%d exchanges for a persistent unauthorized answer, want 2", n)
	}
}

func TestRejectedAPIKeyIsUnauthorized(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"data": map[string]any{"apiKeyUser": nil}})
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, "key-id", "key-secret")
	_, err := c.GetStack(t.Context(), "net")
	if !IsUnauthorized(err) {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "key-secret") {
		t.Fatalf("error %q leaks the secret", err)
	}
}

func TestRunMetadataHeader(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, req sentRequest) {
		field := map[string]string{"RunTrigger": "runTrigger", "RunConfirm": "runConfirm"}[req.OperationName]
		writeJSON(w, map[string]any{"data": map[string]any{
			field: map[string]any{"id": "r1", "state": "QUEUED", "type": "TRACKED"},
		}})
	})
	c := api.client(t)
	if _, err := c.TriggerRun(t.Context(), "net", RunTypeTracked, "", WithRunMetadata("meta-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ConfirmRun(t.Context(), "net", "r1", WithRunMetadata("meta-2")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TriggerRun(t.Context(), "net", RunTypeTracked, ""); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, req := range api.sent() {
		if req.OperationName != "ApiKeyUser" {
			got = append(got, req.Header.Get(RunMetadataHeader))
		}
	}
	if strings.Join(got, ",") != "meta-1,meta-2," {
		t.Fatalf("headers %q", got)
	}
	before := len(api.sent())
	if _, err := c.TriggerRun(t.Context(), "net", RunTypeTracked, "", WithRunMetadata("a\nb")); !IsInvalidInput(err) {
		t.Fatalf("got %v", err)
	}
	if len(api.sent()) != before {
		t.Fatal("a request with an invalid header value was sent")
	}
}

func TestRequestObserver(t *testing.T) {
	var calls atomic.Int32
	api := newFakeAPI(t, func(w http.ResponseWriter, req sentRequest) {
		switch calls.Add(1) {
		case 1:
			writeStatus(w, http.StatusServiceUnavailable, "down")
		case 3:
			writeJSON(w, map[string]any{"data": nil, "errors": []any{map[string]any{"message": `stack "gone" not found`}}})
		default:
			answerStack(w, req)
		}
	})
	observer := &recordingObserver{}
	c := api.client(t, func(o *Options) { o.Observer = observer })
	if _, err := c.GetStack(t.Context(), "net"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetStack(t.Context(), "gone"); !IsNotFound(err) {
		t.Fatalf("reading a missing stack: %v", err)
	}
	// The token exchange (answered by the fake API itself) comes first; the
	// 503 is retried; a "not found" error message is not found.
	want := []observedRequest{
		{operation: "ApiKeyUser", outcome: OutcomeSuccess},
		{operation: "StackRead", outcome: "transient"},
		{operation: "StackRead", outcome: OutcomeSuccess},
		{operation: "StackRead", outcome: "not_found"},
	}
	got := observer.observed()
	if len(got) != len(want) {
		t.Fatalf("observed %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].operation != want[i].operation || got[i].outcome != want[i].outcome || got[i].elapsed <= 0 {
			t.Errorf("request %d observed as %+v, want %s %s with a positive duration", i, got[i], want[i].operation, want[i].outcome)
		}
	}

	// Without an observer the client works and reports nothing.
	if _, err := api.client(t, func(o *Options) { o.Observer = nil }).GetStack(t.Context(), "net"); err != nil {
		t.Fatal(err)
	}
}

func TestOutcomes(t *testing.T) {
	// The values are the outcome label of spacelift_requests_total, which
	// config/monitoring selects on: changing one breaks dashboards and
	// alerts.
	want := []Outcome{"success", "not_found", "unauthorized", "invalid_input", "transient", "rate_limited", "error"}
	got := Outcomes()
	if len(got) != len(want) {
		t.Fatalf("Outcomes() = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Outcomes() = %q, want %q", got, want)
		}
	}
	for _, tt := range []struct {
		err  error
		want Outcome
	}{
		{nil, OutcomeSuccess},
		{&Error{Kind: KindNotFound}, "not_found"},
		{&Error{Kind: KindUnauthorized}, "unauthorized"},
		{&Error{Kind: KindInvalidInput}, "invalid_input"},
		{&Error{Kind: KindTransient}, "transient"},
		{fmt.Errorf("wrapped: %w", &Error{Kind: KindRateLimited}), "rate_limited"},
		{errors.New("not classified"), "error"},
	} {
		if got := outcomeOf(tt.err); got != tt.want {
			t.Errorf("outcomeOf(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestSearchFollowsCursors(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, req sentRequest) {
		input, _ := req.Variables["input"].(map[string]any)
		after, _ := input["after"].(string)
		page := map[string]string{"": "a", "c1": "b", "c2": "c"}[after]
		next := map[string]string{"": "c1", "c1": "c2", "c2": "c3"}[after]
		writeJSON(w, map[string]any{"data": map[string]any{"searchStacks": map[string]any{
			"edges":    []any{map[string]any{"node": map[string]any{"id": page, "name": page, "state": "NONE"}}},
			"pageInfo": map[string]any{"endCursor": next, "hasNextPage": after != "c2"},
		}}})
	})
	c := api.client(t)
	stacks, err := c.SearchStacks(t.Context(), LabelPredicate("team:*"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range stacks {
		ids = append(ids, s.ID)
	}
	if strings.Join(ids, "") != "abc" {
		t.Fatalf("stacks %v", ids)
	}
	var pages int
	for p, err := range c.StackPages(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if p.Items[0].ID == "b" {
			break
		}
	}
	if pages != 2 {
		t.Fatalf("iteration stopped after %d pages, want 2", pages)
	}
	for _, req := range api.sent() {
		if req.OperationName == "SearchStacks" {
			if first := req.Variables["input"].(map[string]any)["first"]; first != float64(DefaultPageSize) {
				t.Fatalf("page size %v", first)
			}
		}
	}
}

func TestSearchStopsOnStuckCursor(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ sentRequest) {
		writeJSON(w, map[string]any{"data": map[string]any{"searchStacks": map[string]any{
			"edges":    []any{},
			"pageInfo": map[string]any{"endCursor": "same", "hasNextPage": true},
		}}})
	})
	if _, err := api.client(t).SearchStacks(t.Context()); err == nil {
		t.Fatal("a cursor that does not advance was followed forever")
	}
}

func exchanges(api *fakeAPI) int {
	n := 0
	for _, req := range api.sent() {
		if req.OperationName == "ApiKeyUser" {
			n++
		}
	}
	return n
}

func TestTokenLifetimeIsMeasuredOnTheAPIClock(t *testing.T) {
	// The API's clock is a year behind: validUntil is in the local past, but
	// the token's iat claim shows it has an hour to live.
	iat := time.Now().Add(-365 * 24 * time.Hour).Unix()
	payload := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"iat":%d,"exp":%d}`, iat, iat+3600))
	jwt := "eyJhbGciOiJIUzI1NiJ9." + payload + ".c2ln"
	var exchanged atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			exchanged.Add(1)
			writeJSON(w, map[string]any{"data": map[string]any{"apiKeyUser": map[string]any{"jwt": jwt, "validUntil": iat + 3600}}})
			return
		}
		answerStack(w, sentRequest{})
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, "key-id", "key-secret")
	for range 3 {
		if _, err := c.GetStack(t.Context(), "net"); err != nil {
			t.Fatal(err)
		}
	}
	if n := exchanged.Load(); n != 1 {
		t.Fatalf("%d exchanges with a skewed API clock, want 1", n)
	}
}

// TestMutationRefusalIsInvalidInput: only a mutation refused for its input is
// terminal; the same answers to a query are transient (TestErrorClassification).
func TestMutationRefusalIsInvalidInput(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter)
	}{
		{"user error", func(w http.ResponseWriter) {
			writeJSON(w, map[string]any{"data": nil, "errors": []any{map[string]any{"message": "name can't be empty"}}})
		}},
		{"validation error", func(w http.ResponseWriter) {
			writeJSON(w, map[string]any{"errors": []any{map[string]any{"message": `Unknown argument "nope" on field "stackDelete".`}}})
		}},
		{"HTTP 400", func(w http.ResponseWriter) { writeStatus(w, http.StatusBadRequest, "bad mutation") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, _ sentRequest) { tt.answer(w) })
			c := api.client(t, func(o *Options) { o.MaxAttempts = 1 })
			_, err := c.DeleteStack(t.Context(), "x", false)
			if !IsInvalidInput(err) {
				t.Fatalf("error %v (kind %v) is not invalid input", err, kindOf(err))
			}
		})
	}
}
