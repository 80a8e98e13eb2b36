// Package tenancytest walks the two-team story: one operator, one Spacelift
// API key, tenancy enforced, and two namespaces that must not reach each
// other's stacks.
package tenancytest

import (
	"context"
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
	"github.com/stackwright/spacelift-operator/controllers"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/tenancy"
	"github.com/stackwright/spacelift-operator/internal/testenv"
)

var (
	k8s client.Client
	emu *emulator.Server
	sl  *spacelift.Client
)

const (
	operatorNS   = "spacelift-system"
	credsSecret  = "spacelift-credentials"
	syncInterval = 2 * time.Second
	waitTimeout  = 30 * time.Second
)

func TestMain(m *testing.M) { os.Exit(runSuite(m)) }

func runSuite(m *testing.M) int {
	ctrl.SetLogger(logr.Discard())
	env, cfg, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, err); return 1 }

	if emu, err = emulator.New(emulator.Options{APIKeyID: "test-key", APIKeySecret: "test-secret-value", RunStepDuration: 20 * time.Millisecond}); err != nil {
		return fail(err)
	}
	if err := emu.Seed(emulator.Seed{Spaces: []emulator.SeedSpace{{ID: "team-a", Name: "team-a"}, {ID: "team-b", Name: "team-b"}}}); err != nil {
		return fail(err)
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go emu.RunScheduler(ctx, 20*time.Millisecond)

	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = spaceliftv1alpha1.AddToScheme(scheme)
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return fail(err)
	}
	creds := spacelift.Credentials{Endpoint: srv.URL, KeyID: "test-key", KeySecret: "test-secret-value"}
	fast := spacelift.Options{MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, QPS: 500, Burst: 100, Metrics: &spacelift.Metrics{}}
	if sl, err = spacelift.New(creds, fast); err != nil {
		return fail(err)
	}
	// The cluster admin's side: the operator's namespace and key, and one
	// namespace per team with its grants.
	for _, ns := range []*corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: operatorNS}},
		{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Annotations: map[string]string{tenancy.AnnotationAllowedSpaces: "team-a"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "team-b", Annotations: map[string]string{tenancy.AnnotationAllowedSpaces: "team-b"}}},
	} {
		if err := k8s.Create(ctx, ns); err != nil {
			return fail(err)
		}
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: operatorNS, Name: credsSecret}, StringData: map[string]string{
		"SPACELIFT_API_KEY_ENDPOINT": creds.Endpoint, "SPACELIFT_API_KEY_ID": creds.KeyID, "SPACELIFT_API_KEY_SECRET": creds.KeySecret}}
	if err := k8s.Create(ctx, secret); err != nil {
		return fail(err)
	}

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		return fail(err)
	}
	o := controllers.Options{SyncInterval: syncInterval, MaxConcurrentReconciles: 2,
		Tenancy:          tenancy.Policy{Enforced: true, Grants: map[tenancy.Grant]bool{tenancy.GrantDefaultCredentials: true}},
		ProtectedSecrets: []types.NamespacedName{{Namespace: operatorNS, Name: credsSecret}}}
	c := &controllers.Credentials{Reader: mgr.GetClient(), Cache: spacelift.NewClientCache(fast), Default: client.ObjectKeyFromObject(secret)}
	if err := (&controllers.StackReconciler{Client: mgr.GetClient(), Scheme: scheme, Options: o, Credentials: c,
		Cache: &controllers.StackCache{MaxAge: 200 * time.Millisecond}, Recorder: mgr.GetEventRecorderFor("stack-controller")}).SetupWithManager(mgr); err != nil { //nolint:staticcheck // core/v1 events
		return fail(err)
	}
	if err := (&controllers.PolicyReconciler{Client: mgr.GetClient(), Scheme: scheme, Options: o, Credentials: c,
		Recorder: mgr.GetEventRecorderFor("policy-controller")}).SetupWithManager(mgr); err != nil { //nolint:staticcheck // core/v1 events
		return fail(err)
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	return m.Run()
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %s/%s: %v", obj.GetNamespace(), obj.GetName(), err)
	}
}

func eventually(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitCondition waits for a condition of obj with the status and reason and
// returns its message.
func waitCondition(t *testing.T, obj client.Object, typ string, status metav1.ConditionStatus, reason string) string {
	t.Helper()
	var msg string
	eventually(t, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		var conds []metav1.Condition
		switch o := obj.(type) {
		case *spaceliftv1alpha1.Stack:
			conds = o.Status.Conditions
		case *spaceliftv1alpha1.Policy:
			conds = o.Status.Conditions
		}
		c := meta.FindStatusCondition(conds, typ)
		if c == nil || c.Status != status || c.Reason != reason {
			return fmt.Errorf("%s/%s %s = %+v, want %s/%s", obj.GetNamespace(), obj.GetName(), typ, c, status, reason)
		}
		msg = c.Message
		return nil
	})
	return msg
}

func deleteAndWaitGone(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Delete(context.Background(), obj); err != nil {
		t.Fatalf("deleting %s: %v", obj.GetName(), err)
	}
	eventually(t, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err == nil {
			return fmt.Errorf("%s/%s still exists", obj.GetNamespace(), obj.GetName())
		}
		return nil
	})
}
