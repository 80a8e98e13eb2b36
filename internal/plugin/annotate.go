package plugin

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/render"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// defaultWaitTimeout bounds --wait.
const defaultWaitTimeout = 2 * time.Minute

// spaceliftTimeout bounds the discard call to Spacelift.
const spaceliftTimeout = time.Minute

var reconcileCommand = command{
	short: "reconcile an object now (reconcile annotation)",
	usage: "reconcile KIND/NAME [--wait [--timeout 2m]]",
	help: "Asks the operator to reconcile an object now and read Spacelift afresh: sets the\n" +
		spaceliftv1alpha1.AnnotationReconcileRequestedAt + " annotation to the current time;\n" +
		"--wait waits until status.lastHandledReconcileAt shows it was handled.",
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		wait := fs.Bool("wait", false, "wait until the operator has handled the request")
		timeout := fs.Duration("timeout", defaultWaitTimeout, "how long --wait waits")
		return func(ctx context.Context, e *env, args []string) error {
			return runReconcile(ctx, e, args, *wait, *timeout)
		}
	},
}

var confirmCommand = command{
	short: "confirm a pending run (confirm-run annotation)",
	usage: "confirm STACK [RUN_ID] [--wait] [--dry-run]",
	help: "Confirms a run waiting for confirmation (the Stack's pending run when RUN_ID is left out) by\n" +
		"setting the " + spaceliftv1alpha1.AnnotationConfirmRun + " annotation to its id, and prints the\n" +
		"kubectl annotate command that does the same, so the approval can be a Git commit instead.",
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		wait := fs.Bool("wait", false, "wait until the operator has confirmed the run in Spacelift")
		timeout := fs.Duration("timeout", defaultWaitTimeout, "how long --wait waits")
		dryRun := fs.Bool("dry-run", false, "only print the annotation and the command; change nothing")
		return func(ctx context.Context, e *env, args []string) error {
			return runConfirm(ctx, e, args, *wait, *timeout, *dryRun)
		}
	},
}

var discardCommand = command{
	short: "discard a pending run through the Spacelift API",
	usage: "discard STACK [RUN_ID] [--dry-run]",
	help: "Discards a run waiting for confirmation (the Stack's pending run when RUN_ID is left out).\n" +
		"The operator has no discard annotation, so this cannot be a Git commit: the plugin calls\n" +
		"Spacelift itself with SPACELIFT_API_KEY_ENDPOINT, SPACELIFT_API_KEY_ID and SPACELIFT_API_KEY_SECRET.",
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		dryRun := fs.Bool("dry-run", false, "only print what would be discarded; change nothing")
		return func(ctx context.Context, e *env, args []string) error {
			return runDiscard(ctx, e, args, *dryRun)
		}
	},
}

// noDiscardAnnotation is printed by discard: the Stack controller acts on
// run-requested-at, propose-requested-at and confirm-run only
// (controllers/runs.go, syncRuns).
var noDiscardAnnotation = fmt.Sprintf("note: the operator has no discard annotation (it acts on %s, %s and %s only),\n"+
	"so a discard cannot be committed to Git; kubectl-spacelift discards through the Spacelift API instead.\n",
	spaceliftv1alpha1.AnnotationRunRequestedAt, spaceliftv1alpha1.AnnotationProposeRequestedAt, spaceliftv1alpha1.AnnotationConfirmRun)

// parseKindName reads KIND/NAME, or KIND NAME.
func parseKindName(args []string) (kindInfo, string, error) {
	var kind, name string
	switch {
	case len(args) == 1 && strings.Count(args[0], "/") == 1:
		kind, name, _ = strings.Cut(args[0], "/")
	case len(args) == 2:
		kind, name = args[0], args[1]
	default:
		return kindInfo{}, "", usageError("name one object as KIND/NAME, e.g. stack/net or adminstack/plat-admin")
	}
	if name == "" {
		return kindInfo{}, "", usageError("the object name after %q is empty", kind+"/")
	}
	k, err := kindByName(kind)
	return k, name, err
}

