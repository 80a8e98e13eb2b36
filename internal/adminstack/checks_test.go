package adminstack

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/atmos"
)

// problemLines builds a's children of records and returns the problems,
// sorted, as condition lines.
func problemLines(a *v1alpha1.AdminStack, records []atmos.Record, cluster *Cluster) []string {
	_, problems := Build(a, records, cluster)
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	slices.Sort(got)
	return got
}

func withVars(r atmos.Record, vars map[string]any) atmos.Record {
	for k, v := range vars {
		r.Vars[k] = v
	}
	return r
}

func TestComponentChecks(t *testing.T) {
	const (
		noID     = `has no ASCII letter or digit, so Spacelift cannot derive an id from it: add some, e.g. "payments-db" (emoji, punctuation and non-Latin letters are dropped)`
		notAVers = `is not a version such as 1.5.7 or a version constraint such as ~> 1.5.0 or >= 1.4, < 2.0`
	)
	for _, tc := range []struct {
		name    string
		records []atmos.Record
		admin   func(*v1alpha1.AdminStack)
		want    []string
	}{
		{name: "names that give the same Spacelift id collide",
			records: []atmos.Record{testRecord("s", "a", map[string]any{"stack_name": "Plat VPC"}), testRecord("s", "b", map[string]any{"stack_name": "plat-vpc"})},
			want:    []string{`Stack s-b: Spacelift name "plat-vpc" gives the Spacelift id "plat-vpc", as the name "Plat VPC" of Stack s-a does: Spacelift derives ids from names, so rename one of them (settings.spacelift.stack_name)`}},
		{name: "a name without an id is reported once, not as a duplicate",
			records: []atmos.Record{testRecord("s", "a", map[string]any{"stack_name": "🚀"}), testRecord("s", "b", map[string]any{"stack_name": "🔥"})},
			want: []string{
				`component "a" in stack "s": settings.spacelift.stack_name: Invalid value: "🚀": ` + noID,
				`component "b" in stack "s": settings.spacelift.stack_name: Invalid value: "🔥": ` + noID,
			}},
		{name: "a stack_name_pattern with a misspelt token",
			records: []atmos.Record{func() atmos.Record {
				r := testRecord("s", "a", map[string]any{"stack_name_pattern": "{tenant}-{enviroment}-{component}"})
				r.Name = "plat-{enviroment}-a" // atmos leaves unknown tokens as written
				return r
			}()},
			want: []string{`component "a" in stack "s": settings.spacelift.stack_name_pattern: Invalid value: "{tenant}-{enviroment}-{component}": ` +
				`token "{enviroment}" is not one atmos replaces (did you mean {environment}?): the tokens are {namespace}, {tenant}, {environment}, {stage}, {region}, {component}, {base-component}, {attributes}`}},
		{name: "a drift schedule that never fires and a time zone typo",
			records: []atmos.Record{testRecord("s", "a", map[string]any{
				"drift_detection_enabled": true, "drift_detection_schedule": []any{"0 4 * * *", "0 3 30 2 *"}, "drift_detection_timezone": "europe/berlin",
			})},
			want: []string{
				`component "a" in stack "s": settings.spacelift.drift_detection_schedule[1]: Invalid value: "0 3 30 2 *": never fires: none of the months "2" has the day-of-month "30"; use a day that the months have (February has 28, or 29 in leap years; April, June, September and November have 30)`,
				`component "a" in stack "s": settings.spacelift.drift_detection_timezone: Invalid value: "europe/berlin": "europe/berlin" is not in the tz database, whose names are case-sensitive: did you mean "Europe/Berlin"?`,
			}},
		{name: "a terraform_version that is neither a key of the map nor a version",
			records: []atmos.Record{testRecord("s", "a", map[string]any{"terraform_version": "latest"})},
			want: []string{`component "a" in stack "s": settings.spacelift.terraform_version: Invalid value: "latest": it is not a key of terraformVersionMap, so it is used as the version, and "latest" ` + notAVers +
				`; write a version, or add the key to spec.childDefaults.terraformVersionMap or settings.spacelift.terraform_version_map`}},
		{name: "a terraform_version_map entry that is not a version",
			records: []atmos.Record{testRecord("s", "a", map[string]any{"terraform_version": "edge", "terraform_version_map": map[string]any{"edge": "1.x"}})},
			want:    []string{`component "a" in stack "s": settings.spacelift.terraform_version: Invalid value: "edge": its terraformVersionMap entry "1.x" ` + notAVers}},
		{name: "the AdminStack's own version is reported once, not per child",
			records: []atmos.Record{testRecord("s", "a", nil), testRecord("s", "b", nil)},
			admin:   func(a *v1alpha1.AdminStack) { a.Spec.ChildDefaults.TerraformVersion = "1.9.x" },
			want: []string{`AdminStack plat: spec.childDefaults.terraformVersion: Invalid value: "1.9.x": it is not a key of terraformVersionMap, so it is used as the version, and "1.9.x" ` + notAVers +
				`; write a version, or add the key to spec.childDefaults.terraformVersionMap or settings.spacelift.terraform_version_map`}},
		{name: "valid values of every checked setting",
			records: []atmos.Record{testRecord("s", "a", map[string]any{
				"stack_name_pattern": "{tenant}-{environment}-{stage}-{component}", "terraform_version": "~> 1.9.0",
				"drift_detection_enabled": true, "drift_detection_schedule": []any{"0 */4 * * 1-5"}, "drift_detection_timezone": "America/New_York",
			})}},
		{name: "vars too large for the mounted file",
			records: []atmos.Record{withVars(testRecord("s", "big", nil), map[string]any{"blob": strings.Repeat("x", 5<<20)})},
			want: []string{`component "big" in stack "s": vars: the tfvars file the child Stack s-big mounts is 5.0 MiB (5242919 bytes), more than the 512 KiB one Kubernetes object can carry (etcd refuses objects over about 1.5 MiB); ` +
				`move large values out of vars (e.g. into a file in the component's directory) or split the component`}},
		{name: "vars just under the bound pass",
			records: []atmos.Record{withVars(testRecord("s", "a", nil), map[string]any{"blob": strings.Repeat("x", MaxVarsFileBytes-100)})}},
		{name: "a child object too large as a whole",
			records: []atmos.Record{func() atmos.Record {
				r := testRecord("s", "env", nil)
				r.Env = map[string]any{"A": strings.Repeat("x", 600<<10), "B": strings.Repeat("y", 600<<10)}
				return r
			}()},
			want: []string{`component "env" in stack "s": the child Stack s-env is 1.2 MiB (1230141 bytes) as JSON, more than the 1 MiB one Kubernetes object may have (etcd refuses objects over about 1.5 MiB); ` +
				`make its vars, env, hooks or labels smaller, or split the component`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := testAdmin()
			if tc.admin != nil {
				tc.admin(a)
			}
			if diff := cmp.Diff(tc.want, problemLines(a, tc.records, nil)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// A Stack object in the namespace whose Spacelift name gives the same id as
// a child's is a conflict, even when the names differ.
func TestSpaceliftIDTakenInTheNamespace(t *testing.T) {
	cluster := &Cluster{Policies: map[string]bool{"child-policy": true}, Stacks: map[string]Existing{"by-hand": {SpaceliftName: "S A"}}}
	got := problemLines(testAdmin(), []atmos.Record{testRecord("s", "a", nil)}, cluster)
	want := []string{`Stack s-a: Spacelift name "s-a" gives the Spacelift id "s-a", as the name "S A" of Stack by-hand does: rename one of them`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// The child AdminStacks of a root admin get the name checks too.
func TestChildAdminStackNameChecks(t *testing.T) {
	root := testAdmin()
	root.Name = "root"
	root.Spec.RootAdmin = true
	mk := func(component, name string) atmos.Record {
		r := testRecord("core-gbl-auto", component, map[string]any{"administrative": true, "stack_name": name})
		r.Administrative = true
		return r
	}
	got := problemLines(root, []atmos.Record{mk("admin-a", "Team A"), mk("admin-b", "team_a"), mk("admin-c", "…")}, nil)
	want := []string{
		`AdminStack core-gbl-auto-admin-b: Spacelift name "team_a" gives the Spacelift id "team-a", as the name "Team A" of AdminStack core-gbl-auto-admin-a does: Spacelift derives ids from names, so rename one of them (settings.spacelift.stack_name)`,
		`component "admin-c" in stack "core-gbl-auto": settings.spacelift.stack_name: Invalid value: "…": has no ASCII letter or digit, so Spacelift cannot derive an id from it: add some, e.g. "payments-db" (emoji, punctuation and non-Latin letters are dropped)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int]string{
		100: "100 bytes", 512 << 10: "512 KiB", 1 << 20: "1 MiB", 1536: "1.5 KiB (1536 bytes)", 5<<20 + 43: "5.0 MiB (5242923 bytes)",
	} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
