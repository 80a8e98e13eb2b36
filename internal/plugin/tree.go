package plugin

import (
	"context"
	"flag"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

var treeCommand = command{
	short: "an AdminStack and its children, recursively",
	usage: "tree ADMINSTACK",
	help: "Prints an AdminStack and the children it controls (child AdminStacks recursively) with their\n" +
		"Ready and Drifted conditions, the Stalled reason, the last run and the Spacelift id.",
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		return runTree
	},
}

func runTree(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return usageError("name one AdminStack: tree ADMINSTACK")
	}
	root := &spaceliftv1alpha1.AdminStack{}
	if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.namespace, Name: args[0]}, root); err != nil {
		return fmt.Errorf("reading AdminStack %s/%s: %w", e.namespace, args[0], err)
	}
	owned, err := e.controlled(ctx, root.Namespace)
	if err != nil {
		return err
	}
	rows := [][]string{{"NAME", "READY", "CHILDREN READY", "DRIFTED", "STALLED", "LAST RUN", "SPACELIFT ID"}}
	// walk adds obj's row, drawn after prefix with branch, then its
	// children. Owner references edited by hand could form a loop: an
	// AdminStack already shown is not descended into again.
	seen := map[types.UID]bool{}
	var walk func(obj client.Object, prefix, branch string)
	walk = func(obj client.Object, prefix, branch string) {
		rows = append(rows, treeRow(obj, prefix+branch))
		a, ok := obj.(*spaceliftv1alpha1.AdminStack)
		if !ok || seen[a.UID] {
			return
		}
		seen[a.UID] = true
		switch branch {
		case "├── ":
			prefix += "│   "
		case "└── ":
			prefix += "    "
		}
		children := owned[a.UID]
		for i, c := range children {
			if i == len(children)-1 {
				walk(c, prefix, "└── ")
			} else {
				walk(c, prefix, "├── ")
			}
		}
	}
	walk(root, "", "")
	return writeTable(e.opts.Stdout, rows)
}

// treeRow is the row of one object of the tree.
func treeRow(obj client.Object, name string) []string {
	switch o := obj.(type) {
	case *spaceliftv1alpha1.AdminStack:
		st := &o.Status.CommonStatus
		return []string{name + "AdminStack/" + o.Name, condStatus(st, spaceliftv1alpha1.ConditionReady), orDash(o.Status.ReadyChildren),
			condStatus(st, spaceliftv1alpha1.ConditionDrifted), stalledReason(st), "-", orDash(st.SpaceliftID)}
	case *spaceliftv1alpha1.Stack:
		st := &o.Status.CommonStatus
		return []string{name + "Stack/" + o.Name, condStatus(st, spaceliftv1alpha1.ConditionReady), "-",
			condStatus(st, spaceliftv1alpha1.ConditionDrifted), stalledReason(st), lastRun(shownRun(o)), orDash(st.SpaceliftID)}
	}
	return []string{name + obj.GetName()}
}

// stalledReason is the reason of a True Stalled condition, "-" otherwise.
func stalledReason(st *spaceliftv1alpha1.CommonStatus) string {
	for _, c := range st.Conditions {
		if c.Type == spaceliftv1alpha1.ConditionStalled && c.Status == "True" {
			return c.Reason
		}
	}
	return "-"
}

// shownRun is the run tree shows for a Stack: status.lastRun (the latest
// run the operator triggered or confirmed), else the newest tracked run
// Spacelift reports.
func shownRun(s *spaceliftv1alpha1.Stack) *spaceliftv1alpha1.RunStatus {
	if s.Status.LastRun != nil {
		return s.Status.LastRun
	}
	return s.Status.LastTrackedRun
}

// lastRun describes a run as "<state> <type> <id>", with its plan summary
// when it has one.
func lastRun(r *spaceliftv1alpha1.RunStatus) string {
	if r == nil {
		return "-"
	}
	s := orDash(r.State)
	if r.Type != "" {
		s += " " + r.Type
	}
	s += " " + r.ID
	if r.Plan != nil {
		s += " (" + r.Plan.Summary + ")"
	}
	return s
}

// controlled lists the Stacks and AdminStacks of a namespace by the UID of
// their controller owner (as the AdminStack controller finds its children),
// each group sorted Stacks first, then by name.
func (e *env) controlled(ctx context.Context, namespace string) (map[types.UID][]client.Object, error) {
	var stacks spaceliftv1alpha1.StackList
	if err := e.c.List(ctx, &stacks, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing Stacks in namespace %s: %w", namespace, err)
	}
	var admins spaceliftv1alpha1.AdminStackList
	if err := e.c.List(ctx, &admins, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing AdminStacks in namespace %s: %w", namespace, err)
	}
	out := map[types.UID][]client.Object{}
	add := func(o client.Object) {
		if uid := controllerOf(o); uid != "" {
			out[uid] = append(out[uid], o)
		}
	}
	for i := range stacks.Items {
		add(&stacks.Items[i])
	}
	for i := range admins.Items {
		add(&admins.Items[i])
	}
	for _, objs := range out {
		sort.SliceStable(objs, func(i, j int) bool {
			ki, kj := kindOf(objs[i]), kindOf(objs[j])
			if ki != kj {
				return ki > kj // Stack before AdminStack
			}
			return objs[i].GetName() < objs[j].GetName()
		})
	}
	return out, nil
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

// kindOf is Stack or AdminStack.
func kindOf(obj client.Object) string {
	if _, ok := obj.(*spaceliftv1alpha1.AdminStack); ok {
		return "AdminStack"
	}
	return "Stack"
}
