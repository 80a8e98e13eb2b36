package emulator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/graph-gophers/graphql-go"
)

// Scheduled runs, tasks and stack deletions (spacelift_scheduled_run,
// spacelift_scheduled_task, spacelift_scheduled_delete_stack). Cron
// schedules go through the same check as drift detection, so an expression
// that never fires is refused; a one-off schedule (timestampSchedule) must be
// in the future and is gone once it has fired.

const (
	scheduleRun    = "run"
	scheduleTask   = "task"
	scheduleDelete = "delete"
)

// timing validates cron or timestamp scheduling and returns when the
// schedule fires first.
func timing(cron []string, timestamp *int32, tz *string, now time.Time) (time.Time, error) {
	cron = slices.DeleteFunc(slices.Clone(cron), func(e string) bool { return strings.TrimSpace(e) == "" })
	switch {
	case len(cron) > 0 && timestamp != nil:
		return time.Time{}, errors.New("set either cronSchedule or timestampSchedule, not both")
	case timestamp != nil:
		at := time.Unix(int64(*timestamp), 0).UTC()
		if !at.After(now) {
			return time.Time{}, fmt.Errorf("timestampSchedule %d is not in the future", *timestamp)
		}
		return at, nil
	case len(cron) > 0:
		zone := "UTC"
		if tz != nil && *tz != "" {
			zone = *tz
		}
		return nextScheduled(cron, zone, now)
	}
	return time.Time{}, errors.New("set cronSchedule or timestampSchedule")
}

func (s *Server) scheduleLocked(st *stackRecord, kind string, id graphql.ID) (*scheduleRecord, int) {
	i := slices.IndexFunc(st.Schedules, func(sc *scheduleRecord) bool { return sc.Kind == kind && sc.ID == id })
	if i < 0 {
		return nil, -1
	}
	return st.Schedules[i], i
}

// putScheduleLocked validates sc, sets its next time and stores it,
// replacing the schedule of the same id.
func (s *Server) putScheduleLocked(st *stackRecord, sc *scheduleRecord) error {
	next, err := timing(sc.CronSchedule, sc.TimestampSchedule, sc.Timezone, s.nowLocked())
	if err != nil {
		return err
	}
	sc.NextAt = &next
	if sc.CronSchedule == nil {
		sc.CronSchedule = []string{}
	}
	if len(sc.CronSchedule) > 0 && sc.Timezone == nil {
		utc := "UTC"
		sc.Timezone = &utc
	}
	kept := slices.DeleteFunc(slices.Clone(st.Schedules), func(x *scheduleRecord) bool { return x.ID == sc.ID })
	st.Schedules = append(kept, sc)
	return nil
}

func (s *Server) deleteScheduleLocked(st *stackRecord, kind string, id graphql.ID) *scheduleRecord {
	sc, i := s.scheduleLocked(st, kind, id)
	if sc == nil {
		return nil
	}
	st.Schedules = slices.Delete(slices.Clone(st.Schedules), i, i+1)
	return sc
}

func toRuntimeConfig(in *runtimeConfigInput) *runtimeConfigData {
	if in == nil {
		return nil
	}
	out := &runtimeConfigData{Environment: []envVarData{}, ProjectRoot: in.ProjectRoot, RunnerImage: in.RunnerImage,
		hooksData: in.toHooks()}
	if in.Environment != nil {
		for _, e := range *in.Environment {
			out.Environment = append(out.Environment, envVarData(e))
		}
	}
	return out
}

// scheduledRunView is ScheduledRun.
type scheduledRunView struct {
	ID                  graphql.ID
	Name                string
	CronSchedule        []string
	TimestampSchedule   *int32
	NextSchedule        *int32
	Timezone            *string
	CustomRuntimeConfig *storedRuntimeConfigView
}

// storedRuntimeConfigView is RuntimeConfig.
type storedRuntimeConfigView struct {
	runtimeConfigData
	TerraformVersion      *string
	TerraformWorkflowTool *string
}

