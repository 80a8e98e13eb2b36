package runmeta_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/runmeta/runmetatest"
)

func signedSample(t *testing.T) runmeta.Metadata {
	t.Helper()
	m := runmetatest.Sample()
	if err := runmeta.Sign(&m, runmetatest.TestPrivateKey()); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return m
}

// segment decodes part i of a compact JWS as JSON.
func segment(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSignEncodeParseVerifyRoundTrip(t *testing.T) {
	m := signedSample(t)
	if m.KeyID != runmeta.KeyID(runmetatest.TestPublicKey()) {
		t.Errorf("KeyID = %q, want the test key's id", m.KeyID)
	}
	s, err := runmeta.Encode(&m)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	got, err := runmeta.Parse(s)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if *got != m {
		t.Errorf("Parse(Encode(m)) = %+v, want %+v", *got, m)
	}
	now := runmetatest.SampleTime.Add(5 * time.Minute)
	if err := runmeta.Verify(got, runmetatest.TestPublicKey(), now, time.Hour); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

// TestWireFormat pins the JWS header and claims that policies read.
func TestWireFormat(t *testing.T) {
	s := runmetatest.Signed(runmetatest.Sample(), runmetatest.TestPrivateKey())
	if n := strings.Count(s, "."); n != 2 {
		t.Fatalf("token has %d dots, want a compact JWS: %s", n, s)
	}
	header, _ := json.Marshal(segment(t, s, 0))
	if want := `{"alg":"EdDSA","kid":"c0f7e4f326234b7d","typ":"spacelift-run+jwt"}`; string(header) != want {
		t.Errorf("header = %s, want %s", header, want)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(s, ".")[1])
	want := `{"iss":"spacelift-operator","jti":"uUcN9S0kRvi6HIZ7QFA40Q","iat":1748858400,"exp":1748862000,` +
		`"ns":"infra","name":"network","uid":"0f6b8a4e-3c1d-4a57-9d1e-2b7c9e5f4a10","gen":3,"kind":"Stack",` +
		`"stack":"network-prod","sha":"7d629c6c3f3b6da07e28a87727f0586e577d98c1","type":"TRACKED"}`
	if string(raw) != want {
		t.Errorf("claims =\n%s\nwant\n%s", raw, want)
	}
	sig, err := base64.RawURLEncoding.DecodeString(strings.Split(s, ".")[2])
	if err != nil || !ed25519.Verify(runmetatest.TestPublicKey(), []byte(s[:strings.LastIndex(s, ".")]), sig) {
		t.Errorf("signature does not verify as a plain RFC 8037 EdDSA JWS")
	}

	u := runmetatest.Unsigned(runmetatest.Sample())
	if !strings.HasSuffix(u, ".") {
		t.Errorf("unsigned token %s does not end with an empty signature", u)
	}
	uh, _ := json.Marshal(segment(t, u, 0))
	if string(uh) != `{"alg":"none","typ":"spacelift-run+jwt"}` {
		t.Errorf("unsigned header = %s", uh)
	}
}

func TestSignIsDeterministicAndKeepsInputOnError(t *testing.T) {
	a, b := signedSample(t), signedSample(t)
	if a.Signature != b.Signature {
		t.Errorf("signatures differ for identical input")
	}
	bad := runmetatest.Sample()
	bad.Namespace = ""
	before := bad
	if err := runmeta.Sign(&bad, runmetatest.TestPrivateKey()); !errors.Is(err, runmeta.ErrMalformed) {
		t.Fatalf("Sign(missing namespace) = %v, want ErrMalformed", err)
	}
	if bad != before {
		t.Errorf("Sign modified the metadata although it failed")
	}
	if err := runmeta.Sign(&before, nil); err == nil {
		t.Errorf("Sign with a nil key succeeded")
	}
	if err := runmeta.Sign(nil, runmetatest.TestPrivateKey()); err == nil {
		t.Errorf("Sign(nil) succeeded")
	}
}

func TestVerifyRejections(t *testing.T) {
	base := runmetatest.SampleTime
	testPub := runmetatest.TestPublicKey()
	tests := []struct {
		name    string
		doc     func(t *testing.T) runmeta.Metadata
		now     time.Time
		maxAge  time.Duration
		wantErr error // nil means accepted
		wantMsg string
	}{
		{name: "fresh token", doc: signedSample, now: base.Add(time.Minute), maxAge: time.Hour},
		{name: "exactly the maximum age", doc: signedSample, now: base.Add(30 * time.Minute), maxAge: 30 * time.Minute},
		{name: "ahead within the allowed clock skew", doc: signedSample, now: base.Add(-runmeta.MaxClockSkew), maxAge: time.Hour},
		{
			name: "tampered namespace",
			doc: func(t *testing.T) runmeta.Metadata {
				m := signedSample(t)
				m.Namespace = "prod"
				return m
			},
			now: base, maxAge: time.Hour,
			wantErr: runmeta.ErrBadSignature,
			wantMsg: "signature does not match: metadata was altered or signed by another key",
		},
		{
			name: "tampered commit",
			doc: func(t *testing.T) runmeta.Metadata {
				m := signedSample(t)
				m.CommitSHA = strings.Repeat("0", 40)
				return m
			},
			now: base, maxAge: time.Hour,
			wantErr: runmeta.ErrBadSignature,
		},
		{
			name: "old token refreshed by an attacker",
			doc: func(t *testing.T) runmeta.Metadata {
				m := signedSample(t)
				m.IssuedAt = base.Add(3 * time.Hour)
				m.ExpiresAt = m.IssuedAt.Add(time.Hour)
				return m
			},
			now: base.Add(3 * time.Hour), maxAge: time.Hour,
			wantErr: runmeta.ErrBadSignature,
		},
		{
			name: "signed by another key under the trusted key id",
			doc: func(t *testing.T) runmeta.Metadata {
				m := runmetatest.Sample()
				if err := runmeta.Sign(&m, runmetatest.OtherPrivateKey()); err != nil {
					t.Fatal(err)
				}
				m.KeyID = runmeta.KeyID(testPub)
				return m
			},
			now: base, maxAge: time.Hour,
			wantErr: runmeta.ErrBadSignature,
		},
		{
			name: "signed by another key",
			doc: func(t *testing.T) runmeta.Metadata {
				m := runmetatest.Sample()
				if err := runmeta.Sign(&m, runmetatest.OtherPrivateKey()); err != nil {
					t.Fatal(err)
				}
				return m
			},
			now: base, maxAge: time.Hour,
			wantErr: runmeta.ErrUnknownKey,
			wantMsg: "run metadata is signed by an unknown key: key id",
		},
		{
			name:    "unsigned",
			doc:     func(*testing.T) runmeta.Metadata { return runmetatest.Sample() },
			now:     base,
			maxAge:  time.Hour,
			wantErr: runmeta.ErrUnsigned,
			wantMsg: "run metadata is not signed",
		},
		{
			name:    "older than the maximum age",
			doc:     signedSample,
			now:     base.Add(30*time.Minute + time.Second),
			maxAge:  30 * time.Minute,
			wantErr: runmeta.ErrExpired,
			wantMsg: "run metadata has expired: issued 30m1s ago at 2025-06-02T10:00:00Z, maximum age is 30m0s",
		},
		{
			name:    "past exp",
			doc:     signedSample,
			now:     base.Add(time.Hour),
			maxAge:  2 * time.Hour,
			wantErr: runmeta.ErrExpired,
			wantMsg: "run metadata has expired: expired at 2025-06-02T11:00:00Z",
		},
		{
			name:    "dated in the future",
			doc:     signedSample,
			now:     base.Add(-10 * time.Minute),
			maxAge:  time.Hour,
			wantErr: runmeta.ErrFromFuture,
			wantMsg: "run metadata is dated in the future: issued at 2025-06-02T10:00:00Z, 10m0s ahead",
		},
		{
			name: "signature not base64url",
			doc: func(t *testing.T) runmeta.Metadata {
				m := signedSample(t)
				m.Signature = "not/base64+"
				return m
			},
			now: base, maxAge: time.Hour,
			wantErr: runmeta.ErrMalformed,
			wantMsg: "malformed run metadata: signature is not 64 bytes",
		},
		{
			name: "signature without key id",
			doc: func(t *testing.T) runmeta.Metadata {
				m := signedSample(t)
				m.KeyID = ""
				return m
			},
			now: base, maxAge: time.Hour,
			wantErr: runmeta.ErrMalformed,
			wantMsg: `malformed run metadata: header "kid" is empty`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.doc(t)
			err := runmeta.Verify(&m, testPub, tt.now, tt.maxAge)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want success", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), tt.wantMsg) {
				t.Errorf("Verify message = %q, want prefix %q", err.Error(), tt.wantMsg)
			}
		})
	}
}

