package controllers

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// stackRefIndex indexes Stacks by the objects they reference, as "Kind/name".
const stackRefIndex = "spacelift.stackwright.io/stack-refs"

// refKey is the index value of a reference to the object kind/name.
func refKey(kind, name string) string { return kind + "/" + name }

// stackRefKeys lists the objects a Stack references, for the index.
func stackRefKeys(s *spaceliftv1alpha1.Stack) []string {
	var keys []string
	for _, e := range s.Spec.Environment {
		if e.ValueFrom == nil {
			continue
		}
		if ref := e.ValueFrom.SecretKeyRef; ref != nil {
			keys = append(keys, refKey("Secret", ref.Name))
		}
		if ref := e.ValueFrom.ConfigMapKeyRef; ref != nil {
			keys = append(keys, refKey("ConfigMap", ref.Name))
		}
	}
	for _, w := range s.Spec.Webhooks {
		if w.SecretRef != nil {
			keys = append(keys, refKey("Secret", w.SecretRef.Name))
		}
	}
	if s.Spec.CredentialsRef != nil {
		keys = append(keys, refKey("Secret", s.Spec.CredentialsRef.Name))
	}
	for _, p := range s.Spec.Policies {
		if p.Name != "" {
			keys = append(keys, refKey("Policy", p.Name))
		}
	}
	for _, d := range s.Spec.Dependencies {
		if d.StackRef != nil {
			keys = append(keys, refKey("Stack", d.StackRef.Name))
		}
	}
	return keys
}

// indexStackRefs registers stackRefIndex.
func indexStackRefs(ctx context.Context, idx client.FieldIndexer) error {
	return idx.IndexField(ctx, &spaceliftv1alpha1.Stack{}, stackRefIndex, func(o client.Object) []string {
		return stackRefKeys(o.(*spaceliftv1alpha1.Stack))
	})
}

// resolvedStackRefs are a Stack's references turned into what Spacelift takes.
type resolvedStackRefs struct {
	config       []spacelift.ConfigInput
	policyIDs    []string
	dependencies []resolvedDependency
	webhooks     []resolvedWebhook
	// wait says, with a DependencyNotReady problem, how the Policy or Stack
	// waited for is doing.
	wait refWait
}

// refWait is how a referenced Policy or Stack without its Spacelift id yet
// is doing.
type refWait int

const (
	// waitStuck: it is stalled, suspended or being deleted.
	waitStuck refWait = iota
	// waitSettling: it is on its way to its id.
	waitSettling
	// waitUnseen: it is on its way and was not reconciled yet.
	waitUnseen
)

// waitOf is how a live object with conditions and an observed generation is
// doing; held says it cannot get its id.
func waitOf(deleting, held bool, observedGeneration int64, conditions []metav1.Condition) refWait {
	switch {
	case deleting || held || isStalledWith(conditions, ""):
		return waitStuck
	case observedGeneration == 0 && len(conditions) == 0:
		return waitUnseen
	}
	return waitSettling
}

// resolvedDependency is a dependency on a Spacelift stack id.
type resolvedDependency struct {
	stackID    string
	references []spaceliftv1alpha1.DependencyReference
}

// resolvedWebhook is a webhook with its secret value.
type resolvedWebhook struct {
	spec   spaceliftv1alpha1.Webhook
	secret string
}

// resolveStackRefs reads the Secrets, ConfigMaps, Policies and Stacks a Stack
// references. A missing object is a stalled condition; a Policy or Stack
// without a Spacelift id yet is a DependencyNotReady condition.
func resolveStackRefs(ctx context.Context, c client.Reader, s *spaceliftv1alpha1.Stack) (resolvedStackRefs, *condition, error) {
	var res resolvedStackRefs
	ns := s.Namespace
	for _, e := range s.Spec.Environment {
		value, writeOnly := "", e.WriteOnly
		switch {
		case e.Value != nil:
			value = *e.Value
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			v, problem, err := secretValue(ctx, c, ns, *e.ValueFrom.SecretKeyRef, "environment "+e.Name)
			if problem != nil || err != nil {
				return res, problem, err
			}
			value, writeOnly = v, true
		case e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil:
			v, problem, err := configMapValue(ctx, c, ns, *e.ValueFrom.ConfigMapKeyRef, "environment "+e.Name)
			if problem != nil || err != nil {
				return res, problem, err
			}
			value = v
		}
		res.config = append(res.config, configInput(e.Name, value, writeOnly))
	}
	sort.Slice(res.config, func(i, j int) bool { return res.config[i].ID < res.config[j].ID })

	for _, p := range s.Spec.Policies {
		if p.ID != "" {
			res.policyIDs = append(res.policyIDs, p.ID)
			continue
		}
		id, problem, wait, err := policyID(ctx, c, ns, p.Name)
		if problem != nil || err != nil {
			res.wait = wait
			return res, problem, err
		}
		res.policyIDs = append(res.policyIDs, id)
	}

	for _, d := range s.Spec.Dependencies {
		id := d.StackID
		if d.StackRef != nil {
			var problem *condition
			var wait refWait
			var err error
			id, problem, wait, err = dependencyStackID(ctx, c, ns, d.StackRef.Name)
			if problem != nil || err != nil {
				res.wait = wait
				return res, problem, err
			}
		}
		res.dependencies = append(res.dependencies, resolvedDependency{stackID: id, references: d.References})
	}

	for _, w := range s.Spec.Webhooks {
		rw := resolvedWebhook{spec: w}
		if w.SecretRef != nil {
			v, problem, err := secretValue(ctx, c, ns, *w.SecretRef, "webhook "+w.Endpoint)
			if problem != nil || err != nil {
				return res, problem, err
			}
			rw.secret = v
		}
		res.webhooks = append(res.webhooks, rw)
	}
	return res, nil, nil
}

