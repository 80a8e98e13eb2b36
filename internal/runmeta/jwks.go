package runmeta

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
)

// JWK is one public key in a JSON Web Key Set: an Ed25519 key as an OKP key
// (RFC 8037) with its key id, for JWS verification with alg EdDSA.
type JWK struct {
	// Kty is the key type, always "OKP".
	Kty string `json:"kty"`
	// Crv is the curve, always "Ed25519".
	Crv string `json:"crv"`
	// X is the public key, unpadded base64url.
	X string `json:"x"`
	// Kid is KeyID of the public key; it matches the "kid" of the tokens
	// the key signs.
	Kid string `json:"kid"`
	// Alg is the JWS algorithm the key is used with, always "EdDSA".
	Alg string `json:"alg"`
	// Use is the intended use, always "sig".
	Use string `json:"use"`
}

// JWKS is a JSON Web Key Set (RFC 7517 section 5).
type JWKS struct {
	// Keys are the published keys, newest first.
	Keys []JWK `json:"keys"`
}

// MarshalJWKS returns keys as a compact, one-line JSON Web Key Set in the
// order given (the operator publishes the current key first). It is the
// string a policy passes to io.jwt.decode_verify as the "cert" constraint.
func MarshalJWKS(keys ...ed25519.PublicKey) ([]byte, error) {
	set := JWKS{Keys: make([]JWK, 0, len(keys))}
	for i, k := range keys {
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("marshalling JWKS: key %d is not an ed25519 public key", i)
		}
		set.Keys = append(set.Keys, JWK{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(k), Kid: KeyID(k), Alg: Algorithm, Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("marshalling JWKS: %w", err)
	}
	return b, nil
}

// ParseJWKS returns the Ed25519 keys of a JSON Web Key Set. Every key must be
// an OKP Ed25519 key; a "kid", when present, must be the key's KeyID and an
// "alg", when present, must be EdDSA, so a set edited by hand cannot make a
// key answer to another key's id. A set without keys is an error.
func ParseJWKS(data []byte) ([]ed25519.PublicKey, error) {
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("parsing JWKS: %s", jsonErrorSummary(err))
	}
	if len(set.Keys) == 0 {
		return nil, errors.New(`parsing JWKS: no keys under "keys"`)
	}
	keys := make([]ed25519.PublicKey, 0, len(set.Keys))
	for i, k := range set.Keys {
		str := func(name string) string { s, _ := k[name].(string); return s }
		if str("kty") != "OKP" || str("crv") != "Ed25519" {
			return nil, fmt.Errorf("parsing JWKS key %d: kty %q crv %q, want OKP Ed25519", i, str("kty"), str("crv"))
		}
		x, err := b64.DecodeString(str("x"))
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("parsing JWKS key %d: \"x\" is not %d bytes of unpadded base64url", i, ed25519.PublicKeySize)
		}
		pub := ed25519.PublicKey(x)
		if kid, ok := k["kid"]; ok && kid != KeyID(pub) {
			return nil, fmt.Errorf("parsing JWKS key %d: kid %v is not the key's id %q", i, kid, KeyID(pub))
		}
		if alg, ok := k["alg"]; ok && alg != Algorithm {
			return nil, fmt.Errorf("parsing JWKS key %d: alg %v, want %q", i, alg, Algorithm)
		}
		keys = append(keys, pub)
	}
	return keys, nil
}

// ParsePublicKeys reads the keys of a key file in either published format:
// a JSON Web Key Set (the data starts with '{') or PEM "PUBLIC KEY" blocks.
func ParsePublicKeys(data []byte) ([]ed25519.PublicKey, error) {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return ParseJWKS(data)
	}
	return ParsePublicKeysPEM(data)
}

// JWKSFromPEM converts PEM public key files (each one or more "PUBLIC KEY"
// blocks) into one JSON Web Key Set, keeping their order and dropping
// duplicates.
func JWKSFromPEM(files ...[]byte) ([]byte, error) {
	var keys []ed25519.PublicKey
	seen := map[string]bool{}
	for i, f := range files {
		ks, err := ParsePublicKeysPEM(f)
		if err != nil {
			return nil, fmt.Errorf("converting PEM file %d to JWKS: %w", i, err)
		}
		for _, k := range ks {
			if !seen[KeyID(k)] {
				seen[KeyID(k)] = true
				keys = append(keys, k)
			}
		}
	}
	return MarshalJWKS(keys...)
}
