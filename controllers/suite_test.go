package controllers

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stackwright/spacelift-operator/controllers/internal/envtestkit"
	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
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
	os.Exit(envtestkit.Run(m, envtestkit.Options{
		CredentialsSecret: types.NamespacedName{Namespace: testNS, Name: credsSecret},
		Emulator:          emulator.Options{RunStepDuration: 20 * time.Millisecond},
		SchedulerInterval: 20 * time.Millisecond,
		Setup:             setup,
	}))
}

// setup registers the signing key publisher and the Stack and Policy
// reconcilers, and serves the webhook receiver that stacks in the tests send
// their run events to.
func setup(s *envtestkit.Suite) error {
	k8s, emu, sl, creds = s.Client, s.Emulator, s.Spacelift, s.Credentials
	mgr := s.Manager
	if err := k8s.Create(context.Background(), signingKeySecret()); err != nil {
		return fmt.Errorf("creating the run signing key Secret: %w", err)
	}
	signer := &RunSigner{Reader: mgr.GetClient(), Secret: types.NamespacedName{Namespace: testNS, Name: "run-signing-key"}, Key: DefaultSigningKeyKey}
	if err := (&SigningKeyPublisher{Client: mgr.GetClient(), Signer: signer, ConfigMap: publicKeysCM}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("signing key publisher: %w", err)
	}
	webhookEvents = NewWebhookEvents(64)
	webhookMetrics = prometheus.NewRegistry()
	rcv, err := webhook.New(webhook.Options{Secrets: webhook.StaticSecrets([]byte(webhookSecret)), Enqueue: webhookEvents.Enqueue, Metrics: webhookMetrics})
	if err != nil {
		return fmt.Errorf("webhook receiver: %w", err)
	}
	receiver := httptest.NewServer(rcv.Handler())
	s.OnStop(receiver.Close)
	receiverURL = receiver.URL + webhook.Path

	o := Options{SyncInterval: syncInterval, MaxConcurrentReconciles: 2}
	c := &Credentials{Reader: mgr.GetClient(), Cache: spacelift.NewClientCache(s.ClientOptions), Default: s.CredentialsSecret}
	stackReconciler = &StackReconciler{Client: mgr.GetClient(), Scheme: s.Scheme, Options: o, Credentials: c,
		Cache: &StackCache{MaxAge: 200 * time.Millisecond}, Signer: signer, Webhooks: webhookEvents,
		Recorder: mgr.GetEventRecorderFor("stack-controller")} //nolint:staticcheck // core/v1 events
	if err := stackReconciler.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("stack reconciler: %w", err)
	}
	if err := (&PolicyReconciler{Client: mgr.GetClient(), Scheme: s.Scheme, Options: o, Credentials: c,
		Recorder: mgr.GetEventRecorderFor("policy-controller")}).SetupWithManager(mgr); err != nil { //nolint:staticcheck // core/v1 events
		return fmt.Errorf("policy reconciler: %w", err)
	}
	return nil
}

// stackReconciler is the suite's Stack reconciler.
var stackReconciler *StackReconciler

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

// credentialsSecret is a Secret in testNS holding c.
func credentialsSecret(name string, c spacelift.Credentials) *corev1.Secret {
	return envtestkit.CredentialsSecret(types.NamespacedName{Namespace: testNS, Name: name}, c)
}
