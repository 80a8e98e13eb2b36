package controllers

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// reportSyncPending sets Ready=Unknown and Reconciling=True with a message that
// says the object is not synced, so nothing reads as Ready before it is.
func reportSyncPending(ctx context.Context, c client.Client, obj client.Object, status *spaceliftv1alpha1.CommonStatus) error {
	base := obj.DeepCopyObject().(client.Object)
	gen := obj.GetGeneration()
	msg := "syncing to Spacelift is not implemented in this build"
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: spaceliftv1alpha1.ConditionReady, Status: metav1.ConditionUnknown, Reason: spaceliftv1alpha1.ReasonSyncPending, Message: msg, ObservedGeneration: gen})
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: spaceliftv1alpha1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: spaceliftv1alpha1.ReasonSyncPending, Message: msg, ObservedGeneration: gen})
	status.ObservedGeneration = gen
	if err := c.Status().Patch(ctx, obj, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("patching status: %w", err)
	}
	return nil
}
