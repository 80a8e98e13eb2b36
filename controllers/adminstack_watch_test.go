package controllers

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/adminstack"
)

func TestChildChangeMatters(t *testing.T) {
	owned := func(uid types.UID) metav1.OwnerReference {
		return metav1.OwnerReference{APIVersion: spaceliftv1alpha1.GroupVersion.String(), Kind: "AdminStack", Name: "plat", UID: uid, Controller: new(true)}
	}
	base := func() *spaceliftv1alpha1.Stack {
		s := testChild("a", 2, false, "")
		s.OwnerReferences = []metav1.OwnerReference{owned("u1")}
		s.Annotations = map[string]string{adminstack.AnnotationAppliedHash: "h1"}
		return s
	}
	for _, tc := range []struct {
		name   string
		change func(s *spaceliftv1alpha1.Stack)
		want   bool
	}{
		{"nothing", func(*spaceliftv1alpha1.Stack) {}, false},
		{"a finalizer added", func(s *spaceliftv1alpha1.Stack) { s.Finalizers = []string{"x/y"} }, false},
		{"another annotation", func(s *spaceliftv1alpha1.Stack) { s.Annotations["x/link"] = "https://x" }, false},
		{"a status field the roll-up does not read", func(s *spaceliftv1alpha1.Stack) { s.Status.Conditions[0].Message = "syncing" }, false},
		{"observed generation catches up while not Ready", func(s *spaceliftv1alpha1.Stack) { s.Status.ObservedGeneration = 3 }, false},
		{"turns Ready", func(s *spaceliftv1alpha1.Stack) { s.Status.Conditions[0].Status = metav1.ConditionTrue }, true},
		{"drift detected", func(s *spaceliftv1alpha1.Stack) {
			s.Status.Conditions = append(s.Status.Conditions, metav1.Condition{Type: spaceliftv1alpha1.ConditionDrifted, Status: metav1.ConditionTrue})
		}, true},
		{"stalled", func(s *spaceliftv1alpha1.Stack) {
			s.Status.Conditions = append(s.Status.Conditions, metav1.Condition{Type: spaceliftv1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: "AlreadyExists"})
		}, true},
		{"gets its Spacelift id", func(s *spaceliftv1alpha1.Stack) { s.Status.SpaceliftID = "new" }, true},
		{"spec edited", func(s *spaceliftv1alpha1.Stack) { s.Generation = 3 }, true},
		{"being deleted", func(s *spaceliftv1alpha1.Stack) { now := metav1.Now(); s.DeletionTimestamp = &now }, true},
		{"applied hash changed", func(s *spaceliftv1alpha1.Stack) { s.Annotations[adminstack.AnnotationAppliedHash] = "h2" }, true},
		{"another controller", func(s *spaceliftv1alpha1.Stack) { s.OwnerReferences = []metav1.OwnerReference{owned("u2")} }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, cur := base(), base()
			tc.change(cur)
			if got := childChangeMatters(old, cur); got != tc.want {
				t.Errorf("childChangeMatters = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestControllingAdminStack(t *testing.T) {
	ref := func(apiVersion, kind string, controller bool) metav1.OwnerReference {
		return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: "plat", UID: "u1", Controller: new(controller)}
	}
	gv := spaceliftv1alpha1.GroupVersion.String()
	for _, tc := range []struct {
		name string
		refs []metav1.OwnerReference
		want bool
	}{
		{"no owner", nil, false},
		{"an AdminStack controls it", []metav1.OwnerReference{ref(gv, "AdminStack", true)}, true},
		{"an AdminStack owns it without controlling it", []metav1.OwnerReference{ref(gv, "AdminStack", false)}, false},
		{"a kind of another group", []metav1.OwnerReference{ref("example.com/v1", "AdminStack", true)}, false},
		{"another kind", []metav1.OwnerReference{ref(gv, "Stack", true)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testChild("a", 2, true, "")
			s.Namespace, s.OwnerReferences = "ns", tc.refs
			got, ok := controllingAdminStack(s)
			if ok != tc.want || (ok && got != (types.NamespacedName{Namespace: "ns", Name: "plat"})) {
				t.Errorf("controllingAdminStack = %v, %v; want ns/plat: %v", got, ok, tc.want)
			}
		})
	}
}

func TestChildEventDelay(t *testing.T) {
	for _, tc := range []struct {
		children int
		want     time.Duration
	}{
		{0, 2 * time.Second},
		{1000, 2 * time.Second},
		{5000, 10 * time.Second},
		{10000, 20 * time.Second},
		{100000, 30 * time.Second},
	} {
		if got := childEventDelay(tc.children); got != tc.want {
			t.Errorf("childEventDelay(%d) = %s, want %s", tc.children, got, tc.want)
		}
	}
	var d childEventDelays
	name := types.NamespacedName{Namespace: "ns", Name: "plat"}
	if got := d.get(name); got != minChildEventDelay {
		t.Errorf("an AdminStack not reconciled yet waits %s, want %s", got, minChildEventDelay)
	}
	d.set(name, 5000)
	if got := d.get(name); got != 10*time.Second {
		t.Errorf("after a reconcile that saw 5000 children: %s, want 10s", got)
	}
	d.forget(name)
	if got := d.get(name); got != minChildEventDelay {
		t.Errorf("after forget: %s, want %s", got, minChildEventDelay)
	}
}
