package controllers

import (
	"context"
	"iter"

	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// StackAPI is the part of the Spacelift API the Stack controller uses.
// *spacelift.Client implements it.
type StackAPI interface {
	GetStack(ctx context.Context, id string) (*spacelift.Stack, error)
	CreateStack(ctx context.Context, input spacelift.StackInput, opts spacelift.CreateStackOptions) (*spacelift.Stack, error)
	UpdateStack(ctx context.Context, id string, input spacelift.StackInput) (*spacelift.Stack, error)
	DeleteStack(ctx context.Context, id string, destroyResources bool) (bool, error)

	ListStackConfig(ctx context.Context, stackID string) ([]spacelift.ConfigElement, error)
	AddStackConfigs(ctx context.Context, stackID string, inputs []spacelift.ConfigInput) error
	DeleteStackConfig(ctx context.Context, stackID, id string) error

	ListStackPolicies(ctx context.Context, stackID string) ([]spacelift.StackPolicyAttachment, error)
	AttachPolicy(ctx context.Context, policyID, stackID string) (*spacelift.PolicyAttachment, error)
	DetachPolicy(ctx context.Context, attachmentID string) error

	ListStackContexts(ctx context.Context, stackID string) ([]spacelift.ContextAttachment, error)
	AttachContext(ctx context.Context, contextID, stackID string, priority int) (*spacelift.ContextAttachment, error)
	DetachContext(ctx context.Context, attachmentID string) error

	CreateDriftDetection(ctx context.Context, stackID string, input spacelift.DriftDetectionIntegrationInput) (*spacelift.DriftDetectionIntegration, error)
	UpdateDriftDetection(ctx context.Context, stackID string, input spacelift.DriftDetectionIntegrationInput) (*spacelift.DriftDetectionIntegration, error)
	DeleteDriftDetection(ctx context.Context, stackID string) error

	ListStackDependencies(ctx context.Context, stackID string) ([]spacelift.StackDependency, error)
	CreateStackDependency(ctx context.Context, stackID, dependsOnStackID string) (*spacelift.StackDependency, error)
	DeleteStackDependency(ctx context.Context, id string) error
	AddStackDependencyReference(ctx context.Context, dependencyID string, input spacelift.StackDependencyReferenceInput) (*spacelift.StackDependencyReference, error)
	DeleteStackDependencyReference(ctx context.Context, id string) error

	ListStackAWSIntegrations(ctx context.Context, stackID string) ([]spacelift.AWSIntegrationAttachment, error)
	AttachAWSIntegration(ctx context.Context, integrationID, stackID string, read, write bool) (*spacelift.AWSIntegrationAttachment, error)
	UpdateAWSIntegrationAttachment(ctx context.Context, attachmentID string, read, write bool) (*spacelift.AWSIntegrationAttachment, error)
	DetachAWSIntegration(ctx context.Context, attachmentID string) error

	CreateWebhook(ctx context.Context, stackID string, input spacelift.WebhooksIntegrationInput) (*spacelift.Webhook, error)
	UpdateWebhook(ctx context.Context, stackID, webhookID string, input spacelift.WebhooksIntegrationInput) (*spacelift.Webhook, error)
	DeleteWebhook(ctx context.Context, stackID, webhookID string) error

	CreateStackRoleBinding(ctx context.Context, input spacelift.StackRoleBindingInput) (*spacelift.StackRoleBinding, error)
	GetStackRoleBinding(ctx context.Context, id string) (*spacelift.StackRoleBinding, error)
	DeleteStackRoleBinding(ctx context.Context, id string) error
	ListRoles(ctx context.Context) ([]spacelift.Role, error)

	StackSnapshotPages(ctx context.Context, predicates ...spacelift.QueryPredicate) iter.Seq2[*spacelift.Page[spacelift.StackSnapshot], error]
	ListRuns(ctx context.Context, stackID, before string) ([]spacelift.Run, error)
	GetRun(ctx context.Context, stackID, runID string) (*spacelift.Run, error)
	TriggerRun(ctx context.Context, stackID string, runType spacelift.RunType, commitSHA string, opts ...spacelift.CallOption) (*spacelift.Run, error)
	ConfirmRun(ctx context.Context, stackID, runID string, opts ...spacelift.CallOption) (*spacelift.Run, error)
	GetRunChanges(ctx context.Context, stackID, runID string) ([]spacelift.ResourceChange, error)
	GetStackOutputs(ctx context.Context, stackID string) ([]spacelift.StackOutput, error)
}

