// Package emulatortest serves a Spacelift emulator on a loopback HTTP server
// for the duration of a test. It lives apart from package emulator so that
// the emulator's binaries do not link package testing.
package emulatortest

import (
	"net/http/httptest"
	"testing"

	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
)

// Harness is an emulator served on a loopback httptest server. It is closed
// by the test's cleanup.
type Harness struct {
	*emulator.Server
	// URL is the server's base URL; the API is at URL + "/graphql".
	URL string
	// HTTP is the loopback server; a test may close it early to simulate a
	// restart.
	HTTP *httptest.Server
}

// Start serves a new emulator for the duration of the test.
func Start(tb testing.TB, opts emulator.Options) *Harness {
	tb.Helper()
	srv, err := emulator.New(opts)
	if err != nil {
		tb.Fatalf("starting emulator: %v", err)
	}
	h := &Harness{Server: srv, HTTP: httptest.NewServer(srv)}
	h.URL = h.HTTP.URL
	tb.Cleanup(func() {
		h.HTTP.Close()
		if err := srv.Close(); err != nil {
			tb.Errorf("closing emulator: %v", err)
		}
	})
	return h
}

// GraphQLURL is the endpoint a GraphQL client should be pointed at.
func (h *Harness) GraphQLURL() string { return h.URL + "/graphql" }

// Token is a bearer token for the emulator's API key, issued without the
// apiKeyUser round trip.
func (h *Harness) Token() string { return h.IssueToken(h.URL) }
