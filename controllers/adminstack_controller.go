package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	goruntime "runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/config/crd"
	"github.com/stackwright/spacelift-operator/internal/adminstack"
	"github.com/stackwright/spacelift-operator/internal/atmos"
	"github.com/stackwright/spacelift-operator/internal/crdschema"
	"github.com/stackwright/spacelift-operator/internal/source"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/validate"
)

// AdminStackFieldOwner is the server-side apply field manager of the objects
// the AdminStack controller writes.
const AdminStackFieldOwner = "spacelift-operator-adminstack"

const (
	// adminStackConfigMapIndex indexes AdminStacks by the ConfigMaps they mount.
	adminStackConfigMapIndex = "spacelift.stackwright.io/adminstack-configmaps"
	// adminStackGitTimeout bounds one read of a Git source.
	adminStackGitTimeout = 2 * time.Minute
	// adminStackMaxProblems is how many problems a Stalled message lists.
	adminStackMaxProblems = 5
	// adminStackGitCacheEntries is how many Git trees are kept in memory.
	adminStackGitCacheEntries = 64
)

// AdminStackReconciler turns each AdminStack into Stack objects: one per
// component instance its filters select from the atmos configuration, plus
// one for the administrative stack itself (child AdminStacks instead, for a
// root admin). It never calls Spacelift: the Stack controller syncs the
// objects, and this reconciler rolls their status up.
type AdminStackReconciler struct {
	client.Client
	Scheme  *runtime.Scheme
	Options Options
	// Recorder records events; SetupWithManager provides one when nil.
	Recorder record.EventRecorder
	// Git reads Git sources; SetupWithManager provides one when nil.
	Git *source.Git
	// Credentials finds the Spacelift client that looks up the worker pools,
	// spaces and contexts the configuration names.
	Credentials *Credentials
	// NewDirectoryAPI turns a client into the API names are looked up with;
	// tests swap it. Nil means the client itself.
	NewDirectoryAPI func(*spacelift.Client) DirectoryAPI

	plans lastCache[*plannedSet]
	// childDelays is how long each AdminStack's child events wait.
	childDelays childEventDelays
}

// adminStackScope is what one reconcile of an AdminStack learns and decides.
// Phases fill it in; status is computed from it once at the end.
type adminStackScope struct {
	obj      *spaceliftv1alpha1.AdminStack
	interval time.Duration
	// forced is the reconcile-now annotation's value when it asks for a
	// reconcile not handled yet: the Git source is fetched now.
	forced string

	artifact source.Artifact
	// expandOpts are the options the tree is expanded with.
	expandOpts atmos.Options
	// expansionKey identifies the tree and atmos settings expanded.
	expansionKey string
	desired      *adminstack.Desired
	// children are the observed objects this AdminStack controls, by kind/name.
	children map[string]client.Object
	// existing are every Stack and AdminStack of the namespace, by
	// kind/name, as the plan saw them.
	existing map[string]client.Object
	// plan is the planned set; planned holds its objects that differ from
	// what was last applied.
	plan    *plannedSet
	planned []client.Object

	stalled *condition
	waiting *condition
	// synced is true once every phase ran: the children are applied and pruned.
	synced  bool
	applied []string
	pruned  []string
}

// adminStackPhase is one ordered step of an AdminStack reconcile. It returns
// done=true when the reconcile must stop after it (the scope says why).
type adminStackPhase func(ctx context.Context, s *adminStackScope) (done bool, err error)

// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=adminstacks,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=adminstacks/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=adminstacks/finalizers,verbs=update
// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=stacks,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=policies,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Reconcile reads the AdminStack's source, computes its children, checks them,
// applies them all or none, prunes the ones no longer selected and reports
// their readiness.
func (r *AdminStackReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	obj := &spaceliftv1alpha1.AdminStack{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.plans.forget(req.NamespacedName)
			r.childDelays.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // the garbage collector deletes the children
	}
	s := &adminStackScope{obj: obj, interval: r.interval(obj), forced: reconcileRequest(obj, obj.Status.LastHandledReconcileAt)}
	before := obj.DeepCopy()
	defer func() {
		if err := r.observeChildren(ctx, s); err != nil {
			retErr = errors.Join(retErr, err)
		}
		r.childDelays.set(req.NamespacedName, len(s.children))
		r.recordEvents(before, s)
		applyAdminStackStatus(obj, s)
		if !equality.Semantic.DeepEqual(before.Status, obj.Status) {
			if err := patchStatus(ctx, r.Client, obj, before); err != nil && !apierrors.IsNotFound(err) {
				retErr = errors.Join(retErr, fmt.Errorf("patching status: %w", err))
			}
		}
		if retErr != nil {
			result = ctrl.Result{}
		}
	}()

	if obj.Spec.Suspend {
		return ctrl.Result{}, nil
	}
	for _, phase := range []adminStackPhase{r.validate, r.fetchSource, r.expand, r.plan, r.validateChildren, r.apply, r.prune} {
		done, err := phase(ctx, s)
		if err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{RequeueAfter: time.Second}, nil
			}
			return ctrl.Result{}, err
		}
		if done {
			break
		}
	}
	s.synced = s.stalled == nil && s.waiting == nil
	if s.waiting != nil {
		return ctrl.Result{RequeueAfter: jitter(min(s.interval, time.Minute))}, nil
	}
	return ctrl.Result{RequeueAfter: jitter(s.interval)}, nil
}

