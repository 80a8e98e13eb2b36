package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// stackCreates counts the stackCreate mutations the emulator executed.
func stackCreates() int {
	n := 0
	for _, op := range emu.Operations() {
		if slices.Contains(op.Fields, "stackCreate") {
			n++
		}
	}
	return n
}

// A create that landed before the operator confirmed it (the id is on the
// object, status.spaceliftID is not) is found, not repeated: by its id, and,
// for an older operator's create-pending mark whose stack got another id, by
// its ownership label.
func TestStackCreateLandedBeforeConfirmation(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, id    string
		annotations func(id string) map[string]string
	}{
		{"id written, status lost", "landed-by-id", func(id string) map[string]string {
			return map[string]string{spaceliftv1alpha1.AnnotationSpaceliftID: id}
		}},
		{"older create-pending mark, stack under another id", "landed-elsewhere", func(string) map[string]string {
			return map[string]string{spaceliftv1alpha1.AnnotationCreatePending: "landed-by-mark"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := newStack(tc.name[:2]+"-"+tc.id, nil)
			in := desiredStackInput(obj)
			if _, err := sl.CreateStack(ctx, in, spacelift.CreateStackOptions{ManageState: true, Slug: tc.id}); err != nil {
				t.Fatal(err)
			}
			emu.ClearOperations()
			obj.Annotations = tc.annotations(tc.id)
			// The create was sent by an earlier leader: the object is
			// noted (as it is when a process begins to lead) before its
			// first reconcile.
			obj.Spec.Suspend = true
			create(t, obj)
			defer deleteAndWaitGone(t, obj)
			stackReconciler.creates.sending(obj.UID)
			update(t, obj, func() { obj.Spec.Suspend = false })
			waitStackCondition(t, obj, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
			if n := stackCreates(); n != 0 {
				t.Errorf("%d stackCreate requests; the landed stack must be found instead", n)
			}
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
				t.Fatal(err)
			}
			if obj.Status.SpaceliftID != tc.id || obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID] != tc.id || obj.Annotations[spaceliftv1alpha1.AnnotationCreatePending] != "" {
				t.Errorf("status.spaceliftID %q, annotations %v; want %s confirmed and no create-pending mark", obj.Status.SpaceliftID, obj.Annotations, tc.id)
			}
		})
	}
}

// A create Spacelift refuses leaves no id on the object, so that fixing the
// spec (here the space) creates the stack under the name then in force.
func TestStackRefusedCreateForgetsTheID(t *testing.T) {
	ctx := context.Background()
	obj := newStack("refused-create", func(spec *spaceliftv1alpha1.StackSpec) { spec.Space = "no-such-space" })
	create(t, obj)
	defer deleteAndWaitGone(t, obj)
	waitStackCondition(t, obj, spaceliftv1alpha1.ConditionStalled, metav1.ConditionTrue, spaceliftv1alpha1.ReasonRejectedBySpacelift)
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatal(err)
	}
	if id, ok := obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]; ok {
		t.Errorf("the refused create left the id %q on the object", id)
	}
	update(t, obj, func() {
		obj.Spec.Space = "root"
		obj.Spec.Name = "refused-create-renamed"
	})
	waitStackCondition(t, obj, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	if _, err := spaceliftStack(t, "refused-create-renamed"); err != nil {
		t.Errorf("the stack was not created under the new name: %v", err)
	}
}

// An object that arrives with its id and finalizer already written (as an
// AdminStack creates its children) after this operator began to lead has no
// create that may have landed: it is created without being read first.
func TestStackSeededIDCreatedWithoutRead(t *testing.T) {
	ctx := context.Background()
	eventually(t, 10*time.Second, func() error {
		if !stackReconciler.creates.noneSent("") {
			return errors.New("the create ledger has not started")
		}
		return nil
	})
	obj := newStack("seeded-id", nil)
	obj.Annotations = map[string]string{spaceliftv1alpha1.AnnotationSpaceliftID: "seeded-id"}
	obj.Finalizers = []string{spaceliftv1alpha1.Finalizer}
	emu.ClearOperations()
	create(t, obj)
	defer deleteAndWaitGone(t, obj)
	waitStackCondition(t, obj, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	if n := stackCreates(); n != 1 {
		t.Errorf("%d stackCreate requests, want 1", n)
	}
	for _, op := range emu.Operations() {
		if op.Name == "StackObserve" && op.Variables["id"] == "seeded-id" {
			t.Errorf("the stack was read before its create: %+v", op)
		}
	}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatal(err)
	}
	if obj.Status.SpaceliftID != "seeded-id" || obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID] != "seeded-id" {
		t.Errorf("status.spaceliftID %q, annotations %v; want seeded-id confirmed", obj.Status.SpaceliftID, obj.Annotations)
	}
}

