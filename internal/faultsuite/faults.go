// Package faultsuite runs the operator against a Spacelift emulator that
// misbehaves: failed and timed-out requests, rate-limit bursts, latency
// spikes, a restart of the emulator from its state file, a restart of the
// operator and a rotation of its API key, all while an AdminStack expands
// into hundreds of children. Its tests then check that Spacelift ends up with
// exactly the stacks Kubernetes asks for, that forged webhooks are refused
// and that no secret leaks into logs, events or status.
//
// This file holds the fault-injecting front end the tests put before the
// emulator; the tests are in the _test files.
package faultsuite

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Faults are the failures Front injects into requests to /graphql.
type Faults struct {
	// ErrorRate is the share of requests answered 503 without reaching the
	// backend.
	ErrorRate float64
	// StallRate is the share of requests whose answer is held back for
	// Stall, longer than the client waits: half of them never reach the
	// backend, the other half are executed by the backend and only their
	// answer is lost, so the client cannot tell whether a mutation happened.
	StallRate float64
	// Stall is how long a stalled request is held.
	Stall time.Duration
}

// lostAnswerHold is how long an answer lost by LoseNext is held when no
// stall duration is set; longer than any client here waits.
const lostAnswerHold = 5 * time.Second

// Stats count what Front did with requests to /graphql.
type Stats struct {
	// Requests is every request to /graphql.
	Requests int64
	// Failed were answered 503 by Front.
	Failed int64
	// StalledBefore never reached the backend; StalledAfter reached it and
	// lost their answer.
	StalledBefore, StalledAfter int64
	// Down were refused (connection closed) while no backend was set.
	Down int64
}

// Front is an http.Handler, served at a stable address, in front of a
// backend that can be replaced (an emulator restarting from its state file).
// It injects Faults and records the JWTs the backend hands out.
type Front struct {
	faults atomic.Pointer[Faults]

	mu      sync.RWMutex
	backend *backend

	requests, failed, stalledBefore, stalledAfter, down atomic.Int64

	tokensMu sync.Mutex
	tokens   map[string]bool

	// lose holds, by GraphQL operation name, how many answers are still to
	// be lost; lost how many were.
	loseMu sync.Mutex
	lose   map[string]int
	lost   map[string]int

	// errors counts the GraphQL error messages the backend answered with.
	errorsMu sync.Mutex
	errors   map[string]int
}

type backend struct {
	h      http.Handler
	active sync.WaitGroup
}

// NewFront returns a Front with no backend and no faults.
func NewFront() *Front {
	f := &Front{tokens: map[string]bool{}, lose: map[string]int{}, lost: map[string]int{}, errors: map[string]int{}}
	f.faults.Store(&Faults{})
	return f
}

// SetFaults replaces the injected faults.
func (f *Front) SetFaults(x Faults) { f.faults.Store(&x) }

