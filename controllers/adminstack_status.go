package controllers

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/adminstack"
)

// adminStackRollup summarizes the children of an AdminStack for its status.
type adminStackRollup struct {
	// children is status.children: sorted by name, one entry per name.
	children []spaceliftv1alpha1.ChildStatus
	// selected, ready and drifted are the status counters.
	selected, ready, drifted int32
	// notReady names the selected children, and the admin stack, that are
	// not Ready; total is how many objects that is out of.
	notReady []string
	total    int
	// driftedNames names the drifted children; driftKnown is false when no
	// child reports a drift result.
	driftedNames []string
	driftKnown   bool
	// stalledNames names the selected children that are Stalled, with the
	// reason, e.g. "plat-vpc (AlreadyExists)".
	stalledNames []string
	// adminID is the Spacelift id of the admin stack's Stack object.
	adminID string
}

// childObservation is what the roll-up reads from one child object.
type childObservation struct {
	status     spaceliftv1alpha1.ChildStatus
	driftKnown bool
	// stalled is the reason of a Stalled=True condition for the child's
	// current generation, "" when it is not stalled.
	stalled string
}

// observeChild reads a child's readiness and drift. A child is Ready only
// when its Ready condition is True for its current generation.
func observeChild(obj client.Object) childObservation {
	var conds []metav1.Condition
	var observedGen int64
	st := spaceliftv1alpha1.ChildStatus{Name: obj.GetName()}
	switch o := obj.(type) {
	case *spaceliftv1alpha1.Stack:
		st.Kind, st.StackName, st.SpaceliftID = "Stack", o.Spec.Name, o.Status.SpaceliftID
		if st.StackName == "" {
			st.StackName = o.Name
		}
		conds, observedGen = o.Status.Conditions, o.Status.ObservedGeneration
	case *spaceliftv1alpha1.AdminStack:
		st.Kind, st.StackName, st.SpaceliftID = "AdminStack", adminstack.AdminName(o), o.Status.SpaceliftID
		conds, observedGen = o.Status.Conditions, o.Status.ObservedGeneration
	}
	st.Ready = observedGen == obj.GetGeneration() && meta.IsStatusConditionTrue(conds, spaceliftv1alpha1.ConditionReady)
	d := meta.FindStatusCondition(conds, spaceliftv1alpha1.ConditionDrifted)
	st.Drifted = d != nil && d.Status == metav1.ConditionTrue
	o := childObservation{status: st, driftKnown: d != nil && d.Status != metav1.ConditionUnknown}
	if c := meta.FindStatusCondition(conds, spaceliftv1alpha1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue && observedGen == obj.GetGeneration() {
		o.stalled = c.Reason
	}
	return o
}

// rollUpChildren summarizes the observed children (by childKey) against the
// desired set. With a nil desired set (it could not be computed or applied)
// every observed child is listed as it is. Children no longer desired are
// listed with pruneSkipped when prune is off; with prune on they are being
// deleted and are left out.
func rollUpChildren(obj *spaceliftv1alpha1.AdminStack, desired *adminstack.Desired, observed map[string]client.Object) adminStackRollup {
	var r adminStackRollup
	adminKey := "Stack/" + adminstack.AdminObjectName(obj.Name)
	adminReady := false
	var adminStalled string
	if a, ok := observed[adminKey]; ok {
		o := observeChild(a)
		r.adminID, adminReady, adminStalled = o.status.SpaceliftID, o.status.Ready, o.stalled
	}

	byName := map[string]bool{}
	add := func(o childObservation, selected bool) {
		if byName[o.status.Name] {
			return
		}
		byName[o.status.Name] = true
		r.children = append(r.children, o.status)
		if o.status.Drifted {
			r.drifted++
			r.driftedNames = append(r.driftedNames, o.status.Name)
		}
		r.driftKnown = r.driftKnown || o.driftKnown
		if !selected {
			return
		}
		r.total++
		if o.status.Ready {
			r.ready++
		} else {
			r.notReady = append(r.notReady, o.status.Name)
		}
		if o.stalled != "" {
			r.stalledNames = append(r.stalledNames, fmt.Sprintf("%s (%s)", o.status.Name, o.stalled))
		}
	}

	wanted := map[string]bool{adminKey: true}
	if desired != nil {
		for _, want := range adminDesiredObjects(desired)[1:] {
			key := childKey(want)
			wanted[key] = true
			if cur, ok := observed[key]; ok {
				add(observeChild(cur), true)
			} else {
				add(childObservation{status: observeChild(want).status}, true)
			}
		}
		r.selected = int32(desired.Selected())
	}
	keys := make([]string, 0, len(observed))
	for k := range observed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if wanted[k] {
			continue
		}
		o := observeChild(observed[k])
		if desired == nil {
			add(o, true)
			continue
		}
		if !obj.Spec.Prune && observed[k].GetDeletionTimestamp().IsZero() {
			o.status.PruneSkipped = true
			add(o, false)
		}
	}
	r.total++
	if !adminReady {
		r.notReady = append(r.notReady, "admin stack "+adminstack.AdminObjectName(obj.Name))
	}
	if adminStalled != "" {
		r.stalledNames = append(r.stalledNames, fmt.Sprintf("admin stack %s (%s)", adminstack.AdminObjectName(obj.Name), adminStalled))
	}
	sort.Slice(r.children, func(i, j int) bool { return r.children[i].Name < r.children[j].Name })
	sort.Strings(r.notReady)
	sort.Strings(r.stalledNames)
	sort.Strings(r.driftedNames)
	return r
}

