package emulator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // drift schedules name IANA zones; do not depend on the host's zoneinfo

	"github.com/graph-gophers/graphql-go"
	"github.com/robfig/cron/v3"
)

// PlanSpec is what the planning phase of a stack's next tracked run finds.
// Without one the emulator derives it: drift becomes changes, a stack's first
// run adds one resource, later runs find nothing to do.
type PlanSpec struct {
	AddCount    int32 `json:"addCount"`
	ChangeCount int32 `json:"changeCount"`
	DeleteCount int32 `json:"deleteCount"`
	// FailPlanning makes the run end in FAILED after planning.
	FailPlanning bool `json:"failPlanning,omitempty"`
	// FailApplying makes the run end in FAILED while applying.
	FailApplying bool `json:"failApplying,omitempty"`
}

func (p PlanSpec) changes() bool { return p.AddCount+p.ChangeCount+p.DeleteCount > 0 }

var terminalRunStates = map[string]bool{
	"FINISHED": true, "FAILED": true, "DISCARDED": true, "CANCELED": true, "STOPPED": true, "SKIPPED": true,
}

// stackRunsLocked returns the runs of a stack, newest first.
func (s *Server) stackRunsLocked(stack graphql.ID) []*runRecord {
	var out []*runRecord
	for _, r := range s.st.Runs {
		if r.StackID == stack {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *runRecord) int { return cmp.Compare(b.Seq, a.Seq) })
	return out
}

// blocksStack reports whether a run type holds the stack while it runs.
func blocksStack(typ string) bool { return typ == "TRACKED" || typ == "DESTROY" }

// blockerLocked is the oldest unfinished tracked or destroy run of a stack.
func (s *Server) blockerLocked(stack graphql.ID) *runRecord {
	var best *runRecord
	for _, r := range s.st.Runs {
		if r.StackID == stack && blocksStack(r.Type) && !terminalRunStates[r.State] && (best == nil || r.Seq < best.Seq) {
			best = r
		}
	}
	return best
}

type runOptions struct {
	commitSha      *string
	triggeredBy    string
	metadata       *string
	driftDetection bool
	reconcile      bool
}

// newRunLocked queues a run and announces it.
func (s *Server) newRunLocked(st *stackRecord, typ string, at time.Time, o runOptions) *runRecord {
	now := at
	commit := *fakeCommit(st.Repository, st.Branch, now)
	if st.TrackedCommit != nil {
		commit = *st.TrackedCommit
	}
	if o.commitSha != nil && *o.commitSha != "" {
		commit.Hash = *o.commitSha
	}
	title := commit.Message
	if o.driftDetection {
		title = "Drift detection"
	}
	r := &runRecord{
		runData: runData{
			ID: s.nextIDLocked(), Type: typ, Branch: st.Branch, Commit: commit,
			CreatedAt: unix(now), Title: title, DriftDetection: o.driftDetection,
			History: []transitionData{}, Comments: []commentData{}, UserProvidedMetadata: []string{},
		},
		StackID:   st.ID,
		Seq:       s.st.Seq,
		Reconcile: o.reconcile,
	}
	if o.triggeredBy != "" {
		tb := o.triggeredBy
		r.TriggeredBy = &tb
	}
	if o.metadata != nil {
		r.UserProvidedMetadata = append(r.UserProvidedMetadata, *o.metadata)
	}
	s.st.Runs[r.ID] = r
	s.transitionLocked(r, "QUEUED", now)
	return r
}

