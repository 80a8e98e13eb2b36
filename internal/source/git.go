package source

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/skeema/knownhosts"
)

// GitAuth are the credentials of a repository, as a Secret holds them.
type GitAuth struct {
	// Username and Password authenticate over HTTPS.
	Username, Password string
	// Identity is a PEM private key and KnownHosts the known_hosts lines
	// that authenticate the server, over SSH.
	Identity, KnownHosts []byte
}

// GitRequest says what to read from a repository.
type GitRequest struct {
	// URL of the repository.
	URL string
	// Branch, Tag or Commit selects the revision (at most one); none means
	// the remote's default branch. Commit may be abbreviated.
	Branch, Tag, Commit string
	// Path is the directory, within the repository, that becomes the tree
	// root.
	Path string
	// Auth are the credentials; nil for a public repository.
	Auth *GitAuth
	// MaxAge lets Fetch return a branch or tag result that is younger than
	// MaxAge without contacting the remote.
	MaxAge time.Duration
}

// PermanentError is a failure that retrying the same request cannot fix: a
// missing branch or path, refused credentials, an invalid Secret.
type PermanentError struct{ Err error }

// Error returns the wrapped error's message.
func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is, or wraps, a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

func permanent(format string, args ...any) error {
	return &PermanentError{Err: fmt.Errorf(format, args...)}
}

// Git reads trees out of Git repositories and caches them: a branch or tag
// is resolved with one ls-remote, and cloned (shallowly, into memory) only
// when it points at a new commit; a commit is cloned once. Only the files
// under the requested path are kept. It is safe for concurrent use.
//
// What a request may reach is limited by GitOptions (see the package
// documentation of the rules): local repositories and non-public hosts are
// refused unless allowed, failed responses are described by their status
// only, and files, the tree and the transfer are bounded in size.
type Git struct {
	opts GitOptions
	http *http.Transport
	now  func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element
	lru     *list.List

	// clones counts the clones made, for tests.
	clones int
}

// gitEntry is the cached result of one request.
type gitEntry struct {
	key string

	mu        sync.Mutex
	commit    string
	files     fstest.MapFS
	checkedAt time.Time
}

// NewGit returns a cache of at most maxEntries trees (requests that differ in
// URL, revision, path or credentials are different entries) with the safe
// defaults of GitOptions.
func NewGit(maxEntries int) *Git {
	return NewGitWithOptions(GitOptions{MaxEntries: maxEntries})
}

// NewGitWithOptions returns a Git reader configured by opts; zero fields take
// their defaults.
func NewGitWithOptions(opts GitOptions) *Git {
	opts = opts.withDefaults()
	return &Git{opts: opts, http: newHTTPTransport(opts.AllowPrivateHosts), now: time.Now,
		entries: map[string]*list.Element{}, lru: list.New()}
}

// Fetch returns the tree at req.Path of the requested revision, with the
// commit SHA as its revision.
func (g *Git) Fetch(ctx context.Context, req GitRequest) (Artifact, error) {
	if _, err := g.opts.checkURL(ctx, req.URL); err != nil {
		return Artifact{}, err
	}
	e := g.entry(req)
	e.mu.Lock()
	defer e.mu.Unlock()

	if e.files != nil {
		if req.Commit != "" || g.now().Sub(e.checkedAt) < req.MaxAge {
			return Artifact{FS: e.files, Revision: e.commit}, nil
		}
	}
	auth, err := req.authMethod()
	if err != nil {
		return Artifact{}, err
	}
	if keys, ok := auth.(*gitssh.PublicKeys); ok && !g.opts.AllowPrivateHosts {
		keys.HostKeyCallback = refusePrivateSSH(keys.HostKeyCallback)
	}
	if req.Commit == "" {
		head, err := g.resolveRemote(ctx, req, auth)
		if err != nil {
			return Artifact{}, err
		}
		if head == e.commit {
			e.checkedAt = g.now()
			return Artifact{FS: e.files, Revision: e.commit}, nil
		}
	}
	commit, err := g.clone(ctx, req, auth)
	if err != nil {
		return Artifact{}, err
	}
	files, err := readTree(commit, req.Path, g.opts.MaxFileBytes, g.opts.MaxCheckoutBytes)
	if err != nil {
		return Artifact{}, err
	}
	e.commit, e.files, e.checkedAt = commit.Hash.String(), files, g.now()
	return Artifact{FS: e.files, Revision: e.commit}, nil
}

