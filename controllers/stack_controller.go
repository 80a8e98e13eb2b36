package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// StackReconciler keeps Spacelift stacks in line with Stack objects.
type StackReconciler struct {
	client.Client
	Scheme      *runtime.Scheme
	Options     Options
	Credentials *Credentials
	Recorder    record.EventRecorder
	// Cache reads the state of many stacks per request.
	Cache *StackCache
	// Signer signs the metadata of runs the operator triggers; nil sends
	// unsigned metadata.
	Signer *RunSigner
	// Roles turns role slugs into ids.
	Roles RoleDirectory
	// Webhooks, when set, enqueues stacks named by Spacelift webhooks.
	Webhooks *WebhookEvents
	// NewAPI turns a client into the API the reconciler uses; tests swap it.
	// Nil means the client itself.
	NewAPI func(*spacelift.Client) StackAPI

	statuses statusMemo
	creates  createLedger
}

// runPollInterval is how often a stack whose last run is still going is
// re-read, when no webhook tells sooner.
const runPollInterval = 15 * time.Second

// stackScope is what one reconcile of a Stack learns and decides. Phases fill
// it in; conditions are computed from it once at the end.
type stackScope struct {
	obj      *spaceliftv1alpha1.Stack
	api      StackAPI
	endpoint string

	id       string
	observed *spacelift.Stack
	// snapshot is the stack's state from the shared snapshots; nil when it
	// had to be read directly (new or recently written stacks).
	snapshot *spacelift.StackSnapshot
	// wrote is set by every phase that changed the stack in Spacelift.
	wrote bool
	// confirmed is set once the stack is known to exist and be this
	// object's: its id then goes to status.spaceliftID.
	confirmed bool
	// intendedID is set when this reconcile wrote the id for its create.
	intendedID bool
	// resolved holds references turned into Spacelift ids and values.
	resolved resolvedStackRefs

	// forced is the reconcile-now annotation's value when it asks for a
	// fresh read of Spacelift not handled yet.
	forced string

	synced     bool
	stalled    *condition
	waiting    *condition
	transient  bool
	deleting   *condition
	driftState driftObservation

	// quiet is set when the wait is not reported (see quietWait).
	quiet bool
}

// condition is a reason and message for a condition a phase decided.
type condition struct {
	reason  string
	message string
}

// stackPhase is one ordered step of a Stack reconcile. It returns done=true
// when the reconcile must stop after it (the scope says why).
type stackPhase func(ctx context.Context, s *stackScope) (done bool, err error)

// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=stacks,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=stacks/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=stacks/finalizers,verbs=update
// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=policies,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Reconcile syncs one Stack to Spacelift and reports what Spacelift knows.
func (r *StackReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	obj := &spaceliftv1alpha1.Stack{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	s := &stackScope{obj: obj, forced: reconcileRequest(obj, obj.Status.LastHandledReconcileAt)}
	before := obj.DeepCopy()
	defer func() {
		if released(obj) {
			r.statuses.forget(obj)
			r.creates.forget(obj.UID)
			return
		}
		if s.quiet && retErr == nil {
			// The dependency's watch wakes it when the id comes;
			// the wait is looked at again in case it does not.
			result = ctrl.Result{RequeueAfter: max(quietWaitLimit-time.Since(obj.CreationTimestamp.Time), quietRecheck)}
			return
		}
		r.recordTransitions(before, s)
		applyStackStatus(obj, s)
		obj.Status.Conditions = stackConditions(s, obj.Status.Conditions)
		obj.Status.ObservedGeneration = obj.Generation
		if s.forced != "" && retErr == nil {
			obj.Status.LastHandledReconcileAt = s.forced
		}
		endReconcile(ctx, r.Client, &r.statuses, obj, before, obj.Status, !equality.Semantic.DeepEqual(before.Status, obj.Status), s.stalled != nil, r.interval(obj.Spec.Interval), &result, &retErr)
	}()

	stalled := func() bool { return s.stalled != nil }
	admit := func(ctx context.Context) error { return r.admitStack(ctx, s) }
	connect := func(ctx context.Context) error { return r.connect(ctx, s) }
	remove := func(ctx context.Context) (ctrl.Result, error) { return r.reconcileDelete(ctx, s) }
	if done, res, err := prelude(ctx, r.Client, obj, obj.Spec.Suspend, stalled, admit, connect, remove); done {
		return res, err
	}
	// Role bindings come before the settings, so that a stack that still
	// carries the administrative flag gets its Space Admin binding before the
	// flag is turned off.
	for _, phase := range []stackPhase{r.resolveRefs, r.observe, r.createOrAdopt, r.linkStack, r.syncRoleBindings, r.syncParts,
		r.observeDrift, r.syncRuns, r.observeRuns, r.syncOutputs} {
		done, err := phase(ctx, s)
		if s.wrote {
			r.Cache.MarkDirty(s.api, s.id)
		}
		if err != nil {
			return r.classify(ctx, s, err)
		}
		if done {
			break
		}
	}
	if s.stalled != nil {
		return ctrl.Result{}, nil
	}
	s.synced = s.waiting == nil && s.stalled == nil
	next := r.interval(obj.Spec.Interval)
	if lr := obj.Status.LastRun; lr != nil && !spacelift.RunState(lr.State).Terminal() {
		next = min(next, runPollInterval)
	}
	return ctrl.Result{RequeueAfter: jitter(next)}, nil
}

// connect finds the Spacelift client for the object. It sets stalled when the
// credentials need a person.
func (r *StackReconciler) connect(ctx context.Context, s *stackScope) error {
	var err error
	s.api, s.endpoint, s.stalled, err = connect(ctx, r.Credentials, s.obj.Namespace, s.obj.Spec.CredentialsRef,
		r.NewAPI, func(c *spacelift.Client) StackAPI { return c })
	return err
}

// classify turns a phase error into the scope's state and the reconcile
// result: terminal errors stall, transient ones are returned for backoff.
func (r *StackReconciler) classify(ctx context.Context, s *stackScope, err error) (ctrl.Result, error) {
	v := judge(err, "stack")
	s.stalled, s.transient = v.stalled, v.transient
	if v.transient && v.err == nil {
		log.FromContext(ctx).Info("Spacelift is rate limiting; retrying later", "after", v.result.RequeueAfter.String())
	}
	return v.result, v.err
}

// resolveRefs turns references to Policy and Stack objects, Secrets and
// ConfigMaps into ids and values. It stops the reconcile when a reference is
// missing (stalled) or not ready yet (waiting).
func (r *StackReconciler) resolveRefs(ctx context.Context, s *stackScope) (bool, error) {
	res, problem, err := resolveStackRefs(ctx, r.Client, s.obj)
	if err != nil {
		return true, err
	}
	s.resolved = res
	if problem != nil {
		if problem.reason == spaceliftv1alpha1.ReasonDependencyNotReady {
			s.waiting = problem
			s.quiet = quietWait(s.obj, res.wait, time.Now())
		} else {
			s.stalled = problem
		}
		return true, nil
	}
	return false, nil
}

// quietWaitLimit is how long a new Stack may wait for a dependency that is
// settling before the wait is reported; quietRecheck how often an
// unreported wait is looked at again.
const (
	quietWaitLimit = 30 * time.Second
	quietRecheck   = 10 * time.Second
)

// quietWait reports whether a wait for a dependency goes unreported: the
// object is new (no status written yet) and the dependency is on its way,
// for at most quietWaitLimit unless the dependency was not reconciled yet
// either (a new object is reported once reconciled, and the dependent's
// status would only repeat the dependency's). An AdminStack creates
// children and their dependencies together, so most of its dependent
// children see their dependency's create still under way; a
// DependencyNotReady status for each would be a write, and an update event
// for every watcher, about a wait that ends within moments.
func quietWait(obj *spaceliftv1alpha1.Stack, wait refWait, now time.Time) bool {
	fresh := obj.Status.ObservedGeneration == 0 && len(obj.Status.Conditions) == 0
	young := now.Sub(obj.CreationTimestamp.Time) < quietWaitLimit
	return fresh && (wait == waitUnseen || wait == waitSettling && young)
}

// observe reads the stack with all its parts: from the shared snapshots
// when they hold it, else with one request. A new object whose stack the
// snapshots do not have goes straight to create, also when an AdminStack
// wrote its id (see createLedger). An object whose create may have landed
// without being confirmed (its id annotation is not yet in
// status.spaceliftID, or an older operator's create-pending mark is set) is
// read directly, and looked for by its ownership label when its id finds
// nothing. It never writes to Spacelift.
func (r *StackReconciler) observe(ctx context.Context, s *stackScope) (bool, error) {
	annotated := s.obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]
	s.id = annotated
	if s.id == "" {
		s.id = orDefault(s.obj.Annotations[spaceliftv1alpha1.AnnotationCreatePending], slug(stackName(s.obj)))
	}
	legacy := s.obj.Annotations[spaceliftv1alpha1.AnnotationCreatePending] != ""
	pending := annotated != s.obj.Status.SpaceliftID || legacy
	if !pending {
		r.creates.forget(s.obj.UID)
	}
	neverSent := !legacy && s.obj.Status.SpaceliftID == "" && (annotated == "" || r.creates.noneSent(s.obj.UID))
	if s.forced != "" {
		r.Cache.MarkDirty(s.api, s.id)
	}
	snap, state, err := r.Cache.Get(ctx, s.api, s.id)
	if err != nil {
		return true, err
	}
	switch {
	case state == snapshotFound:
		s.snapshot, s.observed = &snap, snap.Stack
		return false, nil
	case state == snapshotAbsent && neverSent:
		return false, nil
	}
	if err := r.observeDirectly(ctx, s); err != nil || s.observed != nil || !pending {
		return err != nil, err
	}
	id, err := r.findOwned(ctx, s)
	if err != nil || id == "" {
		return err != nil, err
	}
	s.id = id
	return false, r.observeDirectly(ctx, s)
}

