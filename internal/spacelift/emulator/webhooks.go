package emulator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // X-Signature is SHA-1 HMAC, as GitHub and Spacelift send it
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/graph-gophers/graphql-go"
)

// Webhook signature headers, computed like GitHub's: HMAC of the raw body
// keyed with the webhook secret, hex encoded, prefixed with the algorithm.
const (
	SignatureHeader    = "X-Signature"
	Signature256Header = "X-Signature-256"
)

// WebhookPayload is the run state change notification Spacelift POSTs to
// stack webhooks (docs: integrations/webhooks, "Run events").
type WebhookPayload struct {
	Account      string       `json:"account"`
	State        string       `json:"state"`
	StateVersion int          `json:"stateVersion"`
	Timestamp    int64        `json:"timestamp"`
	Run          WebhookRun   `json:"run"`
	Stack        WebhookStack `json:"stack"`
}

// WebhookRun is the run section of a WebhookPayload.
type WebhookRun struct {
	ID          string        `json:"id"`
	Branch      string        `json:"branch"`
	Commit      WebhookCommit `json:"commit"`
	CreatedAt   int64         `json:"createdAt"`
	Delta       *WebhookDelta `json:"delta"`
	TriggeredBy *string       `json:"triggeredBy"`
	Type        string        `json:"type"`
}

// WebhookCommit is the commit section of a WebhookRun.
type WebhookCommit struct {
	AuthorLogin string `json:"authorLogin"`
	AuthorName  string `json:"authorName"`
	Hash        string `json:"hash"`
	Message     string `json:"message"`
	Timestamp   int64  `json:"timestamp"`
	URL         string `json:"url"`
}

// WebhookDelta counts planned resource changes; the webhook payload names
// differ from the GraphQL RunDelta fields.
type WebhookDelta struct {
	Added     int32 `json:"added"`
	Changed   int32 `json:"changed"`
	Deleted   int32 `json:"deleted"`
	Resources int32 `json:"resources"`
}

// WebhookStack is the stack section of a WebhookPayload.
type WebhookStack struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Labels      []string `json:"labels"`
}

// WebhookDelivery records one delivery attempt.
type WebhookDelivery struct {
	Time       time.Time `json:"time"`
	StackID    string    `json:"stackId"`
	WebhookID  string    `json:"webhookId"`
	Endpoint   string    `json:"endpoint"`
	RunID      string    `json:"runId"`
	State      string    `json:"state"`
	StatusCode int       `json:"statusCode"`
	Error      string    `json:"error,omitempty"`
}

type webhookJob struct {
	stack     graphql.ID
	webhookID graphql.ID
	endpoint  string
	secret    string
	retry     bool
	body      []byte
	runID     string
	state     string
}

// queueWebhooksLocked announces a run state change to the stack's enabled
// webhooks. Delivery happens on a separate goroutine, in order.
func (s *Server) queueWebhooksLocked(st *stackRecord, r *runRecord, t time.Time) {
	if len(st.Webhooks) == 0 {
		return
	}
	c := r.Commit
	p := WebhookPayload{
		Account: s.opts.Account, State: r.State, StateVersion: len(r.History), Timestamp: t.Unix(),
		Run: WebhookRun{
			ID: string(r.ID), Branch: r.Branch, CreatedAt: int64(r.CreatedAt), TriggeredBy: r.TriggeredBy, Type: r.Type,
			Commit: WebhookCommit{AuthorLogin: deref(c.AuthorLogin), AuthorName: c.AuthorName, Hash: c.Hash,
				Message: c.Message, Timestamp: int64(c.Timestamp), URL: deref(c.URL)},
		},
		Stack: WebhookStack{ID: string(st.ID), Name: st.Name, Description: deref(st.Description), Labels: cloneStrings(st.Labels)},
	}
	if d := r.Delta; d != nil {
		p.Run.Delta = &WebhookDelta{Added: d.AddCount, Changed: d.ChangeCount, Deleted: d.DeleteCount, Resources: d.Resources}
	}
	body, err := json.Marshal(p)
	if err != nil {
		s.log.Error("encoding webhook payload", "err", err)
		return
	}
	for _, w := range st.Webhooks {
		if !w.Enabled {
			continue
		}
		job := webhookJob{stack: st.ID, webhookID: w.ID, endpoint: w.Endpoint, secret: w.Secret,
			retry: w.RetryOnFailure != nil && *w.RetryOnFailure, body: body, runID: string(r.ID), state: r.State}
		select {
		case s.hooks <- job:
		default:
			s.log.Error("webhook queue full, dropping delivery", "stack", st.ID, "run", r.ID, "state", r.State)
		}
	}
}

// Sign returns the X-Signature and X-Signature-256 header values for body.
func Sign(secret string, body []byte) (sha1Sig, sha256Sig string) {
	m1 := hmac.New(sha1.New, []byte(secret))
	m1.Write(body)
	m256 := hmac.New(sha256.New, []byte(secret))
	m256.Write(body)
	return "sha1=" + hex.EncodeToString(m1.Sum(nil)), "sha256=" + hex.EncodeToString(m256.Sum(nil))
}

func (s *Server) deliverWebhooks() {
	defer s.hooksWG.Done()
	for {
		select {
		case <-s.hooksDone:
			return
		case job := <-s.hooks:
			s.deliver(job)
		}
	}
}

// deliver POSTs one payload; with retryOnFailure it tries up to three more
// times on 5xx answers or transport errors, as Spacelift documents.
func (s *Server) deliver(job webhookJob) {
	attempts := 1
	if job.retry {
		attempts = 4
	}
	for i := range attempts {
		status, err := s.post(job)
		rec := WebhookDelivery{Time: s.now(), StackID: string(job.stack), WebhookID: string(job.webhookID),
			Endpoint: job.endpoint, RunID: job.runID, State: job.state, StatusCode: status}
		if err != nil {
			rec.Error = err.Error()
		}
		s.mu.Lock()
		s.st.WebhookDelivered = append(s.st.WebhookDelivered, rec)
		if n := len(s.st.WebhookDelivered); n > 1000 {
			s.st.WebhookDelivered = s.st.WebhookDelivered[n-1000:]
		}
		s.mu.Unlock()
		if err == nil && status < 500 {
			return
		}
		s.log.Warn("webhook delivery failed", "endpoint", job.endpoint, "status", status, "err", err, "attempt", i+1)
		select {
		case <-s.hooksDone:
			return
		case <-time.After(time.Duration(i+1) * 100 * time.Millisecond):
		}
	}
}

func (s *Server) post(job webhookJob) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.endpoint, bytes.NewReader(job.body))
	if err != nil {
		return 0, fmt.Errorf("building webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Spacelift-Emulator")
	if job.secret != "" {
		sig1, sig256 := Sign(job.secret, job.body)
		req.Header.Set(SignatureHeader, sig1)
		req.Header.Set(Signature256Header, sig256)
	}
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("posting webhook to %s: %w", job.endpoint, err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// WebhookDeliveries returns the most recent delivery attempts, oldest first.
func (s *Server) WebhookDeliveries() []WebhookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WebhookDelivery(nil), s.st.WebhookDelivered...)
}
