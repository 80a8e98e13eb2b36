package controllers

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// verdict is how a reconcile treats an error from one of its phases.
type verdict struct {
	// stalled is set for problems a person has to fix; nothing is retried.
	stalled *condition
	// transient is set for Spacelift failures retried with backoff.
	transient bool
	result    ctrl.Result
	err       error
}

// judge classifies a phase error: bad credentials and input Spacelift
// rejected stall; update conflicts are requeued silently; rate limiting is
// requeued after Retry-After; everything else is returned for backoff.
// what names the object for messages, e.g. "stack".
func judge(err error, what string) verdict {
	if ce, ok := asCredentialsError(err); ok {
		return verdict{stalled: &condition{ce.reason, ce.msg}}
	}
	if spacelift.IsInvalidInput(err) {
		return verdict{stalled: &condition{spaceliftv1alpha1.ReasonRejectedBySpacelift, "Spacelift rejected the " + what + ": " + err.Error()}}
	}
	if apierrors.IsConflict(err) {
		return verdict{result: ctrl.Result{RequeueAfter: time.Second}}
	}
	if d, ok := spacelift.RetryAfter(err); ok {
		return verdict{transient: true, result: ctrl.Result{RequeueAfter: d}}
	}
	return verdict{transient: true, err: err}
}

// connect finds the Spacelift client for an object and wraps it in the API
// its reconciler uses (wrap may be nil for the client itself). Credentials
// problems come back as a stalled condition.
func connect[API any](ctx context.Context, creds *Credentials, namespace string, ref *spaceliftv1alpha1.LocalObjectReference,
	wrap func(*spacelift.Client) API, plain func(*spacelift.Client) API) (api API, endpoint string, stalled *condition, err error) {
	cl, err := creds.For(ctx, namespace, ref)
	if ce, ok := asCredentialsError(err); ok {
		return api, "", &condition{ce.reason, ce.msg}, nil
	}
	if err != nil {
		return api, "", nil, err
	}
	if wrap == nil {
		wrap = plain
	}
	return wrap(cl), cl.Endpoint(), nil, nil
}
