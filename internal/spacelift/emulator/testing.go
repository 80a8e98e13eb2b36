package emulator

import (
	"net/http/httptest"
	"testing"
)

// Harness is an emulator served on a loopback httptest server, for tests in
// this and other packages. It is closed by the test's cleanup.
type Harness struct {
	*Server
	// URL is the server's base URL; the API is at URL + "/graphql".
	URL  string
	HTTP *httptest.Server
}

// Start serves a new emulator for the duration of the test.
func Start(tb testing.TB, opts Options) *Harness {
	tb.Helper()
	srv, err := New(opts)
	if err != nil {
		tb.Fatalf("starting emulator: %v", err)
	}
	ts := httptest.NewServer(srv)
	tb.Cleanup(func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			tb.Errorf("closing emulator: %v", err)
		}
	})
	return &Harness{Server: srv, URL: ts.URL, HTTP: ts}
}

// GraphQLURL is the endpoint a GraphQL client should be pointed at.
func (h *Harness) GraphQLURL() string { return h.URL + "/graphql" }

// Token mints a bearer token without going through apiKeyUser.
func (h *Harness) Token() string {
	token, _ := h.mintToken(h.URL)
	return token
}
