package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/controllers"
	"github.com/stackwright/spacelift-operator/internal/metrics"
	"github.com/stackwright/spacelift-operator/internal/source"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// The operator runs in a child process too (this binary, subcommand
// "operator"), so that its CPU time, heap and RSS are its own: the bench
// harness (creating thousands of objects, watching them become Ready) and
// the emulator stay out of them. The child wires the reconcilers as
// cmd/main.go does and serves a small control API on loopback: its
// Kubernetes write counts, memory peaks, a forced GC and CPU profiles.

// operatorStats is what the operator child reports on GET /stats.
type operatorStats struct {
	// KubeWrites counts the mutating HTTP requests (POST, PUT, PATCH,
	// DELETE) the operator's Kubernetes client sent since the last reset:
	// creates, updates, patches and deletes of objects and of their status
	// subresource, and Events. Patches with an empty body are counted in
	// KubeEmptyPatches instead, and dry-run requests (which persist
	// nothing) in KubeDryRuns.
	KubeWrites       int64 `json:"kubeWrites"`
	KubeEmptyPatches int64 `json:"kubeEmptyPatches"`
	KubeDryRuns      int64 `json:"kubeDryRuns"`
	// KubeWritesByKind counts KubeWrites by "VERB resource[/subresource]",
	// the verb APPLY for server-side applies.
	KubeWritesByKind map[string]int64 `json:"kubeWritesByKind"`
	// Peaks since the last reset, from runtime/metrics (heap in use is
	// objects plus the unused part of in-use spans, as MemStats.HeapInuse)
	// and from VmHWM in /proc/self/status.
	PeakHeapInuseBytes uint64 `json:"peakHeapInuseBytes"`
	PeakHeapAllocBytes uint64 `json:"peakHeapAllocBytes"`
	PeakRSSBytes       uint64 `json:"peakRSSBytes"`
}

// kubeWriteCounter counts the mutating requests a rest.Config sends; a
// PATCH whose body is an empty JSON object changes nothing and is counted
// apart.
type kubeWriteCounter struct {
	n, empty, dryRun atomic.Int64
	mu               sync.Mutex
	byKind           map[string]int64
}

func newKubeWriteCounter() *kubeWriteCounter {
	return &kubeWriteCounter{byKind: map[string]int64{}}
}

func (c *kubeWriteCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n.Store(0)
	c.empty.Store(0)
	c.dryRun.Store(0)
	c.byKind = map[string]int64{}
}

func (c *kubeWriteCounter) add(method, path string) {
	c.n.Add(1)
	key := method + " " + resourceOfPath(path)
	c.mu.Lock()
	c.byKind[key]++
	c.mu.Unlock()
}

func (c *kubeWriteCounter) snapshot() (n, empty, dryRun int64, byKind map[string]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n.Load(), c.empty.Load(), c.dryRun.Load(), maps.Clone(c.byKind)
}

// resourceOfPath turns an API path into "resource" or
// "resource/subresource": /apis/g/v/namespaces/ns/stacks/x/status gives
// "stacks/status", /api/v1/namespaces/ns/events gives "events".
func resourceOfPath(p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	// Drop the prefix: "api", version or "apis", group, version.
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		parts = parts[3:]
	default:
		return p
	}
	if len(parts) >= 2 && parts[0] == "namespaces" && len(parts) != 2 {
		parts = parts[2:]
	}
	switch len(parts) {
	case 0:
		return p
	case 1, 2:
		return parts[0]
	default:
		return parts[0] + "/" + parts[2]
	}
}

type countingTransport struct {
	base http.RoundTripper
	c    *kubeWriteCounter
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Query().Has("dryRun") {
		switch req.Method {
		case http.MethodPatch, http.MethodPost, http.MethodPut, http.MethodDelete:
			t.c.dryRun.Add(1)
		}
		return t.base.RoundTrip(req)
	}
	switch req.Method {
	case http.MethodPatch:
		if isEmptyPatch(req) {
			t.c.empty.Add(1)
			break
		}
		verb := req.Method
		if strings.HasPrefix(req.Header.Get("Content-Type"), string(types.ApplyPatchType)) {
			verb = "APPLY" // server-side apply: the AdminStack's writes of its children
		}
		t.c.add(verb, req.URL.Path)
	case http.MethodPost, http.MethodPut, http.MethodDelete:
		t.c.add(req.Method, req.URL.Path)
	}
	return t.base.RoundTrip(req)
}

func isEmptyPatch(req *http.Request) bool {
	if req.GetBody == nil || req.ContentLength > 16 {
		return false
	}
	body, err := req.GetBody()
	if err != nil {
		return false
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, 17))
	return err == nil && strings.TrimSpace(string(b)) == "{}"
}

// operatorFlags are the child's settings, passed by operatorProcess.
type operatorFlags struct {
	kubeconfig   string
	namespace    string
	credentials  string
	concurrency  int
	syncInterval time.Duration
	qps          float64
	burst        int
	verbose      bool
}

