package runmeta

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Errors returned (wrapped, with details) by Parse and Verify. Each names one
// reason a token is rejected; test with errors.Is.
var (
	// ErrMalformed: the input is not a well-formed run token.
	ErrMalformed = errors.New("malformed run metadata")
	// ErrUnsigned: the token is an unsecured JWS (alg "none").
	ErrUnsigned = errors.New("run metadata is not signed")
	// ErrUnknownKey: the token names a key id that is not trusted.
	ErrUnknownKey = errors.New("run metadata is signed by an unknown key")
	// ErrBadSignature: the key id is trusted but the signature does not verify.
	// Cryptographically a tampered claim and a signature made by another key
	// under a copied key id look the same, hence one error for both.
	ErrBadSignature = errors.New("signature does not match: metadata was altered or signed by another key")
	// ErrExpired: the token is older than the maximum age, or past its exp.
	ErrExpired = errors.New("run metadata has expired")
	// ErrFromFuture: the token is dated further ahead than MaxClockSkew.
	ErrFromFuture = errors.New("run metadata is dated in the future")
)

// jwsHeader is the JOSE header, in the field order Encode writes.
type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
	Typ string `json:"typ"`
}

// jwsClaims is the JWS payload, in the field order Encode writes.
type jwsClaims struct {
	Iss   string `json:"iss"`
	Jti   string `json:"jti"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
	Ns    string `json:"ns"`
	Name  string `json:"name"`
	UID   string `json:"uid,omitempty"`
	Gen   int64  `json:"gen,omitempty"`
	Kind  string `json:"kind,omitempty"`
	Stack string `json:"stack"`
	Sha   string `json:"sha,omitempty"`
	Type  string `json:"type"`
}

// b64 is the JWS base64url encoding.
var b64 = base64.RawURLEncoding

// signingInput returns base64url(header) "." base64url(claims) for m, with
// header alg and kid as given.
func (m *Metadata) signingInput(alg, kid string) (string, error) {
	h, err := json.Marshal(jwsHeader{Alg: alg, Kid: kid, Typ: TokenType})
	if err != nil {
		return "", fmt.Errorf("encoding JWS header: %w", err)
	}
	c, err := json.Marshal(jwsClaims{
		Iss: m.Issuer, Jti: m.ID, Iat: m.IssuedAt.Unix(), Exp: m.ExpiresAt.Unix(),
		Ns: m.Namespace, Name: m.Name, UID: m.UID, Gen: m.Generation, Kind: m.Kind,
		Stack: m.StackID, Sha: m.CommitSHA, Type: m.RunType,
	})
	if err != nil {
		return "", fmt.Errorf("encoding JWS claims: %w", err)
	}
	return b64.EncodeToString(h) + "." + b64.EncodeToString(c), nil
}

// Sign sets m.KeyID to the id of priv's public key and m.Signature to the
// Ed25519 signature of the token's signing input. The claims must already be
// set (see Stamp). An existing signature is replaced; on error m is unchanged.
func Sign(m *Metadata, priv ed25519.PrivateKey) error {
	if len(priv) != ed25519.PrivateKeySize {
		return errors.New("signing run metadata: not an ed25519 private key")
	}
	if m == nil {
		return errors.New("signing run metadata: nil metadata")
	}
	signed := *m
	signed.KeyID = KeyID(priv.Public().(ed25519.PublicKey))
	signed.Signature = ""
	if err := signed.validate(); err != nil {
		return fmt.Errorf("signing run metadata: %w", err)
	}
	input, err := signed.signingInput(Algorithm, signed.KeyID)
	if err != nil {
		return fmt.Errorf("signing run metadata: %w", err)
	}
	signed.Signature = b64.EncodeToString(ed25519.Sign(priv, []byte(input)))
	*m = signed
	return nil
}

// Encode returns m as a compact JWS suitable for the HeaderName header value
// (printable ASCII, no whitespace): signed with alg EdDSA when m carries a
// signature, an unsecured JWS (alg "none", empty signature) otherwise.
func Encode(m *Metadata) (string, error) {
	if m == nil {
		return "", errors.New("encoding run metadata: nil metadata")
	}
	if err := m.validate(); err != nil {
		return "", fmt.Errorf("encoding run metadata: %w", err)
	}
	if m.Signature == "" {
		input, err := m.signingInput("none", "")
		if err != nil {
			return "", fmt.Errorf("encoding run metadata: %w", err)
		}
		return input + ".", nil
	}
	if m.KeyID == "" {
		return "", fmt.Errorf("encoding run metadata: %w: header %q is empty", ErrMalformed, "kid")
	}
	if sig, err := b64.DecodeString(m.Signature); err != nil || len(sig) != ed25519.SignatureSize {
		return "", fmt.Errorf("encoding run metadata: %w: signature is not %d bytes of unpadded base64url", ErrMalformed, ed25519.SignatureSize)
	}
	input, err := m.signingInput(Algorithm, m.KeyID)
	if err != nil {
		return "", fmt.Errorf("encoding run metadata: %w", err)
	}
	return input + "." + m.Signature, nil
}

// splitJWS splits a compact JWS into its three segments.
func splitJWS(s string) ([3]string, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return [3]string{}, false
	}
	return [3]string{parts[0], parts[1], parts[2]}, true
}

// decodeStrict decodes one base64url JSON segment into v, refusing unknown
// members and trailing data.
func decodeStrict(segment, what string, v any) error {
	raw, err := b64.DecodeString(segment)
	if err != nil {
		return fmt.Errorf("%w: the %s is not unpadded base64url", ErrMalformed, what)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: decoding the %s: %s", ErrMalformed, what, jsonErrorSummary(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data after the %s", ErrMalformed, what)
	}
	return nil
}

// Parse decodes a token produced by Encode. It fails with ErrMalformed when s
// is longer than MaxEncodedLen, is not a compact JWS with this package's
// header and claims, or is not in the canonical encoding Encode produces. An
// unsecured token parses with an empty Signature; Verify then reports
// ErrUnsigned. Parse does not check the signature.
func Parse(s string) (*Metadata, error) {
	if len(s) > MaxEncodedLen {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d allowed", ErrMalformed, len(s), MaxEncodedLen)
	}
	parts, ok := splitJWS(s)
	if !ok {
		return nil, fmt.Errorf("%w: not a compact JWS (header.payload.signature)", ErrMalformed)
	}
	var h jwsHeader
	if err := decodeStrict(parts[0], "JWS header", &h); err != nil {
		return nil, err
	}
	if h.Typ != TokenType {
		return nil, fmt.Errorf("%w: header %q is %q, want %q", ErrMalformed, "typ", h.Typ, TokenType)
	}
	var c jwsClaims
	if err := decodeStrict(parts[1], "JWS payload", &c); err != nil {
		return nil, err
	}
	m := &Metadata{
		Issuer: c.Iss, ID: c.Jti, IssuedAt: time.Unix(c.Iat, 0).UTC(), ExpiresAt: time.Unix(c.Exp, 0).UTC(),
		Namespace: c.Ns, Name: c.Name, UID: c.UID, Generation: c.Gen, Kind: c.Kind,
		StackID: c.Stack, CommitSHA: c.Sha, RunType: c.Type,
	}
	switch h.Alg {
	case "none":
		if parts[2] != "" || h.Kid != "" {
			return nil, fmt.Errorf("%w: an unsecured token (alg \"none\") has a key id or signature", ErrMalformed)
		}
	case Algorithm:
		if h.Kid == "" {
			return nil, fmt.Errorf("%w: header %q is empty", ErrMalformed, "kid")
		}
		if sig, err := b64.DecodeString(parts[2]); err != nil || len(sig) != ed25519.SignatureSize {
			return nil, fmt.Errorf("%w: signature is not %d bytes of unpadded base64url", ErrMalformed, ed25519.SignatureSize)
		}
		m.KeyID, m.Signature = h.Kid, parts[2]
	default:
		return nil, fmt.Errorf("%w: header %q is %q, want %q", ErrMalformed, "alg", h.Alg, Algorithm)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	canonical, err := Encode(m)
	if err != nil {
		return nil, err
	}
	if canonical != s {
		return nil, fmt.Errorf("%w: not in the canonical encoding (members reordered, added whitespace or escapes)", ErrMalformed)
	}
	return m, nil
}

// jsonErrorSummary describes a decoding error without quoting the input.
func jsonErrorSummary(err error) string {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("syntax error at byte %d", syntaxErr.Offset)
	case errors.As(err, &typeErr):
		return fmt.Sprintf("member %q has the wrong type", typeErr.Field)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "unexpected end of input"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown member " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	default:
		return "invalid JSON"
	}
}

// IssuerOf returns the "iss" claim of s when s looks like a compact JWS whose
// payload is a JSON object with a string "iss", and "" otherwise. It does not
// verify anything: it lets a verifier tell tokens from a given issuer apart
// from other user-provided metadata before fully checking them.
func IssuerOf(s string) string {
	if len(s) > MaxEncodedLen {
		return ""
	}
	parts, ok := splitJWS(s)
	if !ok {
		return ""
	}
	raw, err := b64.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var probe struct {
		Iss any `json:"iss"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return ""
	}
	iss, _ := probe.Iss.(string)
	return iss
}

