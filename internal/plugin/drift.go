package plugin

import (
	"context"
	"flag"
	"fmt"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

var driftCommand = command{
	short: "the Stacks whose Drifted condition is True",
	usage: "drift [-A]",
	help: "Lists the Stacks whose Drifted condition is True, with the latest drift-detection result:\n" +
		"how many resources drifted, the drift-detection run, when it finished, the reconcile run, and the\n" +
		"addresses of the drifted resources (the first 20, as status.drift.resources holds them).",
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		return runDrift
	},
}

func runDrift(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageError("drift takes no arguments (got %q): use -n NAMESPACE or -A", args)
	}
	objs, err := e.list(ctx, stackKind)
	if err != nil {
		return err
	}
	now := e.opts.Now()
	var header []string
	if e.kube.allNamespaces {
		header = append(header, "NAMESPACE")
	}
	rows := [][]string{append(header, "NAME", "SPACELIFT ID", "RESOURCES", "DRIFT RUN", "CHECKED", "RECONCILE RUN", "MESSAGE")}
	var addresses []*spaceliftv1alpha1.Stack
	for _, o := range objs {
		s := o.(*spaceliftv1alpha1.Stack)
		st := &s.Status.CommonStatus
		if !condTrue(st, spaceliftv1alpha1.ConditionDrifted) {
			continue
		}
		var row []string
		if e.kube.allNamespaces {
			row = append(row, s.Namespace)
		}
		resources, run, checked, reconcile := "-", "-", "-", "-"
		if d := s.Status.Drift; d != nil {
			resources = fmt.Sprint(d.DriftedResources)
			run, reconcile = orDash(d.RunID), orDash(d.ReconcileRunID)
			if d.CheckedAt != nil {
				checked = age(*d.CheckedAt, now) + " ago"
			}
			if len(d.Resources) > 0 {
				addresses = append(addresses, s)
			}
		}
		row = append(row, s.Name, orDash(st.SpaceliftID), resources, run, checked, reconcile, condMessage(st, spaceliftv1alpha1.ConditionDrifted))
		rows = append(rows, row)
	}
	if len(rows) == 1 {
		fmt.Fprintf(e.opts.Stdout, "no drifted Stacks %s\n", e.where())
		return nil
	}
	if err := writeTable(e.opts.Stdout, rows); err != nil {
		return err
	}
	for _, s := range addresses {
		d := s.Status.Drift
		name := s.Name
		if e.kube.allNamespaces {
			name = s.Namespace + "/" + s.Name
		}
		more := ""
		if n := int(d.DriftedResources) - len(d.Resources); n > 0 {
			more = fmt.Sprintf(", the first %d listed", len(d.Resources))
		}
		fmt.Fprintf(e.opts.Stdout, "\n%s: %s drifted%s:\n", name, plural(int(d.DriftedResources), "resource"), more)
		for _, r := range d.Resources {
			fmt.Fprintf(e.opts.Stdout, "  %s\n", r)
		}
	}
	return nil
}

// plural is "1 resource" or "n resources".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
