package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	"sigs.k8s.io/controller-runtime/pkg/log"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// syncConfig makes the stack's environment variables and mounted files match
// the spec; values from rotated Secrets are detected by checksum.
func (r *StackReconciler) syncConfig(ctx context.Context, s *stackScope) (bool, error) {
	got, err := observed(ctx, s, func(sn *spacelift.StackSnapshot) []spacelift.ConfigElement { return sn.Config }, s.api.ListStackConfig)
	if err != nil {
		return true, fmt.Errorf("listing config of stack %q: %w", s.id, err)
	}
	ch := configDiff(s.resolved.config, got)
	s.wrote = s.wrote || len(ch.Add)+len(ch.Delete) > 0
	if len(ch.Add) > 0 {
		if err := s.api.AddStackConfigs(ctx, s.id, ch.Add); err != nil {
			return true, fmt.Errorf("setting %d config elements on stack %q: %w", len(ch.Add), s.id, err)
		}
	}
	for _, id := range ch.Delete {
		if err := s.api.DeleteStackConfig(ctx, s.id, id); err != nil && !spacelift.IsNotFound(err) {
			return true, fmt.Errorf("removing %s from stack %q: %w", id, s.id, err)
		}
	}
	logChange(ctx, "config", s.id, len(ch.Add), len(ch.Delete))
	return false, nil
}

// syncPolicies attaches the spec's policies and detaches the others, leaving
// auto-attached ones alone.
func (r *StackReconciler) syncPolicies(ctx context.Context, s *stackScope) (bool, error) {
	got, err := observed(ctx, s, func(sn *spacelift.StackSnapshot) []spacelift.StackPolicyAttachment { return sn.Policies }, s.api.ListStackPolicies)
	if err != nil {
		return true, fmt.Errorf("listing policies of stack %q: %w", s.id, err)
	}
	ch := policyDiff(s.resolved.policyIDs, got)
	s.wrote = s.wrote || len(ch.Attach)+len(ch.Detach) > 0
	for _, id := range ch.Detach {
		if err := s.api.DetachPolicy(ctx, id); err != nil && !spacelift.IsNotFound(err) {
			return true, fmt.Errorf("detaching policy attachment %s from stack %q: %w", id, s.id, err)
		}
	}
	for _, id := range ch.Attach {
		_, err := s.api.AttachPolicy(ctx, id, s.id)
		err = landedAnyway(ctx, err, func(ctx context.Context) (bool, error) {
			got, err := s.api.ListStackPolicies(ctx, s.id)
			return slices.ContainsFunc(got, func(a spacelift.StackPolicyAttachment) bool { return a.PolicyID == id }), err
		})
		if err != nil {
			return true, fmt.Errorf("attaching policy %s to stack %q: %w", id, s.id, err)
		}
	}
	logChange(ctx, "policies", s.id, len(ch.Attach), len(ch.Detach))
	return false, nil
}

// syncContexts attaches the spec's contexts with their priorities.
func (r *StackReconciler) syncContexts(ctx context.Context, s *stackScope) (bool, error) {
	got, err := observed(ctx, s, func(sn *spacelift.StackSnapshot) []spacelift.ContextAttachment { return sn.Contexts }, s.api.ListStackContexts)
	if err != nil {
		return true, fmt.Errorf("listing contexts of stack %q: %w", s.id, err)
	}
	ch := contextDiff(s.obj.Spec.Contexts, got)
	s.wrote = s.wrote || len(ch.Attach)+len(ch.Detach) > 0
	for _, id := range ch.Detach {
		if err := s.api.DetachContext(ctx, id); err != nil && !spacelift.IsNotFound(err) {
			return true, fmt.Errorf("detaching context attachment %s from stack %q: %w", id, s.id, err)
		}
	}
	for _, c := range ch.Attach {
		if _, err := s.api.AttachContext(ctx, c.ID, s.id, int(c.Priority)); err != nil {
			return true, fmt.Errorf("attaching context %s to stack %q: %w", c.ID, s.id, err)
		}
	}
	logChange(ctx, "contexts", s.id, len(ch.Attach), len(ch.Detach))
	return false, nil
}

