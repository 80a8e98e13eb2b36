package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Networking Prod":     "networking-prod",
		"plat-ue2-dev-vpc":    "plat-ue2-dev-vpc",
		"  a__b  ":            "a-b",
		"Ünïcode/Stack 2":     "n-code-stack-2",
		"trailing---":         "trailing",
		"core/auto/gbl-admin": "core-auto-gbl-admin",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// observedFrom turns a desired input into the stack Spacelift would report.
func observedFrom(in spacelift.StackInput) *spacelift.Stack {
	return &spacelift.Stack{
		Name: in.Name, Repository: in.Repository, Branch: in.Branch, Provider: deref(in.Provider),
		RepositoryURL: deref(in.RepositoryURL), VCSIntegrationID: deref(in.VCSIntegrationID), ProjectRoot: deref(in.ProjectRoot),
		AdditionalProjectGlobs: in.AdditionalProjectGlobs, Description: deref(in.Description), Labels: in.Labels, Space: deref(in.Space),
		WorkerPool: deref(in.WorkerPool), RunnerImage: deref(in.RunnerImage), Administrative: in.Administrative, Autodeploy: in.Autodeploy,
		Autoretry: in.Autoretry, LocalPreviewEnabled: in.LocalPreviewEnabled, ProtectFromDeletion: in.ProtectFromDeletion,
		VendorConfig: *in.VendorConfig, BeforeInit: in.BeforeInit,
	}
}

func TestDesiredStackInputAndDiff(t *testing.T) {
	base := func() *spaceliftv1alpha1.Stack {
		s := newStack("net", func(spec *spaceliftv1alpha1.StackSpec) {
			spec.Labels = []spaceliftv1alpha1.SpaceliftLabel{"team:b", "team:a"}
			spec.Hooks.BeforeInit = []string{"echo hi"}
		})
		return s
	}
	s := base()
	want := desiredStackInput(s)
	if want.Name != "net" || deref(want.Space) != "root" || deref(want.Provider) != "GITHUB" {
		t.Errorf("defaults: name %q space %q provider %q", want.Name, deref(want.Space), deref(want.Provider))
	}
	if fmt.Sprint(want.Labels) != "[k8s-owner:default/net team:a team:b]" {
		t.Errorf("labels = %v", want.Labels)
	}
	if got := vendorString(want.VendorConfig); got != "terraform{version=1.9.8 tool=TERRAFORM_FOSS workspace= smart=false external=false}" {
		t.Errorf("vendor = %s", got)
	}

	cases := []struct {
		name  string
		edit  func(*spacelift.Stack)
		wantD []string
	}{
		{name: "in sync", edit: func(*spacelift.Stack) {}},
		{name: "labels in another order", edit: func(o *spacelift.Stack) { o.Labels = []string{"team:b", "k8s-owner:default/net", "team:a"} }},
		{name: "description edited in the UI", edit: func(o *spacelift.Stack) { o.Description = "ui" },
			wantD: []string{"description: ui -> "}},
		{name: "extra label", edit: func(o *spacelift.Stack) { o.Labels = append(o.Labels, "x") },
			wantD: []string{"labels: [k8s-owner:default/net team:a team:b x] -> [k8s-owner:default/net team:a team:b]"}},
		{name: "terraform version", edit: func(o *spacelift.Stack) {
			o.VendorConfig.Terraform = &spacelift.TerraformInput{Version: ptr.To("1.5.0")}
		},
			wantD: []string{"vendorConfig: terraform{version=1.5.0 tool=TERRAFORM_FOSS workspace= smart=false external=false} -> terraform{version=1.9.8 tool=TERRAFORM_FOSS workspace= smart=false external=false}"}},
		{name: "hooks removed", edit: func(o *spacelift.Stack) { o.BeforeInit = nil }, wantD: []string{"hooks"}},
		{name: "protection and autodeploy", edit: func(o *spacelift.Stack) { o.ProtectFromDeletion = true; o.Autodeploy = true },
			wantD: []string{"autodeploy: true -> false", "protectFromDeletion: true -> false"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := observedFrom(want)
			tc.edit(o)
			got := stackDiff(want, o)
			if len(got) != len(tc.wantD) {
				t.Fatalf("diff = %q, want %q", got, tc.wantD)
			}
			for i := range got {
				if tc.wantD[i] == "hooks" {
					if got[i][:6] != "hooks:" {
						t.Errorf("diff[%d] = %q, want a hooks entry", i, got[i])
					}
					continue
				}
				if got[i] != tc.wantD[i] {
					t.Errorf("diff[%d] = %q, want %q", i, got[i], tc.wantD[i])
				}
			}
		})
	}
}

