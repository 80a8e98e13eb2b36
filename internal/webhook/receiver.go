// Package webhook receives Spacelift run state webhooks, so that the Stack a
// run belongs to is reconciled as soon as the run changes state instead of
// at the next poll. Polling stays the safety net: a lost or rejected delivery
// only delays a reconcile.
//
// # Signatures
//
// Spacelift signs every delivery the way GitHub does (docs:
// integrations/webhooks, "Validating payload"): X-Signature-256 is "sha256="
// followed by the hex HMAC-SHA256 of the raw body keyed with the webhook
// secret, and X-Signature is the same with SHA-1. The receiver requires
// X-Signature-256 and never looks at X-Signature: Spacelift always sends
// both, so a request carrying only the SHA-1 one did not come from Spacelift
// unaltered, and accepting it would let the weaker hash decide. Such a
// request is answered 401 with a message that names the missing header.
// Signatures are compared in constant time against every secret the
// SecretSource returns, so a secret can be rotated without losing deliveries.
//
// # Replay defence
//
// A captured delivery stays validly signed forever, so the receiver accepts
// a delivery only while it is fresh, and each one only once:
//   - The payload must carry a timestamp (Spacelift's default payload has
//     "timestamp", Unix seconds of the state transition, and newer accounts
//     add "timestamp_millis"; a notification-policy input has
//     run.updated_at). A delivery without one is rejected with 400, because
//     nothing would bound how long it can be replayed.
//   - The timestamp must be at most Options.MaxAge old and at most
//     Options.MaxClockSkew in the future, else 401.
//   - The timestamp must not be older than the moment the receiver was
//     created (New), else 401. Whatever an earlier process accepted was
//     stamped before it stopped, so a restart cannot re-open the window of
//     a delivery it had already accepted; and nothing is lost, since the
//     manager reconciles every Stack when it starts.
//   - The signature of every accepted delivery is remembered until its
//     timestamp (or the time of receipt, when later) is MaxAge old; a second
//     delivery with the same signature in that window is rejected with 401
//     "replayed delivery". The cache holds at most Options.ReplayCacheSize
//     signatures and forgets the oldest first.
//
// Nothing needs to be persisted for this. Two limits remain, both bounded by
// a single extra reconcile of a Stack, which is harmless: a sender whose
// clock runs ahead of ours by d (at most MaxClockSkew) leaves a window of d
// after a restart in which a delivery accepted just before it can be
// accepted once more; and the cache is per process, so with several
// replicas behind one Service (or during a rolling update) another replica
// may accept a delivery once more while it is fresh.
//
// # Responses
//
//	204  accepted; Options.Enqueue was called
//	400  body is not a JSON object with a stack id, or its timestamp is
//	     missing or unreadable
//	401  signature missing, malformed, SHA-1 only or not matching any secret;
//	     replayed delivery; timestamp outside the accepted window or older
//	     than the receiver
//	405  method other than POST
//	413  body larger than Options.MaxBodyBytes
//
// Every answer is counted in spacelift_webhook_requests_total{outcome}, with
// outcome one of accepted, unauthorized, replayed, malformed, too_large and
// method_not_allowed (a timestamp outside the window, or older than the
// receiver, counts as replayed; a missing one as malformed).
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
)

// Path is where Handler serves the receiver.
const Path = "/spacelift/webhook"

// Signature headers Spacelift sets on every delivery made with a secret.
const (
	Signature256Header = "X-Signature-256"
	// SignatureHeader carries the SHA-1 signature; it is never trusted.
	SignatureHeader = "X-Signature"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxBodyBytes    = 1 << 20
	DefaultMaxAge          = 10 * time.Minute
	DefaultMaxClockSkew    = 30 * time.Second
	DefaultReplayCacheSize = 10000
)

// Outcomes counted in spacelift_webhook_requests_total.
const (
	OutcomeAccepted         = "accepted"
	OutcomeUnauthorized     = "unauthorized"
	OutcomeReplayed         = "replayed"
	OutcomeMalformed        = "malformed"
	OutcomeTooLarge         = "too_large"
	OutcomeMethodNotAllowed = "method_not_allowed"
)

var outcomes = []string{OutcomeAccepted, OutcomeUnauthorized, OutcomeReplayed,
	OutcomeMalformed, OutcomeTooLarge, OutcomeMethodNotAllowed}

// SecretSource returns the webhook secrets accepted right now. It is called
// for every delivery, so a rotated secret takes effect at once; during a
// rotation it returns the old and the new secret. Empty secrets are ignored,
// because anybody can compute an HMAC keyed with the empty string.
type SecretSource func() [][]byte

// StaticSecrets is a SecretSource that always returns secrets.
func StaticSecrets(secrets ...[]byte) SecretSource {
	return func() [][]byte { return secrets }
}

