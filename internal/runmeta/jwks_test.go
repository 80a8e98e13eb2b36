package runmeta_test

import (
	"crypto/ed25519"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/runmeta/runmetatest"
)

func TestMarshalJWKS(t *testing.T) {
	got, err := runmeta.MarshalJWKS(runmetatest.TestPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"OS1ZOSrLyLvL7t9flZAsw4Jr28JFlNHNiYNLpRGPMIk","kid":"c0f7e4f326234b7d","alg":"EdDSA","use":"sig"}]}`
	if string(got) != want {
		t.Errorf("MarshalJWKS =\n%s\nwant\n%s", got, want)
	}
	if _, err := runmeta.MarshalJWKS([]byte{1}); err == nil {
		t.Errorf("MarshalJWKS accepted a 1-byte key")
	}
}

func TestParsePublicKeysReadsJWKSAndPEM(t *testing.T) {
	a, b := runmetatest.TestPublicKey(), runmetatest.OtherPublicKey()
	jwks, err := runmeta.MarshalJWKS(a, b)
	if err != nil {
		t.Fatal(err)
	}
	pemA, err := runmeta.MarshalPublicKeyPEM(a)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"JWKS": jwks, "PEM": pemA} {
		keys, err := runmeta.ParsePublicKeys(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !keys[0].Equal(a) {
			t.Errorf("%s: first key differs", name)
		}
	}
	fromPEM, err := runmeta.JWKSFromPEM(pemA, pemA)
	if err != nil {
		t.Fatal(err)
	}
	if single, _ := runmeta.MarshalJWKS(a); string(fromPEM) != string(single) {
		t.Errorf("JWKSFromPEM = %s, want one key %s", fromPEM, single)
	}
	if _, err := runmeta.JWKSFromPEM([]byte("junk")); err == nil || !strings.Contains(err.Error(), "converting PEM file 0 to JWKS") {
		t.Errorf("JWKSFromPEM(junk) = %v", err)
	}
}

func TestParseJWKSRejects(t *testing.T) {
	x := `"x":"OS1ZOSrLyLvL7t9flZAsw4Jr28JFlNHNiYNLpRGPMIk"`
	tests := []struct{ name, data, wantMsg string }{
		{"not JSON", `{`, "parsing JWKS: syntax error at byte 1"},
		{"no keys", `{"keys":[]}`, `parsing JWKS: no keys under "keys"`},
		{"RSA key", `{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`, `key 0: kty "RSA" crv "", want OKP Ed25519`},
		{"X25519 key", `{"keys":[{"kty":"OKP","crv":"X25519",` + x + `}]}`, `crv "X25519"`},
		{"short x", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}`, `"x" is not 32 bytes`},
		{"kid of another key", `{"keys":[{"kty":"OKP","crv":"Ed25519",` + x + `,"kid":"0000000000000000"}]}`, `kid 0000000000000000 is not the key's id "c0f7e4f326234b7d"`},
		{"another alg", `{"keys":[{"kty":"OKP","crv":"Ed25519",` + x + `,"alg":"ES256"}]}`, `alg ES256, want "EdDSA"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runmeta.ParseJWKS([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ParseJWKS error = %v, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
	keys, err := runmeta.ParseJWKS([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519",` + x + `}]}`))
	if err != nil || len(keys) != 1 || !keys[0].Equal(runmetatest.TestPublicKey()) {
		t.Errorf("a key without kid and alg: %v, %v", keys, err)
	}
}

