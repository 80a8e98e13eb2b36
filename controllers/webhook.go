package controllers

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/webhook"
)

// stackIDIndex indexes Stacks by their Spacelift id annotation.
const stackIDIndex = "spacelift.stackwright.io/stack-id"

// WebhookEvents carries stacks named by verified Spacelift webhooks to the
// Stack controller, which reconciles them at once instead of at the next poll.
type WebhookEvents struct {
	ch    chan event.GenericEvent
	cache *StackCache
}

// NewWebhookEvents returns a queue of the given capacity.
func NewWebhookEvents(capacity int) *WebhookEvents {
	return &WebhookEvents{ch: make(chan event.GenericEvent, capacity)}
}

// Enqueue asks for a reconcile of the Stack whose Spacelift id is stackID.
// It never blocks: when the queue is full the event is dropped and the
// regular poll catches up.
func (w *WebhookEvents) Enqueue(stackID string, ev webhook.Event) {
	if w.cache != nil && (ev.DriftDetection || ev.RunState == "FINISHED") {
		w.cache.Expire()
	}
	placeholder := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{
		Annotations: map[string]string{spaceliftv1alpha1.AnnotationSpaceliftID: stackID}}}
	select {
	case w.ch <- event.GenericEvent{Object: placeholder}:
	default:
	}
}

// byStackID maps a webhook placeholder to the Stacks with its Spacelift id.
func (r *StackReconciler) byStackID(ctx context.Context, o client.Object) []ctrl.Request {
	id := o.GetAnnotations()[spaceliftv1alpha1.AnnotationSpaceliftID]
	var list spaceliftv1alpha1.StackList
	if err := r.List(ctx, &list, client.MatchingFields{stackIDIndex: id}); err != nil {
		log.FromContext(ctx).Error(err, "listing stacks by Spacelift id", "stack", id)
		return nil
	}
	reqs := make([]ctrl.Request, 0, len(list.Items))
	for _, s := range list.Items {
		reqs = append(reqs, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: s.Namespace, Name: s.Name}})
	}
	return reqs
}