// serveOperator is the child process: it runs every reconciler against the
// control plane of -kubeconfig, limited to -namespace, and prints
// "listening <addr>" once its cache has synced and its control API accepts
// connections.
func serveOperator(args []string) int {
	var f operatorFlags
	fs := flag.NewFlagSet("spacelift-bench operator", flag.ContinueOnError)
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the control plane")
	fs.StringVar(&f.namespace, "namespace", "", "the only namespace watched")
	fs.StringVar(&f.credentials, "credentials-secret", credentialsSecret, "name of the credentials Secret in -namespace")
	fs.IntVar(&f.concurrency, "concurrency", 8, "parallel reconciles per kind")
	fs.DurationVar(&f.syncInterval, "sync-interval", 20*time.Second, "sync interval")
	fs.Float64Var(&f.qps, "qps", spacelift.DefaultQPS, "Spacelift client request rate")
	fs.IntVar(&f.burst, "burst", spacelift.DefaultBurst, "Spacelift client burst")
	fs.BoolVar(&f.verbose, "v", false, "log to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if f.verbose {
		ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
	} else {
		ctrl.SetLogger(logr.Discard())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runOperator(ctx, f); err != nil {
		fmt.Fprintln(os.Stderr, "operator:", err)
		return 1
	}
	return 0
}

func runOperator(ctx context.Context, f operatorFlags) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", f.kubeconfig)
	if err != nil {
		return fmt.Errorf("reading -kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = 500, 1000 // the control plane is not what is measured
	writes := newKubeWriteCounter()
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{base: rt, c: writes} })
	scheme := k8sruntime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = spaceliftv1alpha1.AddToScheme(scheme)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cache.Options{DefaultNamespaces: map[string]cache.Config{f.namespace: {}}, DefaultTransform: cache.TransformStripManagedFields()},
		// As cmd/main.go: Secrets are read with direct GETs.
		Client:     client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	requests, err := metrics.NewSpaceliftRequests(ctrlmetrics.Registry)
	if err != nil {
		return err
	}
	deps := controllers.Dependencies{Credentials: &controllers.Credentials{
		Reader:  mgr.GetClient(),
		Cache:   spacelift.NewClientCache(spacelift.Options{QPS: f.qps, Burst: f.burst, Observer: requests}),
		Default: types.NamespacedName{Namespace: f.namespace, Name: f.credentials},
	},
		// A Git source is a repository on the local disk (see gitSource).
		Git: source.NewGitWithOptions(source.GitOptions{MaxEntries: 64, AllowLocal: true}),
	}
	if err := controllers.SetupAll(mgr, controllers.Options{SyncInterval: f.syncInterval, MaxConcurrentReconciles: f.concurrency}, deps); err != nil {
		return fmt.Errorf("setting up the controllers: %w", err)
	}
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	sctx, scancel := context.WithTimeout(ctx, time.Minute)
	synced := mgr.GetCache().WaitForCacheSync(sctx)
	scancel()
	if !synced {
		cancel()
		<-done
		return errors.New("the cache did not sync within a minute")
	}

	mem := startMemorySampler(100 * time.Millisecond)
	defer mem.close()
	ctl := &operatorControl{writes: writes, mem: mem}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: ctl.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(lis) }()
	fmt.Printf("listening %s\n", lis.Addr())
	select {
	case <-ctx.Done():
	case err := <-done:
		return fmt.Errorf("the manager stopped: %w", err)
	}
	shctx, shcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer shcancel()
	_ = srv.Shutdown(shctx)
	cancel()
	return <-done
}

// operatorControl serves the child's control API.
type operatorControl struct {
	writes  *kubeWriteCounter
	mem     *memorySampler
	mu      sync.Mutex
	profile *os.File
}

