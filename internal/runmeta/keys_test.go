package runmeta_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"regexp"
	"strings"
	"testing"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/runmeta/runmetatest"
)

func TestKeyID(t *testing.T) {
	a := runmeta.KeyID(runmetatest.TestPublicKey())
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(a) {
		t.Errorf("KeyID = %q, want 16 lower-case hex characters", a)
	}
	if a != runmeta.KeyID(runmetatest.TestPublicKey()) {
		t.Errorf("KeyID is not deterministic")
	}
	if a == runmeta.KeyID(runmetatest.OtherPrivateKey().Public().(ed25519.PublicKey)) {
		t.Errorf("different keys share an id")
	}
}

func TestGenerateKey(t *testing.T) {
	pub, priv, err := runmeta.GenerateKey()
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	if !pub.Equal(priv.Public()) {
		t.Errorf("public key does not belong to the private key")
	}
}

func TestParsePrivateKey(t *testing.T) {
	priv := runmetatest.TestPrivateKey()
	pemBytes, err := runmeta.MarshalPrivateKeyPEM(priv)
	if err != nil {
		t.Fatalf("MarshalPrivateKeyPEM: %v", err)
	}
	seed := priv.Seed()
	tests := []struct {
		name string
		data []byte
	}{
		{"PKCS #8 PEM", pemBytes},
		{"PEM with surrounding whitespace", append(append([]byte("\n  "), pemBytes...), '\n')},
		{"standard base64 seed", []byte(base64.StdEncoding.EncodeToString(seed) + "\n")},
		{"unpadded base64 seed", []byte(base64.RawStdEncoding.EncodeToString(seed))},
		{"base64url seed", []byte(base64.URLEncoding.EncodeToString(seed))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runmeta.ParsePrivateKey(tt.data)
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			if !got.Equal(priv) {
				t.Errorf("ParsePrivateKey returned another key")
			}
		})
	}
}

func TestParsePrivateKeyErrorsHideKeyMaterial(t *testing.T) {
	priv := runmetatest.TestPrivateKey()
	seed := priv.Seed()
	pubPEM, err := runmeta.MarshalPublicKeyPEM(runmetatest.TestPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	shortSeed := base64.StdEncoding.EncodeToString(seed[:31])
	corrupt := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: seed})
	tests := []struct {
		name    string
		data    []byte
		wantMsg string
	}{
		{"empty", []byte(" \n"), "parsing private key: empty"},
		{"garbage", []byte("not a key at all!"), "neither a PEM"},
		{"short seed", []byte(shortSeed), "base64 seed is 31 bytes, want 32"},
		{"public key PEM", pubPEM, `PEM block type "PUBLIC KEY", want "PRIVATE KEY"`},
		{"ECDSA key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}), "*ecdsa.PrivateKey is not an ed25519 key"},
		{"corrupt PKCS #8", corrupt, "parsing private key: PEM block is not a valid PKCS #8 key"},
		{"broken PEM", []byte("-----BEGIN PRIVATE KEY-----\nAAAA"), "invalid PEM"},
	}
	secrets := []string{
		shortSeed,
		base64.StdEncoding.EncodeToString(seed),
		string(seed),
		base64.StdEncoding.EncodeToString(seed)[:20],
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runmeta.ParsePrivateKey(tt.data)
			if err == nil {
				t.Fatalf("ParsePrivateKey succeeded")
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error = %q, want it to contain %q", err.Error(), tt.wantMsg)
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains key material", err.Error())
				}
			}
		})
	}
}

func TestPrivateKeyFromSecretData(t *testing.T) {
	pemBytes, err := runmeta.MarshalPrivateKeyPEM(runmetatest.TestPrivateKey())
	if err != nil {
		t.Fatal(err)
	}
	data := map[string][]byte{"signing.key": pemBytes, "bad": []byte("x")}
	if got, err := runmeta.PrivateKeyFromSecretData(data, "signing.key"); err != nil || !got.Equal(runmetatest.TestPrivateKey()) {
		t.Errorf("PrivateKeyFromSecretData = %v", err)
	}
	if _, err := runmeta.PrivateKeyFromSecretData(data, "missing"); err == nil || err.Error() != `reading private key: Secret has no key "missing"` {
		t.Errorf("missing key: error = %v", err)
	}
	if _, err := runmeta.PrivateKeyFromSecretData(data, "bad"); err == nil || !strings.HasPrefix(err.Error(), `reading Secret key "bad": parsing private key:`) {
		t.Errorf("bad key: error = %v", err)
	}
}

func TestParsePublicKeysPEM(t *testing.T) {
	a, err := runmeta.MarshalPublicKeyPEM(runmetatest.TestPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	other := runmetatest.OtherPrivateKey().Public().(ed25519.PublicKey)
	b, err := runmeta.MarshalPublicKeyPEM(other)
	if err != nil {
		t.Fatal(err)
	}
	privPEM, err := runmeta.MarshalPrivateKeyPEM(runmetatest.TestPrivateKey())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		want    []ed25519.PublicKey
		wantMsg string
	}{
		{name: "one key", data: a, want: []ed25519.PublicKey{runmetatest.TestPublicKey()}},
		{name: "bundle", data: bytes.Join([][]byte{a, b}, []byte("\n")), want: []ed25519.PublicKey{runmetatest.TestPublicKey(), other}},
		{name: "empty", data: nil, wantMsg: `no PEM "PUBLIC KEY" block found`},
		{name: "private key", data: privPEM, wantMsg: `block 0: PEM block type "PRIVATE KEY", want "PUBLIC KEY"`},
		{name: "trailing data", data: append(append([]byte{}, a...), "junk"...), wantMsg: "data after the last PEM block"},
		{name: "corrupt block", data: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}), wantMsg: "parsing public key block 0: not a valid PKIX public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runmeta.ParsePublicKeysPEM(tt.data)
			if tt.wantMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("ParsePublicKeysPEM error = %v, want %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePublicKeysPEM: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d keys, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if !got[i].Equal(tt.want[i]) {
					t.Errorf("key %d differs", i)
				}
			}
		})
	}
}

func TestMarshalRejectsWrongSizes(t *testing.T) {
	if _, err := runmeta.MarshalPublicKeyPEM([]byte{1}); err == nil {
		t.Errorf("MarshalPublicKeyPEM accepted a 1-byte key")
	}
	if _, err := runmeta.MarshalPrivateKeyPEM([]byte{1}); err == nil {
		t.Errorf("MarshalPrivateKeyPEM accepted a 1-byte key")
	}
}