// observeDirectly reads the stack with one request; a missing stack leaves
// observed nil.
func (r *StackReconciler) observeDirectly(ctx context.Context, s *stackScope) error {
	snap, err := s.api.ObserveStack(ctx, s.id)
	if spacelift.IsNotFound(err) {
		s.snapshot, s.observed = nil, nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading stack %q: %w", s.id, err)
	}
	s.snapshot, s.observed = snap, snap.Stack
	return nil
}

// findOwned looks for the stack carrying this object's ownership label, for
// an object whose create may have landed before its id was recorded. It
// returns "" when there is none.
func (r *StackReconciler) findOwned(ctx context.Context, s *stackScope) (string, error) {
	label := ownerLabel(s.obj.Namespace, s.obj.Name)
	found, err := s.api.SearchStacks(ctx, spacelift.StringPredicate("label", label))
	if err != nil {
		return "", fmt.Errorf("looking for the stack labelled %s: %w", label, err)
	}
	for _, st := range found {
		if c, _ := claimOf(st.Labels, s.obj.Namespace, s.obj.Name); c == claimOwned {
			return st.ID, nil
		}
	}
	return "", nil
}

// createOrAdopt creates the stack when it does not exist and takes over an
// existing stack only when it carries this object's ownership label or
// adoption was asked for. A stack found or created here is confirmed: its
// id goes to status.spaceliftID.
func (r *StackReconciler) createOrAdopt(ctx context.Context, s *stackScope) (bool, error) {
	confirmed := s.obj.Status.SpaceliftID != "" && s.obj.Status.SpaceliftID == s.obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]
	if s.observed == nil {
		done, err := r.create(ctx, s, confirmed)
		if err == nil || !spacelift.IsInvalidInput(err) {
			return done, err
		}
		// The stack may exist after all: created since the snapshots were
		// taken, or by a create whose answer was lost.
		if oerr := r.observeDirectly(ctx, s); oerr != nil || s.observed == nil {
			if oerr == nil {
				// Refused, and nothing exists: the id written for it
				// must not pin the object to it (spec.name may change).
				oerr = r.forgetIntendedID(ctx, s)
			}
			return true, errors.Join(err, oerr)
		}
	}
	c, owner := claimOf(s.observed.Labels, s.obj.Namespace, s.obj.Name)
	switch {
	case c == claimForeign:
		s.stalled = foreignOwner("Stack", "stack", s.id, owner)
		return true, r.forgetIntendedID(ctx, s)
	case c == claimUnowned && !s.obj.Spec.AdoptExisting:
		s.stalled = &condition{spaceliftv1alpha1.ReasonAlreadyExists, fmt.Sprintf(
			"a Spacelift stack with id %q exists and carries no ownership label (%s<namespace>/<name>), so nothing proves it is this object's: give this object another spec.name", s.id, spaceliftv1alpha1.LabelOwnership)}
		return true, r.forgetIntendedID(ctx, s)
	}
	s.confirmed = true
	if err := recordID(ctx, r.Client, s.obj, s.id, webURL(s.endpoint, "stack", s.id)); err != nil {
		return true, err
	}
	if c == claimUnowned {
		r.Recorder.Eventf(s.obj, corev1.EventTypeNormal, "Adopted", "Adopted existing Spacelift stack %s", s.id)
	}
	return false, nil
}

