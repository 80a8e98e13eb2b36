package webhook

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the test forges Spacelift's SHA-1 header to show it is refused
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const testSecret = "s3cr3t-webhook-key"

var epoch = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	t      *testing.T
	rec    *Receiver
	reg    *prometheus.Registry
	clock  *fakeClock
	mu     sync.Mutex
	events []Event
}

// harnessStart is when a harness's receiver is created; its clock then
// reads epoch, so deliveries stamped shortly before epoch are fresh.
var harnessStart = epoch.Add(-5 * time.Minute)

func newHarness(t *testing.T, mutate ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, reg: prometheus.NewRegistry(), clock: &fakeClock{t: harnessStart}}
	opts := Options{
		Secrets: StaticSecrets([]byte(testSecret)),
		Enqueue: func(stackID string, ev Event) {
			if stackID != ev.StackID {
				t.Errorf("Enqueue(%q, %+v): stack ids differ", stackID, ev)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			h.events = append(h.events, ev)
		},
		Now:     h.clock.Now,
		Metrics: h.reg,
	}
	for _, m := range mutate {
		m(&opts)
	}
	rec, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.rec = rec
	h.clock.Advance(epoch.Sub(harnessStart))
	return h
}

// runEvent is Spacelift's default run event payload (docs example) for a
// state change at ts.
func runEvent(stack, run, state string, version int, ts time.Time) string {
	return fmt.Sprintf(`{"account":"spacelift-io","state":%q,"stateVersion":%d,"timestamp":%d,
"run":{"id":%q,"branch":"master","commit":{"authorLogin":"marcinwyszynski","authorName":"Marcin Wyszynski",
"hash":"0ee3a3b7266daf5a1d44a193a0f48ce995fa75eb","message":"Update demo.tf","timestamp":1596705932,"url":""},
"createdAt":1596979665,"delta":{"added":0,"changed":0,"deleted":0,"resources":1},
"triggeredBy":"marcinw@spacelift.io","type":"TRACKED"},
"stack":{"id":%q,"name":"Spacelift demo","description":"","labels":[]}}`, state, version, ts.Unix(), run, stack)
}

func mac(h func() hash.Hash, secret, body string) string {
	m := hmac.New(h, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

// signedBy returns both headers Spacelift sends, signed with secret.
func signedBy(secret, body string) http.Header {
	hdr := http.Header{}
	hdr.Set(SignatureHeader, "sha1="+mac(sha1.New, secret, body))
	hdr.Set(Signature256Header, "sha256="+mac(sha256.New, secret, body))
	return hdr
}

func (h *harness) do(method, body string, hdr http.Header) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest(method, Path, strings.NewReader(body))
	for k, v := range hdr {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.rec.Handler().ServeHTTP(w, req)
	return w
}

func (h *harness) count(outcome string) float64 {
	return testutil.ToFloat64(h.rec.requests.WithLabelValues(outcome))
}

func (h *harness) enqueued() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Event(nil), h.events...)
}

func TestAcceptsSignedDelivery(t *testing.T) {
	h := newHarness(t)
	ts := epoch.Add(-30 * time.Second)
	body := runEvent("spacelift-demo", "01EF9PFPNFFM2MQXTJKHK1B869", "FINISHED", 4, ts)

	w := h.do(http.MethodPost, body, signedBy(testSecret, body))

	if w.Code != http.StatusNoContent {
		t.Fatalf("status = %d (%s), want 204", w.Code, w.Body)
	}
	got := h.enqueued()
	if len(got) != 1 {
		t.Fatalf("enqueued %d events, want 1", len(got))
	}
	want := Event{StackID: "spacelift-demo", RunID: "01EF9PFPNFFM2MQXTJKHK1B869", RunType: "TRACKED",
		RunState: "FINISHED", StateVersion: 4, Account: "spacelift-io", Timestamp: ts, ReceivedAt: epoch}
	if !sameEvent(got[0], want) {
		t.Errorf("event = %+v\nwant    %+v", got[0], want)
	}
	if n := h.count(OutcomeAccepted); n != 1 {
		t.Errorf("accepted = %v, want 1", n)
	}
}

func sameEvent(a, b Event) bool {
	if !a.Timestamp.Equal(b.Timestamp) || !a.ReceivedAt.Equal(b.ReceivedAt) {
		return false
	}
	a.Timestamp, a.ReceivedAt, b.Timestamp, b.ReceivedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return a == b
}

