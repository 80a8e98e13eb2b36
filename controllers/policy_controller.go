package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// PolicyReconciler keeps Spacelift policies in line with Policy objects.
type PolicyReconciler struct {
	client.Client
	Scheme      *runtime.Scheme
	Options     Options
	Credentials *Credentials
	Recorder    record.EventRecorder
	// NewAPI turns a client into the API the reconciler uses; tests swap it.
	NewAPI func(*spacelift.Client) PolicyAPI

	statuses statusMemo
}

// policyScope is what one reconcile of a Policy learns and decides.
type policyScope struct {
	obj      *spaceliftv1alpha1.Policy
	api      PolicyAPI
	endpoint string
	id       string
	body     string
	observed *spacelift.Policy

	synced    bool
	stalled   *condition
	transient bool
	deleting  *condition
}

type policyPhase func(ctx context.Context, s *policyScope) (done bool, err error)

// policyBodyIndex indexes Policies by the ConfigMap their body comes from.
const policyBodyIndex = "spacelift.stackwright.io/policy-body-configmap"

// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=policies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=policies/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=spacelift.stackwright.io,resources=policies/finalizers,verbs=update

// Reconcile syncs one Policy to Spacelift.
func (r *PolicyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	obj := &spaceliftv1alpha1.Policy{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	s := &policyScope{obj: obj}
	before := obj.DeepCopy()
	defer func() {
		if released(obj) {
			r.statuses.forget(obj)
			return
		}
		if s.stalled != nil && !isStalledWith(before.Status.Conditions, s.stalled.reason) {
			r.Recorder.Event(obj, corev1.EventTypeWarning, s.stalled.reason, s.stalled.message)
		}
		if id := obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]; id != "" {
			obj.Status.SpaceliftID = id
			if s.endpoint != "" {
				obj.Status.URL = webURL(s.endpoint, "policy", id)
			}
		}
		if s.synced {
			obj.Status.BodySHA256 = sha256Hex(s.body)
		}
		obj.Status.Conditions = kstatusConditions(syncOutcome{deleting: s.deleting, stalled: s.stalled, transient: s.transient,
			suspended: obj.Spec.Suspend, synced: s.synced, what: "policy " + s.id}, obj.Status.Conditions, obj.Generation)
		obj.Status.ObservedGeneration = obj.Generation
		if v := reconcileRequest(obj, before.Status.LastHandledReconcileAt); v != "" && retErr == nil {
			obj.Status.LastHandledReconcileAt = v
		}
		endReconcile(ctx, r.Client, &r.statuses, obj, before, obj.Status, !equality.Semantic.DeepEqual(before.Status, obj.Status), s.stalled != nil,
			intervalOr(obj.Spec.Interval, r.Options.SyncInterval), &result, &retErr)
	}()

	stalled := func() bool { return s.stalled != nil }
	admit := func(ctx context.Context) error { return r.admitPolicy(ctx, s) }
	connect := func(ctx context.Context) error { return r.connect(ctx, s) }
	remove := func(ctx context.Context) (ctrl.Result, error) { return r.reconcileDelete(ctx, s) }
	if done, res, err := prelude(ctx, r.Client, obj, obj.Spec.Suspend, stalled, admit, connect, remove); done {
		return res, err
	}
	for _, phase := range []policyPhase{r.resolveBody, r.observe, r.createOrAdopt, r.link, r.update} {
		done, err := phase(ctx, s)
		if err != nil {
			return r.classify(s, err)
		}
		if done {
			break
		}
	}
	if s.stalled != nil {
		return ctrl.Result{}, nil
	}
	s.synced = true
	return ctrl.Result{RequeueAfter: jitter(intervalOr(obj.Spec.Interval, r.Options.SyncInterval))}, nil
}

func (r *PolicyReconciler) connect(ctx context.Context, s *policyScope) error {
	var err error
	s.api, s.endpoint, s.stalled, err = connect(ctx, r.Credentials, s.obj.Namespace, s.obj.Spec.CredentialsRef,
		r.NewAPI, func(c *spacelift.Client) PolicyAPI { return c })
	return err
}

func (r *PolicyReconciler) classify(s *policyScope, err error) (ctrl.Result, error) {
	v := judge(err, "policy")
	s.stalled, s.transient = v.stalled, v.transient
	return v.result, v.err
}

