package controllers

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// syncOutcome is what a reconcile of any kind concluded, the input of the
// kstatus conditions. At most one of its pointers is set, checked in order.
type syncOutcome struct {
	deleting  *condition
	stalled   *condition
	waiting   *condition
	transient bool
	suspended bool
	synced    bool
	// what names the Spacelift object for the Ready message, e.g. "stack net".
	what string
}

// The condition statuses, short for the tables of conditions below.
const (
	yes = metav1.ConditionTrue
	no  = metav1.ConditionFalse
	unk = metav1.ConditionUnknown
)

// conditionSetter returns a function that sets one condition of generation
// gen on conds.
func conditionSetter(conds *[]metav1.Condition, gen int64) func(t string, st metav1.ConditionStatus, reason, msg string) {
	return func(t string, st metav1.ConditionStatus, reason, msg string) {
		meta.SetStatusCondition(conds, metav1.Condition{Type: t, Status: st, Reason: reason, Message: msg, ObservedGeneration: gen})
	}
}

// kstatusConditions sets Ready, Reconciling, Stalled and Synced on conds
// from the outcome of a reconcile. Messages are stable so status does not flap.
func kstatusConditions(o syncOutcome, conds []metav1.Condition, gen int64) []metav1.Condition {
	set := conditionSetter(&conds, gen)
	switch {
	case o.deleting != nil && o.deleting.reason == spaceliftv1alpha1.ReasonDeletionProtected:
		set(spaceliftv1alpha1.ConditionReady, no, o.deleting.reason, o.deleting.message)
		set(spaceliftv1alpha1.ConditionReconciling, no, o.deleting.reason, o.deleting.message)
		set(spaceliftv1alpha1.ConditionStalled, yes, o.deleting.reason, o.deleting.message)
		set(spaceliftv1alpha1.ConditionDeletionBlocked, yes, o.deleting.reason, o.deleting.message)
		return conds
	case o.deleting != nil:
		set(spaceliftv1alpha1.ConditionReady, no, o.deleting.reason, o.deleting.message)
		set(spaceliftv1alpha1.ConditionReconciling, yes, o.deleting.reason, o.deleting.message)
		blocked := o.deleting.reason == spaceliftv1alpha1.ReasonRejectedBySpacelift
		if blocked {
			set(spaceliftv1alpha1.ConditionStalled, yes, o.deleting.reason, o.deleting.message)
			set(spaceliftv1alpha1.ConditionDeletionBlocked, yes, o.deleting.reason, o.deleting.message)
		} else {
			set(spaceliftv1alpha1.ConditionStalled, no, o.deleting.reason, "deletion in progress")
		}
		return conds
	case o.stalled != nil:
		set(spaceliftv1alpha1.ConditionReady, no, o.stalled.reason, o.stalled.message)
		set(spaceliftv1alpha1.ConditionReconciling, no, o.stalled.reason, "waiting for the spec or a referenced object to be fixed")
		set(spaceliftv1alpha1.ConditionStalled, yes, o.stalled.reason, o.stalled.message)
		set(spaceliftv1alpha1.ConditionSynced, no, o.stalled.reason, o.stalled.message)
	case o.waiting != nil:
		set(spaceliftv1alpha1.ConditionReady, no, o.waiting.reason, o.waiting.message)
		set(spaceliftv1alpha1.ConditionReconciling, yes, o.waiting.reason, o.waiting.message)
		set(spaceliftv1alpha1.ConditionStalled, no, o.waiting.reason, "waiting, not stalled")
		set(spaceliftv1alpha1.ConditionSynced, unk, o.waiting.reason, o.waiting.message)
	case o.transient:
		msg := "a Spacelift request failed; retrying with backoff"
		set(spaceliftv1alpha1.ConditionReady, no, spaceliftv1alpha1.ReasonSpaceliftUnavailable, msg)
		set(spaceliftv1alpha1.ConditionReconciling, yes, spaceliftv1alpha1.ReasonSpaceliftUnavailable, msg)
		set(spaceliftv1alpha1.ConditionStalled, no, spaceliftv1alpha1.ReasonSpaceliftUnavailable, "retrying, not stalled")
		if meta.FindStatusCondition(conds, spaceliftv1alpha1.ConditionSynced) == nil {
			set(spaceliftv1alpha1.ConditionSynced, unk, spaceliftv1alpha1.ReasonSpaceliftUnavailable, msg)
		}
	case o.suspended:
		msg := "spec.suspend is true: nothing is written to Spacelift"
		set(spaceliftv1alpha1.ConditionReady, no, spaceliftv1alpha1.ReasonSuspended, msg)
		set(spaceliftv1alpha1.ConditionReconciling, no, spaceliftv1alpha1.ReasonSuspended, msg)
		set(spaceliftv1alpha1.ConditionStalled, no, spaceliftv1alpha1.ReasonSuspended, msg)
		if meta.FindStatusCondition(conds, spaceliftv1alpha1.ConditionSynced) == nil {
			set(spaceliftv1alpha1.ConditionSynced, unk, spaceliftv1alpha1.ReasonSuspended, msg)
		}
	case o.synced:
		msg := fmt.Sprintf("%s is in sync with Spacelift", o.what)
		set(spaceliftv1alpha1.ConditionReady, yes, spaceliftv1alpha1.ReasonSucceeded, msg)
		set(spaceliftv1alpha1.ConditionReconciling, no, spaceliftv1alpha1.ReasonSucceeded, msg)
		set(spaceliftv1alpha1.ConditionStalled, no, spaceliftv1alpha1.ReasonSucceeded, msg)
		set(spaceliftv1alpha1.ConditionSynced, yes, spaceliftv1alpha1.ReasonSucceeded, msg)
	default:
		msg := "syncing with Spacelift"
		set(spaceliftv1alpha1.ConditionReady, unk, spaceliftv1alpha1.ReasonProgressing, msg)
		set(spaceliftv1alpha1.ConditionReconciling, yes, spaceliftv1alpha1.ReasonProgressing, msg)
		set(spaceliftv1alpha1.ConditionStalled, no, spaceliftv1alpha1.ReasonProgressing, msg)
		set(spaceliftv1alpha1.ConditionSynced, unk, spaceliftv1alpha1.ReasonProgressing, msg)
	}
	meta.RemoveStatusCondition(&conds, spaceliftv1alpha1.ConditionDeletionBlocked)
	return conds
}

