package emulator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/graph-gophers/graphql-go"
)

// The store's typed operations on its tables (stacks, contexts, policies,
// worker pools, AWS integrations, spaces, and the links between them). Each
// one checks the caller, takes the lock, finds the object and changes it
// through the helpers of locking.go, so a resolver only decodes its
// arguments and calls one of them with the change that is its own.

// objects is one table of the state whose objects live in a space.
type objects[R any] struct {
	// kind names the object in "not found" errors, title in "could not"
	// errors (Spacelift writes "aws integration" in the one and "AWS
	// integration" in the other).
	kind, title string
	rows        func(*state) map[graphql.ID]*R
	space       func(*R) graphql.ID
	// attached are the attachments that point at the objects; nil when
	// nothing can be attached.
	attached func(*state) map[graphql.ID]*attachment
	// autoattached names the objects in the error for detaching an
	// autoattachment ("auto-…" ids); empty when they have none.
	autoattached string
}

var (
	contextObjects = objects[contextRecord]{kind: "context", title: "context",
		rows:     func(st *state) map[graphql.ID]*contextRecord { return st.Contexts },
		space:    func(c *contextRecord) graphql.ID { return c.Space },
		attached: func(st *state) map[graphql.ID]*attachment { return st.ContextAttach }, autoattached: "contexts"}
	policyObjects = objects[policyData]{kind: "policy", title: "policy",
		rows:     func(st *state) map[graphql.ID]*policyData { return st.Policies },
		space:    func(p *policyData) graphql.ID { return p.Space },
		attached: func(st *state) map[graphql.ID]*attachment { return st.PolicyAttach }, autoattached: "policies"}
	awsObjects = objects[awsIntegration]{kind: "aws integration", title: "AWS integration",
		rows:     func(st *state) map[graphql.ID]*awsIntegration { return st.AwsIntegrations },
		space:    func(a *awsIntegration) graphql.ID { return a.Space },
		attached: func(st *state) map[graphql.ID]*attachment { return st.AwsAttach }}
	workerPoolObjects = objects[workerPoolData]{kind: "worker pool", title: "worker pool",
		rows:  func(st *state) map[graphql.ID]*workerPoolData { return st.WorkerPools },
		space: func(w *workerPoolData) graphql.ID { return w.Space }}
	roleBindingObjects = objects[roleBindingData]{kind: "role binding", title: "role binding",
		rows:  func(st *state) map[graphql.ID]*roleBindingData { return st.RoleBindings },
		space: func(b *roleBindingData) graphql.ID { return b.SpaceID }}
	// A dependency is changed through its stack (onStackPart); only link
	// uses its table, so it has no space.
	dependencyObjects = objects[dependencyRec]{kind: "stack dependency", title: "stack dependency",
		rows: func(st *state) map[graphql.ID]*dependencyRec { return st.Dependencies }}
	stackObjects = objects[stackRecord]{kind: "stack", title: "stack",
		rows:  func(st *state) map[graphql.ID]*stackRecord { return st.Stacks },
		space: func(s *stackRecord) graphql.ID { return s.Space }}
	// A space is managed by the admins of the space itself.
	spaceObjects = objects[spaceData]{kind: "space", title: "space",
		rows:  func(st *state) map[graphql.ID]*spaceData { return st.Spaces },
		space: func(sp *spaceData) graphql.ID { return sp.ID }}
	// Roles live in no space; only the reads below use their table.
	roleObjects = objects[roleData]{kind: "role", title: "role",
		rows: func(st *state) map[graphql.ID]*roleData { return st.Roles }}
)

// findObject is the view of the object of the given id, for any
// authenticated caller; a missing object answers null, as Spacelift does.
func findObject[R, V any](ctx context.Context, s *Server, t objects[R], id graphql.ID, view func(*R) V) (V, error) {
	return findBy(ctx, s, func(st *state) (*R, bool) {
		rec, ok := t.rows(st)[id]
		return rec, ok
	}, nil, view)
}

// findBy is the view of the object find finds, for any authenticated
// caller. When it finds none the answer is missing: nil (null) or the error.
func findBy[R, V any](ctx context.Context, s *Server, find func(*state) (*R, bool), missing error, view func(*R) V) (V, error) {
	return locked(ctx, s, func() (V, error) {
		if rec, ok := find(s.st); ok {
			return view(rec), nil
		}
		var zero V
		return zero, missing
	})
}