func TestDesiredVendor(t *testing.T) {
	cases := []struct {
		spec spaceliftv1alpha1.StackSpec
		want string
	}{
		{spaceliftv1alpha1.StackSpec{OpenTofu: &spaceliftv1alpha1.OpenTofuVendor{Version: "1.8.0", SmartSanitization: true}}, "opentofu{version=1.8.0 workspace= smart=true external=false}"},
		{spaceliftv1alpha1.StackSpec{Terragrunt: &spaceliftv1alpha1.TerragruntVendor{TerragruntVersion: "0.66.0", UseRunAll: true}}, "terragrunt{tf= tg=0.66.0 runAll=true smart=false tool=TERRAFORM_FOSS}"},
		{spaceliftv1alpha1.StackSpec{Kubernetes: &spaceliftv1alpha1.KubernetesVendor{Namespace: "apps"}}, "kubernetes{namespace=apps kubectl=}"},
		{spaceliftv1alpha1.StackSpec{Ansible: &spaceliftv1alpha1.AnsibleVendor{Playbook: "site.yml"}}, "ansible{Playbook:site.yml}"},
		{spaceliftv1alpha1.StackSpec{}, "none"},
	}
	for _, tc := range cases {
		if got := vendorString(desiredVendor(&tc.spec)); got != tc.want {
			t.Errorf("vendor = %s, want %s", got, tc.want)
		}
	}
}

func sum(v string) string {
	s := sha256.Sum256([]byte(v))
	return hex.EncodeToString(s[:])
}

func TestConfigDiff(t *testing.T) {
	want := []spacelift.ConfigInput{
		spacelift.EnvironmentVariable("A", "1", false),
		spacelift.EnvironmentVariable("SECRET", "s3cr3t", true),
		configInput("/mnt/workspace/vars.json", `{"a":1}`, false),
	}
	cases := []struct {
		name       string
		got        []spacelift.ConfigElement
		wantAdd    []string
		wantDelete []string
	}{
		{name: "empty stack", wantAdd: []string{"A", "SECRET", "vars.json"}},
		{name: "in sync, write-only matched by checksum", got: []spacelift.ConfigElement{
			{ID: "A", Type: spacelift.ConfigTypeEnvironmentVariable, Value: ptr.To("1")},
			{ID: "SECRET", Type: spacelift.ConfigTypeEnvironmentVariable, WriteOnly: true, Checksum: sum("s3cr3t")},
			{ID: "vars.json", Type: spacelift.ConfigTypeFileMount, Value: ptr.To("eyJhIjoxfQ==")},
		}},
		{name: "rotated secret, changed value, extra variable", got: []spacelift.ConfigElement{
			{ID: "A", Type: spacelift.ConfigTypeEnvironmentVariable, Value: ptr.To("2")},
			{ID: "SECRET", Type: spacelift.ConfigTypeEnvironmentVariable, WriteOnly: true, Checksum: sum("old")},
			{ID: "vars.json", Type: spacelift.ConfigTypeFileMount, Value: ptr.To("eyJhIjoxfQ==")},
			{ID: "UI_ADDED", Type: spacelift.ConfigTypeEnvironmentVariable, Value: ptr.To("x")},
		}, wantAdd: []string{"A", "SECRET"}, wantDelete: []string{"UI_ADDED"}},
		{name: "made readable in the UI", got: []spacelift.ConfigElement{
			{ID: "A", Type: spacelift.ConfigTypeEnvironmentVariable, Value: ptr.To("1")},
			{ID: "SECRET", Type: spacelift.ConfigTypeEnvironmentVariable, Value: ptr.To("s3cr3t")},
			{ID: "vars.json", Type: spacelift.ConfigTypeFileMount, Value: ptr.To("eyJhIjoxfQ==")},
		}, wantAdd: []string{"SECRET"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ch := configDiff(want, tc.got)
			var add []string
			for _, a := range ch.Add {
				add = append(add, a.ID)
			}
			if fmt.Sprint(add) != fmt.Sprint(tc.wantAdd) || fmt.Sprint(ch.Delete) != fmt.Sprint(tc.wantDelete) {
				t.Errorf("add %v delete %v, want add %v delete %v", add, ch.Delete, tc.wantAdd, tc.wantDelete)
			}
		})
	}
}