// driftCondition is the Drifted condition for a stack: from the drift
// observation when there is one, else Unknown with the reason why not.
func driftCondition(spec *spaceliftv1alpha1.StackSpec, obs driftObservation, prev *metav1.Condition) *metav1.Condition {
	switch {
	case spec.DriftDetection == nil || !spec.DriftDetection.Enabled:
		return &metav1.Condition{Type: spaceliftv1alpha1.ConditionDrifted, Status: metav1.ConditionUnknown,
			Reason: spaceliftv1alpha1.ReasonDriftDetectionDisabled, Message: "drift detection is not enabled: set spec.driftDetection"}
	case obs.checked && obs.drift.Drifted:
		return &metav1.Condition{Type: spaceliftv1alpha1.ConditionDrifted, Status: metav1.ConditionTrue,
			Reason: spaceliftv1alpha1.ReasonDriftDetected, Message: driftMessage(obs.drift)}
	case obs.checked:
		return &metav1.Condition{Type: spaceliftv1alpha1.ConditionDrifted, Status: metav1.ConditionFalse,
			Reason: spaceliftv1alpha1.ReasonNoDrift, Message: driftMessage(obs.drift)}
	case prev != nil && prev.Reason != spaceliftv1alpha1.ReasonDriftDetectionDisabled:
		return prev
	default:
		return &metav1.Condition{Type: spaceliftv1alpha1.ConditionDrifted, Status: metav1.ConditionUnknown,
			Reason: spaceliftv1alpha1.ReasonNotYetChecked, Message: "no drift-detection run has finished yet"}
	}
}

// stackConditions computes every condition of a Stack from the scope.
func stackConditions(s *stackScope, conds []metav1.Condition) []metav1.Condition {
	o := syncOutcome{deleting: s.deleting, stalled: s.stalled, waiting: s.waiting, transient: s.transient,
		suspended: s.obj.Spec.Suspend, synced: s.synced, what: "stack " + s.id}
	conds = kstatusConditions(o, conds, s.obj.Generation)
	if s.deleting == nil {
		d := driftCondition(&s.obj.Spec, s.driftState, meta.FindStatusCondition(conds, spaceliftv1alpha1.ConditionDrifted))
		d.ObservedGeneration = s.obj.Generation
		meta.SetStatusCondition(&conds, *d)
	}
	return conds
}

// applyStackStatus copies what the reconcile learned into the status fields
// other than conditions.
func applyStackStatus(obj *spaceliftv1alpha1.Stack, s *stackScope) {
	if s.confirmed {
		obj.Status.SpaceliftID = s.id
		if s.endpoint != "" {
			obj.Status.URL = webURL(s.endpoint, "stack", s.id)
		}
	}
	switch {
	case obj.Spec.DriftDetection == nil || !obj.Spec.DriftDetection.Enabled:
		obj.Status.Drift = nil
	case s.driftState.checked:
		d := s.driftState.drift
		obj.Status.Drift = &d
	}
}
