package spacelift

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"time"

	graphql "github.com/hasura/go-graphql-client"
	"golang.org/x/sync/singleflight"
)

// exchangeTimeout bounds a token exchange, which runs detached from the
// context of the call that started it so that one caller giving up does not
// fail the others waiting for the same token.
const exchangeTimeout = 2 * time.Minute

// tokenSource caches the JWT obtained for the API key and replaces it before
// it expires. Concurrent callers needing a new token share one exchange.
type tokenSource struct {
	exchange func(ctx context.Context) (jwt string, validUntil time.Time, err error)
	now      func() time.Time
	margin   time.Duration
	group    singleflight.Group

	mu        sync.Mutex
	jwt       string
	refreshAt time.Time
}

func newTokenSource(now func() time.Time, margin time.Duration,
	exchange func(context.Context) (string, time.Time, error)) *tokenSource {
	return &tokenSource{exchange: exchange, now: now, margin: margin}
}

// Token returns a token that is not about to expire.
func (t *tokenSource) Token(ctx context.Context) (string, error) {
	if jwt, ok := t.cached(); ok {
		return jwt, nil
	}
	ch := t.group.DoChan("token", func() (any, error) {
		if jwt, ok := t.cached(); ok {
			return jwt, nil
		}
		xctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), exchangeTimeout)
		defer cancel()
		issued := t.now()
		jwt, validUntil, err := t.exchange(xctx)
		if err != nil {
			return "", err
		}
		lifetime := validUntil.Sub(issued)
		if iat, ok := issuedAt(jwt); ok {
			// Measure the lifetime on the API's clock, so that a skewed
			// local clock neither refreshes on every call nor keeps an
			// expired token.
			lifetime = validUntil.Sub(iat)
		}
		margin := min(t.margin, lifetime/2)
		t.mu.Lock()
		t.jwt = jwt
		t.refreshAt = issued.Add(lifetime - margin)
		t.mu.Unlock()
		return jwt, nil
	})
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	}
}

func (t *tokenSource) cached() (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.jwt != "" && t.now().Before(t.refreshAt) {
		return t.jwt, true
	}
	return "", false
}

// issuedAt reads the iat claim of a JWT without verifying the token.
func issuedAt(jwt string) (time.Time, bool) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		IssuedAt int64 `json:"iat"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.IssuedAt == 0 {
		return time.Time{}, false
	}
	return time.Unix(claims.IssuedAt, 0), true
}

// Invalidate drops jwt if it is still the cached token, so that the next
// call exchanges the key again.
func (t *tokenSource) Invalidate(jwt string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.jwt == jwt {
		t.jwt = ""
	}
}

// exchangeAPIKey trades the API key for a JWT with the apiKeyUser mutation.
func (c *Client) exchangeAPIKey(ctx context.Context, keyID, secret string) (string, time.Time, error) {
	var m struct {
		User *struct {
			JWT        string `graphql:"jwt"`
			ValidUntil int64  `graphql:"validUntil"`
		} `graphql:"apiKeyUser(id: $id, secret: $secret)"`
	}
	cl := call{name: "ApiKeyUser", mutation: true, idempotent: true, anonymous: true}
	vars := map[string]any{"id": graphql.ID(keyID), "secret": secret}
	if err := c.do(ctx, cl, &m, vars); err != nil {
		return "", time.Time{}, err
	}
	if m.User == nil || m.User.JWT == "" {
		return "", time.Time{}, &Error{
			Operation: cl.name,
			Kind:      KindUnauthorized,
			Messages:  []string{"API key " + keyID + " was not accepted"},
		}
	}
	return m.User.JWT, time.Unix(m.User.ValidUntil, 0), nil
}
