package emulator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/graph-gophers/graphql-go"
)

// The store's typed operations on stacks that are more than a change of
// their fields: making one and deleting one.

// newStackLocked builds the stack stackCreate asks for. Errors about the
// input are "could not create stack" errors; a bad or taken slug and a
// caller that may not manage the stack's space are refused as they are, as
// Spacelift does.
func (s *Server) newStackLocked(ctx context.Context, args stackCreateArgs) (*stackRecord, graphql.ID, error) {
	id, err := s.stackSlugLocked(args)
	if err != nil {
		return nil, "", refused{err}
	}
	now := s.nowLocked()
	rec := &stackRecord{Config: []*configRecord{}, Webhooks: []*webhookData{}, Entities: []*entityRecord{}, Outputs: []outputData{}}
	if err := s.applyStackInputLocked(rec, args.Input); err != nil {
		return nil, "", err
	}
	if err := s.requireAdminLocked(ctx, rec.Space); err != nil {
		return nil, "", refused{err}
	}
	rec.ID = id
	rec.ManagesStateFile = args.ManageState
	rec.CanWrite = true
	rec.CreatedAt = unix(now)
	rec.State = "NONE"
	rec.TrackedCommit = fakeCommit(rec.Repository, rec.Branch, now)
	return rec, id, nil
}

// stackSlugLocked is the id of a new stack: the slug asked for, which must
// be one, or else the slug of the name. No stack may have it yet.
func (s *Server) stackSlugLocked(args stackCreateArgs) (graphql.ID, error) {
	id := Slug(args.Input.Name)
	if args.Slug != nil && *args.Slug != "" {
		id = *args.Slug
		if Slug(id) != id {
			return "", fmt.Errorf("slug %q is not valid: use lower case letters, digits and dashes", id)
		}
	}
	if id == "" {
		return "", errors.New("name can't be empty")
	}
	return graphql.ID(id), stackObjects.slugFreeLocked(s.st, graphql.ID(id))
}

// deleteStackLocked deletes a stack, unless it is protected, other stacks
// depend on it or an active tracked run blocks it. With destroyResources
// the stack is marked deleting and a destroy run starts; the stack
// disappears when that run finishes, as in Spacelift. Without it the stack
// goes at once. A stack already being deleted stays as it is.
func (s *Server) deleteStackLocked(rec *stackRecord, destroyResources bool) (*stackView, error) {
	if rec.ProtectFromDeletion {
		return nil, fmt.Errorf("stack %q is protected from deletion", rec.ID)
	}
	if rec.Deleting {
		return s.stackViewLocked(rec), nil
	}
	var dependents []string
	for _, d := range s.st.Dependencies {
		if d.DependsOnStackID == rec.ID {
			dependents = append(dependents, string(d.StackID))
		}
	}
	if len(dependents) > 0 {
		slices.Sort(dependents)
		return nil, fmt.Errorf("stack %q cannot be deleted: stacks %s depend on it", rec.ID, strings.Join(dependents, ", "))
	}
	if b := s.blockerLocked(rec.ID); b != nil {
		return nil, fmt.Errorf("stack %q is blocked by run %s in state %s", rec.ID, b.ID, b.State)
	}
	if destroyResources {
		rec.Deleting = true
		rec.DestroyResources = true
		s.newRunLocked(rec, "DESTROY", s.nowLocked(), runOptions{triggeredBy: "stack deletion"})
		return s.stackViewLocked(rec), nil
	}
	v := s.stackViewLocked(rec)
	v.Deleted = true
	s.removeStackLocked(rec.ID)
	return v, nil
}

// removeStackLocked drops a stack and everything that only exists for it.
func (s *Server) removeStackLocked(id graphql.ID) {
	delete(s.st.Stacks, id)
	for k, r := range s.st.Runs {
		if r.StackID == id {
			delete(s.st.Runs, k)
		}
	}
	for _, m := range []map[graphql.ID]*attachment{s.st.PolicyAttach, s.st.ContextAttach, s.st.AwsAttach} {
		for k, a := range m {
			if a.StackID == id {
				delete(m, k)
			}
		}
	}
	for k, d := range s.st.Dependencies {
		if d.StackID == id || d.DependsOnStackID == id {
			delete(s.st.Dependencies, k)
		}
	}
	for k, b := range s.st.RoleBindings {
		if b.StackID == id {
			delete(s.st.RoleBindings, k)
		}
	}
}
