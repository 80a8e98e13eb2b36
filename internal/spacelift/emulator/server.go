package emulator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/graph-gophers/graphql-go"
	"golang.org/x/time/rate"
)

// Clock tells the emulator the time before its own offset (see Server.Advance)
// is added.
type Clock interface {
	Now() time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// FixedClock is a Clock that stands still; only Server.Advance moves the
// emulator's time. Tests use it to make run progress deterministic.
type FixedClock struct{ T time.Time }

// Now returns the fixed time.
func (c FixedClock) Now() time.Time { return c.T }

// Options configure a Server. The zero value is usable: a generated API key,
// the wall clock and no faults.
type Options struct {
	// APIKeyID and APIKeySecret are the only credentials apiKeyUser accepts.
	// Both are generated when empty.
	APIKeyID     string
	APIKeySecret string
	// TokenTTL is how long a minted JWT stays valid (default one hour, as in Spacelift).
	TokenTTL time.Duration
	// Clock defaults to the wall clock.
	Clock Clock
	// RunStepDuration is how long a run stays in each transient state
	// (default 2s of emulator time).
	RunStepDuration time.Duration
	// Latency is added to every /graphql request.
	Latency time.Duration
	// ErrorRate in [0,1] is the share of /graphql requests answered with HTTP 503.
	ErrorRate float64
	// RateLimit caps /graphql requests per second; over it the answer is
	// HTTP 429 with Retry-After. Zero means unlimited.
	RateLimit float64
	// StateFile, when set, is loaded by New and rewritten atomically after
	// every change.
	StateFile string
	// Account is the account name put in webhook payloads (default "emulator").
	Account string
	// AnonymousUnauthenticated is ignored.
	//
	// Deprecated: requests without a valid token are always answered the way
	// the real API answers them: HTTP 200, an "unauthorized" error and null
	// data. The field remains so that existing callers still compile.
	AnonymousUnauthenticated bool
	// Logger receives request and webhook logs; secrets are never logged.
	Logger *slog.Logger
	// HTTPClient delivers webhooks (default: 10s timeout).
	HTTPClient *http.Client
}

// Server is the emulator. It implements http.Handler: POST /graphql is the
// API, /_emulator/ the control API, GET /state/ serves the downloads
// stateDownloadUrl hands out.
type Server struct {
	opts    Options
	schema  *graphql.Schema
	limiter *rate.Limiter
	log     *slog.Logger

	mu  sync.Mutex
	st  *state
	ops []Operation

	faultMu      sync.Mutex
	failNext     int
	failStatus   int
	failRetry    time.Duration
	extraLatency time.Duration

	saveMu sync.Mutex

	hooks     chan webhookJob
	hooksDone chan struct{}
	closeOnce sync.Once
	hooksWG   sync.WaitGroup
}

// Operation is one GraphQL request as recorded for the control API.
type Operation struct {
	Time time.Time `json:"time"`
	// Name is the request's operationName, or the top-level fields joined by
	// commas when the client sent none.
	Name string `json:"name"`
	// Fields are the top-level fields of the executed operation.
	Fields []string `json:"fields"`
	// Type is "query" or "mutation".
	Type string `json:"type"`
	// Variables are the request variables with secrets replaced by "<redacted>".
	Variables map[string]any `json:"variables,omitempty"`
	// RunMetadata is the Spacelift-User-Provided-Run-Metadata header, if sent.
	RunMetadata string `json:"runMetadata,omitempty"`
	// Status is the HTTP status the emulator answered with.
	Status int `json:"status"`
}

// UserProvidedRunMetadataHeader is the header spacectl sends with
// runTrigger/runConfirm; its values end up in Run.userProvidedMetadata.
const UserProvidedRunMetadataHeader = "Spacelift-User-Provided-Run-Metadata"

// New builds a Server, loading Options.StateFile when it exists.
func New(opts Options) (*Server, error) {
	if opts.APIKeyID == "" {
		opts.APIKeyID = "01EMULATOR" + strings.ToUpper(randomHex(8))
	}
	if opts.APIKeySecret == "" {
		opts.APIKeySecret = randomHex(32)
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.Clock == nil {
		opts.Clock = wallClock{}
	}
	if opts.RunStepDuration <= 0 {
		opts.RunStepDuration = 2 * time.Second
	}
	if opts.Account == "" {
		opts.Account = "emulator"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Server{
		opts:      opts,
		log:       opts.Logger,
		st:        newState(),
		hooks:     make(chan webhookJob, 1024),
		hooksDone: make(chan struct{}),
	}
	if opts.RateLimit > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(opts.RateLimit), int(math.Max(1, math.Ceil(opts.RateLimit))))
	}
	schema, err := graphql.ParseSchema(Schema, &rootResolver{s: s},
		graphql.UseFieldResolvers(), graphql.UseStringDescriptions(), graphql.MaxParallelism(1))
	if err != nil {
		return nil, fmt.Errorf("parsing emulator schema: %w", err)
	}
	s.schema = schema
	if opts.StateFile != "" {
		if err := s.load(); err != nil {
			return nil, err
		}
	}
	if len(s.st.SigningKey) == 0 {
		s.st.SigningKey = []byte(randomHex(32))
	}
	s.hooksWG.Add(1)
	go s.deliverWebhooks()
	return s, nil
}

// Close stops webhook delivery and writes the state file a last time.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.hooksDone) })
	s.hooksWG.Wait()
	return s.save()
}

