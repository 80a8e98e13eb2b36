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

	// A ConfigMap volume: the keys live in a hidden timestamped directory,
	// reached through ..data and per-key symlinks.
	f.keyDir = filepath.Join(dir, "keys")
	write("keys/..2025_06_02/current.pem", pemOf(runmetatest.TestPublicKey()))
	write("keys/..2025_06_02/previous.pem", pemOf(runmetatest.OtherPrivateKey().Public().(ed25519.PublicKey)))
	for _, link := range []struct{ target, name string }{
		{"..2025_06_02", "..data"},
		{"..data/current.pem", "current.pem"},
		{"..data/previous.pem", "previous.pem"},
	} {
		if err := os.Symlink(link.target, filepath.Join(f.keyDir, link.name)); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// inputFile writes a policy input whose run carries metadata.
func (f fixture) inputFile(t *testing.T, metadata []string, edit func(map[string]any)) string {
	t.Helper()
	in := runmetatest.PolicyInput(metadata)
	if edit != nil {
		edit(in)
	}
	b, err := json.Marshal(in)
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
	tampered := strings.Replace(signed, `"ns":"infra"`, `"ns":"prod"`, 1)
	otherSource := sample
	otherSource.Source = "ci-pipeline"
	otherCommit := sample
	otherCommit.CommitSHA = strings.Repeat("b", 40)
	confirm := sample
	confirm.RunType = runmeta.RunTypeConfirm

	at := runmetatest.SampleTime.Add(45 * time.Second)
	ok := "verified: run metadata signed by key " + testKID + " for infra/network (TRACKED, 45s old)\n"
	rejected := "verify-run: rejected: "

	tests := []struct {
		name       string
		args       []string
		stdin      string
		now        time.Time
		wantCode   int
		wantStdout string
		wantStderr string // exact unless wantPrefix
		wantPrefix bool
	}{
		{
			name:       "signed sample input file",
			args:       []string{"--public-key", f.testKey, "--input", filepath.Join(sampleDir, "initialization-signed.json")},
			now:        at,
			wantCode:   ExitVerified,
			wantStdout: ok,
		},
		{
			name:       "signed input on stdin",
			args:       []string{"--public-key", f.testKey, "--input", "-"},
			stdin:      mustRead(t, filepath.Join(sampleDir, "initialization-signed.json")),
			now:        at,
			wantCode:   ExitVerified,
			wantStdout: ok,
		},
		{
			name:       "unsigned sample input",
			args:       []string{"--public-key", f.testKey, "--input", filepath.Join(sampleDir, "initialization-unsigned.json")},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + "entry 0: run metadata is not signed\n",
		},
		{
			name:       "sample input without metadata",
			args:       []string{"--public-key", f.testKey, "--input", filepath.Join(sampleDir, "initialization-no-metadata.json")},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + "run has no user-provided metadata\n",
		},
		{
			name:       "other entries are ignored and reported",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{"deploy-metadata", runmetatest.Signed(otherSource, key), signed}, nil)},
			now:        at,
			wantCode:   ExitVerified,
			wantStdout: ok,
			wantStderr: "verify-run: ignoring entry 0: not spacelift-operator run metadata\n" +
				"verify-run: ignoring entry 1: not spacelift-operator run metadata\n",
		},
		{
			name:       "a failing entry next to a valid one is reported",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{unsigned, runmetatest.Signed(confirm, key)}, nil)},
			now:        at,
			wantCode:   ExitVerified,
			wantStdout: "verified: run metadata signed by key " + testKID + " for infra/network (CONFIRM, 45s old)\n",
			wantStderr: "verify-run: not accepted: entry 0: run metadata is not signed\n",
		},
		{
			name:     "only entries from others",
			args:     []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{"deploy-metadata", "confirm-metadata"}, nil)},
			now:      at,
			wantCode: ExitRejected,
			wantStderr: "verify-run: ignoring entry 0: not spacelift-operator run metadata\n" +
				"verify-run: ignoring entry 1: not spacelift-operator run metadata\n" +
				rejected + `run has no metadata from the expected source: none of its 2 user-provided metadata entries has source "spacelift-operator"` + "\n",
		},
		{
			name:       "signed by an untrusted key",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{runmetatest.Signed(sample, other)}, nil)},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + `entry 0: run metadata is signed by an unknown key: key id "` + otherKID + `" is not among the trusted key ids [` + testKID + "]\n",
		},
		{
			name:       "tampered",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{tampered}, nil)},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + `entry 0: signature does not match: metadata was altered or signed by another key (key id "` + testKID + `")` + "\n",
		},
		{
			name:       "expired",
			args:       []string{"--public-key", f.testKey, "--max-age", "30m", "--input", f.inputFile(t, []string{signed}, nil)},
			now:        runmetatest.SampleTime.Add(31 * time.Minute),
			wantCode:   ExitRejected,
			wantStderr: rejected + "entry 0: run metadata has expired: signed 31m0s ago at 2025-06-02T10:00:00Z, maximum age is 30m0s\n",
		},
		{
			name:       "from the future",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{signed}, nil)},
			now:        runmetatest.SampleTime.Add(-time.Hour),
			wantCode:   ExitRejected,
			wantStderr: rejected + "entry 0: run metadata is dated in the future: timestamp 2025-06-02T10:00:00Z is 1h0m0s ahead of the verifier's clock (allowed skew 2m0s)\n",
		},
		{
			name:       "malformed entry from us",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{`{"src":"spacelift-operator","v":1}`}, nil)},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + `entry 0: malformed run metadata: field "ns" is empty` + "\n",
		},
		{
			name:     "every entry fails",
			args:     []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{unsigned, tampered}, nil)},
			now:      at,
			wantCode: ExitRejected,
			wantStderr: rejected + "entry 0: run metadata is not signed; entry 1: signature does not match: " +
				`metadata was altered or signed by another key (key id "` + testKID + `")` + "\n",
		},
		{
			name:       "signed for another commit",
			args:       []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{runmetatest.Signed(otherCommit, key)}, nil)},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + "entry 0: run metadata was signed for another commit: signed for \"" + otherCommit.CommitSHA + "\", the run is on \"" + runmetatest.SampleCommit + "\"\n",
		},
		{
			name: "worker-side input with another commit",
			args: []string{"--public-key", f.testKey, "--input", f.inputFile(t, []string{runmetatest.Signed(otherCommit, key)}, func(in map[string]any) {
				delete(in["run"].(map[string]any), "commit")
				in["static_run_environment"] = map[string]any{"commit_sha": runmetatest.SampleCommit}
			})},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + "entry 0: run metadata was signed for another commit: signed for \"" + otherCommit.CommitSHA + "\", the run is on \"" + runmetatest.SampleCommit + "\"\n",
		},
		{
			name:       "policy input is not JSON",
			args:       []string{"--public-key", f.testKey, "--input", "-"},
			stdin:      "{not json",
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + "malformed policy input: invalid JSON at byte 2\n",
		},
		{
			name:       "policy input without run",
			args:       []string{"--public-key", f.testKey, "--input", "-"},
			stdin:      `{"stack":{}}`,
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + "malformed policy input: no \"run\" object\n",
		},
		{
			name:       "metadata string",
			args:       []string{"--public-key", f.testKey, "--metadata", signed},
			now:        at,
			wantCode:   ExitVerified,
			wantStdout: ok,
		},
		{
			name:       "metadata string signed with a rotated-out key from a key directory",
			args:       []string{"--public-key-dir", f.keyDir, "--metadata", runmetatest.Signed(sample, other)},
			now:        at,
			wantCode:   ExitVerified,
			wantStdout: "verified: run metadata signed by key " + otherKID + " for infra/network (TRACKED, 45s old)\n",
		},
		{
			name:       "unsigned metadata string",
			args:       []string{"--public-key", f.testKey, "--metadata", unsigned},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + "run metadata is not signed\n",
		},
		{
			name:       "free-text metadata string",
			args:       []string{"--public-key", f.testKey, "--metadata", "deploy-metadata"},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + "malformed run metadata: not a JSON object\n",
		},
		{
			name:       "metadata string from another source",
			args:       []string{"--public-key", f.testKey, "--metadata", runmetatest.Signed(otherSource, key)},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + `run metadata comes from another source: source "ci-pipeline", expected "spacelift-operator"` + "\n",
		},
		{
			name:       "metadata string with a custom expected source",
			args:       []string{"--public-key", f.testKey, "--source", "ci-pipeline", "--metadata", runmetatest.Signed(otherSource, key)},
			now:        at,
			wantCode:   ExitVerified,
			wantStdout: ok,
		},
		{
			name:       "empty metadata string",
			args:       []string{"--public-key", f.testKey, "--metadata", ""},
			now:        at,
			wantCode:   ExitRejected,
			wantStderr: rejected + "malformed run metadata: not a JSON object\n",
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