// syncDriftDetection creates, updates or deletes the drift-detection
// integration. The observed integration comes with the stack.
func (r *StackReconciler) syncDriftDetection(ctx context.Context, s *stackScope) (bool, error) {
	want := desiredDriftDetection(s.obj.Spec.DriftDetection)
	got := s.observed.DriftDetection
	if driftDetectionUpToDate(want, got) {
		return false, nil
	}
	s.wrote = true
	var err error
	switch {
	case want == nil:
		err = s.api.DeleteDriftDetection(ctx, s.id)
		if spacelift.IsNotFound(err) {
			err = nil
		}
	case got == nil:
		_, err = s.api.CreateDriftDetection(ctx, s.id, *want)
		err = landedAnyway(ctx, err, func(ctx context.Context) (bool, error) {
			st, err := s.api.GetStack(ctx, s.id)
			return err == nil && st.DriftDetection != nil, err
		})
	default:
		_, err = s.api.UpdateDriftDetection(ctx, s.id, *want)
	}
	if err != nil {
		return true, fmt.Errorf("syncing drift detection of stack %q: %w", s.id, err)
	}
	logChange(ctx, "drift detection", s.id, 1, 0)
	return false, nil
}

// syncDependencies makes the stack's dependencies and their output
// references match the spec.
func (r *StackReconciler) syncDependencies(ctx context.Context, s *stackScope) (bool, error) {
	got, err := observed(ctx, s, func(sn *spacelift.StackSnapshot) []spacelift.StackDependency { return sn.Dependencies }, s.api.ListStackDependencies)
	if err != nil {
		return true, fmt.Errorf("listing dependencies of stack %q: %w", s.id, err)
	}
	byTarget := map[string]spacelift.StackDependency{}
	for _, d := range got {
		byTarget[d.DependsOnStackID] = d
	}
	wanted := map[string]bool{}
	for _, want := range s.resolved.dependencies {
		wanted[want.stackID] = true
		dep, ok := byTarget[want.stackID]
		if !ok {
			s.wrote = true
			created, err := s.api.CreateStackDependency(ctx, s.id, want.stackID)
			if err == nil {
				dep = *created
			}
			err = landedAnyway(ctx, err, func(ctx context.Context) (bool, error) {
				deps, err := s.api.ListStackDependencies(ctx, s.id)
				i := slices.IndexFunc(deps, func(d spacelift.StackDependency) bool { return d.DependsOnStackID == want.stackID })
				if i >= 0 {
					dep = deps[i]
				}
				return i >= 0, err
			})
			if err != nil {
				return true, fmt.Errorf("making stack %q depend on %q: %w", s.id, want.stackID, err)
			}
		}
		if err := syncReferences(ctx, s, dep, want); err != nil {
			return true, err
		}
	}
	for _, d := range got {
		if !wanted[d.DependsOnStackID] {
			s.wrote = true
			if err := s.api.DeleteStackDependency(ctx, d.ID); err != nil && !spacelift.IsNotFound(err) {
				return true, fmt.Errorf("removing dependency of stack %q on %q: %w", s.id, d.DependsOnStackID, err)
			}
		}
	}
	return false, nil
}

// syncReferences makes one dependency's output references match the spec,
// matched by input name; a changed output name is a delete and an add.
func syncReferences(ctx context.Context, s *stackScope, dep spacelift.StackDependency, want resolvedDependency) error {
	api := s.api
	have := map[string]spacelift.StackDependencyReference{}
	for _, ref := range dep.References {
		have[ref.InputName] = ref
	}
	wanted := map[string]bool{}
	for _, w := range want.references {
		wanted[w.InputName] = true
		if ref, ok := have[w.InputName]; ok {
			if ref.OutputName == w.OutputName {
				continue
			}
			s.wrote = true
			if err := api.DeleteStackDependencyReference(ctx, ref.ID); err != nil && !spacelift.IsNotFound(err) {
				return fmt.Errorf("replacing reference %s of dependency %s: %w", w.InputName, dep.ID, err)
			}
		}
		s.wrote = true
		in := spacelift.StackDependencyReferenceInput{OutputName: w.OutputName, InputName: w.InputName}
		if _, err := api.AddStackDependencyReference(ctx, dep.ID, in); err != nil {
			return fmt.Errorf("adding reference %s of dependency %s: %w", w.InputName, dep.ID, err)
		}
	}
	for _, name := range sortedKeys(have) {
		if !wanted[name] {
			s.wrote = true
			if err := api.DeleteStackDependencyReference(ctx, have[name].ID); err != nil && !spacelift.IsNotFound(err) {
				return fmt.Errorf("removing reference %s of dependency %s: %w", name, dep.ID, err)
			}
		}
	}
	return nil
}

