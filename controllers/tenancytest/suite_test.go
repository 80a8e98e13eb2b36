// Package tenancytest walks the two-team story: one operator, one Spacelift
// API key, tenancy enforced, and two namespaces that must not reach each
// other's stacks.
package tenancytest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stackwright/spacelift-operator/controllers"
	"github.com/stackwright/spacelift-operator/controllers/internal/envtestkit"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/tenancy"
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

// TestMain runs the Stack and Policy reconcilers with tenancy enforced. The
// cluster admin's side is set up first: the operator's namespace and
// credentials, and one namespace per team with its grants; the emulator has a
// space per team.
func TestMain(m *testing.M) {
	os.Exit(envtestkit.Run(m, envtestkit.Options{
		Namespaces: []*corev1.Namespace{
			{ObjectMeta: metav1.ObjectMeta{Name: operatorNS}},
			{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Annotations: map[string]string{tenancy.AnnotationAllowedSpaces: "team-a"}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "team-b", Annotations: map[string]string{tenancy.AnnotationAllowedSpaces: "team-b"}}},
		},
		CredentialsSecret: types.NamespacedName{Namespace: operatorNS, Name: credsSecret},
		Emulator:          emulator.Options{RunStepDuration: 20 * time.Millisecond},
		Seed:              &emulator.Seed{Spaces: []emulator.SeedSpace{{ID: "team-a", Name: "team-a"}, {ID: "team-b", Name: "team-b"}}},
		SchedulerInterval: 20 * time.Millisecond,
		Setup:             setup,
	}))
}

// setup registers the Stack and Policy reconcilers.
func setup(s *envtestkit.Suite) error {
	k8s, emu, sl = s.Client, s.Emulator, s.Spacelift
	mgr := s.Manager
	o := controllers.Options{SyncInterval: syncInterval, MaxConcurrentReconciles: 2,
		Tenancy:          tenancy.Policy{Enforced: true, Grants: map[tenancy.Grant]bool{tenancy.GrantDefaultCredentials: true}},
		ProtectedSecrets: []types.NamespacedName{s.CredentialsSecret}}
	c := &controllers.Credentials{Reader: mgr.GetClient(), Cache: spacelift.NewClientCache(s.ClientOptions), Default: s.CredentialsSecret}
	if err := (&controllers.StackReconciler{Client: mgr.GetClient(), Scheme: s.Scheme, Options: o, Credentials: c,
		Cache: &controllers.StackCache{MaxAge: 200 * time.Millisecond}, Recorder: mgr.GetEventRecorderFor("stack-controller")}).SetupWithManager(mgr); err != nil { //nolint:staticcheck // core/v1 events
		return fmt.Errorf("stack reconciler: %w", err)
	}
	if err := (&controllers.PolicyReconciler{Client: mgr.GetClient(), Scheme: s.Scheme, Options: o, Credentials: c,
		Recorder: mgr.GetEventRecorderFor("policy-controller")}).SetupWithManager(mgr); err != nil { //nolint:staticcheck // core/v1 events
		return fmt.Errorf("policy reconciler: %w", err)
	}
	return nil
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	envtestkit.Create(t, k8s, obj)
}

func eventually(t *testing.T, f func() error) {
	t.Helper()
	envtestkit.Eventually(t, waitTimeout, f)
}

// waitCondition waits for a condition of obj with the status and reason, for
// obj's current generation, and returns its message.
func waitCondition(t *testing.T, obj client.Object, typ string, status metav1.ConditionStatus, reason string) string {
	t.Helper()
	return envtestkit.WaitCondition(t, k8s, waitTimeout, obj, typ, status, reason).Message
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
