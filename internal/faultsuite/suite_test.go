package faultsuite

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
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
	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/testenv"
	"github.com/stackwright/spacelift-operator/internal/webhook"
)

// The suite's control plane, a cache of it for polling, and everything the
// operator logs, for the secret scan.
var (
	restConfig *rest.Config
	scheme     *runtime.Scheme
	k8s        client.Client
	// view reads from an informer cache: polling 501 Stacks through it costs
	// no API requests and no decoding.
	view client.Reader
	logs lockedBuffer
)

const (
	namespace       = "faults"
	credentialsName = "spacelift-credentials"
	signingKeyName  = "run-signing-key"
	publicKeysName  = "spacelift-run-signing-public-keys"
	webhookSecretNm = "spacelift-webhook"
	webhookKey      = "secret"
	policyName      = "require-approval-for-deletes"
	adminName       = "faults-admin"

	// syncInterval is long enough that periodic resyncs of the Ready
	// children do not crowd out the expansion on a 2-core runner.
	syncInterval = 45 * time.Second
	// clientTimeout is the operator's per-request timeout; stalled requests
	// and latency spikes go beyond it.
	clientTimeout = time.Second
	concurrency   = 8
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	// Every verbosity up to V(7): the operator's own debug lines are V(1),
	// and client-go logs request URLs and headers at V(6) and V(7). From
	// V(8) on client-go dumps the bodies of Kubernetes API requests, which
	// would hold any Secret read without the cache (the operator reads them
	// through its cache); capturing them costs more CPU than a 2-core
	// runner has for this suite.
	ctrl.SetLogger(zap.New(zap.WriteTo(&logs), zap.UseDevMode(false), zap.Level(zapcore.Level(-7))))
	env, cfg, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	restConfig = cfg
	scheme = runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = spaceliftv1alpha1.AddToScheme(scheme)
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c, err := cache.New(cfg, cache.Options{Scheme: scheme, DefaultNamespaces: map[string]cache.Config{namespace: {}}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = c.Start(ctx) }()
	// Informers start on first use; ask for the kinds polled now.
	for _, o := range []client.Object{&spaceliftv1alpha1.Stack{}, &spaceliftv1alpha1.AdminStack{}, &spaceliftv1alpha1.Policy{}} {
		if _, err := c.GetInformer(ctx, o); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	view = c
	return m.Run()
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// suite is the shared state of the tests: the emulator behind its fault
// injecting front, the operator's manager, the webhook receiver, and every
// secret value handed out, for the scan.
type suite struct {
	front     *Front
	endpoint  string
	stateFile string
	emuLogs   lockedBuffer

	emuMu   sync.Mutex
	emu     *emulator.Server
	emuStop func()
	// closedOps are the operations of emulators that were restarted.
	closedOps []emulator.Operation

	keyIDs     []string
	keySecrets []string

	webhookSecret string
	signingPEM    []byte
	receiverURL   string
	// hooks is the current manager's webhook queue.
	hooks    atomic.Pointer[controllers.WebhookEvents]
	enqueued sync.Map // stack id → *atomic.Int64

	mgrStop func()
}

// newSuite starts the emulator, the webhook receiver and the operator, and
// creates the namespace and its Secrets.
func newSuite(t *testing.T) *suite {
	t.Helper()
	s := &suite{front: NewFront(), stateFile: filepath.Join(t.TempDir(), "emulator-state.json"),
		webhookSecret: randomHex(24)}
	srv := httptest.NewServer(s.front)
	t.Cleanup(srv.Close)
	s.endpoint = srv.URL
	s.startEmulator(t, "faultsuite-key-1", randomHex(32))
	t.Cleanup(func() {
		s.emuMu.Lock()
		defer s.emuMu.Unlock()
		s.emuStop()
	})

	rcv, err := webhook.New(webhook.Options{
		Secrets: webhook.StaticSecrets([]byte(s.webhookSecret)),
		Enqueue: func(stackID string, ev webhook.Event) {
			c, _ := s.enqueued.LoadOrStore(stackID, &atomic.Int64{})
			c.(*atomic.Int64).Add(1)
			if h := s.hooks.Load(); h != nil {
				h.Enqueue(stackID, ev)
			}
		},
		Metrics: prometheus.NewRegistry(),
		Log:     ctrl.Log.WithName("webhook-receiver"),
	})
	if err != nil {
		t.Fatal(err)
	}
	hookSrv := httptest.NewServer(rcv.Handler())
	t.Cleanup(hookSrv.Close)
	s.receiverURL = hookSrv.URL + webhook.Path

	_, priv, err := runmeta.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if s.signingPEM, err = runmeta.MarshalPrivateKeyPEM(priv); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		s.credentialsSecret(),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: signingKeyName, Namespace: namespace},
			Data: map[string][]byte{controllers.DefaultSigningKeyKey: s.signingPEM}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: webhookSecretNm, Namespace: namespace},
			Data: map[string][]byte{webhookKey: []byte(s.webhookSecret)}},
	} {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatalf("creating %T %s: %v", o, o.GetName(), err)
		}
	}
	s.startOperator(t)
	t.Cleanup(func() { s.mgrStop() })
	return s
}