func TestRejectsBadDeliveries(t *testing.T) {
	valid := runEvent("demo", "run1", "FINISHED", 4, epoch)
	signed := func(body string) http.Header { return signedBy(testSecret, body) }
	big := `{"stack":{"id":"demo"},"pad":"` + strings.Repeat("x", 300) + `"}`
	cases := []struct {
		name    string
		method  string
		body    string
		header  func(body string) http.Header
		mutate  func(*Options, *http.Request)
		status  int
		outcome string
		msg     string
	}{
		{name: "unsigned", body: valid, header: func(string) http.Header { return nil },
			status: 401, outcome: OutcomeUnauthorized, msg: "missing X-Signature-256"},
		{name: "forged signature", body: valid, header: func(string) http.Header {
			return http.Header{Signature256Header: {"sha256=" + strings.Repeat("ab", 32)}}
		}, status: 401, outcome: OutcomeUnauthorized, msg: "signature does not match"},
		{name: "signature of another body", body: valid, header: func(string) http.Header {
			return signed(runEvent("other", "run1", "FINISHED", 4, epoch))
		}, status: 401, outcome: OutcomeUnauthorized, msg: "signature does not match"},
		{name: "wrong secret", body: valid, header: func(b string) http.Header { return signedBy("not-the-secret", b) },
			status: 401, outcome: OutcomeUnauthorized, msg: "signature does not match"},
		{name: "sha1 only", body: valid, header: func(b string) http.Header {
			hdr := signed(b)
			hdr.Del(Signature256Header)
			return hdr
		}, status: 401, outcome: OutcomeUnauthorized, msg: "SHA-1 signatures (X-Signature) are not accepted"},
		{name: "signature without algorithm", body: valid, header: func(b string) http.Header {
			return http.Header{Signature256Header: {strings.TrimPrefix(signed(b).Get(Signature256Header), "sha256=")}}
		}, status: 401, outcome: OutcomeUnauthorized, msg: "64 hex digits"},
		{name: "signature not hex", body: valid, header: func(string) http.Header {
			return http.Header{Signature256Header: {"sha256=" + strings.Repeat("zz", 32)}}
		}, status: 401, outcome: OutcomeUnauthorized, msg: "64 hex digits"},
		{name: "no secret configured", body: valid, header: func(b string) http.Header { return signedBy("", b) },
			mutate: func(o *Options, _ *http.Request) { o.Secrets = StaticSecrets(nil, []byte{}) },
			status: 401, outcome: OutcomeUnauthorized, msg: "signature does not match"},
		{name: "timestamp too old", body: runEvent("demo", "run1", "FINISHED", 4, epoch.Add(-DefaultMaxAge-time.Second)),
			header: signed, status: 401, outcome: OutcomeReplayed, msg: "older than the accepted window of 10m0s"},
		{name: "timestamp too far ahead", body: runEvent("demo", "run1", "FINISHED", 4, epoch.Add(DefaultMaxClockSkew+time.Second)),
			header: signed, status: 401, outcome: OutcomeReplayed, msg: "more than 30s in the future"},
		{name: "timestamp before the receiver started", body: runEvent("demo", "run1", "FINISHED", 4, harnessStart.Add(-time.Second)),
			header: signed, status: 401, outcome: OutcomeReplayed, msg: "older than this receiver"},
		{name: "no timestamp", body: `{"stack":{"id":"demo"},"run":{"id":"run1","type":"TRACKED"},"state":"FINISHED","stateVersion":4}`,
			header: signed, status: 400, outcome: OutcomeMalformed, msg: "payload has no timestamp"},
		{name: "null and zero timestamps", body: `{"stack":{"id":"demo"},"timestamp":0,"timestamp_millis":null}`,
			header: signed, status: 400, outcome: OutcomeMalformed, msg: "payload has no timestamp"},
		{name: "oversized", body: big, header: signed,
			mutate: func(o *Options, _ *http.Request) { o.MaxBodyBytes = 256 },
			status: 413, outcome: OutcomeTooLarge, msg: "larger than 256 bytes"},
		{name: "oversized without content length", body: big, header: signed,
			mutate: func(o *Options, r *http.Request) { o.MaxBodyBytes = 256; r.ContentLength = -1 },
			status: 413, outcome: OutcomeTooLarge, msg: "larger than 256 bytes"},
		{name: "malformed JSON", body: `{"stack":{"id":"demo"}`, header: signed,
			status: 400, outcome: OutcomeMalformed, msg: "not a valid JSON object"},
		{name: "missing stack id", header: signed,
			body:   `{"title":"Invalid Stack Slug Triggered","body":"…","error":"…","severity":"ERROR","account":"spacelift-io"}`,
			status: 400, outcome: OutcomeMalformed, msg: "no stack.id"},
		{name: "unreadable timestamp", body: `{"stack":{"id":"demo"},"timestamp":true}`, header: signed,
			status: 400, outcome: OutcomeMalformed, msg: "timestamp true is neither"},
		{name: "GET", method: http.MethodGet, header: signed,
			status: 405, outcome: OutcomeMethodNotAllowed, msg: "only POST"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(cmpOr(tc.method, http.MethodPost), Path, strings.NewReader(tc.body))
			for k, v := range tc.header(tc.body) {
				req.Header[k] = v
			}
			h := newHarness(t, func(o *Options) {
				if tc.mutate != nil {
					tc.mutate(o, req)
				}
			})
			w := httptest.NewRecorder()
			h.rec.Handler().ServeHTTP(w, req)

			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.msg) {
				t.Errorf("answer = %d %q, want %d containing %q", w.Code, w.Body, tc.status, tc.msg)
			}
			if strings.Contains(w.Body.String(), testSecret) {
				t.Errorf("answer %q contains the secret", w.Body)
			}
			if tc.status == http.StatusMethodNotAllowed && w.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", w.Header().Get("Allow"))
			}
			for _, o := range outcomes {
				want := 0.0
				if o == tc.outcome {
					want = 1
				}
				if got := h.count(o); got != want {
					t.Errorf("spacelift_webhook_requests_total{outcome=%q} = %v, want %v", o, got, want)
				}
			}
			if ev := h.enqueued(); len(ev) != 0 {
				t.Errorf("enqueued %+v for a rejected delivery", ev)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestRejectsReplayedDelivery(t *testing.T) {
	h := newHarness(t)
	body := runEvent("demo", "run1", "PLANNING", 3, epoch)
	hdr := signedBy(testSecret, body)

	if w := h.do(http.MethodPost, body, hdr); w.Code != http.StatusNoContent {
		t.Fatalf("first delivery: %d %s", w.Code, w.Body)
	}
	h.clock.Advance(time.Minute)
	if w := h.do(http.MethodPost, body, hdr); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "replayed delivery") {
		t.Errorf("replay: %d %q, want 401 replayed delivery", w.Code, w.Body)
	}
	next := runEvent("demo", "run1", "FINISHED", 4, epoch.Add(time.Minute))
	if w := h.do(http.MethodPost, next, signedBy(testSecret, next)); w.Code != http.StatusNoContent {
		t.Errorf("next state: %d %s", w.Code, w.Body)
	}
	if a, r := h.count(OutcomeAccepted), h.count(OutcomeReplayed); a != 2 || r != 1 {
		t.Errorf("accepted, replayed = %v, %v; want 2, 1", a, r)
	}
	if n := len(h.enqueued()); n != 2 {
		t.Errorf("enqueued %d events, want 2", n)
	}
}

// A delivery accepted before a restart is refused after it: the new
// receiver knows nothing of the old one's cache, but refuses every delivery
// stamped before it was created.
func TestReplayRefusedAcrossRestart(t *testing.T) {
	h := newHarness(t)
	body := runEvent("demo", "run1", "FINISHED", 4, epoch.Add(-time.Second))
	hdr := signedBy(testSecret, body)
	if w := h.do(http.MethodPost, body, hdr); w.Code != http.StatusNoContent {
		t.Fatalf("first delivery: %d %s", w.Code, w.Body)
	}
	h.clock.Advance(time.Second)
	if w := h.do(http.MethodPost, body, hdr); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "replayed delivery") {
		t.Errorf("replay before the restart: %d %q, want 401 replayed delivery", w.Code, w.Body)
	}

	// The process restarts a minute later, well within MaxAge of the
	// delivery: a new receiver with the same clock.
	h.clock.Advance(time.Minute)
	restarted, err := New(Options{Secrets: StaticSecrets([]byte(testSecret)), Now: h.clock.Now,
		Enqueue: func(_ string, ev Event) { t.Errorf("enqueued %+v after the restart", ev) }})
	if err != nil {
		t.Fatal(err)
	}
	h.rec = restarted
	h.clock.Advance(time.Second)
	if w := h.do(http.MethodPost, body, hdr); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "older than this receiver") {
		t.Errorf("replay after the restart: %d %q, want 401 older than this receiver", w.Code, w.Body)
	}
	if got := testutil.ToFloat64(restarted.requests.WithLabelValues(OutcomeReplayed)); got != 1 {
		t.Errorf("replayed after the restart = %v, want 1", got)
	}

	// A state change after the restart is accepted, once.
	var accepted []Event
	restarted.enqueue = func(_ string, ev Event) { accepted = append(accepted, ev) }
	next := runEvent("demo", "run2", "QUEUED", 1, h.clock.Now())
	for range 2 {
		h.do(http.MethodPost, next, signedBy(testSecret, next))
	}
	if len(accepted) != 1 || accepted[0].RunID != "run2" {
		t.Errorf("accepted %+v after the restart, want run2 once", accepted)
	}
}