func TestErrorsAreDistinct(t *testing.T) {
	errs := []error{
		runmeta.ErrMalformed, runmeta.ErrUnsigned, runmeta.ErrUnknownKey,
		runmeta.ErrBadSignature, runmeta.ErrExpired, runmeta.ErrFromFuture,
	}
	seen := map[string]bool{}
	for _, err := range errs {
		if seen[err.Error()] {
			t.Errorf("duplicate error message %q", err.Error())
		}
		seen[err.Error()] = true
		for _, other := range errs {
			if other != err && errors.Is(err, other) {
				t.Errorf("%v matches %v", err, other)
			}
		}
	}
}

func TestKeySetAcceptsAnyTrustedKey(t *testing.T) {
	ks, err := runmeta.NewKeySet(runmetatest.OtherPublicKey(), runmetatest.TestPublicKey())
	if err != nil {
		t.Fatalf("NewKeySet: %v", err)
	}
	if ks.Len() != 2 || len(ks.IDs()) != 2 {
		t.Fatalf("key set has %d keys, want 2", ks.Len())
	}
	m := signedSample(t)
	if err := ks.Verify(&m, runmetatest.SampleTime, time.Hour); err != nil {
		t.Errorf("Verify with a rotated key set: %v", err)
	}
	if err := (runmeta.KeySet{}).Verify(&m, runmetatest.SampleTime, time.Hour); !errors.Is(err, runmeta.ErrUnknownKey) {
		t.Errorf("empty key set: Verify = %v, want ErrUnknownKey", err)
	}
	if err := ks.Verify(&m, runmetatest.SampleTime, 0); err == nil {
		t.Errorf("Verify with a zero maximum age succeeded")
	}
	if _, err := runmeta.NewKeySet([]byte("short")); err == nil {
		t.Errorf("NewKeySet accepted a short key")
	}
}

