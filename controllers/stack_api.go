package controllers

import (
	"context"
	"encoding/json"
	"iter"

	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// StackAPI is the part of the Spacelift API the Stack controller uses:
// observe stacks (one at a time or in pages of 50, each with every
// sub-resource), create, apply a batch of mutations, delete, and runs.
// *spacelift.Client implements it; the emulator serves it in tests.
type StackAPI interface {
	ObserveStack(ctx context.Context, id string) (*spacelift.StackSnapshot, error)
	StackSnapshotPages(ctx context.Context, predicates ...spacelift.QueryPredicate) iter.Seq2[*spacelift.Page[spacelift.StackSnapshot], error]
	SearchStacks(ctx context.Context, predicates ...spacelift.QueryPredicate) ([]spacelift.Stack, error)
	CreateStack(ctx context.Context, input spacelift.StackInput, opts spacelift.CreateStackOptions) (*spacelift.Stack, error)
	Apply(ctx context.Context, name string, muts []spacelift.Mutation) ([]json.RawMessage, error)
	DeleteStack(ctx context.Context, id string, destroyResources bool) (bool, error)

	RoleBindingAPI
	RunAPI
}

// RoleBindingAPI reads and writes the role bindings of a stack, which
// Spacelift does not show on the stack itself.
type RoleBindingAPI interface {
	CreateStackRoleBinding(ctx context.Context, input spacelift.StackRoleBindingInput) (*spacelift.StackRoleBinding, error)
	GetStackRoleBinding(ctx context.Context, id string) (*spacelift.StackRoleBinding, error)
	DeleteStackRoleBinding(ctx context.Context, id string) error
	ListRoles(ctx context.Context) ([]spacelift.Role, error)
}

// RunAPI triggers, confirms and reads the runs of a stack and its outputs.
type RunAPI interface {
	ListRuns(ctx context.Context, stackID, before string) ([]spacelift.Run, error)
	GetRun(ctx context.Context, stackID, runID string) (*spacelift.Run, error)
	TriggerRun(ctx context.Context, stackID string, runType spacelift.RunType, commitSHA string, opts ...spacelift.CallOption) (*spacelift.Run, error)
	ConfirmRun(ctx context.Context, stackID, runID string, opts ...spacelift.CallOption) (*spacelift.Run, error)
	GetRunChanges(ctx context.Context, stackID, runID string) ([]spacelift.ResourceChange, error)
	GetStackOutputs(ctx context.Context, stackID string) ([]spacelift.StackOutput, error)
}