// Options configure a Receiver. Secrets and Enqueue are required.
type Options struct {
	// Secrets returns the secrets a delivery may be signed with.
	Secrets SecretSource
	// Enqueue is told the stack of every accepted delivery. It is called on
	// the request's goroutine before the answer is written, so it must not
	// block: send to a buffered channel and drop the event when it is full
	// (the periodic poll catches up), and remember that a replica that is not
	// the leader may have no consumer at all.
	Enqueue func(stackID string, ev Event)
	// MaxBodyBytes caps the request body (default DefaultMaxBodyBytes, 1 MiB).
	MaxBodyBytes int64
	// MaxAge is the replay window (default DefaultMaxAge, 10 minutes): how
	// far a payload timestamp may lie in the past, and how long accepted
	// signatures are remembered.
	MaxAge time.Duration
	// MaxClockSkew is how far a payload timestamp may lie in the future
	// (default DefaultMaxClockSkew, 30 seconds); at most MaxAge.
	MaxClockSkew time.Duration
	// ReplayCacheSize caps the remembered signatures (default
	// DefaultReplayCacheSize).
	ReplayCacheSize int
	// Now is the clock (default time.Now). New reads it once: deliveries
	// stamped before that moment are refused.
	Now func() time.Time
	// Metrics is where spacelift_webhook_requests_total is registered; nil
	// means nowhere. Registering twice on one registry reuses the collector.
	Metrics prometheus.Registerer
	// Log receives a line per delivery at V(1); it never sees a secret or a
	// signature. The zero value discards.
	Log logr.Logger
}

// Receiver verifies Spacelift webhook deliveries and enqueues the stack they
// are about. It is an http.Handler for POST requests; see the package
// documentation for its answers.
type Receiver struct {
	secrets SecretSource
	enqueue func(string, Event)
	maxBody int64
	maxAge  time.Duration
	maxSkew time.Duration
	// started is when New ran; older deliveries are refused.
	started  time.Time
	now      func() time.Time
	log      logr.Logger
	requests *prometheus.CounterVec
	replays  *replayCache
}

// New checks opts, fills in defaults and registers the metrics.
func New(opts Options) (*Receiver, error) {
	if opts.Secrets == nil {
		return nil, errors.New("webhook receiver needs a secret source")
	}
	if opts.Enqueue == nil {
		return nil, errors.New("webhook receiver needs an enqueue function")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.MaxClockSkew <= 0 {
		opts.MaxClockSkew = DefaultMaxClockSkew
	}
	if opts.MaxClockSkew > opts.MaxAge {
		return nil, fmt.Errorf("webhook receiver: MaxClockSkew %s must not exceed MaxAge %s", opts.MaxClockSkew, opts.MaxAge)
	}
	if opts.ReplayCacheSize <= 0 {
		opts.ReplayCacheSize = DefaultReplayCacheSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "spacelift_webhook_requests_total",
		Help: "Requests to the Spacelift webhook receiver, by outcome.",
	}, []string{"outcome"})
	if opts.Metrics != nil {
		var err error
		if requests, err = registerOrReuse(opts.Metrics, requests); err != nil {
			return nil, fmt.Errorf("registering spacelift_webhook_requests_total: %w", err)
		}
	}
	for _, o := range outcomes {
		requests.WithLabelValues(o) // export every outcome from the start, at zero
	}
	return &Receiver{
		secrets: opts.Secrets, enqueue: opts.Enqueue, maxBody: opts.MaxBodyBytes, maxAge: opts.MaxAge,
		maxSkew: opts.MaxClockSkew, started: opts.Now(), now: opts.Now, log: opts.Log, requests: requests, replays: newReplayCache(opts.ReplayCacheSize),
	}, nil
}

func registerOrReuse(reg prometheus.Registerer, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing, nil
		}
	}
	return nil, err
}

// Handler serves the receiver at Path and a liveness probe at GET /healthz.
func (r *Receiver) Handler() http.Handler {
	mux := http.NewServeMux()
	// No method in the pattern: the receiver answers 405 itself and counts it.
	mux.Handle(Path, r)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

// rejection is a delivery the receiver refuses. msg is sent to the client
// and logged, so it never contains a secret or a signature.
type rejection struct {
	status  int
	outcome string
	msg     string
}

func reject(status int, outcome, msg string) *rejection {
	return &rejection{status: status, outcome: outcome, msg: msg}
}

// ServeHTTP verifies one delivery and, when it is accepted, enqueues its stack.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ev, rej := r.receive(w, req)
	if rej != nil {
		r.requests.WithLabelValues(rej.outcome).Inc()
		r.log.V(1).Info("Rejected Spacelift webhook delivery", "status", rej.status, "reason", rej.msg,
			"remoteAddr", req.RemoteAddr)
		if rej.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		http.Error(w, rej.msg, rej.status)
		return
	}
	r.requests.WithLabelValues(OutcomeAccepted).Inc()
	r.log.V(1).Info("Accepted Spacelift webhook delivery", "stack", ev.StackID, "run", ev.RunID,
		"runType", ev.RunType, "runState", ev.RunState, "driftDetection", ev.DriftDetection)
	r.enqueue(ev.StackID, ev)
	w.WriteHeader(http.StatusNoContent)
}

