package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// A Stack's sub-resources are parts, one file each (stack_part_*.go). A part
// reads its fields of the stack's single observation (spacelift.StackSnapshot,
// which one request reads for one stack and one request for 50 in snapshot
// pages), works out what the spec wants of it and the difference with pure
// functions, and turns the difference into mutations. The reconciler
// observes once, asks every part, and applies the union as one document.
// Adding a sub-resource is adding a part here and its field to the
// snapshot.
type stackPart interface {
	// name names the part in logs.
	name() string
	// changes returns, in order, the mutations that make the observed
	// stack match the spec.
	changes(in *partInput) []partChange
}

// partInput is what every part decides from.
type partInput struct {
	obj      *spaceliftv1alpha1.Stack
	id       string
	resolved *resolvedStackRefs
	observed *spacelift.StackSnapshot
}

// partChange is one mutation, and the changes that need its answer.
type partChange struct {
	mutation spacelift.Mutation
	// then, when set, returns the changes that need this mutation's answer,
	// such as the references of a dependency it creates.
	then func(answer json.RawMessage) ([]partChange, error)
}

// changesOf turns lists of mutations into changes that need no answer.
func changesOf(lists ...[]spacelift.Mutation) []partChange {
	var out []partChange
	for _, l := range lists {
		for _, m := range l {
			out = append(out, partChange{mutation: m})
		}
	}
	return out
}

// each builds one mutation per item.
func each[T any](items []T, mutation func(T) spacelift.Mutation) []spacelift.Mutation {
	out := make([]spacelift.Mutation, len(items))
	for i, item := range items {
		out[i] = mutation(item)
	}
	return out
}

// stackParts in the order their mutations are applied: the settings first,
// so that the space and labels the others rely on are in place.
var stackParts = []stackPart{settingsPart{}, configPart{}, policiesPart{}, contextsPart{}, driftDetectionPart{},
	dependenciesPart{}, awsPart{}, webhooksPart{}}

// planStackChanges is the union of every part's changes, in part order.
func planStackChanges(in *partInput) []partChange {
	var out []partChange
	for _, p := range stackParts {
		out = append(out, p.changes(in)...)
	}
	return out
}

// maxApplyRounds bounds the documents of one sync: the changes, then the
// ones that needed their answers.
const maxApplyRounds = 3

// applyName is the operation name of the documents Apply sends.
const applyName = "StackChanges"

// syncParts applies the union of the parts' changes as one document (more
// only past spacelift.MaxBatch mutations, or for references of dependencies
// it creates).
func (r *StackReconciler) syncParts(ctx context.Context, s *stackScope) (bool, error) {
	changes := planStackChanges(s.partInput())
	var applied []spacelift.Mutation
	for round := 0; len(changes) > 0; round++ {
		if round == maxApplyRounds {
			return true, fmt.Errorf("stack %q: %d changes still wait for answers after %d documents", s.id, len(changes), maxApplyRounds)
		}
		muts := make([]spacelift.Mutation, len(changes))
		for i, c := range changes {
			muts[i] = c.mutation
		}
		s.wrote = true
		answers, err := s.api.Apply(ctx, applyName, muts)
		if err != nil {
			return true, r.appliedAnyway(ctx, s, fmt.Errorf("stack %q: %w", s.id, err))
		}
		applied = append(applied, muts...)
		var next []partChange
		for i, c := range changes {
			if c.then == nil {
				continue
			}
			more, err := c.then(answers[i])
			if err != nil {
				return true, fmt.Errorf("stack %q: %w", s.id, err)
			}
			next = append(next, more...)
		}
		changes = next
	}
	r.reportApplied(ctx, s, applied)
	return false, r.recordWebhookDigests(ctx, s.obj, wantedWebhookDigests(s.obj, s.resolved.webhooks))
}

// partInput is what the parts decide from in this reconcile.
func (s *stackScope) partInput() *partInput {
	return &partInput{obj: s.obj, id: s.id, resolved: &s.resolved, observed: s.snapshot}
}

// appliedAnyway decides what a failed Apply means. GraphQL runs every
// mutation of a document, so some may have landed; and a document whose
// answer was lost may have landed whole, so that Spacelift now refuses the
// repeated creates ("already attached"). A refusal is therefore checked
// against a new observation: when no change is left, the stack is in sync.
// Anything else is returned; the next reconcile observes what landed.
func (r *StackReconciler) appliedAnyway(ctx context.Context, s *stackScope, err error) error {
	if !spacelift.IsInvalidInput(err) {
		return err
	}
	snap, oerr := s.api.ObserveStack(ctx, s.id)
	if oerr != nil {
		return errors.Join(err, fmt.Errorf("reading stack %q again: %w", s.id, oerr))
	}
	s.snapshot, s.observed = snap, snap.Stack
	if len(planStackChanges(s.partInput())) == 0 {
		return nil
	}
	return err
}

// reportApplied logs what the sync changed and tells the user about changed
// settings, which revert edits made in the Spacelift UI.
func (r *StackReconciler) reportApplied(ctx context.Context, s *stackScope, applied []spacelift.Mutation) {
	if len(applied) == 0 {
		return
	}
	descs := make([]string, len(applied))
	for i, m := range applied {
		descs[i] = m.Desc
		if fields, ok := strings.CutPrefix(m.Desc, settingsDescPrefix); ok {
			r.Recorder.Eventf(s.obj, corev1.EventTypeNormal, "Updated", "Updated Spacelift stack %s: %s", s.id, fields)
		}
	}
	log.FromContext(ctx).V(1).Info("applied changes", "stack", s.id, "changes", descs)
}
