package spacelift

import (
	"fmt"
	"sync"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
)

// ClientCache hands reconcilers one Client per credentials Secret version,
// so that every reconcile using a Secret shares its token and pause state,
// and a changed Secret yields a new Client. All clients of a cache share one
// rate limiter and one Metrics.
type ClientCache struct {
	opts Options

	mu      sync.Mutex
	entries map[cacheKey]*Client
	// owners maps a Secret ("namespace/name") to the key of its client.
	owners map[string]cacheKey
}

// cacheKey identifies a client: the Secret's resourceVersion changes with
// every update of the Secret, the secret value included.
type cacheKey struct {
	endpoint        string
	keyID           string
	resourceVersion string
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
	if opts.Metrics == nil {
		opts.Metrics = DefaultMetrics()
	}
	return &ClientCache{opts: opts, entries: map[cacheKey]*Client{}, owners: map[string]cacheKey{}}
}

// ForSecret returns the client for the credentials held by secret (see
// CredentialsFromSecretData).
func (c *ClientCache) ForSecret(secret *corev1.Secret) (*Client, error) {
	creds, err := CredentialsFromSecretData(secret.Data)
	if err != nil {
		return nil, fmt.Errorf("reading Secret %s/%s: %w", secret.Namespace, secret.Name, err)
	}
	return c.Get(secret.Namespace+"/"+secret.Name, secret.ResourceVersion, creds)
}

// Get returns the client for creds read from the Secret owner
// ("namespace/name") at resourceVersion, creating it on first use. A new
// resourceVersion of the same Secret replaces, and drops, the client of the
// previous one.
func (c *ClientCache) Get(owner, resourceVersion string, creds Credentials) (*Client, error) {
	endpoint, err := creds.GraphQLURL()
	if err != nil {
		return nil, fmt.Errorf("spacelift credentials from %s: %w", owner, err)
	}
	key := cacheKey{endpoint: endpoint, keyID: creds.KeyID, resourceVersion: resourceVersion}

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

// Forget drops the client of a deleted Secret.
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