// create creates the stack with a fixed id. The id (with the finalizer and
// the external link) is written onto the object first, in the object's one
// metadata write: until status.spaceliftID confirms it, it marks a create
// that may have landed, which observe looks for before creating again. The
// fixed id makes a repeated create fail instead of making a second stack.
func (r *StackReconciler) create(ctx context.Context, s *stackScope, confirmed bool) (bool, error) {
	s.intendedID = s.obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID] == ""
	if err := recordID(ctx, r.Client, s.obj, s.id, webURL(s.endpoint, "stack", s.id)); err != nil {
		return true, err
	}
	manage := s.obj.Spec.ManageState == nil || *s.obj.Spec.ManageState
	s.wrote = true
	r.creates.sending(s.obj.UID)
	st, err := s.api.CreateStack(ctx, desiredStackInput(s.obj), spacelift.CreateStackOptions{ManageState: manage, Slug: s.id})
	if err != nil {
		return true, fmt.Errorf("creating stack %q: %w", s.id, err)
	}
	s.observed = st
	s.id = st.ID
	s.confirmed = true
	// A stack this reconcile just created has no config, attachments,
	// dependencies or runs of the operator's yet: the parts start from
	// that instead of reading the stack back. What Spacelift attached by
	// itself (autoattach labels) shows up as a refusal that appliedAnyway
	// checks, and in the next observation.
	s.snapshot = &spacelift.StackSnapshot{Stack: st}
	return false, recordCreated(ctx, r.Client, r.Recorder, s.obj, "stack", s.endpoint, st.ID, confirmed)
}

// forgetIntendedID removes the id this reconcile wrote for a create that
// Spacelift refused, or whose id turned out to be another's stack; and the
// id an AdminStack wrote into a child it created, which is no more
// confirmed (the AdminStack keeps an id only while the child has one).
func (r *StackReconciler) forgetIntendedID(ctx context.Context, s *stackScope) error {
	_, child := controllingAdminStack(s.obj)
	seeded := child && s.obj.Status.SpaceliftID == "" && s.obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID] != ""
	if !s.intendedID && !seeded {
		return nil
	}
	s.intendedID = false
	delete(s.obj.Annotations, spaceliftv1alpha1.AnnotationSpaceliftID)
	return updateMeta(ctx, r.Client, s.obj)
}

// linkStack points Argo CD's external link at the stack's Spacelift page.
func (r *StackReconciler) linkStack(ctx context.Context, s *stackScope) (bool, error) {
	return false, ensureLink(ctx, r.Client, s.obj, webURL(s.endpoint, "stack", s.id))
}

