package runmeta_test

import (
	"crypto/ed25519"
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
		{
			name:   "fresh document",
			doc:    signedSample,
			now:    base.Add(time.Minute),
			maxAge: time.Hour,
		},
		{
			name:   "exactly the maximum age",
			doc:    signedSample,
			now:    base.Add(time.Hour),
			maxAge: time.Hour,
		},
		{
			name:   "ahead within the allowed clock skew",
			doc:    signedSample,
			now:    base.Add(-runmeta.MaxClockSkew),
			maxAge: time.Hour,
		},
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
			name: "old timestamp refreshed by an attacker",
			doc: func(t *testing.T) runmeta.Metadata {
				m := signedSample(t)
				m.Timestamp = runmeta.FormatTimestamp(base.Add(3 * time.Hour))
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
			name:    "replayed after the maximum age",
			doc:     signedSample,
			now:     base.Add(time.Hour + time.Second),
			maxAge:  time.Hour,
			wantErr: runmeta.ErrExpired,
			wantMsg: "run metadata has expired: signed 1h0m1s ago at 2025-06-02T10:00:00Z, maximum age is 1h0m0s",
		},
		{
			name:    "dated in the future",
			doc:     signedSample,
			now:     base.Add(-10 * time.Minute),
			maxAge:  time.Hour,
			wantErr: runmeta.ErrFromFuture,
			wantMsg: "run metadata is dated in the future: timestamp 2025-06-02T10:00:00Z is 10m0s ahead",
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
			wantMsg: `malformed run metadata: field "sig"`,
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
			wantMsg: `malformed run metadata: field "kid" is empty`,
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
	ks, err := runmeta.NewKeySet(runmetatest.OtherPrivateKey().Public().(ed25519.PublicKey), runmetatest.TestPublicKey())
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

func TestParseRejectsMalformed(t *testing.T) {
	valid := runmetatest.Signed(runmetatest.Sample(), runmetatest.TestPrivateKey())
	replace := func(old, new string) string {
		if !strings.Contains(valid, old) {
			t.Fatalf("sample %s does not contain %q", valid, old)
		}
		return strings.Replace(valid, old, new, 1)
	}
	tests := []struct {
		name    string
		input   string
		wantMsg string
	}{
		{"empty", "", "not a JSON object"},
		{"free text", "deploy-metadata", "not a JSON object"},
		{"array", `["x"]`, "not a JSON object"},
		{"truncated", valid[:len(valid)-1], "unexpected end of input"},
		{"syntax error", `{"v":1,}`, "syntax error at byte"},
		{"wrong type", replace(`"gen":3`, `"gen":"3"`), `field "gen" has the wrong type`},
		{"unknown field", replace(`{"v":1,`, `{"v":1,"extra":true,`), `unknown field "extra"`},
		{"trailing data", valid + `{}`, "trailing data"},
		{"missing fields", `{"v":1,"src":"spacelift-operator"}`, `field "ns" is empty`},
		{"future version", replace(`{"v":1,`, `{"v":2,`), "unsupported version 2"},
		{"timestamp with offset", replace(`"ts":"2025-06-02T10:00:00Z"`, `"ts":"2025-06-02T12:00:00+02:00"`), `field "ts" is not an RFC 3339 UTC timestamp`},
		{"timestamp with fraction", replace(`"ts":"2025-06-02T10:00:00Z"`, `"ts":"2025-06-02T10:00:00.5Z"`), `field "ts"`},
		{"short nonce", replace(runmetatest.Sample().Nonce, "AAAA"), `field "nonce" is not 16 bytes`},
		{"control character", replace(`"name":"network"`, `"name":"net\nwork"`), `field "name" contains a control character`},
		{"too long", `{"ns":"` + strings.Repeat("a", runmeta.MaxEncodedLen) + `"}`, "more than the 4096 allowed"},
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
	if err := runmeta.Verify(m, runmetatest.TestPublicKey(), runmetatest.SampleTime, time.Hour); !errors.Is(err, runmeta.ErrUnsigned) {
		t.Errorf("Verify(unsigned) = %v, want ErrUnsigned", err)
	}
}

func TestEncodeIsAHeaderSafeLine(t *testing.T) {
	m := runmetatest.Sample()
	m.Name = "réseau-🚀<&>"
	s := runmetatest.Signed(m, runmetatest.TestPrivateKey())
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			t.Fatalf("Encode output has byte %#x at %d: %s", s[i], i, s)
		}
	}
	if strings.Contains(s, " ") {
		t.Errorf("Encode output has whitespace: %s", s)
	}
	if !strings.Contains(s, `r\u00e9seau-\ud83d\ude80`) {
		t.Errorf("non-ASCII characters not escaped: %s", s)
	}
	got, err := runmeta.Parse(s)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got.Name != m.Name {
		t.Errorf("Name = %q, want %q", got.Name, m.Name)
	}
	if err := runmeta.Verify(got, runmetatest.TestPublicKey(), runmetatest.SampleTime, time.Hour); err != nil {
		t.Errorf("Verify after escaping: %v", err)
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
}

func TestCanonicalBytes(t *testing.T) {
	m := runmeta.Metadata{
		Version: 1, Source: "src", Namespace: "ns", Name: "n", UID: "", Generation: 12,
		Kind: "K", StackID: "s", CommitSHA: "c", RunType: "TRACKED",
		Timestamp: "2025-06-02T10:00:00Z", Nonce: "nonce", KeyID: "kid", Signature: "ignored",
	}
	want := "31:spacelift-operator/run-metadata,1:1,3:src,2:ns,1:n,0:,2:12,1:K,1:s,1:c,7:TRACKED,20:2025-06-02T10:00:00Z,5:nonce,3:kid,"
	if got := string(m.CanonicalBytes()); got != want {
		t.Errorf("CanonicalBytes =\n%s\nwant\n%s", got, want)
	}

	// Moving bytes between neighbouring fields changes the encoding.
	shifted := m
	shifted.Namespace, shifted.Name = "nsn", ""
	if string(shifted.CanonicalBytes()) == want {
		t.Errorf("field boundaries are ambiguous")
	}
}

func TestSourceOf(t *testing.T) {
	tests := []struct {
		input string
		want  string
	}{
		{`{"src":"spacelift-operator","v":1}`, "spacelift-operator"},
		{` {"src":"other"}`, "other"},
		{`{"src":42}`, ""},
		{`{"v":1}`, ""},
		{`deploy-metadata`, ""},
		{`["src"]`, ""},
		{`{"src":"x"`, ""},
	}
	for _, tt := range tests {
		if got := runmeta.SourceOf(tt.input); got != tt.want {
			t.Errorf("SourceOf(%q) = %q, want %q", tt.input, got, tt.want)
		}
	}
}

func TestStamp(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 678, time.FixedZone("CET", 3600))
	var a, b runmeta.Metadata
	a.Stamp(now)
	b.Stamp(now)
	if a.Version != runmeta.CurrentVersion || a.Source != runmeta.Source {
		t.Errorf("Stamp did not set version and source: %+v", a)
	}
	if a.Timestamp != "2025-01-02T02:04:05Z" {
		t.Errorf("Timestamp = %q, want UTC whole seconds", a.Timestamp)
	}
	if len(a.Nonce) != 22 || a.Nonce == b.Nonce {
		t.Errorf("nonces %q and %q are not fresh 128-bit values", a.Nonce, b.Nonce)
	}
	c := runmeta.Metadata{Source: "custom"}
	c.Stamp(now)
	if c.Source != "custom" {
		t.Errorf("Stamp overwrote Source: %q", c.Source)
	}
}
