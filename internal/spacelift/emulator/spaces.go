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
	s := r.s
	return createObject(ctx, s, spaceObjects, func() (*spaceData, graphql.ID, error) {
		sp := &spaceData{}
		if err := s.applySpaceInputLocked(ctx, sp, args.Input); err != nil {
			return nil, "", err
		}
		sp.ID = graphql.ID(Slug(sp.Name) + "-" + string(s.nextIDLocked()))
		return sp, sp.ID, nil
	}, s.spaceViewLocked)
}

type spaceUpdateArgs struct {
	Space graphql.ID
	Input spaceInput
}

// SpaceUpdate replaces a space's settings; root cannot be changed.
func (r *rootResolver) SpaceUpdate(ctx context.Context, args spaceUpdateArgs) (*spaceData, error) {
	return replaceObject(ctx, r.s, spaceObjects, args.Space, func(sp *spaceData) error {
		if sp.ID == "root" {
			return errors.New("the root space cannot be changed")
		}
		return r.s.applySpaceInputLocked(ctx, sp, args.Input)
	}, r.s.spaceViewLocked)
}

// SpaceDelete removes an empty space; a missing one is null.
func (r *rootResolver) SpaceDelete(ctx context.Context, args struct{ Space graphql.ID }) (*spaceData, error) {
	return deleteObject(ctx, r.s, spaceObjects, args.Space, func(sp *spaceData) error {
		if sp.ID == "root" {
			return errors.New("could not delete space: the root space cannot be deleted")
		}
		if what := r.s.spaceContentsLocked(sp.ID); len(what) > 0 {
			return fmt.Errorf("could not delete space %q: it still holds %s; move or delete them first", sp.ID, strings.Join(what, ", "))
		}
		return nil
	}, r.s.spaceViewLocked)
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
	count("stacks", inSpace(s.st, stackObjects, id))
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
