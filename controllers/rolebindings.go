package controllers

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// annotationRoleBindings records the Spacelift ids of the stack role bindings
// the operator created, as JSON {"<roleID>@<spaceID>": "<binding id>"}:
// Spacelift has no query that lists a stack's role bindings.
const annotationRoleBindings = "spacelift.stackwright.io/role-bindings"

// roleBindingKey identifies a binding of the spec.
func roleBindingKey(b spaceliftv1alpha1.StackRoleBinding) string { return b.RoleID + "@" + b.SpaceID }

// roleBindingChange is what to do to the stack's role bindings.
type roleBindingChange struct {
	// Create are the spec's bindings not recorded yet.
	Create []spaceliftv1alpha1.StackRoleBinding
	// Delete are recorded binding keys the spec no longer has.
	Delete []string
	// Check are recorded bindings to verify still exist.
	Check []string
}

// roleBindingDiff compares the spec's bindings with the recorded ones.
func roleBindingDiff(want []spaceliftv1alpha1.StackRoleBinding, recorded map[string]string) roleBindingChange {
	var ch roleBindingChange
	wanted := map[string]bool{}
	for _, b := range want {
		k := roleBindingKey(b)
		if wanted[k] {
			continue
		}
		wanted[k] = true
		if _, ok := recorded[k]; ok {
			ch.Check = append(ch.Check, k)
		} else {
			ch.Create = append(ch.Create, b)
		}
	}
	for _, k := range sortedKeys(recorded) {
		if !wanted[k] {
			ch.Delete = append(ch.Delete, k)
		}
	}
	return ch
}

// syncRoleBindings creates and deletes stack role bindings to match the spec,
// recreating recorded ones that were removed in Spacelift.
func (r *StackReconciler) syncRoleBindings(ctx context.Context, s *stackScope) (bool, error) {
	recorded := map[string]string{}
	if v := s.obj.Annotations[annotationRoleBindings]; v != "" {
		if err := json.Unmarshal([]byte(v), &recorded); err != nil {
			return true, fmt.Errorf("reading annotation %s: %w", annotationRoleBindings, err)
		}
	}
	before := fmt.Sprint(recorded)
	ch := roleBindingDiff(s.obj.Spec.RoleBindings, recorded)
	for _, k := range ch.Check {
		if _, err := s.api.GetStackRoleBinding(ctx, recorded[k]); spacelift.IsNotFound(err) {
			delete(recorded, k)
			r.Recorder.Eventf(s.obj, corev1.EventTypeWarning, "RoleBindingRecreated", "Role binding %s of stack %s was removed outside Kubernetes; recreating it", k, s.id)
			for _, b := range s.obj.Spec.RoleBindings {
				if roleBindingKey(b) == k {
					ch.Create = append(ch.Create, b)
				}
			}
		} else if err != nil {
			return true, fmt.Errorf("reading role binding %s of stack %q: %w", k, s.id, err)
		}
	}
	var firstErr error
	for _, b := range ch.Create {
		rb, err := s.api.CreateStackRoleBinding(ctx, spacelift.StackRoleBindingInput{StackID: s.id, RoleID: b.RoleID, SpaceID: b.SpaceID})
		if err != nil {
			firstErr = fmt.Errorf("binding role %s in space %s to stack %q: %w", b.RoleID, b.SpaceID, s.id, err)
			break
		}
		recorded[roleBindingKey(b)] = rb.ID
	}
	for _, k := range ch.Delete {
		if firstErr != nil {
			break
		}
		if err := s.api.DeleteStackRoleBinding(ctx, recorded[k]); err != nil && !spacelift.IsNotFound(err) {
			firstErr = fmt.Errorf("removing role binding %s of stack %q: %w", k, s.id, err)
			break
		}
		delete(recorded, k)
	}
	if fmt.Sprint(recorded) != before {
		if err := r.recordRoleBindings(ctx, s.obj, recorded); err != nil {
			return true, err
		}
	}
	return firstErr != nil, firstErr
}

// recordRoleBindings writes the binding ids onto the object.
func (r *StackReconciler) recordRoleBindings(ctx context.Context, obj *spaceliftv1alpha1.Stack, recorded map[string]string) error {
	if len(recorded) == 0 {
		delete(obj.Annotations, annotationRoleBindings)
		return updateMeta(ctx, r.Client, obj)
	}
	b, err := json.Marshal(recorded)
	if err != nil {
		return fmt.Errorf("encoding role bindings: %w", err)
	}
	return setAnnotation(ctx, r.Client, obj, annotationRoleBindings, string(b))
}
