package emulator

import (
	"context"
	"fmt"

	"github.com/graph-gophers/graphql-go"
)

// Resolvers that read or change the state do it through these helpers: they
// check the caller's token, take the emulator's lock for the whole call and
// find the object the call is about, with the error Spacelift gives when it
// does not exist. The function they run is the resolver's own logic and
// works on records that only it may touch while it runs.

// locked runs fn under the lock for an authenticated caller.
func locked[T any](ctx context.Context, s *Server, fn func() (T, error)) (T, error) {
	var zero T
	if !authorized(ctx) {
		return zero, errUnauthorized
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn()
}

// onStack runs fn under the lock with the stack of the given id.
func onStack[T any](ctx context.Context, s *Server, id graphql.ID, fn func(st *stackRecord) (T, error)) (T, error) {
	return locked(ctx, s, func() (T, error) {
		st, ok := s.st.Stacks[id]
		if !ok {
			var zero T
			return zero, fmt.Errorf("stack %q not found", id)
		}
		return fn(st)
	})
}

// onStackAs is onStack for a caller that must be allowed action in the
// stack's space (see requireLocked).
func onStackAs[T any](ctx context.Context, s *Server, id graphql.ID, action string, fn func(st *stackRecord) (T, error)) (T, error) {
	return onStack(ctx, s, id, func(st *stackRecord) (T, error) {
		if err := s.requireLocked(ctx, st.Space, action); err != nil {
			var zero T
			return zero, err
		}
		return fn(st)
	})
}

// onStackPart runs fn under the lock with something that belongs to a
// stack (a dependency, one of its references, an attachment), for a caller
// that may manage objects in the stack's space. find gives the part and its
// stack; when it finds none the answer is missing, which is nil (null) or
// the error.
func onStackPart[P, T any](ctx context.Context, s *Server, find func(*Server, graphql.ID) (P, graphql.ID, bool), id graphql.ID,
	missing error, fn func(P) (T, error)) (T, error) {
	return locked(ctx, s, func() (T, error) {
		var zero T
		p, stack, ok := find(s, id)
		if !ok {
			return zero, missing
		}
		if err := s.requireStackAdminLocked(ctx, stack); err != nil {
			return zero, err
		}
		return fn(p)
	})
}

// onRun runs fn under the lock with a run of a stack, for a caller allowed
// to write (run) in the stack's space.
func onRun[T any](ctx context.Context, s *Server, stack, run graphql.ID, fn func(st *stackRecord, r *runRecord) (T, error)) (T, error) {
	return onStackAs(ctx, s, stack, actionWrite, func(st *stackRecord) (T, error) {
		r, ok := s.st.Runs[run]
		if !ok || r.StackID != stack {
			var zero T
			return zero, fmt.Errorf("run %q not found on stack %q", run, stack)
		}
		return fn(st, r)
	})
}