// interval is how often the AdminStack is reconciled without an event: the
// Git poll interval, else spec.interval, else the operator default.
func (r *AdminStackReconciler) interval(obj *spaceliftv1alpha1.AdminStack) time.Duration {
	d := intervalOr(obj.Spec.Interval, r.Options.SyncInterval)
	if g := obj.Spec.Source.Git; g != nil {
		d = intervalOr(g.Interval, d)
	}
	return d
}

// validate checks what admission cannot say about the spec (cron schedules,
// time zones, version maps). It stops the reconcile when the spec is invalid
// (stalled).
func (r *AdminStackReconciler) validate(_ context.Context, s *adminStackScope) (bool, error) {
	if errs := validate.AdminStack(s.obj); len(errs) > 0 {
		s.stalled = &condition{spaceliftv1alpha1.ReasonInvalidSpec, errs.ToAggregate().Error()}
		return true, nil
	}
	return false, nil
}

// fetchSource reads the atmos tree from the ConfigMaps or the Git repository.
// It stops the reconcile when a ConfigMap or Secret is missing or the
// repository cannot serve the request (stalled), or when Git is unreachable
// (waiting).
func (r *AdminStackReconciler) fetchSource(ctx context.Context, s *adminStackScope) (bool, error) {
	src := s.obj.Spec.Source
	if src.Git == nil {
		return r.fetchConfigMaps(ctx, s)
	}
	req := source.GitRequest{URL: src.Git.URL, Path: src.Git.Path, MaxAge: s.interval / 2}
	if s.forced != "" {
		req.MaxAge = 0 // a forced reconcile fetches now
	}
	if ref := src.Git.Ref; ref != nil {
		req.Branch, req.Tag, req.Commit = ref.Branch, ref.Tag, ref.Commit
	}
	if ref := src.Git.SecretRef; ref != nil {
		var secret corev1.Secret
		err := r.Get(ctx, types.NamespacedName{Namespace: s.obj.Namespace, Name: ref.Name}, &secret)
		if apierrors.IsNotFound(err) {
			s.stalled = &condition{spaceliftv1alpha1.ReasonReferenceNotFound, fmt.Sprintf("Secret %s (spec.source.git.secretRef) does not exist", ref.Name)}
			return true, nil
		}
		if err != nil {
			return true, fmt.Errorf("reading Secret %s: %w", ref.Name, err)
		}
		d := secret.Data
		req.Auth = &source.GitAuth{Username: string(d["username"]), Password: string(d["password"]), Identity: d["identity"], KnownHosts: d["known_hosts"]}
	}
	gctx, cancel := context.WithTimeout(ctx, adminStackGitTimeout)
	defer cancel()
	a, err := r.Git.Fetch(gctx, req)
	switch {
	case source.IsPermanent(err):
		s.stalled = &condition{spaceliftv1alpha1.ReasonSourceUnavailable, "reading the Git source: " + err.Error()}
		return true, nil
	case err != nil:
		log.FromContext(ctx).Info("Git source unavailable; retrying", "error", err.Error())
		s.waiting = &condition{spaceliftv1alpha1.ReasonSourceUnavailable, "reading the Git source: " + err.Error()}
		return true, nil
	}
	s.artifact = a
	return false, nil
}