// jws assembles a token from JSON header and claims and a signature segment.
func jws(header, claims, sig string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(claims)) + "." + sig
}

func TestParseRejectsMalformed(t *testing.T) {
	valid := runmetatest.Signed(runmetatest.Sample(), runmetatest.TestPrivateKey())
	parts := strings.Split(valid, ".")
	rawClaims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	claims := string(rawClaims)
	header := `{"alg":"EdDSA","kid":"c0f7e4f326234b7d","typ":"spacelift-run+jwt"}`
	replace := func(old, new string) string {
		if !strings.Contains(claims, old) {
			t.Fatalf("claims %s do not contain %q", claims, old)
		}
		return jws(header, strings.Replace(claims, old, new, 1), parts[2])
	}
	withoutIss := strings.Replace(claims, `"iss":"spacelift-operator",`, "", 1)
	issLast := strings.TrimSuffix(withoutIss, "}") + `,"iss":"spacelift-operator"}`
	tests := []struct {
		name    string
		input   string
		wantMsg string
	}{
		{"empty", "", "not a compact JWS"},
		{"free text", "deploy-metadata", "not a compact JWS"},
		{"legacy JSON document", `{"v":1,"src":"spacelift-operator"}`, "not a compact JWS"},
		{"four segments", valid + ".x", "not a compact JWS"},
		{"header not base64url", "a+b." + parts[1] + "." + parts[2], "the JWS header is not unpadded base64url"},
		{"header not JSON", jws("nope", claims, parts[2]), "decoding the JWS header: syntax error"},
		{"unknown header member", jws(`{"alg":"EdDSA","kid":"c0f7e4f326234b7d","typ":"spacelift-run+jwt","jku":"https://evil"}`, claims, parts[2]), `unknown member "jku"`},
		{"another typ", jws(`{"alg":"EdDSA","kid":"c0f7e4f326234b7d","typ":"JWT"}`, claims, parts[2]), `header "typ" is "JWT", want "spacelift-run+jwt"`},
		{"another alg", jws(`{"alg":"HS256","kid":"c0f7e4f326234b7d","typ":"spacelift-run+jwt"}`, claims, parts[2]), `header "alg" is "HS256", want "EdDSA"`},
		{"signed without kid", jws(`{"alg":"EdDSA","typ":"spacelift-run+jwt"}`, claims, parts[2]), `header "kid" is empty`},
		{"kid not a key id", jws(`{"alg":"EdDSA","kid":"../../etc","typ":"spacelift-run+jwt"}`, claims, parts[2]), `header "kid" is not 16 lower-case hex`},
		{"short signature", jws(header, claims, "AAAA"), "signature is not 64 bytes"},
		{"unsecured with a signature", jws(`{"alg":"none","typ":"spacelift-run+jwt"}`, claims, parts[2]), `unsecured token (alg "none") has a key id or signature`},
		{"wrong claim type", replace(`"gen":3`, `"gen":"3"`), `member "gen" has the wrong type`},
		{"unknown claim", replace(`{"iss"`, `{"extra":true,"iss"`), `unknown member "extra"`},
		{"trailing data", jws(header, claims+"{}", parts[2]), "trailing data after the JWS payload"},
		{"missing claims", jws(header, `{"iss":"spacelift-operator"}`, parts[2]), `claim "jti" is empty`},
		{"short jti", replace(runmetatest.Sample().ID, "AAAA"), `claim "jti" is not 16 bytes`},
		{"no iat", replace(`"iat":1748858400`, `"iat":0`), `claim "iat" is missing`},
		{"exp before iat", replace(`"exp":1748862000`, `"exp":1748858000`), `claim "exp" is not after "iat"`},
		{"control character", replace(`"name":"network"`, `"name":"net\nwork"`), `claim "name" contains a control character`},
		{"reordered claims", jws(header, issLast, parts[2]), "not in the canonical encoding"},
		{"whitespace", jws(header, strings.Replace(claims, `"ns":`, `"ns": `, 1), parts[2]), "not in the canonical encoding"},
		{"too long", strings.Repeat("a", runmeta.MaxEncodedLen+1), "more than the 4096 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := runmeta.Parse(tt.input)
			if !errors.Is(err, runmeta.ErrMalformed) {
				t.Fatalf("Parse = %+v, %v; want ErrMalformed", m, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Parse error = %q, want it to contain %q", err.Error(), tt.wantMsg)
			}
		})
	}
}