// transitionLocked moves a run to a state at time t, schedules its next step,
// mirrors tracked runs onto the stack state and queues webhooks.
func (s *Server) transitionLocked(r *runRecord, state string, t time.Time) {
	if err := checkEnum("Run.state", "RunState", state); err != nil {
		// A bug in the state machine; refuse it rather than serve a value
		// that would fail every read of the run.
		s.log.Error("refusing a run state outside RunState", "run", r.ID, "err", err)
		return
	}
	r.State = state
	r.UpdatedAt = unix(t)
	r.History = append(slices.Clone(r.History), transitionData{
		HasLogs: true, State: state, StateVersion: int32(len(r.History) + 1), //nolint:gosec // a run has few states
		Terminal: terminalRunStates[state], Timestamp: unix(t),
	})
	r.NextAt = nil
	if !terminalRunStates[state] && state != "UNCONFIRMED" {
		next := t.Add(s.opts.RunStepDuration)
		r.NextAt = &next
	}
	st, ok := s.st.Stacks[r.StackID]
	if !ok {
		return
	}
	if blocksStack(r.Type) && terminalRunStates[state] {
		s.wakeQueuedLocked(r.StackID, t)
	}
	if stackState, ok := stackStateOf(state); ok && blocksStack(r.Type) {
		st.State = stackState
		ts := unix(t)
		st.StateSetAt = &ts
	}
	s.queueWebhooksLocked(st, r, t)
}

// wakeQueuedLocked lets the oldest parked tracked run of a stack proceed.
func (s *Server) wakeQueuedLocked(stack graphql.ID, t time.Time) {
	var oldest *runRecord
	for _, r := range s.st.Runs {
		if r.StackID == stack && blocksStack(r.Type) && r.State == "QUEUED" && r.NextAt == nil && (oldest == nil || r.Seq < oldest.Seq) {
			oldest = r
		}
	}
	if oldest != nil {
		next := t.Add(s.opts.RunStepDuration)
		oldest.NextAt = &next
	}
}

// step advances a run whose NextAt has come. It returns false when the run
// has to wait (a tracked run queued behind another one).
func (s *Server) stepLocked(r *runRecord, t time.Time) bool {
	st, ok := s.st.Stacks[r.StackID]
	if !ok {
		r.NextAt = nil
		return false
	}
	switch r.State {
	case "QUEUED":
		if blocksStack(r.Type) {
			if b := s.blockerLocked(r.StackID); b != nil && b.ID != r.ID {
				// Parked until the blocker ends; transitionLocked wakes it.
				r.NextAt = nil
				return false
			}
		}
		s.transitionLocked(r, "READY", t)
	case "READY":
		s.transitionLocked(r, "PREPARING", t)
	case "PREPARING":
		if r.Type == "TASK" && r.SkipInit {
			s.transitionLocked(r, "PERFORMING", t)
			return true
		}
		s.transitionLocked(r, "INITIALIZING", t)
	case "PERFORMING":
		s.transitionLocked(r, "FINISHED", t)
	case "REPLAN_REQUESTED":
		s.transitionLocked(r, "PREPARING_REPLAN", t)
	case "PREPARING_REPLAN":
		r.Plan, r.Changes = targetedPlan(r.Changes, r.ReplanTargets)
		s.transitionLocked(r, "PLANNING", t)
	case "INITIALIZING":
		if r.Type == "TASK" {
			s.transitionLocked(r, "PERFORMING", t)
			return true
		}
		if r.Type == "DESTROY" {
			s.transitionLocked(r, "DESTROYING", t)
			return true
		}
		r.Plan = s.planLocked(st, r)
		s.transitionLocked(r, "PLANNING", t)
	case "PLANNING":
		s.finishPlanningLocked(st, r, t)
	case "CONFIRMED":
		s.transitionLocked(r, "APPLYING", t)
	case "APPLYING":
		if r.Plan.FailApplying {
			s.transitionLocked(r, "FAILED", t)
			return true
		}
		s.applyLocked(st, r)
		s.transitionLocked(r, "FINISHED", t)
	case "DESTROYING":
		s.transitionLocked(r, "FINISHED", t)
		if st.Deleting {
			s.removeStackLocked(st.ID)
		}
	default:
		r.NextAt = nil
		return false
	}
	return true
}