func TestPolicyDiff(t *testing.T) {
	got := []spacelift.StackPolicyAttachment{
		{ID: "att-1", PolicyID: "keep"},
		{ID: "att-2", PolicyID: "stale"},
		{ID: "att-3", PolicyID: "auto", IsAutoattached: true},
	}
	ch := policyDiff([]string{"keep", "new", "new"}, got)
	if fmt.Sprint(ch.Attach) != "[new]" || fmt.Sprint(ch.Detach) != "[att-2]" {
		t.Errorf("attach %v detach %v", ch.Attach, ch.Detach)
	}
}

func TestContextDiff(t *testing.T) {
	got := []spacelift.ContextAttachment{
		{ID: "a1", ContextID: "same", Priority: 1},
		{ID: "a2", ContextID: "moved", Priority: 1},
		{ID: "a3", ContextID: "gone", Priority: 0},
		{ID: "a4", ContextID: "auto", IsAutoattached: true},
	}
	want := []spaceliftv1alpha1.ContextAttachment{{ID: "same", Priority: 1}, {ID: "moved", Priority: 5}, {ID: "fresh"}}
	ch := contextDiff(want, got)
	var attach []string
	for _, a := range ch.Attach {
		attach = append(attach, fmt.Sprintf("%s@%d", a.ID, a.Priority))
	}
	if fmt.Sprint(attach) != "[moved@5 fresh@0]" || fmt.Sprint(ch.Detach) != "[a2 a3]" {
		t.Errorf("attach %v detach %v", attach, ch.Detach)
	}
}

