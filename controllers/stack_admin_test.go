package controllers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
)

// spaceAdminRoleID is the id the emulator gives the built-in Space Admin role.
func spaceAdminRoleID(t *testing.T) string {
	t.Helper()
	roles, err := sl.ListRoles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if r.Slug == spaceAdminRole {
			return r.ID
		}
	}
	t.Fatalf("the emulator has no role with slug %s: %+v", spaceAdminRole, roles)
	return ""
}

// recordedBinding waits for the binding key to be recorded on s and returns
// the binding's Spacelift id.
func recordedBinding(t *testing.T, s *spaceliftv1alpha1.Stack, key string) string {
	t.Helper()
	var id string
	eventually(t, 20*time.Second, func() error {
		if err := k8s.Get(context.Background(), keyOf(s), s); err != nil {
			return err
		}
		recorded := map[string]string{}
		if v := s.Annotations[annotationRoleBindings]; v != "" {
			if err := json.Unmarshal([]byte(v), &recorded); err != nil {
				return err
			}
		}
		if id = recorded[key]; id == "" {
			return fmt.Errorf("binding %s not recorded: %v", key, recorded)
		}
		return nil
	})
	return id
}

func hasEvent(t *testing.T, obj client.Object, reason string) bool {
	t.Helper()
	var events corev1.EventList
	if err := k8s.List(context.Background(), &events, client.InNamespace(obj.GetNamespace())); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		if e.InvolvedObject.Name == obj.GetName() && e.Reason == reason {
			return true
		}
	}
	return false
}

// A Stack with the deprecated spec.administrative is created without the flag
// (Spacelift refuses it) and gets the Space Admin role on its space instead.
func TestStackAdministrativeBecomesRoleBinding(t *testing.T) {
	if err := emu.Seed(emulator.Seed{Spaces: []emulator.SeedSpace{{ID: "admins", Name: "admins"}}}); err != nil {
		t.Fatal(err)
	}
	s := newStack("legacy-admin", func(spec *spaceliftv1alpha1.StackSpec) {
		spec.Administrative = true
		spec.Space = "admins"
	})
	create(t, s)
	defer deleteAndWaitGone(t, s)
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	id := recordedBinding(t, s, "space-admin@admins")
	rb, err := sl.GetStackRoleBinding(context.Background(), id)
	if err != nil || rb.StackID != "legacy-admin" || rb.RoleID != spaceAdminRoleID(t) || rb.SpaceID != "admins" {
		t.Fatalf("binding = %+v, err %v; want the Space Admin role in space admins", rb, err)
	}
	st, err := spaceliftStack(t, "legacy-admin")
	if err != nil || st.Administrative {
		t.Fatalf("stack = %+v, err %v; want no administrative flag", st, err)
	}
	eventually(t, 5*time.Second, func() error {
		if !hasEvent(t, s, "AdministrativeDeprecated") {
			return fmt.Errorf("no AdministrativeDeprecated event")
		}
		return nil
	})
}

// A stack that still carries the administrative flag in Spacelift is migrated
// in place: the binding is created, the flag turned off, the stack kept.
func TestStackAdministrativeMigration(t *testing.T) {
	s := newStack("migrate-admin", func(spec *spaceliftv1alpha1.StackSpec) { spec.Administrative = true })
	create(t, s)
	defer deleteAndWaitGone(t, s)
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	before, err := spaceliftStack(t, "migrate-admin")
	if err != nil {
		t.Fatal(err)
	}
	// The flag as an older operator (or the UI, before 2026-06-01) left it.
	if err := emu.Seed(emulator.Seed{AdministrativeStacks: []string{"migrate-admin"}}); err != nil {
		t.Fatal(err)
	}
	if st, err := spaceliftStack(t, "migrate-admin"); err != nil || !st.Administrative {
		t.Fatalf("seeding the flag did not take: %+v, %v", st, err)
	}
	eventually(t, 3*syncInterval+10*time.Second, func() error {
		st, err := spaceliftStack(t, "migrate-admin")
		if err != nil {
			return err
		}
		if st.Administrative {
			return fmt.Errorf("the administrative flag is still set")
		}
		if !st.CreatedAt.Equal(before.CreatedAt) {
			return fmt.Errorf("the stack was recreated (created at %v, was %v)", st.CreatedAt, before.CreatedAt)
		}
		return nil
	})
	id := recordedBinding(t, s, "space-admin@root")
	if rb, err := sl.GetStackRoleBinding(context.Background(), id); err != nil || rb.RoleID != spaceAdminRoleID(t) || rb.SpaceID != "root" {
		t.Fatalf("binding = %+v, err %v", rb, err)
	}
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
}

// enumFault sits between the operator and the emulator. While on, it answers
// every query (not the mutations, so the API key exchange works) the way a
// GraphQL server does when a value leaves its enum: an error and null data.
type enumFault struct {
	on       atomic.Bool
	answered atomic.Int32
	proxy    *httputil.ReverseProxy
}

func (f *enumFault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(body, &req)
	if f.on.Load() && !strings.HasPrefix(strings.TrimSpace(req.Query), "mutation") {
		f.answered.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":null,"errors":[{"message":"Enum \"StackState\" cannot represent value: \"READY\"","path":["stack","state"]}]}`))
		return
	}
	f.proxy.ServeHTTP(w, r)
}

// The envtest story "a read fails with a bad enum value, then recovers": the
// stack is never Stalled, reports SpaceliftUnavailable while reads fail and
// becomes Ready on its own once they succeed again.
func TestStackReadFailureIsNotTerminal(t *testing.T) {
	target, err := url.Parse(creds.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	fault := &enumFault{proxy: httputil.NewSingleHostReverseProxy(target)}
	fault.on.Store(true)
	srv := httptest.NewServer(fault)
	defer srv.Close()
	proxied := creds
	proxied.Endpoint = srv.URL
	secret := credentialsSecret("enum-fault-credentials", proxied)
	create(t, secret)
	defer func() { _ = k8s.Delete(context.Background(), secret) }()

	s := newStack("enum-fault", func(spec *spaceliftv1alpha1.StackSpec) {
		spec.CredentialsRef = &spaceliftv1alpha1.LocalObjectReference{Name: secret.Name}
	})
	create(t, s)
	defer deleteAndWaitGone(t, s)
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionFalse, spaceliftv1alpha1.ReasonSpaceliftUnavailable)
	if c, err := conditionOf(s, func() []metav1.Condition { return s.Status.Conditions }, spaceliftv1alpha1.ConditionStalled); err != nil || c.Status != metav1.ConditionFalse {
		t.Fatalf("Stalled = %+v (%v) while reads fail; a failed read must never stall", c, err)
	}
	if fault.answered.Load() == 0 {
		t.Fatal("the fault never answered a read")
	}
	fault.on.Store(false)
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	if _, err := sl.GetStack(context.Background(), "enum-fault"); err != nil {
		t.Fatalf("the stack is not in Spacelift after recovery: %v", err)
	}
}