// entry returns the cache entry of req, making it the most recently used
// and evicting the least recently used one beyond the limit.
func (g *Git) entry(req GitRequest) *gitEntry {
	key := req.cacheKey()
	g.mu.Lock()
	defer g.mu.Unlock()
	if el, ok := g.entries[key]; ok {
		g.lru.MoveToFront(el)
		return el.Value.(*gitEntry)
	}
	e := &gitEntry{key: key}
	g.entries[key] = g.lru.PushFront(e)
	for g.lru.Len() > g.opts.MaxEntries {
		oldest := g.lru.Back()
		g.lru.Remove(oldest)
		delete(g.entries, oldest.Value.(*gitEntry).key)
	}
	return e
}

// cacheKey identifies a request; it includes a digest of the credentials so
// that a tree read with one Secret is never served to a request with another.
func (r GitRequest) cacheKey() string {
	h := sha256.New()
	for _, s := range []string{r.URL, r.Branch, r.Tag, r.Commit, path.Clean("/" + r.Path)} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	if r.Auth != nil {
		for _, b := range [][]byte{[]byte(r.Auth.Username), []byte(r.Auth.Password), r.Auth.Identity, r.Auth.KnownHosts} {
			fmt.Fprintf(h, "%d:", len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// refName is the reference a branch or tag request clones; empty for the
// default branch.
func (r GitRequest) refName() plumbing.ReferenceName {
	switch {
	case r.Branch != "":
		return plumbing.NewBranchReferenceName(r.Branch)
	case r.Tag != "":
		return plumbing.NewTagReferenceName(r.Tag)
	}
	return ""
}

// authMethod turns the credentials into a go-git auth method: basic auth
// for HTTP(S), a public key with known_hosts verification for SSH.
func (r GitRequest) authMethod() (transport.AuthMethod, error) {
	if r.Auth == nil {
		return nil, nil
	}
	ep, err := transport.NewEndpoint(r.URL)
	if err != nil {
		return nil, permanent("parsing URL %q: %w", redact(r.URL), err)
	}
	switch ep.Protocol {
	case "http", "https":
		if r.Auth.Username == "" && r.Auth.Password == "" {
			return nil, permanent("the Secret needs username and password for %s", ep.Protocol)
		}
		return &githttp.BasicAuth{Username: r.Auth.Username, Password: r.Auth.Password}, nil
	case "ssh":
		if len(r.Auth.Identity) == 0 {
			return nil, permanent("the Secret needs identity (a private key) for ssh")
		}
		if len(r.Auth.KnownHosts) == 0 {
			return nil, permanent("the Secret needs known_hosts for ssh")
		}
		user := ep.User
		if user == "" {
			user = "git"
		}
		keys, err := gitssh.NewPublicKeys(user, r.Auth.Identity, r.Auth.Password)
		if err != nil {
			return nil, permanent("reading identity: %w", err)
		}
		db, err := knownHostsDB(r.Auth.KnownHosts)
		if err != nil {
			return nil, permanent("reading known_hosts: %w", err)
		}
		port := ep.Port
		if port == 0 {
			port = 22
		}
		keys.HostKeyCallback = db.HostKeyCallback()
		keys.HostKeyAlgorithms = db.HostKeyAlgorithms(net.JoinHostPort(ep.Host, fmt.Sprint(port)))
		return keys, nil
	}
	return nil, nil
}

// knownHostsDB parses known_hosts lines (the library reads only files).
func knownHostsDB(data []byte) (*knownhosts.HostKeyDB, error) {
	f, err := os.CreateTemp("", "known_hosts")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return knownhosts.NewDB(f.Name())
}

// fetchContext returns the context of one exchange with the remote, which
// carries this reader's HTTP transport and limits, and its record.
func (g *Git) fetchContext(ctx context.Context) (context.Context, *fetchState) {
	s := &fetchState{transport: g.http, maxBytes: g.opts.MaxFetchBytes}
	return withFetchState(ctx, s), s
}

// resolveRemote returns the commit SHA the requested branch or tag (or the
// default branch) points at, with one ls-remote.
func (g *Git) resolveRemote(ctx context.Context, req GitRequest, auth transport.AuthMethod) (string, error) {
	remote := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{req.URL}})
	fctx, state := g.fetchContext(ctx)
	refs, err := remote.ListContext(fctx, &git.ListOptions{Auth: auth, PeelingOption: git.AppendPeeled})
	if err != nil {
		return "", describeFetchError("listing references of "+redact(req.URL), req.URL, err, state)
	}
	byName := make(map[plumbing.ReferenceName]*plumbing.Reference, len(refs))
	for _, r := range refs {
		byName[r.Name()] = r
	}
	want := req.refName()
	if want == "" {
		head, ok := byName[plumbing.HEAD]
		if !ok {
			return "", permanent("%s has no default branch", redact(req.URL))
		}
		if head.Type() == plumbing.HashReference {
			return head.Hash().String(), nil
		}
		want = head.Target()
	}
	if peeled, ok := byName[want+"^{}"]; ok {
		return peeled.Hash().String(), nil
	}
	ref, ok := byName[want]
	if !ok {
		return "", permanent("%s has no %s", redact(req.URL), want)
	}
	return ref.Hash().String(), nil
}

// clone fetches the requested revision into memory and returns its commit.
// A branch or tag is cloned with depth 1; a commit needs the full history,
// because servers need not serve an arbitrary SHA.
func (g *Git) clone(ctx context.Context, req GitRequest, auth transport.AuthMethod) (*object.Commit, error) {
	opts := &git.CloneOptions{URL: req.URL, Auth: auth, NoCheckout: true}
	if req.Commit == "" {
		opts.ReferenceName = req.refName()
		opts.SingleBranch = true
		opts.Depth = 1
		opts.Tags = git.NoTags
	}
	g.mu.Lock()
	g.clones++
	g.mu.Unlock()
	fctx, state := g.fetchContext(ctx)
	repo, err := git.CloneContext(fctx, memory.NewStorage(), nil, opts)
	if err != nil {
		return nil, describeFetchError("cloning "+redact(req.URL), req.URL, err, state)
	}
	if req.Commit != "" {
		return findCommit(repo, req.Commit)
	}
	head, err := repo.Head()
	if err != nil {
		return nil, fmt.Errorf("reading HEAD of the clone of %s: %w", redact(req.URL), err)
	}
	return peel(repo, head.Hash())
}

// findCommit returns the commit whose SHA is or starts with sha.
func findCommit(repo *git.Repository, sha string) (*object.Commit, error) {
	if len(sha) == 40 {
		c, err := repo.CommitObject(plumbing.NewHash(sha))
		if err != nil {
			return nil, permanent("commit %s: %w", sha, err)
		}
		return c, nil
	}
	iter, err := repo.CommitObjects()
	if err != nil {
		return nil, err
	}
	var found *object.Commit
	err = iter.ForEach(func(c *object.Commit) error {
		if strings.HasPrefix(c.Hash.String(), sha) {
			if found != nil {
				return permanent("commit %s is ambiguous", sha)
			}
			found = c
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, permanent("commit %s not found", sha)
	}
	return found, nil
}

// peel returns the commit hash names, following annotated tags.
func peel(repo *git.Repository, hash plumbing.Hash) (*object.Commit, error) {
	if tag, err := repo.TagObject(hash); err == nil {
		c, err := tag.Commit()
		if err != nil {
			return nil, permanent("tag %s does not point at a commit: %w", tag.Name, err)
		}
		return c, nil
	}
	c, err := repo.CommitObject(hash)
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", hash, err)
	}
	return c, nil
}

// readTree reads the regular files under dir of the commit's tree, with
// paths relative to dir. A file larger than maxFile, or files adding up to
// more than maxTotal, are permanent errors that name the path and the limit.
func readTree(c *object.Commit, dir string, maxFile, maxTotal int64) (fstest.MapFS, error) {
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading the tree of %s: %w", c.Hash, err)
	}
	if dir = strings.Trim(path.Clean("/"+dir), "/"); dir != "" {
		if tree, err = tree.Tree(dir); err != nil {
			return nil, permanent("path %q in commit %s: %w", dir, c.Hash, err)
		}
	}
	files := fstest.MapFS{}
	var total int64
	err = tree.Files().ForEach(func(f *object.File) error {
		if f.Mode != filemode.Regular && f.Mode != filemode.Executable {
			return nil
		}
		if f.Size > maxFile {
			return permanent("file %q in commit %s is %d bytes, more than the limit of %d bytes per file (--%s)",
				path.Join(dir, f.Name), c.Hash, f.Size, maxFile, FlagMaxFileBytes)
		}
		if total += f.Size; total > maxTotal {
			return permanent("the files under %q in commit %s add up to more than the limit of %d bytes (--%s); point spec.source.git.path at the atmos directory",
				"/"+dir, c.Hash, maxTotal, FlagMaxCheckoutBytes)
		}
		r, err := f.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("reading %s: %w", f.Name, err)
		}
		files[f.Name] = &fstest.MapFile{Data: data, Mode: 0o444}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// redact hides a password embedded in a URL, for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
