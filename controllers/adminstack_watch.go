package controllers

import (
	"context"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/adminstack"
)

// Child events wait before their AdminStack is reconciled. The work queue
// keeps one entry per AdminStack, so every child event of that window ends in
// the same reconcile: while 1000 children turn Ready one after the other, the
// AdminStack rolls them up and patches its status once per window instead of
// once per child. A roll-up reads every child, so the window grows with the
// children (childEventDelayPerChild each, from 1000 children on, between
// minChildEventDelay and maxChildEventDelay): the roll-up work of a burst of
// events then grows linearly with the children, not with their square.
const (
	minChildEventDelay      = 2 * time.Second
	childEventDelayPerChild = 2 * time.Millisecond
	maxChildEventDelay      = 30 * time.Second
)

// childEventDelay is the window of an AdminStack with n children.
func childEventDelay(n int) time.Duration {
	return min(max(minChildEventDelay, time.Duration(n)*childEventDelayPerChild), maxChildEventDelay)
}

// childEventDelays holds the window of each AdminStack, from the number of
// children its last reconcile saw; an AdminStack not reconciled yet has the
// shortest.
type childEventDelays struct {
	m sync.Map // types.NamespacedName → time.Duration
}

func (d *childEventDelays) set(name types.NamespacedName, children int) {
	d.m.Store(name, childEventDelay(children))
}

func (d *childEventDelays) get(name types.NamespacedName) time.Duration {
	if v, ok := d.m.Load(name); ok {
		return v.(time.Duration)
	}
	return minChildEventDelay
}

func (d *childEventDelays) forget(name types.NamespacedName) { d.m.Delete(name) }

// childEvents enqueues the controlling AdminStack of a child Stack or
// AdminStack, its window later, when the child appears, disappears, or
// changes in a way the AdminStack acts on (see childChangeMatters). Changes
// that matter to nobody but the child's own controller (its finalizer, its
// external-link annotation, a status field the roll-up does not read) are
// dropped here and cost the AdminStack nothing.
func childEvents(delays *childEventDelays) handler.EventHandler {
	enqueue := func(obj client.Object, q workqueue.TypedRateLimitingInterface[ctrl.Request]) {
		if owner, ok := controllingAdminStack(obj); ok {
			q.AddAfter(ctrl.Request{NamespacedName: owner}, delays.get(owner))
		}
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[ctrl.Request]) {
			enqueue(e.Object, q)
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[ctrl.Request]) {
			if !childChangeMatters(e.ObjectOld, e.ObjectNew) {
				return
			}
			enqueue(e.ObjectOld, q)
			enqueue(e.ObjectNew, q)
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[ctrl.Request]) {
			enqueue(e.Object, q)
		},
		GenericFunc: func(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[ctrl.Request]) {
			enqueue(e.Object, q)
		},
	}
}

// controllingAdminStack names the AdminStack that controls obj, if one does.
func controllingAdminStack(obj client.Object) (types.NamespacedName, bool) {
	ref := metav1.GetControllerOf(obj)
	if ref == nil || ref.Kind != "AdminStack" {
		return types.NamespacedName{}, false
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil || gv.Group != spaceliftv1alpha1.GroupVersion.Group {
		return types.NamespacedName{}, false
	}
	return types.NamespacedName{Namespace: obj.GetNamespace(), Name: ref.Name}, true
}

// childChangeMatters reports whether an update of a child changes what its
// AdminStack reads from it: the roll-up's view (readiness for the current
// generation, drift, Stalled reason, Spacelift id, names), the generation (a
// spec edit), the start of a deletion, the applied-hash annotation (which
// decides whether the child is applied again) or the controller.
func childChangeMatters(old, cur client.Object) bool {
	switch {
	case observeChild(old) != observeChild(cur),
		old.GetGeneration() != cur.GetGeneration(),
		old.GetDeletionTimestamp().IsZero() != cur.GetDeletionTimestamp().IsZero(),
		old.GetAnnotations()[adminstack.AnnotationAppliedHash] != cur.GetAnnotations()[adminstack.AnnotationAppliedHash],
		controllerOf(old) != controllerOf(cur):
		return true
	}
	return false
}
