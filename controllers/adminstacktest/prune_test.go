package adminstacktest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// A one-character typo in a filter selects nothing: the prune guard stalls
// the AdminStack with PruneBlocked, listing what would go, and deletes
// nothing; the confirmation for exactly that change lets exactly the listed
// children go.
func TestPruneGuardBlocksUntilConfirmed(t *testing.T) {
	ns, a := sampleChildrenWritten(t, nil)
	all := withAdmin(samplePlatChildren, "plat-admin-admin")

	update(t, a, func(a *spaceliftv1alpha1.AdminStack) { a.Spec.ContextFilters.Tenants = []string{"platx"} })
	a = waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionStalled, yes, spaceliftv1alpha1.ReasonPruneBlocked, "")
	msg := meta.FindStatusCondition(a.Status.Conditions, spaceliftv1alpha1.ConditionStalled).Message
	wantStart := "this change would delete 6 of 6 children (every child): "
	if len(samplePlatChildren) != 6 {
		t.Fatalf("the sample has %d children; update the expected message", len(samplePlatChildren))
	}
	if !strings.HasPrefix(msg, wantStart) || !strings.Contains(msg, "nothing was deleted") {
		t.Errorf("Stalled message = %q", msg)
	}
	_, token, ok := strings.Cut(msg, spaceliftv1alpha1.AnnotationConfirmPrune+"=")
	if !ok {
		t.Fatalf("the message names no confirmation: %q", msg)
	}
	token, _, _ = strings.Cut(token, ";")
	if got := stackNames(t, ns); !slices.Equal(got, sorted(all)) {
		t.Fatalf("children were deleted before the confirmation: %v", got)
	}

	update(t, a, func(a *spaceliftv1alpha1.AdminStack) {
		if a.Annotations == nil {
			a.Annotations = map[string]string{}
		}
		a.Annotations[spaceliftv1alpha1.AnnotationConfirmPrune] = token
	})
	waitForStacks(t, ns, "plat-admin-admin")
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// A misspelt token in atmos.yaml's stacks.name_pattern is named, not only
// the duplicate stack names it causes.
func TestNamePatternTypoIsNamed(t *testing.T) {
	ns := newNamespace(t)
	for _, cm := range sampleConfigMaps(t, ns) {
		if cm.Name == "atmos-config" {
			for k, v := range cm.Data {
				if strings.Contains(v, "name_pattern") {
					cm.Data[k] = strings.Replace(v, "{tenant}", "{tennant}", 1)
				}
			}
		}
		create(t, cm)
	}
	createSamplePolicy(t, ns)
	create(t, sampleAdminStack(t, ns))
	a := waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionStalled, yes, spaceliftv1alpha1.ReasonInvalidSpec, "")
	msg := meta.FindStatusCondition(a.Status.Conditions, spaceliftv1alpha1.ConditionStalled).Message
	if !strings.HasPrefix(msg, `atmos.yaml: stacks.name_pattern part "{tennant}" is not a token`) {
		t.Errorf("Stalled message = %q", msg)
	}
}

// A Stalled child makes the AdminStack Stalled (kstatus: Failed, Argo CD:
// Degraded) instead of an endless Progressing; the READY column counts.
func TestStalledChildrenStallTheParent(t *testing.T) {
	ns, _ := sampleChildrenWritten(t, nil)
	for _, name := range withAdmin(samplePlatChildren, "plat-admin-admin") {
		setChildStatus(t, ns, name, childState{ready: true, id: name})
	}
	a := waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionReady, yes, spaceliftv1alpha1.ReasonSucceeded, "")
	if a.Status.ReadyChildren != "6/6" {
		t.Errorf("readyChildren = %q, want 6/6", a.Status.ReadyChildren)
	}
	eventually(t, func() error {
		s := &spaceliftv1alpha1.Stack{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "plat-ue2-dev-vpc"}, s); err != nil {
			return err
		}
		before := s.DeepCopy()
		meta.SetStatusCondition(&s.Status.Conditions, metav1.Condition{Type: spaceliftv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: "AlreadyExists", Message: "m"})
		meta.SetStatusCondition(&s.Status.Conditions, metav1.Condition{Type: spaceliftv1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: "AlreadyExists", Message: "m"})
		return k8s.Status().Patch(context.Background(), s, client.MergeFrom(before))
	})
	a = waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionStalled, yes, spaceliftv1alpha1.ReasonChildrenStalled,
		"1 stack is Stalled: plat-ue2-dev-vpc (AlreadyExists)")
	if a.Status.ReadyChildren != "5/6" || a.Status.Stalled != 1 {
		t.Errorf("readyChildren = %q, stalled = %d; want 5/6 and 1", a.Status.ReadyChildren, a.Status.Stalled)
	}
}
