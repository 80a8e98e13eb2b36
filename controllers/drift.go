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

// StackCache holds, per Spacelift client, a snapshot of every stack (its
// settings, config, attachments, dependencies and drift state) read with
// searchStacks in pages of 50. Reconciles read from it, so checking N
// unchanged stacks costs ceil(N/50) requests per MaxAge instead of several
// requests per stack. A stack the operator wrote to is dirty until a snapshot
// taken after the write arrives; reads of a dirty stack go to Spacelift.
type StackCache struct {
	// MaxAge is how old a snapshot may be before the next read refreshes it.
	MaxAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	snaps map[StackAPI]*stackSnapshots
}

type stackSnapshots struct {
	mu   sync.Mutex
	at   time.Time
	byID map[string]spacelift.StackSnapshot
	// dirty maps a stack id to when it was last written.
	dirty map[string]time.Time
}

func (c *StackCache) set(api StackAPI) *stackSnapshots {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snaps == nil {
		c.snaps = map[StackAPI]*stackSnapshots{}
	}
	s := c.snaps[api]
	if s == nil {
		s = &stackSnapshots{dirty: map[string]time.Time{}}
		c.snaps[api] = s
	}
	return s
}

// Get returns the snapshot of stack id, refreshing the snapshots of api's
// account when they are older than MaxAge. ok is false when the stack is
// not in the latest snapshot, or was written since it was taken.
func (c *StackCache) Get(ctx context.Context, api StackAPI, id string) (spacelift.StackSnapshot, bool, error) {
	set := c.set(api)
	set.mu.Lock()
	defer set.mu.Unlock()
	if err := c.refreshLocked(ctx, api, set); err != nil {
		return spacelift.StackSnapshot{}, false, err
	}
	if _, dirty := set.dirty[id]; dirty && set.refreshIsCheaper(c.now(), c.MaxAge) {
		set.at = time.Time{}
		if err := c.refreshLocked(ctx, api, set); err != nil {
			return spacelift.StackSnapshot{}, false, err
		}
	}
	if _, dirty := set.dirty[id]; dirty {
		return spacelift.StackSnapshot{}, false, nil
	}
	snap, ok := set.byID[id]
	return snap, ok, nil
}

// directReadCost is about how many requests reading one stack directly takes
// (the stack, config, policies, contexts, dependencies, AWS integrations).
const directReadCost = 6

// refreshIsCheaper reports whether refreshing the snapshots now costs fewer
// requests than reading every dirty stack directly. Unless the direct reads
// would cost more than four refreshes, the snapshots must also be a quarter
// of maxAge old, so that a trickle of writes does not refresh them over and
// over.
func (s *stackSnapshots) refreshIsCheaper(now time.Time, maxAge time.Duration) bool {
	pages := (len(s.byID) + spacelift.DefaultPageSize - 1) / spacelift.DefaultPageSize
	direct := len(s.dirty) * directReadCost
	return direct > pages && (now.Sub(s.at) >= maxAge/4 || direct > 4*pages)
}

// Drift returns the drift state of stack id from the snapshots, dirty or not:
// the operator's writes do not change drift results.
func (c *StackCache) Drift(ctx context.Context, api StackAPI, id string) (spacelift.StackDrift, bool, error) {
	set := c.set(api)
	set.mu.Lock()
	defer set.mu.Unlock()
	if err := c.refreshLocked(ctx, api, set); err != nil {
		return spacelift.StackDrift{}, false, err
	}
	snap, ok := set.byID[id]
	return snap.Drift, ok, nil
}

func (c *StackCache) refreshLocked(ctx context.Context, api StackAPI, set *stackSnapshots) error {
	start := c.now()
	if set.byID != nil && start.Sub(set.at) < c.MaxAge {
		return nil
	}
	byID := map[string]spacelift.StackSnapshot{}
	for page, err := range api.StackSnapshotPages(ctx) {
		if err != nil {
			return fmt.Errorf("reading stacks: %w", err)
		}
		for _, s := range page.Items {
			byID[s.Stack.ID] = s
		}
	}
	set.byID, set.at = byID, start
	for id, at := range set.dirty {
		if at.Before(start) {
			delete(set.dirty, id)
		}
	}
	return nil
}

// MarkDirty records that the operator wrote to stack id.
func (c *StackCache) MarkDirty(api StackAPI, id string) {
	set := c.set(api)
	set.mu.Lock()
	defer set.mu.Unlock()
	set.dirty[id] = c.now()
}

// Expire makes the next read of every snapshot refresh it, for example after
// a webhook said a run finished.
func (c *StackCache) Expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, set := range c.snaps {
		set.mu.Lock()
		set.at = time.Time{}
		set.mu.Unlock()
	}
}

func (c *StackCache) now() time.Time {
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
// shared snapshot (count and the first drifted addresses), and the reconcile
// run Spacelift started for it.
func (r *StackReconciler) observeDrift(ctx context.Context, s *stackScope) (bool, error) {
	if s.obj.Spec.DriftDetection == nil || !s.obj.Spec.DriftDetection.Enabled {
		return false, nil
	}
	d, ok, err := r.Cache.Drift(ctx, s.api, s.id)
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
		Resources:        firstSorted(d.DriftedAddresses, maxListedResources),
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