// Verify checks that m is signed by pub, is at most maxAge old at now and is
// not dated more than MaxClockSkew after now. See KeySet.Verify for the
// errors it returns.
func Verify(m *Metadata, pub ed25519.PublicKey, now time.Time, maxAge time.Duration) error {
	ks, err := NewKeySet(pub)
	if err != nil {
		return err
	}
	return ks.Verify(m, now, maxAge)
}

// KeySet is a set of trusted ed25519 public keys indexed by key id, so that
// tokens signed by the current or a previous key verify during rotation.
// The zero value trusts no key.
type KeySet struct {
	keys map[string]ed25519.PublicKey
}

// NewKeySet returns a KeySet trusting keys. Duplicates are ignored.
func NewKeySet(keys ...ed25519.PublicKey) (KeySet, error) {
	ks := KeySet{keys: make(map[string]ed25519.PublicKey, len(keys))}
	for i, k := range keys {
		if len(k) != ed25519.PublicKeySize {
			return KeySet{}, fmt.Errorf("trusting public key %d: not an ed25519 public key", i)
		}
		ks.keys[KeyID(k)] = k
	}
	return ks, nil
}

// IDs returns the trusted key ids, sorted.
func (ks KeySet) IDs() []string {
	ids := make([]string, 0, len(ks.keys))
	for id := range ks.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Len returns the number of trusted keys.
func (ks KeySet) Len() int { return len(ks.keys) }

// Verify checks m against the trusted keys, in this order, returning the
// first failure wrapped with details:
//
//   - ErrMalformed: a claim or the key id is invalid;
//   - ErrUnsigned: m has no signature;
//   - ErrUnknownKey: m.KeyID is not one of the trusted key ids;
//   - ErrBadSignature: the signature does not verify under that key;
//   - ErrFromFuture: m was issued more than MaxClockSkew after now;
//   - ErrExpired: m was issued more than maxAge before now, or now is not
//     before its exp.
//
// The signature is checked over the canonical encoding of m, which Parse
// guarantees is the encoding that was received. The clock is only checked
// once the signature holds, so a timestamp is never trusted before it is
// authenticated. maxAge must be positive. Verify does not check m.Issuer;
// callers compare it with the issuer they expect.
func (ks KeySet) Verify(m *Metadata, now time.Time, maxAge time.Duration) error {
	if maxAge <= 0 {
		return fmt.Errorf("verifying run metadata: maximum age %s is not positive", maxAge)
	}
	if m == nil {
		return fmt.Errorf("%w: no token", ErrMalformed)
	}
	if err := m.validate(); err != nil {
		return err
	}
	if m.Signature == "" {
		return ErrUnsigned
	}
	if m.KeyID == "" {
		return fmt.Errorf("%w: header %q is empty", ErrMalformed, "kid")
	}
	pub, ok := ks.keys[m.KeyID]
	if !ok {
		return fmt.Errorf("%w: key id %q is not among the trusted key ids [%s]", ErrUnknownKey, m.KeyID, strings.Join(ks.IDs(), ", "))
	}
	sig, err := b64.DecodeString(m.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: signature is not %d bytes of unpadded base64url", ErrMalformed, ed25519.SignatureSize)
	}
	input, err := m.signingInput(Algorithm, m.KeyID)
	if err != nil {
		return fmt.Errorf("verifying run metadata: %w", err)
	}
	if !ed25519.Verify(pub, []byte(input), sig) {
		return fmt.Errorf("%w (key id %q)", ErrBadSignature, m.KeyID)
	}
	iat := m.IssuedAt.UTC().Format(time.RFC3339)
	age := now.Sub(m.IssuedAt)
	switch {
	case age < -MaxClockSkew:
		return fmt.Errorf("%w: issued at %s, %s ahead of the verifier's clock (allowed skew %s)", ErrFromFuture, iat, (-age).Round(time.Second), MaxClockSkew)
	case age > maxAge:
		return fmt.Errorf("%w: issued %s ago at %s, maximum age is %s", ErrExpired, age.Round(time.Second), iat, maxAge)
	case !now.Before(m.ExpiresAt):
		return fmt.Errorf("%w: expired at %s", ErrExpired, m.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}