// fetchConfigMaps reads the mounted ConfigMaps. It stops the reconcile when
// one is missing or two of them collide (stalled).
func (r *AdminStackReconciler) fetchConfigMaps(ctx context.Context, s *adminStackScope) (bool, error) {
	var mounts []source.ConfigMapFiles
	var missing []string
	for _, m := range s.obj.Spec.Source.ConfigMaps {
		var cm corev1.ConfigMap
		err := r.Get(ctx, types.NamespacedName{Namespace: s.obj.Namespace, Name: m.Name}, &cm)
		if apierrors.IsNotFound(err) {
			missing = append(missing, m.Name)
			continue
		}
		if err != nil {
			return true, fmt.Errorf("reading ConfigMap %s: %w", m.Name, err)
		}
		mounts = append(mounts, source.ConfigMapFiles{Name: m.Name, Path: m.Path, Data: cm.Data, BinaryData: cm.BinaryData})
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		s.stalled = &condition{spaceliftv1alpha1.ReasonReferenceNotFound, "ConfigMaps do not exist: " + strings.Join(missing, ", ")}
		return true, nil
	}
	a, err := source.FromConfigMaps(mounts)
	if err != nil {
		s.stalled = &condition{spaceliftv1alpha1.ReasonInvalidSpec, err.Error()}
		return true, nil
	}
	s.artifact = a
	return false, nil
}

// expand works out what the expansion of the tree depends on (the source
// revision and spec.atmos): the plan is reused while it and the namespace
// do not change, and the tree is expanded only to build a new one
// (expandTree). The records are not kept: a planned set needs them no more,
// and at thousands of children they were a large part of the live heap.
func (r *AdminStackReconciler) expand(_ context.Context, s *adminStackScope) (bool, error) {
	at := s.obj.Spec.Atmos
	settings, err := json.Marshal(at)
	if err != nil {
		return true, fmt.Errorf("encoding spec.atmos: %w", err)
	}
	s.expandOpts = atmos.Options{Overrides: atmos.Settings{
		BasePath: at.BasePath, IncludedPaths: at.IncludedPaths, ExcludedPaths: at.ExcludedPaths, NamePattern: at.NamePattern,
	}}
	if g := s.obj.Spec.Source.Git; g != nil {
		s.expandOpts.RepoPath = string(g.Path) // the tree is that directory of the repository
	}
	s.expansionKey = s.artifact.Revision + "\x00" + s.expandOpts.RepoPath + "\x00" + string(settings)
	return false, nil
}

// expandTree turns the tree into component instances. It stops the
// reconcile when the configuration does not expand (stalled).
func (r *AdminStackReconciler) expandTree(s *adminStackScope) ([]atmos.Record, bool) {
	records, err := atmos.Expand(s.artifact.FS, s.expandOpts)
	if err != nil {
		msg := "expanding the atmos configuration: " + err.Error()
		if hint := namePatternHint(s.artifact.FS, s.obj.Spec.Atmos.NamePattern); hint != "" {
			msg = hint + "; it is the likely cause of: " + msg
		}
		s.stalled = &condition{spaceliftv1alpha1.ReasonInvalidSpec, msg}
		return nil, true
	}
	return records, false
}

// namePatternHint explains a stacks.name_pattern part that atmos ignores (a
// misspelt token), which otherwise shows only as duplicate stack names.
// Empty when the pattern is sound or a name_template replaces it.
func namePatternHint(fsys fs.FS, override string) string {
	if override != "" {
		if err := validate.AtmosNamePattern(override); err != nil {
			return "spec.atmos.namePattern " + err.Error()
		}
		return ""
	}
	st, err := atmos.LoadSettings(fsys, atmos.DefaultConfigFile)
	if err != nil || st.NameTemplate != "" {
		return ""
	}
	if err := validate.AtmosNamePattern(st.NamePattern); err != nil {
		return atmos.DefaultConfigFile + ": stacks.name_pattern " + err.Error()
	}
	return ""
}

// plan computes the children and checks them against the namespace, reusing
// the last desired set (and the applied hash of each child) while what it
// depends on is unchanged: the source revision, the spec (planKey) and the
// ids its Spacelift names stand for, looked up again once an interval and on
// a forced reconcile. It stops the reconcile when there are problems
// (stalled), before anything is written.
func (r *AdminStackReconciler) plan(ctx context.Context, s *adminStackScope) (bool, error) {
	cluster, existing, err := r.observeNamespace(ctx, s)
	if err != nil {
		return true, err
	}
	name, key := client.ObjectKeyFromObject(s.obj), planKey(s, cluster)
	p, ok := r.plans.get(name, key)
	if ok && (s.forced != "" || time.Since(p.namesAt) >= s.interval) {
		dir, done, err := r.lookUpNames(ctx, s, p.desired.NeededKinds())
		if done || err != nil {
			return true, err
		}
		ids, resolved := adminstack.ResolvedIDs(p.desired, dir)
		ok = resolved && slices.Equal(ids, p.resolved)
		p.namesAt = time.Now() // only this AdminStack's reconciles, one at a time, use p
	}
	if !ok {
		var done bool
		if p, done, err = r.buildPlan(ctx, s, cluster, existing); done || err != nil {
			return true, err
		}
		r.plans.put(name, key, p)
	}
	s.plan, s.desired, s.existing = p, p.desired, existing
	s.planned = changedChildren(p, existing)
	return false, nil
}

