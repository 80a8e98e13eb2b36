package emulator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/graph-gophers/graphql-go"
)

// Run management: what spacectl's run subcommands ask for (cancel, stop,
// retry, targeted replan, promote, approve/reject, prioritize) and tasks.
// Each mutation moves the run through Spacelift's RunState values and refuses
// the transitions Spacelift refuses, saying which state the run is in and
// which states would allow the call.

// notStarted are the states of a run no worker has picked up yet.
var notStarted = []string{"QUEUED", "READY"}

// stoppable are the states in which a worker is busy with the run.
var stoppable = []string{"PREPARING", "INITIALIZING", "PLANNING", "CONFIRMED", "APPLYING", "DESTROYING",
	"PERFORMING", "PREPARING_APPLY", "PREPARING_REPLAN", "REPLAN_REQUESTED"}

func refuse(r *runRecord, verb string, allowed []string) error {
	return fmt.Errorf("run %s is in state %s and cannot be %s: only runs in state %s can be",
		r.ID, r.State, verb, strings.Join(allowed, ", "))
}

// RunCancel cancels a run that has not started.
func (r *rootResolver) RunCancel(ctx context.Context, args runArgs) (*runView, error) {
	return onRun(ctx, r.s, args.Stack, args.Run, func(_ *stackRecord, run *runRecord) (*runView, error) {
		if !slices.Contains(notStarted, run.State) {
			return nil, refuse(run, "canceled", notStarted)
		}
		r.s.transitionLocked(run, "CANCELED", r.s.nowLocked())
		return r.s.runViewLocked(run), nil
	})
}

type runStopArgs struct {
	Stack graphql.ID
	Run   graphql.ID
	Note  *string
}

// RunStop stops a run a worker is busy with; the note is kept in its history.
func (r *rootResolver) RunStop(ctx context.Context, args runStopArgs) (*runView, error) {
	return onRun(ctx, r.s, args.Stack, args.Run, func(_ *stackRecord, run *runRecord) (*runView, error) {
		if !slices.Contains(stoppable, run.State) {
			return nil, refuse(run, "stopped", stoppable)
		}
		r.s.transitionLocked(run, "STOPPED", r.s.nowLocked())
		if args.Note != nil && *args.Note != "" {
			note := *args.Note
			run.History[len(run.History)-1].Note = &note
		}
		by := info(ctx).subject
		run.History[len(run.History)-1].Username = &by
		return r.s.runViewLocked(run), nil
	})
}

// retryable says why a run cannot be retried, or nil when it can: a tracked
// or proposed run (not a drift detection) that failed or was stopped.
func retryable(run *runRecord) error {
	switch {
	case run.Type != "TRACKED" && run.Type != "PROPOSED":
		return fmt.Errorf("run %s is a %s run; only tracked and proposed runs can be retried", run.ID, run.Type)
	case run.DriftDetection:
		return fmt.Errorf("run %s is a drift detection run and cannot be retried", run.ID)
	case run.State != "FAILED" && run.State != "STOPPED":
		return refuse(run, "retried", []string{"FAILED", "STOPPED"})
	}
	return nil
}

// RunRetry starts a new run of the same type on the same commit.
func (r *rootResolver) RunRetry(ctx context.Context, args runArgs) (*runView, error) {
	return onRun(ctx, r.s, args.Stack, args.Run, func(st *stackRecord, run *runRecord) (*runView, error) {
		if err := retryable(run); err != nil {
			return nil, err
		}
		if err := r.s.canStartRunLocked(ctx, st); err != nil {
			return nil, err
		}
		sha := run.Commit.Hash
		retry := r.s.newRunLocked(st, run.Type, r.s.nowLocked(), runOptions{commitSha: &sha, triggeredBy: info(ctx).subject})
		return r.s.runViewLocked(retry), nil
	})
}

type runReplanArgs struct {
	Stack   graphql.ID
	Run     graphql.ID
	Targets []string
}

