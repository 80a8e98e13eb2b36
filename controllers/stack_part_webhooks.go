package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// webhooksPart is the stack's webhooks, matched by endpoint. Secrets cannot
// be read back, so a webhook is rewritten whenever its secret's digest
// differs from the one recorded at the last write.
type webhooksPart struct{}

func (webhooksPart) name() string { return "webhooks" }

func (webhooksPart) changes(in *partInput) []partChange {
	return webhookChanges(in.id, in.resolved.webhooks, in.observed.Stack.Webhooks, webhookDigests(in.obj), wantedWebhookDigests(in.obj, in.resolved.webhooks))
}

// webhookChanges creates, rewrites and deletes webhooks so that got matches
// want; recorded and wanted are the secret digests by endpoint.
func webhookChanges(stackID string, want []resolvedWebhook, got []spacelift.Webhook, recorded, wanted map[string]string) []partChange {
	byEndpoint := make(map[string]spacelift.Webhook, len(got))
	for _, w := range got {
		byEndpoint[w.Endpoint] = w
	}
	var out []partChange
	for _, w := range want {
		in := spacelift.WebhooksIntegrationInput{Enabled: w.spec.Enabled, Endpoint: w.spec.Endpoint, Secret: w.secret, RetryOnFailure: &w.spec.RetryOnFailure}
		have, ok := byEndpoint[w.spec.Endpoint]
		switch {
		case !ok:
			out = append(out, partChange{mutation: spacelift.CreateWebhookMutation(stackID, in)})
		case have.Enabled != in.Enabled || have.RetryOnFailure != w.spec.RetryOnFailure || recorded[w.spec.Endpoint] != wanted[w.spec.Endpoint]:
			out = append(out, partChange{mutation: spacelift.UpdateWebhookMutation(stackID, have.ID, in)})
		}
		delete(byEndpoint, w.spec.Endpoint)
	}
	for _, endpoint := range sortedKeys(byEndpoint) {
		out = append(out, partChange{mutation: spacelift.DeleteWebhookMutation(stackID, byEndpoint[endpoint].ID, endpoint)})
	}
	return out
}

// wantedWebhookDigests are the secret digests of the spec's webhooks.
func wantedWebhookDigests(obj *spaceliftv1alpha1.Stack, want []resolvedWebhook) map[string]string {
	out := make(map[string]string, len(want))
	for _, w := range want {
		out[w.spec.Endpoint] = secretDigest(string(obj.UID), w.spec.Endpoint, w.secret)
	}
	return out
}

// annotationWebhookDigests records, per webhook endpoint, a digest of the
// secret last written, so that a rotated secret is noticed without storing it.
const annotationWebhookDigests = "spacelift.stackwright.io/webhook-secret-digests"

// secretDigest is a salted SHA-256 of a webhook secret; it reveals nothing of
// the secret but whether it changed.
func secretDigest(salt, endpoint, secret string) string {
	sum := sha256.Sum256([]byte(salt + "\x00" + endpoint + "\x00" + secret))
	return hex.EncodeToString(sum[:16])
}

// webhookDigests reads the digests recorded on the object.
func webhookDigests(obj *spaceliftv1alpha1.Stack) map[string]string {
	out := map[string]string{}
	if v := obj.Annotations[annotationWebhookDigests]; v != "" {
		_ = json.Unmarshal([]byte(v), &out)
	}
	return out
}

// recordWebhookDigests writes the digests onto the object when they changed.
func (r *StackReconciler) recordWebhookDigests(ctx context.Context, obj *spaceliftv1alpha1.Stack, digests map[string]string) error {
	old := obj.Annotations[annotationWebhookDigests]
	value := ""
	if len(digests) > 0 {
		b, err := json.Marshal(digests)
		if err != nil {
			return fmt.Errorf("encoding webhook digests: %w", err)
		}
		value = string(b)
	}
	if value == old {
		return nil
	}
	if value == "" {
		delete(obj.Annotations, annotationWebhookDigests)
		return updateMeta(ctx, r.Client, obj)
	}
	return setAnnotation(ctx, r.Client, obj, annotationWebhookDigests, value)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