// adminStackOutcome is what a reconcile of an AdminStack concluded.
type adminStackOutcome struct {
	stalled   *condition
	waiting   *condition
	suspended bool
	// synced is true when the desired set was applied (and pruned) in full.
	synced bool
	rollup adminStackRollup
}

// adminStackConditions sets Ready, Reconciling, Stalled and Drifted from the
// outcome. Ready is True only when the children were applied and every
// selected child and the admin stack are Ready. Messages are stable.
func adminStackConditions(o adminStackOutcome, conds []metav1.Condition, gen int64) []metav1.Condition {
	set := conditionSetter(&conds, gen)
	r := o.rollup
	switch {
	case o.suspended:
		msg := "spec.suspend is true: children are neither written nor pruned"
		set(spaceliftv1alpha1.ConditionReady, no, spaceliftv1alpha1.ReasonSuspended, msg)
		set(spaceliftv1alpha1.ConditionReconciling, no, spaceliftv1alpha1.ReasonSuspended, msg)
		set(spaceliftv1alpha1.ConditionStalled, no, spaceliftv1alpha1.ReasonSuspended, msg)
	case o.stalled != nil:
		set(spaceliftv1alpha1.ConditionReady, no, o.stalled.reason, o.stalled.message)
		set(spaceliftv1alpha1.ConditionReconciling, no, o.stalled.reason, "waiting for the spec, the source or a referenced object to be fixed")
		set(spaceliftv1alpha1.ConditionStalled, yes, o.stalled.reason, o.stalled.message)
	case o.waiting != nil:
		set(spaceliftv1alpha1.ConditionReady, no, o.waiting.reason, o.waiting.message)
		set(spaceliftv1alpha1.ConditionReconciling, yes, o.waiting.reason, o.waiting.message)
		set(spaceliftv1alpha1.ConditionStalled, no, o.waiting.reason, "waiting, not stalled")
	case !o.synced:
		msg := "computing and applying the children"
		set(spaceliftv1alpha1.ConditionReady, unk, spaceliftv1alpha1.ReasonProgressing, msg)
		set(spaceliftv1alpha1.ConditionReconciling, yes, spaceliftv1alpha1.ReasonProgressing, msg)
		set(spaceliftv1alpha1.ConditionStalled, no, spaceliftv1alpha1.ReasonProgressing, msg)
	case len(r.stalledNames) > 0:
		// kstatus, Argo CD and kubectl wait must see that a person is
		// needed, not an endless "in progress".
		msg := fmt.Sprintf("%s Stalled: %s", countOf(len(r.stalledNames), "stack is", "stacks are"), firstFew(r.stalledNames, adminStackMaxProblems))
		set(spaceliftv1alpha1.ConditionReady, no, spaceliftv1alpha1.ReasonChildrenStalled, msg)
		set(spaceliftv1alpha1.ConditionReconciling, no, spaceliftv1alpha1.ReasonChildrenStalled, "waiting for the stalled children to be fixed")
		set(spaceliftv1alpha1.ConditionStalled, yes, spaceliftv1alpha1.ReasonChildrenStalled, msg)
	case len(r.notReady) > 0:
		msg := fmt.Sprintf("%d of %s not Ready: %s", len(r.notReady), countOf(r.total, "stack is", "stacks are"), firstFew(r.notReady, adminStackMaxProblems))
		set(spaceliftv1alpha1.ConditionReady, no, spaceliftv1alpha1.ReasonChildrenNotReady, msg)
		set(spaceliftv1alpha1.ConditionReconciling, yes, spaceliftv1alpha1.ReasonChildrenNotReady, msg)
		set(spaceliftv1alpha1.ConditionStalled, no, spaceliftv1alpha1.ReasonChildrenNotReady, "waiting for the children, not stalled")
	default:
		msg := fmt.Sprintf("the admin stack and its %s Ready", countOf(r.total-1, "child are", "children are"))
		set(spaceliftv1alpha1.ConditionReady, yes, spaceliftv1alpha1.ReasonSucceeded, msg)
		set(spaceliftv1alpha1.ConditionReconciling, no, spaceliftv1alpha1.ReasonSucceeded, msg)
		set(spaceliftv1alpha1.ConditionStalled, no, spaceliftv1alpha1.ReasonSucceeded, msg)
	}
	switch {
	case len(r.driftedNames) > 0:
		set(spaceliftv1alpha1.ConditionDrifted, yes, spaceliftv1alpha1.ReasonDriftDetected,
			fmt.Sprintf("%s drifted: %s", countOf(len(r.driftedNames), "child", "children"), firstFew(r.driftedNames, adminStackMaxProblems)))
	case !r.driftKnown:
		set(spaceliftv1alpha1.ConditionDrifted, unk, spaceliftv1alpha1.ReasonNotYetChecked, "no child reports a drift-detection result")
	default:
		set(spaceliftv1alpha1.ConditionDrifted, no, spaceliftv1alpha1.ReasonNoDrift, "no child drifted")
	}
	return conds
}

