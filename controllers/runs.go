package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// RunSigner signs the user-provided metadata of the runs the operator
// triggers and confirms with an ed25519 key kept in a Secret.
type RunSigner struct {
	// Reader reads the Secret.
	Reader client.Reader
	// Secret holds the private key.
	Secret types.NamespacedName
	// Key is the data key of the private key in the Secret.
	Key string
}

// DefaultSigningKeyKey is the Secret data key the signing key is read from.
const DefaultSigningKeyKey = "ed25519.key"

// sign signs m with the current key. A nil signer leaves m unsigned.
func (s *RunSigner) sign(ctx context.Context, m *runmeta.Metadata) error {
	if s == nil {
		return nil
	}
	var secret corev1.Secret
	if err := s.Reader.Get(ctx, s.Secret, &secret); err != nil {
		if apierrors.IsNotFound(err) {
			return &errCredentials{reason: spaceliftv1alpha1.ReasonReferenceNotFound,
				msg: fmt.Sprintf("run signing key Secret %s not found: create it with an ed25519 key under %q", s.Secret, s.Key)}
		}
		return fmt.Errorf("reading run signing key Secret %s: %w", s.Secret, err)
	}
	priv, err := runmeta.PrivateKeyFromSecretData(secret.Data, s.Key)
	if err != nil {
		return &errCredentials{reason: spaceliftv1alpha1.ReasonCredentialsInvalid,
			msg: fmt.Sprintf("run signing key Secret %s: %v", s.Secret, err)}
	}
	if err := runmeta.Sign(m, priv); err != nil {
		return fmt.Errorf("signing run metadata: %w", err)
	}
	return nil
}

// runMetadata builds the signed metadata header value for a run of the stack.
func (r *StackReconciler) runMetadata(ctx context.Context, s *stackScope, runType string) (string, error) {
	m := &runmeta.Metadata{
		Namespace: s.obj.Namespace, Name: s.obj.Name, UID: string(s.obj.UID), Generation: s.obj.Generation,
		Kind: "Stack", StackID: s.id, CommitSHA: s.obj.Spec.CommitSHA, RunType: runType,
	}
	m.Stamp(time.Now())
	if err := r.Signer.sign(ctx, m); err != nil {
		return "", err
	}
	return runmeta.Encode(m)
}

// syncRuns triggers the runs the object asks for: a tracked run when
// spec.commitSHA changes or the run-requested-at annotation gets a new value,
// a proposed run for propose-requested-at, and a confirmation for
// confirm-run. It then refreshes status.lastRun.
func (r *StackReconciler) syncRuns(ctx context.Context, s *stackScope) (bool, error) {
	st := &s.obj.Status
	ann := s.obj.Annotations
	requests := []struct {
		pending bool
		runType spacelift.RunType
		handled func()
	}{
		{s.obj.Spec.CommitSHA != "" && s.obj.Spec.CommitSHA != st.LastTriggeredCommitSHA, spacelift.RunTypeTracked,
			func() { st.LastTriggeredCommitSHA = s.obj.Spec.CommitSHA }},
		{ann[spaceliftv1alpha1.AnnotationRunRequestedAt] != "" && ann[spaceliftv1alpha1.AnnotationRunRequestedAt] != st.LastHandledRunRequest, spacelift.RunTypeTracked,
			func() { st.LastHandledRunRequest = ann[spaceliftv1alpha1.AnnotationRunRequestedAt] }},
		{ann[spaceliftv1alpha1.AnnotationProposeRequestedAt] != "" && ann[spaceliftv1alpha1.AnnotationProposeRequestedAt] != st.LastHandledProposeRequest, spacelift.RunTypeProposed,
			func() { st.LastHandledProposeRequest = ann[spaceliftv1alpha1.AnnotationProposeRequestedAt] }},
	}
	for _, req := range requests {
		if !req.pending {
			continue
		}
		meta, err := r.runMetadata(ctx, s, string(req.runType))
		if err != nil {
			return true, err
		}
		run, err := s.api.TriggerRun(ctx, s.id, req.runType, s.obj.Spec.CommitSHA, spacelift.WithRunMetadata(meta))
		if err != nil {
			return true, fmt.Errorf("triggering a %s run of stack %q: %w", req.runType, s.id, err)
		}
		req.handled()
		st.LastRun = &spaceliftv1alpha1.RunStatus{ID: run.ID, Type: string(run.Type), State: string(run.State)}
		r.Recorder.Eventf(s.obj, corev1.EventTypeNormal, "RunTriggered", "Triggered %s run %s of stack %s", run.Type, run.ID, s.id)
	}
	if id := ann[spaceliftv1alpha1.AnnotationConfirmRun]; id != "" && id != st.LastHandledConfirmRequest {
		meta, err := r.runMetadata(ctx, s, runmeta.RunTypeConfirm)
		if err != nil {
			return true, err
		}
		run, err := s.api.ConfirmRun(ctx, s.id, id, spacelift.WithRunMetadata(meta))
		if err != nil {
			return true, fmt.Errorf("confirming run %s of stack %q: %w", id, s.id, err)
		}
		st.LastHandledConfirmRequest = id
		st.LastRun = &spaceliftv1alpha1.RunStatus{ID: run.ID, Type: string(run.Type), State: string(run.State)}
		r.Recorder.Eventf(s.obj, corev1.EventTypeNormal, "RunConfirmed", "Confirmed run %s of stack %s", run.ID, s.id)
	}
	if lr := st.LastRun; lr != nil && !spacelift.RunState(lr.State).Terminal() {
		run, err := s.api.GetRun(ctx, s.id, lr.ID)
		if err != nil && !spacelift.IsNotFound(err) {
			return true, fmt.Errorf("reading run %s of stack %q: %w", lr.ID, s.id, err)
		}
		if run != nil {
			lr.State = string(run.State)
		}
	}
	return false, nil
}