// resolveBody reads the body (from the spec or its ConfigMap) and checks that
// it parses and compiles; a bad body stalls with line and column.
func (r *PolicyReconciler) resolveBody(ctx context.Context, s *policyScope) (bool, error) {
	spec := &s.obj.Spec
	if spec.Body != nil {
		s.body = *spec.Body
	} else {
		v, problem, err := configMapValue(ctx, r.Client, s.obj.Namespace, spec.BodyFrom.ConfigMapKeyRef, "spec.bodyFrom")
		if problem != nil || err != nil {
			s.stalled = problem
			return true, err
		}
		s.body = v
	}
	if err := checkRego(s.obj.Name, s.body, spec.EngineType); err != nil {
		s.stalled = &condition{spaceliftv1alpha1.ReasonInvalidRego, fmt.Sprintf("policy body is not valid %s Rego: %v", orDefault(string(spec.EngineType), "REGO_V1"), err)}
		return true, nil
	}
	return false, nil
}

func (r *PolicyReconciler) observe(ctx context.Context, s *policyScope) (bool, error) {
	s.id = s.obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]
	if s.id == "" {
		s.id = slug(policyName(s.obj))
	}
	p, err := s.api.GetPolicy(ctx, s.id)
	if err != nil && !spacelift.IsNotFound(err) {
		return true, fmt.Errorf("reading policy %q: %w", s.id, err)
	}
	s.observed = p
	return false, nil
}

func (r *PolicyReconciler) createOrAdopt(ctx context.Context, s *policyScope) (bool, error) {
	known := s.obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID] != ""
	if s.observed != nil {
		switch c, owner := claimOf(s.observed.Labels, s.obj.Namespace, s.obj.Name); c {
		case claimForeign:
			s.stalled = foreignOwner("Policy", "policy", s.id, owner)
			return true, nil
		case claimUnowned:
			s.stalled = &condition{spaceliftv1alpha1.ReasonAlreadyExists, fmt.Sprintf(
				"a Spacelift policy with id %q exists and carries no ownership label (%s<namespace>/<name>), so nothing proves it is this object's: give this object another spec.name", s.id, spaceliftv1alpha1.LabelOwnership)}
			return true, nil
		}
		if known {
			return false, nil
		}
		return false, recordID(ctx, r.Client, s.obj, s.id, webURL(s.endpoint, "policy", s.id))
	}
	if err := setAnnotation(ctx, r.Client, s.obj, spaceliftv1alpha1.AnnotationCreatePending, s.id); err != nil {
		return true, err
	}
	p, err := s.api.CreatePolicy(ctx, desiredPolicyCreate(s.obj, s.body))
	if err != nil {
		return true, fmt.Errorf("creating policy %q: %w", s.id, err)
	}
	s.observed, s.id = p, p.ID
	return false, recordCreated(ctx, r.Client, r.Recorder, s.obj, "policy", s.endpoint, p.ID, known)
}

// link points Argo CD's external link at the policy's Spacelift page.
func (r *PolicyReconciler) link(ctx context.Context, s *policyScope) (bool, error) {
	return false, ensureLink(ctx, r.Client, s.obj, webURL(s.endpoint, "policy", s.id))
}

func (r *PolicyReconciler) update(ctx context.Context, s *policyScope) (bool, error) {
	want := desiredPolicyCreate(s.obj, s.body)
	diff := policySettingsDiff(want, s.observed)
	if len(diff) == 0 {
		return false, nil
	}
	log.FromContext(ctx).V(1).Info("policy differs from spec", "policy", s.id, "diff", diff)
	p, err := s.api.UpdatePolicy(ctx, s.id, spacelift.PolicyUpdateInput{Name: want.Name, Body: want.Body, Labels: want.Labels,
		Space: want.Space, Description: want.Description, EngineType: want.EngineType})
	if err != nil {
		return true, fmt.Errorf("updating policy %q: %w", s.id, err)
	}
	s.observed = p
	r.Recorder.Eventf(s.obj, corev1.EventTypeNormal, "Updated", "Updated Spacelift policy %s: %s", s.id, summarizeDiff(diff))
	return false, nil
}