// planLocked decides what the planning phase of a run finds.
func (s *Server) planLocked(st *stackRecord, r *runRecord) PlanSpec {
	if r.DriftDetection {
		return PlanSpec{ChangeCount: int32(st.RealDrift)} //nolint:gosec // small counts
	}
	if r.Type != "TRACKED" && r.Type != "PROPOSED" {
		return PlanSpec{}
	}
	if st.NextPlan != nil && r.Type == "TRACKED" {
		p := *st.NextPlan
		st.NextPlan = nil
		return p
	}
	switch {
	case st.RealDrift > 0:
		return PlanSpec{ChangeCount: int32(st.RealDrift)} //nolint:gosec // small counts
	case !st.Applied:
		return PlanSpec{AddCount: 1}
	}
	return PlanSpec{}
}

func (s *Server) finishPlanningLocked(st *stackRecord, r *runRecord, t time.Time) {
	p := r.Plan
	if r.ReplanTargets == nil {
		r.Changes = plannedChanges(st, p)
	}
	r.Delta = &deltaData{AddCount: p.AddCount, ChangeCount: p.ChangeCount, DeleteCount: p.DeleteCount,
		Resources: int32(len(st.Entities)) + p.AddCount - p.DeleteCount} //nolint:gosec // small counts
	if p.FailPlanning {
		s.transitionLocked(r, "FAILED", t)
		return
	}
	if r.DriftDetection {
		s.detectDriftLocked(st, t)
		s.transitionLocked(r, "FINISHED", t)
		if r.Reconcile && st.RealDrift > 0 && s.blockerLocked(st.ID) == nil {
			s.newRunLocked(st, "TRACKED", t, runOptions{triggeredBy: "drift detection reconciliation"})
		}
		return
	}
	switch {
	case r.Type != "TRACKED" || !p.changes():
		s.transitionLocked(r, "FINISHED", t)
	case st.Autodeploy:
		s.transitionLocked(r, "APPLYING", t)
	default:
		s.transitionLocked(r, "UNCONFIRMED", t)
	}
}

// detectDriftLocked marks as many managed entities drifted as the world has
// drifted, creating placeholder entities when too few are known.
func (s *Server) detectDriftLocked(st *stackRecord, t time.Time) {
	for len(st.Entities) < st.RealDrift {
		n := len(st.Entities)
		st.Entities = append(slices.Clone(st.Entities), &entityRecord{entityData: entityData{
			ID: graphql.ID(fmt.Sprintf("null_resource.emulated[%d]", n)), Address: fmt.Sprintf("null_resource.emulated[%d]", n),
			Name: "emulated", Type: "null_resource", Parent: string(st.ID),
		}})
	}
	ts := unix(t)
	for i, e := range st.Entities {
		c := *e
		if i < st.RealDrift {
			if c.Drifted == nil {
				c.Drifted = &ts
			}
		} else {
			c.Drifted = nil
		}
		st.Entities[i] = &c
	}
}

// applyLocked records the effect of a successful apply: drift is gone, added
// resources appear as managed entities.
func (s *Server) applyLocked(st *stackRecord, r *runRecord) {
	entities := make([]*entityRecord, 0, len(st.Entities))
	for _, e := range st.Entities {
		c := *e
		if c.Drifted != nil || r.Plan.ChangeCount > 0 {
			c.UpdaterRunID = r.ID
		}
		c.Drifted = nil
		entities = append(entities, &c)
	}
	for i := int32(0); i < r.Plan.AddCount; i++ {
		addr := fmt.Sprintf("null_resource.r%d", len(entities))
		entities = append(entities, &entityRecord{
			entityData:   entityData{ID: graphql.ID(addr), Address: addr, Name: "r", Type: "null_resource", Parent: string(st.ID)},
			CreatorRunID: r.ID, UpdaterRunID: r.ID,
		})
	}
	if n := int(r.Plan.DeleteCount); n > 0 {
		entities = entities[:max(0, len(entities)-n)]
	}
	st.Entities = entities
	st.RealDrift = 0
	st.Applied = true
	commit := r.Commit
	st.TrackedCommit = &commit
}

// processDue runs every state change whose time has come, in time order.
func (s *Server) processDue() {
	s.mu.Lock()
	changed := s.processDueLocked()
	s.mu.Unlock()
	if changed {
		if err := s.save(); err != nil {
			s.log.Error("saving state", "err", err)
		}
	}
}