// A new Stack whose dependency cannot get its id (here suspended) reports
// the wait at once; once the dependency has its stack, the dependent is
// synced with it.
func TestStackWaitForStuckDependencyIsReported(t *testing.T) {
	dep := newStack("stuck-dependency", func(spec *spaceliftv1alpha1.StackSpec) { spec.Suspend = true })
	create(t, dep)
	defer deleteAndWaitGone(t, dep)
	app := newStack("waits-for-stuck", func(spec *spaceliftv1alpha1.StackSpec) {
		spec.Dependencies = []spaceliftv1alpha1.StackDependency{{StackRef: &spaceliftv1alpha1.LocalObjectReference{Name: dep.Name}}}
	})
	create(t, app)
	defer deleteAndWaitGone(t, app)
	start := time.Now()
	waitStackCondition(t, app, spaceliftv1alpha1.ConditionReady, metav1.ConditionFalse, spaceliftv1alpha1.ReasonDependencyNotReady)
	if waited := time.Since(start); waited >= quietWaitLimit {
		t.Errorf("the wait for a suspended dependency was reported after %s", waited)
	}
	update(t, dep, func() { dep.Spec.Suspend = false })
	waitStackCondition(t, app, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
}

// An id an AdminStack wrote into a child it created is forgotten when the
// stack under it belongs to another object, as the controller's own would
// be: renaming the child then creates its stack under the new name.
func TestStackSeededForeignIDIsForgotten(t *testing.T) {
	ctx := context.Background()
	in := desiredStackInput(newStack("other-teams-stack", nil))
	in.Labels = append(in.Labels, ownerLabel("other-team", "their-stack"))
	if _, err := sl.CreateStack(ctx, in, spacelift.CreateStackOptions{ManageState: true, Slug: "other-teams-stack"}); err != nil {
		t.Fatal(err)
	}
	obj := newStack("seeded-foreign", func(spec *spaceliftv1alpha1.StackSpec) { spec.Name = "other-teams-stack" })
	obj.Annotations = map[string]string{spaceliftv1alpha1.AnnotationSpaceliftID: "other-teams-stack"}
	obj.Finalizers = []string{spaceliftv1alpha1.Finalizer}
	obj.OwnerReferences = []metav1.OwnerReference{{APIVersion: spaceliftv1alpha1.GroupVersion.String(), Kind: "AdminStack",
		Name: "plat-admin", UID: "7d1c5f0e-seeded", Controller: new(true)}}
	create(t, obj)
	defer deleteAndWaitGone(t, obj)
	waitStackCondition(t, obj, spaceliftv1alpha1.ConditionStalled, metav1.ConditionTrue, spaceliftv1alpha1.ReasonOwnedByAnother)
	eventually(t, 10*time.Second, func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		if id, ok := obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]; ok {
			return fmt.Errorf("the other team's id %q is still on the child", id)
		}
		return nil
	})
	update(t, obj, func() { obj.Spec.Name = "seeded-foreign-renamed" })
	waitStackCondition(t, obj, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	if _, err := spaceliftStack(t, "seeded-foreign-renamed"); err != nil {
		t.Errorf("the stack was not created under the new name: %v", err)
	}
	theirs, err := spaceliftStack(t, "other-teams-stack")
	if err != nil || !slices.Contains(theirs.Labels, ownerLabel("other-team", "their-stack")) || slices.Contains(theirs.Labels, ownerLabel(obj.Namespace, obj.Name)) {
		t.Errorf("the other team's stack changed: %+v, %v", theirs, err)
	}
}
