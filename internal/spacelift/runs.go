package spacelift

import (
	"context"
	"time"

	graphql "github.com/hasura/go-graphql-client"
)

// RunState is the state of a run.
type RunState string

// Run states.
const (
	RunStateQueued          RunState = "QUEUED"
	RunStateReady           RunState = "READY"
	RunStatePreparing       RunState = "PREPARING"
	RunStateInitializing    RunState = "INITIALIZING"
	RunStatePlanning        RunState = "PLANNING"
	RunStateUnconfirmed     RunState = "UNCONFIRMED"
	RunStateConfirmed       RunState = "CONFIRMED"
	RunStateApplying        RunState = "APPLYING"
	RunStatePerforming      RunState = "PERFORMING"
	RunStateDestroying      RunState = "DESTROYING"
	RunStatePendingReview   RunState = "PENDING_REVIEW"
	RunStateReplanRequested RunState = "REPLAN_REQUESTED"
	RunStateFinished        RunState = "FINISHED"
	RunStateFailed          RunState = "FAILED"
	RunStateDiscarded       RunState = "DISCARDED"
	RunStateStopped         RunState = "STOPPED"
	RunStateCanceled        RunState = "CANCELED"
	RunStateSkipped         RunState = "SKIPPED"
)

// Terminal reports whether a run in state s has ended and will not change
// state again.
func (s RunState) Terminal() bool {
	switch s {
	case RunStateFinished, RunStateFailed, RunStateDiscarded, RunStateStopped, RunStateCanceled, RunStateSkipped:
		return true
	}
	return false
}

// Run is a run of a stack.
type Run struct {
	ID    string
	Type  RunType
	State RunState
	// DriftDetection marks runs started by drift detection.
	DriftDetection bool
	CreatedAt      time.Time
	CommitSHA      string
	TriggeredBy    string
	// Delta is the planned change, nil before planning ends.
	Delta *RunDelta
}

// RunDelta counts the resources a run's plan adds, changes and deletes.
type RunDelta struct {
	AddCount    int
	ChangeCount int
	DeleteCount int
	// Resources is the number of resources the plan covers.
	Resources int
}

// Changes reports whether the plan changes anything.
func (d *RunDelta) Changes() bool {
	return d != nil && d.AddCount+d.ChangeCount+d.DeleteCount > 0
}

type runFields struct {
	ID             string  `graphql:"id" json:"id"`
	Type           string  `graphql:"type" json:"type"`
	State          string  `graphql:"state" json:"state"`
	DriftDetection bool    `graphql:"driftDetection" json:"driftDetection"`
	CreatedAt      int64   `graphql:"createdAt" json:"createdAt"`
	TriggeredBy    *string `graphql:"triggeredBy" json:"triggeredBy"`
	Commit         *struct {
		Hash string `graphql:"hash" json:"hash"`
	} `graphql:"commit" json:"commit"`
	Delta *struct {
		AddCount    int `graphql:"addCount" json:"addCount"`
		ChangeCount int `graphql:"changeCount" json:"changeCount"`
		DeleteCount int `graphql:"deleteCount" json:"deleteCount"`
		Resources   int `graphql:"resources" json:"resources"`
	} `graphql:"delta" json:"delta"`
}

func (f *runFields) run() *Run {
	r := &Run{
		ID:             f.ID,
		Type:           RunType(f.Type),
		State:          RunState(f.State),
		DriftDetection: f.DriftDetection,
		CreatedAt:      unixTime(f.CreatedAt),
		TriggeredBy:    deref(f.TriggeredBy),
	}
	if f.Commit != nil {
		r.CommitSHA = f.Commit.Hash
	}
	if f.Delta != nil {
		r.Delta = &RunDelta{
			AddCount: f.Delta.AddCount, ChangeCount: f.Delta.ChangeCount,
			DeleteCount: f.Delta.DeleteCount, Resources: f.Delta.Resources,
		}
	}
	return r
}

func runs(fs []runFields) []Run {
	out := make([]Run, 0, len(fs))
	for i := range fs {
		out = append(out, *fs[i].run())
	}
	return out
}

// newestRun picks the first run of a list the API returns newest first
// that keep accepts.
func newestRun(fs []runFields, keep func(*runFields) bool) *Run {
	for i := range fs {
		if keep(&fs[i]) {
			return fs[i].run()
		}
	}
	return nil
}

// newestDriftDetectionRun picks the newest drift detection run of a list
// the API returns newest first.
func newestDriftDetectionRun(fs []runFields) *Run {
	for i := range fs {
		if fs[i].DriftDetection {
			return fs[i].run()
		}
	}
	return nil
}

// TriggerRun starts a run of type TRACKED or PROPOSED on the stack, at
// commitSHA or, when it is empty, at the head of the tracked branch. Pass
// WithRunMetadata to attach metadata to the run. The mutation is not
// repeated after a failure that may have reached the API.
func (c *Client) TriggerRun(ctx context.Context, stackID string, runType RunType, commitSHA string, opts ...CallOption) (*Run, error) {
	var m struct {
		Run runFields `graphql:"runTrigger(stack: $stack, commitSha: $commitSha, runType: $runType)" json:"runTrigger"`
	}
	vars := map[string]any{
		"stack":     graphql.ID(stackID),
		"commitSha": ptrOrNil(commitSHA),
		"runType":   ptr(runType),
	}
	if err := c.do(ctx, mutation("RunTrigger", false, opts...), &m, vars); err != nil {
		return nil, err
	}
	return m.Run.run(), nil
}