// credentialsSecret holds the newest API key.
func (s *suite) credentialsSecret() *corev1.Secret {
	last := len(s.keyIDs) - 1
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: credentialsName, Namespace: namespace}, Data: map[string][]byte{
		spacelift.SecretKeyEndpoint: []byte(s.endpoint), spacelift.SecretKeyID: []byte(s.keyIDs[last]),
		spacelift.SecretKeySecret: []byte(s.keySecrets[last])}}
}

// startEmulator starts an emulator on the state file, accepting only the
// given API key, and puts it behind the front.
func (s *suite) startEmulator(t *testing.T, keyID, keySecret string) {
	t.Helper()
	s.keyIDs = append(s.keyIDs, keyID)
	s.keySecrets = append(s.keySecrets, keySecret)
	emu, err := emulator.New(emulator.Options{
		APIKeyID: keyID, APIKeySecret: keySecret, StateFile: s.stateFile,
		Latency: 2 * time.Millisecond, RunStepDuration: 100 * time.Millisecond,
		Logger:     slog.New(slog.NewTextHandler(&s.emuLogs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatalf("starting the emulator: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { emu.RunScheduler(ctx, 100*time.Millisecond); close(done) }()
	s.emuMu.Lock()
	s.emu = emu
	s.emuStop = func() {
		cancel()
		<-done
		if err := emu.Close(); err != nil {
			t.Errorf("closing the emulator: %v", err)
		}
	}
	s.emuMu.Unlock()
	s.front.Swap(emu, 0)
}

// operations are every GraphQL request of every emulator so far.
func (s *suite) operations() []emulator.Operation {
	s.emuMu.Lock()
	defer s.emuMu.Unlock()
	return append(append([]emulator.Operation(nil), s.closedOps...), s.emu.Operations()...)
}

func (s *suite) emulator() *emulator.Server {
	s.emuMu.Lock()
	defer s.emuMu.Unlock()
	return s.emu
}

// startOperator starts a manager with every reconciler, as the operator's
// main does. A restart builds everything anew, as a new process would: the
// metrics registry and controller names are per process, hence the fresh
// registry and SkipNameValidation.
func (s *suite) startOperator(t *testing.T) {
	t.Helper()
	ctrlmetrics.Registry = prometheus.NewRegistry()
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	requests, err := metrics.NewSpaceliftRequests(ctrlmetrics.Registry)
	if err != nil {
		t.Fatal(err)
	}
	hooks := controllers.NewWebhookEvents(256)
	deps := controllers.Dependencies{
		Credentials: &controllers.Credentials{
			Reader: mgr.GetClient(),
			Cache: spacelift.NewClientCache(spacelift.Options{
				HTTPClient: &http.Client{Timeout: clientTimeout},
				QPS:        500, Burst: 100, InitialBackoff: 50 * time.Millisecond, MaxBackoff: 2 * time.Second, Observer: requests,
			}),
			Default: types.NamespacedName{Namespace: namespace, Name: credentialsName},
		},
		Signer:     &controllers.RunSigner{Reader: mgr.GetClient(), Secret: types.NamespacedName{Namespace: namespace, Name: signingKeyName}, Key: controllers.DefaultSigningKeyKey},
		PublicKeys: types.NamespacedName{Namespace: namespace, Name: publicKeysName},
		Webhooks:   hooks,
	}
	if err := controllers.SetupAll(mgr, controllers.Options{SyncInterval: syncInterval, MaxConcurrentReconciles: concurrency}, deps); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	s.hooks.Store(hooks)
	s.mgrStop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("manager: %v", err)
			}
		case <-time.After(time.Minute):
			t.Error("the manager did not stop within a minute")
		}
	}
}

// restartOperator stops the manager (its context is cancelled, as on
// SIGTERM) and starts a new one on the same control plane.
func (s *suite) restartOperator(t *testing.T) {
	t.Helper()
	s.hooks.Store(nil)
	s.mgrStop()
	s.startOperator(t)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestFaultSuite expands an AdminStack of 500 children while the emulator and
// the operator misbehave, then checks the webhook receiver and scans for
// leaked secrets. The steps share one environment and run in order.
func TestFaultSuite(t *testing.T) {
	s := newSuite(t)
	t.Run("ExpansionUnderFaults", s.testExpansionUnderFaults)
	t.Run("WebhookDeliveriesAreVerified", s.testWebhooks)
	t.Run("NoSecretInLogsEventsOrStatus", s.testNoSecretLeaks)
}