// buildPlan builds the desired set, resolves its names and stamps each
// object with its applied hash. It stops the reconcile when there are
// problems (stalled).
func (r *AdminStackReconciler) buildPlan(ctx context.Context, s *adminStackScope, cluster *adminstack.Cluster, existing map[string]client.Object) (*plannedSet, bool, error) {
	records, done := r.expandTree(s)
	if done {
		return nil, true, nil
	}
	d, problems := adminstack.Build(s.obj, records, cluster)
	if len(problems) > 0 {
		msg := adminstack.Summarize(problems, adminStackMaxProblems)
		// Read atmos.yaml again only now: a reconcile without problems
		// needs no hint.
		if hint := namePatternHint(s.artifact.FS, s.obj.Spec.Atmos.NamePattern); hint != "" {
			msg = hint + "; it is the likely cause of: " + msg
		}
		s.stalled = &condition{spaceliftv1alpha1.ReasonInvalidSpec, msg}
		return nil, true, nil
	}
	ids, done, err := r.resolveNames(ctx, s, &d)
	if done || err != nil {
		return nil, true, err
	}
	p := &plannedSet{desired: &d, objects: adminDesiredObjects(&d), hashes: map[string]string{}, resolved: ids, namesAt: time.Now()}
	for _, obj := range p.objects {
		cur := existing[childKey(obj)]
		if st, ok := obj.(*spaceliftv1alpha1.Stack); ok && cur != nil {
			if prev := cur.(*spaceliftv1alpha1.Stack).Spec.ManageState; prev != nil {
				st.Spec.ManageState = prev // immutable after creation
			}
		}
		hash, err := stampAppliedHash(obj)
		if err != nil {
			return nil, true, err
		}
		p.hashes[childKey(obj)] = hash
	}
	return p, false, nil
}

// changedChildren are the desired objects whose applied hash the existing
// ones do not carry: new or changed. A child being deleted is left alone
// until it is gone (its delete event brings the AdminStack back to create
// it again): an apply would carry the finalizer that its deletion removes.
func changedChildren(p *plannedSet, existing map[string]client.Object) []client.Object {
	var out []client.Object
	for _, obj := range p.objects {
		k := childKey(obj)
		cur := existing[k]
		switch {
		case cur == nil:
			out = append(out, obj)
		case !cur.GetDeletionTimestamp().IsZero():
		case cur.GetAnnotations()[adminstack.AnnotationAppliedHash] != p.hashes[k]:
			out = append(out, obj)
		}
	}
	return out
}