func runReconcile(ctx context.Context, e *env, args []string, wait bool, timeout time.Duration) error {
	k, name, err := parseKindName(args)
	if err != nil {
		return err
	}
	obj := k.newObject()
	key := client.ObjectKey{Namespace: e.namespace, Name: name}
	if err := e.c.Get(ctx, key, obj); err != nil {
		return fmt.Errorf("reading %s %s: %w", k.kind, key, err)
	}
	value := e.opts.Now().UTC().Format(time.RFC3339Nano)
	if err := e.annotate(ctx, obj, spaceliftv1alpha1.AnnotationReconcileRequestedAt, value); err != nil {
		return fmt.Errorf("annotating %s %s: %w", k.kind, key, err)
	}
	fmt.Fprintf(e.opts.Stdout, "annotated %s %s with %s=%s\n", k.kind, key, spaceliftv1alpha1.AnnotationReconcileRequestedAt, value)
	if !wait {
		return nil
	}
	fmt.Fprintf(e.opts.Stdout, "waiting for the operator to handle it\n")
	if err := e.waitFor(ctx, k, key, timeout, func(o client.Object) bool {
		return k.status(o).LastHandledReconcileAt == value
	}, obj); err != nil {
		return fmt.Errorf("%w (status.lastHandledReconcileAt is %q; is the operator running and watching namespace %s?)",
			err, k.status(obj).LastHandledReconcileAt, key.Namespace)
	}
	st := k.status(obj)
	fmt.Fprintf(e.opts.Stdout, "%s %s reconciled: Ready=%s: %s\n", k.kind, key,
		condStatus(st, spaceliftv1alpha1.ConditionReady), condMessage(st, spaceliftv1alpha1.ConditionReady))
	return nil
}

// annotate sets one annotation with a merge patch of that key alone.
func (e *env) annotate(ctx context.Context, obj client.Object, key, value string) error {
	before := obj.DeepCopyObject().(client.Object)
	ann := obj.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[key] = value
	obj.SetAnnotations(ann)
	return e.c.Patch(ctx, obj, client.MergeFrom(before), client.FieldOwner(FieldManager))
}

// errWaitTimeout is returned when --wait gives up.
var errWaitTimeout = errors.New("timed out waiting")

// waitFor reads the object into obj every poll interval until done holds,
// the timeout passes or ctx ends.
func (e *env) waitFor(ctx context.Context, k kindInfo, key client.ObjectKey, timeout time.Duration, done func(client.Object) bool, obj client.Object) error {
	expired := time.NewTimer(timeout)
	defer expired.Stop()
	tick := time.NewTicker(e.opts.PollInterval)
	defer tick.Stop()
	for {
		if err := e.c.Get(ctx, key, obj); err != nil {
			return fmt.Errorf("reading %s %s: %w", k.kind, key, err)
		}
		if done(obj) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-expired.C:
			return fmt.Errorf("%w after %s", errWaitTimeout, timeout)
		case <-tick.C:
		}
	}
}

// pendingRun picks the run to confirm or discard: runID when given, else
// the run of the Stack's status that waits for confirmation: status.lastRun
// (the operator's), else status.lastTrackedRun (the newest tracked run,
// whoever started it).
func pendingRun(s *spaceliftv1alpha1.Stack, runID string) (*spaceliftv1alpha1.RunStatus, error) {
	known := []*spaceliftv1alpha1.RunStatus{s.Status.LastRun, s.Status.LastTrackedRun}
	if runID != "" {
		for _, r := range known {
			if r != nil && r.ID == runID {
				return r, nil
			}
		}
		return &spaceliftv1alpha1.RunStatus{ID: runID}, nil
	}
	for _, r := range known {
		if r != nil && r.State == string(spacelift.RunStateUnconfirmed) {
			return r, nil
		}
	}
	if lr := s.Status.LastRun; lr != nil {
		return nil, fmt.Errorf("no run of Stack %s/%s waits for confirmation (its last run, %s, is %s): pass the RUN_ID of the run you mean",
			s.Namespace, s.Name, lr.ID, orDash(lr.State))
	}
	return nil, fmt.Errorf("no run of Stack %s/%s waits for confirmation (status shows none): pass the RUN_ID", s.Namespace, s.Name)
}

// describePlan writes what a run's plan changes, when status has it.
func describePlan(w io.Writer, r *spaceliftv1alpha1.RunStatus) {
	if r.Plan == nil {
		return
	}
	fmt.Fprintf(w, "run %s plans %s", r.ID, r.Plan.Summary)
	if len(r.Plan.Resources) == 0 {
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintln(w, ":")
	for _, a := range r.Plan.Resources {
		fmt.Fprintf(w, "  %s\n", a)
	}
	if n := int(r.Plan.Add+r.Plan.Change+r.Plan.Delete) - len(r.Plan.Resources); n > 0 {
		fmt.Fprintf(w, "  and %d more\n", n)
	}
}

// stackArgs reads STACK [RUN_ID] and the Stack.
func (e *env) stackArgs(ctx context.Context, args []string, verb string) (*spaceliftv1alpha1.Stack, *spaceliftv1alpha1.RunStatus, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, nil, usageError("%s STACK [RUN_ID]: name the Stack object, and the run unless it is the Stack's pending run", verb)
	}
	s := &spaceliftv1alpha1.Stack{}
	key := client.ObjectKey{Namespace: e.namespace, Name: args[0]}
	if err := e.c.Get(ctx, key, s); err != nil {
		return nil, nil, fmt.Errorf("reading Stack %s: %w", key, err)
	}
	runID := ""
	if len(args) == 2 {
		runID = args[1]
	}
	run, err := pendingRun(s, runID)
	return s, run, err
}

