package source

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"golang.org/x/crypto/ssh"
)

// fakeResolver answers from a map; unknown names fail like NXDOMAIN.
type fakeResolver map[string][]string

func (f fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	ips, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, ip := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(ip)})
	}
	return out, nil
}

var testResolver = fakeResolver{
	"github.com":        {"140.82.112.3"},
	"git.internal":      {"10.1.2.3"},
	"mixed.example":     {"203.0.113.7", "192.168.1.1"},
	"localhost":         {"127.0.0.1", "::1"},
	"metadata.internal": {"169.254.169.254"},
}

func TestCheckURL(t *testing.T) {
	const (
		local   = "--" + FlagAllowLocal
		private = "--" + FlagAllowPrivateHosts
	)
	for _, tc := range []struct {
		name string
		url  string
		opts GitOptions
		// want is a substring of the error; "" expects no error.
		want string
	}{
		{"public https", "https://github.com/org/r.git", GitOptions{}, ""},
		{"public ssh scp-like", "git@github.com:org/r.git", GitOptions{}, ""},
		{"public ssh URL", "ssh://git@github.com/org/r.git", GitOptions{}, ""},
		{"unresolvable host is left to the fetch", "https://nowhere.example/r.git", GitOptions{}, ""},

		{"file URL", "file:///srv/repos/infra", GitOptions{}, local},
		{"relative file URL", "file://repos/infra", GitOptions{}, local},
		{"absolute path", "/srv/repos/infra", GitOptions{}, local},
		{"relative path", "./repos/infra", GitOptions{}, local},
		{"file URL allowed", "file:///srv/repos/infra", GitOptions{AllowLocal: true}, ""},
		{"path allowed", "../infra", GitOptions{AllowLocal: true}, ""},

		{"ext remote helper", "ext::sh -c touch% /tmp/pwned", GitOptions{AllowLocal: true, AllowPrivateHosts: true}, "remote helper"},
		{"fd remote helper", "fd::3", GitOptions{}, "remote helper"},
		{"git protocol", "git://github.com/org/r.git", GitOptions{}, "git protocol"},
		{"no host", "https:///r.git", GitOptions{}, "has no host"},

		{"loopback IPv4", "http://127.0.0.1:8080/r.git", GitOptions{}, private},
		{"loopback IPv6", "http://[::1]:8080/r.git", GitOptions{}, "loopback"},
		{"private range", "https://10.0.0.1/r.git", GitOptions{}, "private"},
		{"link-local metadata", "http://169.254.169.254/latest/meta-data", GitOptions{}, "link-local"},
		{"shared address space", "http://100.100.100.200/r.git", GitOptions{}, "carrier-grade NAT"},
		{"unspecified", "http://0.0.0.0:80/r.git", GitOptions{}, "unspecified"},
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]/r.git", GitOptions{}, "loopback"},
		{"name of a private host", "https://git.internal/r.git", GitOptions{}, "git.internal resolves to 10.1.2.3"},
		{"one private address among several", "https://mixed.example/r.git", GitOptions{}, "192.168.1.1"},
		{"localhost", "http://localhost:3000/r.git", GitOptions{}, "loopback"},
		{"metadata by name", "http://metadata.internal/", GitOptions{}, "link-local"},
		{"private ssh host", "git@10.0.0.5:org/r.git", GitOptions{}, private},
		{"private allowed", "http://127.0.0.1:8080/r.git", GitOptions{AllowPrivateHosts: true}, ""},
		{"private name allowed", "https://git.internal/r.git", GitOptions{AllowPrivateHosts: true}, ""},
		{"local flag does not allow private hosts", "http://127.0.0.1/r.git", GitOptions{AllowLocal: true}, private},

		{"credentials are not shown", "https://user:hunter2@10.0.0.1/r.git", GitOptions{}, "user:xxxxx@10.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Resolver = testResolver
			_, err := tc.opts.withDefaults().checkURL(context.Background(), tc.url)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("checkURL(%q) = %v, want no error", tc.url, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("checkURL(%q) accepted the URL, want an error containing %q", tc.url, tc.want)
			}
			if !IsPermanent(err) {
				t.Errorf("error %v is not permanent", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, URLField) {
				t.Errorf("error = %q, want it to name %s and contain %q", msg, URLField, tc.want)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error %q shows the password", msg)
			}
		})
	}
}