// APIKey returns the API key id and secret that apiKeyUser accepts.
func (s *Server) APIKey() (id, secret string) { return s.opts.APIKeyID, s.opts.APIKeySecret }

// ServeHTTP routes /graphql and /_emulator/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/graphql":
		s.serveGraphQL(w, r)
	case strings.HasPrefix(r.URL.Path, "/_emulator/"):
		s.serveControl(w, r)
	case strings.HasPrefix(r.URL.Path, "/state/") && r.Method == http.MethodGet:
		s.serveState(w, r)
	default:
		http.NotFound(w, r)
	}
}

type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

type ctxKey int

const reqInfoKey ctxKey = 0

// reqInfo is what resolvers need to know about the HTTP request.
type reqInfo struct {
	authenticated bool
	subject       string
	runMetadata   string
	hasMetadata   bool
	baseURL       string
}

func info(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(reqInfoKey).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeGraphQLError(w, http.StatusMethodNotAllowed, "only POST is supported")
		return
	}
	if err := s.delay(r.Context()); err != nil {
		return
	}
	if s.limiter != nil {
		res := s.limiter.Reserve()
		if d := res.Delay(); d > 0 {
			res.Cancel()
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
			writeGraphQLError(w, http.StatusTooManyRequests, "rate limit exceeded")
			return
		}
	}
	if status, retry, ok := s.takeFault(); ok {
		if retry > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
		}
		writeGraphQLError(w, status, http.StatusText(status))
		return
	}

	var req gqlRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil || req.Query == "" {
		writeGraphQLError(w, http.StatusBadRequest, "request body must be a JSON object with a query")
		return
	}
	op := analyze(req.Query, req.OperationName)

	ri := &reqInfo{baseURL: baseURL(r)}
	if vals, ok := r.Header[http.CanonicalHeaderKey(UserProvidedRunMetadataHeader)]; ok && len(vals) > 0 {
		ri.runMetadata, ri.hasMetadata = vals[0], true
	}
	if sub, err := s.verifyBearer(r.Header.Get("Authorization")); err == nil {
		ri.authenticated, ri.subject = true, sub
	}
	s.record(req, op, ri, http.StatusOK)
	if !ri.authenticated && op.needsToken() {
		s.writeUnauthorized(w, req)
		return
	}

	s.processDue()
	ctx := context.WithValue(r.Context(), reqInfoKey, ri)
	resp := s.schema.Exec(ctx, req.Query, req.OperationName, req.Variables)
	if op.Type == "mutation" {
		if err := s.save(); err != nil {
			s.log.Error("saving state", "err", err)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(resp); err != nil {
		s.log.Debug("writing response", "err", err)
	}
	s.log.Info("graphql", "operation", op.name, "type", op.Type, "errors", len(resp.Errors))
}

// writeUnauthorized answers a request that needs a token and has none (or an
// expired or forged one) the way Spacelift does: HTTP 200, data null and an
// "unauthorized" error. A document that does not validate gets its
// validation errors instead, as from any GraphQL server.
func (s *Server) writeUnauthorized(w http.ResponseWriter, req gqlRequest) {
	body := map[string]any{"data": nil, "errors": []map[string]any{{"message": errUnauthorized.Error()}}}
	if errs := s.schema.ValidateWithVariables(req.Query, req.Variables); len(errs) > 0 {
		body = map[string]any{"errors": errs}
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(body); err != nil {
		s.log.Debug("writing response", "err", err)
	}
	s.log.Info("graphql", "operation", "unauthenticated", "errors", 1)
}

// writeGraphQLError answers with a GraphQL-style error body.
func writeGraphQLError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": msg}}})
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) delay(ctx context.Context) error {
	s.faultMu.Lock()
	d := s.opts.Latency + s.extraLatency
	s.faultMu.Unlock()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting out injected latency: %w", ctx.Err())
	}
}

