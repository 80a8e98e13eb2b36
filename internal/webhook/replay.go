package webhook

import (
	"crypto/sha256"
	"sync"
	"time"
)

// replayCache remembers the signatures of accepted deliveries until they
// expire. It holds at most max signatures; when full it forgets the ones
// added first, which under a flood of distinct valid deliveries shortens the
// protection of the oldest ones but never lets memory grow.
type replayCache struct {
	mu    sync.Mutex
	max   int
	seen  map[[sha256.Size]byte]time.Time // signature → expiry
	order []replayEntry                   // insertion order, oldest first
}

type replayEntry struct {
	sig    [sha256.Size]byte
	expiry time.Time
}

func newReplayCache(size int) *replayCache {
	return &replayCache{max: size, seen: make(map[[sha256.Size]byte]time.Time)}
}

// add records sig until expiry and reports whether it was new, that is not
// already remembered with an expiry after now. Checking and recording is one
// step, so of two concurrent identical deliveries only one is accepted.
func (c *replayCache) add(sig [sha256.Size]byte, now, expiry time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if exp, ok := c.seen[sig]; ok && exp.After(now) {
		return false
	}
	// Forget from the front what has expired, and what no longer fits. The
	// queue may hold stale duplicates of signatures added again after they
	// expired; its own length is capped too.
	for len(c.order) > 0 && (!c.order[0].expiry.After(now) || len(c.seen) >= c.max || len(c.order) >= 2*c.max) {
		c.evictFirst()
	}
	c.seen[sig] = expiry
	c.order = append(c.order, replayEntry{sig: sig, expiry: expiry})
	return true
}

// evictFirst drops the oldest entry; the map keeps the signature when it was
// added again later with another expiry.
func (c *replayCache) evictFirst() {
	e := c.order[0]
	c.order[0] = replayEntry{}
	c.order = c.order[1:]
	if exp, ok := c.seen[e.sig]; ok && exp.Equal(e.expiry) {
		delete(c.seen, e.sig)
	}
}

func (c *replayCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
