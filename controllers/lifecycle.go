package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// prelude runs what every synced kind does before its phases. A suspended
// object is left alone unless it is being deleted; a live one is admitted
// (admission problems stall it before anything is read); every one is
// connected to Spacelift; an object being deleted goes to remove; a live
// one gets its finalizer (see ensureFinalizer). stalled tells whether admit
// or connect stalled the object. done is true when the reconcile ends with
// res and err.
func prelude(ctx context.Context, c client.Client, obj client.Object, suspended bool, stalled func() bool,
	admit, connect func(context.Context) error, remove func(context.Context) (ctrl.Result, error)) (done bool, res ctrl.Result, err error) {
	live := obj.GetDeletionTimestamp().IsZero()
	if suspended && live {
		return true, ctrl.Result{}, nil
	}
	if live {
		if err := admit(ctx); err != nil || stalled() {
			return true, ctrl.Result{}, err
		}
	}
	if err := connect(ctx); err != nil || stalled() {
		return true, ctrl.Result{}, err
	}
	if !live {
		res, err := remove(ctx)
		return true, res, err
	}
	if err := ensureFinalizer(ctx, c, obj); err != nil {
		return true, ctrl.Result{}, err
	}
	return false, ctrl.Result{}, nil
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
// patched against before when it differs from it and from the status this
// operator last wrote for the object (memo): a reconcile that read the
// object before its own last status write reached the cache would otherwise
// write the same status again. A failed reconcile returns no requeue (the
// error backs off); a stalled one is looked at again after interval,
// because Secrets are not watched and a fixed one must be noticed.
func endReconcile(ctx context.Context, c client.Client, memo *statusMemo, obj, before client.Object, status any, changed, stalled bool,
	interval time.Duration, result *ctrl.Result, retErr *error) {
	if changed && memo.changed(obj, status) {
		if err := patchStatus(ctx, c, obj, before); err != nil && !apierrors.IsNotFound(err) {
			memo.forget(obj)
			*retErr = errors.Join(*retErr, fmt.Errorf("patching status: %w", err))
		}
	}
	if *retErr != nil {
		*result = ctrl.Result{}
	} else if stalled && result.RequeueAfter == 0 {
		*result = ctrl.Result{RequeueAfter: jitter(interval)}
	}
}

// patchStatus writes obj's status as a merge patch against before, and
// reads back only the metadata (see patchLean).
func patchStatus(ctx context.Context, c client.Client, obj, before client.Object) error {
	data, err := client.MergeFrom(before).Data(obj)
	if err != nil {
		return fmt.Errorf("computing the status patch: %w", err)
	}
	return writeLean(c, obj, func(meta *metav1.PartialObjectMetadata) error {
		return c.Status().Patch(ctx, meta, client.RawPatch(types.MergePatchType, data))
	})
}

// statusMemo remembers, per object, a digest of the status last written.
type statusMemo struct {
	last sync.Map // types.UID -> [32]byte
}

// changed reports whether status differs from the one last written for
// obj, and remembers it as written.
func (m *statusMemo) changed(obj client.Object, status any) bool {
	b, err := json.Marshal(status)
	if err != nil {
		return true
	}
	sum := sha256.Sum256(b)
	prev, loaded := m.last.Swap(obj.GetUID(), sum)
	return !loaded || prev.([32]byte) != sum
}

// forget drops what is remembered of obj: after a failed write, or when the
// object goes away.
func (m *statusMemo) forget(obj client.Object) { m.last.Delete(obj.GetUID()) }

// listRequests lists the objects of list matching opts and returns a
// reconcile request for each: the body of the watch mappers. what names
// them in the log line of a failed list.
func listRequests(ctx context.Context, c client.Reader, list client.ObjectList, what string, opts ...client.ListOption) []ctrl.Request {
	if err := c.List(ctx, list, opts...); err != nil {
		log.FromContext(ctx).Error(err, "listing "+what)
		return nil
	}
	items, err := apimeta.ExtractList(list)
	if err != nil {
		log.FromContext(ctx).Error(err, "reading the list of "+what)
		return nil
	}
	reqs := make([]ctrl.Request, 0, len(items))
	for _, item := range items {
		if o, ok := item.(client.Object); ok {
			reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(o)})
		}
	}
	return reqs
}

// recordCreated records the id of a Spacelift object (kind "stack" or
// "policy") that this reconcile created, with its external link, and tells
// the user; recreated says that the object had existed and was deleted
// outside Kubernetes.
func recordCreated(ctx context.Context, c client.Client, rec record.EventRecorder, obj client.Object, kind, endpoint, id string, recreated bool) error {
	if err := recordID(ctx, c, obj, id, webURL(endpoint, kind, id)); err != nil {
		return err
	}
	if recreated {
		rec.Eventf(obj, corev1.EventTypeWarning, "Recreated", "Spacelift %s %s was deleted outside Kubernetes; recreated it", kind, id)
	} else {
		rec.Eventf(obj, corev1.EventTypeNormal, "Created", "Created Spacelift %s %s", kind, id)
	}
	return nil
}
