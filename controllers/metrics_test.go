package controllers

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

func TestObjectsCollector(t *testing.T) {
	scheme := runtime.NewScheme()
	_ = spaceliftv1alpha1.AddToScheme(scheme)
	cond := func(typ string, st metav1.ConditionStatus, reason string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: st, Reason: reason}
	}
	stack := func(name string, conds ...metav1.Condition) *spaceliftv1alpha1.Stack {
		s := newStack(name, nil)
		s.Status.Conditions = conds
		return s
	}
	admin := &spaceliftv1alpha1.AdminStack{ObjectMeta: metav1.ObjectMeta{Name: "plat", Namespace: "default"}}
	admin.Status.Selected, admin.Status.Ready, admin.Status.Drifted = 5, 4, 1
	a := stack("a", cond("Ready", "True", "Succeeded"), cond("Drifted", "True", "DriftDetected"))
	a.Status.SpaceliftID = "net-a"
	a.Status.LastTrackedRun = &spaceliftv1alpha1.RunStatus{ID: "run-1", State: "UNCONFIRMED", Plan: &spaceliftv1alpha1.PlanStatus{Add: 2, Change: 1, Summary: "+2 ~1 -0"}}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(
		a,
		stack("b", cond("Ready", "True", "Succeeded"), cond("Drifted", "False", "NoDrift")),
		stack("c", cond("Ready", "False", "AlreadyExists"), cond("Stalled", "True", "AlreadyExists")),
		&spaceliftv1alpha1.Policy{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"}},
		admin,
	).Build()
	want := `
# HELP spacelift_operator_adminstack_children Child stacks an AdminStack selects, and how many are ready and drifted.
# TYPE spacelift_operator_adminstack_children gauge
spacelift_operator_adminstack_children{name="plat",namespace="default",state="drifted"} 1
spacelift_operator_adminstack_children{name="plat",namespace="default",state="ready"} 4
spacelift_operator_adminstack_children{name="plat",namespace="default",state="selected"} 5
# HELP spacelift_operator_drifted_stacks Stacks whose Drifted condition is True.
# TYPE spacelift_operator_drifted_stacks gauge
spacelift_operator_drifted_stacks 1
# HELP spacelift_operator_stalled_objects Objects whose Stalled condition is True, by kind and reason.
# TYPE spacelift_operator_stalled_objects gauge
spacelift_operator_stalled_objects{kind="Stack",reason="AlreadyExists"} 1
`
	if err := testutil.CollectAndCompare(newObjectsCollector(c), strings.NewReader(want),
		"spacelift_operator_adminstack_children", "spacelift_operator_drifted_stacks", "spacelift_operator_stalled_objects"); err != nil {
		t.Error(err)
	}
	info := `
# HELP spacelift_operator_object_info One series per object, always 1, naming it with its Ready status and reason, Stalled and Drifted statuses, Spacelift id and, for stacks, the state and plan summary of the newest tracked run, so that alerts and dashboards can name the stack.
# TYPE spacelift_operator_object_info gauge
spacelift_operator_object_info{drifted="",kind="AdminStack",name="plat",namespace="default",plan="",ready="Unknown",reason="",run_state="",stack_id="",stalled="Unknown"} 1
spacelift_operator_object_info{drifted="",kind="Policy",name="p",namespace="default",plan="",ready="Unknown",reason="",run_state="",stack_id="",stalled="Unknown"} 1
spacelift_operator_object_info{drifted="False",kind="Stack",name="b",namespace="default",plan="",ready="True",reason="Succeeded",run_state="",stack_id="",stalled="Unknown"} 1
spacelift_operator_object_info{drifted="True",kind="Stack",name="a",namespace="default",plan="+2 ~1 -0",ready="True",reason="Succeeded",run_state="UNCONFIRMED",stack_id="net-a",stalled="Unknown"} 1
spacelift_operator_object_info{drifted="Unknown",kind="Stack",name="c",namespace="default",plan="",ready="False",reason="AlreadyExists",run_state="",stack_id="",stalled="True"} 1
`
	if err := testutil.CollectAndCompare(newObjectsCollector(c), strings.NewReader(info), "spacelift_operator_object_info"); err != nil {
		t.Error(err)
	}
	n, err := testutil.GatherAndCount(mustRegistry(t, newObjectsCollector(c)), "spacelift_operator_objects")
	if err != nil || n != 9 {
		t.Errorf("spacelift_operator_objects series = %d, err %v (want 3 kinds x 3 statuses)", n, err)
	}
}

func mustRegistry(t *testing.T, c prometheus.Collector) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	return reg
}
