package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/tenancy"
	"github.com/stackwright/spacelift-operator/internal/validate"
)

// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// tenantPolicy is what objects in namespace may do: the operator's defaults
// widened by the namespace's annotations. A malformed annotation is a stalled
// condition naming it (the defaults alone would deny more than the admin
// meant, silently).
func tenantPolicy(ctx context.Context, c client.Reader, o Options, namespace string) (tenancy.Policy, *condition, error) {
	if !o.Tenancy.Enforced {
		return o.Tenancy, nil, nil
	}
	var ns corev1.Namespace
	if err := c.Get(ctx, types.NamespacedName{Name: namespace}, &ns); err != nil {
		return tenancy.Policy{}, nil, fmt.Errorf("reading namespace %s: %w", namespace, err)
	}
	p, err := tenancy.ForNamespace(o.Tenancy, ns.Annotations)
	if err != nil {
		return tenancy.Policy{}, &condition{spaceliftv1alpha1.ReasonNotPermitted, err.Error() + ": ask a cluster admin to fix it"}, nil
	}
	return p, nil, nil
}

// tenantSubject describes an object of namespace for the tenancy checks.
func tenantSubject(o Options, namespace string) tenancy.Subject {
	sub := tenancy.Subject{Namespace: namespace}
	for _, s := range o.ProtectedSecrets {
		if s.Namespace == namespace {
			sub.ProtectedSecrets = append(sub.ProtectedSecrets, s.Name)
		}
	}
	return sub
}

// admitted turns denials into the stalled condition, or nil.
func admitted(denials []tenancy.Denial) *condition {
	if len(denials) == 0 {
		return nil
	}
	return &condition{spaceliftv1alpha1.ReasonNotPermitted, "not permitted in this namespace: " + tenancy.Summarize(denials)}
}

// admitObject runs the checks every object passes before its credentials
// are even read: what admission cannot say about the spec (errs, from
// internal/validate), then whether its namespace may ask for it (check,
// which lists the tenancy denials). It returns the stalled condition, if any.
func admitObject(ctx context.Context, c client.Reader, o Options, namespace string, errs field.ErrorList,
	check func(tenancy.Policy, tenancy.Subject) []tenancy.Denial) (*condition, error) {
	if len(errs) > 0 {
		return &condition{spaceliftv1alpha1.ReasonInvalidSpec, errs.ToAggregate().Error()}, nil
	}
	p, stalled, err := tenantPolicy(ctx, c, o, namespace)
	if err != nil || stalled != nil {
		return stalled, err
	}
	return admitted(check(p, tenantSubject(o, namespace))), nil
}

// admitStack checks a Stack before anything is read or written for it.
func (r *StackReconciler) admitStack(ctx context.Context, s *stackScope) (err error) {
	s.stalled, err = admitObject(ctx, r.Client, r.Options, s.obj.Namespace, validate.Stack(s.obj),
		func(p tenancy.Policy, sub tenancy.Subject) []tenancy.Denial {
			return tenancy.CheckStack(p, sub, &s.obj.Spec)
		})
	return err
}

// admitPolicy checks a Policy before anything is read or written for it.
func (r *PolicyReconciler) admitPolicy(ctx context.Context, s *policyScope) (err error) {
	s.stalled, err = admitObject(ctx, r.Client, r.Options, s.obj.Namespace, validate.Policy(s.obj),
		func(p tenancy.Policy, sub tenancy.Subject) []tenancy.Denial {
			return tenancy.CheckPolicy(p, sub, &s.obj.Spec)
		})
	return err
}

// grantsChanged passes Namespace updates that change the tenancy annotations.
var grantsChanged = predicate.Funcs{
	CreateFunc:  func(event.CreateEvent) bool { return false },
	DeleteFunc:  func(event.DeleteEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
	UpdateFunc: func(e event.UpdateEvent) bool {
		for _, k := range []string{tenancy.AnnotationAllowedSpaces, tenancy.AnnotationGrants} {
			if e.ObjectOld.GetAnnotations()[k] != e.ObjectNew.GetAnnotations()[k] {
				return true
			}
		}
		return false
	},
}

// watchGrants re-reconciles every object of list's kind in a namespace whose
// grants change, so that an object Stalled as NotPermitted goes ahead as soon
// as a cluster admin grants what it needs. Nothing is watched when tenancy is
// off.
func watchGrants(b *builder.Builder, o Options, c client.Reader, newList func() client.ObjectList) *builder.Builder {
	if !o.Tenancy.Enforced {
		return b
	}
	return b.Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, ns client.Object) []ctrl.Request {
		list := newList()
		if err := c.List(ctx, list, client.InNamespace(ns.GetName())); err != nil {
			log.FromContext(ctx).Error(err, "listing objects of a namespace whose grants changed", "namespace", ns.GetName())
			return nil
		}
		var reqs []ctrl.Request
		_ = meta.EachListItem(list, func(obj runtime.Object) error {
			if o, ok := obj.(client.Object); ok {
				reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(o)})
			}
			return nil
		})
		return reqs
	}), builder.WithPredicates(grantsChanged))
}
