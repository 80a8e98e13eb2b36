package controllers

import (
	"slices"
	"strings"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// driftDetectionPart is the stack's drift-detection integration, which comes
// with the stack's own fields.
type driftDetectionPart struct{}

func (driftDetectionPart) name() string { return "drift detection" }

func (driftDetectionPart) changes(in *partInput) []partChange {
	m, ok := driftDetectionChange(in.id, desiredDriftDetection(in.obj.Spec.DriftDetection), in.observed.Stack.DriftDetection)
	if !ok {
		return nil
	}
	return []partChange{{mutation: m}}
}

// driftDetectionChange is the mutation that turns got into want, if any.
func driftDetectionChange(stackID string, want *spacelift.DriftDetectionIntegrationInput, got *spacelift.DriftDetectionIntegration) (spacelift.Mutation, bool) {
	switch {
	case driftDetectionUpToDate(want, got):
		return spacelift.Mutation{}, false
	case want == nil:
		return spacelift.DeleteDriftDetectionMutation(stackID), true
	case got == nil:
		return spacelift.CreateDriftDetectionMutation(stackID, *want), true
	default:
		return spacelift.UpdateDriftDetectionMutation(stackID, *want), true
	}
}

// desiredDriftDetection is the drift-detection integration the spec asks
// for, nil for none.
func desiredDriftDetection(d *spaceliftv1alpha1.DriftDetection) *spacelift.DriftDetectionIntegrationInput {
	if d == nil || !d.Enabled {
		return nil
	}
	in := &spacelift.DriftDetectionIntegrationInput{Reconcile: d.Reconcile, IgnoreState: d.IgnoreState, Timezone: optString(orDefault(d.Timezone, "UTC"))}
	for _, s := range d.Schedule {
		in.Schedule = append(in.Schedule, strings.Join(strings.Fields(string(s)), " "))
	}
	return in
}

// driftDetectionUpToDate reports whether the integration matches want.
func driftDetectionUpToDate(want *spacelift.DriftDetectionIntegrationInput, got *spacelift.DriftDetectionIntegration) bool {
	if want == nil || got == nil {
		return want == nil && got == nil
	}
	return want.Reconcile == got.Reconcile && want.IgnoreState == got.IgnoreState &&
		deref(want.Timezone) == orDefault(got.Timezone, "UTC") && slices.Equal(want.Schedule, got.Schedule)
}