// listObjects is the view of every object of a table, ordered by id, for
// any authenticated caller.
func listObjects[R, V any](ctx context.Context, s *Server, t objects[R], view func(*R) V) ([]V, error) {
	return locked(ctx, s, func() ([]V, error) {
		rows := sortedValues(t.rows(s.st))
		out := make([]V, len(rows))
		for i, rec := range rows {
			out[i] = view(rec)
		}
		return out, nil
	})
}

// searchObjects is a page of a search* query over a table.
func searchObjects[R, V any](ctx context.Context, s *Server, t objects[R], in searchInput, how searchable[*R], view func(*R) V) (*connection[V], error) {
	return locked(ctx, s, func() (*connection[V], error) {
		return searchPage(in, sortedValues(t.rows(s.st)), how, view)
	})
}

// onObject runs fn under the lock with the object of the given id, for a
// caller that may manage objects in its space.
func onObject[R, T any](ctx context.Context, s *Server, t objects[R], id graphql.ID, fn func(*R) (T, error)) (T, error) {
	return withObject(ctx, s, t, id, fmt.Errorf("%s %q not found", t.kind, id), fn)
}

// onFound is onObject for a change that answers null, and does not call fn,
// when the object does not exist, as Spacelift's deletes do.
func onFound[R, T any](ctx context.Context, s *Server, t objects[R], id graphql.ID, fn func(*R) (T, error)) (T, error) {
	return withObject(ctx, s, t, id, nil, fn)
}

// withObject is onObject with missing as the answer (nil for null) when the
// object does not exist.
func withObject[R, T any](ctx context.Context, s *Server, t objects[R], id graphql.ID, missing error, fn func(*R) (T, error)) (T, error) {
	return locked(ctx, s, func() (T, error) {
		var zero T
		rec, ok := t.rows(s.st)[id]
		if !ok {
			return zero, missing
		}
		if err := s.requireAdminLocked(ctx, t.space(rec)); err != nil {
			return zero, err
		}
		return fn(rec)
	})
}

// refused is an error of a create that Spacelift returns as it is, without
// "could not create …" in front: the caller may not manage the space, the
// id is taken, the objects to link do not exist or refuse the link.
type refused struct{ error }

// Unwrap gives the refusal's reason.
func (r refused) Unwrap() error { return r.error }

// createObject adds the object that build makes from the input, under the
// id it returns. Errors of build are "could not create <title>" errors
// unless build marks them refused.
func createObject[R, V any](ctx context.Context, s *Server, t objects[R], build func() (*R, graphql.ID, error), view func(*R) V) (V, error) {
	return locked(ctx, s, func() (V, error) {
		rec, id, err := build()
		if err != nil {
			var zero V
			if errors.As(err, new(refused)) {
				return zero, err
			}
			return zero, fmt.Errorf("could not create %s: %w", t.title, err)
		}
		t.rows(s.st)[id] = rec
		return view(rec), nil
	})
}

// linkInput is the input of a record that ties existing objects together
// (a stack dependency, a role binding): it makes the record of a given id.
type linkInput[R any] interface {
	record(id graphql.ID) *R
}

// link adds the record of an input under a fresh id, once check accepts the
// input. Spacelift returns check's errors as they are.
func link[I linkInput[R], R, V any](ctx context.Context, s *Server, t objects[R], in I, check func(context.Context, I) error, view func(*R) V) (V, error) {
	return createObject(ctx, s, t, func() (*R, graphql.ID, error) {
		if err := check(ctx, in); err != nil {
			return nil, "", refused{err}
		}
		id := s.nextIDLocked()
		return in.record(id), id, nil
	}, view)
}

// slugFreeLocked refuses an object whose id, the slug of its name, another
// object of the table has.
func (t objects[R]) slugFreeLocked(st *state, id graphql.ID) error {
	if _, exists := t.rows(st)[id]; exists {
		return fmt.Errorf("%s with slug %q already exists", t.kind, id)
	}
	return nil
}

// replaceObject updates an object: apply writes the input over a copy, which
// replaces the object only when apply succeeds.
func replaceObject[R, V any](ctx context.Context, s *Server, t objects[R], id graphql.ID, apply func(*R) error, view func(*R) V) (V, error) {
	return onObject(ctx, s, t, id, func(rec *R) (V, error) {
		updated := *rec
		if err := apply(&updated); err != nil {
			var zero V
			return zero, fmt.Errorf("could not update %s: %w", t.title, err)
		}
		*rec = updated
		return view(rec), nil
	})
}

