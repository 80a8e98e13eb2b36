package controllers

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// clientFromSecret returns cache's client for the credentials held by
// secret (see spacelift.CredentialsFromSecretData). The client is keyed by
// the Secret's "namespace/name" and resourceVersion, so an updated Secret
// yields a new client and drops the old one. The error names the missing
// or invalid keys, never a value.
func clientFromSecret(cache *spacelift.ClientCache, secret *corev1.Secret) (*spacelift.Client, error) {
	creds, err := spacelift.CredentialsFromSecretData(secret.Data)
	if err != nil {
		return nil, err
	}
	return cache.Get(secret.Namespace+"/"+secret.Name, secret.ResourceVersion, creds)
}