// reconcileDelete deletes the Spacelift stack as spec.deletionPolicy says and
// removes the finalizer once it is gone.
func (r *StackReconciler) reconcileDelete(ctx context.Context, s *stackScope) (ctrl.Result, error) {
	obj := s.obj
	if !controllerutil.ContainsFinalizer(obj, spaceliftv1alpha1.Finalizer) {
		return ctrl.Result{}, nil
	}
	id := obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]
	if obj.Spec.DeletionPolicy == spaceliftv1alpha1.DeletionPolicyRetain || id == "" {
		return ctrl.Result{}, removeFinalizer(ctx, r.Client, obj)
	}
	if obj.Spec.ProtectFromDeletion {
		s.deleting = &condition{spaceliftv1alpha1.ReasonDeletionProtected,
			"spec.protectFromDeletion is true: set it to false to let the stack be deleted"}
		return ctrl.Result{RequeueAfter: r.interval(obj.Spec.Interval)}, nil
	}
	s.id = id
	snap, err := s.api.ObserveStack(ctx, id)
	if spacelift.IsNotFound(err) {
		r.Recorder.Eventf(obj, corev1.EventTypeNormal, "Deleted", "Spacelift stack %s is deleted", id)
		return ctrl.Result{}, removeFinalizer(ctx, r.Client, obj)
	}
	if err != nil {
		return r.classify(ctx, s, fmt.Errorf("reading stack %q: %w", id, err))
	}
	st := snap.Stack
	if c, owner := claimOf(st.Labels, obj.Namespace, obj.Name); c != claimOwned {
		r.Recorder.Eventf(obj, corev1.EventTypeWarning, "NotDeleted", "Spacelift stack %s is managed by %s, not this one: left it in place", id, c.manager(owner))
		return ctrl.Result{}, removeFinalizer(ctx, r.Client, obj)
	}
	if st.Deleting || st.State == spacelift.StackStateDestroying {
		s.deleting = &condition{spaceliftv1alpha1.ReasonDeleting, fmt.Sprintf("Spacelift is deleting stack %s (state %s)", id, st.State)}
		return ctrl.Result{RequeueAfter: 5 * time.Second}, nil
	}
	if st.ProtectFromDeletion {
		// The spec no longer protects the stack, but Spacelift still does.
		lift := []spacelift.Mutation{spacelift.UpdateStackMutation(id, desiredStackInput(obj))}
		if _, err := s.api.Apply(ctx, applyName, lift); err != nil {
			return r.classify(ctx, s, fmt.Errorf("lifting deletion protection of stack %q: %w", id, err))
		}
	}
	destroy := obj.Spec.DeletionPolicy == spaceliftv1alpha1.DeletionPolicyDestroy
	deleting, err := s.api.DeleteStack(ctx, id, destroy)
	if spacelift.IsNotFound(err) {
		return ctrl.Result{}, removeFinalizer(ctx, r.Client, obj)
	}
	if spacelift.IsInvalidInput(err) {
		s.deleting = &condition{spaceliftv1alpha1.ReasonRejectedBySpacelift, "Spacelift refused to delete the stack: " + err.Error()}
		r.Recorder.Event(obj, corev1.EventTypeWarning, "DeletionBlocked", s.deleting.message)
		return ctrl.Result{RequeueAfter: r.interval(obj.Spec.Interval)}, nil
	}
	if err != nil {
		return r.classify(ctx, s, fmt.Errorf("deleting stack %q: %w", id, err))
	}
	if deleting {
		s.deleting = &condition{spaceliftv1alpha1.ReasonDeleting, fmt.Sprintf("Spacelift is deleting stack %s", id)}
		r.Recorder.Eventf(obj, corev1.EventTypeNormal, "Deleting", "Deleting Spacelift stack %s (destroy resources: %v)", id, destroy)
		return ctrl.Result{RequeueAfter: 5 * time.Second}, nil
	}
	r.Recorder.Eventf(obj, corev1.EventTypeNormal, "Deleted", "Deleted Spacelift stack %s", id)
	return ctrl.Result{}, removeFinalizer(ctx, r.Client, obj)
}

func (r *StackReconciler) interval(d *metav1.Duration) time.Duration {
	return intervalOr(d, r.Options.SyncInterval)
}

// recordTransitions emits events for changes a user cares about.
func (r *StackReconciler) recordTransitions(before *spaceliftv1alpha1.Stack, s *stackScope) {
	if s.driftState.checked && s.driftState.drift.Drifted && (before.Status.Drift == nil || !before.Status.Drift.Drifted) {
		r.Recorder.Eventf(s.obj, corev1.EventTypeWarning, spaceliftv1alpha1.ReasonDriftDetected, "%s", driftMessage(s.driftState.drift))
	}
	if s.stalled != nil && !isStalledWith(before.Status.Conditions, s.stalled.reason) {
		r.Recorder.Event(s.obj, corev1.EventTypeWarning, s.stalled.reason, s.stalled.message)
	}
	if s.deleting != nil && s.deleting.reason == spaceliftv1alpha1.ReasonDeletionProtected && !isStalledWith(before.Status.Conditions, "") {
		r.Recorder.Event(s.obj, corev1.EventTypeWarning, spaceliftv1alpha1.ReasonDeletionProtected, s.deleting.message)
	}
}