// deleteObject removes an object and the attachments that point at it,
// unless check refuses. A missing object answers null, as Spacelift does.
func deleteObject[R, V any](ctx context.Context, s *Server, t objects[R], id graphql.ID, check func(*R) error, view func(*R) V) (V, error) {
	return onFound(ctx, s, t, id, func(rec *R) (V, error) {
		if check != nil {
			if err := check(rec); err != nil {
				var zero V
				return zero, err
			}
		}
		v := view(rec)
		delete(t.rows(s.st), id)
		if t.attached != nil {
			attached := t.attached(s.st)
			for k, a := range attached {
				if a.Target == id {
					delete(attached, k)
				}
			}
		}
		return v, nil
	})
}

// spaceOrRootLocked is the space an input names, root when it names none.
func (s *Server) spaceOrRootLocked(space *graphql.ID) (graphql.ID, error) {
	id := graphql.ID("root")
	if space != nil && *space != "" {
		id = *space
	}
	if _, ok := s.st.Spaces[id]; !ok {
		return "", fmt.Errorf("space %q not found", id)
	}
	return id, nil
}

// nameAndSpaceLocked checks the name and space of an input for an object
// the caller must be allowed to manage in that space: the trimmed name, and
// the space (root when the input names none).
func (s *Server) nameAndSpaceLocked(ctx context.Context, name string, space *graphql.ID) (string, graphql.ID, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", "", errors.New("name can't be empty")
	}
	id, err := s.adminSpaceLocked(ctx, space)
	return name, id, err
}

// adminSpaceLocked is spaceOrRootLocked for a caller that must be allowed to
// manage objects in that space.
func (s *Server) adminSpaceLocked(ctx context.Context, space *graphql.ID) (graphql.ID, error) {
	id, err := s.spaceOrRootLocked(space)
	if err != nil {
		return "", err
	}
	return id, s.requireAdminLocked(ctx, id)
}

// attach links the object a.Target of t to the stack a.StackID, once, for a
// caller that may manage objects in the stack's space. check may refuse the
// object.
func attach[R, V any](ctx context.Context, s *Server, t objects[R], a attachment, check func(*R) error, view func(*attachment) V) (V, error) {
	return locked(ctx, s, func() (V, error) {
		var zero V
		if err := s.requireStackAdminLocked(ctx, a.StackID); err != nil {
			return zero, err
		}
		target, ok := t.rows(s.st)[a.Target]
		if !ok {
			return zero, fmt.Errorf("%s %q not found", t.kind, a.Target)
		}
		if check != nil {
			if err := check(target); err != nil {
				return zero, err
			}
		}
		if _, ok := s.st.Stacks[a.StackID]; !ok {
			return zero, fmt.Errorf("stack %q not found", a.StackID)
		}
		attached := t.attached(s.st)
		for _, other := range attached {
			if other.Target == a.Target && other.StackID == a.StackID {
				return zero, fmt.Errorf("%s %q is already attached to stack %q", t.kind, a.Target, a.StackID)
			}
		}
		a.ID = s.nextIDLocked()
		attached[a.ID] = &a
		return view(&a), nil
	})
}

// detach removes an attachment of t; a missing one answers null.
func detach[R, V any](ctx context.Context, s *Server, t objects[R], id graphql.ID, view func(*attachment) V) (V, error) {
	return locked(ctx, s, func() (V, error) {
		var zero V
		attached := t.attached(s.st)
		if err := s.requireStackAdminLocked(ctx, attachedStack(attached, id)); err != nil {
			return zero, err
		}
		a, ok := attached[id]
		if !ok {
			if t.autoattached != "" && strings.HasPrefix(string(id), "auto-") {
				return zero, fmt.Errorf("autoattached %s can only be detached by changing labels", t.autoattached)
			}
			return zero, nil
		}
		delete(attached, id)
		return view(a), nil
	})
}

// viewOrNull is the view of el; null (and no call of view) when el is nil,
// as for the element a delete did not find.
func viewOrNull[E, V any](el *E, view func(*E) V) (V, error) {
	if el == nil {
		var zero V
		return zero, nil
	}
	return view(el), nil
}

// removeFrom takes the first element that matches out of a record's list,
// which it replaces (views may still hold the old one); nil when none does.
func removeFrom[E any](list *[]*E, match func(*E) bool) *E {
	i := slices.IndexFunc(*list, match)
	if i < 0 {
		return nil
	}
	el := (*list)[i]
	*list = slices.Delete(slices.Clone(*list), i, i+1)
	return el
}
