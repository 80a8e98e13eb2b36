package controllers

import (
	"math/rand/v2"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// intervalOr returns d, or def when d is unset or not positive.
func intervalOr(d *metav1.Duration, def time.Duration) time.Duration {
	if d == nil || d.Duration <= 0 {
		return def
	}
	return d.Duration
}

// jitter spreads requeues over [d, 1.1·d) so that objects created together do
// not poll Spacelift together.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

// isStalledWith reports whether conditions already say Stalled=True with
// reason (any reason when reason is empty).
func isStalledWith(conditions []metav1.Condition, reason string) bool {
	c := meta.FindStatusCondition(conditions, spaceliftv1alpha1.ConditionStalled)
	return c != nil && c.Status == metav1.ConditionTrue && (reason == "" || c.Reason == reason)
}

// webURL is the Spacelift page of an object, from the GraphQL endpoint.
func webURL(endpoint, kind, id string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(endpoint, "/"), "/graphql")
	return base + "/" + kind + "/" + id
}

// reconcileRequest returns the value of the reconcile-now annotation when it
// asks for a reconcile not handled yet.
func reconcileRequest(obj metav1.Object, handled string) string {
	if v := obj.GetAnnotations()[spaceliftv1alpha1.AnnotationReconcileRequestedAt]; v != "" && v != handled {
		return v
	}
	return ""
}