// scheduledTaskView is ScheduledTask.
type scheduledTaskView struct {
	ID                graphql.ID
	Command           string
	CronSchedule      []string
	TimestampSchedule *int32
	NextSchedule      *int32
	Timezone          *string
}

// scheduledDeleteView is ScheduledStackDelete.
type scheduledDeleteView struct {
	ID                    graphql.ID
	ShouldDeleteResources bool
	TimestampSchedule     *int32
	NextSchedule          *int32
}

func nextOf(sc *scheduleRecord) *int32 {
	if sc.NextAt == nil {
		return nil
	}
	n := unix(*sc.NextAt)
	return &n
}

func runViewOfSchedule(sc *scheduleRecord) *scheduledRunView {
	v := &scheduledRunView{ID: sc.ID, Name: sc.Name, CronSchedule: cloneStrings(sc.CronSchedule),
		TimestampSchedule: sc.TimestampSchedule, NextSchedule: nextOf(sc), Timezone: sc.Timezone}
	if rc := sc.RuntimeConfig; rc != nil {
		c := *rc
		c.Environment = slices.Clone(rc.Environment)
		v.CustomRuntimeConfig = &storedRuntimeConfigView{runtimeConfigData: c}
	}
	return v
}

func taskViewOfSchedule(sc *scheduleRecord) *scheduledTaskView {
	return &scheduledTaskView{ID: sc.ID, Command: sc.Command, CronSchedule: cloneStrings(sc.CronSchedule),
		TimestampSchedule: sc.TimestampSchedule, NextSchedule: nextOf(sc), Timezone: sc.Timezone}
}

func deleteViewOfSchedule(sc *scheduleRecord) *scheduledDeleteView {
	return &scheduledDeleteView{ID: sc.ID, ShouldDeleteResources: sc.ShouldDeleteResources,
		TimestampSchedule: sc.TimestampSchedule, NextSchedule: nextOf(sc)}
}

type scheduledRunInput struct {
	Name              string
	CronSchedule      *[]string
	TimestampSchedule *int32
	Timezone          *string
	RuntimeConfig     *runtimeConfigInput
}

func (in scheduledRunInput) record(id graphql.ID) (*scheduleRecord, error) {
	if strings.TrimSpace(in.Name) == "" {
		return nil, errors.New("name can't be empty")
	}
	return &scheduleRecord{ID: id, Kind: scheduleRun, Name: in.Name, CronSchedule: list(in.CronSchedule),
		TimestampSchedule: in.TimestampSchedule, Timezone: in.Timezone, RuntimeConfig: toRuntimeConfig(in.RuntimeConfig)}, nil
}

type scheduledRunCreateArgs struct {
	Stack graphql.ID
	Input scheduledRunInput
}

// StackScheduledRunCreate schedules a tracked run.
func (r *rootResolver) StackScheduledRunCreate(ctx context.Context, args scheduledRunCreateArgs) (*scheduledRunView, error) {
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(st *stackRecord) (*scheduledRunView, error) {
		sc, err := args.Input.record(r.s.nextIDLocked())
		if err == nil {
			err = r.s.putScheduleLocked(st, sc)
		}
		if err != nil {
			return nil, fmt.Errorf("could not schedule a run: %w", err)
		}
		return runViewOfSchedule(sc), nil
	})
}

type scheduledRunUpdateArgs struct {
	Stack        graphql.ID
	ScheduledRun graphql.ID
	Input        scheduledRunInput
}

// StackScheduledRunUpdate replaces a scheduled run.
func (r *rootResolver) StackScheduledRunUpdate(ctx context.Context, args scheduledRunUpdateArgs) (*scheduledRunView, error) {
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(st *stackRecord) (*scheduledRunView, error) {
		if old, _ := r.s.scheduleLocked(st, scheduleRun, args.ScheduledRun); old == nil {
			return nil, fmt.Errorf("scheduled run %q not found on stack %q", args.ScheduledRun, st.ID)
		}
		sc, err := args.Input.record(args.ScheduledRun)
		if err == nil {
			err = r.s.putScheduleLocked(st, sc)
		}
		if err != nil {
			return nil, fmt.Errorf("could not update the scheduled run: %w", err)
		}
		return runViewOfSchedule(sc), nil
	})
}

