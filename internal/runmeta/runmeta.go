// Package runmeta builds, signs, encodes, parses and verifies the run metadata
// that spacelift-operator attaches to the Spacelift runs it creates.
//
// Spacelift lets the caller of runTrigger and runConfirm attach a free-form
// string to a run with the Spacelift-User-Provided-Run-Metadata HTTP header.
// Each call appends one entry to the run's user_provided_metadata list, which
// approval and initialization policies see as input.run.user_provided_metadata.
// The operator puts a signed token there, so that a policy can check, by
// itself, that the run was created by the operator and not by someone else
// holding Spacelift credentials.
//
// # Wire format: a compact JWS
//
// An entry is a JSON Web Signature in compact serialization (RFC 7515),
// header.payload.signature, each part unpadded base64url. The header is
//
//	{"alg":"EdDSA","kid":"c0f7e4f326234b7d","typ":"spacelift-run+jwt"}
//
// alg EdDSA is Ed25519 (RFC 8037) over the operator's ed25519 signing key;
// kid is KeyID of its public key; typ (TokenType) tells these tokens from any
// other JWT signed by the same key. The payload holds the claims
//
//	{"iss":"spacelift-operator","jti":"f0YsOfrJgeVEEX66JLWz7g",
//	 "iat":1748858400,"exp":1748862000,
//	 "ns":"infra","name":"network","uid":"0f6b…","gen":3,"kind":"Stack",
//	 "stack":"network-prod","sha":"7d62…","type":"TRACKED"}
//
// iss is the issuer (Issuer); jti 128 random bits for replay detection; iat
// and exp the issue and expiry time in Unix seconds (exp is iat +
// TokenLifetime); ns, name, uid, gen and kind identify the Kubernetes object;
// stack is the Spacelift stack id; sha the commit the run was asked for
// (absent when the operator asked for the tracked branch's head); type the
// run type: TRACKED or PROPOSED for the entry attached by runTrigger, CONFIRM
// for the one attached by runConfirm.
//
// When the operator runs without a signing key it sends the same claims as an
// unsecured JWS (RFC 7519 section 6): header {"alg":"none",
// "typ":"spacelift-run+jwt"} and an empty signature. Verifiers report it as
// unsigned instead of as foreign metadata.
//
// Encode is deterministic (fixed key order, no insignificant whitespace) and
// Parse accepts only that canonical encoding, so a parsed Metadata always
// re-encodes to the bytes that were signed.
//
// # Verifying inside a policy
//
// OPA (1.8.0 and later) verifies these tokens natively:
//
//	io.jwt.decode_verify(entry, {"cert": jwks, "alg": "EdDSA",
//	    "iss": "spacelift-operator", "time": input.run.created_at})
//
// with jwks the JSON Web Key Set of the published public keys (MarshalJWKS;
// the operator publishes it as jwks.json next to the PEM files). The policy
// samples in config/samples/policies build on that.
//
// # Freshness, replay and rotation
//
// A verifier checks the age of iat against its own maximum age (policies use
// the run's created_at as the reference time, so that a run waiting for a
// review does not age out) and rejects tokens dated more than MaxClockSkew in
// the future. A token binds the stack, commit and run type, so copying it to
// another stack or commit fails; the jti lets a verifier refuse a token that
// it has seen before (the policy samples refuse a jti that appears twice on
// one run). Key rotation keeps retired keys published for KeyRetention (see
// RotatePublishedKeys), so a token signed just before a rotation still
// verifies.
package runmeta

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	// HeaderName is the HTTP header on the Spacelift GraphQL runTrigger and
	// runConfirm requests whose value Spacelift appends to the run's
	// user_provided_metadata list.
	HeaderName = "Spacelift-User-Provided-Run-Metadata"

	// Issuer is the "iss" claim of tokens written by the operator.
	Issuer = "spacelift-operator"

	// TokenType is the "typ" header parameter of run tokens.
	TokenType = "spacelift-run+jwt"

	// Algorithm is the JWS "alg" of signed run tokens: Ed25519 (RFC 8037).
	Algorithm = "EdDSA"

	// TokenLifetime is how long after iat a token expires ("exp").
	TokenLifetime = time.Hour

	// MaxClockSkew is how far in the future a token's iat may be before
	// Verify rejects it with ErrFromFuture.
	MaxClockSkew = 2 * time.Minute

	// MaxEncodedLen bounds the length of a token accepted by Parse.
	MaxEncodedLen = 4096

	// idBytes is the size of the random jti (128 bits).
	idBytes = 16
)

