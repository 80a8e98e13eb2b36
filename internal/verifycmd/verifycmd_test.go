package verifycmd

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/runmeta/runmetatest"
)

const sampleDir = "../../config/samples/policies/testdata"

// fixture holds files shared by the tests.
type fixture struct {
	testKey  string // PEM file with the test public key
	otherKey string // PEM file with the other public key
	keyDir   string // ConfigMap-like directory holding both keys
	notPEM   string // a file that is not PEM
	jwks     string // JWKS file with the test public key
	dir      string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pemOf := func(pub ed25519.PublicKey) []byte {
		b, err := runmeta.MarshalPublicKeyPEM(pub)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	f := fixture{dir: dir}
	f.testKey = write("test.pem", pemOf(runmetatest.TestPublicKey()))
	f.otherKey = write("other.pem", pemOf(runmetatest.OtherPrivateKey().Public().(ed25519.PublicKey)))
	f.notPEM = write("not.pem", []byte("hello"))
	f.jwks = write("jwks.json", []byte(runmetatest.JWKS(runmetatest.TestPublicKey())))

	// A ConfigMap volume: the keys live in a hidden timestamped directory,
	// reached through ..data and per-key symlinks.
	f.keyDir = filepath.Join(dir, "keys")
	write("keys/..2025_06_02/current.pem", pemOf(runmetatest.TestPublicKey()))
	write("keys/..2025_06_02/previous.pem", pemOf(runmetatest.OtherPrivateKey().Public().(ed25519.PublicKey)))
	write("keys/..2025_06_02/jwks.json", []byte(runmetatest.JWKS(runmetatest.TestPublicKey(), runmetatest.OtherPublicKey())))
	for _, link := range []struct{ target, name string }{
		{"..2025_06_02", "..data"},
		{"..data/current.pem", "current.pem"},
		{"..data/previous.pem", "previous.pem"},
		{"..data/jwks.json", "jwks.json"},
	} {
		if err := os.Symlink(link.target, filepath.Join(f.keyDir, link.name)); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// inputFile writes an APPROVAL policy input for the sample run carrying
// metadata, after edit.
func (f fixture) inputFile(t *testing.T, metadata []string, edit func(*runmetatest.Run)) string {
	t.Helper()
	r := runmetatest.SampleRun(metadata)
	if edit != nil {
		edit(&r)
	}
	b, err := json.Marshal(runmetatest.ApprovalInput(r))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	f := newFixture(t)
	key := runmetatest.TestPrivateKey()
	other := runmetatest.OtherPrivateKey()
	testKID := runmeta.KeyID(runmetatest.TestPublicKey())
	otherKID := runmeta.KeyID(other.Public().(ed25519.PublicKey))
	sample := runmetatest.Sample()
	signed := runmetatest.Signed(sample, key)
	unsigned := runmetatest.Unsigned(sample)
	parts := strings.Split(signed, ".")
	tamperedClaims := sample
	tamperedClaims.Namespace = "prod"
	tampered := parts[0] + "." + strings.Split(runmetatest.Unsigned(tamperedClaims), ".")[1] + "." + parts[2]
	otherSource := sample
	otherSource.Issuer = "ci-pipeline"
	otherCommit := sample
	otherCommit.CommitSHA = strings.Repeat("b", 40)
	confirm := runmetatest.Signed(runmetatest.SampleConfirm(runmetatest.SampleTime.Add(2*time.Hour), "confirm"), key)

	// With --input the reference time is the run's creation, 5s after
	// signing, whatever the clock says; with --metadata it is now.
	now := runmetatest.SampleTime.Add(3 * time.Hour)
	at := runmetatest.SampleTime.Add(45 * time.Second)
	ok := "verified: run metadata signed by key " + testKID + " for infra/network (TRACKED, 5s old)\n"
	okNow := "verified: run metadata signed by key " + testKID + " for infra/network (TRACKED, 45s old)\n"
	rejected := "verify-run: rejected: "

	tests := []struct {
		name       string
		args       []string
		stdin      string
		now        time.Time
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name:       "signed APPROVAL sample input",
			args:       []string{"--public-key", f.testKey, "--input", filepath.Join(sampleDir, "approval-signed.json")},
			now:        now,
			wantCode:   ExitVerified,
			wantStdout: ok,
		},
		{
			name:       "signed launcher sample input on stdin, keys from the JWKS",
			args:       []string{"--public-key", f.jwks, "--input", "-"},
			stdin:      mustRead(t, filepath.Join(sampleDir, "launcher-signed.json")),
			now:        now,
			wantCode:   ExitVerified,
			wantStdout: ok,
		},
		{
			name:       "signed INITIALIZATION sample input",
			args:       []string{"--public-key-dir", f.keyDir, "--input", filepath.Join(sampleDir, "initialization-signed.json")},
			now:        now,
			wantCode:   ExitVerified,
			wantStdout: ok,
		},
		{
			name:       "unsigned sample input",
			args:       []string{"--public-key", f.testKey, "--input", filepath.Join(sampleDir, "approval-unsigned.json")},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + "entry 0: run metadata is not signed\n",
		},
		{
			name:       "forged sample input",
			args:       []string{"--public-key", f.testKey, "--input", filepath.Join(sampleDir, "launcher-forged.json")},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + `entry 0: signature does not match: metadata was altered or signed by another key (key id "` + testKID + `")` + "\n",
		},
		{
			name:       "stale sample input",
			args:       []string{"--public-key", f.testKey, "--max-age", "15m", "--input", filepath.Join(sampleDir, "initialization-stale.json")},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + "entry 0: run metadata has expired: issued 30m5s ago at 2025-06-02T09:30:00Z, maximum age is 15m0s\n",
		},
		{
			name:       "replayed sample input",
			args:       []string{"--public-key", f.testKey, "--input", filepath.Join(sampleDir, "approval-replayed.json")},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + `entry 0: run metadata was signed for another commit: signed for "` + runmetatest.SampleCommit + `", the run is on "` + strings.Repeat("e", 40) + `"` + "\n",
		},
		{
			name:       "wrong-key sample input",
			args:       []string{"--public-key", f.testKey, "--input", filepath.Join(sampleDir, "approval-wrong-key.json")},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + `entry 0: run metadata is signed by an unknown key: key id "` + otherKID + `" is not among the trusted key ids [` + testKID + "]\n",
		},
		{
			name:       "input without metadata",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, nil, nil)},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + "run has no user-provided metadata\n",
		},
		{
			name:       "confirmed: a later CONFIRM token and free text",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{signed, "deploy-metadata", confirm}, nil)},
			now:        now,
			wantCode:   ExitVerified,
			wantStdout: ok,
			wantStderr: "verify-run: ignoring entry 1: not a spacelift-operator run token\n",
		},
		{
			name:       "first entry from someone else",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{"deploy-metadata", signed}, nil)},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + `run was not triggered with a run token from the expected issuer "spacelift-operator": its first metadata entry is not one` + "\n",
		},
		{
			name:       "first entry from another issuer",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{runmetatest.Signed(otherSource, key)}, nil)},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + `run was not triggered with a run token from the expected issuer "spacelift-operator": its first metadata entry is not one` + "\n",
		},
		{
			name:       "tampered",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{tampered}, nil)},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + `entry 0: signature does not match: metadata was altered or signed by another key (key id "` + testKID + `")` + "\n",
		},
		{
			name:       "replayed onto another stack",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{signed}, func(r *runmetatest.Run) { r.StackID = "payments-prod" })},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + `entry 0: run metadata was signed for another stack: signed for "network-prod", the run is on "payments-prod"` + "\n",
		},
		{
			name:       "replayed onto a proposed run",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{signed}, func(r *runmetatest.Run) { r.Type = runmeta.RunTypeProposed })},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + "entry 0: run metadata was signed for another run type: signed for a TRACKED run, this is a PROPOSED run\n",
		},
		{
			name:       "the same token twice",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{signed, confirm, confirm}, nil)},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + "entries 1 and 2: run metadata was replayed: both carry token id " + mustParse(t, confirm).ID + "\n",
		},
		{
			name:       "a second trigger token",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{signed, runmetatest.Signed(otherCommit, key)}, nil)},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + `entry 1: run metadata was signed for another commit: signed for "` + otherCommit.CommitSHA + `", the run is on "` + runmetatest.SampleCommit + `"` + "\n",
		},
		{
			name:       "from the future",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{signed}, func(r *runmetatest.Run) { r.CreatedAt = runmetatest.SampleTime.Add(-time.Hour) })},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + "entry 0: run metadata is dated in the future: issued at 2025-06-02T10:00:00Z, 1h0m0s ahead of the verifier's clock (allowed skew 2m0s)\n",
		},
		{
			name:       "legacy JSON metadata from us",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{`{"src":"spacelift-operator","v":1}`}, nil)},
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + `run was not triggered with a run token from the expected issuer "spacelift-operator": its first metadata entry is not one` + "\n",
		},
		{
			name:       "policy input is not JSON",
			args:       []string{"--public-key", f.testKey, "--input", "-"},
			stdin:      "{not json",
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + "malformed policy input: invalid JSON at byte 2\n",
		},
		{
			name:       "policy input without run",
			args:       []string{"--public-key", f.testKey, "--input", "-"},
			stdin:      `{"stack":{}}`,
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + "malformed policy input: no \"run\" object\n",
		},
		{
			name:       "policy input without a stack",
			args:       []string{"--public-key", f.testKey, "--input", "-"},
			stdin:      `{"run":{"user_provided_metadata":["` + signed + `"]}}`,
			now:        now,
			wantCode:   ExitRejected,
			wantStderr: rejected + "malformed policy input: neither stack.id nor static_run_environment.stack_slug names the run's stack\n",
		},
		{
			name:       "token",
			args:       []string{"--public-key", f.testKey, "--metadata", signed},
			now:        at,
			wantCode:   ExitVerified,
			wantStdout: okNow,
		},
		{
			name:       "token signed with a rotated-out key from a key directory",
			args:       []string{"--public-key-dir", f.keyDir, "--metadata", runmetatest.Signed(sample, other)},
			now:        at,
			wantCode:   ExitVerified,
			wantStdout: "verified: run metadata signed by key " + otherKID + " for infra/network (TRACKED, 45s old)\n",
		},
		{
			name:       "expired token",
			args:       []string{"--public-key", f.testKey, "--max-age", "30m", "--metadata", signed},
			now:        runmetatest.SampleTime.Add(31 * time.Minute),
			wantCode:   ExitRejected,
			wantStderr: rejected + "run metadata has expired: issued 31m0s ago at 2025-06-02T10:00:00Z, maximum age is 30m0s\n",
		},
		{
			name:       "unsigned token",
			args:       []string{"--public-key", f.testKey, "--metadata", unsigned},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + "run metadata is not signed\n",
		},
		{
			name:       "free text",
			args:       []string{"--public-key", f.testKey, "--metadata", "deploy-metadata"},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + "malformed run metadata: not a compact JWS (header.payload.signature)\n",
		},
		{
			name:       "token from another issuer",
			args:       []string{"--public-key", f.testKey, "--metadata", runmetatest.Signed(otherSource, key)},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + `run metadata comes from another issuer: issuer "ci-pipeline", expected "spacelift-operator"` + "\n",
		},
		{
			name:       "token with a custom expected issuer",
			args:       []string{"--public-key", f.testKey, "--source", "ci-pipeline", "--metadata", runmetatest.Signed(otherSource, key)},
			now:        at,
			wantCode:   ExitVerified,
			wantStdout: okNow,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr, func() time.Time { return tt.now })
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			if stdout.String() != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.wantStdout)
			}
			if stderr.String() != tt.wantStderr {
				t.Errorf("stderr =\n%s\nwant\n%s", stderr.String(), tt.wantStderr)
			}
		})
	}
}

