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
		"how many resources drifted, the drift-detection run, when it finished and the reconcile run.",
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
		}
		row = append(row, s.Name, orDash(st.SpaceliftID), resources, run, checked, reconcile, condMessage(st, spaceliftv1alpha1.ConditionDrifted))
		rows = append(rows, row)
	}
	if len(rows) == 1 {
		fmt.Fprintf(e.opts.Stdout, "no drifted Stacks %s\n", e.where())
		return nil
	}
	return writeTable(e.opts.Stdout, rows)
}
