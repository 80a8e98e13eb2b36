package controllers

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

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
// confirm-run. It then refreshes status.lastRun, with its plan once planning
// has ended.
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
			if st.LastRun, err = r.runStatus(ctx, s, run, lr); err != nil {
				return true, err
			}
		}
	}
	return false, nil
}

// maxListedResources is how many resource addresses status lists per plan
// or drift result.
const maxListedResources = 20

// observeRuns records the newest tracked and proposed runs of the stack, with
// their plans, from the shared snapshot (whoever started them), and the run
// the operator triggered when that is newer than what the snapshot saw. It
// keeps the previous values when the stack was read directly, without a
// snapshot. It reads a run's changed resources once per planned run.
func (r *StackReconciler) observeRuns(ctx context.Context, s *stackScope) (bool, error) {
	st := &s.obj.Status
	var tracked, proposed *spacelift.Run
	if s.snapshot != nil {
		tracked, proposed = s.snapshot.LatestTrackedRun, s.snapshot.LatestProposedRun
	} else if st.LastRun == nil {
		return false, nil
	}
	var err error
	if st.LastTrackedRun, err = r.newestRunStatus(ctx, s, tracked, st.LastTrackedRun, st.LastRun, spacelift.RunTypeTracked); err != nil {
		return true, err
	}
	if st.LastProposedRun, err = r.newestRunStatus(ctx, s, proposed, st.LastProposedRun, st.LastRun, spacelift.RunTypeProposed); err != nil {
		return true, err
	}
	return false, nil
}

// newestRunStatus is the status of the newer of run (from the snapshot, may
// be nil) and the operator's last run when it is of type typ. Run ids are
// ULIDs, which sort in the order the runs were created. prev is the status
// recorded so far, kept when neither run is known.
func (r *StackReconciler) newestRunStatus(ctx context.Context, s *stackScope, run *spacelift.Run, prev, last *spaceliftv1alpha1.RunStatus,
	typ spacelift.RunType) (*spaceliftv1alpha1.RunStatus, error) {
	if last != nil && last.Type == string(typ) && (run == nil || last.ID >= run.ID) {
		if s.snapshot == nil && prev != nil && prev.ID > last.ID {
			return prev, nil
		}
		return last.DeepCopy(), nil
	}
	if run == nil {
		if s.snapshot == nil {
			return prev, nil
		}
		return nil, nil
	}
	return r.runStatus(ctx, s, run, prev)
}

// runStatus is the status of run; the plan's changed resources are read once
// per run and taken from prev afterwards. Only a transient failure to read
// them is an error: when Spacelift cannot list them, the plan shows its
// counts alone.
func (r *StackReconciler) runStatus(ctx context.Context, s *stackScope, run *spacelift.Run, prev *spaceliftv1alpha1.RunStatus) (*spaceliftv1alpha1.RunStatus, error) {
	out := &spaceliftv1alpha1.RunStatus{ID: run.ID, Type: string(run.Type), State: string(run.State)}
	if run.Delta == nil {
		return out, nil
	}
	out.Plan = planStatus(run.Delta, nil)
	if prev != nil && prev.ID == run.ID && prev.Plan != nil && samePlanCounts(prev.Plan, out.Plan) {
		out.Plan = prev.Plan.DeepCopy()
		return out, nil
	}
	if !run.Delta.Changes() {
		return out, nil
	}
	changes, err := s.api.GetRunChanges(ctx, s.id, run.ID)
	switch {
	case spacelift.IsTransient(err) || spacelift.IsRateLimited(err):
		return nil, fmt.Errorf("reading the planned changes of run %s of stack %q: %w", run.ID, s.id, err)
	case err != nil:
		log.FromContext(ctx).Info("Spacelift did not list the planned changes of a run; status shows the counts only",
			"stack", s.id, "run", run.ID, "error", err.Error())
	default:
		out.Plan = planStatus(run.Delta, changes)
	}
	return out, nil
}

// planStatus summarizes a plan: its counts, and the first changed resource
// addresses in sorted order, each prefixed with +, ~ or - for add, change
// or delete.
func planStatus(d *spacelift.RunDelta, changes []spacelift.ResourceChange) *spaceliftv1alpha1.PlanStatus {
	p := &spaceliftv1alpha1.PlanStatus{
		Add: int32(d.AddCount), Change: int32(d.ChangeCount), Delete: int32(d.DeleteCount), //nolint:gosec // resource counts are small
	}
	p.Summary = planSummary(p.Add, p.Change, p.Delete)
	addrs := make([]string, 0, len(changes))
	for _, c := range changes {
		mark := "~"
		switch c.Type {
		case spacelift.ResourceChangeAdd:
			mark = "+"
		case spacelift.ResourceChangeDelete:
			mark = "-"
		}
		addrs = append(addrs, mark+c.Address)
	}
	p.Resources = firstSorted(addrs, maxListedResources)
	return p
}

// planSummary writes plan counts as "+add ~change -delete".
func planSummary(add, change, del int32) string {
	return fmt.Sprintf("+%d ~%d -%d", add, change, del)
}

func samePlanCounts(a, b *spaceliftv1alpha1.PlanStatus) bool {
	return a.Add == b.Add && a.Change == b.Change && a.Delete == b.Delete
}

// firstSorted returns the first n of the sorted, de-duplicated strings, nil
// for none.
func firstSorted(in []string, n int) []string {
	if len(in) == 0 {
		return nil
	}
	out := slices.Compact(slices.Sorted(slices.Values(in)))
	return slices.Clip(out[:min(n, len(out))])
}
