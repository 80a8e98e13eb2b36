package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
)

// The emulator runs in a child process (this binary, subcommand "emulator"),
// so that its state and its log of every request stay out of the heap and
// the RSS measured for the operator. The bench reads request counts through
// /bench/summary, which the child computes from emulator.Operations(), so
// that the log itself never crosses the process boundary.

// Environment variables that hand the API key to the child without putting
// the secret on its command line.
const (
	envKeyID     = "SPACELIFT_BENCH_API_KEY_ID"
	envKeySecret = "SPACELIFT_BENCH_API_KEY_SECRET" //nolint:gosec // a variable name
)

// opSummary counts the requests the emulator received.
type opSummary struct {
	// Requests counts every HTTP request to the emulator's API (every path
	// but its control API and the bench's own endpoints), counted by the
	// child's handler as it arrives: refused, failed and unauthenticated
	// ones included. This is the figure the targets use.
	Requests int `json:"requests"`
	// RequestsByPath counts Requests by URL path.
	RequestsByPath map[string]int `json:"requestsByPath"`
	// Total is every /graphql request the emulator recorded (a request
	// refused by an injected fault or the rate limit, or with a body that
	// does not parse, is not recorded, so Total may be below Requests).
	Total int `json:"total"`
	// Logins are apiKeyUser mutations: token exchanges, not writes.
	Logins int `json:"logins"`
	// Writes are the other mutations.
	Writes int `json:"writes"`
	// ByOperation counts requests by operation name.
	ByOperation map[string]int `json:"byOperation"`
	// WritesByOperation counts the writes by operation name.
	WritesByOperation map[string]int `json:"writesByOperation,omitempty"`
	// ByStatus counts requests by the HTTP status they were answered with.
	ByStatus map[string]int `json:"byStatus"`
}

func summarize(ops []emulator.Operation) opSummary {
	s := opSummary{ByOperation: map[string]int{}, WritesByOperation: map[string]int{}, ByStatus: map[string]int{}}
	for _, op := range ops {
		s.Total++
		s.ByOperation[op.Name]++
		s.ByStatus[fmt.Sprint(op.Status)]++
		if op.Type != "mutation" {
			continue
		}
		if isLogin(op) {
			s.Logins++
			continue
		}
		s.Writes++
		s.WritesByOperation[op.Name]++
	}
	return s
}

// isLogin reports whether op is the apiKeyUser token exchange.
func isLogin(op emulator.Operation) bool {
	for _, f := range op.Fields {
		if f == "apiKeyUser" {
			return true
		}
	}
	return strings.EqualFold(op.Name, "ApiKeyUser")
}

// serveEmulator is the child process: it serves an emulator on a loopback
// port and prints "listening <addr>" once it accepts connections.
func serveEmulator(args []string) int {
	fs := flag.NewFlagSet("spacelift-bench emulator", flag.ContinueOnError)
	latency := fs.Duration("latency", 20*time.Millisecond, "delay added to every /graphql request")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	emu, err := emulator.New(emulator.Options{
		APIKeyID: os.Getenv(envKeyID), APIKeySecret: os.Getenv(envKeySecret),
		Latency: *latency, RunStepDuration: 200 * time.Millisecond,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "emulator:", err)
		return 1
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "emulator:", err)
		return 1
	}
	counter := &requestCounter{byPath: map[string]int{}}
	mux := http.NewServeMux()
	mux.Handle("/", counter.wrap(emu))
	mux.HandleFunc("GET /bench/summary", func(w http.ResponseWriter, _ *http.Request) {
		s := summarize(emu.Operations())
		s.Requests, s.RequestsByPath = counter.snapshot()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s)
	})
	mux.HandleFunc("POST /bench/clear", func(w http.ResponseWriter, _ *http.Request) {
		counter.reset()
		emu.ClearOperations()
		w.WriteHeader(http.StatusNoContent)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go emu.RunScheduler(ctx, 250*time.Millisecond)
	go func() { _ = srv.Serve(lis) }()
	fmt.Printf("listening %s\n", lis.Addr())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	_ = emu.Close()
	return 0
}

// requestCounter counts the HTTP requests to the emulator's API as they
// arrive, before the emulator's latency, rate limit or faults.
type requestCounter struct {
	mu     sync.Mutex
	n      int
	byPath map[string]int
}

func (c *requestCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/_emulator/") {
			c.mu.Lock()
			c.n++
			c.byPath[r.URL.Path]++
			c.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func (c *requestCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n, c.byPath = 0, map[string]int{}
}

func (c *requestCounter) snapshot() (int, map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, maps.Clone(c.byPath)
}

// emulatorProcess is a running emulator child.
type emulatorProcess struct {
	cmd  *exec.Cmd
	url  string
	http *http.Client
}

// startEmulator starts the child and waits for its address.
func startEmulator(latency time.Duration, keyID, keySecret string) (*emulatorProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this executable: %w", err)
	}
	cmd := exec.Command(self, "emulator", "-latency", latency.String())
	cmd.Env = append(os.Environ(), envKeyID+"="+keyID, envKeySecret+"="+keySecret)
	p := &emulatorProcess{cmd: cmd, http: &http.Client{Timeout: 2 * time.Minute}}
	if p.url, err = startChild(cmd, "emulator", 30*time.Second); err != nil {
		return nil, err
	}
	return p, nil
}

// cpu is the child's user and system CPU time so far, in seconds.
func (p *emulatorProcess) cpu() float64 { return processCPU(p.cmd.Process.Pid) }

// clear forgets the recorded requests.
func (p *emulatorProcess) clear() error {
	resp, err := p.http.Post(p.url+"/bench/clear", "application/json", nil)
	if err != nil {
		return fmt.Errorf("clearing emulator operations: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("clearing emulator operations: HTTP %d", resp.StatusCode)
	}
	return nil
}

// summary counts the requests recorded since the last clear.
func (p *emulatorProcess) summary() (opSummary, error) {
	var s opSummary
	resp, err := p.http.Get(p.url + "/bench/summary")
	if err != nil {
		return s, fmt.Errorf("reading emulator operations: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("reading emulator operations: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return s, fmt.Errorf("decoding emulator operations: %w", err)
	}
	return s, nil
}

// stop ends the child this bench started and waits for it.
func (p *emulatorProcess) stop() { stopChild(p.cmd) }

// topOperations formats the most frequent operations, for the log.
func topOperations(m map[string]int, n int) string {
	return largestFirst(m, n, " ", func(k string, v int) string { return fmt.Sprintf("%s=%d", k, v) })
}
