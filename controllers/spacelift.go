package controllers

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

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
	cl, err := clientFromSecret(c.Cache, &secret)
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
