package adminstack

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackwright/spacelift-operator/internal/atmos"
)

// withUnevaluated is r with the given atmos.Record.Unevaluated paths.
func withUnevaluated(r atmos.Record, paths ...string) atmos.Record {
	r.Unevaluated = paths
	return r
}

func TestUnevaluated(t *testing.T) {
	const head = "values that atmos evaluates only when the component runs (!terraform.output, !terraform.state, !store, !exec, atmos.Component); they are kept as written: "
	many := func(n int) []atmos.Record {
		var out []atmos.Record
		for i := range n {
			out = append(out, withUnevaluated(testRecord("s", fmt.Sprintf("c%02d", i), nil), "vars.vpc_id"))
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		root    bool
		records []atmos.Record
		want    []UnevaluatedChild
		count   int
		summary string
	}{
		{name: "none", records: []atmos.Record{testRecord("s", "a", nil)}},
		{name: "paths sorted and listed once, children sorted",
			records: []atmos.Record{
				withUnevaluated(testRecord("s", "eks", nil), "vars.vpc_id", "env.TOKEN", "vars.vpc_id"),
				testRecord("s", "plain", nil),
				withUnevaluated(testRecord("s", "db", nil), "vars.subnets[0]"),
			},
			want: []UnevaluatedChild{
				{Object: "Stack s-db", Component: `component "db" in stack "s"`, Paths: []string{"vars.subnets[0]"}},
				{Object: "Stack s-eks", Component: `component "eks" in stack "s"`, Paths: []string{"env.TOKEN", "vars.vpc_id"}},
			},
			count:   2,
			summary: "2 children carry " + head + "Stack s-db (vars.subnets[0]); Stack s-eks (env.TOKEN, vars.vpc_id)"},
		{name: "paths bounded",
			records: []atmos.Record{withUnevaluated(testRecord("s", "a", nil), "vars.a", "vars.b", "vars.c", "vars.d", "vars.e", "vars.f", "vars.g")},
			want: []UnevaluatedChild{{Object: "Stack s-a", Component: `component "a" in stack "s"`,
				Paths: []string{"vars.a", "vars.b", "vars.c", "vars.d", "vars.e"}, MorePaths: 2}},
			count:   1,
			summary: "1 child carries " + head + "Stack s-a (vars.a, vars.b, vars.c, vars.d, vars.e and 2 more)"},
		{name: "children bounded",
			records: many(12),
			want: func() []UnevaluatedChild {
				var out []UnevaluatedChild
				for i := range MaxUnevaluatedChildren {
					c := fmt.Sprintf("c%02d", i)
					out = append(out, UnevaluatedChild{Object: "Stack s-" + c, Component: fmt.Sprintf("component %q in stack \"s\"", c), Paths: []string{"vars.vpc_id"}})
				}
				return out
			}(),
			count: 12,
			summary: "12 children carry " + head + "Stack s-c00 (vars.vpc_id); Stack s-c01 (vars.vpc_id); Stack s-c02 (vars.vpc_id); Stack s-c03 (vars.vpc_id); " +
				"Stack s-c04 (vars.vpc_id); Stack s-c05 (vars.vpc_id); Stack s-c06 (vars.vpc_id); Stack s-c07 (vars.vpc_id); Stack s-c08 (vars.vpc_id); Stack s-c09 (vars.vpc_id); and 2 more"},
		{name: "child AdminStacks of a root admin", root: true,
			records: []atmos.Record{func() atmos.Record {
				r := withUnevaluated(testRecord("core", "admin-plat", map[string]any{"administrative": true}), "vars.repository")
				r.Administrative = true
				return r
			}()},
			want:    []UnevaluatedChild{{Object: "AdminStack core-admin-plat", Component: `component "admin-plat" in stack "core"`, Paths: []string{"vars.repository"}}},
			count:   1,
			summary: "1 child carries " + head + "AdminStack core-admin-plat (vars.repository)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := testAdmin()
			a.Spec.RootAdmin = tc.root
			d, problems := Build(a, tc.records, nil)
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			if diff := cmp.Diff(tc.want, d.Unevaluated); diff != "" {
				t.Errorf("Unevaluated (-want +got):\n%s", diff)
			}
			if d.UnevaluatedChildren != tc.count {
				t.Errorf("UnevaluatedChildren = %d, want %d", d.UnevaluatedChildren, tc.count)
			}
			if got := d.UnevaluatedSummary(); got != tc.summary {
				t.Errorf("UnevaluatedSummary()\n got: %s\nwant: %s", got, tc.summary)
			}
		})
	}
}

// The summary is the same for the same records in another order, so that
// reporting it once per source revision does not flap.
func TestUnevaluatedSummaryIsStable(t *testing.T) {
	a := withUnevaluated(testRecord("s", "a", nil), "vars.y", "vars.x")
	b := withUnevaluated(testRecord("s", "b", nil), "env.Z")
	d1, _ := Build(testAdmin(), []atmos.Record{a, b}, nil)
	d2, _ := Build(testAdmin(), []atmos.Record{b, a}, nil)
	if d1.UnevaluatedSummary() != d2.UnevaluatedSummary() || d1.UnevaluatedSummary() == "" {
		t.Errorf("summaries differ or are empty:\n%s\n%s", d1.UnevaluatedSummary(), d2.UnevaluatedSummary())
	}
}
