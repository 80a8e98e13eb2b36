package spacelift

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func credentialsSecret(rv, keyID string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "spacelift", ResourceVersion: rv},
		Data: map[string][]byte{
			SecretKeyEndpoint: []byte("https://acme.app.spacelift.io"),
			SecretKeyID:       []byte(keyID),
			SecretKeySecret:   []byte("s3cr3t"),
		},
	}
}

func TestClientCache(t *testing.T) {
	metrics, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	cache := NewClientCache(Options{QPS: 5, Burst: 5, Metrics: metrics})

	first, err := cache.ForSecret(credentialsSecret("1", "KEY1"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := cache.ForSecret(credentialsSecret("1", "KEY1"))
	if err != nil {
		t.Fatal(err)
	}
	if first != again {
		t.Fatal("the same Secret version yielded two clients")
	}
	if first.Endpoint() != "https://acme.app.spacelift.io/graphql" || first.KeyID() != "KEY1" {
		t.Fatalf("client for %s with key %s", first.Endpoint(), first.KeyID())
	}

	rotated, err := cache.ForSecret(credentialsSecret("2", "KEY2"))
	if err != nil {
		t.Fatal(err)
	}
	if rotated == first || rotated.KeyID() != "KEY2" {
		t.Fatal("a changed Secret did not yield a new client")
	}
	if cache.Len() != 1 {
		t.Fatalf("%d cached clients after the Secret changed, want the old one dropped", cache.Len())
	}
	if rotated.limiter != first.limiter {
		t.Fatal("clients of one cache do not share the limiter")
	}

	other, err := cache.Get("other/creds", "7", Credentials{Endpoint: "https://beta.app.spacelift.io", KeyID: "K", KeySecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if other == rotated || cache.Len() != 2 {
		t.Fatalf("%d cached clients for two Secrets", cache.Len())
	}
	cache.Forget("infra/spacelift")
	if cache.Len() != 1 {
		t.Fatalf("%d cached clients after Forget", cache.Len())
	}

	bad := credentialsSecret("3", "")
	_, err = cache.ForSecret(bad)
	if err == nil || !strings.Contains(err.Error(), SecretKeyID) || !strings.Contains(err.Error(), "infra/spacelift") {
		t.Fatalf("error for a Secret without key ID: %v", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error %q leaks the secret", err)
	}
}
