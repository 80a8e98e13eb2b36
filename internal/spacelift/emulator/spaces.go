package emulator

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/graph-gophers/graphql-go"
)

// Spaces as the Terraform provider's spacelift_space and Spacelift's own
// Kubernetes operator manage them.

type spaceInput struct {
	Name            string
	Description     *string
	InheritEntities *bool
	ParentSpace     *graphql.ID
	Labels          *[]string
}

// applySpaceInputLocked writes the input over sp after checking the parent:
// it must exist, the caller must be a Space admin there, and it must not be
// sp itself or one of its subspaces.
func (s *Server) applySpaceInputLocked(ctx context.Context, sp *spaceData, in spaceInput) error {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return errors.New("name can't be empty")
	}
	parent := graphql.ID("root")
	if in.ParentSpace != nil && *in.ParentSpace != "" {
		parent = *in.ParentSpace
	}
	if _, ok := s.st.Spaces[parent]; !ok {
		return fmt.Errorf("parentSpace: space %q not found", parent)
	}
	if sp.ID != "" && s.withinLocked(parent, sp.ID) {
		return fmt.Errorf("parentSpace: space %q is %q or one of its subspaces; a space cannot be its own ancestor", parent, sp.ID)
	}
	if err := s.requireAdminLocked(ctx, parent); err != nil {
		return err
	}
	sp.Name, sp.Description, sp.InheritEntities, sp.Labels = name, deref(in.Description), orFalse(in.InheritEntities), list(in.Labels)
	sp.ParentSpace = &parent
	return nil
}

type spaceCreateArgs struct{ Input spaceInput }

// SpaceCreate makes a space under its parent (root by default).
func (r *rootResolver) SpaceCreate(ctx context.Context, args spaceCreateArgs) (*spaceData, error) {
	return locked(ctx, r.s, func() (*spaceData, error) {
		s := r.s
		sp := &spaceData{}
		if err := s.applySpaceInputLocked(ctx, sp, args.Input); err != nil {
			return nil, fmt.Errorf("could not create space: %w", err)
		}
		sp.ID = graphql.ID(Slug(sp.Name) + "-" + string(s.nextIDLocked()))
		s.st.Spaces[sp.ID] = sp
		return s.spaceLocked(sp.ID), nil
	})
}

type spaceUpdateArgs struct {
	Space graphql.ID
	Input spaceInput
}

// SpaceUpdate replaces a space's settings; root cannot be changed.
func (r *rootResolver) SpaceUpdate(ctx context.Context, args spaceUpdateArgs) (*spaceData, error) {
	return locked(ctx, r.s, func() (*spaceData, error) {
		s := r.s
		sp, ok := s.st.Spaces[args.Space]
		if !ok {
			return nil, fmt.Errorf("space %q not found", args.Space)
		}
		if sp.ID == "root" {
			return nil, errors.New("could not update space: the root space cannot be changed")
		}
		if err := s.requireAdminLocked(ctx, sp.ID); err != nil {
			return nil, err
		}
		updated := *sp
		if err := s.applySpaceInputLocked(ctx, &updated, args.Input); err != nil {
			return nil, fmt.Errorf("could not update space: %w", err)
		}
		*sp = updated
		return s.spaceLocked(sp.ID), nil
	})
}

// SpaceDelete removes an empty space; a missing one is null.
func (r *rootResolver) SpaceDelete(ctx context.Context, args struct{ Space graphql.ID }) (*spaceData, error) {
	return locked(ctx, r.s, func() (*spaceData, error) {
		s := r.s
		sp, ok := s.st.Spaces[args.Space]
		if !ok {
			return nil, nil
		}
		if sp.ID == "root" {
			return nil, errors.New("could not delete space: the root space cannot be deleted")
		}
		if err := s.requireAdminLocked(ctx, sp.ID); err != nil {
			return nil, err
		}
		if what := s.spaceContentsLocked(sp.ID); len(what) > 0 {
			return nil, fmt.Errorf("could not delete space %q: it still holds %s; move or delete them first", sp.ID, strings.Join(what, ", "))
		}
		v := s.spaceLocked(sp.ID)
		delete(s.st.Spaces, sp.ID)
		return v, nil
	})
}

// spaceContentsLocked names the kinds of object that live in a space.
func (s *Server) spaceContentsLocked(id graphql.ID) []string {
	var out []string
	count := func(kind string, n int) {
		if n > 0 {
			out = append(out, fmt.Sprintf("%d %s", n, kind))
		}
	}
	count("spaces", countIn(s.st.Spaces, func(sp *spaceData) bool { return sp.ParentSpace != nil && *sp.ParentSpace == id }))
	count("stacks", countIn(s.st.Stacks, func(st *stackRecord) bool { return st.Space == id }))
	count("policies", inSpace(s.st, policyObjects, id))
	count("contexts", inSpace(s.st, contextObjects, id))
	count("worker pools", inSpace(s.st, workerPoolObjects, id))
	count("AWS integrations", inSpace(s.st, awsObjects, id))
	return out
}

// countIn counts the values of m that match.
func countIn[R any](m map[graphql.ID]*R, match func(*R) bool) int {
	n := 0
	for _, v := range m {
		if match(v) {
			n++
		}
	}
	return n
}

// inSpace counts the objects of t that live in the space.
func inSpace[R any](st *state, t objects[R], space graphql.ID) int {
	return countIn(t.rows(st), func(r *R) bool { return t.space(r) == space })
}
