package controllers

import (
	"crypto/ed25519"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/runmeta/runmetatest"
)

func TestPublishKeyKeepsRetiredKeysInTheJWKS(t *testing.T) {
	pemOf := func(pub ed25519.PublicKey) string {
		b, err := runmeta.MarshalPublicKeyPEM(pub)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	oldKey, newKey := runmetatest.TestPublicKey(), runmetatest.OtherPublicKey()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cm := &corev1.ConfigMap{}
	if err := publishKey(cm, runmeta.KeyID(oldKey), pemOf(oldKey), t0); err != nil {
		t.Fatal(err)
	}
	if err := publishKey(cm, runmeta.KeyID(newKey), pemOf(newKey), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if want := runmetatest.JWKS(newKey, oldKey); cm.Data[jwksKey] != want {
		t.Errorf("jwks.json = %s, want %s", cm.Data[jwksKey], want)
	}
	if cm.Data["current.pem"] != pemOf(newKey) || cm.Data[runmeta.KeyID(oldKey)+".pem"] != pemOf(oldKey) {
		t.Errorf("PEM files %v", cm.Data)
	}
	wantOrder := runmeta.KeyID(newKey) + "," + runmeta.KeyID(oldKey) + "@2026-01-01T00:01:00Z"
	if got := cm.Annotations[annotationKeyOrder]; got != wantOrder {
		t.Errorf("key order %q, want %q", got, wantOrder)
	}
}
