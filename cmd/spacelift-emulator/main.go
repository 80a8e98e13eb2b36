// Command spacelift-emulator serves a local imitation of the Spacelift
// GraphQL API at /graphql and its control API at /_emulator/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "spacelift-emulator:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		addr      = flag.String("addr", "127.0.0.1:7070", "address to listen on")
		keyID     = flag.String("api-key-id", "", "API key id accepted by apiKeyUser (generated when empty)")
		keySecret = flag.String("api-key-secret", "", "API key secret accepted by apiKeyUser (generated and printed when empty)")
		latency   = flag.Duration("latency", 0, "delay added to every /graphql request")
		errorRate = flag.Float64("error-rate", 0, "share of /graphql requests answered with HTTP 503, 0..1")
		rateLimit = flag.Float64("rate-limit", 0, "maximum /graphql requests per second, over it HTTP 429 with Retry-After (0: unlimited)")
		stateFile = flag.String("state-file", "", "JSON file loaded at start and rewritten atomically after every change")
		tokenTTL  = flag.Duration("token-ttl", time.Hour, "validity of tokens minted by apiKeyUser")
		runStep   = flag.Duration("run-step", 2*time.Second, "time a run spends in each transient state")
	)
	flag.Parse()
	if *errorRate < 0 || *errorRate > 1 {
		return fmt.Errorf("--error-rate must be between 0 and 1, got %v", *errorRate)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	generatedSecret := *keySecret == ""
	srv, err := emulator.New(emulator.Options{
		APIKeyID:        *keyID,
		APIKeySecret:    *keySecret,
		TokenTTL:        *tokenTTL,
		RunStepDuration: *runStep,
		Latency:         *latency,
		ErrorRate:       *errorRate,
		RateLimit:       *rateLimit,
		StateFile:       *stateFile,
		Logger:          logger,
	})
	if err != nil {
		return fmt.Errorf("creating emulator: %w", err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	id, secret := srv.APIKey()
	fmt.Printf("Spacelift emulator listening on http://%s/graphql\n", ln.Addr())
	fmt.Printf("SPACELIFT_API_KEY_ENDPOINT=http://%s\nSPACELIFT_API_KEY_ID=%s\n", ln.Addr(), id)
	if generatedSecret {
		fmt.Printf("SPACELIFT_API_KEY_SECRET=%s\n", secret)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go srv.RunScheduler(ctx, 250*time.Millisecond)

	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()

	select {
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving: %w", err)
		}
	case <-ctx.Done():
		logger.Info("shutting down")
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down HTTP server: %w", err)
	}
	if err := srv.Close(); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	return nil
}
