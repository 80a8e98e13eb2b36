package plugin

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

var getCommand = command{
	short: "Flux-like tables of stacks, policies or adminstacks",
	usage: "get stacks|policies|adminstacks [NAME] [-A]",
	help: "Prints a table of the objects of one kind, like `flux get`: READY and DRIFTED are the conditions,\n" +
		"STATUS the Ready condition's message; stacks show the plan of their newest tracked run,\n" +
		"adminstacks their children ready as x/y.",
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		return runGet
	},
}

// kindInfo describes one kind of this operator for the commands that take a
// kind name.
type kindInfo struct {
	// kind is the Kind; resource the plural resource name.
	kind, resource string
	// newObject and newList make empty objects of the kind.
	newObject func() client.Object
	newList   func() client.ObjectList
	// status returns the common status of an object of the kind.
	status func(client.Object) *spaceliftv1alpha1.CommonStatus
}

var (
	stackKind = kindInfo{kind: "Stack", resource: "stacks",
		newObject: func() client.Object { return &spaceliftv1alpha1.Stack{} },
		newList:   func() client.ObjectList { return &spaceliftv1alpha1.StackList{} },
		status: func(o client.Object) *spaceliftv1alpha1.CommonStatus {
			return &o.(*spaceliftv1alpha1.Stack).Status.CommonStatus
		}}
	policyKind = kindInfo{kind: "Policy", resource: "policies",
		newObject: func() client.Object { return &spaceliftv1alpha1.Policy{} },
		newList:   func() client.ObjectList { return &spaceliftv1alpha1.PolicyList{} },
		status: func(o client.Object) *spaceliftv1alpha1.CommonStatus {
			return &o.(*spaceliftv1alpha1.Policy).Status.CommonStatus
		}}
	adminStackKind = kindInfo{kind: "AdminStack", resource: "adminstacks",
		newObject: func() client.Object { return &spaceliftv1alpha1.AdminStack{} },
		newList:   func() client.ObjectList { return &spaceliftv1alpha1.AdminStackList{} },
		status: func(o client.Object) *spaceliftv1alpha1.CommonStatus {
			return &o.(*spaceliftv1alpha1.AdminStack).Status.CommonStatus
		}}
)

// kindByName accepts the singular, plural, kind and short names kubectl
// accepts for the operator's kinds, in any case.
func kindByName(name string) (kindInfo, error) {
	switch strings.ToLower(name) {
	case "stack", "stacks", "slstack", "slstacks":
		return stackKind, nil
	case "policy", "policies", "slpolicy", "slpolicies":
		return policyKind, nil
	case "adminstack", "adminstacks", "sladmin", "sladmins":
		return adminStackKind, nil
	}
	return kindInfo{}, usageError("unknown kind %q: use stacks, policies or adminstacks", name)
}

// qualified is the resource name kubectl resolves without ambiguity, for
// the commands the plugin prints: e.g. stacks.spacelift.stackwright.io/net.
func (k kindInfo) qualified(name string) string {
	return k.resource + "." + spaceliftv1alpha1.GroupVersion.Group + "/" + name
}