type scheduledRunDeleteArgs struct {
	Stack        graphql.ID
	ScheduledRun graphql.ID
}

// StackScheduledRunDelete removes a scheduled run; a missing one is null.
func (r *rootResolver) StackScheduledRunDelete(ctx context.Context, args scheduledRunDeleteArgs) (*scheduledRunView, error) {
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(st *stackRecord) (*scheduledRunView, error) {
		if sc := r.s.deleteScheduleLocked(st, scheduleRun, args.ScheduledRun); sc != nil {
			return runViewOfSchedule(sc), nil
		}
		return nil, nil
	})
}

type scheduledTaskInput struct {
	Command           string
	CronSchedule      *[]string
	TimestampSchedule *int32
	Timezone          *string
}

func (in scheduledTaskInput) record(id graphql.ID) (*scheduleRecord, error) {
	if strings.TrimSpace(in.Command) == "" {
		return nil, errors.New("command can't be empty")
	}
	return &scheduleRecord{ID: id, Kind: scheduleTask, Command: in.Command, CronSchedule: list(in.CronSchedule),
		TimestampSchedule: in.TimestampSchedule, Timezone: in.Timezone}, nil
}

type scheduledTaskCreateArgs struct {
	Stack graphql.ID
	Input scheduledTaskInput
}

// StackScheduledTaskCreate schedules a task.
func (r *rootResolver) StackScheduledTaskCreate(ctx context.Context, args scheduledTaskCreateArgs) (*scheduledTaskView, error) {
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(st *stackRecord) (*scheduledTaskView, error) {
		sc, err := args.Input.record(r.s.nextIDLocked())
		if err == nil {
			err = r.s.putScheduleLocked(st, sc)
		}
		if err != nil {
			return nil, fmt.Errorf("could not schedule a task: %w", err)
		}
		return taskViewOfSchedule(sc), nil
	})
}

type scheduledTaskUpdateArgs struct {
	Stack         graphql.ID
	ScheduledTask graphql.ID
	Input         scheduledTaskInput
}

// StackScheduledTaskUpdate replaces a scheduled task.
func (r *rootResolver) StackScheduledTaskUpdate(ctx context.Context, args scheduledTaskUpdateArgs) (*scheduledTaskView, error) {
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(st *stackRecord) (*scheduledTaskView, error) {
		if old, _ := r.s.scheduleLocked(st, scheduleTask, args.ScheduledTask); old == nil {
			return nil, fmt.Errorf("scheduled task %q not found on stack %q", args.ScheduledTask, st.ID)
		}
		sc, err := args.Input.record(args.ScheduledTask)
		if err == nil {
			err = r.s.putScheduleLocked(st, sc)
		}
		if err != nil {
			return nil, fmt.Errorf("could not update the scheduled task: %w", err)
		}
		return taskViewOfSchedule(sc), nil
	})
}

type scheduledTaskDeleteArgs struct {
	Stack         graphql.ID
	ScheduledTask graphql.ID
}

// StackScheduledTaskDelete removes a scheduled task; a missing one is null.
func (r *rootResolver) StackScheduledTaskDelete(ctx context.Context, args scheduledTaskDeleteArgs) (*scheduledTaskView, error) {
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(st *stackRecord) (*scheduledTaskView, error) {
		if sc := r.s.deleteScheduleLocked(st, scheduleTask, args.ScheduledTask); sc != nil {
			return taskViewOfSchedule(sc), nil
		}
		return nil, nil
	})
}

type scheduledDeleteInput struct {
	ShouldDeleteResources bool
	TimestampSchedule     *int32
}

func (in scheduledDeleteInput) record(id graphql.ID) (*scheduleRecord, error) {
	if in.TimestampSchedule == nil {
		return nil, errors.New("timestampSchedule: a stack deletion is scheduled once, at a time")
	}
	return &scheduleRecord{ID: id, Kind: scheduleDelete, TimestampSchedule: in.TimestampSchedule, ShouldDeleteResources: in.ShouldDeleteResources}, nil
}

