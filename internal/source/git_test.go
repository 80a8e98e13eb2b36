package source

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// testRepo is a Git repository in a temporary directory, served over file://.
type testRepo struct {
	t    *testing.T
	dir  string
	repo *git.Repository
}

func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.Main}})
	if err != nil {
		t.Fatal(err)
	}
	return &testRepo{t: t, dir: dir, repo: repo}
}

func (r *testRepo) url() string { return "file://" + r.dir }

// localGit is a reader that may read the file:// test repositories.
func localGit(maxEntries int) *Git {
	return NewGitWithOptions(GitOptions{MaxEntries: maxEntries, AllowLocal: true})
}

// commit writes files (an empty content deletes the file), commits everything
// and returns the commit SHA.
func (r *testRepo) commit(files map[string]string) string {
	r.t.Helper()
	for name, data := range files {
		p := filepath.Join(r.dir, name)
		if data == "" {
			if err := os.Remove(p); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		r.t.Fatal(err)
	}
	h, err := wt.Commit("change", &git.CommitOptions{All: true, Author: signature()})
	if err != nil {
		r.t.Fatal(err)
	}
	return h.String()
}

func signature() *object.Signature {
	return &object.Signature{Name: "Test", Email: "test@example.com", When: time.Unix(1700000000, 0)}
}

// readAll returns the files of an artifact.
func readAll(t *testing.T, a Artifact) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(a.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(a.FS, p)
		out[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalFiles(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func TestGitFetchRevisions(t *testing.T) {
	r := newTestRepo(t)
	first := r.commit(map[string]string{"README.md": "hi", "atmos/atmos.yaml": "v: 1", "atmos/stacks/a.yaml": "a: 1"})
	if err := r.repo.Storer.SetReference(plumbing.NewHashReference("refs/heads/feature", plumbing.NewHash(first))); err != nil {
		t.Fatal(err)
	}
	if _, err := r.repo.CreateTag("light", plumbing.NewHash(first), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := r.repo.CreateTag("annotated", plumbing.NewHash(first), &git.CreateTagOptions{Tagger: signature(), Message: "release"}); err != nil {
		t.Fatal(err)
	}
	second := r.commit(map[string]string{"atmos/atmos.yaml": "v: 2", "atmos/stacks/a.yaml": ""})

	firstFiles := map[string]string{"atmos.yaml": "v: 1", "stacks/a.yaml": "a: 1"}
	for _, tc := range []struct {
		name      string
		req       GitRequest
		wantRev   string
		wantFiles map[string]string
	}{
		{"default branch", GitRequest{Path: "atmos"}, second, map[string]string{"atmos.yaml": "v: 2"}},
		{"branch", GitRequest{Branch: "feature", Path: "atmos"}, first, firstFiles},
		{"lightweight tag", GitRequest{Tag: "light", Path: "/atmos/"}, first, firstFiles},
		{"annotated tag", GitRequest{Tag: "annotated", Path: "atmos"}, first, firstFiles},
		{"commit", GitRequest{Commit: first, Path: "atmos"}, first, firstFiles},
		{"abbreviated commit", GitRequest{Commit: first[:10], Path: "atmos"}, first, firstFiles},
		{"repository root", GitRequest{Branch: "main"}, second, map[string]string{"README.md": "hi", "atmos/atmos.yaml": "v: 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.URL = r.url()
			got, err := localGit(4).Fetch(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if got.Revision != tc.wantRev {
				t.Errorf("revision = %s, want %s", got.Revision, tc.wantRev)
			}
			if files := readAll(t, got); !equalFiles(files, tc.wantFiles) {
				t.Errorf("files = %v, want %v", files, tc.wantFiles)
			}
		})
	}
}

func TestGitFetchErrors(t *testing.T) {
	r := newTestRepo(t)
	r.commit(map[string]string{"atmos/atmos.yaml": "v: 1"})
	for _, tc := range []struct {
		name      string
		req       GitRequest
		permanent bool
	}{
		{"missing branch", GitRequest{URL: r.url(), Branch: "nope"}, true},
		{"missing tag", GitRequest{URL: r.url(), Tag: "nope"}, true},
		{"missing path", GitRequest{URL: r.url(), Path: "nope"}, true},
		{"missing commit", GitRequest{URL: r.url(), Commit: "0123456789"}, true},
		{"missing repository", GitRequest{URL: "file://" + filepath.Join(t.TempDir(), "none")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := localGit(4).Fetch(context.Background(), tc.req)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.permanent && !IsPermanent(err) {
				t.Errorf("error %v is not permanent", err)
			}
		})
	}
}

func TestGitCache(t *testing.T) {
	r := newTestRepo(t)
	first := r.commit(map[string]string{"atmos.yaml": "v: 1"})
	g := localGit(2)
	now := time.Unix(0, 0)
	g.now = func() time.Time { return now }
	ctx := context.Background()
	fetch := func(req GitRequest) Artifact {
		t.Helper()
		req.URL = r.url()
		a, err := g.Fetch(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	expect := func(a Artifact, rev string, clones int) {
		t.Helper()
		if a.Revision != rev {
			t.Errorf("revision = %s, want %s", a.Revision, rev)
		}
		if g.clones != clones {
			t.Errorf("clones = %d, want %d", g.clones, clones)
		}
	}

	main := GitRequest{Branch: "main", MaxAge: time.Minute}
	expect(fetch(main), first, 1)
	second := r.commit(map[string]string{"atmos.yaml": "v: 2"})

	now = now.Add(30 * time.Second)
	expect(fetch(main), first, 1) // younger than MaxAge: the remote is not asked

	now = now.Add(time.Minute)
	a := fetch(main)
	expect(a, second, 2)
	if files := readAll(t, a); files["atmos.yaml"] != "v: 2" {
		t.Errorf("files = %v, want the new commit's", files)
	}

	now = now.Add(time.Hour)
	expect(fetch(main), second, 2) // resolved to the same commit: not cloned again

	byCommit := GitRequest{Commit: first}
	expect(fetch(byCommit), first, 3)
	now = now.Add(time.Hour)
	expect(fetch(byCommit), first, 3) // a commit never changes

	// Two entries fit; a third request evicts the least recently used (main).
	expect(fetch(GitRequest{Commit: second}), second, 4)
	expect(fetch(GitRequest{Branch: "main"}), second, 5)
}

func TestGitAuthMethod(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	identity := pem.EncodeToMemory(block)
	hostPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshHostKey, err := ssh.NewPublicKey(hostPub)
	if err != nil {
		t.Fatal(err)
	}
	knownHosts := []byte(knownhosts.Line([]string{"git.example.com"}, sshHostKey) + "\n")

	t.Run("none", func(t *testing.T) {
		if m, err := (GitRequest{URL: "https://git.example.com/r.git"}).authMethod(); m != nil || err != nil {
			t.Errorf("auth = %v, %v; want nil, nil", m, err)
		}
	})
	t.Run("https basic auth", func(t *testing.T) {
		m, err := GitRequest{URL: "https://git.example.com/r.git", Auth: &GitAuth{Username: "u", Password: "p"}}.authMethod()
		if err != nil {
			t.Fatal(err)
		}
		if b, ok := m.(*githttp.BasicAuth); !ok || b.Username != "u" || b.Password != "p" {
			t.Errorf("auth = %#v, want basic auth u/p", m)
		}
	})
	t.Run("ssh key with known_hosts", func(t *testing.T) {
		m, err := GitRequest{URL: "git@git.example.com:org/r.git", Auth: &GitAuth{Identity: identity, KnownHosts: knownHosts}}.authMethod()
		if err != nil {
			t.Fatal(err)
		}
		k, ok := m.(*gitssh.PublicKeys)
		if !ok || k.User != "git" || k.HostKeyCallback == nil {
			t.Fatalf("auth = %#v, want public keys of user git with a host key callback", m)
		}
		if !slices.Contains(k.HostKeyAlgorithms, ssh.KeyAlgoED25519) {
			t.Errorf("host key algorithms = %v, want %s from known_hosts", k.HostKeyAlgorithms, ssh.KeyAlgoED25519)
		}
		if err := k.HostKeyCallback("git.example.com:22", &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 22}, sshHostKey); err != nil {
			t.Errorf("known host rejected: %v", err)
		}
	})
	for _, tc := range []struct {
		name string
		req  GitRequest
	}{
		{"https without credentials", GitRequest{URL: "https://h/r.git", Auth: &GitAuth{Identity: identity}}},
		{"ssh without identity", GitRequest{URL: "ssh://git@h/r.git", Auth: &GitAuth{KnownHosts: knownHosts}}},
		{"ssh without known_hosts", GitRequest{URL: "ssh://git@h/r.git", Auth: &GitAuth{Identity: identity}}},
		{"ssh with a bad key", GitRequest{URL: "ssh://git@h/r.git", Auth: &GitAuth{Identity: []byte("nope"), KnownHosts: knownHosts}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.req.authMethod(); !IsPermanent(err) {
				t.Errorf("error = %v, want a permanent one", err)
			}
		})
	}
	t.Run("credentials are part of the cache key", func(t *testing.T) {
		a := GitRequest{URL: "https://h/r.git", Auth: &GitAuth{Username: "u", Password: "p"}}
		b := GitRequest{URL: "https://h/r.git", Auth: &GitAuth{Username: "u", Password: "q"}}
		c := GitRequest{URL: "https://h/r.git"}
		if a.cacheKey() == b.cacheKey() || a.cacheKey() == c.cacheKey() {
			t.Error("requests with different credentials share a cache entry")
		}
	})
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:secret@git.example.com/r.git": "https://user:xxxxx@git.example.com/r.git",
		"https://git.example.com/r.git":             "https://git.example.com/r.git",
		"git@github.com:org/r.git":                  "git@github.com:org/r.git",
		"ssh://git@github.com/org/r.git":            "ssh://git@github.com/org/r.git",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