// ConfirmRun confirms an UNCONFIRMED tracked run so that it applies. Pass
// WithRunMetadata to attach metadata to the run.
func (c *Client) ConfirmRun(ctx context.Context, stackID, runID string, opts ...CallOption) (*Run, error) {
	var m struct {
		Run runFields `graphql:"runConfirm(stack: $stack, run: $run)" json:"runConfirm"`
	}
	vars := map[string]any{"stack": graphql.ID(stackID), "run": graphql.ID(runID)}
	if err := c.do(ctx, mutation("RunConfirm", false, opts...), &m, vars); err != nil {
		return nil, err
	}
	return m.Run.run(), nil
}

// DiscardRun discards an UNCONFIRMED tracked run. Pass WithRunMetadata to
// attach metadata to the request.
func (c *Client) DiscardRun(ctx context.Context, stackID, runID string, opts ...CallOption) (*Run, error) {
	var m struct {
		Run runFields `graphql:"runDiscard(stack: $stack, run: $run)" json:"runDiscard"`
	}
	vars := map[string]any{"stack": graphql.ID(stackID), "run": graphql.ID(runID)}
	if err := c.do(ctx, mutation("RunDiscard", false, opts...), &m, vars); err != nil {
		return nil, err
	}
	return m.Run.run(), nil
}

// GetRun reads a run of a stack. A missing stack or run is an error for
// which IsNotFound is true.
func (c *Client) GetRun(ctx context.Context, stackID, runID string) (*Run, error) {
	var q struct {
		Stack *struct {
			Run *runFields `graphql:"run(id: $run)" json:"run"`
		} `graphql:"stack(id: $stack)" json:"stack"`
	}
	cl := query("RunRead")
	vars := map[string]any{"stack": graphql.ID(stackID), "run": graphql.ID(runID)}
	if err := c.do(ctx, cl, &q, vars); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+stackID)
	}
	if q.Stack.Run == nil {
		return nil, notFound(cl.name, "run "+runID+" of stack "+stackID)
	}
	return q.Stack.Run.run(), nil
}

// ListRuns returns the stack's tracked runs, newest first, one page (up to
// 50) of those created before the run before; an empty before starts with
// the newest.
func (c *Client) ListRuns(ctx context.Context, stackID, before string) ([]Run, error) {
	var q struct {
		Stack *struct {
			Runs []runFields `graphql:"runs(before: $before)" json:"runs"`
		} `graphql:"stack(id: $stack)" json:"stack"`
	}
	cl := query("StackRuns")
	if err := c.do(ctx, cl, &q, runListVars(stackID, before)); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+stackID)
	}
	return runs(q.Stack.Runs), nil
}

// ListProposedRuns is ListRuns for proposed runs, drift detection runs
// included.
func (c *Client) ListProposedRuns(ctx context.Context, stackID, before string) ([]Run, error) {
	var q struct {
		Stack *struct {
			Runs []runFields `graphql:"proposedRuns(before: $before)" json:"proposedRuns"`
		} `graphql:"stack(id: $stack)" json:"stack"`
	}
	cl := query("StackProposedRuns")
	if err := c.do(ctx, cl, &q, runListVars(stackID, before)); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+stackID)
	}
	return runs(q.Stack.Runs), nil
}

func runListVars(stackID, before string) map[string]any {
	var b *graphql.ID
	if before != "" {
		b = ptr(graphql.ID(before))
	}
	return map[string]any{"stack": graphql.ID(stackID), "before": b}
}

// maxDriftRunPages bounds how far back LatestDriftDetectionRun looks.
const maxDriftRunPages = 4

// LatestDriftDetectionRun returns the newest drift detection run of the
// stack (drift detection runs are proposed runs), looking at most 200 runs
// back. It returns nil and no error when there is none.
func (c *Client) LatestDriftDetectionRun(ctx context.Context, stackID string) (*Run, error) {
	before := ""
	for range maxDriftRunPages {
		page, err := c.ListProposedRuns(ctx, stackID, before)
		if err != nil {
			return nil, err
		}
		for i := range page {
			if page[i].DriftDetection {
				return &page[i], nil
			}
		}
		if len(page) == 0 {
			return nil, nil
		}
		before = page[len(page)-1].ID
	}
	return nil, nil
}

// ManagedEntity is a resource a stack manages.
type ManagedEntity struct {
	ID      string
	Address string
	Name    string
	Type    string
	// DriftedAt is when drift detection last found the resource drifted,
	// zero when it matches its state.
	DriftedAt time.Time
}

// Drifted reports whether drift detection found the resource drifted.
func (e ManagedEntity) Drifted() bool { return !e.DriftedAt.IsZero() }

// ListManagedEntities returns the resources the stack manages, with their
// drift status.
func (c *Client) ListManagedEntities(ctx context.Context, stackID string) ([]ManagedEntity, error) {
	var q struct {
		Stack *struct {
			Entities []struct {
				ID      string `graphql:"id" json:"id"`
				Address string `graphql:"address" json:"address"`
				Name    string `graphql:"name" json:"name"`
				Type    string `graphql:"type" json:"type"`
				Drifted *int64 `graphql:"drifted" json:"drifted"`
			} `graphql:"entities" json:"entities"`
		} `graphql:"stack(id: $stack)" json:"stack"`
	}
	cl := query("StackEntities")
	if err := c.do(ctx, cl, &q, map[string]any{"stack": graphql.ID(stackID)}); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+stackID)
	}
	out := make([]ManagedEntity, 0, len(q.Stack.Entities))
	for _, e := range q.Stack.Entities {
		me := ManagedEntity{ID: e.ID, Address: e.Address, Name: e.Name, Type: e.Type}
		if e.Drifted != nil {
			me.DriftedAt = unixTime(*e.Drifted)
		}
		out = append(out, me)
	}
	return out, nil
}
