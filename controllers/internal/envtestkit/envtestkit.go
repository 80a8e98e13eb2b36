// Package envtestkit starts what the envtest suites of the controllers share:
// a local control plane with this project's CRDs (internal/testenv), a
// Spacelift emulator served on a loopback HTTP server, a Secret holding the
// emulator's API key, and a controller-runtime manager on which the suite
// registers its reconcilers. It also holds the helpers those suites use to
// create objects and wait for the reconcilers.
//
// It is for tests only: the suites of controllers, controllers/tenancytest
// and controllers/adminstacktest import it from their TestMain. It must not
// import the controllers package, because the tests inside that package use
// it too; each suite builds its own reconcilers in Options.Setup.
package envtestkit

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/testenv"
)

// The API key the emulator accepts; Suite.Credentials and the credentials
// Secret carry it.
const (
	// APIKeyID is the API key's ID.
	APIKeyID = "test-key"
	// APIKeySecret is the API key's secret.
	APIKeySecret = "test-secret-value" //nolint:gosec // the emulator's test key, not a credential
)

// Options says what differs between the suites.
type Options struct {
	// Namespaces are created before anything else, with their labels and
	// annotations. "default" exists already.
	Namespaces []*corev1.Namespace
	// CredentialsSecret is where the emulator's endpoint and API key are
	// stored (see CredentialsSecret). Required; its namespace must exist or
	// be one of Namespaces.
	CredentialsSecret types.NamespacedName
	// Emulator configures the emulator. The API key is always APIKeyID and
	// APIKeySecret.
	Emulator emulator.Options
	// Seed, when set, is loaded into the emulator before the manager starts.
	Seed *emulator.Seed
	// SchedulerInterval, when positive, runs the emulator's run scheduler at
	// that interval, so that triggered runs advance. Zero leaves runs where
	// they are.
	SchedulerInterval time.Duration
	// Setup registers the suite's reconcilers on Suite.Manager and creates
	// what they need. It is called once everything else has started and
	// before the manager starts.
	Setup func(*Suite) error
}

// Suite is a started environment.
type Suite struct {
	// Scheme knows the client-go types and spacelift.stackwright.io/v1alpha1.
	Scheme *runtime.Scheme
	// Client talks to the API server directly, without the manager's cache,
	// so that a test reads what was last written.
	Client client.Client
	// Manager runs the reconcilers that Options.Setup registers.
	Manager ctrl.Manager
	// Emulator is the Spacelift the reconcilers talk to.
	Emulator *emulator.Server
	// Credentials are the emulator's endpoint and API key.
	Credentials spacelift.Credentials
	// CredentialsSecret is Options.CredentialsSecret, created with
	// Credentials.
	CredentialsSecret types.NamespacedName
	// ClientOptions retry quickly and hardly rate-limit, for the
	// reconcilers' client cache: the emulator answers in microseconds.
	ClientOptions spacelift.Options
	// Spacelift is the test's own client of the emulator, for checking what
	// the reconcilers did there.
	Spacelift *spacelift.Client

	// stops undo what Start did; Stop calls the last added first.
	stops []func()
}

// Run starts the environment, runs the tests and stops the environment. It
// returns the exit code for os.Exit: 1 when the environment did not start,
// with the reason on stderr.
func Run(m *testing.M, opts Options) int {
	ctrl.SetLogger(logr.Discard())
	s, err := Start(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the envtest suite:", err)
		return 1
	}
	defer s.Stop()
	return m.Run()
}

// Start starts the control plane, the emulator and the manager. On error,
// whatever had started is stopped again.
func Start(opts Options) (*Suite, error) {
	if opts.CredentialsSecret.Namespace == "" || opts.CredentialsSecret.Name == "" {
		return nil, errors.New("Options.CredentialsSecret: set the namespace and name of the Secret that holds the emulator's API key")
	}
	s := &Suite{CredentialsSecret: opts.CredentialsSecret}
	if err := s.start(opts); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// start does Start's work, recording in s.stops how to undo each step.
func (s *Suite) start(opts Options) error {
	env, cfg, err := testenv.Start()
	if err != nil {
		return err
	}
	s.OnStop(func() { _ = env.Stop() })

	if err := s.startEmulator(opts); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.OnStop(cancel)
	if opts.SchedulerInterval > 0 {
		go s.Emulator.RunScheduler(ctx, opts.SchedulerInterval)
	}

	s.Scheme = runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s.Scheme); err != nil {
		return fmt.Errorf("adding the client-go types to the scheme: %w", err)
	}
	if err := spaceliftv1alpha1.AddToScheme(s.Scheme); err != nil {
		return fmt.Errorf("adding %s to the scheme: %w", spaceliftv1alpha1.GroupVersion, err)
	}
	if s.Client, err = client.New(cfg, client.Options{Scheme: s.Scheme}); err != nil {
		return fmt.Errorf("building the test's Kubernetes client: %w", err)
	}
	for _, ns := range opts.Namespaces {
		if err := s.Client.Create(ctx, ns); err != nil {
			return fmt.Errorf("creating namespace %s: %w", ns.Name, err)
		}
	}
	if err := s.Client.Create(ctx, CredentialsSecret(opts.CredentialsSecret, s.Credentials)); err != nil {
		return fmt.Errorf("creating the credentials Secret %s: %w", opts.CredentialsSecret, err)
	}

	if s.Manager, err = ctrl.NewManager(cfg, ctrl.Options{Scheme: s.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}}); err != nil {
		return fmt.Errorf("building the manager: %w", err)
	}
	if opts.Setup != nil {
		if err := opts.Setup(s); err != nil {
			return fmt.Errorf("setting up the suite: %w", err)
		}
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := s.Manager.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	// The control plane stops only after the manager has.
	s.OnStop(func() { cancel(); <-stopped })
	return nil
}

