package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server serves an http.Handler until the context given to Start ends. It
// has the method set of controller-runtime's manager.Runnable and
// LeaderElectionRunnable without importing it, so mgr.Add(webhook.Runnable(...))
// works: every replica serves, leader or not (see Options.Enqueue).
//
// TLS is expected to end in front of it (Ingress, Gateway, service mesh):
// Spacelift only needs the endpoint to be reachable over HTTPS.
type Server struct {
	// Addr is the TCP address to listen on, such as ":9443" or "127.0.0.1:0".
	Addr string
	// Handler answers the requests, typically Receiver.Handler().
	Handler http.Handler
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are those
	// of http.Server; Runnable sets them to values suited to small webhook
	// bodies from a single sender.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// ShutdownTimeout bounds how long requests in flight may finish once the
	// context ends (default 10s); the connections still open after it are
	// closed.
	ShutdownTimeout time.Duration

	mu       sync.Mutex
	started  bool
	ready    chan struct{}
	listener net.Addr
}

// Runnable returns a Server for h on addr with the default timeouts.
func Runnable(addr string, h http.Handler) *Server {
	return &Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       90 * time.Second,
		ShutdownTimeout:   10 * time.Second,
	}
}

// NeedLeaderElection is false: every replica accepts webhooks.
func (s *Server) NeedLeaderElection() bool { return false }

// Ready is closed once Start listens; ListenAddr is then known.
func (s *Server) Ready() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readyLocked()
}

func (s *Server) readyLocked() chan struct{} {
	if s.ready == nil {
		s.ready = make(chan struct{})
	}
	return s.ready
}

// ListenAddr is the address Start listens on (with the port chosen when
// Addr has port 0); nil before Ready is closed.
func (s *Server) ListenAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listener
}

// Start listens on Addr and serves until ctx ends, then shuts down
// gracefully. It returns nil after a clean shutdown and an error when it
// cannot listen or serving fails. A Server can be started once.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("webhook server already started")
	}
	s.started = true
	s.mu.Unlock()

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listening for Spacelift webhooks on %s: %w", s.Addr, err)
	}
	srv := &http.Server{
		Handler:           s.Handler,
		ReadHeaderTimeout: s.ReadHeaderTimeout,
		ReadTimeout:       s.ReadTimeout,
		WriteTimeout:      s.WriteTimeout,
		IdleTimeout:       s.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	s.mu.Lock()
	s.listener = ln.Addr()
	close(s.readyLocked())
	s.mu.Unlock()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served: // Serve never returns nil
		return fmt.Errorf("serving Spacelift webhooks on %s: %w", s.listener, err)
	case <-ctx.Done():
	}
	timeout := s.ShutdownTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		<-served
		return fmt.Errorf("shutting down the Spacelift webhook server: %w", err)
	}
	<-served // http.ErrServerClosed
	return nil
}
