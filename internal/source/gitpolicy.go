package source

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	gitclient "github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"golang.org/x/crypto/ssh"
	"golang.org/x/net/http/httpproxy"
)

// Where a Git source comes from, and which operator flags widen what is
// allowed. The flag names are defined here so that cmd/main.go and the
// messages below cannot drift apart.
const (
	// URLField is the AdminStack field a Git request's URL comes from.
	URLField = "spec.source.git.url"
	// FlagAllowLocal lets file:// URLs and local paths through.
	FlagAllowLocal = "allow-local-git-sources"
	// FlagAllowPrivateHosts lets hosts with loopback, private, link-local or
	// otherwise non-public addresses through.
	FlagAllowPrivateHosts = "allow-private-git-hosts"
	// FlagMaxFileBytes sets GitOptions.MaxFileBytes.
	FlagMaxFileBytes = "git-max-file-bytes"
	// FlagMaxCheckoutBytes sets GitOptions.MaxCheckoutBytes.
	FlagMaxCheckoutBytes = "git-max-checkout-bytes"
	// FlagMaxFetchBytes sets GitOptions.MaxFetchBytes.
	FlagMaxFetchBytes = "git-max-fetch-bytes"
)

// Defaults for the zero values of GitOptions.
const (
	// DefaultMaxFileBytes bounds one file of the tree: atmos files are YAML,
	// and a larger one is probably generated output or a binary.
	DefaultMaxFileBytes = 1 << 20
	// DefaultMaxCheckoutBytes bounds all the files under the requested path.
	DefaultMaxCheckoutBytes = 64 << 20
	// DefaultMaxFetchBytes bounds what one fetch may transfer over HTTP(S):
	// the pack holds the whole repository at the revision (and its history,
	// for a commit), not only the requested path.
	DefaultMaxFetchBytes = 128 << 20
)

// GitOptions configure a Git reader. The zero value is the safe default for
// a shared cluster: only http, https and ssh repositories on public
// addresses, and the default size limits.
type GitOptions struct {
	// MaxEntries is how many trees are cached (at least 1).
	MaxEntries int
	// AllowLocal lets file:// URLs and local paths through
	// (--allow-local-git-sources). Off, a tenant cannot make the operator
	// read repositories from the operator's own disk.
	AllowLocal bool
	// AllowPrivateHosts lets repositories on loopback, private, link-local,
	// shared (carrier-grade NAT) and unspecified addresses through
	// (--allow-private-git-hosts). Off, a tenant cannot make the operator
	// reach services inside the cluster or the cloud metadata endpoint.
	AllowPrivateHosts bool
	// MaxFileBytes bounds each file under the requested path (default
	// DefaultMaxFileBytes).
	MaxFileBytes int64
	// MaxCheckoutBytes bounds the sum of the files under the requested path
	// (default DefaultMaxCheckoutBytes).
	MaxCheckoutBytes int64
	// MaxFetchBytes bounds the bytes one fetch receives over HTTP(S) (default
	// DefaultMaxFetchBytes). SSH transfers are not counted: the SSH transport
	// offers no place to count them.
	MaxFetchBytes int64
	// Resolver looks up host names for the address check; nil uses
	// net.DefaultResolver.
	Resolver Resolver
}

// Resolver looks up the addresses of a host name.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