// maxDueEvents bounds the events one processDue handles; with missed
// schedule occurrences skipped it is only reached by a bug, and then the
// request still returns.
const maxDueEvents = 100000

func (s *Server) processDueLocked() bool {
	now := s.nowLocked()
	changed := false
	for range maxDueEvents {
		var (
			run   *runRecord
			stack *stackRecord
			at    time.Time
		)
		// The earliest due event, ties going to runs and then to the
		// smaller id, found by one scan rather than sorting every time.
		for _, r := range s.st.Runs {
			if r.NextAt == nil || r.NextAt.After(now) {
				continue
			}
			if run == nil || r.NextAt.Before(at) || (r.NextAt.Equal(at) && r.ID < run.ID) {
				run, at = r, *r.NextAt
			}
		}
		for _, st := range s.st.Stacks {
			if st.NextDriftAt == nil || st.NextDriftAt.After(now) {
				continue
			}
			if (run == nil && stack == nil) || st.NextDriftAt.Before(at) || (stack != nil && st.NextDriftAt.Equal(at) && st.ID < stack.ID) {
				run, stack, at = nil, st, *st.NextDriftAt
			}
		}
		if schedStack, sched := s.dueScheduleLocked(now); sched != nil && ((run == nil && stack == nil) || sched.NextAt.Before(at)) {
			s.fireScheduleLocked(schedStack, sched, *sched.NextAt)
			changed = true
			continue
		}
		switch {
		case stack != nil:
			s.fireDriftScheduleLocked(stack, at)
		case run != nil:
			s.stepLocked(run, at)
		default:
			return changed
		}
		changed = true
	}
	return changed
}

// Advance moves the emulator's clock forward and runs whatever became due:
// run steps, scheduled drift detection, deletions.
func (s *Server) Advance(d time.Duration) time.Time {
	s.mu.Lock()
	s.st.ClockOffset += d
	s.mu.Unlock()
	s.processDue()
	return s.now()
}

// RunScheduler processes due events every interval until ctx ends; use it
// with the wall clock so runs progress without requests.
func (s *Server) RunScheduler(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.processDue()
		}
	}
}

type runTriggerArgs struct {
	Stack         graphql.ID
	CommitSha     *string
	RunType       *string
	RuntimeConfig *runtimeConfigInput
	ForceApply    *string
}

type runtimeConfigInput struct {
	Yaml        *string
	ProjectRoot *string
	RunnerImage *string
	Environment *[]envVarInput
	hooksInput
}

type envVarInput struct {
	Key   string
	Value string
}

func metadataOf(ctx context.Context) *string {
	ri := info(ctx)
	if !ri.hasMetadata {
		return nil
	}
	m := ri.runMetadata
	return &m
}

func (r *rootResolver) RunTrigger(ctx context.Context, args runTriggerArgs) (*runView, error) {
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(st *stackRecord) (*runView, error) {
		s := r.s
		if err := s.canStartRunLocked(ctx, st); err != nil {
			return nil, err
		}
		typ := "TRACKED"
		if args.RunType != nil {
			typ = *args.RunType
		}
		if typ != "TRACKED" && typ != "PROPOSED" {
			return nil, fmt.Errorf("run type %s cannot be triggered on a stack by the emulator", typ)
		}
		run := s.newRunLocked(st, typ, s.nowLocked(), runOptions{commitSha: args.CommitSha, triggeredBy: info(ctx).subject, metadata: metadataOf(ctx)})
		return s.runViewLocked(run), nil
	})
}

// canStartRunLocked refuses new runs on a stack that is disabled, being
// deleted or locked by someone else.
func (s *Server) canStartRunLocked(ctx context.Context, st *stackRecord) error {
	switch {
	case st.IsDisabled:
		return fmt.Errorf("stack %q is disabled", st.ID)
	case st.Deleting:
		return fmt.Errorf("stack %q is being deleted", st.ID)
	}
	if holder, locked := lockedByOther(st, info(ctx).subject); locked {
		return fmt.Errorf("stack %q is locked by %s", st.ID, holder)
	}
	return nil
}

