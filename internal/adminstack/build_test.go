package adminstack

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/atmos"
)

func names[T interface{ GetName() string }](objs []T) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.GetName()
	}
	return out
}

func TestSelect(t *testing.T) {
	plain := testRecord("plat-dev", "vpc", map[string]any{})
	core := testRecord("core-dev", "vpc", map[string]any{})
	core.Tenant = "core"
	admin := testRecord("core-gbl", "admin-stack-plat", map[string]any{})
	admin.Administrative = true
	root := testRecord("core-gbl", "admin-stack", map[string]any{})
	root.Administrative, root.RootAdministrative = true, true
	records := []atmos.Record{plain, core, admin, root}

	for _, tc := range []struct {
		name string
		spec func(*v1alpha1.AdminStackSpec)
		want []string
	}{
		{"admin stacks are skipped by default", func(*v1alpha1.AdminStackSpec) {}, []string{"plat-dev-vpc", "core-dev-vpc"}},
		{"context filters", func(s *v1alpha1.AdminStackSpec) { s.ContextFilters.Tenants = []string{"plat"} }, []string{"plat-dev-vpc"}},
		{"excluded context filters", func(s *v1alpha1.AdminStackSpec) { s.ExcludedContextFilters.Tenants = []string{"plat"} }, []string{"core-dev-vpc"}},
		{"administrative: true selects admin stacks", func(s *v1alpha1.AdminStackSpec) { s.ContextFilters.Administrative = ptr.To(true) },
			[]string{"core-gbl-admin-stack-plat", "core-gbl-admin-stack"}},
		{"a root admin selects admin stacks but not the root", func(s *v1alpha1.AdminStackSpec) { s.RootAdmin = true }, []string{"core-gbl-admin-stack-plat"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := testAdmin()
			tc.spec(&a.Spec)
			var got []string
			for _, r := range Select(a, records) {
				got = append(got, r.Name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("selected (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDependencies(t *testing.T) {
	vpc := testRecord("plat-dev", "vpc", map[string]any{})
	eks := testRecord("plat-dev", "eks/cluster", map[string]any{})
	eks.Labels = []string{"network", "depends-on:plat-dev-vpc", "depends-on:core-dns"}
	renamed := testRecord("plat-dev", "db", map[string]any{"stack_name": "plat/db"})
	renamed.Labels = []string{"depends-on:plat-dev-eks-cluster"}
	dns := testRecord("core", "dns", map[string]any{})
	dns.Tenant = "core"
	records := []atmos.Record{vpc, eks, renamed, dns}
	withNative := func(a *v1alpha1.AdminStack) { a.Spec.ChildDefaults.NativeStackDependencies = true }
	plat := func(a *v1alpha1.AdminStack) { a.Spec.ContextFilters.Tenants = []string{"plat"} }
	cluster := &Cluster{
		Policies: map[string]bool{"child-policy": true},
		Stacks:   map[string]Existing{"dns-by-hand": {SpaceliftName: "core-dns"}},
	}

	for _, tc := range []struct {
		name     string
		admin    []func(*v1alpha1.AdminStack)
		cluster  *Cluster
		eksDeps  []string
		dbDeps   []string
		eksLabel bool
		problem  string
	}{
		{name: "labels are kept without native dependencies", admin: []func(*v1alpha1.AdminStack){plat}, cluster: cluster, eksLabel: true},
		{name: "selected and existing targets", admin: []func(*v1alpha1.AdminStack){withNative, plat}, cluster: cluster,
			eksDeps: []string{"dns-by-hand", "plat-dev-vpc"}, dbDeps: []string{"plat-dev-eks-cluster"}},
		{name: "offline, unselected targets get their derived names", admin: []func(*v1alpha1.AdminStack){withNative, plat},
			eksDeps: []string{"core-dns", "plat-dev-vpc"}, dbDeps: []string{"plat-dev-eks-cluster"}},
		{name: "a target that is nowhere is dangling", admin: []func(*v1alpha1.AdminStack){withNative, plat}, cluster: &Cluster{Policies: cluster.Policies},
			eksDeps: []string{"plat-dev-vpc"}, dbDeps: []string{"plat-dev-eks-cluster"},
			problem: `Stack plat-dev-eks-cluster: depends on "core-dns", which is neither selected nor a Stack object in the namespace`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := testAdmin()
			for _, f := range tc.admin {
				f(a)
			}
			d, problems := Build(a, records, tc.cluster)
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if tc.problem == "" && len(got) > 0 || tc.problem != "" && !slices.Equal(got, []string{tc.problem}) {
				t.Errorf("problems = %q, want %q", got, tc.problem)
			}
			stacks := map[string]*v1alpha1.Stack{}
			for _, s := range d.Stacks {
				stacks[s.Name] = s
			}
			deps := func(name string) []string {
				var out []string
				for _, dep := range stacks[name].Spec.Dependencies {
					out = append(out, dep.StackRef.Name)
				}
				return out
			}
			if diff := cmp.Diff(tc.eksDeps, deps("plat-dev-eks-cluster")); diff != "" {
				t.Errorf("eks dependencies (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.dbDeps, deps("plat-dev-db")); diff != "" {
				t.Errorf("db dependencies (-want +got):\n%s", diff)
			}
			hasLabel := slices.Contains(stacks["plat-dev-eks-cluster"].Spec.Labels, "depends-on:plat-dev-vpc")
			if hasLabel != tc.eksLabel {
				t.Errorf("depends-on label present = %v, want %v", hasLabel, tc.eksLabel)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := &Cluster{Policies: map[string]bool{"child-policy": true}}
	for _, tc := range []struct {
		name    string
		records []atmos.Record
		admin   func(*v1alpha1.AdminStack)
		cluster *Cluster
		want    []string
	}{
		{name: "valid", records: []atmos.Record{testRecord("s", "a", nil)}, cluster: ok},
		{name: "two instances map to one object name",
			records: []atmos.Record{testRecord("a-b", "c", map[string]any{"stack_name": "one"}), testRecord("a", "b/c", map[string]any{"stack_name": "two"})},
			cluster: ok, want: []string{"Stack a-b-c: two component instances map to this object name"}},
		{name: "duplicate Spacelift names",
			records: []atmos.Record{testRecord("s", "a", map[string]any{"stack_name": "same"}), testRecord("s", "b", map[string]any{"stack_name": "same"})},
			cluster: ok, want: []string{`Stack s-b: Spacelift name "same" is also used by Stack s-a`}},
		{name: "a child named like the admin stack's object",
			records: []atmos.Record{testRecord("plat", "admin", nil)},
			cluster: ok, want: []string{"Stack plat-admin: two component instances map to this object name"}},
		{name: "missing policies are listed once each with their referrers",
			records: []atmos.Record{
				testRecord("s", "a", map[string]any{"policies": []any{"gone"}}), testRecord("s", "b", map[string]any{"policies": []any{"gone"}}),
				testRecord("s", "c", map[string]any{"policies": []any{"gone"}}), testRecord("s", "d", map[string]any{"policies": []any{"gone"}}),
			},
			admin: func(a *v1alpha1.AdminStack) {
				a.Spec.RootStackPolicyAttachments = []v1alpha1.PolicyReference{{Name: "admin-gone"}, {ID: "some-id"}}
			},
			cluster: ok,
			want: []string{
				"Policy admin-gone: does not exist; referenced by Stack plat-admin",
				"Policy gone: does not exist; referenced by Stack s-a, Stack s-b, Stack s-c and 1 more",
			}},
		{name: "policies are not checked offline",
			records: []atmos.Record{testRecord("s", "a", map[string]any{"policies": []any{"gone"}})}},
		{name: "an object this AdminStack does not control",
			records: []atmos.Record{testRecord("s", "a", nil)},
			cluster: &Cluster{Policies: ok.Policies, Stacks: map[string]Existing{
				"s-a":        {SpaceliftName: "s-a", Controller: "other-uid"},
				"plat-admin": {SpaceliftName: "plat", Controller: "admin-uid"},
			}},
			want: []string{"Stack s-a: exists and is not managed by this AdminStack"}},
		{name: "a Spacelift name another Stack object uses",
			records: []atmos.Record{testRecord("s", "a", nil)},
			cluster: &Cluster{Policies: ok.Policies, Stacks: map[string]Existing{"by-hand": {SpaceliftName: "s-a"}}},
			want:    []string{`Stack s-a: Spacelift name "s-a" is already used by Stack by-hand`}},
		{name: "invalid labels",
			records: []atmos.Record{func() atmos.Record {
				r := testRecord("s", "a", nil)
				r.Vars["labels"] = []any{"a,b", " padded"}
				return r
			}()},
			cluster: ok,
			want: []string{
				`Stack s-a: label " padded" is not a valid Spacelift label (no commas, no surrounding spaces, at most 255 characters)`,
				`Stack s-a: label "a,b" is not a valid Spacelift label (no commas, no surrounding spaces, at most 255 characters)`,
			}},
		{name: "settings of the wrong type",
			records: []atmos.Record{testRecord("s", "a", map[string]any{"autodeploy": "yes"})},
			cluster: ok,
			want:    []string{`component "a" in stack "s": settings.spacelift.autodeploy: want a boolean, got a string`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := testAdmin()
			if tc.admin != nil {
				tc.admin(a)
			}
			_, problems := Build(a, tc.records, tc.cluster)
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			slices.Sort(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	problems := []Problem{{"b", "2"}, {"a", "1"}, {"", "global"}, {"c", "3"}}
	if got, want := Summarize(problems, 2), "4 problems: a: 1; b: 2; and 2 more"; got != want {
		t.Errorf("Summarize = %q, want %q", got, want)
	}
	if got, want := Summarize(problems[:1], 5), "1 problem: b: 2"; got != want {
		t.Errorf("Summarize = %q, want %q", got, want)
	}
}

// TestBuildSample expands config/samples/atmos the way the sample AdminStacks
// use it.
func TestBuildSample(t *testing.T) {
	records, err := atmos.Expand(os.DirFS("../../config/samples/atmos"), atmos.Options{})
	if err != nil {
		t.Fatal(err)
	}
	plat := testAdmin()
	plat.Name = "plat-admin"
	plat.Spec.ContextFilters = v1alpha1.ContextFilters{Tenants: []string{"plat"}, Administrative: ptr.To(false)}
	plat.Spec.ChildDefaults.NativeStackDependencies = true
	d, problems := Build(plat, records, nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	want := []string{
		"plat-ue2-dev-eks-cluster", "plat-ue2-dev-vpc",
		"plat-ue2-prod-aurora-postgres", "plat-ue2-prod-eks-cluster", "plat-ue2-prod-vpc",
		"plat-uw2-prod-vpc",
	}
	if diff := cmp.Diff(want, names(d.Stacks)); diff != "" {
		t.Errorf("children (-want +got):\n%s", diff)
	}
	drVPC := d.Stacks[5]
	if drVPC.Spec.Dependencies[0].StackRef.Name != "plat-ue2-prod-vpc" || !drVPC.Spec.ProtectFromDeletion {
		t.Errorf("plat-uw2-prod-vpc: dependencies = %+v, protectFromDeletion = %v", drVPC.Spec.Dependencies, drVPC.Spec.ProtectFromDeletion)
	}
	for _, l := range drVPC.Spec.Labels {
		if strings.HasPrefix(string(l), "depends-on:") {
			t.Errorf("native dependencies left the label %q", l)
		}
	}

	root := testAdmin()
	root.Name = "root"
	root.Spec.RootAdmin = true
	d, problems = Build(root, records, nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if diff := cmp.Diff([]string{"core-gbl-auto-admin-stack-plat"}, names(d.AdminStacks)); diff != "" {
		t.Errorf("child admin stacks (-want +got):\n%s", diff)
	}
	child := d.AdminStacks[0]
	if !slices.Equal(child.Spec.ContextFilters.Tenants, []string{"plat"}) || child.Spec.Repository != "infrastructure" {
		t.Errorf("child spec = %+v", child.Spec)
	}
	if len(d.Stacks) != 0 || d.Admin.Name != "root-admin" {
		t.Errorf("root: stacks = %v, admin = %s", names(d.Stacks), d.Admin.Name)
	}
}

// Renaming a Spacelift stack changes spec.name of the same object, so the
// Stack controller renames the stack and keeps its id.
func TestRenameKeepsTheObject(t *testing.T) {
	before, problems := Build(testAdmin(), []atmos.Record{testRecord("plat-dev", "vpc", map[string]any{})}, nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	after, problems := Build(testAdmin(), []atmos.Record{testRecord("plat-dev", "vpc", map[string]any{"stack_name": "plat/network"})}, nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if before.Stacks[0].Name != after.Stacks[0].Name || before.Stacks[0].Spec.Name == after.Stacks[0].Spec.Name {
		t.Errorf("object %s (spec.name %s) became %s (spec.name %s)",
			before.Stacks[0].Name, before.Stacks[0].Spec.Name, after.Stacks[0].Name, after.Stacks[0].Spec.Name)
	}
}