// RunTargetedReplan plans an unconfirmed tracked run again for the given
// resources only: REPLAN_REQUESTED, PREPARING_REPLAN, PLANNING, and back to
// UNCONFIRMED (or on, like any plan).
func (r *rootResolver) RunTargetedReplan(ctx context.Context, args runReplanArgs) (*runView, error) {
	return onRun(ctx, r.s, args.Stack, args.Run, func(_ *stackRecord, run *runRecord) (*runView, error) {
		targets := slices.DeleteFunc(slices.Clone(args.Targets), func(t string) bool { return strings.TrimSpace(t) == "" })
		if len(targets) == 0 {
			return nil, errors.New("targets: at least one resource address must be given")
		}
		if run.State != "UNCONFIRMED" {
			return nil, refuse(run, "replanned", []string{"UNCONFIRMED"})
		}
		for _, t := range targets {
			if !slices.ContainsFunc(run.Changes, func(c changeData) bool { return c.Address == t }) {
				return nil, fmt.Errorf("targets: %q is not a resource the plan of run %s changes", t, run.ID)
			}
		}
		run.ReplanTargets = targets
		r.s.transitionLocked(run, "REPLAN_REQUESTED", r.s.nowLocked())
		return r.s.runViewLocked(run), nil
	})
}

// targetedPlan keeps the planned changes to the targets.
func targetedPlan(changes []changeData, targets []string) (PlanSpec, []changeData) {
	var p PlanSpec
	var kept []changeData
	for _, c := range changes {
		if !slices.Contains(targets, c.Address) {
			continue
		}
		kept = append(kept, c)
		switch c.Type {
		case "ADD":
			p.AddCount++
		case "CHANGE":
			p.ChangeCount++
		case "DELETE":
			p.DeleteCount++
		}
	}
	return p, kept
}

// plannedChanges names the resources a plan touches, the way applyLocked
// will: changes hit the first entities, additions get the next addresses,
// deletions take the last entities.
func plannedChanges(st *stackRecord, p PlanSpec) []changeData {
	out := []changeData{}
	for i := 0; i < int(p.ChangeCount) && i < len(st.Entities); i++ {
		out = append(out, changeData{Address: st.Entities[i].Address, Type: "CHANGE"})
	}
	for i := range int(p.AddCount) {
		out = append(out, changeData{Address: fmt.Sprintf("null_resource.r%d", len(st.Entities)+i), Type: "ADD"})
	}
	for i := max(0, len(st.Entities)-int(p.DeleteCount)); i < len(st.Entities); i++ {
		out = append(out, changeData{Address: st.Entities[i].Address, Type: "DELETE"})
	}
	return out
}

// RunPromote turns a finished proposed run into a tracked run on the same
// commit, when the stack allows run promotion (githubActionDeploy).
func (r *rootResolver) RunPromote(ctx context.Context, args runArgs) (*runView, error) {
	return onRun(ctx, r.s, args.Stack, args.Run, func(st *stackRecord, run *runRecord) (*runView, error) {
		switch {
		case !st.GithubActionDeploy:
			return nil, fmt.Errorf("stack %q does not allow run promotion; enable githubActionDeploy (allow run promotion) first", st.ID)
		case run.Type != "PROPOSED" || run.DriftDetection:
			return nil, fmt.Errorf("run %s is not a proposed run; only proposed runs can be promoted", run.ID)
		case run.State != "FINISHED":
			return nil, refuse(run, "promoted", []string{"FINISHED"})
		}
		if err := r.s.canStartRunLocked(ctx, st); err != nil {
			return nil, err
		}
		sha := run.Commit.Hash
		tracked := r.s.newRunLocked(st, "TRACKED", r.s.nowLocked(), runOptions{commitSha: &sha, triggeredBy: info(ctx).subject})
		tracked.Title = "Promoted from run " + string(run.ID)
		return r.s.runViewLocked(tracked), nil
	})
}

type runReviewArgs struct {
	Stack    graphql.ID
	Run      *graphql.ID
	Decision string
	Note     *string
}