type runArgs struct {
	Stack graphql.ID
	Run   graphql.ID
}

// RunConfirm moves an UNCONFIRMED run on to CONFIRMED and records the run
// metadata header, one entry per call.
func (r *rootResolver) RunConfirm(ctx context.Context, args runArgs) (*runView, error) {
	return onRun(ctx, r.s, args.Stack, args.Run, func(_ *stackRecord, run *runRecord) (*runView, error) {
		if run.State != "UNCONFIRMED" {
			return nil, fmt.Errorf("run %s is in state %s and cannot be confirmed", run.ID, run.State)
		}
		if m := metadataOf(ctx); m != nil {
			run.UserProvidedMetadata = append(slices.Clone(run.UserProvidedMetadata), *m)
		}
		r.s.transitionLocked(run, "CONFIRMED", r.s.nowLocked())
		return r.s.runViewLocked(run), nil
	})
}

// RunDiscard discards an unconfirmed or queued run.
func (r *rootResolver) RunDiscard(ctx context.Context, args runArgs) (*runView, error) {
	return onRun(ctx, r.s, args.Stack, args.Run, func(_ *stackRecord, run *runRecord) (*runView, error) {
		if err := r.s.discardLocked(run); err != nil {
			return nil, err
		}
		return r.s.runViewLocked(run), nil
	})
}

var errNotDiscardable = errors.New("cannot be discarded")

func (s *Server) discardLocked(run *runRecord) error {
	if run.State != "UNCONFIRMED" && run.State != "QUEUED" {
		return fmt.Errorf("run %s is in state %s and %w", run.ID, run.State, errNotDiscardable)
	}
	s.transitionLocked(run, "DISCARDED", s.nowLocked())
	return nil
}

type runDiscardAllView struct {
	DiscardedRuns    []*runView
	FailedDiscarding []string
}

func (r *rootResolver) RunDiscardAll(ctx context.Context, args struct{ Stack graphql.ID }) (*runDiscardAllView, error) {
	s := r.s
	return onStack(ctx, s, args.Stack, func(*stackRecord) (*runDiscardAllView, error) {
		out := &runDiscardAllView{DiscardedRuns: []*runView{}, FailedDiscarding: []string{}}
		for _, run := range s.stackRunsLocked(args.Stack) {
			if terminalRunStates[run.State] {
				continue
			}
			if err := s.discardLocked(run); err != nil {
				out.FailedDiscarding = append(out.FailedDiscarding, string(run.ID))
				continue
			}
			out.DiscardedRuns = append(out.DiscardedRuns, s.runViewLocked(run))
		}
		return out, nil
	})
}

type driftInput struct {
	IgnoreState bool
	Reconcile   bool
	Schedule    []string
	Timezone    *string
}

type driftArgs struct {
	Stack graphql.ID
	Input driftInput
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// nextScheduled is the earliest time after t any of the schedules fires.
func nextScheduled(schedules []string, tz string, t time.Time) (time.Time, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid timezone %q: %w", tz, err)
	}
	var next time.Time
	for _, expr := range schedules {
		sched, err := cronParser.Parse(expr)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid schedule %q: %w", expr, err)
		}
		// robfig/cron gives up after five years and returns the zero time.
		n := sched.Next(t.In(loc))
		if n.IsZero() {
			return time.Time{}, fmt.Errorf("%w: %q matches no time in the next five years; check its day-of-month and month fields", errScheduleNeverFires, expr)
		}
		if next.IsZero() || n.Before(next) {
			next = n
		}
	}
	return next.UTC(), nil
}

// errScheduleNeverFires marks a cron expression such as "0 3 30 2 *" (the
// 30th of February) that would never start a run.
var errScheduleNeverFires = errors.New("invalid schedule: the expression never fires")