// startEmulator serves the emulator on a loopback server and builds the
// test's client of it.
func (s *Suite) startEmulator(opts Options) error {
	eo := opts.Emulator
	eo.APIKeyID, eo.APIKeySecret = APIKeyID, APIKeySecret
	emu, err := emulator.New(eo)
	if err != nil {
		return fmt.Errorf("building the emulator: %w", err)
	}
	s.Emulator = emu
	s.OnStop(func() { _ = emu.Close() })
	if opts.Seed != nil {
		if err := emu.Seed(*opts.Seed); err != nil {
			return fmt.Errorf("seeding the emulator: %w", err)
		}
	}
	srv := httptest.NewServer(emu)
	s.OnStop(srv.Close)
	s.Credentials = spacelift.Credentials{Endpoint: srv.URL, KeyID: APIKeyID, KeySecret: APIKeySecret}
	s.ClientOptions = spacelift.Options{MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, QPS: 500, Burst: 100}
	if s.Spacelift, err = spacelift.New(s.Credentials, s.ClientOptions); err != nil {
		return fmt.Errorf("building the test's Spacelift client: %w", err)
	}
	return nil
}

// Stop stops what Start started, the manager first and the control plane
// last.
func (s *Suite) Stop() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
}

// OnStop adds f to what Stop does. Stop calls f before what was added
// earlier: after stopping the manager when f is added in Options.Setup.
func (s *Suite) OnStop(f func()) { s.stops = append(s.stops, f) }

// CredentialsSecret is a Secret at key holding creds in the keys that
// spacelift.CredentialsFromSecretData reads.
func CredentialsSecret(key types.NamespacedName, creds spacelift.Credentials) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
		StringData: map[string]string{
			spacelift.SecretKeyEndpoint: creds.Endpoint,
			spacelift.SecretKeyID:       creds.KeyID,
			spacelift.SecretKeySecret:   creds.KeySecret,
		},
	}
}

// Eventually calls check every 100ms until it returns nil, and fails the
// test with check's last error when timeout has passed.
func Eventually(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %s: %v", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Create creates obj or fails the test.
func Create(t testing.TB, c client.Client, obj client.Object) {
	t.Helper()
	if err := c.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s/%s: %v", obj, obj.GetNamespace(), obj.GetName(), err)
	}
}

// Update reads obj, applies change and writes it, again on conflicts, until
// the write succeeds or timeout has passed.
func Update[T client.Object](t testing.TB, c client.Client, timeout time.Duration, obj T, change func(T)) {
	t.Helper()
	Eventually(t, timeout, func() error {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		change(obj)
		return c.Update(context.Background(), obj)
	})
}

// WaitCondition reads obj every 100ms until its condition typ has status and
// reason, set for obj's current generation, and returns that condition. It
// fails the test when timeout has passed. obj is a Stack, Policy or
// AdminStack.
func WaitCondition(t testing.TB, c client.Client, timeout time.Duration, obj client.Object, typ string, status metav1.ConditionStatus, reason string) *metav1.Condition {
	t.Helper()
	var got *metav1.Condition
	Eventually(t, timeout, func() error {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		cond := meta.FindStatusCondition(conditionsOf(t, obj), typ)
		switch {
		case cond == nil:
			return fmt.Errorf("%s/%s has no %s condition yet", obj.GetNamespace(), obj.GetName(), typ)
		case cond.Status != status || cond.Reason != reason || cond.ObservedGeneration != obj.GetGeneration():
			return fmt.Errorf("%s/%s %s=%s (%s: %s) at generation %d, want %s (%s) at %d", obj.GetNamespace(), obj.GetName(),
				typ, cond.Status, cond.Reason, cond.Message, cond.ObservedGeneration, status, reason, obj.GetGeneration())
		}
		got = cond
		return nil
	})
	return got
}

// conditionsOf returns the status conditions of one of this project's kinds.
func conditionsOf(t testing.TB, obj client.Object) []metav1.Condition {
	switch o := obj.(type) {
	case *spaceliftv1alpha1.Stack:
		return o.Status.Conditions
	case *spaceliftv1alpha1.Policy:
		return o.Status.Conditions
	case *spaceliftv1alpha1.AdminStack:
		return o.Status.Conditions
	}
	t.Fatalf("WaitCondition: %T is not a Stack, Policy or AdminStack", obj)
	return nil
}