func TestReadTreeLimits(t *testing.T) {
	r := newTestRepo(t)
	sha := r.commit(map[string]string{
		"atmos/atmos.yaml":        "v: 1",
		"atmos/stacks/big.yaml":   strings.Repeat("x", 2000),
		"atmos/stacks/small.yaml": strings.Repeat("y", 600),
		"docs/huge.bin":           strings.Repeat("z", 100000),
	})
	commit, err := r.repo.CommitObject(plumbing.NewHash(sha))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name              string
		dir               string
		maxFile, maxTotal int64
		// want are substrings of the error; none expects success.
		want []string
	}{
		{"within the limits", "atmos", 2000, 2604, nil},
		{"files outside the path do not count", "atmos", 4096, 4096, nil},
		{"one file too large", "atmos", 1999, 1 << 20, []string{`"atmos/stacks/big.yaml"`, "2000 bytes", "limit of 1999 bytes per file", "--" + FlagMaxFileBytes}},
		{"the tree too large", "atmos", 4096, 2603, []string{`"/atmos"`, "limit of 2603 bytes", "--" + FlagMaxCheckoutBytes}},
		{"whole repository", "", 1 << 20, 50000, []string{`"/"`, "limit of 50000 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := readTree(commit, tc.dir, tc.maxFile, tc.maxTotal)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if len(files) != 3 {
					t.Errorf("read %d files, want 3", len(files))
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one containing %q", tc.want)
			}
			if !IsPermanent(err) {
				t.Errorf("error %v is not permanent", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// gitHTTPServer serves the repository over Git's smart HTTP protocol with
// git http-backend, on loopback. Requests go to intercept first; it returns
// false to let the backend answer.
type gitHTTPServer struct {
	*httptest.Server
	hits atomic.Int32
}

func newGitHTTPServer(t *testing.T, r *testRepo, intercept func(w http.ResponseWriter, req *http.Request) bool) *gitHTTPServer {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("the Git HTTP tests need the git binary (git http-backend): %v", err)
	}
	backend := &cgi.Handler{Path: gitBin, Args: []string{"http-backend"}, Env: []string{
		"GIT_PROJECT_ROOT=" + filepath.Dir(r.dir), "GIT_HTTP_EXPORT_ALL=1",
	}}
	s := &gitHTTPServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.hits.Add(1)
		if intercept != nil && intercept(w, req) {
			return
		}
		backend.ServeHTTP(w, req)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *gitHTTPServer) repoURL(r *testRepo) string {
	return s.URL + "/" + filepath.Base(r.dir)
}

func TestGitOverHTTP(t *testing.T) {
	r := newTestRepo(t)
	want := r.commit(map[string]string{"atmos/atmos.yaml": "v: 1"})
	const secret = "internal-service-secret-token"

	t.Run("loopback is refused by default before any request", func(t *testing.T) {
		s := newGitHTTPServer(t, r, nil)
		_, err := NewGit(1).Fetch(context.Background(), GitRequest{URL: s.repoURL(r), Branch: "main"})
		if !IsPermanent(err) || !strings.Contains(err.Error(), "--"+FlagAllowPrivateHosts) {
			t.Errorf("error = %v, want a permanent refusal naming --%s", err, FlagAllowPrivateHosts)
		}
		if n := s.hits.Load(); n != 0 {
			t.Errorf("the server got %d requests, want none", n)
		}
	})

	t.Run("allowed private host", func(t *testing.T) {
		s := newGitHTTPServer(t, r, nil)
		a, err := NewGitWithOptions(GitOptions{AllowPrivateHosts: true}).Fetch(context.Background(),
			GitRequest{URL: s.repoURL(r), Branch: "main", Path: "atmos"})
		if err != nil {
			t.Fatal(err)
		}
		if a.Revision != want {
			t.Errorf("revision = %s, want %s", a.Revision, want)
		}
		if files := readAll(t, a); files["atmos.yaml"] != "v: 1" {
			t.Errorf("files = %v", files)
		}
	})

	for _, tc := range []struct {
		name      string
		status    int
		permanent bool
		want      string
	}{
		{"server error", http.StatusInternalServerError, false, "HTTP 500 Internal Server Error"},
		{"not found", http.StatusNotFound, true, "HTTP 404: repository not found"},
		{"unauthorized", http.StatusUnauthorized, true, "HTTP 401: authentication required"},
		{"forbidden", http.StatusForbidden, true, "HTTP 403: authorization failed"},
		{"an HTML page instead of Git", http.StatusOK, false, "HTTP 200 with something other than the Git protocol"},
	} {
		t.Run("the body of a failed response is not quoted: "+tc.name, func(t *testing.T) {
			s := newGitHTTPServer(t, r, func(w http.ResponseWriter, _ *http.Request) bool {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(tc.status)
				fmt.Fprintf(w, "<html><body>admin console: %s</body></html>\n", secret)
				return true
			})
			for _, req := range []GitRequest{{URL: s.repoURL(r), Branch: "main"}, {URL: s.repoURL(r), Commit: want}} {
				_, err := NewGitWithOptions(GitOptions{AllowPrivateHosts: true}).Fetch(context.Background(), req)
				if err == nil {
					t.Fatal("no error")
				}
				if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "<html") {
					t.Errorf("error %q quotes the response body", err)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error = %q, want it to contain %q", err, tc.want)
				}
				if IsPermanent(err) != tc.permanent {
					t.Errorf("permanent = %v, want %v (error %v)", IsPermanent(err), tc.permanent, err)
				}
			}
		})
	}

	t.Run("transfer limit", func(t *testing.T) {
		big := newTestRepo(t)
		noise := make([]byte, 256<<10) // random, so the pack cannot compress it
		if _, err := rand.Read(noise); err != nil {
			t.Fatal(err)
		}
		big.commit(map[string]string{"atmos/atmos.yaml": "v: 1", "assets/noise.bin": string(noise)})
		s := newGitHTTPServer(t, big, nil)
		_, err := NewGitWithOptions(GitOptions{AllowPrivateHosts: true, MaxFetchBytes: 64 << 10}).Fetch(context.Background(),
			GitRequest{URL: s.repoURL(big), Branch: "main", Path: "atmos"})
		if !IsPermanent(err) || !strings.Contains(err.Error(), "more than 65536 bytes (--"+FlagMaxFetchBytes+")") {
			t.Errorf("error = %v, want a permanent one naming the limit and --%s", err, FlagMaxFetchBytes)
		}
		if _, err := NewGitWithOptions(GitOptions{AllowPrivateHosts: true}).Fetch(context.Background(),
			GitRequest{URL: s.repoURL(big), Branch: "main", Path: "atmos"}); err != nil {
			t.Errorf("with the default limit: %v", err)
		}
	})
}

// TestDialGuard checks the connect-time refusal that catches what the URL
// check cannot see: a redirect to, or a name that re-resolves to, a
// non-public address.
func TestDialGuard(t *testing.T) {
	var hits atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer s.Close()

	st := &fetchState{transport: newHTTPTransport(false), maxBytes: 1 << 20}
	req, err := http.NewRequestWithContext(withFetchState(context.Background(), st), http.MethodGet, s.URL+"/info/refs", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = roundTripper{}.RoundTrip(req)
	if pe, ok := errors.AsType[*privateAddressError](err); !ok || pe.kind != "loopback" {
		t.Errorf("error = %v, want a refused loopback address", err)
	}
	if st.refused == nil {
		t.Error("the refusal was not recorded for the error message")
	}
	if hits.Load() != 0 {
		t.Error("the server was reached")
	}
	described := describeFetchError("cloning x", "https://git.example.com/r.git", errors.New("wrapped beyond recognition"), st)
	if !IsPermanent(described) || !strings.Contains(described.Error(), "--"+FlagAllowPrivateHosts) {
		t.Errorf("described error = %v, want a permanent refusal naming --%s", described, FlagAllowPrivateHosts)
	}

	// Without a fetch state the strict transport is used.
	req, _ = http.NewRequest(http.MethodGet, s.URL, nil)
	if _, err := (roundTripper{}).RoundTrip(req); err == nil {
		t.Error("a request without a fetch state reached loopback")
	}

	// Allowed: the request goes through.
	st = &fetchState{transport: newHTTPTransport(true), maxBytes: 1 << 20}
	req, _ = http.NewRequestWithContext(withFetchState(context.Background(), st), http.MethodGet, s.URL, nil)
	res, err := roundTripper{}.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if hits.Load() != 1 {
		t.Errorf("hits = %d, want 1", hits.Load())
	}
}

func TestRefusePrivateSSH(t *testing.T) {
	called := 0
	cb := refusePrivateSSH(func(string, net.Addr, ssh.PublicKey) error { called++; return nil })
	if err := cb("git.internal:22", &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 22}, nil); err == nil {
		t.Error("private SSH server accepted")
	}
	if err := cb("github.com:22", &net.TCPAddr{IP: net.IPv4(140, 82, 112, 3), Port: 22}, nil); err != nil {
		t.Errorf("public SSH server refused: %v", err)
	}
	if called != 1 {
		t.Errorf("the known_hosts check ran %d times, want once (for the public server)", called)
	}
}

func TestLocalMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"DNS", fmt.Errorf("cloning: %w", &net.DNSError{Err: "no such host", Name: "nowhere.example"}), "lookup nowhere.example: no such host"},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, "dial tcp: connection refused"},
		{"ssh", fmt.Errorf("transport: %w", errors.New("ssh: handshake failed: knownhosts: key mismatch")), "ssh: handshake failed: knownhosts: key mismatch"},
		{"server words", errors.New("unknown error: remote: internal admin token abc"), ""},
		{"unexpected data", fmt.Errorf("pkt-line 1: invalid (%s)", "<html>"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := localMessage(tc.err); got != tc.want {
				t.Errorf("localMessage = %q, want %q", got, tc.want)
			}
		})
	}
}
