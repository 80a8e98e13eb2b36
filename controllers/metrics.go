package controllers

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// objectsCollector reports, on each scrape, the objects by kind and Ready
// status, stalled objects, drifted stacks, the children of AdminStacks, and
// one info series per object (like Flux's gotk_resource_info).
// It reads the manager's cache, so a scrape sends no request to the API
// server or to Spacelift.
type objectsCollector struct {
	reader client.Reader

	objects  *prometheus.Desc
	stalled  *prometheus.Desc
	drifted  *prometheus.Desc
	children *prometheus.Desc
	info     *prometheus.Desc
}

func newObjectsCollector(reader client.Reader) *objectsCollector {
	return &objectsCollector{
		reader:   reader,
		objects:  prometheus.NewDesc("spacelift_operator_objects", "Objects by kind and Ready condition status.", []string{"kind", "ready"}, nil),
		stalled:  prometheus.NewDesc("spacelift_operator_stalled_objects", "Objects whose Stalled condition is True, by kind and reason.", []string{"kind", "reason"}, nil),
		drifted:  prometheus.NewDesc("spacelift_operator_drifted_stacks", "Stacks whose Drifted condition is True.", nil, nil),
		children: prometheus.NewDesc("spacelift_operator_adminstack_children", "Child stacks an AdminStack selects, and how many are ready and drifted.", []string{"namespace", "name", "state"}, nil),
		info: prometheus.NewDesc("spacelift_operator_object_info", "One series per object, always 1, naming it with its Ready status and reason, Stalled and Drifted statuses, Spacelift id and, for stacks, the state and plan summary of the newest tracked run, so that alerts and dashboards can name the stack.",
			[]string{"kind", "namespace", "name", "ready", "reason", "stalled", "drifted", "stack_id", "run_state", "plan"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *objectsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.objects
	ch <- c.stalled
	ch <- c.drifted
	ch <- c.children
	ch <- c.info
}

// Collect implements prometheus.Collector.
func (c *objectsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var stacks spaceliftv1alpha1.StackList
	var policies spaceliftv1alpha1.PolicyList
	var admins spaceliftv1alpha1.AdminStackList
	for _, l := range []client.ObjectList{&stacks, &policies, &admins} {
		if err := c.reader.List(ctx, l); err != nil {
			log.FromContext(ctx).Error(err, "listing objects for metrics")
			return
		}
	}
	counts := map[[2]string]int{}
	stalled := map[[2]string]int{}
	status := func(conds []metav1.Condition, typ string) (string, string) {
		if c := meta.FindStatusCondition(conds, typ); c != nil {
			return string(c.Status), c.Reason
		}
		return "Unknown", ""
	}
	tally := func(kind string, obj metav1.Object, conds []metav1.Condition, id string, run *spaceliftv1alpha1.RunStatus) {
		ready, reason := status(conds, spaceliftv1alpha1.ConditionReady)
		counts[[2]string{kind, ready}]++
		st, stReason := status(conds, spaceliftv1alpha1.ConditionStalled)
		if st == string(metav1.ConditionTrue) {
			stalled[[2]string{kind, stReason}]++
		}
		drift, _ := status(conds, spaceliftv1alpha1.ConditionDrifted)
		if kind != "Stack" {
			drift = ""
		}
		runState, plan := "", ""
		if run != nil {
			runState = run.State
			if run.Plan != nil {
				plan = run.Plan.Summary
			}
		}
		ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, kind, obj.GetNamespace(), obj.GetName(), ready, reason, st, drift, id, runState, plan)
	}
	drifted := 0
	for _, s := range stacks.Items {
		tally("Stack", &s, s.Status.Conditions, s.Status.SpaceliftID, s.Status.LastTrackedRun)
		if meta.IsStatusConditionTrue(s.Status.Conditions, spaceliftv1alpha1.ConditionDrifted) {
			drifted++
		}
	}
	for _, p := range policies.Items {
		tally("Policy", &p, p.Status.Conditions, p.Status.SpaceliftID, nil)
	}
	for _, a := range admins.Items {
		tally("AdminStack", &a, a.Status.Conditions, "", nil)
		for state, n := range map[string]int32{"selected": a.Status.Selected, "ready": a.Status.Ready, "drifted": a.Status.Drifted} {
			ch <- prometheus.MustNewConstMetric(c.children, prometheus.GaugeValue, float64(n), a.Namespace, a.Name, state)
		}
	}
	for _, kind := range []string{"Stack", "Policy", "AdminStack"} {
		for _, ready := range []string{"True", "False", "Unknown"} {
			ch <- prometheus.MustNewConstMetric(c.objects, prometheus.GaugeValue, float64(counts[[2]string{kind, ready}]), kind, ready)
		}
	}
	for k, n := range stalled {
		ch <- prometheus.MustNewConstMetric(c.stalled, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
	ch <- prometheus.MustNewConstMetric(c.drifted, prometheus.GaugeValue, float64(drifted))
}