type scheduledDeleteCreateArgs struct {
	Stack graphql.ID
	Input scheduledDeleteInput
}

// StackScheduledDeleteCreate schedules the stack's deletion.
func (r *rootResolver) StackScheduledDeleteCreate(ctx context.Context, args scheduledDeleteCreateArgs) (*scheduledDeleteView, error) {
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(st *stackRecord) (*scheduledDeleteView, error) {
		if err := r.s.requireAdminLocked(ctx, st.Space); err != nil {
			return nil, err
		}
		sc, err := args.Input.record(r.s.nextIDLocked())
		if err == nil {
			err = r.s.putScheduleLocked(st, sc)
		}
		if err != nil {
			return nil, fmt.Errorf("could not schedule the stack's deletion: %w", err)
		}
		return deleteViewOfSchedule(sc), nil
	})
}

type scheduledDeleteUpdateArgs struct {
	Stack           graphql.ID
	ScheduledDelete graphql.ID
	Input           scheduledDeleteInput
}

// StackScheduledDeleteUpdate replaces a scheduled deletion.
func (r *rootResolver) StackScheduledDeleteUpdate(ctx context.Context, args scheduledDeleteUpdateArgs) (*scheduledDeleteView, error) {
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(st *stackRecord) (*scheduledDeleteView, error) {
		if old, _ := r.s.scheduleLocked(st, scheduleDelete, args.ScheduledDelete); old == nil {
			return nil, fmt.Errorf("scheduled deletion %q not found on stack %q", args.ScheduledDelete, st.ID)
		}
		sc, err := args.Input.record(args.ScheduledDelete)
		if err == nil {
			err = r.s.putScheduleLocked(st, sc)
		}
		if err != nil {
			return nil, fmt.Errorf("could not update the scheduled deletion: %w", err)
		}
		return deleteViewOfSchedule(sc), nil
	})
}

type scheduledDeleteDeleteArgs struct {
	Stack           graphql.ID
	ScheduledDelete graphql.ID
}

// StackScheduledDeleteDelete cancels a scheduled deletion; a missing one is null.
func (r *rootResolver) StackScheduledDeleteDelete(ctx context.Context, args scheduledDeleteDeleteArgs) (*scheduledDeleteView, error) {
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(st *stackRecord) (*scheduledDeleteView, error) {
		if sc := r.s.deleteScheduleLocked(st, scheduleDelete, args.ScheduledDelete); sc != nil {
			return deleteViewOfSchedule(sc), nil
		}
		return nil, nil
	})
}

func (v *stackView) schedules(kind string) []*scheduleRecord {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	rec, ok := v.s.st.Stacks[v.ID]
	if !ok {
		return nil
	}
	var out []*scheduleRecord
	for _, sc := range rec.Schedules {
		if sc.Kind == kind {
			c := *sc
			out = append(out, &c)
		}
	}
	return out
}

// ScheduledRuns lists the stack's scheduled runs.
func (v *stackView) ScheduledRuns() []*scheduledRunView {
	out := []*scheduledRunView{}
	for _, sc := range v.schedules(scheduleRun) {
		out = append(out, runViewOfSchedule(sc))
	}
	return out
}

// ScheduledRun finds a scheduled run of the stack.
func (v *stackView) ScheduledRun(args idArg) *scheduledRunView {
	for _, sc := range v.schedules(scheduleRun) {
		if sc.ID == args.ID {
			return runViewOfSchedule(sc)
		}
	}
	return nil
}

// ScheduledTasks lists the stack's scheduled tasks.
func (v *stackView) ScheduledTasks() []*scheduledTaskView {
	out := []*scheduledTaskView{}
	for _, sc := range v.schedules(scheduleTask) {
		out = append(out, taskViewOfSchedule(sc))
	}
	return out
}