func (s *Server) setDriftLocked(st *stackRecord, in driftInput, create bool) (*driftData, error) {
	switch {
	case create && st.Drift != nil:
		return nil, fmt.Errorf("stack %q already has drift detection; update it instead", st.ID)
	case !create && st.Drift == nil:
		return nil, fmt.Errorf("stack %q has no drift detection to update", st.ID)
	}
	schedule := slices.DeleteFunc(slices.Clone(in.Schedule), func(e string) bool { return strings.TrimSpace(e) == "" })
	if len(schedule) == 0 {
		return nil, errors.New("drift detection schedule must have at least one cron expression")
	}
	tz := "UTC"
	if in.Timezone != nil && *in.Timezone != "" {
		tz = *in.Timezone
	}
	next, err := nextScheduled(schedule, tz, s.nowLocked())
	if err != nil {
		return nil, err
	}
	id := graphql.ID("drift-" + string(st.ID))
	ns := unix(next)
	st.Drift = &driftData{ID: id, IgnoreState: in.IgnoreState, Reconcile: in.Reconcile,
		Schedule: schedule, Timezone: tz, NextSchedule: &ns}
	st.NextDriftAt = &next
	c := *st.Drift
	return &c, nil
}

// StackIntegrationDriftDetectionCreate refuses schedules that never fire.
func (r *rootResolver) StackIntegrationDriftDetectionCreate(ctx context.Context, args driftArgs) (*driftData, error) {
	return onStackAs(ctx, r.s, args.Stack, actionAdmin, func(st *stackRecord) (*driftData, error) { return r.s.setDriftLocked(st, args.Input, true) })
}

// StackIntegrationDriftDetectionUpdate refuses schedules that never fire
// and keeps the old ones then.
func (r *rootResolver) StackIntegrationDriftDetectionUpdate(ctx context.Context, args driftArgs) (*driftData, error) {
	return onStackAs(ctx, r.s, args.Stack, actionAdmin, func(st *stackRecord) (*driftData, error) { return r.s.setDriftLocked(st, args.Input, false) })
}

// StackIntegrationDriftDetectionDelete answers null when there is none.
func (r *rootResolver) StackIntegrationDriftDetectionDelete(ctx context.Context, args struct{ Stack graphql.ID }) (*driftData, error) {
	return onStackAs(ctx, r.s, args.Stack, actionAdmin, func(st *stackRecord) (*driftData, error) {
		if st.Drift == nil {
			return nil, nil
		}
		c := *st.Drift
		c.Deleted = true
		st.Drift, st.NextDriftAt = nil, nil
		return &c, nil
	})
}

// fireDriftScheduleLocked starts a scheduled drift detection run. Like
// Spacelift it skips stacks whose last tracked run did not finish, unless the
// integration ignores state, and stacks that already have one in flight.
func (s *Server) fireDriftScheduleLocked(st *stackRecord, at time.Time) {
	d := st.Drift
	if d == nil {
		st.NextDriftAt = nil
		return
	}
	// Occurrences missed while the clock jumped past them are not caught up
	// one by one: the next one is the first after now. That bounds the work
	// a single request can trigger however far the clock moved.
	from := at
	if now := s.nowLocked(); now.After(from) {
		from = now
	}
	next, err := nextScheduled(d.Schedule, d.Timezone, from)
	if err != nil || !next.After(at) {
		// A schedule that never fires (only possible in a state file written
		// before such schedules were refused) must not keep the scheduler
		// busy: it is parked until the integration is updated.
		st.NextDriftAt, d.NextSchedule = nil, nil
		s.log.Warn("drift detection schedule never fires; parked", "stack", st.ID, "schedule", d.Schedule, "err", err)
		return
	}
	st.NextDriftAt = &next
	ns := unix(next)
	d.NextSchedule = &ns
	if st.IsDisabled || st.Deleting || (!d.IgnoreState && st.State != "FINISHED") || s.driftRunActiveLocked(st.ID) {
		return
	}
	s.newRunLocked(st, "PROPOSED", at, runOptions{driftDetection: true, reconcile: d.Reconcile, triggeredBy: "drift detection"})
}

func (s *Server) driftRunActiveLocked(stack graphql.ID) bool {
	for _, r := range s.st.Runs {
		if r.StackID == stack && r.DriftDetection && !terminalRunStates[r.State] {
			return true
		}
	}
	return false
}
