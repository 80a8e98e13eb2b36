// Package runmeta builds, signs, encodes, parses and verifies the run metadata
// that spacelift-operator attaches to the Spacelift runs it creates.
//
// Spacelift lets the caller of runTrigger and runConfirm attach a free-form
// string to a run with the Spacelift-User-Provided-Run-Metadata HTTP header.
// Each call appends one entry to the run's user_provided_metadata list, which
// initialization policies see as input.run.user_provided_metadata. The operator
// puts a signed Metadata document there so that a policy on a private worker
// can check, through the worker-only exec helper and the `verify-run`
// subcommand, that the run was created by the operator and not by someone else
// holding Spacelift credentials.
//
// # Wire format
//
// A document is a compact JSON object (see Encode) with short keys:
//
//	{"v":1,"src":"spacelift-operator","ns":"infra","name":"network","uid":"…",
//	 "gen":3,"kind":"Stack","stack":"network-prod","sha":"…","type":"TRACKED",
//	 "ts":"2025-06-02T10:00:00Z","nonce":"…","kid":"…","sig":"…"}
//
// # Canonical encoding
//
// The signature covers CanonicalBytes: a sequence of netstrings
// (decimal byte length, ':', the bytes, ',') in this fixed order:
//
//	"spacelift-operator/run-metadata"  (domain separator)
//	v, src, ns, name, uid, gen, kind, stack, sha, type, ts, nonce, kid
//
// Integers are written in base 10 without leading zeros; strings are their
// UTF-8 bytes. Every field except the signature is covered, absent optional
// fields are covered as empty strings (or 0), and the length prefixes make the
// encoding unambiguous whatever bytes a field contains.
//
// # Freshness and replay
//
// Verify rejects documents older than a caller-chosen maximum age and
// documents dated more than MaxClockSkew in the future. Replays within the
// maximum age are the worker's concern: every document carries a random
// 128-bit nonce, so a worker can keep a cache of the nonces it has accepted
// for at least the maximum age and reject repeats.
package runmeta

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	// HeaderName is the HTTP header on the Spacelift GraphQL runTrigger and
	// runConfirm requests whose value Spacelift appends to the run's
	// user_provided_metadata list.
	HeaderName = "Spacelift-User-Provided-Run-Metadata"

	// CurrentVersion is the only document version this package produces and
	// accepts.
	CurrentVersion = 1

	// Source is the value of the "src" field in documents written by the
	// operator.
	Source = "spacelift-operator"

	// MaxClockSkew is how far in the future a document's timestamp may be
	// before Verify rejects it with ErrFromFuture.
	MaxClockSkew = 2 * time.Minute

	// MaxEncodedLen bounds the length of a document accepted by Parse.
	MaxEncodedLen = 4096

	// nonceBytes is the size of the random nonce (128 bits).
	nonceBytes = 16

	// domain separates these signatures from any other use of the key.
	domain = "spacelift-operator/run-metadata"
)

// Run types recorded in Metadata.RunType. TRACKED and PROPOSED are the
// Spacelift run types; CONFIRM marks the document attached when the operator
// confirms an unconfirmed tracked run.
const (
	RunTypeTracked  = "TRACKED"
	RunTypeProposed = "PROPOSED"
	RunTypeConfirm  = "CONFIRM"
)

// Metadata is the document the operator attaches to a Spacelift run.
type Metadata struct {
	// Version is the document format version; always CurrentVersion.
	Version int `json:"v"`
	// Source names the producer; Source for documents written by the operator.
	Source string `json:"src"`
	// Namespace of the Kubernetes object on whose behalf the run was created.
	Namespace string `json:"ns"`
	// Name of the Kubernetes object on whose behalf the run was created.
	Name string `json:"name"`
	// UID of the Kubernetes object; optional.
	UID string `json:"uid,omitempty"`
	// Generation of the Kubernetes object that the run reflects; optional.
	Generation int64 `json:"gen,omitempty"`
	// Kind of the Kubernetes object, e.g. "Stack"; optional.
	Kind string `json:"kind,omitempty"`
	// StackID is the Spacelift stack id (slug) the run belongs to.
	StackID string `json:"stack"`
	// CommitSHA is the commit the run was created for; optional.
	CommitSHA string `json:"sha,omitempty"`
	// RunType is one of the RunType constants (or another upper-case word).
	RunType string `json:"type"`
	// Timestamp is when the document was made, RFC 3339 in UTC with whole
	// seconds, e.g. "2025-06-02T10:00:00Z" (see FormatTimestamp).
	Timestamp string `json:"ts"`
	// Nonce is 128 random bits, unpadded base64url, for worker-side replay
	// caches.
	Nonce string `json:"nonce"`
	// KeyID identifies the signing key (see KeyID); set by Sign.
	KeyID string `json:"kid,omitempty"`
	// Signature is the unpadded base64url ed25519 signature over
	// CanonicalBytes; set by Sign, empty in an unsigned document.
	Signature string `json:"sig,omitempty"`
}