// Run types recorded in Metadata.RunType. TRACKED and PROPOSED are the
// Spacelift run types; CONFIRM marks the token attached when the operator
// confirms an unconfirmed tracked run.
const (
	RunTypeTracked  = "TRACKED"
	RunTypeProposed = "PROPOSED"
	RunTypeConfirm  = "CONFIRM"
)

// keyIDPattern is the form of KeyID.
var keyIDPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// Metadata holds the claims of a run token, plus the key id and signature
// that Sign sets and Parse reads.
type Metadata struct {
	// Issuer is the "iss" claim; Issuer for tokens written by the operator.
	Issuer string
	// ID is the "jti" claim: 128 random bits, unpadded base64url.
	ID string
	// IssuedAt is the "iat" claim, whole seconds in UTC.
	IssuedAt time.Time
	// ExpiresAt is the "exp" claim, whole seconds in UTC, after IssuedAt.
	ExpiresAt time.Time
	// Namespace of the Kubernetes object on whose behalf the run was created.
	Namespace string
	// Name of the Kubernetes object on whose behalf the run was created.
	Name string
	// UID of the Kubernetes object; optional.
	UID string
	// Generation of the Kubernetes object that the run reflects; optional.
	Generation int64
	// Kind of the Kubernetes object, e.g. "Stack"; optional.
	Kind string
	// StackID is the Spacelift stack id (slug) the run belongs to.
	StackID string
	// CommitSHA is the commit the run was created for; empty when the
	// operator asked for the head of the tracked branch.
	CommitSHA string
	// RunType is one of the RunType constants (or another upper-case word).
	RunType string
	// KeyID is the "kid" header parameter (see KeyID); set by Sign, empty
	// in an unsigned token.
	KeyID string
	// Signature is the unpadded base64url Ed25519 signature of the JWS
	// signing input; set by Sign, empty in an unsigned token.
	Signature string
}

// NewID returns 128 bits from crypto/rand, unpadded base64url, for the jti.
func NewID() string {
	b := make([]byte, idBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error.
	return base64.RawURLEncoding.EncodeToString(b)
}

// Stamp prepares m for signing at time now: it sets Issuer (when empty),
// IssuedAt (now in UTC, whole seconds), ExpiresAt (TokenLifetime later) and a
// fresh ID.
func (m *Metadata) Stamp(now time.Time) {
	if m.Issuer == "" {
		m.Issuer = Issuer
	}
	m.IssuedAt = now.UTC().Truncate(time.Second)
	m.ExpiresAt = m.IssuedAt.Add(TokenLifetime)
	m.ID = NewID()
}

// validate checks the claims and, when present, the form of the key id. It
// returns an error wrapping ErrMalformed that names the offending claim.
func (m *Metadata) validate() error {
	fields := []struct {
		key      string
		value    string
		required bool
	}{
		{"iss", m.Issuer, true},
		{"jti", m.ID, true},
		{"ns", m.Namespace, true},
		{"name", m.Name, true},
		{"uid", m.UID, false},
		{"kind", m.Kind, false},
		{"stack", m.StackID, true},
		{"sha", m.CommitSHA, false},
		{"type", m.RunType, true},
	}
	for _, f := range fields {
		if f.required && f.value == "" {
			return fmt.Errorf("%w: claim %q is empty", ErrMalformed, f.key)
		}
		if !utf8.ValidString(f.value) {
			return fmt.Errorf("%w: claim %q is not valid UTF-8", ErrMalformed, f.key)
		}
		for _, r := range f.value {
			if unicode.IsControl(r) {
				return fmt.Errorf("%w: claim %q contains a control character", ErrMalformed, f.key)
			}
		}
	}
	if m.Generation < 0 {
		return fmt.Errorf("%w: claim %q is negative", ErrMalformed, "gen")
	}
	if id, err := base64.RawURLEncoding.DecodeString(m.ID); err != nil || len(id) != idBytes {
		return fmt.Errorf("%w: claim %q is not %d bytes of unpadded base64url", ErrMalformed, "jti", idBytes)
	}
	if m.IssuedAt.IsZero() || m.IssuedAt.Unix() <= 0 {
		return fmt.Errorf("%w: claim %q is missing; call Stamp before signing", ErrMalformed, "iat")
	}
	if !m.ExpiresAt.After(m.IssuedAt) {
		return fmt.Errorf("%w: claim %q is not after %q", ErrMalformed, "exp", "iat")
	}
	if m.KeyID != "" && !keyIDPattern.MatchString(m.KeyID) {
		return fmt.Errorf("%w: header %q is not 16 lower-case hex characters", ErrMalformed, "kid")
	}
	return nil
}
