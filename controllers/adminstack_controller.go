package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// AdminStackReconciler reconciles AdminStack objects.
type AdminStackReconciler struct {
	client.Client
	Scheme  *runtime.Scheme
	Options Options
}

// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=adminstacks,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=adminstacks/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=adminstacks/finalizers,verbs=update

// Reconcile reports that the AdminStack is not synced to Spacelift yet.
func (r *AdminStackReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := &spaceliftv1alpha1.AdminStack{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return ctrl.Result{}, reportSyncPending(ctx, r.Client, obj, &obj.Status.CommonStatus)
}

// SetupWithManager registers the reconciler with the manager.
func (r *AdminStackReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&spaceliftv1alpha1.AdminStack{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles}).
		Complete(r)
}
