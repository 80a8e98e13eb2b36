package controllers

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

func TestQuietWait(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	stack := func(age time.Duration, observed int64, conds ...metav1.Condition) *spaceliftv1alpha1.Stack {
		s := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(now.Add(-age))}}
		s.Status.ObservedGeneration, s.Status.Conditions = observed, conds
		return s
	}
	waiting := metav1.Condition{Type: spaceliftv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: spaceliftv1alpha1.ReasonDependencyNotReady}
	for _, tc := range []struct {
		name string
		obj  *spaceliftv1alpha1.Stack
		wait refWait
		want bool
	}{
		{"new object, dependency on its way", stack(time.Second, 0), waitSettling, true},
		{"new object, dependency stalled or suspended", stack(time.Second, 0), waitStuck, false},
		{"wait outlasted the limit", stack(quietWaitLimit, 0), waitSettling, false},
		{"wait outlasted the limit, dependency not reconciled yet", stack(quietWaitLimit, 0), waitUnseen, true},
		{"status already written", stack(time.Second, 1, waiting), waitUnseen, false},
		{"conditions without an observed generation", stack(time.Second, 0, waiting), waitSettling, false},
	} {
		if got := quietWait(tc.obj, tc.wait, now); got != tc.want {
			t.Errorf("%s: quietWait = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestResolveRefsWait(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := spaceliftv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	stalled := []metav1.Condition{{Type: spaceliftv1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: spaceliftv1alpha1.ReasonInvalidSpec}}
	dep := func(name string, mutate func(*spaceliftv1alpha1.Stack)) *spaceliftv1alpha1.Stack {
		s := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team"}}
		mutate(s)
		return s
	}
	policy := func(name string, conds []metav1.Condition) *spaceliftv1alpha1.Policy {
		p := &spaceliftv1alpha1.Policy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team"}}
		p.Status.Conditions = conds
		return p
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(
		dep("creating", func(s *spaceliftv1alpha1.Stack) { // reconciled; its create not confirmed yet
			s.Annotations = map[string]string{spaceliftv1alpha1.AnnotationSpaceliftID: "creating"}
			s.Status.ObservedGeneration = 1
			s.Status.Conditions = []metav1.Condition{{Type: spaceliftv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: "Reconciling"}}
		}),
		dep("unreconciled", func(*spaceliftv1alpha1.Stack) {}),
		dep("stalled", func(s *spaceliftv1alpha1.Stack) { s.Status.Conditions = stalled }),
		dep("suspended", func(s *spaceliftv1alpha1.Stack) { s.Spec.Suspend = true }),
		dep("ready", func(s *spaceliftv1alpha1.Stack) {
			s.Annotations = map[string]string{spaceliftv1alpha1.AnnotationSpaceliftID: "ready"}
			s.Status.SpaceliftID = "ready"
		}),
		policy("new-policy", nil),
		policy("stalled-policy", stalled),
	).Build()

	for _, tc := range []struct {
		name       string
		dependsOn  string
		policy     string
		wantReason string
		wantWait   refWait
	}{
		{"dependency create under way", "creating", "", spaceliftv1alpha1.ReasonDependencyNotReady, waitSettling},
		{"dependency not reconciled yet", "unreconciled", "", spaceliftv1alpha1.ReasonDependencyNotReady, waitUnseen},
		{"dependency stalled", "stalled", "", spaceliftv1alpha1.ReasonDependencyNotReady, waitStuck},
		{"dependency suspended", "suspended", "", spaceliftv1alpha1.ReasonDependencyNotReady, waitStuck},
		{"dependency missing", "absent", "", spaceliftv1alpha1.ReasonReferenceNotFound, waitStuck},
		{"policy on its way", "ready", "new-policy", spaceliftv1alpha1.ReasonDependencyNotReady, waitUnseen},
		{"policy stalled", "ready", "stalled-policy", spaceliftv1alpha1.ReasonDependencyNotReady, waitStuck},
		{"everything ready", "ready", "", "", waitStuck},
	} {
		obj := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "team"}}
		obj.Spec.Dependencies = []spaceliftv1alpha1.StackDependency{{StackRef: &spaceliftv1alpha1.LocalObjectReference{Name: tc.dependsOn}}}
		if tc.policy != "" {
			obj.Spec.Policies = []spaceliftv1alpha1.PolicyReference{{Name: tc.policy}}
		}
		res, problem, err := resolveStackRefs(context.Background(), c, obj)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		reason := ""
		if problem != nil {
			reason = problem.reason
		}
		if reason != tc.wantReason || res.wait != tc.wantWait {
			t.Errorf("%s: reason %q wait %v, want %q %v", tc.name, reason, res.wait, tc.wantReason, tc.wantWait)
		}
	}
}
