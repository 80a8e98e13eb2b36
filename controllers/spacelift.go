package controllers

import (
	"context"
	"errors"
	"fmt"
	"iter"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
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

// PolicyAPI is the part of the Spacelift API the Policy controller uses.
// *spacelift.Client implements it.
type PolicyAPI interface {
	GetPolicy(ctx context.Context, id string) (*spacelift.Policy, error)
	CreatePolicy(ctx context.Context, input spacelift.PolicyCreateInput) (*spacelift.Policy, error)
	UpdatePolicy(ctx context.Context, id string, input spacelift.PolicyUpdateInput) (*spacelift.Policy, error)
	DeletePolicy(ctx context.Context, id string) error
}

// Credentials finds the Spacelift client for an object: its credentialsRef
// Secret, else the operator's default Secret.
type Credentials struct {
	// Reader reads Secrets.
	Reader client.Reader
	// Cache hands out one client per Secret version.
	Cache *spacelift.ClientCache
	// Default is the operator's credentials Secret; empty Name means none.
	Default types.NamespacedName
}

// errCredentials is a credentials problem a person has to fix; its reason is
// one of the Credentials* condition reasons.
type errCredentials struct {
	reason string
	msg    string
}

func (e *errCredentials) Error() string { return e.msg }

// For returns the client for an object in namespace with the given
// credentialsRef. Errors that need a person are *errCredentials.
func (c *Credentials) For(ctx context.Context, namespace string, ref *spaceliftv1alpha1.LocalObjectReference) (*spacelift.Client, error) {
	key := c.Default
	if ref != nil {
		key = types.NamespacedName{Namespace: namespace, Name: ref.Name}
	}
	if key.Name == "" {
		return nil, &errCredentials{reason: spaceliftv1alpha1.ReasonCredentialsNotFound,
			msg: "no credentials: set spec.credentialsRef to a Secret with SPACELIFT_API_KEY_ENDPOINT, SPACELIFT_API_KEY_ID and SPACELIFT_API_KEY_SECRET, or start the operator with --credentials-secret"}
	}
	var secret corev1.Secret
	if err := c.Reader.Get(ctx, key, &secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &errCredentials{reason: spaceliftv1alpha1.ReasonCredentialsNotFound,
				msg: fmt.Sprintf("credentials Secret %s not found: create it with the keys SPACELIFT_API_KEY_ENDPOINT, SPACELIFT_API_KEY_ID and SPACELIFT_API_KEY_SECRET", key)}
		}
		return nil, fmt.Errorf("reading credentials Secret %s: %w", key, err)
	}
	cl, err := c.Cache.ForSecret(&secret)
	if err != nil {
		return nil, &errCredentials{reason: spaceliftv1alpha1.ReasonCredentialsInvalid,
			msg: fmt.Sprintf("credentials Secret %s: %v", key, err)}
	}
	return cl, nil
}

// asCredentialsError reports whether err is a credentials problem and returns it.
func asCredentialsError(err error) (*errCredentials, bool) {
	var ce *errCredentials
	if errors.As(err, &ce) {
		return ce, true
	}
	if spacelift.IsUnauthorized(err) {
		return &errCredentials{reason: spaceliftv1alpha1.ReasonCredentialsInvalid,
			msg: "Spacelift refused the API key: check SPACELIFT_API_KEY_ID and SPACELIFT_API_KEY_SECRET in the credentials Secret"}, true
	}
	return nil, false
}