func secretValue(ctx context.Context, c client.Reader, ns string, ref spaceliftv1alpha1.KeySelector, user string) (string, *condition, error) {
	var secret corev1.Secret
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, &secret); err != nil {
		if apierrors.IsNotFound(err) {
			return "", &condition{spaceliftv1alpha1.ReasonReferenceNotFound, fmt.Sprintf("Secret %s (for %s) not found", ref.Name, user)}, nil
		}
		return "", nil, fmt.Errorf("reading Secret %s: %w", ref.Name, err)
	}
	v, ok := secret.Data[ref.Key]
	if !ok {
		return "", &condition{spaceliftv1alpha1.ReasonReferenceNotFound, fmt.Sprintf("Secret %s has no key %q (for %s)", ref.Name, ref.Key, user)}, nil
	}
	return string(v), nil, nil
}

func configMapValue(ctx context.Context, c client.Reader, ns string, ref spaceliftv1alpha1.KeySelector, user string) (string, *condition, error) {
	var cm corev1.ConfigMap
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return "", &condition{spaceliftv1alpha1.ReasonReferenceNotFound, fmt.Sprintf("ConfigMap %s (for %s) not found", ref.Name, user)}, nil
		}
		return "", nil, fmt.Errorf("reading ConfigMap %s: %w", ref.Name, err)
	}
	if v, ok := cm.Data[ref.Key]; ok {
		return v, nil, nil
	}
	if v, ok := cm.BinaryData[ref.Key]; ok {
		return string(v), nil, nil
	}
	return "", &condition{spaceliftv1alpha1.ReasonReferenceNotFound, fmt.Sprintf("ConfigMap %s has no key %q (for %s)", ref.Name, ref.Key, user)}, nil
}

// policyID is the Spacelift id of the Policy name. A Policy without one is
// a DependencyNotReady problem; the refWait says how the Policy is doing.
func policyID(ctx context.Context, c client.Reader, ns, name string) (string, *condition, refWait, error) {
	var p spaceliftv1alpha1.Policy
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &p); err != nil {
		if apierrors.IsNotFound(err) {
			return "", &condition{spaceliftv1alpha1.ReasonReferenceNotFound, fmt.Sprintf("Policy %s not found: create it or remove it from spec.policies", name)}, waitStuck, nil
		}
		return "", nil, waitStuck, fmt.Errorf("reading Policy %s: %w", name, err)
	}
	id := p.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]
	if id == "" {
		wait := waitOf(!p.DeletionTimestamp.IsZero(), false, p.Status.ObservedGeneration, p.Status.Conditions)
		return "", &condition{spaceliftv1alpha1.ReasonDependencyNotReady, fmt.Sprintf("Policy %s has no Spacelift id yet", name)}, wait, nil
	}
	return id, nil, waitStuck, nil
}

// dependencyStackID is the confirmed Spacelift id of the Stack name. A
// Stack without one is a DependencyNotReady problem; the refWait says how the
// Stack is doing.
func dependencyStackID(ctx context.Context, c client.Reader, ns, name string) (string, *condition, refWait, error) {
	var s spaceliftv1alpha1.Stack
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return "", &condition{spaceliftv1alpha1.ReasonReferenceNotFound, fmt.Sprintf("Stack %s (a dependency) not found", name)}, waitStuck, nil
		}
		return "", nil, waitStuck, fmt.Errorf("reading Stack %s: %w", name, err)
	}
	// The id is written before the create; status.spaceliftID confirms
	// that the stack exists.
	id := s.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]
	if id == "" || s.Status.SpaceliftID != id {
		wait := waitOf(!s.DeletionTimestamp.IsZero(), s.Spec.Suspend, s.Status.ObservedGeneration, s.Status.Conditions)
		return "", &condition{spaceliftv1alpha1.ReasonDependencyNotReady, fmt.Sprintf("Stack %s (a dependency) has no Spacelift stack yet", name)}, wait, nil
	}
	return id, nil, waitStuck, nil
}
