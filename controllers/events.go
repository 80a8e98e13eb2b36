package controllers

import (
	"fmt"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// loggingRecorder emits every event also as an info log line (warnings too),
// with the object and its Spacelift id, so that the operator's log tells
// every state change (created, updated, adopted, stalled, deleted, drift)
// without reading Events, which expire after an hour.
type loggingRecorder struct {
	record.EventRecorder
	log logr.Logger
}

// withLogging wraps r so that its events are logged to log.
func withLogging(r record.EventRecorder, log logr.Logger) record.EventRecorder {
	return &loggingRecorder{EventRecorder: r, log: log}
}

// Event implements record.EventRecorder.
func (l *loggingRecorder) Event(obj runtime.Object, eventType, reason, message string) {
	l.logEvent(obj, eventType, reason, message)
	l.EventRecorder.Event(obj, eventType, reason, message)
}

// Eventf implements record.EventRecorder.
func (l *loggingRecorder) Eventf(obj runtime.Object, eventType, reason, format string, args ...any) {
	l.Event(obj, eventType, reason, fmt.Sprintf(format, args...))
}

// AnnotatedEventf implements record.EventRecorder.
func (l *loggingRecorder) AnnotatedEventf(obj runtime.Object, annotations map[string]string, eventType, reason, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.logEvent(obj, eventType, reason, msg)
	l.EventRecorder.AnnotatedEventf(obj, annotations, eventType, reason, "%s", msg)
}

func (l *loggingRecorder) logEvent(obj runtime.Object, eventType, reason, message string) {
	kv := []any{"reason", reason}
	if o, ok := obj.(client.Object); ok {
		kv = append(kv, "kind", kindOf(obj), "namespace", o.GetNamespace(), "name", o.GetName())
		if id := o.GetAnnotations()[spaceliftv1alpha1.AnnotationSpaceliftID]; id != "" {
			kv = append(kv, "spaceliftID", id)
		}
	}
	if eventType == corev1.EventTypeWarning {
		kv = append(kv, "warning", true)
	}
	l.log.Info(message, kv...)
}

// kindOf names the kind of one of this group's objects; typed objects read
// from the API carry no TypeMeta.
func kindOf(obj runtime.Object) string {
	switch obj.(type) {
	case *spaceliftv1alpha1.Stack:
		return "Stack"
	case *spaceliftv1alpha1.Policy:
		return "Policy"
	case *spaceliftv1alpha1.AdminStack:
		return "AdminStack"
	}
	return obj.GetObjectKind().GroupVersionKind().Kind
}