func (o *operatorControl) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		n, empty, dryRun, byKind := o.writes.snapshot()
		inuse, alloc := o.mem.peaks()
		writeJSONResponse(w, operatorStats{KubeWrites: n, KubeEmptyPatches: empty, KubeDryRuns: dryRun, KubeWritesByKind: byKind,
			PeakHeapInuseBytes: inuse, PeakHeapAllocBytes: alloc, PeakRSSBytes: peakRSS()})
	})
	mux.HandleFunc("POST /reset-writes", func(w http.ResponseWriter, _ *http.Request) {
		o.writes.reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /reset-memory", func(w http.ResponseWriter, _ *http.Request) {
		o.mem.reset()
		w.WriteHeader(http.StatusNoContent)
	})
	// POST /gc?heap-profile=<path> forces a GC and answers the live heap;
	// with a path it writes the heap profile there.
	mux.HandleFunc("POST /gc", func(w http.ResponseWriter, r *http.Request) {
		live, err := liveHeap(r.URL.Query().Get("heap-profile"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSONResponse(w, map[string]uint64{"liveHeapBytes": live})
	})
	mux.HandleFunc("POST /cpu-profile/start", func(w http.ResponseWriter, r *http.Request) {
		if err := o.startProfile(r.URL.Query().Get("path")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /cpu-profile/stop", func(w http.ResponseWriter, _ *http.Request) {
		o.stopProfile()
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func (o *operatorControl) startProfile(path string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.profile != nil {
		return errors.New("a CPU profile is already running")
	}
	f, err := os.Create(filepath.Clean(path))
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return err
	}
	o.profile = f
	return nil
}

func (o *operatorControl) stopProfile() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.profile == nil {
		return
	}
	pprof.StopCPUProfile()
	_ = o.profile.Close()
	o.profile = nil
}

// liveHeap forces a GC and returns the heap objects' bytes (what the
// process keeps, garbage excluded); with a path it also writes the heap
// profile there.
func liveHeap(path string) (uint64, error) {
	runtime.GC()
	debug.FreeOSMemory()
	live := readHeap().alloc
	if path != "" {
		f, err := os.Create(filepath.Clean(path))
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			return 0, fmt.Errorf("writing the heap profile: %w", err)
		}
	}
	return live, nil
}

func writeJSONResponse(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// operatorProcess is a running operator child.
type operatorProcess struct {
	cmd  *exec.Cmd
	url  string
	http *http.Client
}

// startOperatorProcess starts the child and waits until its cache synced.
func startOperatorProcess(kubeconfig, ns string, c *benchConfig) (*operatorProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this executable: %w", err)
	}
	args := []string{"operator", "-kubeconfig", kubeconfig, "-namespace", ns,
		"-concurrency", fmt.Sprint(c.concurrency), "-sync-interval", c.syncInterval.String(),
		"-qps", fmt.Sprint(c.qps), "-burst", fmt.Sprint(c.burst)}
	if c.verbose {
		args = append(args, "-v")
	}
	cmd := exec.Command(self, args...)
	p := &operatorProcess{cmd: cmd, http: &http.Client{Timeout: 2 * time.Minute}}
	if p.url, err = startChild(cmd, "operator", time.Minute); err != nil {
		return nil, err
	}
	return p, nil
}

// startChild starts cmd and waits for the "listening <addr>" line on its
// stdout; it returns the base URL.
func startChild(cmd *exec.Cmd, what string, wait time.Duration) (string, error) {
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the bench
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting the %s process: %w", what, err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				addr <- a
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			stopChild(cmd)
			return "", fmt.Errorf("the %s process exited before listening", what)
		}
		return "http://" + a, nil
	case <-time.After(wait):
		stopChild(cmd)
		return "", fmt.Errorf("the %s process did not start listening within %s", what, wait)
	}
}

// stopChild interrupts a child this bench started and waits for it.
func stopChild(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func (p *operatorProcess) stop() { stopChild(p.cmd) }

// cpu is the child's user and system CPU time so far, in seconds.
func (p *operatorProcess) cpu() float64 { return processCPU(p.cmd.Process.Pid) }

func (p *operatorProcess) post(path string, out any) error {
	resp, err := p.http.Post(p.url+path, "application/json", nil)
	if err != nil {
		return fmt.Errorf("operator control %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("operator control %s: HTTP %d: %s", path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("operator control %s: %w", path, err)
	}
	return nil
}

func (p *operatorProcess) stats() (operatorStats, error) {
	var s operatorStats
	resp, err := p.http.Get(p.url + "/stats")
	if err != nil {
		return s, fmt.Errorf("reading the operator's figures: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("reading the operator's figures: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return s, fmt.Errorf("decoding the operator's figures: %w", err)
	}
	return s, nil
}

func (p *operatorProcess) resetWrites() error { return p.post("/reset-writes", nil) }
func (p *operatorProcess) resetMemory() error { return p.post("/reset-memory", nil) }

// liveHeap forces a GC in the child and returns its live heap; with a
// profile directory the heap profile is written to dir/heap-<tag>.pprof.
func (p *operatorProcess) liveHeap(dir, tag string) (uint64, error) {
	path := "/gc"
	if dir != "" {
		path += "?heap-profile=" + url.QueryEscape(filepath.Join(dir, "heap-"+tag+".pprof"))
	}
	var out struct {
		LiveHeapBytes uint64 `json:"liveHeapBytes"`
	}
	err := p.post(path, &out)
	return out.LiveHeapBytes, err
}

// startCPUProfile profiles the child into dir/cpu-<tag>.pprof, the path it
// returns, until the returned function is called (again calls do nothing).
func (p *operatorProcess) startCPUProfile(dir, tag string) (func(), string, error) {
	abs, err := filepath.Abs(filepath.Join(dir, "cpu-"+tag+".pprof"))
	if err != nil {
		return nil, "", err
	}
	if err := p.post("/cpu-profile/start?path="+url.QueryEscape(abs), nil); err != nil {
		return nil, "", err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if err := p.post("/cpu-profile/stop", nil); err != nil {
				logf("stopping the CPU profile: %v", err)
			}
		})
	}, abs, nil
}