// ScheduledTask finds a scheduled task of the stack.
func (v *stackView) ScheduledTask(args idArg) *scheduledTaskView {
	for _, sc := range v.schedules(scheduleTask) {
		if sc.ID == args.ID {
			return taskViewOfSchedule(sc)
		}
	}
	return nil
}

// ScheduledDeletes lists the stack's scheduled deletions.
func (v *stackView) ScheduledDeletes() []*scheduledDeleteView {
	out := []*scheduledDeleteView{}
	for _, sc := range v.schedules(scheduleDelete) {
		out = append(out, deleteViewOfSchedule(sc))
	}
	return out
}

// ScheduledDelete finds a scheduled deletion of the stack.
func (v *stackView) ScheduledDelete(args idArg) *scheduledDeleteView {
	for _, sc := range v.schedules(scheduleDelete) {
		if sc.ID == args.ID {
			return deleteViewOfSchedule(sc)
		}
	}
	return nil
}

// fireScheduleLocked acts on a due schedule, then moves a cron schedule to
// its next time after now (missed occurrences are not replayed) and drops a
// one-off schedule.
func (s *Server) fireScheduleLocked(st *stackRecord, sc *scheduleRecord, at time.Time) {
	if len(sc.CronSchedule) > 0 {
		from := at
		if now := s.nowLocked(); now.After(from) {
			from = now
		}
		next, err := timing(sc.CronSchedule, nil, sc.Timezone, from)
		if err != nil || !next.After(at) {
			sc.NextAt = nil
		} else {
			sc.NextAt = &next
		}
	} else {
		s.deleteScheduleLocked(st, sc.Kind, sc.ID)
		sc.NextAt = nil
	}
	startable := !st.IsDisabled && !st.Deleting
	switch sc.Kind {
	case scheduleRun:
		if startable {
			s.newRunLocked(st, "TRACKED", at, runOptions{triggeredBy: "scheduled run " + sc.Name})
		}
	case scheduleTask:
		if startable {
			task := s.newRunLocked(st, "TASK", at, runOptions{triggeredBy: "scheduled task"})
			command := sc.Command
			task.Command, task.Title = &command, command
		}
	case scheduleDelete:
		s.scheduledDeleteLocked(st, sc.ShouldDeleteResources, at)
	}
}

// scheduledDeleteLocked deletes a stack the way stackDelete would, if
// nothing holds it; otherwise it logs why not.
func (s *Server) scheduledDeleteLocked(st *stackRecord, destroy bool, at time.Time) {
	for _, d := range s.st.Dependencies {
		if d.DependsOnStackID == st.ID {
			s.log.Warn("scheduled deletion skipped: other stacks depend on the stack", "stack", st.ID)
			return
		}
	}
	switch {
	case st.ProtectFromDeletion:
		s.log.Warn("scheduled deletion skipped: the stack is protected from deletion", "stack", st.ID)
	case s.blockerLocked(st.ID) != nil:
		s.log.Warn("scheduled deletion skipped: a run holds the stack", "stack", st.ID)
	case destroy:
		st.Deleting, st.DestroyResources = true, true
		s.newRunLocked(st, "DESTROY", at, runOptions{triggeredBy: "scheduled deletion"})
	default:
		s.removeStackLocked(st.ID)
	}
}

// dueScheduleLocked finds the earliest due schedule, ties to the smaller
// stack and schedule id.
func (s *Server) dueScheduleLocked(now time.Time) (*stackRecord, *scheduleRecord) {
	var (
		bestStack *stackRecord
		best      *scheduleRecord
	)
	for _, st := range s.st.Stacks {
		for _, sc := range st.Schedules {
			if sc.NextAt == nil || sc.NextAt.After(now) {
				continue
			}
			if best == nil || sc.NextAt.Before(*best.NextAt) ||
				(sc.NextAt.Equal(*best.NextAt) && (st.ID < bestStack.ID || (st.ID == bestStack.ID && sc.ID < best.ID))) {
				bestStack, best = st, sc
			}
		}
	}
	return bestStack, best
}