// FormatTimestamp renders t the way Metadata.Timestamp requires: RFC 3339,
// UTC, truncated to whole seconds.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// NewNonce returns 128 bits from crypto/rand, unpadded base64url.
func NewNonce() string {
	b := make([]byte, nonceBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error.
	return base64.RawURLEncoding.EncodeToString(b)
}

// Stamp prepares m for signing at time now: it sets Version, Source (when
// empty), Timestamp and a fresh Nonce.
func (m *Metadata) Stamp(now time.Time) {
	m.Version = CurrentVersion
	if m.Source == "" {
		m.Source = Source
	}
	m.Timestamp = FormatTimestamp(now)
	m.Nonce = NewNonce()
}

// Time returns the parsed Timestamp. It fails with ErrMalformed unless the
// timestamp is in the canonical form produced by FormatTimestamp.
func (m *Metadata) Time() (time.Time, error) {
	t, err := time.Parse(time.RFC3339, m.Timestamp)
	if err != nil || FormatTimestamp(t) != m.Timestamp {
		return time.Time{}, fmt.Errorf("%w: field %q is not an RFC 3339 UTC timestamp with whole seconds", ErrMalformed, "ts")
	}
	return t, nil
}

// CanonicalBytes returns the byte string that Sign signs and Verify checks:
// every field except Signature, as netstrings in a fixed order (see the
// package documentation).
func (m *Metadata) CanonicalBytes() []byte {
	fields := []string{
		domain,
		strconv.Itoa(m.Version),
		m.Source,
		m.Namespace,
		m.Name,
		m.UID,
		strconv.FormatInt(m.Generation, 10),
		m.Kind,
		m.StackID,
		m.CommitSHA,
		m.RunType,
		m.Timestamp,
		m.Nonce,
		m.KeyID,
	}
	var b []byte
	for _, f := range fields {
		b = strconv.AppendInt(b, int64(len(f)), 10)
		b = append(b, ':')
		b = append(b, f...)
		b = append(b, ',')
	}
	return b
}

// validate checks everything about m except the signature and key id, which
// an unsigned document lacks. It returns an error wrapping ErrMalformed that
// names the offending field.
func (m *Metadata) validate() error {
	if m.Version != CurrentVersion {
		return fmt.Errorf("%w: unsupported version %d (want %d)", ErrMalformed, m.Version, CurrentVersion)
	}
	fields := []struct {
		key      string
		value    string
		required bool
	}{
		{"src", m.Source, true},
		{"ns", m.Namespace, true},
		{"name", m.Name, true},
		{"uid", m.UID, false},
		{"kind", m.Kind, false},
		{"stack", m.StackID, true},
		{"sha", m.CommitSHA, false},
		{"type", m.RunType, true},
		{"ts", m.Timestamp, true},
		{"nonce", m.Nonce, true},
		{"kid", m.KeyID, false}, // required with a signature; see Verify
		{"sig", m.Signature, false},
	}
	for _, f := range fields {
		if f.required && f.value == "" {
			return fmt.Errorf("%w: field %q is empty", ErrMalformed, f.key)
		}
		if !utf8.ValidString(f.value) {
			return fmt.Errorf("%w: field %q is not valid UTF-8", ErrMalformed, f.key)
		}
		for _, r := range f.value {
			if unicode.IsControl(r) {
				return fmt.Errorf("%w: field %q contains a control character", ErrMalformed, f.key)
			}
		}
	}
	if m.Generation < 0 {
		return fmt.Errorf("%w: field %q is negative", ErrMalformed, "gen")
	}
	if _, err := m.Time(); err != nil {
		return err
	}
	if n, err := base64.RawURLEncoding.DecodeString(m.Nonce); err != nil || len(n) != nonceBytes {
		return fmt.Errorf("%w: field %q is not %d bytes of unpadded base64url", ErrMalformed, "nonce", nonceBytes)
	}
	return nil
}