func TestConcurrentDuplicatesAcceptedOnce(t *testing.T) {
	h := newHarness(t)
	body := runEvent("demo", "run1", "FINISHED", 4, epoch)
	hdr := signedBy(testSecret, body)
	var accepted atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if h.do(http.MethodPost, body, hdr).Code == http.StatusNoContent {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	if n := accepted.Load(); n != 1 {
		t.Errorf("%d of 8 identical deliveries accepted, want 1", n)
	}
	if n := h.count(OutcomeReplayed); n != 7 {
		t.Errorf("replayed = %v, want 7", n)
	}
}

func TestSecretRotation(t *testing.T) {
	var current atomic.Pointer[[][]byte]
	set := func(secrets ...string) {
		var s [][]byte
		for _, v := range secrets {
			s = append(s, []byte(v))
		}
		current.Store(&s)
	}
	set("old")
	h := newHarness(t, func(o *Options) { o.Secrets = func() [][]byte { return *current.Load() } })
	version := 0
	deliver := func(secret string) int {
		version++
		body := runEvent("demo", "run1", "PLANNING", version, epoch)
		return h.do(http.MethodPost, body, signedBy(secret, body)).Code
	}

	steps := []struct {
		secrets []string
		signer  string
		want    int
	}{
		{[]string{"old"}, "old", 204},
		{[]string{"old"}, "new", 401},
		{[]string{"new", "old"}, "old", 204}, // rotation under way: both accepted
		{[]string{"new", "old"}, "new", 204},
		{[]string{"new"}, "old", 401}, // rotation done
		{[]string{"new"}, "new", 204},
	}
	for i, s := range steps {
		set(s.secrets...)
		if got := deliver(s.signer); got != s.want {
			t.Errorf("step %d: secrets %v, signed with %q: %d, want %d", i, s.secrets, s.signer, got, s.want)
		}
	}
}

func TestNew(t *testing.T) {
	enqueue := func(string, Event) {}
	if _, err := New(Options{Enqueue: enqueue}); err == nil {
		t.Error("New without Secrets succeeded")
	}
	if _, err := New(Options{Secrets: StaticSecrets([]byte("x"))}); err == nil {
		t.Error("New without Enqueue succeeded")
	}

	reg := prometheus.NewRegistry()
	opts := Options{Secrets: StaticSecrets([]byte("x")), Enqueue: enqueue, Metrics: reg}
	first, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	second, err := New(opts)
	if err != nil {
		t.Fatalf("second New on the same registry: %v", err)
	}
	second.requests.WithLabelValues(OutcomeAccepted).Inc()
	if got := testutil.ToFloat64(first.requests.WithLabelValues(OutcomeAccepted)); got != 1 {
		t.Errorf("receivers on one registry do not share the counter: %v", got)
	}
	if n, err := testutil.GatherAndCount(reg, "spacelift_webhook_requests_total"); err != nil || n != len(outcomes) {
		t.Errorf("exported %d series (%v), want one per outcome (%d) from the start", n, err, len(outcomes))
	}
	if first.maxBody != DefaultMaxBodyBytes || first.maxAge != DefaultMaxAge || first.maxSkew != DefaultMaxClockSkew || first.replays.max != DefaultReplayCacheSize {
		t.Errorf("defaults = %d, %s, %s, %d", first.maxBody, first.maxAge, first.maxSkew, first.replays.max)
	}
	if _, err := New(Options{Secrets: StaticSecrets([]byte("x")), Enqueue: enqueue, MaxAge: time.Minute, MaxClockSkew: 2 * time.Minute}); err == nil ||
		!strings.Contains(err.Error(), "MaxClockSkew 2m0s must not exceed MaxAge 1m0s") {
		t.Errorf("New with MaxClockSkew above MaxAge: %v, want an error naming both", err)
	}
}

func TestHealthz(t *testing.T) {
	h := newHarness(t)
	req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	rw := httptest.NewRecorder()
	h.rec.Handler().ServeHTTP(rw, req)
	if rw.Code != http.StatusOK || rw.Body.String() != "ok\n" {
		t.Errorf("GET /healthz = %d %q", rw.Code, rw.Body)
	}
}