func TestParseAcceptsUnsigned(t *testing.T) {
	m, err := runmeta.Parse(runmetatest.Unsigned(runmetatest.Sample()))
	if err != nil {
		t.Fatalf("Parse(unsigned) = %v", err)
	}
	if m.Signature != "" || m.KeyID != "" {
		t.Errorf("unsigned token parsed with key id %q and signature %q", m.KeyID, m.Signature)
	}
	if err := runmeta.Verify(m, runmetatest.TestPublicKey(), runmetatest.SampleTime, time.Hour); !errors.Is(err, runmeta.ErrUnsigned) {
		t.Errorf("Verify(unsigned) = %v, want ErrUnsigned", err)
	}
}

func TestEncodeIsAHeaderSafeLine(t *testing.T) {
	m := runmetatest.Sample()
	m.Name = "réseau-🚀<&>"
	s := runmetatest.Signed(m, runmetatest.TestPrivateKey())
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			t.Fatalf("Encode output has byte %q at %d: %s", c, i, s)
		}
	}
	got, err := runmeta.Parse(s)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got.Name != m.Name {
		t.Errorf("Name = %q, want %q", got.Name, m.Name)
	}
	if err := runmeta.Verify(got, runmetatest.TestPublicKey(), runmetatest.SampleTime, time.Hour); err != nil {
		t.Errorf("Verify of a non-ASCII name: %v", err)
	}
}

