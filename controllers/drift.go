package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// DriftCache holds, per Spacelift client, the drift state of every stack,
// read with searchStacks in pages of 50. Reconciles read from it, so polling
// drift costs ceil(stacks/50) requests per MaxAge, not one per stack.
type DriftCache struct {
	// MaxAge is how old a snapshot may be before the next read refreshes it.
	MaxAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	snaps map[StackAPI]*driftSnapshot
}

type driftSnapshot struct {
	mu   sync.Mutex
	at   time.Time
	byID map[string]spacelift.StackDrift
}

// Get returns the drift state of stack id, refreshing the snapshot of api's
// account when it is older than MaxAge. ok is false when the stack was not
// in the latest snapshot (for example it was just created).
func (c *DriftCache) Get(ctx context.Context, api StackAPI, id string) (spacelift.StackDrift, bool, error) {
	c.mu.Lock()
	if c.snaps == nil {
		c.snaps = map[StackAPI]*driftSnapshot{}
	}
	snap := c.snaps[api]
	if snap == nil {
		snap = &driftSnapshot{}
		c.snaps[api] = snap
	}
	c.mu.Unlock()

	snap.mu.Lock()
	defer snap.mu.Unlock()
	now := c.now()
	if snap.byID == nil || now.Sub(snap.at) >= c.MaxAge {
		byID := map[string]spacelift.StackDrift{}
		for page, err := range api.StackDriftPages(ctx) {
			if err != nil {
				return spacelift.StackDrift{}, false, fmt.Errorf("reading drift state of stacks: %w", err)
			}
			for _, d := range page.Items {
				byID[d.StackID] = d
			}
		}
		snap.byID, snap.at = byID, now
	}
	d, ok := snap.byID[id]
	return d, ok, nil
}

// Expire makes the next read of every snapshot refresh it, for example after
// a webhook said a drift-detection run finished.
func (c *DriftCache) Expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, snap := range c.snaps {
		snap.mu.Lock()
		snap.at = time.Time{}
		snap.mu.Unlock()
	}
}

// Forget drops the snapshots of a client that is no longer used.
func (c *DriftCache) Forget(api StackAPI) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.snaps, api)
}

func (c *DriftCache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// driftObservation is what observeDrift learned.
type driftObservation struct {
	// checked is true when a finished drift-detection run was found.
	checked bool
	drift   spaceliftv1alpha1.DriftStatus
}

// observeDrift reads the latest drift-detection result of the stack from the
// shared snapshot, and the reconcile run Spacelift started for it.
func (r *StackReconciler) observeDrift(ctx context.Context, s *stackScope) (bool, error) {
	if s.obj.Spec.DriftDetection == nil || !s.obj.Spec.DriftDetection.Enabled {
		return false, nil
	}
	d, ok, err := r.Drift.Get(ctx, s.api, s.id)
	if err != nil {
		return true, err
	}
	if !ok || d.LatestRun == nil || !finished(d.LatestRun.State) {
		return false, nil
	}
	obs := driftObservation{checked: true, drift: spaceliftv1alpha1.DriftStatus{
		Drifted:          d.DriftedResources > 0,
		DriftedResources: int32(d.DriftedResources),
		RunID:            d.LatestRun.ID,
		CheckedAt:        &metav1.Time{Time: d.LatestRun.CreatedAt},
	}}
	if obs.drift.Drifted && s.obj.Spec.DriftDetection.Reconcile {
		runs, err := s.api.ListRuns(ctx, s.id, "")
		if err != nil {
			return true, fmt.Errorf("listing runs of stack %q: %w", s.id, err)
		}
		obs.drift.ReconcileRunID = reconcileRun(runs, d.LatestRun.CreatedAt)
	}
	s.driftState = obs
	return false, nil
}

// reconcileRun finds the earliest tracked run started at or after a drift
// detection run, the one Spacelift starts to reconcile drift.
func reconcileRun(runs []spacelift.Run, after time.Time) string {
	id := ""
	var at time.Time
	for _, run := range runs {
		if run.Type != spacelift.RunTypeTracked || run.DriftDetection || run.CreatedAt.Before(after) {
			continue
		}
		if id == "" || run.CreatedAt.Before(at) {
			id, at = run.ID, run.CreatedAt
		}
	}
	return id
}

// finished reports whether a run reached a terminal state with a result.
func finished(state spacelift.RunState) bool {
	return state == spacelift.RunStateFinished
}

// driftMessage is the stable message of a Drifted condition.
func driftMessage(d spaceliftv1alpha1.DriftStatus) string {
	if !d.Drifted {
		return fmt.Sprintf("no drift (run %s)", d.RunID)
	}
	noun := "resources"
	if d.DriftedResources == 1 {
		noun = "resource"
	}
	return fmt.Sprintf("%d %s drifted (run %s)", d.DriftedResources, noun, d.RunID)
}
