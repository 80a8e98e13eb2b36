package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// annotationRoleBindings records the Spacelift ids of the stack role bindings
// the operator created, as JSON {"<roleID>@<spaceID>": "<binding id>"}:
// Spacelift has no query that lists a stack's role bindings.
const annotationRoleBindings = "spacelift.stackwright.io/role-bindings"

// spaceAdminRole is the slug of Spacelift's built-in Space Admin role, the
// replacement of the administrative flag. Bindings may name a role by id or
// by slug; slugs are looked up before a binding is created.
const spaceAdminRole = "space-admin"

// desiredRoleBindings is the spec's role bindings plus, for the deprecated
// spec.administrative, the Space Admin role on the stack's own space (root
// when the stack has none), unless the spec already binds it there.
func desiredRoleBindings(spec *spaceliftv1alpha1.StackSpec) []spaceliftv1alpha1.StackRoleBinding {
	out := slices.Clone(spec.RoleBindings)
	if !spec.Administrative {
		return out
	}
	space := string(spec.Space)
	if space == "" {
		space = rootSpace
	}
	implied := spaceliftv1alpha1.StackRoleBinding{RoleID: spaceAdminRole, SpaceID: space}
	if !slices.ContainsFunc(out, func(b spaceliftv1alpha1.StackRoleBinding) bool { return roleBindingKey(b) == roleBindingKey(implied) }) {
		out = append(out, implied)
	}
	return out
}

// rootSpace is the id of Spacelift's root space.
const rootSpace = "root"

// unknownBindingID records a binding that exists but whose id never reached
// the operator (the answer to its create was lost).
const unknownBindingID = "?"

// alreadyBound reports whether Spacelift refused a binding because the stack
// already has that role in that space.
func alreadyBound(err error) bool {
	return spacelift.IsInvalidInput(err) && strings.Contains(strings.ToLower(err.Error()), "already has role")
}

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
	want := desiredRoleBindings(&s.obj.Spec)
	ch := roleBindingDiff(want, recorded)
	for _, k := range ch.Check {
		if recorded[k] == unknownBindingID {
			continue // nothing to read it by
		}
		if _, err := s.api.GetStackRoleBinding(ctx, recorded[k]); spacelift.IsNotFound(err) {
			delete(recorded, k)
			r.Recorder.Eventf(s.obj, corev1.EventTypeWarning, "RoleBindingRecreated", "Role binding %s of stack %s was removed outside Kubernetes; recreating it", k, s.id)
			for _, b := range want {
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
		roleID, err := r.Roles.id(ctx, s.api, s.endpoint, b.RoleID)
		if err != nil {
			firstErr = err
			break
		}
		if roleID == "" {
			s.stalled = &condition{spaceliftv1alpha1.ReasonReferenceNotFound, fmt.Sprintf(
				"role %q (spec.roleBindings) is neither the id nor the slug of a Spacelift role: use the id of a custom role or a built-in slug such as %s", b.RoleID, spaceAdminRole)}
			break
		}
		rb, err := s.api.CreateStackRoleBinding(ctx, spacelift.StackRoleBindingInput{StackID: s.id, RoleID: roleID, SpaceID: string(b.SpaceID)})
		if alreadyBound(err) {
			// An earlier create landed but its answer was lost: the binding
			// is there, and Spacelift has no query that finds its id.
			recorded[roleBindingKey(b)] = unknownBindingID
			continue
		}
		if err != nil {
			firstErr = fmt.Errorf("binding role %s in space %s to stack %q: %w", b.RoleID, b.SpaceID, s.id, err)
			break
		}
		recorded[roleBindingKey(b)] = rb.ID
		if s.obj.Spec.Administrative && b.RoleID == spaceAdminRole && !slices.ContainsFunc(s.obj.Spec.RoleBindings, func(x spaceliftv1alpha1.StackRoleBinding) bool {
			return roleBindingKey(x) == roleBindingKey(b)
		}) {
			r.Recorder.Eventf(s.obj, corev1.EventTypeWarning, "AdministrativeDeprecated",
				"spec.administrative is deprecated (Spacelift refuses the flag): bound the Space Admin role in space %s to stack %s instead; list it in spec.roleBindings", b.SpaceID, s.id)
		}
	}
	for _, k := range ch.Delete {
		if firstErr != nil || s.stalled != nil {
			break
		}
		if recorded[k] == unknownBindingID {
			r.Recorder.Eventf(s.obj, corev1.EventTypeWarning, "RoleBindingNotRemoved",
				"Role binding %s of stack %s was created without its id reaching the operator, so it cannot be removed from here: remove it in Spacelift", k, s.id)
			delete(recorded, k)
			continue
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
	return firstErr != nil || s.stalled != nil, firstErr
}

// RoleDirectory turns role slugs into role ids, listing each account's roles
// at most once per roleDirectoryTTL.
type RoleDirectory struct {
	mu      sync.Mutex
	entries map[string]roleDirectoryEntry
}

type roleDirectoryEntry struct {
	roles   []spacelift.Role
	fetched time.Time
}

// roleDirectoryTTL is how long a list of roles is reused: custom roles are
// rarely created, and a binding to a new one waits at most this long.
const roleDirectoryTTL = 10 * time.Minute

// id returns the id of the role named by an id or a slug, or "" when the
// account has no such role. endpoint keys the cache per account.
func (d *RoleDirectory) id(ctx context.Context, api StackAPI, endpoint, idOrSlug string) (string, error) {
	d.mu.Lock()
	e, ok := d.entries[endpoint]
	d.mu.Unlock()
	if !ok || time.Since(e.fetched) > roleDirectoryTTL || !hasRole(e.roles, idOrSlug) {
		lctx, cancel := context.WithTimeout(ctx, directoryTimeout)
		roles, err := api.ListRoles(lctx)
		cancel()
		if err != nil {
			return "", fmt.Errorf("listing roles: %w", err)
		}
		e = roleDirectoryEntry{roles: roles, fetched: time.Now()}
		d.mu.Lock()
		if d.entries == nil {
			d.entries = map[string]roleDirectoryEntry{}
		}
		d.entries[endpoint] = e
		d.mu.Unlock()
	}
	for _, r := range e.roles {
		if r.ID == idOrSlug {
			return r.ID, nil
		}
	}
	for _, r := range e.roles {
		if r.Slug == idOrSlug {
			return r.ID, nil
		}
	}
	return "", nil
}

func hasRole(roles []spacelift.Role, idOrSlug string) bool {
	return slices.ContainsFunc(roles, func(r spacelift.Role) bool { return r.ID == idOrSlug || r.Slug == idOrSlug })
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