func TestRotatePublishedKeys(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := func(keys []runmeta.PublishedKey) []string {
		out := []string{}
		for _, k := range keys {
			out = append(out, k.ID)
		}
		return out
	}
	const a, b, c, d = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc", "dddddddddddddddd"

	// First publication, then the same key again: nothing retires.
	keys, dropped := runmeta.RotatePublishedKeys(nil, a, t0, 2)
	keys, dropped2 := runmeta.RotatePublishedKeys(keys, a, t0.Add(time.Hour), 2)
	if got := runmeta.FormatPublishedKeys(keys); got != a || dropped != nil || dropped2 != nil {
		t.Fatalf("keys %q, dropped %v %v", got, dropped, dropped2)
	}
	// Three quick rotations: with keep 2, b and a would fall off by count,
	// but they retired less than KeyRetention ago, so they stay.
	keys, _ = runmeta.RotatePublishedKeys(keys, b, t0.Add(time.Minute), 2)
	keys, _ = runmeta.RotatePublishedKeys(keys, c, t0.Add(2*time.Minute), 2)
	keys, dropped = runmeta.RotatePublishedKeys(keys, d, t0.Add(3*time.Minute), 2)
	if !slices.Equal(ids(keys), []string{d, c, b, a}) || dropped != nil {
		t.Fatalf("after quick rotations: %v, dropped %v", ids(keys), dropped)
	}
	want := d + "," + c + "@2026-01-01T00:03:00Z," + b + "@2026-01-01T00:02:00Z," + a + "@2026-01-01T00:01:00Z"
	if got := runmeta.FormatPublishedKeys(keys); got != want {
		t.Fatalf("formatted %q, want %q", got, want)
	}
	if !slices.Equal(ids(runmeta.ParsePublishedKeys(want)), ids(keys)) {
		t.Fatalf("ParsePublishedKeys does not read FormatPublishedKeys")
	}
	// Once KeyRetention has passed, the keys beyond keep go.
	later := t0.Add(2*time.Minute + runmeta.KeyRetention + time.Second)
	keys, dropped = runmeta.RotatePublishedKeys(keys, d, later, 2)
	if !slices.Equal(ids(keys), []string{d, c}) || !slices.Equal(dropped, []string{b, a}) {
		t.Fatalf("after retention: %v, dropped %v", ids(keys), dropped)
	}
	// A retired key can come back as the current one.
	keys, _ = runmeta.RotatePublishedKeys(keys, c, later, 2)
	if got := runmeta.FormatPublishedKeys(keys); got != c+","+d+"@"+later.Format(time.RFC3339) {
		t.Fatalf("after rollback: %q", got)
	}
}

func TestParsePublishedKeysReadsTheOldFormat(t *testing.T) {
	const a, b = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	old := runmeta.ParsePublishedKeys(a + "," + b + ",not-a-key,cccccccccccccccc@yesterday")
	if len(old) != 2 || !old[1].RetiredAt.IsZero() {
		t.Fatalf("ParsePublishedKeys = %+v", old)
	}
	keys, dropped := runmeta.RotatePublishedKeys(old, "dddddddddddddddd", now, 1)
	if len(keys) != 3 || dropped != nil || !keys[2].RetiredAt.Equal(now) {
		t.Fatalf("keys %+v dropped %v: ids without a time retire now and are kept", keys, dropped)
	}
}

// TestRotatedKeySetVerifiesRecentTokens walks a rotation as a verifier sees
// it: a token signed just before the rotation verifies with the key set
// published just after.
func TestRotatedKeySetVerifiesRecentTokens(t *testing.T) {
	oldKey, newKey := runmetatest.TestPrivateKey(), runmetatest.OtherPrivateKey()
	signedBefore := runmetatest.Sample()
	if err := runmeta.Sign(&signedBefore, oldKey); err != nil {
		t.Fatal(err)
	}
	rotation := runmetatest.SampleTime.Add(time.Second)
	published, _ := runmeta.RotatePublishedKeys(nil, runmeta.KeyID(oldKey.Public().(ed25519.PublicKey)), runmetatest.SampleTime.Add(-24*time.Hour), 1)
	published, _ = runmeta.RotatePublishedKeys(published, runmeta.KeyID(newKey.Public().(ed25519.PublicKey)), rotation, 1)
	byID := map[string]ed25519.PublicKey{
		runmeta.KeyID(oldKey.Public().(ed25519.PublicKey)): oldKey.Public().(ed25519.PublicKey),
		runmeta.KeyID(newKey.Public().(ed25519.PublicKey)): newKey.Public().(ed25519.PublicKey),
	}
	var keys []ed25519.PublicKey
	for _, k := range published {
		keys = append(keys, byID[k.ID])
	}
	ks, err := runmeta.NewKeySet(keys...)
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Verify(&signedBefore, rotation.Add(time.Minute), time.Hour); err != nil {
		t.Errorf("token signed just before the rotation: %v", err)
	}
}
