package spacelift

import (
	"fmt"
	"sync"

	"golang.org/x/time/rate"
)

// ClientCache hands reconcilers one Client per version of the credentials
// they read (a Secret, for the operator), so that every reconcile using the
// same credentials shares their token and pause state, and changed
// credentials yield a new Client. All clients of a cache share one rate
// limiter and one Observer.
type ClientCache struct {
	opts Options

	mu      sync.Mutex
	entries map[cacheKey]*Client
	// owners maps a Secret ("namespace/name") to the key of its client.
	owners map[string]cacheKey
}

// cacheKey identifies a client: the owner's version (a Secret's
// resourceVersion) changes with every update, the secret value included.
type cacheKey struct {
	endpoint string
	keyID    string
	version  string
}

// NewClientCache returns an empty cache whose clients are built with opts.
// When opts.Limiter is nil, one limiter of opts.QPS and opts.Burst is
// created for all of them.
func NewClientCache(opts Options) *ClientCache {
	if opts.Limiter == nil {
		qps, burst := opts.QPS, opts.Burst
		if qps <= 0 {
			qps = DefaultQPS
		}
		if burst <= 0 {
			burst = DefaultBurst
		}
		opts.Limiter = rate.NewLimiter(rate.Limit(qps), burst)
	}
	return &ClientCache{opts: opts, entries: map[cacheKey]*Client{}, owners: map[string]cacheKey{}}
}

// Get returns the client for creds read from owner (for a Secret,
// "namespace/name") at version (its resourceVersion), creating it on first
// use. A new version of the same owner replaces, and drops, the client of the
// previous one. Owners with equal credentials at equal versions share a
// client.
func (c *ClientCache) Get(owner, version string, creds Credentials) (*Client, error) {
	endpoint, err := creds.GraphQLURL()
	if err != nil {
		return nil, fmt.Errorf("spacelift credentials from %s: %w", owner, err)
	}
	key := cacheKey{endpoint: endpoint, keyID: creds.KeyID, version: version}

	c.mu.Lock()
	defer c.mu.Unlock()
	if client, ok := c.entries[key]; ok {
		c.setOwnerLocked(owner, key)
		return client, nil
	}
	client, err := New(creds, c.opts)
	if err != nil {
		return nil, fmt.Errorf("spacelift client for %s: %w", owner, err)
	}
	c.entries[key] = client
	c.setOwnerLocked(owner, key)
	return client, nil
}

// Forget drops the client of owner, for example a deleted Secret.
func (c *ClientCache) Forget(owner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.owners[owner]; ok {
		delete(c.owners, owner)
		c.dropUnownedLocked(old)
	}
}

// Len returns the number of cached clients.
func (c *ClientCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *ClientCache) setOwnerLocked(owner string, key cacheKey) {
	old, had := c.owners[owner]
	c.owners[owner] = key
	if had && old != key {
		c.dropUnownedLocked(old)
	}
}

func (c *ClientCache) dropUnownedLocked(key cacheKey) {
	for _, k := range c.owners {
		if k == key {
			return
		}
	}
	delete(c.entries, key)
}