// Swap makes h the backend (nil: none, requests are refused) and waits, up
// to timeout, until no request is running in the previous backend, so that
// it can be closed without losing a write it acknowledged. It reports
// whether the previous backend drained in time.
func (f *Front) Swap(h http.Handler, timeout time.Duration) bool {
	var next *backend
	if h != nil {
		next = &backend{h: h}
	}
	f.mu.Lock()
	prev := f.backend
	f.backend = next
	f.mu.Unlock()
	if prev == nil {
		return true
	}
	done := make(chan struct{})
	go func() { prev.active.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// LoseNext makes the backend execute the next n requests of the GraphQL
// operation op (its operationName, such as "StackCreate") and withholds
// their answers until the client gives up: the client cannot tell whether
// the write happened.
func (f *Front) LoseNext(op string, n int) {
	f.loseMu.Lock()
	defer f.loseMu.Unlock()
	f.lose[op] += n
}

// Lost returns how many answers LoseNext withheld, by operation.
func (f *Front) Lost() map[string]int {
	f.loseMu.Lock()
	defer f.loseMu.Unlock()
	out := make(map[string]int, len(f.lost))
	for k, v := range f.lost {
		out[k] = v
	}
	return out
}

// takeLoss reports whether the answer to r, a /graphql request, is to be
// lost. It reads the body only while losses are pending, and puts it back.
func (f *Front) takeLoss(r *http.Request) bool {
	f.loseMu.Lock()
	pending := len(f.lose) > 0
	f.loseMu.Unlock()
	if !pending {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		OperationName string `json:"operationName"`
	}
	if json.Unmarshal(body, &req) != nil {
		return false
	}
	f.loseMu.Lock()
	defer f.loseMu.Unlock()
	if f.lose[req.OperationName] == 0 {
		return false
	}
	if f.lose[req.OperationName]--; f.lose[req.OperationName] == 0 {
		delete(f.lose, req.OperationName)
	}
	f.lost[req.OperationName]++
	return true
}

// Stats returns the counters.
func (f *Front) Stats() Stats {
	return Stats{Requests: f.requests.Load(), Failed: f.failed.Load(),
		StalledBefore: f.stalledBefore.Load(), StalledAfter: f.stalledAfter.Load(), Down: f.down.Load()}
}

// Tokens returns the JWTs the backend handed out through apiKeyUser.
func (f *Front) Tokens() []string {
	f.tokensMu.Lock()
	defer f.tokensMu.Unlock()
	out := make([]string, 0, len(f.tokens))
	for t := range f.tokens {
		out = append(out, t)
	}
	return out
}

// ServeHTTP applies the faults and passes the request on.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	graphql := r.URL.Path == "/graphql"
	if graphql {
		f.requests.Add(1)
	}
	f.mu.RLock()
	b := f.backend
	if b != nil {
		b.active.Add(1)
	}
	f.mu.RUnlock()
	if b == nil {
		f.down.Add(1)
		refuse(w)
		return
	}
	x := f.faults.Load()
	stall := false
	if graphql {
		p := rand.Float64() //nolint:gosec // fault injection needs no crypto randomness
		switch {
		case p < x.ErrorRate:
			b.active.Done()
			f.failed.Add(1)
			http.Error(w, `{"errors":[{"message":"Service Unavailable"}]}`, http.StatusServiceUnavailable)
			return
		case p < x.ErrorRate+x.StallRate/2:
			b.active.Done()
			f.stalledBefore.Add(1)
			hold(r, x.Stall)
			return
		case p < x.ErrorRate+x.StallRate:
			f.stalledAfter.Add(1)
			stall = true
		}
		if !stall && f.takeLoss(r) {
			stall = true
		}
	}
	rec := httptest.NewRecorder()
	func() {
		defer b.active.Done()
		b.h.ServeHTTP(rec, r)
	}()
	if graphql {
		f.captureToken(rec.Body.Bytes())
		f.countErrors(rec.Body.Bytes())
	}
	if stall {
		hold(r, max(x.Stall, lostAnswerHold))
		return // the client has given up; its answer is lost
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// hold waits for d or until the client goes away.
func hold(r *http.Request, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// refuse closes the connection without an answer, as a server that is not
// listening would (the closest an http.Handler gets to a refused connection).
func refuse(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	http.Error(w, "backend restarting", http.StatusBadGateway)
}

// Errors returns the GraphQL error messages the backend answered with, and
// how often; digits are replaced by "#" so that ids do not split them.
func (f *Front) Errors() map[string]int {
	f.errorsMu.Lock()
	defer f.errorsMu.Unlock()
	out := make(map[string]int, len(f.errors))
	for k, v := range f.errors {
		out[k] = v
	}
	return out
}

func (f *Front) countErrors(body []byte) {
	if !bytes.Contains(body, []byte(`"errors"`)) {
		return
	}
	var resp struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &resp) != nil {
		return
	}
	f.errorsMu.Lock()
	defer f.errorsMu.Unlock()
	for _, e := range resp.Errors {
		msg := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return '#'
			}
			return r
		}, e.Message)
		f.errors[msg]++
	}
}

// captureToken records the JWT of an apiKeyUser answer.
func (f *Front) captureToken(body []byte) {
	if !bytes.Contains(body, []byte(`"apiKeyUser"`)) {
		return
	}
	var resp struct {
		Data struct {
			User *struct {
				JWT string `json:"jwt"`
			} `json:"apiKeyUser"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &resp) != nil || resp.Data.User == nil || strings.Count(resp.Data.User.JWT, ".") != 2 {
		return
	}
	f.tokensMu.Lock()
	f.tokens[resp.Data.User.JWT] = true
	f.tokensMu.Unlock()
}