// syncAWS attaches, updates or detaches the AWS integration.
func (r *StackReconciler) syncAWS(ctx context.Context, s *stackScope) (bool, error) {
	want := s.obj.Spec.AWSIntegration
	got, err := observed(ctx, s, func(sn *spacelift.StackSnapshot) []spacelift.AWSIntegrationAttachment { return sn.AWSIntegration }, s.api.ListStackAWSIntegrations)
	if err != nil {
		return true, fmt.Errorf("listing AWS integrations of stack %q: %w", s.id, err)
	}
	for _, a := range got {
		if want != nil && a.IntegrationID == want.ID {
			if a.Read != want.Read || a.Write != want.Write {
				s.wrote = true
				if _, err := s.api.UpdateAWSIntegrationAttachment(ctx, a.ID, want.Read, want.Write); err != nil {
					return true, fmt.Errorf("updating AWS integration of stack %q: %w", s.id, err)
				}
			}
			want = nil
			continue
		}
		s.wrote = true
		if err := s.api.DetachAWSIntegration(ctx, a.ID); err != nil && !spacelift.IsNotFound(err) {
			return true, fmt.Errorf("detaching AWS integration %s from stack %q: %w", a.IntegrationID, s.id, err)
		}
	}
	if want != nil {
		s.wrote = true
		if _, err := s.api.AttachAWSIntegration(ctx, want.ID, s.id, want.Read, want.Write); err != nil {
			return true, fmt.Errorf("attaching AWS integration %s to stack %q: %w", want.ID, s.id, err)
		}
	}
	return false, nil
}

// syncWebhooks makes the stack's webhooks match the spec, matched by
// endpoint. Secrets cannot be read back, so a webhook is rewritten whenever
// its secret's digest differs from the one recorded at the last write.
func (r *StackReconciler) syncWebhooks(ctx context.Context, s *stackScope) (bool, error) {
	got := s.observed.Webhooks
	byEndpoint := map[string]spacelift.Webhook{}
	for _, w := range got {
		byEndpoint[w.Endpoint] = w
	}
	wanted := map[string]bool{}
	digests := webhookDigests(s.obj)
	newDigests := map[string]string{}
	for _, w := range s.resolved.webhooks {
		wanted[w.spec.Endpoint] = true
		digest := secretDigest(string(s.obj.UID), w.spec.Endpoint, w.secret)
		newDigests[w.spec.Endpoint] = digest
		in := spacelift.WebhooksIntegrationInput{Enabled: w.spec.Enabled, Endpoint: w.spec.Endpoint, Secret: w.secret, RetryOnFailure: &w.spec.RetryOnFailure}
		have, ok := byEndpoint[w.spec.Endpoint]
		var err error
		switch {
		case !ok:
			s.wrote = true
			_, err = s.api.CreateWebhook(ctx, s.id, in)
			err = landedAnyway(ctx, err, func(ctx context.Context) (bool, error) {
				st, err := s.api.GetStack(ctx, s.id)
				return err == nil && slices.ContainsFunc(st.Webhooks, func(h spacelift.Webhook) bool { return h.Endpoint == in.Endpoint }), err
			})
		case have.Enabled != in.Enabled || have.RetryOnFailure != w.spec.RetryOnFailure || digests[w.spec.Endpoint] != digest:
			s.wrote = true
			_, err = s.api.UpdateWebhook(ctx, s.id, have.ID, in)
		}
		if err != nil {
			return true, fmt.Errorf("syncing webhook %s of stack %q: %w", w.spec.Endpoint, s.id, err)
		}
	}
	for _, w := range got {
		if !wanted[w.Endpoint] {
			s.wrote = true
			if err := s.api.DeleteWebhook(ctx, s.id, w.ID); err != nil && !spacelift.IsNotFound(err) {
				return true, fmt.Errorf("deleting webhook %s of stack %q: %w", w.Endpoint, s.id, err)
			}
		}
	}
	return false, r.recordWebhookDigests(ctx, s.obj, newDigests)
}

// observed returns one part of the stack's state: from the snapshot when the
// reconcile has one, else read from Spacelift with list.
func observed[T any](ctx context.Context, s *stackScope, part func(*spacelift.StackSnapshot) []T, list func(context.Context, string) ([]T, error)) ([]T, error) {
	if s.snapshot != nil {
		return part(s.snapshot), nil
	}
	return list(ctx, s.id)
}

// landedAnyway turns a create that Spacelift refused as invalid input into
// success when what it asked for exists after all: a request whose answer was
// lost, or that was held up in the network, can land after the operator
// re-read the stack and asked again, and the second request is then refused
// ("already attached"). exists reads the stack directly.
func landedAnyway(ctx context.Context, err error, exists func(context.Context) (bool, error)) error {
	if !spacelift.IsInvalidInput(err) {
		return err
	}
	ok, readErr := exists(ctx)
	if readErr != nil {
		return errors.Join(err, readErr)
	}
	if ok {
		return nil
	}
	return err
}

// logChange logs at debug level what a sync phase changed.
func logChange(ctx context.Context, what, id string, added, removed int) {
	if added+removed > 0 {
		log.FromContext(ctx).V(1).Info("synced "+what, "stack", id, "added", added, "removed", removed)
	}
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