// receive checks, in order: the method, the presence and form of the
// signature header, the body size, the signature, the payload, its timestamp
// and finally that the delivery was not seen before. It returns at the first
// check that fails.
func (r *Receiver) receive(w http.ResponseWriter, req *http.Request) (Event, *rejection) {
	if req.Method != http.MethodPost {
		return Event{}, reject(http.StatusMethodNotAllowed, OutcomeMethodNotAllowed, "only POST is allowed")
	}
	sig, rej := parseSignature(req.Header)
	if rej != nil {
		return Event{}, rej
	}
	if req.ContentLength > r.maxBody {
		return Event{}, reject(http.StatusRequestEntityTooLarge, OutcomeTooLarge, tooLargeMsg(r.maxBody))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return Event{}, reject(http.StatusRequestEntityTooLarge, OutcomeTooLarge, tooLargeMsg(r.maxBody))
		}
		return Event{}, reject(http.StatusBadRequest, OutcomeMalformed, "reading request body failed")
	}
	if rej := r.verify(body, sig); rej != nil {
		return Event{}, rej
	}
	ev, err := parseEvent(body)
	if err != nil {
		r.log.V(1).Info("Undecodable Spacelift webhook payload", "err", err.Error())
		return Event{}, reject(http.StatusBadRequest, OutcomeMalformed, publicMessage(err))
	}
	now := r.now()
	ev.ReceivedAt = now
	if rej := r.checkFresh(ev.Timestamp, now); rej != nil {
		return Event{}, rej
	}
	remember := now
	if ev.Timestamp.After(now) {
		remember = ev.Timestamp
	}
	if !r.replays.add(sig, now, remember.Add(r.maxAge)) {
		return Event{}, reject(http.StatusUnauthorized, OutcomeReplayed, "replayed delivery")
	}
	return ev, nil
}

// checkFresh applies the timestamp rules of the package documentation.
func (r *Receiver) checkFresh(ts, now time.Time) *rejection {
	switch {
	case ts.IsZero():
		return reject(http.StatusBadRequest, OutcomeMalformed,
			"payload has no timestamp (timestamp, timestamp_millis or run.updated_at): deliveries without one cannot be protected against replay")
	case now.Sub(ts) > r.maxAge:
		return reject(http.StatusUnauthorized, OutcomeReplayed,
			fmt.Sprintf("delivery timestamp is older than the accepted window of %s", r.maxAge))
	case ts.Sub(now) > r.maxSkew:
		return reject(http.StatusUnauthorized, OutcomeReplayed,
			fmt.Sprintf("delivery timestamp is more than %s in the future", r.maxSkew))
	case ts.Before(r.started):
		return reject(http.StatusUnauthorized, OutcomeReplayed,
			"delivery timestamp is older than this receiver: it may have been accepted before a restart")
	}
	return nil
}

func tooLargeMsg(limit int64) string {
	return fmt.Sprintf("request body is larger than %d bytes", limit)
}

// parseSignature returns the decoded X-Signature-256 value.
func parseSignature(h http.Header) ([sha256.Size]byte, *rejection) {
	var sig [sha256.Size]byte
	v := strings.TrimSpace(h.Get(Signature256Header))
	if v == "" {
		if h.Get(SignatureHeader) != "" {
			return sig, reject(http.StatusUnauthorized, OutcomeUnauthorized,
				"X-Signature-256 header required: SHA-1 signatures (X-Signature) are not accepted")
		}
		return sig, reject(http.StatusUnauthorized, OutcomeUnauthorized, "missing X-Signature-256 header")
	}
	hexSig, ok := strings.CutPrefix(v, "sha256=")
	if !ok || hex.DecodedLen(len(hexSig)) != sha256.Size {
		return sig, reject(http.StatusUnauthorized, OutcomeUnauthorized, `X-Signature-256 must be "sha256=" and 64 hex digits`)
	}
	if _, err := hex.Decode(sig[:], []byte(hexSig)); err != nil {
		return sig, reject(http.StatusUnauthorized, OutcomeUnauthorized, `X-Signature-256 must be "sha256=" and 64 hex digits`)
	}
	return sig, nil
}

// verify accepts sig when it is the HMAC-SHA256 of body under any non-empty
// secret. Every secret is tried, whatever matched, so the time taken does not
// reveal which one did.
func (r *Receiver) verify(body []byte, sig [sha256.Size]byte) *rejection {
	matched, configured := false, false
	for _, secret := range r.secrets() {
		if len(secret) == 0 {
			continue
		}
		configured = true
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		if hmac.Equal(m.Sum(nil), sig[:]) {
			matched = true
		}
	}
	switch {
	case !configured:
		// The operator's configuration is wrong, not the request: say so loudly.
		r.log.Info("Rejecting Spacelift webhook delivery: no webhook secret is configured")
		return reject(http.StatusUnauthorized, OutcomeUnauthorized, "signature does not match")
	case !matched:
		return reject(http.StatusUnauthorized, OutcomeUnauthorized, "signature does not match")
	}
	return nil
}
