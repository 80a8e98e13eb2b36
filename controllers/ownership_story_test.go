package controllers

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// A tenant that names another tenant's Spacelift stack (by spec.name, with
// adoptExisting and deletionPolicy Destroy, or by writing the id annotation
// itself) is Stalled with the owner named, never writes to the stack, and
// deleting its object leaves the stack alone.
func TestStackOwnedByAnotherNamespace(t *testing.T) {
	create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "evil"}})
	victim := newStack("payments-db", nil)
	create(t, victim)
	defer deleteAndWaitGone(t, victim)
	waitStackCondition(t, victim, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	before, err := spaceliftStack(t, "payments-db")
	if err != nil {
		t.Fatal(err)
	}

	byName := newStack("grab", func(spec *spaceliftv1alpha1.StackSpec) {
		spec.Name = "payments-db"
		spec.AdoptExisting = true
		spec.DeletionPolicy = spaceliftv1alpha1.DeletionPolicyDestroy
		spec.Description = "mine now"
	})
	byName.Namespace = "evil"
	create(t, byName)
	c := waitStackCondition(t, byName, spaceliftv1alpha1.ConditionStalled, metav1.ConditionTrue, spaceliftv1alpha1.ReasonOwnedByAnother)
	if want := `Spacelift stack "payments-db" is managed by the Stack payments-db in namespace default; this object may not write, adopt or delete it: give it another spec.name`; c.Message != want {
		t.Errorf("message = %q", c.Message)
	}

	byID := newStack("grab-by-id", func(spec *spaceliftv1alpha1.StackSpec) {
		spec.DeletionPolicy = spaceliftv1alpha1.DeletionPolicyDestroy
		spec.Description = "mine now"
	})
	byID.Namespace = "evil"
	byID.Annotations = map[string]string{spaceliftv1alpha1.AnnotationSpaceliftID: "payments-db"}
	create(t, byID)
	waitStackCondition(t, byID, spaceliftv1alpha1.ConditionStalled, metav1.ConditionTrue, spaceliftv1alpha1.ReasonOwnedByAnother)

	deleteAndWaitGone(t, byName)
	deleteAndWaitGone(t, byID)
	after, err := spaceliftStack(t, "payments-db")
	if err != nil {
		t.Fatalf("the victim's stack is gone: %v", err)
	}
	if after.Description != before.Description || fmt.Sprint(after.Labels) != fmt.Sprint(before.Labels) {
		t.Errorf("the victim's stack was written: description %q, labels %v (was %q, %v)", after.Description, after.Labels, before.Description, before.Labels)
	}
	eventually(t, 5*time.Second, func() error {
		if !hasEvent(t, byID, "NotDeleted") {
			return fmt.Errorf("no NotDeleted event for %s", byID.Name)
		}
		return nil
	})
	if _, err := spaceliftStack(t, "payments-db"); err != nil {
		t.Fatal(err)
	}
}