// applyAdminStackStatus writes what the reconcile learned into the status.
// Selected and sourceRevision change only when the children were applied.
func applyAdminStackStatus(obj *spaceliftv1alpha1.AdminStack, s *adminStackScope) {
	desired := s.desired
	if !s.synced {
		desired = nil
	}
	r := rollUpChildren(obj, desired, s.children)
	st := &obj.Status
	if s.synced {
		st.Selected = r.selected
		st.SourceRevision = s.artifact.Revision
	}
	st.Ready, st.Drifted, st.Stalled = r.ready, r.drifted, int32(len(r.stalledNames))
	st.ReadyChildren = fmt.Sprintf("%d/%d", st.Ready, st.Selected)
	st.Children, st.ChildrenNotListed = attention(r.children)
	st.SpaceliftID = r.adminID
	st.ObservedGeneration = obj.Generation
	if s.forced != "" {
		st.LastHandledReconcileAt = s.forced
	}
	st.Conditions = adminStackConditions(adminStackOutcome{
		stalled: s.stalled, waiting: s.waiting, suspended: obj.Spec.Suspend, synced: s.synced, rollup: r,
	}, st.Conditions, obj.Generation)
}

// maxListedChildren bounds status.children.
const maxListedChildren = 50

// attention keeps the children (sorted by name) that need attention: not
// Ready, Drifted, or kept by prune: false; at most maxListedChildren, and how
// many more there are.
func attention(children []spaceliftv1alpha1.ChildStatus) ([]spaceliftv1alpha1.ChildStatus, int32) {
	var out []spaceliftv1alpha1.ChildStatus
	more := int32(0)
	for _, c := range children {
		if c.Ready && !c.Drifted && !c.PruneSkipped {
			continue
		}
		if len(out) == maxListedChildren {
			more++
			continue
		}
		out = append(out, c)
	}
	return out, more
}

// countOf writes n with the singular or plural noun: "1 child", "2 children".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// firstFew joins the first n names and says how many more there are.
func firstFew(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