// RunReview records an approval or rejection. Without a run id it reviews
// the run currently holding the stack. The emulator evaluates no approval
// policies, so a review is recorded and changes nothing else.
func (r *rootResolver) RunReview(ctx context.Context, args runReviewArgs) (*reviewData, error) {
	runID := graphql.ID("")
	if args.Run != nil {
		runID = *args.Run
	}
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(st *stackRecord) (*reviewData, error) {
		s := r.s
		if runID == "" {
			b := s.blockerLocked(st.ID)
			if b == nil {
				return nil, fmt.Errorf("stack %q has no run in progress to review; pass the run id", st.ID)
			}
			runID = b.ID
		}
		run, ok := s.st.Runs[runID]
		if !ok || run.StackID != st.ID {
			return nil, fmt.Errorf("run %q not found on stack %q", runID, st.ID)
		}
		if terminalRunStates[run.State] {
			return nil, fmt.Errorf("run %s has already finished (%s) and cannot be reviewed", run.ID, run.State)
		}
		rv := reviewData{ID: s.nextIDLocked(), Decision: args.Decision, Note: args.Note, Author: info(ctx).subject, Timestamp: unix(s.nowLocked())}
		run.Reviews = append(slices.Clone(run.Reviews), rv)
		return &rv, nil
	})
}

type runPrioritizeArgs struct {
	Stack      graphql.ID
	Run        graphql.ID
	Prioritize bool
}

// RunPrioritizeSet marks a run that has not finished as prioritized (or not).
func (r *rootResolver) RunPrioritizeSet(ctx context.Context, args runPrioritizeArgs) (*runView, error) {
	return onRun(ctx, r.s, args.Stack, args.Run, func(_ *stackRecord, run *runRecord) (*runView, error) {
		if terminalRunStates[run.State] {
			return nil, fmt.Errorf("run %s has already finished (%s); only runs that have not finished can be prioritized", run.ID, run.State)
		}
		run.IsPrioritized = args.Prioritize
		return r.s.runViewLocked(run), nil
	})
}

type taskCreateArgs struct {
	Stack              graphql.ID
	Command            string
	SkipInitialization *bool
}

// TaskCreate starts a task: QUEUED, READY, PREPARING, INITIALIZING (unless
// skipInitialization), PERFORMING, FINISHED. Tasks do not hold the stack.
func (r *rootResolver) TaskCreate(ctx context.Context, args taskCreateArgs) (*runView, error) {
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(st *stackRecord) (*runView, error) {
		command := strings.TrimSpace(args.Command)
		if command == "" {
			return nil, errors.New("command: can't be empty")
		}
		if err := r.s.canStartRunLocked(ctx, st); err != nil {
			return nil, err
		}
		task := r.s.newRunLocked(st, "TASK", r.s.nowLocked(), runOptions{triggeredBy: info(ctx).subject, metadata: metadataOf(ctx)})
		task.Command, task.Title, task.SkipInit = &command, command, orFalse(args.SkipInitialization)
		return r.s.runViewLocked(task), nil
	})
}

// runChangesView is one entry of Run.changesV3.
type runChangesView struct {
	Resources []*runChangeView
}

type runChangeView struct {
	Address         string
	PreviousAddress *string
	Metadata        *runChangeMetadataView
}

type runChangeMetadataView struct {
	Type string
}

type changesArgs struct {
	Input *struct{ Phase *string }
}

// ChangesV3 lists what the run's plan changes, in one group.
func (v *runView) ChangesV3(changesArgs) []*runChangesView {
	group := &runChangesView{Resources: []*runChangeView{}}
	for _, c := range v.changes {
		group.Resources = append(group.Resources, &runChangeView{Address: c.Address, Metadata: &runChangeMetadataView{Type: c.Type}})
	}
	return []*runChangesView{group}
}

// runResourceStateView is what the Terraform provider polls while it waits
// for a run.
type runResourceStateView struct {
	ID       graphql.ID
	State    string
	Finished bool
}

// RunResourceState reports a run of the stack; null when there is none.
func (v *stackView) RunResourceState(args idArg) *runResourceStateView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	r, ok := v.s.st.Runs[args.ID]
	if !ok || r.StackID != v.ID {
		return nil
	}
	return &runResourceStateView{ID: r.ID, State: r.State, Finished: terminalRunStates[r.State]}
}