func TestEncodeRejectsInvalid(t *testing.T) {
	m := runmetatest.Sample()
	m.StackID = ""
	if _, err := runmeta.Encode(&m); !errors.Is(err, runmeta.ErrMalformed) {
		t.Errorf("Encode(missing stack) = %v, want ErrMalformed", err)
	}
	if _, err := runmeta.Encode(nil); err == nil {
		t.Errorf("Encode(nil) succeeded")
	}
	s := signedSample(t)
	s.Signature = "short"
	if _, err := runmeta.Encode(&s); !errors.Is(err, runmeta.ErrMalformed) {
		t.Errorf("Encode(bad signature) = %v, want ErrMalformed", err)
	}
}

func TestIssuerOf(t *testing.T) {
	signed := runmetatest.Signed(runmetatest.Sample(), runmetatest.TestPrivateKey())
	other := runmetatest.Sample()
	other.Issuer = "ci-pipeline"
	tests := []struct {
		input string
		want  string
	}{
		{signed, "spacelift-operator"},
		{runmetatest.Unsigned(runmetatest.Sample()), "spacelift-operator"},
		{runmetatest.Unsigned(other), "ci-pipeline"},
		{jws(`{}`, `{"iss":42}`, ""), ""},
		{jws(`{}`, `{"sub":"x"}`, ""), ""},
		{`{"src":"spacelift-operator"}`, ""},
		{"deploy-metadata", ""},
		{"a.b!.c", ""},
	}
	for _, tt := range tests {
		if got := runmeta.IssuerOf(tt.input); got != tt.want {
			t.Errorf("IssuerOf(%q) = %q, want %q", tt.input, got, tt.want)
		}
	}
}

func TestStamp(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 678, time.FixedZone("CET", 3600))
	var a, b runmeta.Metadata
	a.Stamp(now)
	b.Stamp(now)
	if a.Issuer != runmeta.Issuer {
		t.Errorf("Stamp did not set the issuer: %+v", a)
	}
	if want := time.Date(2025, 1, 2, 2, 4, 5, 0, time.UTC); !a.IssuedAt.Equal(want) || a.IssuedAt.Location() != time.UTC {
		t.Errorf("IssuedAt = %v, want %v", a.IssuedAt, want)
	}
	if a.ExpiresAt.Sub(a.IssuedAt) != runmeta.TokenLifetime {
		t.Errorf("ExpiresAt = %v, want IssuedAt + %s", a.ExpiresAt, runmeta.TokenLifetime)
	}
	if len(a.ID) != 22 || a.ID == b.ID {
		t.Errorf("ids %q and %q are not fresh 128-bit values", a.ID, b.ID)
	}
	c := runmeta.Metadata{Issuer: "custom"}
	c.Stamp(now)
	if c.Issuer != "custom" {
		t.Errorf("Stamp overwrote Issuer: %q", c.Issuer)
	}
}
