package emulator

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/graph-gophers/graphql-go"
)

// Roles and who may manage what.
//
// Spacelift's built-in roles have their slug as id: the public documentation
// binds them with role_id = "space-admin" and reads them with the
// spacelift_role data source by slug. Since 2026-06-01 a stack manages other
// stacks only through a stack role binding to such a role; the administrative
// flag is refused on input. A stack that still carries the flag (created
// before, loaded from a state file) keeps what the flag granted, which takes
// precedence over its bindings, until an update clears it.
//
// The emulator knows two kinds of caller: the API key (an admin everywhere)
// and a stack, whose runs authenticate with a token minted by
// Server.StackToken. A stack may change stacks, policies and contexts in a
// space when it is a Space admin there: through the legacy flag in its own
// space and below, or through a binding to the Space admin role in that space
// or one of its parents; the Space writer role lets it run, lock and change
// environment variables there.

// The built-in roles, by id (which is also the slug).
const (
	spaceAdminRoleID           = "space-admin"
	spaceWriterRoleID          = "space-writer"
	spaceReaderRoleID          = "space-reader"
	workerPoolControllerRoleID = "worker-pool-controller"
)

// systemRoles are seeded into every state. Names and the actions of the
// Space roles are those the provider's acceptance test reads from the real
// API (Space admin: SPACE_READ, SPACE_WRITE, SPACE_ADMIN); the worker pool
// controller's action names are modelled on them (unconfirmed).
var systemRoles = []roleData{
	{ID: spaceAdminRoleID, Slug: spaceAdminRoleID, Name: "Space admin", IsSystem: true,
		Description: "Space writer permissions plus creating and modifying stacks, contexts, policies and space settings.",
		Actions:     []string{"SPACE_READ", "SPACE_WRITE", "SPACE_ADMIN"}},
	{ID: spaceWriterRoleID, Slug: spaceWriterRoleID, Name: "Space writer", IsSystem: true,
		Description: "Space reader permissions plus triggering runs, executing tasks and modifying environment variables.",
		Actions:     []string{"SPACE_READ", "SPACE_WRITE"}},
	{ID: spaceReaderRoleID, Slug: spaceReaderRoleID, Name: "Space reader", IsSystem: true,
		Description: "View stacks, contexts, policies and runs, and comment on runs.",
		Actions:     []string{"SPACE_READ"}},
	{ID: workerPoolControllerRoleID, Slug: workerPoolControllerRoleID, Name: "Worker pool controller", IsSystem: true,
		Description: "What the Kubernetes worker pool controller needs to manage worker pools.",
		Actions:     []string{"SPACE_READ", "WORKER_POOL_CREATE", "WORKER_POOL_UPDATE", "WORKER_POOL_DELETE"}},
}

// stackSubjectPrefix starts the subject of a token minted for a stack's runs.
const stackSubjectPrefix = "stack::"

// stackOf returns the stack a caller acts as, or "" for the API key.
func stackOf(ctx context.Context) graphql.ID {
	id, ok := strings.CutPrefix(info(ctx).subject, stackSubjectPrefix)
	if !ok {
		return ""
	}
	return graphql.ID(id)
}

// withinLocked reports whether space is ancestor or one of its descendants.
func (s *Server) withinLocked(space, ancestor graphql.ID) bool {
	seen := map[graphql.ID]bool{}
	for cur := space; !seen[cur]; {
		if cur == ancestor {
			return true
		}
		seen[cur] = true
		sp, ok := s.st.Spaces[cur]
		if !ok || sp.ParentSpace == nil {
			return false
		}
		cur = *sp.ParentSpace
	}
	return false
}

// The actions the emulator checks, from least to most: reading is never
// refused (the emulator is lenient there), writing covers runs, locks and
// environment variables, admin covers creating and changing objects.
const (
	actionWrite = "SPACE_WRITE"
	actionAdmin = "SPACE_ADMIN"
)

