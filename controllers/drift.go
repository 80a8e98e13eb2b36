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
//
// A refresh never holds the cache's lock while it reads Spacelift, and only
// the very first one (or one forced by Expire) is waited for: a reconcile
// that finds the snapshots older than MaxAge starts a refresh in the
// background and reads the snapshots it has, so one slow refresh of N/50
// pages does not stall every reconcile of the account.
type StackCache struct {
	// MaxAge is how old a snapshot may be before a read refreshes it.
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
	// refreshing is closed when the refresh under way ends; nil when none is.
	refreshing chan struct{}
	// refreshStart is when the refresh under way began.
	refreshStart time.Time
	// err is the outcome of the last refresh.
	err error
	// mustWait makes the next read wait for fresh snapshots (Expire).
	mustWait bool
}

// snapshotRefreshTimeout bounds one refresh of an account's snapshots,
// which runs detached from the reconcile that started it.
const snapshotRefreshTimeout = 2 * time.Minute

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

// snapshotState is what the snapshots know of one stack.
type snapshotState int

const (
	// snapshotUnknown: the operator wrote to the stack since the snapshots
	// were taken; read it directly.
	snapshotUnknown snapshotState = iota
	// snapshotFound: the snapshots hold the stack.
	snapshotFound
	// snapshotAbsent: the snapshots, taken after the operator's last write
	// to this id, do not have it.
	snapshotAbsent
)

// Get returns the snapshot of stack id and what the snapshots know of it.
func (c *StackCache) Get(ctx context.Context, api StackAPI, id string) (spacelift.StackSnapshot, snapshotState, error) {
	set := c.set(api)
	if err := c.ensure(ctx, api, set, id); err != nil {
		return spacelift.StackSnapshot{}, snapshotUnknown, err
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	if _, dirty := set.dirty[id]; dirty {
		return spacelift.StackSnapshot{}, snapshotUnknown, nil
	}
	if snap, ok := set.byID[id]; ok {
		return snap, snapshotFound, nil
	}
	return spacelift.StackSnapshot{}, snapshotAbsent, nil
}

// Drift returns the drift state of stack id from the snapshots, dirty or not:
// the operator's writes do not change drift results.
func (c *StackCache) Drift(ctx context.Context, api StackAPI, id string) (spacelift.StackDrift, bool, error) {
	set := c.set(api)
	if err := c.ensure(ctx, api, set, ""); err != nil {
		return spacelift.StackDrift{}, false, err
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	snap, ok := set.byID[id]
	return snap.Drift, ok, nil
}

// ensure makes sure set has snapshots to read. It starts a refresh when they
// are older than MaxAge (or when refreshing is cheaper than reading the dirty
// stacks directly) and waits for it only when there are none yet, Expire
// asked for fresh ones, or the stack id is dirty and the refresh, begun
// after its write, is cheaper than reading it directly: the reconciles that
// do not need it never wait.
func (c *StackCache) ensure(ctx context.Context, api StackAPI, set *stackSnapshots, id string) error {
	set.mu.Lock()
	now := c.now()
	stale := set.byID == nil || now.Sub(set.at) >= c.MaxAge || set.mustWait
	dirtyAt, dirty := set.dirty[id]
	cheaper := id != "" && dirty && set.refreshIsCheaper(now, c.MaxAge)
	stale = stale || cheaper
	// Stale snapshots serve while a refresh runs, unless refreshes have
	// been failing for long: then the reconcile waits and reports the error.
	failing := set.err != nil && now.Sub(set.at) >= 4*c.MaxAge
	wait := set.byID == nil || set.mustWait || failing
	done := set.refreshing
	if stale && done == nil {
		done = make(chan struct{})
		set.refreshing, set.refreshStart = done, now
		set.mustWait = false
		go c.refresh(api, set, done, now)
	}
	wait = wait || (cheaper && done != nil && dirtyAt.Before(set.refreshStart))
	set.mu.Unlock()
	if !wait || done == nil {
		return nil
	}
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	if set.err != nil && (set.byID == nil || c.now().Sub(set.at) >= 4*c.MaxAge) {
		return set.err
	}
	return nil
}

// refresh reads every stack of api's account and swaps the snapshots in;
// the lock is held only for the swap.
func (c *StackCache) refresh(api StackAPI, set *stackSnapshots, done chan struct{}, start time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), snapshotRefreshTimeout)
	defer cancel()
	byID := map[string]spacelift.StackSnapshot{}
	var err error
	for page, perr := range api.StackSnapshotPages(ctx) {
		if perr != nil {
			err = fmt.Errorf("reading stacks: %w", perr)
			break
		}
		for _, s := range page.Items {
			byID[s.Stack.ID] = s
		}
	}
	set.mu.Lock()
	set.err = err
	if err == nil {
		set.byID, set.at = byID, start
		for sid, at := range set.dirty {
			if at.Before(start) {
				delete(set.dirty, sid)
			}
		}
	}
	set.refreshing = nil
	set.mu.Unlock()
	close(done)
}

// directReadCost is how many requests reading one stack directly takes
// (ObserveStack).
const directReadCost = 1

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

// MarkDirty records that the operator wrote to stack id.
func (c *StackCache) MarkDirty(api StackAPI, id string) {
	set := c.set(api)
	set.mu.Lock()
	defer set.mu.Unlock()
	set.dirty[id] = c.now()
}

// Expire makes the next read of every account wait for fresh snapshots, for
// example after a webhook said a run finished.
func (c *StackCache) Expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, set := range c.snaps {
		set.mu.Lock()
		set.mustWait = true
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