// SetupWithManager registers the reconciler and its watches: ConfigMaps used
// for env values, and Policy and Stack objects referenced. Secrets are read
// with direct GETs and not watched, so that the operator needs no list or
// watch permission on Secrets: a rotated Secret value reaches Spacelift at
// the next resync (spec.interval), found by its checksum.
func (r *StackReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := indexStackRefs(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &spaceliftv1alpha1.Stack{}, stackIDIndex, func(o client.Object) []string {
		if id := o.GetAnnotations()[spaceliftv1alpha1.AnnotationSpaceliftID]; id != "" {
			return []string{id}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := mgr.Add(r.creates.runnable(mgr.GetCache())); err != nil {
		return err
	}
	b := watchGrants(ctrl.NewControllerManagedBy(mgr), r.Options, r.Client, func() client.ObjectList { return &spaceliftv1alpha1.StackList{} })
	if r.Webhooks != nil {
		r.Webhooks.cache = r.Cache
		b = b.WatchesRawSource(source.Channel(r.Webhooks.ch, handler.EnqueueRequestsFromMapFunc(r.byStackID)))
	}
	return b.
		For(&spaceliftv1alpha1.Stack{}, builder.WithPredicates(predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, runRequestChanged))).
		Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(r.referencing("ConfigMap"))).
		Watches(&spaceliftv1alpha1.Policy{}, handler.EnqueueRequestsFromMapFunc(r.referencing("Policy")), builder.WithPredicates(idChanged)).
		Watches(&spaceliftv1alpha1.Stack{}, handler.EnqueueRequestsFromMapFunc(r.referencing("Stack")), builder.WithPredicates(idChanged)).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles, ReconciliationTimeout: reconcileTimeout}).
		Complete(r)
}

// runRequestChanged passes updates that change a run request annotation. The
// operator's own annotations (id, create-pending, link, digests) do not
// trigger a reconcile: the reconcile that wrote them already acted.
var runRequestChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	for _, k := range []string{spaceliftv1alpha1.AnnotationRunRequestedAt, spaceliftv1alpha1.AnnotationProposeRequestedAt, spaceliftv1alpha1.AnnotationConfirmRun, spaceliftv1alpha1.AnnotationReconcileRequestedAt} {
		if e.ObjectOld.GetAnnotations()[k] != e.ObjectNew.GetAnnotations()[k] {
			return true
		}
	}
	return false
}}

// idChanged passes the updates of a referenced Policy or Stack that change
// what a referencing Stack reads of it: its Spacelift id (the annotation, or
// a Stack's confirmed status.spaceliftID). Status churn of a busy upstream
// stack does not reconcile its dependents.
var idChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	if e.ObjectOld.GetAnnotations()[spaceliftv1alpha1.AnnotationSpaceliftID] != e.ObjectNew.GetAnnotations()[spaceliftv1alpha1.AnnotationSpaceliftID] {
		return true
	}
	o, ok1 := e.ObjectOld.(*spaceliftv1alpha1.Stack)
	n, ok2 := e.ObjectNew.(*spaceliftv1alpha1.Stack)
	return ok1 && ok2 && o.Status.SpaceliftID != n.Status.SpaceliftID
}}

// referencing maps an object of kind to the Stacks in its namespace that
// reference it.
func (r *StackReconciler) referencing(kind string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []ctrl.Request {
		return listRequests(ctx, r.Client, &spaceliftv1alpha1.StackList{}, "Stacks that reference "+kind+" "+o.GetName(),
			client.InNamespace(o.GetNamespace()), client.MatchingFields{stackRefIndex: refKey(kind, o.GetName())})
	}
}
