package controllers

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/testenv"
	"github.com/stackwright/spacelift-operator/internal/webhook"
)

// The suite runs the Stack and Policy reconcilers in a manager against a local
// control plane and an in-process Spacelift emulator.
var (
	k8s   client.Client
	emu   *emulator.Server
	sl    *spacelift.Client // the test's own view of Spacelift
	creds spacelift.Credentials
)

const (
	testNS       = "default"
	credsSecret  = "spacelift-credentials"
	syncInterval = 2 * time.Second
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	ctrl.SetLogger(logr.Discard())
	env, cfg, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()

	emu, err = emulator.New(emulator.Options{APIKeyID: "test-key", APIKeySecret: "test-secret-value", RunStepDuration: 20 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go emu.RunScheduler(ctx, 20*time.Millisecond)

	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = spaceliftv1alpha1.AddToScheme(scheme)
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	creds = spacelift.Credentials{Endpoint: srv.URL, KeyID: "test-key", KeySecret: "test-secret-value"}
	metrics, _ := spacelift.NewMetrics(prometheus.NewRegistry())
	fast := spacelift.Options{MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, QPS: 500, Burst: 100, Metrics: metrics}
	if sl, err = spacelift.New(creds, fast); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := k8s.Create(ctx, credentialsSecret(credsSecret, creds)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	o := Options{SyncInterval: syncInterval, MaxConcurrentReconciles: 2}
	c := &Credentials{Reader: mgr.GetClient(), Cache: spacelift.NewClientCache(fast),
		Default: types.NamespacedName{Namespace: testNS, Name: credsSecret}}
	cache := &StackCache{MaxAge: 200 * time.Millisecond}
	if err := k8s.Create(ctx, signingKeySecret()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	signer := &RunSigner{Reader: mgr.GetClient(), Secret: types.NamespacedName{Namespace: testNS, Name: "run-signing-key"}, Key: DefaultSigningKeyKey}
	if err := (&SigningKeyPublisher{Client: mgr.GetClient(), Signer: signer, ConfigMap: publicKeysCM}).SetupWithManager(mgr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	webhookEvents = NewWebhookEvents(64)
	webhookMetrics = prometheus.NewRegistry()
	rcv, err := webhook.New(webhook.Options{Secrets: webhook.StaticSecrets([]byte(webhookSecret)), Enqueue: webhookEvents.Enqueue, Metrics: webhookMetrics})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	receiver := httptest.NewServer(rcv.Handler())
	defer receiver.Close()
	receiverURL = receiver.URL + webhook.Path
	if err := (&StackReconciler{Client: mgr.GetClient(), Scheme: scheme, Options: o, Credentials: c, Cache: cache, Signer: signer, Webhooks: webhookEvents,
		Recorder: mgr.GetEventRecorderFor("stack-controller")}).SetupWithManager(mgr); err != nil { //nolint:staticcheck // core/v1 events
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := (&PolicyReconciler{Client: mgr.GetClient(), Scheme: scheme, Options: o, Credentials: c,
		Recorder: mgr.GetEventRecorderFor("policy-controller")}).SetupWithManager(mgr); err != nil { //nolint:staticcheck // core/v1 events
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	return m.Run()
}

// The suite's webhook receiver.
var (
	webhookEvents  *WebhookEvents
	webhookMetrics *prometheus.Registry
	receiverURL    string
)

const webhookSecret = "whsec-test"

// publicKeysCM is where the suite's signing key publisher writes.
var publicKeysCM = types.NamespacedName{Namespace: testNS, Name: "run-signing-public-keys"}

// signingKeySecret holds a key generated for this test run.
func signingKeySecret() *corev1.Secret {
	_, priv, err := runmeta.GenerateKey()
	if err != nil {
		panic(err)
	}
	pemKey, err := runmeta.MarshalPrivateKeyPEM(priv)
	if err != nil {
		panic(err)
	}
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "run-signing-key", Namespace: testNS},
		Data: map[string][]byte{DefaultSigningKeyKey: pemKey}}
}

func credentialsSecret(name string, c spacelift.Credentials) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS},
		StringData: map[string]string{
			"SPACELIFT_API_KEY_ENDPOINT": c.Endpoint,
			"SPACELIFT_API_KEY_ID":       c.KeyID,
			"SPACELIFT_API_KEY_SECRET":   c.KeySecret,
		},
	}
}
