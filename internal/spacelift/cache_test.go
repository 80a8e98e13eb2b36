package spacelift

import (
	"strings"
	"testing"
)

func acmeCredentials(keyID string) Credentials {
	return Credentials{Endpoint: "https://acme.app.spacelift.io", KeyID: keyID, KeySecret: "s3cr3t"}
}

func TestClientCache(t *testing.T) {
	observer := &recordingObserver{}
	cache := NewClientCache(Options{QPS: 5, Burst: 5, Observer: observer})

	first, err := cache.Get("infra/spacelift", "1", acmeCredentials("KEY1"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := cache.Get("infra/spacelift", "1", acmeCredentials("KEY1"))
	if err != nil {
		t.Fatal(err)
	}
	if first != again {
		t.Fatal("the same Secret version yielded two clients")
	}
	if first.Endpoint() != "https://acme.app.spacelift.io/graphql" || first.KeyID() != "KEY1" {
		t.Fatalf("client for %s with key %s", first.Endpoint(), first.KeyID())
	}

	rotated, err := cache.Get("infra/spacelift", "2", acmeCredentials("KEY2"))
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
	if rotated.observer != RequestObserver(observer) || first.observer != RequestObserver(observer) {
		t.Fatal("clients of one cache do not report to the cache's observer")
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

	_, err = cache.Get("infra/spacelift", "3", Credentials{Endpoint: "ftp://acme", KeyID: "K", KeySecret: "s3cr3t"})
	if err == nil || !strings.Contains(err.Error(), "infra/spacelift") || !strings.Contains(err.Error(), "http(s)") {
		t.Fatalf("error for credentials with a bad endpoint: %v", err)
	}
	_, err = cache.Get("infra/spacelift", "4", Credentials{Endpoint: "https://acme.app.spacelift.io", KeySecret: "s3cr3t"})
	if err == nil || !strings.Contains(err.Error(), "infra/spacelift") || !strings.Contains(err.Error(), "key ID") {
		t.Fatalf("error for credentials without key ID: %v", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error %q leaks the secret", err)
	}
	if cache.Len() != 1 {
		t.Fatalf("%d cached clients after two refused credentials, want 1", cache.Len())
	}
}
