package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// step is a preamble step of a reconcile; stop ends the reconcile after it
// (the scope says why).
type step func(ctx context.Context) (stop bool, err error)

// begin runs what every synced kind does before its phases. A suspended
// object is left alone unless it is being deleted; a live one is admitted
// (admission problems stall it before anything is read); every one is
// connected to Spacelift. proceed is false when the reconcile ends here.
func begin(ctx context.Context, obj client.Object, suspended bool, admit, connect step) (proceed bool, err error) {
	live := obj.GetDeletionTimestamp().IsZero()
	if suspended && live {
		return false, nil
	}
	if live {
		if stop, err := admit(ctx); stop || err != nil {
			return false, err
		}
	}
	if stop, err := connect(ctx); stop || err != nil {
		return false, err
	}
	return true, nil
}

// ensureFinalizer puts the finalizer on a live object before its first write
// to Spacelift. A new object has written nothing yet: its finalizer goes out
// with its create-pending mark (or its adopted id), one update instead of
// two; one with a recorded id gets it now.
func ensureFinalizer(ctx context.Context, c client.Client, obj client.Object) error {
	if controllerutil.AddFinalizer(obj, spaceliftv1alpha1.Finalizer) && obj.GetAnnotations()[spaceliftv1alpha1.AnnotationSpaceliftID] != "" {
		return updateMeta(ctx, c, obj)
	}
	return nil
}

// released reports whether the object is being deleted and its finalizer is
// gone: nothing of it may be written any more.
func released(obj client.Object) bool {
	return !obj.GetDeletionTimestamp().IsZero() && !controllerutil.ContainsFinalizer(obj, spaceliftv1alpha1.Finalizer)
}

// endReconcile is the one status write of a reconcile: obj's status is
// patched against before when changed. A failed reconcile returns no
// requeue (the error backs off); a stalled one is looked at again after
// interval, because Secrets are not watched and a fixed one must be noticed.
func endReconcile(ctx context.Context, c client.Client, obj, before client.Object, changed, stalled bool, interval time.Duration, result *ctrl.Result, retErr *error) {
	if changed {
		if err := c.Status().Patch(ctx, obj, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
			*retErr = errors.Join(*retErr, fmt.Errorf("patching status: %w", err))
		}
	}
	if *retErr != nil {
		*result = ctrl.Result{}
	} else if stalled && result.RequeueAfter == 0 {
		*result = ctrl.Result{RequeueAfter: jitter(interval)}
	}
}