func TestRunUsageErrors(t *testing.T) {
	f := newFixture(t)
	emptyDir := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		wantMsg string
	}{
		{"no arguments", nil, "one of --input or --metadata is required"},
		{"no key", []string{"--metadata", "x"}, "at least one --public-key or --public-key-dir is required"},
		{"input and metadata", []string{"--public-key", f.testKey, "--input", "-", "--metadata", "x"}, "--input and --metadata are mutually exclusive"},
		{"positional argument", []string{"--public-key", f.testKey, "--metadata", "x", "extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"--public-key", f.testKey, "--frobnicate"}, "flag provided but not defined: -frobnicate"},
		{"bad max age", []string{"--public-key", f.testKey, "--metadata", "x", "--max-age", "soon"}, `invalid value "soon" for flag -max-age`},
		{"zero max age", []string{"--public-key", f.testKey, "--metadata", "x", "--max-age", "0s"}, "--max-age must be positive, got 0s"},
		{"empty source", []string{"--public-key", f.testKey, "--metadata", "x", "--source", ""}, "--source must not be empty"},
		{"missing key file", []string{"--public-key", filepath.Join(f.dir, "absent.pem"), "--metadata", "x"}, "reading public key file: open "},
		{"key file not PEM", []string{"--public-key", f.notPEM, "--metadata", "x"}, `parsing public keys: no PEM "PUBLIC KEY" block found`},
		{"missing key directory", []string{"--public-key-dir", filepath.Join(f.dir, "absent"), "--metadata", "x"}, "reading public key directory: open "},
		{"empty key directory", []string{"--public-key-dir", emptyDir, "--metadata", "x"}, "holds no key files"},
		{"missing input file", []string{"--public-key", f.testKey, "--input", filepath.Join(f.dir, "absent.json")}, "reading policy input: open "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(tt.args, strings.NewReader(""), &stdout, &stderr)
			if code != ExitUsage {
				t.Errorf("exit code = %d, want %d", code, ExitUsage)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantMsg) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantMsg)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"-h"}, strings.NewReader(""), &stdout, &stderr); code != ExitVerified {
		t.Errorf("exit code = %d, want 0", code)
	}
	if !strings.Contains(stderr.String(), "Usage: spacelift-operator verify-run") {
		t.Errorf("help output = %q", stderr.String())
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustParse(t *testing.T, token string) *runmeta.Metadata {
	t.Helper()
	m, err := runmeta.Parse(token)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