func runConfirm(ctx context.Context, e *env, args []string, wait bool, timeout time.Duration, dryRun bool) error {
	s, run, err := e.stackArgs(ctx, args, "confirm")
	if err != nil {
		return err
	}
	runID := run.ID
	key := client.ObjectKeyFromObject(s)
	annotation := spaceliftv1alpha1.AnnotationConfirmRun + "=" + runID
	equivalent := fmt.Sprintf("kubectl annotate --overwrite -n %s %s %s", s.Namespace, stackKind.qualified(s.Name), annotation)
	out := e.opts.Stdout
	switch {
	case s.Status.LastHandledConfirmRequest == runID:
		fmt.Fprintf(out, "run %s of Stack %s was already confirmed by the operator\n", runID, key)
		return nil
	case dryRun:
		describePlan(out, run)
		fmt.Fprintf(out, "would annotate Stack %s with %s\n", key, annotation)
	default:
		describePlan(out, run)
		if err := e.annotate(ctx, s, spaceliftv1alpha1.AnnotationConfirmRun, runID); err != nil {
			return fmt.Errorf("annotating Stack %s: %w", key, err)
		}
		fmt.Fprintf(out, "annotated Stack %s with %s\n", key, annotation)
	}
	fmt.Fprintf(out, "To approve from Git instead, add the annotation to the Stack's manifest, or run:\n  %s\n", equivalent)
	if !wait || dryRun {
		return nil
	}
	fmt.Fprintf(out, "waiting for the operator to confirm run %s in Spacelift\n", runID)
	if err := e.waitFor(ctx, stackKind, key, timeout, func(o client.Object) bool {
		return o.(*spaceliftv1alpha1.Stack).Status.LastHandledConfirmRequest == runID
	}, s); err != nil {
		return fmt.Errorf("%w (status.lastHandledConfirmRequest is %q; see the Stack's events and its Ready condition: %s)",
			err, s.Status.LastHandledConfirmRequest, condMessage(&s.Status.CommonStatus, spaceliftv1alpha1.ConditionReady))
	}
	fmt.Fprintf(out, "run %s confirmed: %s\n", runID, lastRun(s.Status.LastRun))
	return nil
}

func runDiscard(ctx context.Context, e *env, args []string, dryRun bool) error {
	out := e.opts.Stdout
	fmt.Fprint(out, noDiscardAnnotation)
	s, run, err := e.stackArgs(ctx, args, "discard")
	if err != nil {
		return err
	}
	runID := run.ID
	stackID := s.Status.SpaceliftID
	if stackID == "" {
		stackID = s.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]
	}
	if stackID == "" {
		return fmt.Errorf("Stack %s/%s has no Spacelift id yet (status.spaceliftID is empty): nothing to discard", s.Namespace, s.Name)
	}
	equivalent := fmt.Sprintf("spacectl stack discard --id %s --run %s", stackID, runID)
	if dryRun {
		fmt.Fprintf(out, "would discard run %s of Spacelift stack %s (Stack %s/%s), as `%s` does\n", runID, stackID, s.Namespace, s.Name, equivalent)
		return nil
	}
	creds := render.CredentialsFromEnv()
	if creds.Endpoint == "" || creds.KeyID == "" || creds.KeySecret == "" {
		return fmt.Errorf("set SPACELIFT_API_KEY_ENDPOINT, SPACELIFT_API_KEY_ID and SPACELIFT_API_KEY_SECRET (as for spacectl) to discard run %s of stack %s, or run `%s`", runID, stackID, equivalent)
	}
	api, err := spacelift.New(creds, spacelift.Options{})
	if err != nil {
		return fmt.Errorf("connecting to Spacelift at %s: %w", creds.Endpoint, err)
	}
	cctx, cancel := context.WithTimeout(ctx, spaceliftTimeout)
	defer cancel()
	discarded, err := api.DiscardRun(cctx, stackID, runID)
	if err != nil {
		return fmt.Errorf("discarding run %s of stack %s: %w", runID, stackID, err)
	}
	fmt.Fprintf(out, "discarded run %s of Spacelift stack %s (Stack %s/%s): %s\n", discarded.ID, stackID, s.Namespace, s.Name, discarded.State)
	return nil
}
