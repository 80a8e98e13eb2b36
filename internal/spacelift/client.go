package spacelift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/go-logr/logr"
	graphql "github.com/hasura/go-graphql-client"
	"golang.org/x/net/http/httpguts"
	"golang.org/x/time/rate"
)

// Defaults applied by New to the zero fields of Options.
const (
	DefaultQPS                = 10
	DefaultBurst              = 20
	DefaultMaxAttempts        = 5
	DefaultInitialBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff         = 30 * time.Second
	DefaultTokenRefreshMargin = 30 * time.Second
	DefaultHTTPTimeout        = 30 * time.Second
	DefaultCallTimeout        = 45 * time.Second
	defaultUserAgent          = "spacelift-operator"
)

// RunMetadataHeader is the HTTP header whose value Spacelift appends to the
// user-provided metadata of the run created or confirmed by the request.
const RunMetadataHeader = "Spacelift-User-Provided-Run-Metadata"

// Options tune a Client. The zero value is usable.
type Options struct {
	// HTTPClient sends the requests. Nil means a client with a
	// DefaultHTTPTimeout timeout per request.
	HTTPClient *http.Client
	// Limiter paces every request, retries and token exchanges included.
	// Share one limiter between clients to bound the operator's total
	// request rate. Nil means a new limiter of QPS and Burst.
	Limiter *rate.Limiter
	// QPS is the sustained request rate of a limiter created by New.
	// Zero means DefaultQPS.
	QPS float64
	// Burst is the bucket size of a limiter created by New. Zero means
	// DefaultBurst.
	Burst int
	// MaxAttempts bounds the requests made for one call, the first one
	// included. Zero means DefaultMaxAttempts; 1 disables retries.
	MaxAttempts int
	// InitialBackoff is the wait before the first retry; each further retry
	// doubles it, with jitter. Zero means DefaultInitialBackoff.
	InitialBackoff time.Duration
	// MaxBackoff caps the wait between two attempts. A Retry-After longer
	// than MaxBackoff is not waited for: the call fails with a
	// rate-limited error whose RetryAfter the caller can requeue with.
	// Zero means DefaultMaxBackoff.
	MaxBackoff time.Duration
	// TokenRefreshMargin is how long before its expiry a token is replaced
	// (at most half of the token's lifetime). Zero means
	// DefaultTokenRefreshMargin.
	TokenRefreshMargin time.Duration
	// Observer is told about every HTTP request, with its operation,
	// outcome and duration. Nil means requests are not observed.
	Observer RequestObserver
	// Now is the clock used to decide when the token expires. Nil means
	// time.Now.
	Now func() time.Time
	// UserAgent is sent with every request. Empty means
	// "spacelift-operator".
	UserAgent string
	// CallTimeout bounds one call, its retries and waits included, when the
	// caller's context allows longer (a reconcile has its own, longer
	// deadline). Zero means DefaultCallTimeout.
	CallTimeout time.Duration
}

// Client calls the Spacelift GraphQL API of one account with one API key.
// It is safe for concurrent use.
type Client struct {
	url            string
	keyID          string
	httpClient     *http.Client
	limiter        *rate.Limiter
	maxAttempts    int
	initialBackoff time.Duration
	maxBackoff     time.Duration
	observer       RequestObserver
	now            func() time.Time
	userAgent      string
	callTimeout    time.Duration
	tokens         *tokenSource

	pauseMu    sync.Mutex
	pauseUntil time.Time

	batches coalescer
}

