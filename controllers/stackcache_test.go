package controllers

import (
	"context"
	"errors"
	"iter"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// pagesAPI serves snapshot pages: each refresh waits for a value on release
// (when set) and returns the stacks named by next.
type pagesAPI struct {
	StackAPI
	release chan struct{}
	next    atomic.Value // string: the description every stack gets
	fail    atomic.Bool
	calls   atomic.Int32
}

func (a *pagesAPI) StackSnapshotPages(ctx context.Context, _ ...spacelift.QueryPredicate) iter.Seq2[*spacelift.Page[spacelift.StackSnapshot], error] {
	return func(yield func(*spacelift.Page[spacelift.StackSnapshot], error) bool) {
		a.calls.Add(1)
		if a.release != nil {
			select {
			case <-a.release:
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			}
		}
		if a.fail.Load() {
			yield(nil, errors.New("503"))
			return
		}
		d, _ := a.next.Load().(string)
		yield(&spacelift.Page[spacelift.StackSnapshot]{Items: []spacelift.StackSnapshot{{Stack: &spacelift.Stack{ID: "net", Description: d}}}}, nil)
	}
}

func TestStackCacheRefreshesInTheBackground(t *testing.T) {
	var nowNanos atomic.Int64
	nowNanos.Store(time.Unix(1000, 0).UnixNano())
	clock := func() time.Time { return time.Unix(0, nowNanos.Load()) }
	advance := func(d time.Duration) { nowNanos.Add(int64(d)) }
	api := &pagesAPI{release: make(chan struct{}, 10)}
	api.next.Store("v1")
	c := &StackCache{MaxAge: time.Minute, Now: clock}
	ctx := context.Background()

	// The first read has nothing to serve: it waits for the refresh.
	api.release <- struct{}{}
	snap, state, err := c.Get(ctx, api, "net")
	if err != nil || state != snapshotFound || snap.Stack.Description != "v1" {
		t.Fatalf("first Get = %+v, %v, %v", snap, state, err)
	}
	if _, state, _ := c.Get(ctx, api, "other"); state != snapshotAbsent {
		t.Errorf("a stack the snapshots lack: state %v, want absent", state)
	}
	c.MarkDirty(api, "other")
	if _, state, _ := c.Get(ctx, api, "other"); state != snapshotUnknown {
		t.Errorf("a stack written since the snapshots: state %v, want unknown", state)
	}

	// Stale snapshots serve at once while the refresh is held up.
	advance(2 * time.Minute)
	api.next.Store("v2")
	start := time.Now()
	snap, state, err = c.Get(ctx, api, "net")
	if err != nil || state != snapshotFound || snap.Stack.Description != "v1" || time.Since(start) > time.Second {
		t.Fatalf("stale Get = %+v, %v, %v after %s; want v1 at once", snap, state, err, time.Since(start))
	}
	if _, _, err := c.Get(ctx, api, "net"); err != nil {
		t.Fatal(err)
	}
	api.release <- struct{}{}
	eventually(t, 5*time.Second, func() error {
		snap, _, _ := c.Get(ctx, api, "net")
		if snap.Stack == nil || snap.Stack.Description != "v2" {
			return errors.New("the background refresh has not landed")
		}
		return nil
	})
	if n := api.calls.Load(); n != 2 {
		t.Errorf("%d refreshes, want 2: reads during a refresh must not start another", n)
	}

	// Expire: the next read waits for fresh snapshots.
	api.next.Store("v3")
	c.Expire()
	api.release <- struct{}{}
	if snap, _, err := c.Get(ctx, api, "net"); err != nil || snap.Stack.Description != "v3" {
		t.Fatalf("Get after Expire = %+v, %v; want v3", snap, err)
	}

	// Refreshes failing for long: once one has failed, the next read waits
	// for another and reports its error instead of serving old snapshots.
	api.fail.Store(true)
	advance(5 * time.Minute)
	api.release <- struct{}{}
	if _, _, err := c.Get(ctx, api, "net"); err != nil {
		t.Fatalf("the read that starts the failing refresh: %v", err)
	}
	eventually(t, 5*time.Second, func() error {
		set := c.set(api)
		set.mu.Lock()
		defer set.mu.Unlock()
		if set.refreshing != nil || set.err == nil {
			return errors.New("the failing refresh has not ended")
		}
		return nil
	})
	api.release <- struct{}{}
	if _, _, err := c.Get(ctx, api, "net"); err == nil {
		t.Fatal("no error although the snapshots are 5 minutes old and refreshes fail")
	}
}

// A stack written since the snapshots were taken waits for the refresh that
// reading it makes cheaper than direct reads, and is then served from it.
func TestStackCacheDirtyWaitsForCheaperRefresh(t *testing.T) {
	var nowNanos atomic.Int64
	nowNanos.Store(time.Unix(1000, 0).UnixNano())
	clock := func() time.Time { return time.Unix(0, nowNanos.Load()) }
	api := &pagesAPI{release: make(chan struct{}, 10)}
	api.next.Store("v1")
	c := &StackCache{MaxAge: time.Minute, Now: clock}
	ctx := context.Background()
	api.release <- struct{}{}
	if _, state, err := c.Get(ctx, api, "net"); err != nil || state != snapshotFound {
		t.Fatalf("first Get: %v, %v", state, err)
	}
	c.MarkDirty(api, "net")
	c.MarkDirty(api, "other")
	nowNanos.Add(int64(20 * time.Second))
	api.next.Store("v2")
	go func() {
		time.Sleep(100 * time.Millisecond)
		api.release <- struct{}{}
	}()
	snap, state, err := c.Get(ctx, api, "net")
	if err != nil || state != snapshotFound || snap.Stack.Description != "v2" {
		t.Fatalf("dirty Get = %+v, %v, %v; want the refreshed v2", snap.Stack, state, err)
	}
	if n := api.calls.Load(); n != 2 {
		t.Errorf("%d refreshes, want 2", n)
	}
}
