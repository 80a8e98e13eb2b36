package runmeta

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// PEM block types read and written by this package.
const (
	pemPrivateKey = "PRIVATE KEY" // PKCS #8
	pemPublicKey  = "PUBLIC KEY"  // PKIX
)

// KeyID returns the id of pub: the first 8 bytes of SHA-256(pub) in lower-case
// hex (16 characters). Ids are public fingerprints, safe to log.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// GenerateKey returns a new ed25519 key pair from crypto/rand, for tests and
// demos. Production keys are created out of band and stored in a Secret.
func GenerateKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("generating ed25519 key: %w", err)
	}
	return pub, priv, nil
}

// ParsePrivateKey reads an ed25519 private key as stored in a Secret value:
// either a PEM "PRIVATE KEY" block (PKCS #8), or the 32-byte seed in standard
// or URL-safe base64 (padded or not). Surrounding whitespace is ignored.
// Errors never contain key material.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("parsing private key: empty")
	}
	if bytes.HasPrefix(data, []byte("-----BEGIN")) {
		block, rest := pem.Decode(data)
		if block == nil {
			return nil, errors.New("parsing private key: invalid PEM")
		}
		if block.Type != pemPrivateKey {
			return nil, fmt.Errorf("parsing private key: PEM block type %q, want %q (PKCS #8)", block.Type, pemPrivateKey)
		}
		if len(bytes.TrimSpace(rest)) != 0 {
			return nil, errors.New("parsing private key: data after the PEM block")
		}
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			// The x509/asn1 error is dropped on purpose: it can quote
			// tags and lengths read from the secret bytes.
			return nil, errors.New("parsing private key: PEM block is not a valid PKCS #8 key")
		}
		priv, ok := key.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("parsing private key: %T is not an ed25519 key", key)
		}
		return priv, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		seed, err := enc.DecodeString(string(data))
		if err != nil {
			continue
		}
		if len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("parsing private key: base64 seed is %d bytes, want %d", len(seed), ed25519.SeedSize)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	return nil, errors.New("parsing private key: neither a PEM \"PRIVATE KEY\" block nor a base64 ed25519 seed")
}

// PrivateKeyFromSecretData reads the private key stored under key in a
// Secret's data (see ParsePrivateKey for the accepted formats).
func PrivateKeyFromSecretData(data map[string][]byte, key string) (ed25519.PrivateKey, error) {
	value, ok := data[key]
	if !ok {
		return nil, fmt.Errorf("reading private key: Secret has no key %q", key)
	}
	priv, err := ParsePrivateKey(value)
	if err != nil {
		return nil, fmt.Errorf("reading Secret key %q: %w", key, err)
	}
	return priv, nil
}

// MarshalPrivateKeyPEM returns priv as a PEM "PRIVATE KEY" block (PKCS #8),
// the format ParsePrivateKey reads.
func MarshalPrivateKeyPEM(priv ed25519.PrivateKey) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, errors.New("marshalling private key: not an ed25519 private key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("marshalling private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// MarshalPublicKeyPEM returns pub as a PEM "PUBLIC KEY" block (PKIX), the
// format to publish in a ConfigMap for workers running verify-run.
func MarshalPublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("marshalling public key: not an ed25519 public key")
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshalling public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: der}), nil
}

// ParsePublicKeysPEM returns every ed25519 key in the PEM "PUBLIC KEY" (PKIX)
// blocks of data, so one file can hold the current and previous keys. Blocks
// of other types are an error, as is data holding no block at all.
func ParsePublicKeysPEM(data []byte) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	rest := data
	for n := 0; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != pemPublicKey {
			return nil, fmt.Errorf("parsing public key block %d: PEM block type %q, want %q", n, block.Type, pemPublicKey)
		}
		key, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			// The asn1 details are noise to an operator; name the block.
			return nil, fmt.Errorf("parsing public key block %d: not a valid PKIX public key", n)
		}
		pub, ok := key.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("parsing public key block %d: %T is not an ed25519 key", n, key)
		}
		keys = append(keys, pub)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("parsing public keys: no PEM %q block found", pemPublicKey)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("parsing public keys: data after the last PEM block")
	}
	return keys, nil
}