// roleGrantsLocked reports whether a role grants action; SPACE_ADMIN
// implies SPACE_WRITE.
func (s *Server) roleGrantsLocked(id graphql.ID, action string) bool {
	r, ok := s.st.Roles[id]
	if !ok {
		return false
	}
	return slices.Contains(r.Actions, action) || (action == actionWrite && slices.Contains(r.Actions, actionAdmin))
}

// stackMayLocked reports whether stack may do action in space: the legacy
// administrative flag covers everything in the stack's own space and its
// subspaces and, when set, is the only grant (Spacelift ignores bindings
// then); otherwise a binding to a role granting the action in space or a
// parent space does.
func (s *Server) stackMayLocked(stack, space graphql.ID, action string) bool {
	st, ok := s.st.Stacks[stack]
	if !ok {
		return false
	}
	if st.Administrative {
		return s.withinLocked(space, st.Space)
	}
	for _, b := range s.st.RoleBindings {
		if b.StackID == stack && s.roleGrantsLocked(b.RoleID, action) && s.withinLocked(space, b.SpaceID) {
			return true
		}
	}
	return false
}

// requireLocked refuses action in space by a stack that may not do it
// there. The API key may do anything. Spacelift answers such a request with
// "unauthorized" (the Terraform provider adds "is it an administrative
// stack?"); the emulator says which binding is missing.
func (s *Server) requireLocked(ctx context.Context, space graphql.ID, action string) error {
	stack := stackOf(ctx)
	if stack == "" || s.stackMayLocked(stack, space, action) {
		return nil
	}
	role := spaceAdminRoleID
	if action == actionWrite {
		role = spaceWriterRoleID
	}
	return fmt.Errorf("unauthorized: stack %q may not %s in space %q; "+
		"bind the %s role to it in that space or a parent space", stack, actionVerb[action], space, role)
}

var actionVerb = map[string]string{actionWrite: "run or change environment", actionAdmin: "manage objects"}

// requireAdminLocked is requireLocked for SPACE_ADMIN.
func (s *Server) requireAdminLocked(ctx context.Context, space graphql.ID) error {
	return s.requireLocked(ctx, space, actionAdmin)
}

// StackToken mints a bearer token with which a caller acts as the stack, the
// way the runs of a stack call the API through the Terraform provider.
func (s *Server) StackToken(stack, audience string) string {
	token, _ := s.mintTokenFor(stackSubjectPrefix+stack, audience)
	return token
}

// requireStackAdminLocked is requireAdminLocked in the space of a stack; a
// missing stack passes, for the resolver to report.
func (s *Server) requireStackAdminLocked(ctx context.Context, stack graphql.ID) error {
	st, ok := s.st.Stacks[stack]
	if !ok {
		return nil
	}
	return s.requireAdminLocked(ctx, st.Space)
}

// attachedStack is the stack of an attachment, "" when there is none.
func attachedStack(m map[graphql.ID]*attachment, id graphql.ID) graphql.ID {
	if a, ok := m[id]; ok {
		return a.StackID
	}
	return ""
}

// dependencyLocked finds a dependency and its dependent stack.
func (s *Server) dependencyLocked(id graphql.ID) (*dependencyRec, graphql.ID, bool) {
	d, ok := s.st.Dependencies[id]
	if !ok {
		return nil, "", false
	}
	return d, d.StackID, true
}

// referenceAt is a reference of a dependency: the dependency and the
// reference's index in it.
type referenceAt struct {
	dep *dependencyRec
	i   int
}

// referenceLocked finds a dependency reference and its dependent stack.
func (s *Server) referenceLocked(id graphql.ID) (referenceAt, graphql.ID, bool) {
	for _, d := range s.st.Dependencies {
		if i := slices.IndexFunc(d.References, func(r *referenceData) bool { return r.ID == id }); i >= 0 {
			return referenceAt{dep: d, i: i}, d.StackID, true
		}
	}
	return referenceAt{}, "", false
}

// awsAttachmentLocked finds an AWS integration attachment and its stack.
func (s *Server) awsAttachmentLocked(id graphql.ID) (*attachment, graphql.ID, bool) {
	a, ok := s.st.AwsAttach[id]
	if !ok {
		return nil, "", false
	}
	return a, a.StackID, true
}