// New returns a client for the given credentials. It does not contact the
// API: the first call exchanges the API key for a token.
func New(creds Credentials, opts Options) (*Client, error) {
	if err := creds.Validate(); err != nil {
		return nil, err
	}
	endpoint, err := creds.GraphQLURL()
	if err != nil {
		return nil, fmt.Errorf("spacelift credentials: %w", err)
	}
	c := &Client{
		url:            endpoint,
		keyID:          creds.KeyID,
		httpClient:     opts.HTTPClient,
		limiter:        opts.Limiter,
		maxAttempts:    opts.MaxAttempts,
		initialBackoff: opts.InitialBackoff,
		maxBackoff:     opts.MaxBackoff,
		observer:       opts.Observer,
		now:            opts.Now,
		userAgent:      opts.UserAgent,
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if c.limiter == nil {
		qps, burst := opts.QPS, opts.Burst
		if qps <= 0 {
			qps = DefaultQPS
		}
		if burst <= 0 {
			burst = DefaultBurst
		}
		c.limiter = rate.NewLimiter(rate.Limit(qps), burst)
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = DefaultMaxAttempts
	}
	if c.initialBackoff <= 0 {
		c.initialBackoff = DefaultInitialBackoff
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = DefaultMaxBackoff
	}
	if c.callTimeout = opts.CallTimeout; c.callTimeout <= 0 {
		c.callTimeout = DefaultCallTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	margin := opts.TokenRefreshMargin
	if margin <= 0 {
		margin = DefaultTokenRefreshMargin
	}
	secret := creds.KeySecret
	c.tokens = newTokenSource(c.now, margin, func(ctx context.Context) (string, time.Time, error) {
		return c.exchangeAPIKey(ctx, creds.KeyID, secret)
	})
	return c, nil
}

// Endpoint returns the GraphQL URL the client sends requests to.
func (c *Client) Endpoint() string { return c.url }

// KeyID returns the ID of the API key the client authenticates with.
func (c *Client) KeyID() string { return c.keyID }

// CallOption changes one call.
type CallOption func(*callConfig)

type callConfig struct {
	header http.Header
	err    error
}

// WithRunMetadata sends value in the Spacelift-User-Provided-Run-Metadata
// header, which Spacelift records on the run that the call triggers or
// confirms and shows to policies as input.run.user_provided_metadata.
func WithRunMetadata(value string) CallOption {
	return func(cfg *callConfig) {
		if !httpguts.ValidHeaderFieldValue(value) {
			cfg.err = errors.New("run metadata contains characters not allowed in an HTTP header")
			return
		}
		if cfg.header == nil {
			cfg.header = http.Header{}
		}
		cfg.header.Set(RunMetadataHeader, value)
	}
}

// call describes one GraphQL operation.
type call struct {
	// name is the GraphQL operation name, also the metrics label.
	name     string
	mutation bool
	// idempotent operations are retried after any transient failure;
	// the others only when the request provably never reached the API.
	idempotent bool
	// anonymous operations are sent without a token.
	anonymous bool
	opts      []CallOption
	// document, when set, is sent as written (a document built at run time,
	// such as a batch of aliased mutations) and the answer's data decoded
	// into v with encoding/json, instead of deriving both from v's struct.
	document string
	// admitted is set when the caller took the rate limiter's token for
	// the first attempt itself (see coalescer.dispatch).
	admitted bool
}

func query(name string) call { return call{name: name, idempotent: true} }

func mutation(name string, idempotent bool, opts ...CallOption) call {
	return call{name: name, mutation: true, idempotent: idempotent, opts: opts}
}

// do runs one operation: v is a pointer to the struct describing the
// selection, filled with the response.
func (c *Client) do(ctx context.Context, cl call, v any, vars map[string]any) error {
	ctx, cancel := context.WithTimeout(ctx, c.callTimeout)
	defer cancel()
	var cfg callConfig
	for _, o := range cl.opts {
		o(&cfg)
	}
	if cfg.err != nil {
		return invalidInput(cl.name, cfg.err.Error())
	}
	reauthenticated := false
	for attempt := 1; ; attempt++ {
		resetValue(v)
		token := ""
		if !cl.anonymous {
			t, err := c.tokens.Token(ctx)
			if err != nil {
				return err
			}
			token = t
		}
		err := c.send(ctx, cl, cfg.header, token, v, vars)
		cl.admitted = false
		if err == nil {
			return nil
		}
		if IsUnauthorized(err) && !cl.anonymous && !reauthenticated {
			// The token may have been revoked or have expired early:
			// replace it once before reporting the failure.
			reauthenticated = true
			c.tokens.Invalidate(token)
			attempt--
			logr.FromContextOrDiscard(ctx).V(1).Info("Spacelift rejected the token, exchanging the API key again",
				"operation", cl.name, "keyID", c.keyID)
			continue
		}
		if ctx.Err() != nil {
			return err
		}
		delay, retry := c.retryDelay(cl, err, attempt)
		if !retry {
			return err
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
			return err
		}
		logr.FromContextOrDiscard(ctx).V(1).Info("Spacelift request failed, retrying",
			"operation", cl.name, "attempt", attempt, "delay", delay, "error", err.Error())
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// send makes one HTTP request.
func (c *Client) send(ctx context.Context, cl call, header http.Header, token string, v any, vars map[string]any) error {
	if cl.admitted {
		// The caller waited for this request's turn already.
	} else if err := c.waitTurn(ctx); err != nil {
		return &Error{Operation: cl.name, Kind: KindTransient, Err: err}
	}
	rec := &recorder{}
	gc := graphql.NewClient(c.url, &recordingDoer{base: c.httpClient, rec: rec}).
		WithRequestModifier(func(r *http.Request) {
			r.Header.Set("User-Agent", c.userAgent)
			if token != "" {
				r.Header.Set("Authorization", "Bearer "+token)
			}
			for k, vs := range header {
				for _, hv := range vs {
					r.Header.Add(k, hv)
				}
			}
		})
	start := time.Now()
	var err error
	switch {
	case cl.document != "":
		var data []byte
		data, err = gc.ExecRaw(ctx, cl.document, vars, graphql.OperationName(cl.name))
		if err == nil && v != nil && len(data) > 0 {
			if uerr := json.Unmarshal(data, v); uerr != nil {
				err = fmt.Errorf("decoding the answer to %s: %w", cl.name, uerr)
			}
		}
	case cl.mutation:
		err = gc.Mutate(ctx, v, vars, graphql.OperationName(cl.name))
	default:
		err = gc.Query(ctx, v, vars, graphql.OperationName(cl.name))
	}
	err = c.classify(ctx, cl.name, err, rec)
	if !cl.mutation {
		err = readFailure(err)
	}
	if c.observer != nil {
		c.observer.ObserveRequest(cl.name, outcomeOf(err), time.Since(start))
	}
	if e := (*Error)(nil); errors.As(err, &e) && e.RetryAfter > 0 {
		c.pause(e.RetryAfter)
	}
	return err
}

// waitTurn waits for a limiter token and for the end of a pause the API
// asked for with Retry-After.
func (c *Client) waitTurn(ctx context.Context) error {
	c.pauseMu.Lock()
	until := c.pauseUntil
	c.pauseMu.Unlock()
	if d := time.Until(until); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if err := c.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("waiting for the request rate limiter: %w", err)
	}
	return nil
}

func (c *Client) pause(d time.Duration) {
	until := time.Now().Add(min(d, c.maxBackoff))
	c.pauseMu.Lock()
	if until.After(c.pauseUntil) {
		c.pauseUntil = until
	}
	c.pauseMu.Unlock()
}

// retryDelay says whether a failed attempt is repeated, and after how long.
func (c *Client) retryDelay(cl call, err error, attempt int) (time.Duration, bool) {
	if attempt >= c.maxAttempts {
		return 0, false
	}
	var e *Error
	if !errors.As(err, &e) {
		return 0, false
	}
	switch e.Kind {
	case KindRateLimited:
		// A 429 is refused before the operation runs: always safe to repeat.
	case KindTransient:
		if !cl.idempotent && !isDialError(e.Err) {
			return 0, false
		}
	default:
		return 0, false
	}
	if e.RetryAfter > c.maxBackoff {
		return 0, false
	}
	delay := c.backoff(attempt)
	if e.RetryAfter > 0 {
		delay = e.RetryAfter + rand.N(c.initialBackoff/4+1)
	}
	return delay, true
}

// backoff returns the wait after the given attempt: exponential growth from
// initialBackoff, capped at maxBackoff, with the upper half jittered.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.initialBackoff
	for i := 1; i < attempt && d < c.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.maxBackoff)
	half := d / 2
	return half + rand.N(half+1)
}

// classify turns the error returned by the GraphQL library into an *Error.
func (c *Client) classify(ctx context.Context, op string, err error, rec *recorder) error {
	if err == nil {
		return nil
	}
	e := &Error{Operation: op, StatusCode: rec.status}
	if rec.header != nil {
		e.RetryAfter = parseRetryAfter(rec.header.Get("Retry-After"), time.Now())
	}
	switch {
	case rec.err != nil:
		e.Kind = KindTransient
		e.Err = rec.err
		if ctx.Err() != nil {
			e.Err = ctx.Err()
		}
		return e
	case rec.status != 0 && rec.status != http.StatusOK:
		e.Kind = classifyStatus(rec.status)
		var netErr graphql.NetworkError
		if errors.As(err, &netErr) {
			e.Messages, _ = graphQLErrorMessages(netErr.Body())
		}
		return e
	}
	var gqlErrs graphql.Errors
	if !errors.As(err, &gqlErrs) {
		e.Kind = KindUnknown
		e.Err = err
		return e
	}
	var messages, codes []string
	for _, ge := range gqlErrs {
		if ge.Unwrap() != nil {
			// Raised by the library itself (encoding or decoding), not by
			// the API.
			e.Err = ge.Unwrap()
			continue
		}
		messages = append(messages, ge.Message)
		alias := ""
		if len(ge.Path) > 0 {
			alias, _ = ge.Path[0].(string)
		}
		e.Aliases = append(e.Aliases, alias)
		code, _ := ge.Extensions["code"].(string)
		codes = append(codes, code)
	}
	if len(messages) == 0 {
		e.Kind = KindUnknown
		if e.Err == nil {
			e.Err = err
		}
		return e
	}
	e.Messages = messages
	e.Kind = classifyMessages(messages, codes)
	return e
}

// readFailure reclassifies the failure of a query. A query is the operator's
// own document, never the user's input: an answer the client cannot decode,
// a value outside an enum, or a validation error means that the API and the
// client disagree for now (an API deploy, an emulator bug), not that the spec
// is wrong. Such failures are transient, so callers back off and recover on
// their own instead of stalling. A missing object, rejected credentials, a
// rate limit and a wrong endpoint (HTTP 404) keep their kinds.
func readFailure(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	if (e.Kind == KindInvalidInput || e.Kind == KindUnknown) && e.StatusCode != http.StatusNotFound {
		e.Kind = KindTransient
	}
	return err
}

// graphQLErrorMessages extracts the error messages of a GraphQL response
// body, when the body is one.
func graphQLErrorMessages(body string) ([]string, bool) {
	var resp struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil || len(resp.Errors) == 0 {
		return nil, false
	}
	out := make([]string, 0, len(resp.Errors))
	for _, e := range resp.Errors {
		out = append(out, e.Message)
	}
	return out, true
}

// recorder keeps what the GraphQL library does not report: the transport
// error, the status and the headers of the response.
type recorder struct {
	status int
	header http.Header
	err    error
}

type recordingDoer struct {
	base *http.Client
	rec  *recorder
}

// Do sends req and records the outcome.
func (d *recordingDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.base.Do(req)
	if err != nil {
		d.rec.err = err
		return nil, err
	}
	d.rec.status = resp.StatusCode
	d.rec.header = resp.Header
	return resp, nil
}

// resetValue zeroes the struct v points to, so that a retry does not mix
// data of two responses.
func resetValue(v any) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv.Elem().SetZero()
	}
}