func (r *PolicyReconciler) reconcileDelete(ctx context.Context, s *policyScope) (ctrl.Result, error) {
	obj := s.obj
	if !controllerutil.ContainsFinalizer(obj, spaceliftv1alpha1.Finalizer) {
		return ctrl.Result{}, nil
	}
	id := obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]
	if obj.Spec.DeletionPolicy != spaceliftv1alpha1.DeletionPolicyRetain && id != "" {
		p, err := s.api.GetPolicy(ctx, id)
		if spacelift.IsNotFound(err) {
			return ctrl.Result{}, removeFinalizer(ctx, r.Client, obj)
		}
		if err != nil {
			return r.classify(s, fmt.Errorf("reading policy %q: %w", id, err))
		}
		if c, owner := claimOf(p.Labels, obj.Namespace, obj.Name); c != claimOwned {
			r.Recorder.Eventf(obj, corev1.EventTypeWarning, "NotDeleted", "Spacelift policy %s is managed by %s, not this one: left it in place", id, c.manager(owner))
			return ctrl.Result{}, removeFinalizer(ctx, r.Client, obj)
		}
		err = s.api.DeletePolicy(ctx, id)
		if err != nil && !spacelift.IsNotFound(err) {
			return r.classify(s, fmt.Errorf("deleting policy %q: %w", id, err))
		}
		r.Recorder.Eventf(obj, corev1.EventTypeNormal, "Deleted", "Deleted Spacelift policy %s", id)
	}
	return ctrl.Result{}, removeFinalizer(ctx, r.Client, obj)
}

// policyName is the Spacelift name of a Policy object.
func policyName(p *spaceliftv1alpha1.Policy) string {
	return orDefault(p.Spec.Name, p.Name)
}

// desiredPolicyCreate is the input that makes the Spacelift policy match the
// spec; deprecated type names are sent under their current names.
func desiredPolicyCreate(p *spaceliftv1alpha1.Policy, body string) spacelift.PolicyCreateInput {
	engine := spacelift.PolicyEngineType(orDefault(string(p.Spec.EngineType), string(spaceliftv1alpha1.PolicyEngineRegoV1)))
	return spacelift.PolicyCreateInput{
		Name:        policyName(p),
		Body:        body,
		Type:        spacelift.PolicyType(p.Spec.Type.Canonical()),
		Labels:      desiredLabels(p.Spec.Labels, ownerLabel(p.Namespace, p.Name)),
		Space:       optString(orDefault(p.Spec.Space, "root")),
		Description: optString(p.Spec.Description),
		EngineType:  &engine,
	}
}

// policySettingsDiff lists the fields in which the observed policy differs from the
// desired one. The type is compared by its current name, so a deprecated
// alias in the spec causes no perpetual diff.
func policySettingsDiff(want spacelift.PolicyCreateInput, got *spacelift.Policy) []string {
	var d []string
	add := func(field string, differs bool) {
		if differs {
			d = append(d, field+": differs")
		}
	}
	add("name", want.Name != got.Name)
	add("body", want.Body != got.Body)
	add("labels", !slices.Equal(want.Labels, sortedCopy(got.Labels)))
	add("space", deref(want.Space) != got.Space)
	add("description", deref(want.Description) != got.Description)
	add("engineType", got.EngineType != "" && deref(want.EngineType) != got.EngineType)
	return d
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// SetupWithManager registers the reconciler and a watch on body ConfigMaps.
func (r *PolicyReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &spaceliftv1alpha1.Policy{}, policyBodyIndex, func(o client.Object) []string {
		if bf := o.(*spaceliftv1alpha1.Policy).Spec.BodyFrom; bf != nil {
			return []string{bf.ConfigMapKeyRef.Name}
		}
		return nil
	}); err != nil {
		return err
	}
	b := watchGrants(ctrl.NewControllerManagedBy(mgr), r.Options, r.Client, func() client.ObjectList { return &spaceliftv1alpha1.PolicyList{} })
	return b.
		For(&spaceliftv1alpha1.Policy{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []ctrl.Request {
			return listRequests(ctx, r.Client, &spaceliftv1alpha1.PolicyList{}, "Policies that use ConfigMap "+o.GetName(),
				client.InNamespace(o.GetNamespace()), client.MatchingFields{policyBodyIndex: o.GetName()})
		})).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles, ReconciliationTimeout: reconcileTimeout}).
		Complete(r)
}