// planKey identifies what a desired set depends on: the AdminStack (its UID:
// the children's owner references name it; an AdminStack deleted and created
// again under the same name starts at the same generation), the source
// revision and atmos settings (the expansion's key), the AdminStack's
// generation, and the namespace's Policies and the other objects' Spacelift
// names (Build's checks). A child's status change changes none of them.
func planKey(s *adminStackScope, c *adminstack.Cluster) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00", s.obj.UID, s.expansionKey, s.obj.Generation)
	for _, name := range sortedKeys(c.Policies) {
		fmt.Fprintf(h, "p:%s\x00", name)
	}
	for _, kind := range []map[string]adminstack.Existing{c.Stacks, c.AdminStacks} {
		others := make([]string, 0, len(kind))
		for name, e := range kind {
			if e.Controller != s.obj.UID { // not this AdminStack's own children
				others = append(others, name)
			}
		}
		sort.Strings(others)
		for _, name := range others {
			e := kind[name]
			fmt.Fprintf(h, "o:%s\x00%s\x00%s\x00", name, e.SpaceliftName, e.Controller)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// plannedSet is a desired set with the applied hash of each object.
type plannedSet struct {
	desired *adminstack.Desired
	objects []client.Object
	hashes  map[string]string
	// resolved are the ids the desired set's Spacelift names stood for
	// (adminstack.ResolvedIDs), looked up at namesAt.
	resolved []string
	namesAt  time.Time
	// verdicts holds, by childKey, what validateChildren found: "" when
	// the object is valid, else the causes. An object is validated once.
	verdicts map[string]string
}

// validateChildren checks the changed objects against the CRD schemas the
// API server checks them with (crdschema: the OpenAPI schema, list types and
// CEL rules, after defaulting), so that one invalid child stops the reconcile
// before any child is written, without a dry-run request per child. Each
// object of a planned set is validated once. It stops the reconcile when one
// is invalid (stalled), listing every invalid one.
func (r *AdminStackReconciler) validateChildren(ctx context.Context, s *adminStackScope) (bool, error) {
	if s.plan.verdicts == nil {
		s.plan.verdicts = map[string]string{} // only this AdminStack's reconciles, one at a time, use the plan
	}
	var todo []client.Object
	for _, obj := range s.planned {
		if _, done := s.plan.verdicts[childKey(obj)]; !done {
			todo = append(todo, obj)
		}
	}
	if err := validateInto(ctx, s.plan.verdicts, todo); err != nil {
		return true, err
	}
	var problems []adminstack.Problem
	for _, obj := range s.planned {
		if msg := s.plan.verdicts[childKey(obj)]; msg != "" {
			problems = append(problems, adminstack.Problem{Object: childKey(obj), Message: msg})
		}
	}
	if len(problems) > 0 {
		s.stalled = &condition{spaceliftv1alpha1.ReasonInvalidSpec, adminstack.Summarize(problems, adminStackMaxProblems)}
		return true, nil
	}
	return false, nil
}

// validateInto validates objs against the operator's CRDs and records in
// verdicts, by childKey, "" for a valid object and the causes for an invalid
// one. The schemas are compiled for each call with objects and dropped after:
// they take ~13 MiB that nothing needs between changes, and compiling them
// costs about 0.1 s.
func validateInto(ctx context.Context, verdicts map[string]string, objs []client.Object) error {
	if len(objs) == 0 {
		return nil
	}
	schemas, err := operatorSchemas()
	if err != nil {
		return err
	}
	found := make([]string, len(objs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(goruntime.GOMAXPROCS(0)) // CPU only
	for i, obj := range objs {
		g.Go(func() error {
			errs, err := schemas.Validate(gctx, obj)
			if err != nil {
				return fmt.Errorf("validating %s: %w", childKey(obj), err)
			}
			if len(errs) > 0 {
				// The causes read as the API server's answer would.
				found[i] = apiErrorCauses(apierrors.NewInvalid(obj.GetObjectKind().GroupVersionKind().GroupKind(), obj.GetName(), errs))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, obj := range objs {
		verdicts[childKey(obj)] = found[i]
	}
	return nil
}

// apply writes the changed objects with server-side apply, recording the
// ones written. The API server may still refuse one that validateChildren
// passed (a CRD installed at another version than the operator's, a rule
// comparing with the object's previous state): it stops the reconcile then
// (stalled, every refused one listed).
func (r *AdminStackReconciler) apply(ctx context.Context, s *adminStackScope) (bool, error) {
	refused := make([]string, len(s.planned))
	endpoint := r.childEndpoint(ctx, s)
	apply := func(ctx context.Context, obj client.Object) error {
		return r.applyObject(ctx, obj, s.existing[childKey(obj)], endpoint)
	}
	ok, err := r.applyAll(ctx, s.planned, apply, func(i int, err error) error {
		if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
			refused[i] = apiErrorCauses(err)
			return nil
		}
		return fmt.Errorf("applying %s: %w", childKey(s.planned[i]), err)
	})
	var problems []adminstack.Problem
	for i, obj := range s.planned {
		if ok[i] {
			s.applied = append(s.applied, childKey(obj))
		}
		if refused[i] != "" {
			problems = append(problems, adminstack.Problem{Object: childKey(obj), Message: refused[i]})
		}
	}
	if err != nil {
		return true, err
	}
	if len(problems) > 0 {
		s.stalled = &condition{spaceliftv1alpha1.ReasonInvalidSpec, adminstack.Summarize(problems, adminStackMaxProblems)}
		return true, nil
	}
	return false, nil
}

// adminStackApplyWorkers is how many objects one reconcile applies at a
// time. The API server answers each in milliseconds; one at a time, 10 000
// new children would wait minutes to exist.
const adminStackApplyWorkers = 16

// applyAll applies objs with apply, adminStackApplyWorkers at a time, and
// reports which succeeded. onError decides about each failure: nil lets the
// others go on (the caller recorded it), an error stops the rest and is
// returned (the first one, when several are).
func (r *AdminStackReconciler) applyAll(ctx context.Context, objs []client.Object, apply func(context.Context, client.Object) error,
	onError func(i int, err error) error) ([]bool, error) {
	ok := make([]bool, len(objs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(adminStackApplyWorkers)
	for i, obj := range objs {
		g.Go(func() error {
			if err := apply(gctx, obj); err != nil {
				return onError(i, err)
			}
			ok[i] = true
			return nil
		})
	}
	return ok, g.Wait()
}

// prune deletes the children that are no longer selected when spec.prune is
// true; each child's deletionPolicy then applies through the Stack controller.
// With prune false they are kept and reported.
func (r *AdminStackReconciler) prune(ctx context.Context, s *adminStackScope) (bool, error) {
	if !s.obj.Spec.Prune {
		return false, nil
	}
	wanted := map[string]bool{}
	for _, obj := range adminDesiredObjects(s.desired) {
		wanted[childKey(obj)] = true
	}
	adminKey := "Stack/" + adminstack.AdminObjectName(s.obj.Name)
	var victims []string
	total := 0
	for k, obj := range s.children {
		if k == adminKey || !obj.GetDeletionTimestamp().IsZero() {
			continue
		}
		total++
		if !wanted[k] {
			victims = append(victims, k)
		}
	}
	sort.Strings(victims)
	token := pruneToken(s.artifact.Revision, s.obj.Generation)
	if blocked := pruneBlocked(s.obj.Spec.PruneGuard, victims, total, token, s.obj.Annotations[spaceliftv1alpha1.AnnotationConfirmPrune]); blocked != nil {
		s.stalled = blocked
		return true, nil
	}
	for _, k := range victims {
		obj := s.children[k]
		victim := obj.DeepCopyObject().(client.Object) // obj is shared with the cache
		if err := r.Delete(ctx, victim, client.Preconditions{UID: new(obj.GetUID())}); client.IgnoreNotFound(err) != nil {
			return true, fmt.Errorf("deleting %s: %w", k, err)
		}
		s.pruned = append(s.pruned, k)
	}
	return false, nil
}

// observeNamespace lists what Build checks against (Policy, Stack and
// AdminStack objects) and records the children this AdminStack controls.
func (r *AdminStackReconciler) observeNamespace(ctx context.Context, s *adminStackScope) (*adminstack.Cluster, map[string]client.Object, error) {
	var policies spaceliftv1alpha1.PolicyList
	if err := r.List(ctx, &policies, client.InNamespace(s.obj.Namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, nil, fmt.Errorf("listing Policies: %w", err)
	}
	existing, err := r.listStacksAndAdminStacks(ctx, s.obj.Namespace)
	if err != nil {
		return nil, nil, err
	}
	c := &adminstack.Cluster{Policies: map[string]bool{}, Stacks: map[string]adminstack.Existing{}, AdminStacks: map[string]adminstack.Existing{}}
	for _, p := range policies.Items {
		c.Policies[p.Name] = true
	}
	for _, obj := range existing {
		switch o := obj.(type) {
		case *spaceliftv1alpha1.Stack:
			name := o.Spec.Name
			if name == "" {
				name = o.Name
			}
			c.Stacks[o.Name] = adminstack.Existing{SpaceliftName: name, Controller: controllerOf(o)}
		case *spaceliftv1alpha1.AdminStack:
			c.AdminStacks[o.Name] = adminstack.Existing{SpaceliftName: adminstack.AdminName(o), Controller: controllerOf(o)}
		}
	}
	s.children = controlledBy(existing, s.obj.UID)
	return c, existing, nil
}

// observeChildren records the objects this AdminStack controls, unless the
// plan already did and nothing was written since.
func (r *AdminStackReconciler) observeChildren(ctx context.Context, s *adminStackScope) error {
	if s.children != nil && len(s.applied) == 0 && len(s.pruned) == 0 {
		return nil
	}
	existing, err := r.listStacksAndAdminStacks(ctx, s.obj.Namespace)
	if err != nil {
		return err
	}
	s.children = controlledBy(existing, s.obj.UID)
	return nil
}

// listStacksAndAdminStacks lists the Stacks and AdminStacks of a namespace by
// childKey. The objects are shared with the cache: never modify them.
func (r *AdminStackReconciler) listStacksAndAdminStacks(ctx context.Context, namespace string) (map[string]client.Object, error) {
	opts := []client.ListOption{client.InNamespace(namespace), client.UnsafeDisableDeepCopy}
	var stacks spaceliftv1alpha1.StackList
	if err := r.List(ctx, &stacks, opts...); err != nil {
		return nil, fmt.Errorf("listing Stacks: %w", err)
	}
	var admins spaceliftv1alpha1.AdminStackList
	if err := r.List(ctx, &admins, opts...); err != nil {
		return nil, fmt.Errorf("listing AdminStacks: %w", err)
	}
	out := make(map[string]client.Object, len(stacks.Items)+len(admins.Items))
	for i := range stacks.Items {
		out[childKey(&stacks.Items[i])] = &stacks.Items[i]
	}
	for i := range admins.Items {
		out[childKey(&admins.Items[i])] = &admins.Items[i]
	}
	return out, nil
}

// controlledBy keeps the objects whose controller owner has the given UID.
func controlledBy(objs map[string]client.Object, uid types.UID) map[string]client.Object {
	out := map[string]client.Object{}
	for k, o := range objs {
		if controllerOf(o) == uid {
			out[k] = o
		}
	}
	return out
}

// applyObject server-side applies obj as the AdminStack field owner, taking
// over fields that others changed. A Stack child carries its identity (see
// stackChildIdentity) from live, the child as it is, nil when new.
//
// Only the answer's metadata is read (patchLean), and into the apply body:
// the planned objects are shared by reconciles. Nothing waits for the cache
// to see the write: the roll-up counts a desired child it does not see yet
// as not Ready, and the child watch reconciles again once the cache has it.
func (r *AdminStackReconciler) applyObject(ctx context.Context, obj, live client.Object, endpoint string) error {
	u, err := applyBodyOf(obj)
	if err != nil {
		return err
	}
	if st, ok := obj.(*spaceliftv1alpha1.Stack); ok {
		stackChildIdentity(st, live, endpoint).addTo(u)
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", childKey(obj), err)
	}
	return patchLean(ctx, r.Client, u, client.RawPatch(types.ApplyPatchType, data), client.FieldOwner(AdminStackFieldOwner), client.ForceOwnership)
}

// applyBodyOf is obj as an apply configuration: its JSON without status,
// creation timestamp and empty mappings, so that only set fields are owned.
func applyBodyOf(obj client.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %s: %w", childKey(obj), err)
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	pruneEmptyMaps(m)
	return &unstructured.Unstructured{Object: m}, nil
}

// pruneEmptyMaps removes the empty mappings below m, recursively.
func pruneEmptyMaps(m map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			pruneEmptyMaps(sub)
			if len(sub) == 0 {
				delete(m, k)
			}
		}
	}
}

// stampAppliedHash sets the applied-hash annotation of obj to a digest of
// its apply body and returns the digest.
func stampAppliedHash(obj client.Object) (string, error) {
	ann := obj.GetAnnotations()
	delete(ann, adminstack.AnnotationAppliedHash)
	u, err := applyBodyOf(obj)
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return "", fmt.Errorf("encoding %s: %w", childKey(obj), err)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:16])
	if ann == nil {
		ann = map[string]string{}
	}
	ann[adminstack.AnnotationAppliedHash] = hash
	obj.SetAnnotations(ann)
	return hash, nil
}

// adminDesiredObjects lists the objects of d, the admin stack's Stack first.
func adminDesiredObjects(d *adminstack.Desired) []client.Object {
	if d == nil {
		return nil
	}
	out := []client.Object{d.Admin}
	for _, s := range d.Stacks {
		out = append(out, s)
	}
	for _, a := range d.AdminStacks {
		out = append(out, a)
	}
	return out
}

// childKey names an object by kind and name, e.g. "Stack/plat-ue2-dev-vpc".
func childKey(obj client.Object) string {
	switch obj.(type) {
	case *spaceliftv1alpha1.AdminStack:
		return "AdminStack/" + obj.GetName()
	default:
		return "Stack/" + obj.GetName()
	}
}

// controllerOf is the UID of obj's controller owner, if any.
func controllerOf(obj client.Object) types.UID {
	for _, o := range obj.GetOwnerReferences() {
		if o.Controller != nil && *o.Controller {
			return o.UID
		}
	}
	return ""
}

// apiErrorCauses lists the causes of an API error, without the prefix naming
// the object that the server puts in front of the whole message.
func apiErrorCauses(err error) string {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		if st := se.Status(); st.Details != nil && len(st.Details.Causes) > 0 {
			msgs := make([]string, 0, len(st.Details.Causes))
			for _, c := range st.Details.Causes {
				msg := c.Message
				if c.Field != "" && !strings.Contains(msg, c.Field) {
					msg = c.Field + ": " + msg
				}
				msgs = append(msgs, msg)
			}
			sort.Strings(msgs)
			return strings.Join(msgs, ", ")
		}
	}
	return err.Error()
}

// recordEvents emits events for what changed: children applied or pruned,
// and a newly stalled AdminStack.
func (r *AdminStackReconciler) recordEvents(before *spaceliftv1alpha1.AdminStack, s *adminStackScope) {
	if len(s.applied) > 0 {
		r.Recorder.Eventf(s.obj, corev1.EventTypeNormal, "Applied", "Applied %d objects: %s", len(s.applied), firstFew(s.applied, adminStackMaxProblems))
	}
	if len(s.pruned) > 0 {
		r.Recorder.Eventf(s.obj, corev1.EventTypeNormal, "Pruned", "Deleted %d objects no longer selected: %s", len(s.pruned), firstFew(s.pruned, adminStackMaxProblems))
	}
	if s.stalled != nil && !isStalledWith(before.Status.Conditions, s.stalled.reason) {
		r.Recorder.Event(s.obj, corev1.EventTypeWarning, s.stalled.reason, s.stalled.message)
	}
	// Once per source revision: values atmos evaluates only when it runs the
	// component (!terraform.output, !store, atmos.Component, ...) reach the
	// children as written.
	if s.desired != nil && before.Status.SourceRevision != s.artifact.Revision {
		if summary := s.desired.UnevaluatedSummary(); summary != "" {
			r.Recorder.Event(s.obj, corev1.EventTypeNormal, "UnevaluatedValues", summary)
		}
	}
}

// SetupWithManager registers the reconciler. Besides AdminStacks it watches
// the Stacks and AdminStacks they control (for the roll-up; their events are
// filtered and coalesced, see childEvents), the ConfigMaps they
// mount, and Policies (a missing Policy stalls them). Git Secrets are read
// with a direct GET on every fetch and not watched, so that the operator
// needs no list or watch permission on Secrets.
func (r *AdminStackReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorderFor("adminstack-controller") //nolint:staticcheck // core/v1 events are what kubectl describe shows
	}
	if r.Git == nil {
		r.Git = source.NewGit(adminStackGitCacheEntries)
	}
	ctx := context.Background()
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &spaceliftv1alpha1.AdminStack{}, adminStackConfigMapIndex, func(o client.Object) []string {
		var names []string
		for _, m := range o.(*spaceliftv1alpha1.AdminStack).Spec.Source.ConfigMaps {
			names = append(names, m.Name)
		}
		return names
	}); err != nil {
		return fmt.Errorf("indexing AdminStacks by ConfigMap: %w", err)
	}
	createOrDelete := predicate.Funcs{UpdateFunc: func(event.UpdateEvent) bool { return false }}
	return ctrl.NewControllerManagedBy(mgr).
		For(&spaceliftv1alpha1.AdminStack{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Watches(&spaceliftv1alpha1.Stack{}, childEvents(&r.childDelays)).
		Watches(&spaceliftv1alpha1.AdminStack{}, childEvents(&r.childDelays)).
		Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(r.adminStacksIndexed(adminStackConfigMapIndex))).
		Watches(&spaceliftv1alpha1.Policy{}, handler.EnqueueRequestsFromMapFunc(r.adminStacksIndexed("")), builder.WithPredicates(createOrDelete)).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles, ReconciliationTimeout: adminStackReconcileTimeout}).
		Complete(r)
}

// operatorSchemas validates objects against the CRDs the operator was built
// with (config/crd/bases).
func operatorSchemas() (*crdschema.Validator, error) {
	bases, err := fs.Sub(crd.Bases, "bases")
	if err != nil {
		return nil, fmt.Errorf("reading the embedded CRDs: %w", err)
	}
	v, err := crdschema.FromFS(bases)
	if err != nil {
		return nil, fmt.Errorf("compiling the embedded CRDs: %w", err)
	}
	return v, nil
}

// adminStacksIndexed maps an object to the AdminStacks in its namespace whose
// index field holds its name; every AdminStack there when field is empty.
func (r *AdminStackReconciler) adminStacksIndexed(field string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []ctrl.Request {
		opts := []client.ListOption{client.InNamespace(o.GetNamespace())}
		if field != "" {
			opts = append(opts, client.MatchingFields{field: o.GetName()})
		}
		return listRequests(ctx, r.Client, &spaceliftv1alpha1.AdminStackList{}, "AdminStacks that reference "+o.GetName(), opts...)
	}
}

// lastCache keeps, per AdminStack, the last value computed for a key, so
// that reconciles triggered by child status changes reuse it while the key
// (what the value depends on) is unchanged. It keeps the last planned set
// (key: planKey).
type lastCache[T any] struct {
	mu      sync.Mutex
	entries map[types.NamespacedName]lastEntry[T]
}

type lastEntry[T any] struct {
	key   string
	value T
}

// get returns the value stored for name under key.
func (c *lastCache[T]) get(name types.NamespacedName, key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[name]
	if !ok || e.key != key {
		var zero T
		return zero, false
	}
	return e.value, true
}

// put stores v for name under key, replacing what name had.
func (c *lastCache[T]) put(name types.NamespacedName, key string, v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[types.NamespacedName]lastEntry[T]{}
	}
	c.entries[name] = lastEntry[T]{key: key, value: v}
}

// forget drops what is stored for name.
func (c *lastCache[T]) forget(name types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, name)
}