func TestDriftDetectionUpToDate(t *testing.T) {
	want := desiredDriftDetection(&spaceliftv1alpha1.DriftDetection{Enabled: true, Schedule: []spaceliftv1alpha1.CronSchedule{"0  4 * * *"}})
	if fmt.Sprint(want.Schedule) != "[0 4 * * *]" || deref(want.Timezone) != "UTC" {
		t.Fatalf("desired = %+v", want)
	}
	cases := []struct {
		name string
		want *spacelift.DriftDetectionIntegrationInput
		got  *spacelift.DriftDetectionIntegration
		ok   bool
	}{
		{"both absent", nil, nil, true},
		{"disabled in spec", desiredDriftDetection(&spaceliftv1alpha1.DriftDetection{Enabled: false}), nil, true},
		{"missing", want, nil, false},
		{"to remove", nil, &spacelift.DriftDetectionIntegration{}, false},
		{"same", want, &spacelift.DriftDetectionIntegration{Schedule: []string{"0 4 * * *"}, Timezone: "UTC"}, true},
		{"schedule changed", want, &spacelift.DriftDetectionIntegration{Schedule: []string{"0 5 * * *"}, Timezone: "UTC"}, false},
		{"reconcile toggled", want, &spacelift.DriftDetectionIntegration{Schedule: []string{"0 4 * * *"}, Timezone: "UTC", Reconcile: true}, false},
	}
	for _, tc := range cases {
		if got := driftDetectionUpToDate(tc.want, tc.got); got != tc.ok {
			t.Errorf("%s: up to date = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestKstatusConditions(t *testing.T) {
	type row struct{ ready, reconciling, stalled, synced string }
	cases := []struct {
		name string
		o    syncOutcome
		want row
	}{
		{"synced", syncOutcome{synced: true, what: "stack x"}, row{"True/Succeeded", "False/Succeeded", "False/Succeeded", "True/Succeeded"}},
		{"first reconcile", syncOutcome{}, row{"Unknown/Progressing", "True/Progressing", "False/Progressing", "Unknown/Progressing"}},
		{"stalled", syncOutcome{stalled: &condition{"InvalidSpec", "bad"}}, row{"False/InvalidSpec", "False/InvalidSpec", "True/InvalidSpec", "False/InvalidSpec"}},
		{"waiting", syncOutcome{waiting: &condition{"DependencyNotReady", "w"}}, row{"False/DependencyNotReady", "True/DependencyNotReady", "False/DependencyNotReady", "Unknown/DependencyNotReady"}},
		{"transient", syncOutcome{transient: true}, row{"False/SpaceliftUnavailable", "True/SpaceliftUnavailable", "False/SpaceliftUnavailable", "Unknown/SpaceliftUnavailable"}},
		{"suspended", syncOutcome{suspended: true}, row{"False/Suspended", "False/Suspended", "False/Suspended", "Unknown/Suspended"}},
		{"deleting", syncOutcome{deleting: &condition{"Deleting", "d"}}, row{"False/Deleting", "True/Deleting", "False/Deleting", ""}},
		{"protected", syncOutcome{deleting: &condition{"DeletionProtected", "p"}}, row{"False/DeletionProtected", "False/DeletionProtected", "True/DeletionProtected", ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conds := kstatusConditions(tc.o, nil, 3)
			get := func(typ string) string {
				for _, c := range conds {
					if c.Type == typ {
						if c.ObservedGeneration != 3 {
							t.Errorf("%s observedGeneration = %d", typ, c.ObservedGeneration)
						}
						return string(c.Status) + "/" + c.Reason
					}
				}
				return ""
			}
			got := row{get("Ready"), get("Reconciling"), get("Stalled"), get("Synced")}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDriftCondition(t *testing.T) {
	enabled := &spaceliftv1alpha1.StackSpec{DriftDetection: &spaceliftv1alpha1.DriftDetection{Enabled: true}}
	checked := func(n int32) driftObservation {
		return driftObservation{checked: true, drift: spaceliftv1alpha1.DriftStatus{Drifted: n > 0, DriftedResources: n, RunID: "run-1"}}
	}
	prev := &metav1.Condition{Type: "Drifted", Status: metav1.ConditionTrue, Reason: "DriftDetected", Message: "2 resources drifted (run run-0)"}
	cases := []struct {
		name string
		spec *spaceliftv1alpha1.StackSpec
		obs  driftObservation
		prev *metav1.Condition
		want string
	}{
		{"disabled", &spaceliftv1alpha1.StackSpec{}, driftObservation{}, nil, "Unknown/DriftDetectionDisabled/drift detection is not enabled: set spec.driftDetection"},
		{"not yet checked", enabled, driftObservation{}, nil, "Unknown/NotYetChecked/no drift-detection run has finished yet"},
		{"one resource", enabled, checked(1), nil, "True/DriftDetected/1 resource drifted (run run-1)"},
		{"several", enabled, checked(4), nil, "True/DriftDetected/4 resources drifted (run run-1)"},
		{"clean", enabled, checked(0), prev, "False/NoDrift/no drift (run run-1)"},
		{"keeps last result between polls", enabled, driftObservation{}, prev, "True/DriftDetected/2 resources drifted (run run-0)"},
	}
	for _, tc := range cases {
		c := driftCondition(tc.spec, tc.obs, tc.prev)
		if got := fmt.Sprintf("%s/%s/%s", c.Status, c.Reason, c.Message); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestReconcileRun(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	runs := []spacelift.Run{
		{ID: "before", Type: spacelift.RunTypeTracked, CreatedAt: t0.Add(-time.Minute)},
		{ID: "drift", Type: spacelift.RunTypeProposed, DriftDetection: true, CreatedAt: t0},
		{ID: "later", Type: spacelift.RunTypeTracked, CreatedAt: t0.Add(2 * time.Minute)},
		{ID: "reconcile", Type: spacelift.RunTypeTracked, CreatedAt: t0.Add(time.Minute)},
	}
	if got := reconcileRun(runs, t0); got != "reconcile" {
		t.Errorf("reconcileRun = %q", got)
	}
	if got := reconcileRun(runs[:2], t0); got != "" {
		t.Errorf("reconcileRun without tracked run = %q", got)
	}
}

func TestCheckRego(t *testing.T) {
	cases := []struct {
		name, body string
		engine     spaceliftv1alpha1.PolicyEngineType
		want       string
	}{
		{"v1 ok", "package spacelift\n\ndeny contains \"x\" if { input.a == 1 }\n", spaceliftv1alpha1.PolicyEngineRegoV1, ""},
		{"v0 ok", "package spacelift\n\ndeny[\"x\"] { input.a == 1 }\n", spaceliftv1alpha1.PolicyEngineRegoV0, ""},
		{"v0 syntax under v1", "package spacelift\n\ndeny[\"x\"] { input.a == 1 }\n", spaceliftv1alpha1.PolicyEngineRegoV1,
			"line 3, column 1: `if` keyword is required before rule body; line 3, column 1: `contains` keyword is required for partial set rules"},
		{"unsafe variable", "package spacelift\n\ndeny contains x if { input.a == 1 }\n", spaceliftv1alpha1.PolicyEngineRegoV1,
			"line 3, column 15: var x is unsafe"},
		{"empty", "", spaceliftv1alpha1.PolicyEngineRegoV1, "policy body is empty: it needs at least a package declaration"},
	}
	for _, tc := range cases {
		err := checkRego("p", tc.body, tc.engine)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s: error %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRoleBindingDiff(t *testing.T) {
	want := []spaceliftv1alpha1.StackRoleBinding{{RoleID: "admin", SpaceID: "root"}, {RoleID: "reader", SpaceID: "dev"}, {RoleID: "admin", SpaceID: "root"}}
	ch := roleBindingDiff(want, map[string]string{"admin@root": "b1", "writer@prod": "b2"})
	var created []string
	for _, b := range ch.Create {
		created = append(created, roleBindingKey(b))
	}
	if fmt.Sprint(created) != "[reader@dev]" || fmt.Sprint(ch.Delete) != "[writer@prod]" || fmt.Sprint(ch.Check) != "[admin@root]" {
		t.Errorf("create %v delete %v check %v", created, ch.Delete, ch.Check)
	}
}

func TestRefreshIsCheaper(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	set := func(stacks, dirty int, age time.Duration) *stackSnapshots {
		s := &stackSnapshots{byID: map[string]spacelift.StackSnapshot{}, dirty: map[string]time.Time{}, at: now.Add(-age)}
		for i := range stacks {
			s.byID[fmt.Sprint(i)] = spacelift.StackSnapshot{}
		}
		for i := range dirty {
			s.dirty[fmt.Sprint(i)] = now
		}
		return s
	}
	cases := []struct {
		name string
		s    *stackSnapshots
		want bool
	}{
		{"one dirty stack among 5000: read it directly", set(5000, 1, time.Minute), false},
		{"many dirty stacks: one refresh is cheaper", set(5000, 150, time.Minute), true},
		{"cheaper but just refreshed", set(5000, 150, time.Second), false},
		{"just refreshed, but direct reads cost over four refreshes", set(5000, 450, time.Second), true},
		{"small account, two dirty stacks", set(40, 2, time.Minute), true},
	}
	for _, tc := range cases {
		if got := tc.s.refreshIsCheaper(now, 20*time.Second); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
