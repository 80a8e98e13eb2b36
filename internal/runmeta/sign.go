package runmeta

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Errors returned (wrapped, with details) by Parse and Verify. Each names one
// reason a document is rejected; test with errors.Is.
var (
	// ErrMalformed: the input is not a well-formed metadata document.
	ErrMalformed = errors.New("malformed run metadata")
	// ErrUnsigned: the document carries no signature.
	ErrUnsigned = errors.New("run metadata is not signed")
	// ErrUnknownKey: the document names a key id that is not trusted.
	ErrUnknownKey = errors.New("run metadata is signed by an unknown key")
	// ErrBadSignature: the key id is trusted but the signature does not verify.
	// Cryptographically a tampered field and a signature made by another key
	// under a copied key id look the same, hence one error for both.
	ErrBadSignature = errors.New("signature does not match: metadata was altered or signed by another key")
	// ErrExpired: the document is older than the maximum age.
	ErrExpired = errors.New("run metadata has expired")
	// ErrFromFuture: the document is dated further ahead than MaxClockSkew.
	ErrFromFuture = errors.New("run metadata is dated in the future")
)

// Sign sets m.KeyID to the id of priv's public key and m.Signature to the
// ed25519 signature of m.CanonicalBytes. Version, Source, Timestamp and Nonce
// must already be set (see Stamp). An existing signature is replaced.
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
	signed.Signature = base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, signed.CanonicalBytes()))
	*m = signed
	return nil
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
// documents signed by the current or a previous key verify during rotation.
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
//   - ErrMalformed: a field is invalid, the key id is missing, or the
//     signature is not 64 bytes of unpadded base64url;
//   - ErrUnsigned: m has no signature;
//   - ErrUnknownKey: m.KeyID is not one of the trusted key ids;
//   - ErrBadSignature: the signature does not verify under that key;
//   - ErrFromFuture: m is dated more than MaxClockSkew after now;
//   - ErrExpired: m is more than maxAge older than now.
//
// The clock is only checked once the signature holds, so a timestamp is never
// trusted before it is authenticated. maxAge must be positive. Verify does
// not check m.Source; callers compare it with the producer they expect.
func (ks KeySet) Verify(m *Metadata, now time.Time, maxAge time.Duration) error {
	if maxAge <= 0 {
		return fmt.Errorf("verifying run metadata: maximum age %s is not positive", maxAge)
	}
	if m == nil {
		return fmt.Errorf("%w: no document", ErrMalformed)
	}
	if err := m.validate(); err != nil {
		return err
	}
	if m.Signature == "" {
		return ErrUnsigned
	}
	if m.KeyID == "" {
		return fmt.Errorf("%w: field %q is empty", ErrMalformed, "kid")
	}
	pub, ok := ks.keys[m.KeyID]
	if !ok {
		return fmt.Errorf("%w: key id %q is not among the trusted key ids [%s]", ErrUnknownKey, m.KeyID, strings.Join(ks.IDs(), ", "))
	}
	sig, err := base64.RawURLEncoding.DecodeString(m.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: field %q is not %d bytes of unpadded base64url", ErrMalformed, "sig", ed25519.SignatureSize)
	}
	if !ed25519.Verify(pub, m.CanonicalBytes(), sig) {
		return fmt.Errorf("%w (key id %q)", ErrBadSignature, m.KeyID)
	}
	ts, err := m.Time()
	if err != nil {
		return err
	}
	age := now.Sub(ts)
	if age < -MaxClockSkew {
		return fmt.Errorf("%w: timestamp %s is %s ahead of the verifier's clock (allowed skew %s)", ErrFromFuture, m.Timestamp, (-age).Round(time.Second), MaxClockSkew)
	}
	if age > maxAge {
		return fmt.Errorf("%w: signed %s ago at %s, maximum age is %s", ErrExpired, age.Round(time.Second), m.Timestamp, maxAge)
	}
	return nil
}
