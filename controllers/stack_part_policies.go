package controllers

import (
	"slices"
	"sort"

	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// policiesPart is the stack's policy attachments; auto-attached ones are
// left alone.
type policiesPart struct{}

func (policiesPart) name() string { return "policies" }

func (policiesPart) changes(in *partInput) []partChange {
	ch := policyDiff(in.resolved.policyIDs, in.observed.Policies)
	return changesOf(
		each(ch.Detach, spacelift.DetachPolicyMutation),
		each(ch.Attach, func(id string) spacelift.Mutation { return spacelift.AttachPolicyMutation(id, in.id) }))
}

// policyChange is what to do to a stack's policy attachments.
type policyChange struct {
	// Attach are policy ids to attach.
	Attach []string
	// Detach are attachment ids to remove.
	Detach []string
}

// policyDiff compares desired policy ids with the attachments Spacelift
// holds. Auto-attached policies are never detached.
func policyDiff(want []string, got []spacelift.StackPolicyAttachment) policyChange {
	var ch policyChange
	attached := map[string]bool{}
	wanted := map[string]bool{}
	for _, id := range want {
		wanted[id] = true
	}
	for _, a := range got {
		attached[a.PolicyID] = true
		if !a.IsAutoattached && !wanted[a.PolicyID] {
			ch.Detach = append(ch.Detach, a.ID)
		}
	}
	for _, id := range want {
		if !attached[id] {
			ch.Attach = append(ch.Attach, id)
		}
	}
	sort.Strings(ch.Attach)
	sort.Strings(ch.Detach)
	ch.Attach = slices.Compact(ch.Attach)
	return ch
}
