package controllers

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

func TestClientFromSecret(t *testing.T) {
	secret := func(rv, keyID string) *corev1.Secret {
		return &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "spacelift", ResourceVersion: rv},
			Data: map[string][]byte{
				spacelift.SecretKeyEndpoint: []byte("https://acme.app.spacelift.io"),
				spacelift.SecretKeyID:       []byte(keyID),
				spacelift.SecretKeySecret:   []byte("s3cr3t"),
			},
		}
	}
	cache := spacelift.NewClientCache(spacelift.Options{QPS: 5, Burst: 5})

	first, err := clientFromSecret(cache, secret("1", "KEY1"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := clientFromSecret(cache, secret("1", "KEY1"))
	if err != nil {
		t.Fatal(err)
	}
	if first != again {
		t.Fatal("the same Secret version yielded two clients")
	}
	if first.Endpoint() != "https://acme.app.spacelift.io/graphql" || first.KeyID() != "KEY1" {
		t.Fatalf("client for %s with key %s", first.Endpoint(), first.KeyID())
	}

	rotated, err := clientFromSecret(cache, secret("2", "KEY2"))
	if err != nil {
		t.Fatal(err)
	}
	if rotated == first || rotated.KeyID() != "KEY2" || cache.Len() != 1 {
		t.Fatalf("an updated Secret yielded the old client or kept it (%d cached clients)", cache.Len())
	}
	// The Secret is the owner "namespace/name": forgetting it drops its client.
	cache.Forget("infra/spacelift")
	if cache.Len() != 0 {
		t.Fatalf("%d cached clients after the Secret was forgotten", cache.Len())
	}

	_, err = clientFromSecret(cache, secret("3", ""))
	if err == nil || !strings.Contains(err.Error(), spacelift.SecretKeyID) {
		t.Fatalf("error for a Secret without key ID: %v", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error %q leaks the secret", err)
	}
}