func (o GitOptions) withDefaults() GitOptions {
	o.MaxEntries = max(o.MaxEntries, 1)
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.MaxCheckoutBytes <= 0 {
		o.MaxCheckoutBytes = DefaultMaxCheckoutBytes
	}
	if o.MaxFetchBytes <= 0 {
		o.MaxFetchBytes = DefaultMaxFetchBytes
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	return o
}

// remoteHelper matches Git's "<transport>::<address>" syntax (ext::, fd::
// and remote helpers), which can run commands.
var remoteHelper = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*::`)

// checkURL applies the URL rules of the package documentation to raw. Every
// error is permanent and names URLField; the flag that would allow the URL
// is named when there is one.
func (o GitOptions) checkURL(ctx context.Context, raw string) (*transport.Endpoint, error) {
	shown := redact(raw)
	if remoteHelper.MatchString(raw) {
		return nil, permanent("%s %q uses a Git remote helper (<transport>::<address>); use an https://, http:// or ssh:// URL", URLField, shown)
	}
	ep, err := transport.NewEndpoint(raw)
	if err != nil {
		return nil, permanent("%s %q is not a valid Git URL: use https://host/org/repo.git or git@host:org/repo.git", URLField, shown)
	}
	switch ep.Protocol {
	case "file":
		if !o.AllowLocal {
			return nil, permanent("%s %q is a repository on the operator's own disk; the operator reads local Git sources only when started with --%s", URLField, shown, FlagAllowLocal)
		}
		return ep, nil
	case "http", "https", "ssh":
	default:
		return nil, permanent("%s %q uses the %s protocol; use https://, http:// or ssh://", URLField, shown, ep.Protocol)
	}
	host := strings.Trim(ep.Host, "[]")
	if host == "" {
		return nil, permanent("%s %q has no host", URLField, shown)
	}
	if o.AllowPrivateHosts {
		return ep, nil
	}
	if err := checkHost(ctx, o.Resolver, host); err != nil {
		return nil, permanent("%s %q: %w", URLField, shown, err)
	}
	return ep, nil
}

// checkHost refuses a host that is, or resolves to, a non-public address.
// A host that cannot be resolved passes: the fetch then fails on its own
// (or a proxy resolves it), and the dialer checks what is actually dialed.
func checkHost(ctx context.Context, resolver Resolver, host string) error {
	if ip, err := netipParse(host); err == nil {
		return refuseIP(host, ip)
	}
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	addrs, err := resolver.LookupIPAddr(lctx, host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if err := refuseIP(host, a.IP); err != nil {
			return err
		}
	}
	return nil
}

// netipParse parses an IP literal, dropping an IPv6 zone.
func netipParse(host string) (net.IP, error) {
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, fmt.Errorf("%q is not an IP address", host)
	}
	return ip, nil
}

// sharedAddressSpace is 100.64.0.0/10 (RFC 6598), used by carrier-grade NAT
// and by some clouds for their metadata service.
var sharedAddressSpace = &net.IPNet{IP: net.IPv4(100, 64, 0, 0), Mask: net.CIDRMask(10, 32)}

// thisNetwork is 0.0.0.0/8, which Linux dials as the local host.
var thisNetwork = &net.IPNet{IP: net.IPv4(0, 0, 0, 0), Mask: net.CIDRMask(8, 32)}

// nonPublic reports why ip is not a public unicast address, or "".
func nonPublic(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "link-local"
	case ip.IsUnspecified(), thisNetwork.Contains(ip):
		return "unspecified"
	case sharedAddressSpace.Contains(ip):
		return "shared (carrier-grade NAT)"
	case ip.IsMulticast():
		return "multicast"
	}
	return ""
}

// privateAddressError is a refused non-public address.
type privateAddressError struct {
	host string
	ip   net.IP
	kind string
}

func (e *privateAddressError) Error() string {
	addr := e.ip.String()
	if e.host != addr {
		addr = e.host + " resolves to " + addr
	}
	return fmt.Sprintf("%s, a %s address; the operator reads Git sources from such addresses only when started with --%s", addr, e.kind, FlagAllowPrivateHosts)
}

func refuseIP(host string, ip net.IP) error {
	if kind := nonPublic(ip); kind != "" {
		return &privateAddressError{host: host, ip: ip, kind: kind}
	}
	return nil
}

// fetchState travels in the context of one fetch to the HTTP transport: it
// selects the reader's transport and records what the transport saw, so that
// errors are described from facts the operator produced rather than from
// the server's words.
type fetchState struct {
	transport *http.Transport
	maxBytes  int64

	mu       sync.Mutex
	received int64
	status   int
	tooLarge bool
	refused  error
}

type fetchStateKey struct{}

func withFetchState(ctx context.Context, s *fetchState) context.Context {
	return context.WithValue(ctx, fetchStateKey{}, s)
}

func fetchStateFrom(ctx context.Context) *fetchState {
	s, _ := ctx.Value(fetchStateKey{}).(*fetchState)
	return s
}

func (s *fetchState) recordRefusal(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused == nil {
		s.refused = err
	}
}

// strictTransport serves requests made without a fetch state (none are,
// but a default must not be the permissive one).
var strictTransport = newHTTPTransport(false)

// go-git picks the transport of a protocol from a process-wide table;
// the entry installed here looks up the transport of the Git reader that
// made the request in the request's context.
func init() {
	c := githttp.NewClient(&http.Client{Transport: roundTripper{}})
	gitclient.InstallProtocol("http", c)
	gitclient.InstallProtocol("https", c)
}

// roundTripper sends a request with its fetch's transport and enforces the
// fetch's limits: the body of a failed response is dropped unread (so no
// message can quote it), and the bytes of successful ones are counted.
type roundTripper struct{}

// RoundTrip implements http.RoundTripper.
func (roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	s := fetchStateFrom(req.Context())
	t := strictTransport
	if s != nil {
		t = s.transport
	}
	res, err := t.RoundTrip(req)
	if err != nil || s == nil {
		return res, err
	}
	s.mu.Lock()
	s.status = res.StatusCode
	s.mu.Unlock()
	if res.StatusCode >= http.StatusBadRequest {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		_ = res.Body.Close()
		res.Body = http.NoBody
		res.ContentLength = 0
		return res, nil
	}
	res.Body = &countedBody{ReadCloser: res.Body, state: s}
	return res, nil
}

// errFetchTooLarge ends a read beyond the fetch's byte budget.
var errFetchTooLarge = errors.New("fetch exceeds its size limit")

// countedBody counts the bytes read against the fetch's budget.
type countedBody struct {
	io.ReadCloser
	state *fetchState
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	s := b.state
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received += int64(n)
	if s.received > s.maxBytes {
		s.tooLarge = true
		return n, errFetchTooLarge
	}
	return n, err
}

// newHTTPTransport returns a transport like http.DefaultTransport that, when
// private hosts are not allowed, refuses to connect to non-public addresses,
// whether a host name resolved to one, or a redirect pointed at one. A proxy
// named by HTTP_PROXY or HTTPS_PROXY is dialed whatever its address (the
// cluster admin set it); the hosts requested through it are resolved and
// checked instead.
func newHTTPTransport(allowPrivate bool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if allowPrivate {
		return t
	}
	plain := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	guarded := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip, err := netipParse(host)
			if err != nil {
				return err
			}
			return refuseIP(ip.String(), ip)
		}}
	proxies := proxyAddresses(httpproxy.FromEnvironment())
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if proxies[addr] {
			return plain.DialContext(ctx, network, addr)
		}
		host, _, _ := net.SplitHostPort(addr)
		conn, err := guarded.DialContext(ctx, network, addr)
		if pe, ok := errors.AsType[*privateAddressError](err); ok {
			refusal := &privateAddressError{host: host, ip: pe.ip, kind: pe.kind}
			if s := fetchStateFrom(ctx); s != nil {
				s.recordRefusal(refusal)
			}
			return nil, refusal
		}
		return conn, err
	}
	proxyFunc := t.Proxy
	t.Proxy = func(req *http.Request) (*url.URL, error) {
		u, err := proxyFunc(req)
		if u == nil || err != nil {
			return u, err
		}
		if err := checkHost(req.Context(), net.DefaultResolver, req.URL.Hostname()); err != nil {
			if s := fetchStateFrom(req.Context()); s != nil {
				s.recordRefusal(err)
			}
			return nil, err
		}
		return u, nil
	}
	return t
}

// proxyAddresses are the host:port addresses of the configured proxies, as
// the transport dials them.
func proxyAddresses(c *httpproxy.Config) map[string]bool {
	out := map[string]bool{}
	for _, raw := range []string{c.HTTPProxy, c.HTTPSProxy} {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			if u, err = url.Parse("http://" + raw); err != nil {
				continue
			}
		}
		port := u.Port()
		if port == "" {
			port = map[string]string{"https": "443", "socks5": "1080", "socks5h": "1080"}[u.Scheme]
			if port == "" {
				port = "80"
			}
		}
		out[net.JoinHostPort(u.Hostname(), port)] = true
	}
	return out
}

// describeFetchError turns an error of go-git into one that says what went
// wrong in the operator's words: the server's body (an HTML page, an error
// from an internal service) never appears in it, only the HTTP status and
// the kind of failure. Failures that need a person are permanent.
//
// Errors of the file transport (only with AllowLocal) come from the local git
// binary, not from a server, and keep their message.
func describeFetchError(what, rawURL string, err error, s *fetchState) error {
	if ep, perr := transport.NewEndpoint(rawURL); perr == nil && ep.Protocol == "file" {
		if isPermanentFetch(err) {
			return &PermanentError{Err: fmt.Errorf("%s: %w", what, err)}
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	s.mu.Lock()
	status, tooLarge, refused := s.status, s.tooLarge, s.refused
	maxBytes := s.maxBytes
	s.mu.Unlock()
	switch {
	case refused != nil:
		return permanent("%s: %s: %w", what, URLField, refused)
	case tooLarge:
		return permanent("%s: the server sent more than %d bytes (--%s); fetch a smaller repository, or a branch or tag instead of a commit, which needs the whole history", what, maxBytes, FlagMaxFetchBytes)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", what, contextErr(err))
	}
	for _, sentinel := range permanentFetchErrors {
		if errors.Is(err, sentinel) {
			if status >= http.StatusBadRequest {
				return &PermanentError{Err: fmt.Errorf("%s: HTTP %d: %w", what, status, sentinel)}
			}
			return &PermanentError{Err: fmt.Errorf("%s: %w", what, sentinel)}
		}
	}
	if status >= http.StatusBadRequest {
		return fmt.Errorf("%s: HTTP %d %s", what, status, http.StatusText(status))
	}
	if msg := localMessage(err); msg != "" {
		return fmt.Errorf("%s: %s", what, msg)
	}
	if status != 0 {
		return fmt.Errorf("%s: the server answered HTTP %d with something other than the Git protocol", what, status)
	}
	return fmt.Errorf("%s: the server's answer does not follow the Git protocol", what)
}

// permanentFetchErrors are the go-git errors that retrying cannot fix.
var permanentFetchErrors = []error{
	transport.ErrAuthenticationRequired, transport.ErrAuthorizationFailed,
	transport.ErrRepositoryNotFound, transport.ErrEmptyRemoteRepository,
	transport.ErrInvalidAuthMethod, plumbing.ErrReferenceNotFound,
}

func isPermanentFetch(err error) bool {
	for _, p := range permanentFetchErrors {
		if errors.Is(err, p) {
			return true
		}
	}
	return false
}

// refusePrivateSSH wraps an SSH host key check so that it first refuses a
// connection that reached a non-public address (a host name that resolved
// to one after the URL was checked).
func refusePrivateSSH(next ssh.HostKeyCallback) ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		if tcp, ok := remote.(*net.TCPAddr); ok {
			if err := refuseIP(hostname, tcp.IP); err != nil {
				return err
			}
		}
		return next(hostname, remote, key)
	}
}

// contextErr returns the context error err wraps.
func contextErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return context.Canceled
}

// localMessage returns the message of an error the operator's own network
// stack produced (DNS, TCP, TLS, SSH), which quotes nothing the server sent;
// "" for anything else.
func localMessage(err error) string {
	if e, ok := errors.AsType[*net.DNSError](err); ok {
		return e.Error()
	}
	if e, ok := errors.AsType[*net.OpError](err); ok {
		return e.Error()
	}
	if e, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return e.Error()
	}
	if e, ok := errors.AsType[x509.HostnameError](err); ok {
		return e.Error()
	}
	if e, ok := errors.AsType[x509.CertificateInvalidError](err); ok {
		return e.Error()
	}
	if e, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return e.Error()
	}
	// x/crypto/ssh words its own failures "ssh: ..."; what an SSH server
	// writes to stderr reaches go-git's errors without that prefix.
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.HasPrefix(e.Error(), "ssh: ") {
			return e.Error()
		}
	}
	return ""
}
