package controllers

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/adminstack"
)

// testChild is a child Stack at generation 2 whose status describes gen.
func testChild(name string, gen int64, ready bool, drift metav1.ConditionStatus) *spaceliftv1alpha1.Stack {
	s := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: name, Generation: 2}, Spec: spaceliftv1alpha1.StackSpec{Name: "sl-" + name}}
	s.Status.ObservedGeneration = gen
	s.Status.SpaceliftID = "id-" + name
	st := metav1.ConditionFalse
	if ready {
		st = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&s.Status.Conditions, metav1.Condition{Type: spaceliftv1alpha1.ConditionReady, Status: st, Reason: "R"})
	if drift != "" {
		meta.SetStatusCondition(&s.Status.Conditions, metav1.Condition{Type: spaceliftv1alpha1.ConditionDrifted, Status: drift, Reason: "R"})
	}
	return s
}

// wanted is a desired child Stack: no status.
func wanted(name string) *spaceliftv1alpha1.Stack {
	return &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spaceliftv1alpha1.StackSpec{Name: "sl-" + name}}
}

func TestRollUpChildren(t *testing.T) {
	admin := &spaceliftv1alpha1.AdminStack{ObjectMeta: metav1.ObjectMeta{Name: "plat"}, Spec: spaceliftv1alpha1.AdminStackSpec{Prune: true}}
	desired := &adminstack.Desired{
		Admin:  &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: "plat-admin"}},
		Stacks: []*spaceliftv1alpha1.Stack{wanted("a"), wanted("b"), wanted("c")},
	}
	observed := map[string]client.Object{
		"Stack/plat-admin": testChild("plat-admin", 2, true, ""),
		"Stack/a":          testChild("a", 2, true, metav1.ConditionTrue),
		"Stack/b":          testChild("b", 1, true, metav1.ConditionUnknown), // Ready for an older generation
		"Stack/old":        testChild("old", 2, true, metav1.ConditionFalse),
	}
	status := func(name, id string, ready, drifted, kept bool) spaceliftv1alpha1.ChildStatus {
		return spaceliftv1alpha1.ChildStatus{Name: name, Kind: "Stack", StackName: "sl-" + name, SpaceliftID: id, Ready: ready, Drifted: drifted, PruneSkipped: kept}
	}

	for _, tc := range []struct {
		name    string
		prune   bool
		desired *adminstack.Desired
		want    adminStackRollup
	}{
		{"prune on: leftovers are being deleted and not listed", true, desired, adminStackRollup{
			children: []spaceliftv1alpha1.ChildStatus{status("a", "id-a", true, true, false), status("b", "id-b", false, false, false), status("c", "", false, false, false)},
			selected: 3, ready: 1, drifted: 1,
			notReady: []string{"b", "c"}, total: 4, driftedNames: []string{"a"}, driftKnown: true, adminID: "id-plat-admin",
		}},
		{"prune off: leftovers are kept and do not count", false, desired, adminStackRollup{
			children: []spaceliftv1alpha1.ChildStatus{status("a", "id-a", true, true, false), status("b", "id-b", false, false, false),
				status("c", "", false, false, false), status("old", "id-old", true, false, true)},
			selected: 3, ready: 1, drifted: 1,
			notReady: []string{"b", "c"}, total: 4, driftedNames: []string{"a"}, driftKnown: true, adminID: "id-plat-admin",
		}},
		{"no desired set: every observed child is listed", true, nil, adminStackRollup{
			children: []spaceliftv1alpha1.ChildStatus{status("a", "id-a", true, true, false), status("b", "id-b", false, false, false), status("old", "id-old", true, false, false)},
			ready:    2, drifted: 1,
			notReady: []string{"b"}, total: 4, driftedNames: []string{"a"}, driftKnown: true, adminID: "id-plat-admin",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := admin.DeepCopy()
			a.Spec.Prune = tc.prune
			got := rollUpChildren(a, tc.desired, observed)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(adminStackRollup{})); diff != "" {
				t.Errorf("rollup (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("a stalled child is counted with its reason; a stale Stalled is not", func(t *testing.T) {
		stalled := testChild("c", 2, false, "")
		meta.SetStatusCondition(&stalled.Status.Conditions, metav1.Condition{Type: spaceliftv1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: "AlreadyExists"})
		stale := testChild("b", 1, false, "") // Stalled for an older generation
		meta.SetStatusCondition(&stale.Status.Conditions, metav1.Condition{Type: spaceliftv1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: "InvalidSpec"})
		obs := map[string]client.Object{"Stack/plat-admin": observed["Stack/plat-admin"], "Stack/a": observed["Stack/a"], "Stack/b": stale, "Stack/c": stalled}
		got := rollUpChildren(admin, desired, obs)
		if !cmp.Equal(got.stalledNames, []string{"c (AlreadyExists)"}) {
			t.Errorf("stalledNames = %v", got.stalledNames)
		}
	})

	t.Run("admin stack not observed yet", func(t *testing.T) {
		got := rollUpChildren(admin, &adminstack.Desired{Admin: desired.Admin}, nil)
		if !cmp.Equal(got.notReady, []string{"admin stack plat-admin"}) || got.total != 1 || got.adminID != "" {
			t.Errorf("rollup = %+v", got)
		}
	})
}

func TestAdminStackConditions(t *testing.T) {
	type cond struct {
		status  metav1.ConditionStatus
		reason  string
		message string
	}
	const yes, no, unk = metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown
	ready := adminStackRollup{total: 3}
	notReady := adminStackRollup{total: 8, notReady: []string{"admin stack x-admin", "a", "b", "c", "d", "e", "f"}, driftKnown: true}
	drifted := adminStackRollup{total: 3, driftedNames: []string{"a", "b"}, driftKnown: true}
	oneDrifted := adminStackRollup{total: 2, driftedNames: []string{"a"}, driftKnown: true}
	stalledChildren := adminStackRollup{total: 3, notReady: []string{"a", "b"}, stalledNames: []string{"a (AlreadyExists)", "b (NotPermitted)"}, driftKnown: true}
	for _, tc := range []struct {
		name                                   string
		o                                      adminStackOutcome
		ready, reconciling, stalled, driftCond cond
	}{
		{"all Ready", adminStackOutcome{synced: true, rollup: ready},
			cond{yes, "Succeeded", "the admin stack and its 2 children are Ready"}, cond{no, "Succeeded", ""}, cond{no, "Succeeded", ""},
			cond{unk, "NotYetChecked", "no child reports a drift-detection result"}},
		{"children not Ready", adminStackOutcome{synced: true, rollup: notReady},
			cond{no, "ChildrenNotReady", "7 of 8 stacks are not Ready: admin stack x-admin, a, b, c, d and 2 more"}, cond{yes, "ChildrenNotReady", ""}, cond{no, "ChildrenNotReady", ""},
			cond{no, "NoDrift", "no child drifted"}},
		{"drifted children", adminStackOutcome{synced: true, rollup: drifted},
			cond{yes, "Succeeded", ""}, cond{no, "Succeeded", ""}, cond{no, "Succeeded", ""},
			cond{yes, "DriftDetected", "2 children drifted: a, b"}},
		{"one drifted child", adminStackOutcome{synced: true, rollup: oneDrifted},
			cond{yes, "Succeeded", "the admin stack and its 1 child are Ready"}, cond{no, "Succeeded", ""}, cond{no, "Succeeded", ""},
			cond{yes, "DriftDetected", "1 child drifted: a"}},
		{"stalled children stall the parent", adminStackOutcome{synced: true, rollup: stalledChildren},
			cond{no, "ChildrenStalled", "2 stacks are Stalled: a (AlreadyExists), b (NotPermitted)"}, cond{no, "ChildrenStalled", ""},
			cond{yes, "ChildrenStalled", "2 stacks are Stalled: a (AlreadyExists), b (NotPermitted)"}, cond{no, "NoDrift", ""}},
		{"stalled wins over ready children", adminStackOutcome{stalled: &condition{"InvalidSpec", "1 problem: x"}, rollup: ready},
			cond{no, "InvalidSpec", "1 problem: x"}, cond{no, "InvalidSpec", ""}, cond{yes, "InvalidSpec", "1 problem: x"}, cond{unk, "NotYetChecked", ""}},
		{"waiting for the source", adminStackOutcome{waiting: &condition{"SourceUnavailable", "reading the Git source: timeout"}, rollup: drifted},
			cond{no, "SourceUnavailable", "reading the Git source: timeout"}, cond{yes, "SourceUnavailable", ""}, cond{no, "SourceUnavailable", ""},
			cond{yes, "DriftDetected", ""}},
		{"suspended", adminStackOutcome{suspended: true, stalled: &condition{"InvalidSpec", "x"}, rollup: ready},
			cond{no, "Suspended", ""}, cond{no, "Suspended", ""}, cond{no, "Suspended", ""}, cond{unk, "NotYetChecked", ""}},
		{"not applied yet", adminStackOutcome{rollup: ready},
			cond{unk, "Progressing", ""}, cond{yes, "Progressing", ""}, cond{no, "Progressing", ""}, cond{unk, "NotYetChecked", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conds := adminStackConditions(tc.o, nil, 7)
			for typ, want := range map[string]cond{
				spaceliftv1alpha1.ConditionReady: tc.ready, spaceliftv1alpha1.ConditionReconciling: tc.reconciling,
				spaceliftv1alpha1.ConditionStalled: tc.stalled, spaceliftv1alpha1.ConditionDrifted: tc.driftCond,
			} {
				c := meta.FindStatusCondition(conds, typ)
				if c == nil {
					t.Fatalf("no %s condition", typ)
				}
				if c.Status != want.status || c.Reason != want.reason || (want.message != "" && c.Message != want.message) || c.ObservedGeneration != 7 {
					t.Errorf("%s = %s/%s %q (generation %d), want %s/%s %q", typ, c.Status, c.Reason, c.Message, c.ObservedGeneration, want.status, want.reason, want.message)
				}
			}
		})
	}
}

func TestStampAppliedHash(t *testing.T) {
	mk := func(desc string) *spaceliftv1alpha1.Stack {
		return &spaceliftv1alpha1.Stack{
			TypeMeta:   metav1.TypeMeta{APIVersion: "spacelift.stackwright.io/v1alpha1", Kind: "Stack"},
			ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"},
			Spec:       spaceliftv1alpha1.StackSpec{Repository: "r", Branch: "main", Description: desc},
		}
	}
	a, b := mk("one"), mk("one")
	ha, err := stampAppliedHash(a)
	if err != nil {
		t.Fatal(err)
	}
	b.Annotations = map[string]string{adminstack.AnnotationAppliedHash: "stale"}
	hb, _ := stampAppliedHash(b)
	hc, _ := stampAppliedHash(mk("two"))
	if ha != hb || a.Annotations[adminstack.AnnotationAppliedHash] != ha || hb != b.Annotations[adminstack.AnnotationAppliedHash] {
		t.Errorf("hashes of equal objects: %s, %s (annotations %v, %v)", ha, hb, a.Annotations, b.Annotations)
	}
	if ha == hc {
		t.Error("the hash does not change with the spec")
	}
	body, err := applyBodyOf(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := body.Object["status"]; ok {
		t.Error("the apply body has a status")
	}
	if spec := body.Object["spec"].(map[string]any); spec["hooks"] != nil {
		t.Errorf("the apply body claims empty mappings: %v", spec)
	}
}

func TestAttention(t *testing.T) {
	var children []spaceliftv1alpha1.ChildStatus
	for i := range 120 {
		children = append(children, spaceliftv1alpha1.ChildStatus{Name: fmt.Sprintf("c%03d", i), Ready: i%2 == 0, Drifted: i == 10, PruneSkipped: i == 20})
	}
	got, more := attention(children)
	if len(got) != maxListedChildren || more != 62-maxListedChildren {
		t.Fatalf("listed %d, more %d; want %d and %d", len(got), more, maxListedChildren, 62-maxListedChildren)
	}
	if got[0].Name != "c001" || got[5].Name != "c010" || !got[5].Drifted || got[10].Name != "c019" || got[11].Name != "c020" {
		t.Errorf("listed = %v", got[:12])
	}
	if got, more := attention(children[:1]); len(got) != 0 || more != 0 {
		t.Errorf("a Ready child is listed: %v, %d", got, more)
	}
}