func runGet(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || len(args) > 2 {
		return usageError("name the kind: get stacks, get policies or get adminstacks (optionally followed by an object name)")
	}
	k, err := kindByName(args[0])
	if err != nil {
		return err
	}
	objs, err := e.list(ctx, k)
	if err != nil {
		return err
	}
	if len(args) == 2 {
		objs = filterName(objs, args[1])
	}
	if len(objs) == 0 {
		fmt.Fprintf(e.opts.Stderr, "no %s found %s\n", k.resource, e.where())
		return nil
	}
	now := e.opts.Now()
	var header []string
	if e.kube.allNamespaces {
		header = append(header, "NAMESPACE")
	}
	switch k.kind {
	case "Stack":
		header = append(header, "NAME", "READY", "DRIFTED", "SPACELIFT ID", "PLAN", "AGE", "STATUS")
	case "Policy":
		header = append(header, "NAME", "TYPE", "READY", "SPACELIFT ID", "AGE", "STATUS")
	case "AdminStack":
		header = append(header, "NAME", "READY", "CHILDREN READY", "DRIFTED", "STALLED", "SPACELIFT ID", "AGE", "STATUS")
	}
	rows := [][]string{header}
	for _, o := range objs {
		st := k.status(o)
		var row []string
		if e.kube.allNamespaces {
			row = append(row, o.GetNamespace())
		}
		row = append(row, o.GetName())
		switch o := o.(type) {
		case *spaceliftv1alpha1.Stack:
			row = append(row, condStatus(st, spaceliftv1alpha1.ConditionReady), condStatus(st, spaceliftv1alpha1.ConditionDrifted),
				orDash(st.SpaceliftID), planSummary(o.Status.LastTrackedRun))
		case *spaceliftv1alpha1.Policy:
			row = append(row, string(o.Spec.Type), condStatus(st, spaceliftv1alpha1.ConditionReady), orDash(st.SpaceliftID))
		case *spaceliftv1alpha1.AdminStack:
			row = append(row, condStatus(st, spaceliftv1alpha1.ConditionReady), orDash(o.Status.ReadyChildren),
				condStatus(st, spaceliftv1alpha1.ConditionDrifted), fmt.Sprint(o.Status.Stalled), orDash(st.SpaceliftID))
		}
		row = append(row, age(o.GetCreationTimestamp(), now), condMessage(st, spaceliftv1alpha1.ConditionReady))
		rows = append(rows, row)
	}
	return writeTable(e.opts.Stdout, rows)
}

// list lists the objects of kind k in the namespace (all with -A), sorted by
// namespace and name.
func (e *env) list(ctx context.Context, k kindInfo) ([]client.Object, error) {
	list := k.newList()
	if err := e.c.List(ctx, list, e.listOptions()...); err != nil {
		return nil, fmt.Errorf("listing %s %s: %w", k.resource, e.where(), err)
	}
	var out []client.Object
	if err := meta.EachListItem(list, func(o runtime.Object) error {
		out = append(out, o.(client.Object))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("reading the list of %s: %w", k.resource, err)
	}
	sortObjects(out)
	return out, nil
}

func sortObjects(objs []client.Object) {
	sort.Slice(objs, func(i, j int) bool {
		if objs[i].GetNamespace() != objs[j].GetNamespace() {
			return objs[i].GetNamespace() < objs[j].GetNamespace()
		}
		return objs[i].GetName() < objs[j].GetName()
	})
}

func filterName(objs []client.Object, name string) []client.Object {
	var out []client.Object
	for _, o := range objs {
		if o.GetName() == name {
			out = append(out, o)
		}
	}
	return out
}

// condStatus is the status of a condition: True, False or Unknown (also
// when the controller has not set it yet).
func condStatus(st *spaceliftv1alpha1.CommonStatus, t string) string {
	if c := meta.FindStatusCondition(st.Conditions, t); c != nil {
		return string(c.Status)
	}
	return string(metav1.ConditionUnknown)
}

// condTrue reports whether a condition is True.
func condTrue(st *spaceliftv1alpha1.CommonStatus, t string) bool {
	return meta.IsStatusConditionTrue(st.Conditions, t)
}

// condMessage is the message of a condition, "-" when unset.
func condMessage(st *spaceliftv1alpha1.CommonStatus, t string) string {
	if c := meta.FindStatusCondition(st.Conditions, t); c != nil && c.Message != "" {
		return c.Message
	}
	return "-"
}

// planSummary is the "+add ~change -delete" of a run's plan, "-" when
// there is none.
func planSummary(r *spaceliftv1alpha1.RunStatus) string {
	if r == nil || r.Plan == nil {
		return "-"
	}
	return r.Plan.Summary
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// age is how long ago t was, as kubectl prints it.
func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// writeTable writes rows as kubectl does: columns padded with three spaces.
func writeTable(w io.Writer, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	for _, r := range rows {
		if _, err := fmt.Fprintln(tw, strings.Join(r, "\t")); err != nil {
			return err
		}
	}
	return tw.Flush()
}
