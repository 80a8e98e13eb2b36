package plugin

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

const (
	condTrueS  = metav1.ConditionTrue
	condFalseS = metav1.ConditionFalse
)

func newStack(ns, name string) *v1.Stack {
	return &v1.Stack{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1.StackSpec{Repository: "acme/infrastructure", Branch: "main", Terraform: &v1.TerraformVendor{}}}
}

// controlledBy makes owner the controller of obj, as the AdminStack
// controller does for its children.
func controlledBy(obj client.Object, owner *v1.AdminStack) {
	obj.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: v1.GroupVersion.String(), Kind: "AdminStack",
		Name: owner.Name, UID: owner.UID, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}})
}

func TestGet(t *testing.T) {
	ns := namespace(t, "get")
	net := newStack(ns, "get-net")
	create(t, net, func() {
		net.Status.SpaceliftID = "networking-prod"
		net.Status.LastTrackedRun = &v1.RunStatus{ID: "01TRACKED", Type: "TRACKED", State: "FINISHED",
			Plan: &v1.PlanStatus{Add: 2, Change: 1, Summary: "+2 ~1 -0"}}
		net.Status.Conditions = []metav1.Condition{
			cond(v1.ConditionReady, condTrueS, v1.ReasonSucceeded, "Stack networking-prod is in sync"),
			cond(v1.ConditionDrifted, condFalseS, v1.ReasonNoDrift, "No drift found"),
		}
	})
	create(t, newStack(ns, "get-new"), nil)
	app := newStack(ns, "get-app")
	create(t, app, func() {
		app.Status.Conditions = []metav1.Condition{
			cond(v1.ConditionReady, condFalseS, v1.ReasonAlreadyExists, "a stack named app exists in Spacelift and is not ours"),
			cond(v1.ConditionStalled, condTrueS, v1.ReasonAlreadyExists, "a stack named app exists in Spacelift and is not ours"),
		}
	})
	pol := &v1.Policy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "get-approve"},
		Spec: v1.PolicySpec{Type: "PLAN", Body: ptr.To("package spacelift\n")}}
	create(t, pol, func() {
		pol.Status.SpaceliftID = "get-approve"
		pol.Status.Conditions = []metav1.Condition{cond(v1.ConditionReady, condTrueS, v1.ReasonSucceeded, "Policy get-approve is in sync")}
	})
	adm := &v1.AdminStack{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "get-admin"},
		Spec: v1.AdminStackSpec{Repository: "acme/infrastructure", Source: v1.AtmosSource{ConfigMaps: []v1.ConfigMapMount{{Name: "tree"}}}}}
	create(t, adm, func() {
		adm.Status.SpaceliftID = "get-admin"
		adm.Status.ReadyChildren, adm.Status.Ready, adm.Status.Selected, adm.Status.Stalled = "2/3", 2, 3, 1
		adm.Status.Conditions = []metav1.Condition{
			cond(v1.ConditionReady, condFalseS, v1.ReasonChildrenStalled, "1 of 3 children is Stalled: app"),
			cond(v1.ConditionDrifted, condFalseS, v1.ReasonNoDrift, "No child drifted"),
		}
	})

	code, out, errOut := run(t, "get", "stacks", "-n", ns)
	if code != 0 {
		t.Fatalf("get stacks: exit %d: %s", code, errOut)
	}
	wantOutput(t, "get stacks", out, ""+
		"NAME      READY     DRIFTED   SPACELIFT ID      PLAN       AGE    STATUS\n"+
		"get-app   False     Unknown   -                 -          2d2h   a stack named app exists in Spacelift and is not ours\n"+
		"get-net   True      False     networking-prod   +2 ~1 -0   2d2h   Stack networking-prod is in sync\n"+
		"get-new   Unknown   Unknown   -                 -          2d2h   -\n")

	_, out, _ = run(t, "get", "policies", "-n", ns)
	wantOutput(t, "get policies", out, ""+
		"NAME          TYPE   READY   SPACELIFT ID   AGE    STATUS\n"+
		"get-approve   PLAN   True    get-approve    2d2h   Policy get-approve is in sync\n")

	_, out, _ = run(t, "get", "sladmin", "-n", ns)
	wantOutput(t, "get adminstacks", out, ""+
		"NAME        READY   CHILDREN READY   DRIFTED   STALLED   SPACELIFT ID   AGE    STATUS\n"+
		"get-admin   False   2/3              False     1         get-admin      2d2h   1 of 3 children is Stalled: app\n")

	// -A with a name: the NAMESPACE column, flags after the arguments.
	_, out, _ = run(t, "get", "stacks", "get-net", "-A")
	wantOutput(t, "get stacks get-net -A", out, ""+
		"NAMESPACE   NAME      READY   DRIFTED   SPACELIFT ID      PLAN       AGE    STATUS\n"+
		"get         get-net   True    False     networking-prod   +2 ~1 -0   2d2h   Stack networking-prod is in sync\n")

	code, out, errOut = run(t, "get", "stacks", "-n", "get-empty")
	if code != 0 || out != "" || errOut != "no stacks found in namespace get-empty\n" {
		t.Errorf("empty namespace: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = run(t, "get", "widgets", "-n", ns)
	if code != 2 || !strings.Contains(errOut, `unknown kind "widgets": use stacks, policies or adminstacks`) {
		t.Errorf("unknown kind: exit %d, stderr %q", code, errOut)
	}
}

func TestDrift(t *testing.T) {
	ns := namespace(t, "drift")
	checked := metav1.NewTime(testNow.Add(-3 * time.Hour))
	vpc := newStack(ns, "vpc")
	create(t, vpc, func() {
		vpc.Status.SpaceliftID = "plat-ue2-dev-vpc"
		vpc.Status.Conditions = []metav1.Condition{cond(v1.ConditionDrifted, condTrueS, v1.ReasonDriftDetected, "3 resources drifted")}
		vpc.Status.Drift = &v1.DriftStatus{Drifted: true, DriftedResources: 3, RunID: "01DRIFT", ReconcileRunID: "01RECONCILE", CheckedAt: &checked,
			Resources: []string{"aws_route_table.private[0]", "aws_vpc.main"}}
	})
	eks := newStack(ns, "eks")
	create(t, eks, func() {
		eks.Status.Conditions = []metav1.Condition{cond(v1.ConditionDrifted, condFalseS, v1.ReasonNoDrift, "No drift found")}
	})
	code, out, errOut := run(t, "drift", "-n", ns)
	if code != 0 {
		t.Fatalf("drift: exit %d: %s", code, errOut)
	}
	wantOutput(t, "drift", out, ""+
		"NAME   SPACELIFT ID       RESOURCES   DRIFT RUN   CHECKED   RECONCILE RUN   MESSAGE\n"+
		"vpc    plat-ue2-dev-vpc   3           01DRIFT     3h ago    01RECONCILE     3 resources drifted\n"+
		"\n"+
		"vpc: 3 resources drifted, the first 2 listed:\n"+
		"  aws_route_table.private[0]\n"+
		"  aws_vpc.main\n")

	_, out, _ = run(t, "drift", "-n", "get-empty")
	wantOutput(t, "drift, nothing drifted", out, "no drifted Stacks in namespace get-empty\n")
}

func TestTree(t *testing.T) {
	ns := namespace(t, "tree")
	spec := v1.AdminStackSpec{Repository: "acme/infrastructure", Source: v1.AtmosSource{ConfigMaps: []v1.ConfigMapMount{{Name: "tree"}}}}
	root := &v1.AdminStack{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "root"}, Spec: spec}
	root.Spec.RootAdmin = true
	create(t, root, func() {
		root.Status.SpaceliftID, root.Status.ReadyChildren = "root", "2/3"
		root.Status.Conditions = []metav1.Condition{cond(v1.ConditionReady, condFalseS, v1.ReasonChildrenStalled, "1 of 3 children is Stalled")}
	})
	rootAdmin := newStack(ns, "root-admin")
	controlledBy(rootAdmin, root)
	create(t, rootAdmin, func() {
		rootAdmin.Status.SpaceliftID = "root"
		rootAdmin.Status.Conditions = []metav1.Condition{cond(v1.ConditionReady, condTrueS, v1.ReasonSucceeded, "in sync"),
			cond(v1.ConditionDrifted, condFalseS, v1.ReasonNoDrift, "No drift found")}
		rootAdmin.Status.LastRun = &v1.RunStatus{ID: "01ROOTRUN", Type: "TRACKED", State: "FINISHED"}
	})
	for _, name := range []string{"plat", "core"} {
		a := &v1.AdminStack{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
		controlledBy(a, root)
		create(t, a, func() {
			a.Status.SpaceliftID, a.Status.ReadyChildren = name+"-admin", "1/2"
			a.Status.Conditions = []metav1.Condition{cond(v1.ConditionReady, condTrueS, v1.ReasonSucceeded, "in sync"),
				cond(v1.ConditionDrifted, condTrueS, v1.ReasonDriftDetected, "1 child drifted")}
		})
		for _, child := range []string{name + "-vpc", name + "-eks"} {
			s := newStack(ns, child)
			controlledBy(s, a)
			create(t, s, func() {
				s.Status.SpaceliftID = child
				s.Status.Conditions = []metav1.Condition{cond(v1.ConditionReady, condTrueS, v1.ReasonSucceeded, "in sync"),
					cond(v1.ConditionDrifted, condFalseS, v1.ReasonNoDrift, "No drift found")}
				if child == "plat-vpc" {
					s.Status.SpaceliftID = ""
					s.Status.Conditions = []metav1.Condition{cond(v1.ConditionReady, condFalseS, v1.ReasonAlreadyExists, "exists"),
						cond(v1.ConditionStalled, condTrueS, v1.ReasonAlreadyExists, "exists")}
				}
				if child == "core-eks" {
					s.Status.LastRun = &v1.RunStatus{ID: "01PENDING", Type: "TRACKED", State: "UNCONFIRMED",
						Plan: &v1.PlanStatus{Add: 1, Summary: "+1 ~0 -0", Resources: []string{"+aws_eks_node_group.spot"}}}
				}
			})
		}
	}
	// An unrelated Stack in the namespace is not part of the tree.
	create(t, newStack(ns, "loose"), nil)

	code, out, errOut := run(t, "tree", "root", "-n", ns)
	if code != 0 {
		t.Fatalf("tree: exit %d: %s", code, errOut)
	}
	wantOutput(t, "tree", out, ""+
		"NAME                     READY   CHILDREN READY   DRIFTED   STALLED         LAST RUN                                   SPACELIFT ID\n"+
		"AdminStack/root          False   2/3              Unknown   -               -                                          root\n"+
		"├── Stack/root-admin     True    -                False     -               FINISHED TRACKED 01ROOTRUN                 root\n"+
		"├── AdminStack/core      True    1/2              True      -               -                                          core-admin\n"+
		"│   ├── Stack/core-eks   True    -                False     -               UNCONFIRMED TRACKED 01PENDING (+1 ~0 -0)   core-eks\n"+
		"│   └── Stack/core-vpc   True    -                False     -               -                                          core-vpc\n"+
		"└── AdminStack/plat      True    1/2              True      -               -                                          plat-admin\n"+
		"    ├── Stack/plat-eks   True    -                False     -               -                                          plat-eks\n"+
		"    └── Stack/plat-vpc   False   -                Unknown   AlreadyExists   -                                          -\n")

	code, _, errOut = run(t, "tree", "missing", "-n", ns)
	if code != 1 || !strings.Contains(errOut, `reading AdminStack tree/missing`) || !strings.Contains(errOut, "not found") {
		t.Errorf("missing AdminStack: exit %d, stderr %q", code, errOut)
	}
}

// TestReconcile plays the controller: once the annotation appears it
// records it in status.lastHandledReconcileAt, and --wait returns.
func TestReconcile(t *testing.T) {
	ns := namespace(t, "reconcile")
	s := newStack(ns, "net")
	create(t, s, nil)
	want := testNow.UTC().Format(time.RFC3339Nano)

	done := make(chan struct{})
	var code int
	var out, errOut string
	go func() {
		defer close(done)
		code, out, errOut = runCtx(t.Context(), "reconcile", "stack/net", "-n", ns, "--wait", "--timeout", "20s")
	}()
	key := client.ObjectKeyFromObject(s)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := k8s.Get(t.Context(), key, s); err != nil {
			t.Fatal(err)
		}
		if got := s.Annotations[v1.AnnotationReconcileRequestedAt]; got != "" {
			if got != want {
				t.Fatalf("annotation %q, want %q", got, want)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the reconcile annotation never appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Status.LastHandledReconcileAt = want
	s.Status.Conditions = []metav1.Condition{cond(v1.ConditionReady, condTrueS, v1.ReasonSucceeded, "Stack net is in sync")}
	if err := k8s.Status().Update(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	<-done
	if code != 0 {
		t.Fatalf("reconcile --wait: exit %d: %s", code, errOut)
	}
	wantOutput(t, "reconcile --wait", out, ""+
		"annotated Stack reconcile/net with reconcile.spacelift.stackwright.io/requestedAt="+want+"\n"+
		"waiting for the operator to handle it\n"+
		"Stack reconcile/net reconciled: Ready=True: Stack net is in sync\n")

	// Nobody handles the next request: --wait gives up and says why.
	code, out, errOut = runAt(t.Context(), testNow.Add(time.Minute), "reconcile", "stacks", "net", "-n", ns, "--wait", "--timeout", "200ms")
	if code != 1 || !strings.Contains(out, "requestedAt="+testNow.Add(time.Minute).UTC().Format(time.RFC3339Nano)) ||
		!strings.Contains(errOut, "timed out waiting after 200ms") ||
		!strings.Contains(errOut, `status.lastHandledReconcileAt is "`+want+`"`) {
		t.Errorf("unhandled request: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = run(t, "reconcile", "net", "-n", ns)
	if code != 2 || !strings.Contains(errOut, "name one object as KIND/NAME") {
		t.Errorf("no kind: exit %d, stderr %q", code, errOut)
	}
}

func TestConfirm(t *testing.T) {
	ns := namespace(t, "confirm")
	s := newStack(ns, "app")
	create(t, s, func() {
		s.Status.LastRun = &v1.RunStatus{ID: "01PROPOSED", Type: "PROPOSED", State: "FINISHED"}
		s.Status.LastTrackedRun = &v1.RunStatus{ID: "01PENDING", Type: "TRACKED", State: "UNCONFIRMED",
			Plan: &v1.PlanStatus{Add: 1, Delete: 2, Summary: "+1 ~0 -2", Resources: []string{"+aws_subnet.c", "-aws_subnet.a"}}}
	})
	code, out, errOut := run(t, "confirm", "app", "-n", ns)
	if code != 0 {
		t.Fatalf("confirm: exit %d: %s", code, errOut)
	}
	wantOutput(t, "confirm", out, ""+
		"run 01PENDING plans +1 ~0 -2:\n"+
		"  +aws_subnet.c\n"+
		"  -aws_subnet.a\n"+
		"  and 1 more\n"+
		"annotated Stack confirm/app with spacelift.stackwright.io/confirm-run=01PENDING\n"+
		"To approve from Git instead, add the annotation to the Stack's manifest, or run:\n"+
		"  kubectl annotate --overwrite -n confirm stacks.spacelift.stackwright.io/app spacelift.stackwright.io/confirm-run=01PENDING\n")
	if err := k8s.Get(t.Context(), client.ObjectKeyFromObject(s), s); err != nil {
		t.Fatal(err)
	}
	if got := s.Annotations[v1.AnnotationConfirmRun]; got != "01PENDING" {
		t.Errorf("confirm-run annotation %q", got)
	}

	// The run went on: nothing is pending, so the run must be named.
	s.Status.LastRun = &v1.RunStatus{ID: "01PENDING", Type: "TRACKED", State: "FINISHED"}
	s.Status.LastTrackedRun = s.Status.LastRun
	s.Status.LastHandledConfirmRequest = "01PENDING"
	if err := k8s.Status().Update(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, "confirm", "app", "-n", ns)
	if code != 1 || !strings.Contains(errOut, "no run of Stack confirm/app waits for confirmation (its last run, 01PENDING, is FINISHED): pass the RUN_ID of the run you mean") {
		t.Errorf("nothing pending: exit %d, stderr %q", code, errOut)
	}
	_, out, _ = run(t, "confirm", "app", "01PENDING", "-n", ns)
	wantOutput(t, "confirm of a handled run", out, "run 01PENDING of Stack confirm/app was already confirmed by the operator\n")
	_, out, _ = run(t, "confirm", "app", "01OTHER", "--dry-run", "-n", ns)
	wantOutput(t, "confirm --dry-run", out, ""+
		"would annotate Stack confirm/app with spacelift.stackwright.io/confirm-run=01OTHER\n"+
		"To approve from Git instead, add the annotation to the Stack's manifest, or run:\n"+
		"  kubectl annotate --overwrite -n confirm stacks.spacelift.stackwright.io/app spacelift.stackwright.io/confirm-run=01OTHER\n")
}