// takeFault consumes one injected failure, or draws one from ErrorRate.
func (s *Server) takeFault() (status int, retryAfter time.Duration, ok bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if s.failNext > 0 {
		s.failNext--
		return s.failStatus, s.failRetry, true
	}
	if s.opts.ErrorRate > 0 && mrand.Float64() < s.opts.ErrorRate { //nolint:gosec // fault injection needs no crypto randomness
		return http.StatusServiceUnavailable, 0, true
	}
	return 0, 0, false
}

// FailNext makes the next n /graphql requests fail with the HTTP status
// (default 503), with a Retry-After header when retryAfter is positive.
func (s *Server) FailNext(n, status int, retryAfter time.Duration) {
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.failNext, s.failStatus, s.failRetry = n, status, retryAfter
}

// SetLatency adds d to every /graphql request on top of Options.Latency.
func (s *Server) SetLatency(d time.Duration) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.extraLatency = d
}

func (s *Server) record(req gqlRequest, op opInfo, ri *reqInfo, status int) {
	vars := redact(req.Variables).(map[string]any)
	for _, name := range op.secretVars {
		if _, ok := vars[name]; ok {
			vars[name] = redacted
		}
	}
	rec := Operation{
		Name:        op.name,
		Fields:      op.Fields,
		Type:        op.Type,
		Variables:   vars,
		RunMetadata: ri.runMetadata,
		Status:      status,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.Time = s.nowLocked()
	s.ops = append(s.ops, rec)
}

// Operations returns the GraphQL requests received so far, oldest first.
func (s *Server) Operations() []Operation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Operation(nil), s.ops...)
}

const redacted = "<redacted>"

func secretName(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "secret") || strings.Contains(n, "password") || strings.Contains(n, "token")
}

// redact replaces secret-looking values: keys containing "secret",
// "password" or "token", and the value of a config input marked writeOnly.
func redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		writeOnly, _ := t["writeOnly"].(bool)
		for k, val := range t {
			switch {
			case secretName(k), writeOnly && k == "value":
				out[k] = redacted
			default:
				out[k] = redact(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = redact(val)
		}
		return out
	case nil:
		return map[string]any{}
	default:
		return v
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err))
	}
	return hex.EncodeToString(b)
}

// now is the emulator's time: the clock plus everything Advance added.
func (s *Server) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

func (s *Server) nowLocked() time.Time {
	return s.opts.Clock.Now().Add(s.st.ClockOffset).UTC()
}

// Now returns the emulator's current time.
func (s *Server) Now() time.Time { return s.now() }

var errUnauthorized = errors.New("unauthorized")
