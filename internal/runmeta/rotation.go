package runmeta

import (
	"fmt"
	"strings"
	"time"
)

// KeyRetention is how long a retired signing key stays published: the
// lifetime of the last token it signed plus MaxClockSkew. A verifier that
// reads the published keys therefore accepts every token that has not
// expired, whenever the key was rotated.
const KeyRetention = TokenLifetime + MaxClockSkew

// PublishedKey is one key id in the published key list.
type PublishedKey struct {
	// ID is the key id (see KeyID).
	ID string
	// RetiredAt is when the key stopped being the signing key; zero for the
	// current key.
	RetiredAt time.Time
}

// ParsePublishedKeys reads a key list written by FormatPublishedKeys:
// comma-separated key ids, newest first, each retired one followed by
// "@" and its retirement time in RFC 3339. Ids without a time (the format
// before retirement times were recorded) are read with a zero RetiredAt.
// Malformed entries are skipped: the list is rebuilt on the next rotation.
func ParsePublishedKeys(s string) []PublishedKey {
	var out []PublishedKey
	for _, item := range strings.Split(s, ",") {
		id, at, hasAt := strings.Cut(strings.TrimSpace(item), "@")
		if !keyIDPattern.MatchString(id) {
			continue
		}
		k := PublishedKey{ID: id}
		if hasAt {
			t, err := time.Parse(time.RFC3339, at)
			if err != nil {
				continue
			}
			k.RetiredAt = t.UTC()
		}
		out = append(out, k)
	}
	return out
}

// FormatPublishedKeys writes keys in the form ParsePublishedKeys reads.
func FormatPublishedKeys(keys []PublishedKey) string {
	items := make([]string, 0, len(keys))
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			items = append(items, k.ID)
			continue
		}
		items = append(items, fmt.Sprintf("%s@%s", k.ID, k.RetiredAt.UTC().Format(time.RFC3339)))
	}
	return strings.Join(items, ",")
}

// RotatePublishedKeys returns the key list after current becomes (or stays)
// the signing key at now: current first, then the previous keys, newest
// first. A previous key without a retirement time is marked retired at now.
// A previous key is dropped only when at least keep keys are newer than it
// and it retired more than KeyRetention before now, so a run signed just
// before a rotation keeps verifying. dropped lists the removed ids.
func RotatePublishedKeys(published []PublishedKey, current string, now time.Time, keep int) (kept []PublishedKey, dropped []string) {
	now = now.UTC().Truncate(time.Second)
	kept = []PublishedKey{{ID: current}}
	for _, k := range published {
		if k.ID == current || containsKey(kept, k.ID) {
			continue
		}
		if k.RetiredAt.IsZero() {
			k.RetiredAt = now
		}
		if len(kept) >= keep && now.Sub(k.RetiredAt) > KeyRetention {
			dropped = append(dropped, k.ID)
			continue
		}
		kept = append(kept, k)
	}
	return kept, dropped
}

func containsKey(keys []PublishedKey, id string) bool {
	for _, k := range keys {
		if k.ID == id {
			return true
		}
	}
	return false
}
