package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// The reconcile-now annotation forces a fresh read of Spacelift and is
// recorded as handled in status.
func TestReconcileRequestedAt(t *testing.T) {
	s := newStack("reconcile-now", nil)
	create(t, s)
	defer deleteAndWaitGone(t, s)
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	update(t, s, func() {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[spaceliftv1alpha1.AnnotationReconcileRequestedAt] = "2026-12-01T01:00:00Z"
	})
	eventually(t, 10*time.Second, func() error {
		if err := k8s.Get(context.Background(), keyOf(s), s); err != nil {
			return err
		}
		if got := s.Status.LastHandledReconcileAt; got != "2026-12-01T01:00:00Z" {
			return fmt.Errorf("lastHandledReconcileAt = %q", got)
		}
		return nil
	})
}
