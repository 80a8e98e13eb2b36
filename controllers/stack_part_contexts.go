package controllers

import (
	"sort"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// contextsPart is the stack's context attachments with their priorities.
type contextsPart struct{}

func (contextsPart) name() string { return "contexts" }

func (contextsPart) changes(in *partInput) []partChange {
	ch := contextDiff(in.obj.Spec.Contexts, in.observed.Contexts)
	return changesOf(
		each(ch.Detach, spacelift.DetachContextMutation),
		each(ch.Attach, func(c spaceliftv1alpha1.ContextAttachment) spacelift.Mutation {
			return spacelift.AttachContextMutation(c.ID, in.id, int(c.Priority))
		}))
}

// contextChange is what to do to a stack's context attachments.
type contextChange struct {
	Attach []spaceliftv1alpha1.ContextAttachment
	Detach []string
}

// contextDiff compares desired contexts with the attachments Spacelift holds;
// a changed priority is a detach and an attach. Auto-attached contexts stay.
func contextDiff(want []spaceliftv1alpha1.ContextAttachment, got []spacelift.ContextAttachment) contextChange {
	var ch contextChange
	byContext := map[string]spacelift.ContextAttachment{}
	for _, a := range got {
		byContext[a.ContextID] = a
	}
	wanted := map[string]bool{}
	for _, w := range want {
		wanted[w.ID] = true
		a, ok := byContext[w.ID]
		switch {
		case !ok:
			ch.Attach = append(ch.Attach, w)
		case !a.IsAutoattached && a.Priority != int(w.Priority):
			ch.Detach = append(ch.Detach, a.ID)
			ch.Attach = append(ch.Attach, w)
		}
	}
	for _, a := range got {
		if !a.IsAutoattached && !wanted[a.ContextID] {
			ch.Detach = append(ch.Detach, a.ID)
		}
	}
	sort.Strings(ch.Detach)
	return ch
}
