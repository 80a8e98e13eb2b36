package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/event"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// describe renders changes as "field desc" lines, for comparison.
func describe(changes []partChange) []string {
	out := make([]string, len(changes))
	for i, c := range changes {
		out[i] = c.mutation.Field + " " + c.mutation.Desc
	}
	return out
}

func TestDependencyChanges(t *testing.T) {
	refs := func(pairs ...string) []spaceliftv1alpha1.DependencyReference {
		var out []spaceliftv1alpha1.DependencyReference
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, spaceliftv1alpha1.DependencyReference{OutputName: pairs[i], InputName: pairs[i+1]})
		}
		return out
	}
	existing := spacelift.StackDependency{ID: "d1", StackID: "app", DependsOnStackID: "net", References: []spacelift.StackDependencyReference{
		{ID: "r1", OutputName: "vpc_id", InputName: "TF_VAR_vpc"},
		{ID: "r2", OutputName: "old", InputName: "TF_VAR_subnet"},
		{ID: "r3", OutputName: "gone", InputName: "TF_VAR_gone"},
	}}
	cases := []struct {
		name string
		want []resolvedDependency
		got  []spacelift.StackDependency
		out  []string
	}{
		{"in sync", []resolvedDependency{{stackID: "net", references: refs("vpc_id", "TF_VAR_vpc")}},
			[]spacelift.StackDependency{{ID: "d1", DependsOnStackID: "net", References: existing.References[:1]}}, []string{}},
		{"new dependency: create, references follow its answer", []resolvedDependency{{stackID: "db", references: refs("url", "TF_VAR_db")}}, nil,
			[]string{"stackDependencyCreate depend on db"}},
		{"references: keep, replace a changed output, remove, add", []resolvedDependency{{stackID: "net", references: refs("vpc_id", "TF_VAR_vpc", "subnet_id", "TF_VAR_subnet", "zone", "TF_VAR_zone")}},
			[]spacelift.StackDependency{existing}, []string{
				"stackDependenciesDeleteReference remove reference TF_VAR_subnet",
				"stackDependenciesAddReference reference subnet_id as TF_VAR_subnet",
				"stackDependenciesAddReference reference zone as TF_VAR_zone",
				"stackDependenciesDeleteReference remove reference TF_VAR_gone"}},
		{"unwanted dependency deleted", nil, []spacelift.StackDependency{existing}, []string{"stackDependencyDelete stop depending on net"}},
	}
	for _, tc := range cases {
		got := describe(dependencyChanges("app", tc.want, tc.got))
		if !slices.Equal(got, tc.out) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.out)
		}
	}

	create := dependencyChanges("app", []resolvedDependency{{stackID: "db", references: refs("url", "TF_VAR_db")}}, nil)
	more, err := create[0].then(json.RawMessage(`{"id":"dep-9"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := describe(more); !slices.Equal(got, []string{"stackDependenciesAddReference reference url as TF_VAR_db"}) || more[0].mutation.Args[0].Value != any(spacelift.AddDependencyReferenceMutation("dep-9", spacelift.StackDependencyReferenceInput{}).Args[0].Value) {
		t.Errorf("follow-up of the create = %q %+v", got, more)
	}
	if _, err := create[0].then(json.RawMessage(`null`)); err == nil {
		t.Error("an answer without an id must be an error")
	}
}

func TestAWSChanges(t *testing.T) {
	want := &spaceliftv1alpha1.AWSIntegrationAttachment{ID: "aws-1", Read: true, Write: true}
	cases := []struct {
		name string
		want *spaceliftv1alpha1.AWSIntegrationAttachment
		got  []spacelift.AWSIntegrationAttachment
		out  []string
	}{
		{"attach", want, nil, []string{"awsIntegrationAttach attach AWS integration aws-1"}},
		{"in sync", want, []spacelift.AWSIntegrationAttachment{{ID: "a1", IntegrationID: "aws-1", Read: true, Write: true}}, []string{}},
		{"access changed", want, []spacelift.AWSIntegrationAttachment{{ID: "a1", IntegrationID: "aws-1", Read: true}}, []string{"awsIntegrationAttachmentUpdate update AWS attachment a1"}},
		{"another integration replaced", want, []spacelift.AWSIntegrationAttachment{{ID: "a2", IntegrationID: "aws-2"}},
			[]string{"awsIntegrationDetach detach AWS attachment a2", "awsIntegrationAttach attach AWS integration aws-1"}},
		{"removed from the spec", nil, []spacelift.AWSIntegrationAttachment{{ID: "a1", IntegrationID: "aws-1"}}, []string{"awsIntegrationDetach detach AWS attachment a1"}},
	}
	for _, tc := range cases {
		if got := describe(awsChanges("app", tc.want, tc.got)); !slices.Equal(got, tc.out) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.out)
		}
	}
}

func TestWebhookChanges(t *testing.T) {
	hook := func(endpoint, secret string) resolvedWebhook {
		return resolvedWebhook{spec: spaceliftv1alpha1.Webhook{Endpoint: endpoint, Enabled: true}, secret: secret}
	}
	want := []resolvedWebhook{hook("https://a", "s1"), hook("https://b", "s2")}
	got := []spacelift.Webhook{{ID: "w1", Endpoint: "https://a", Enabled: true}, {ID: "w3", Endpoint: "https://c", Enabled: true}}
	recorded := map[string]string{"https://a": "d1"}
	cases := []struct {
		name   string
		wanted map[string]string
		out    []string
	}{
		{"same secret: only create b and delete c", map[string]string{"https://a": "d1", "https://b": "d2"},
			[]string{"webhooksIntegrationCreate add webhook https://b", "webhooksIntegrationDelete delete webhook https://c"}},
		{"rotated secret of a: rewritten", map[string]string{"https://a": "d9", "https://b": "d2"},
			[]string{"webhooksIntegrationUpdate update webhook https://a", "webhooksIntegrationCreate add webhook https://b", "webhooksIntegrationDelete delete webhook https://c"}},
	}
	for _, tc := range cases {
		changes := webhookChanges("app", want, got, recorded, tc.wanted)
		if d := describe(changes); !slices.Equal(d, tc.out) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, d, tc.out)
		}
		for _, c := range changes {
			if strings.Contains(c.mutation.Desc, "s1") || strings.Contains(c.mutation.Desc, "s2") {
				t.Errorf("%s: a secret is in the description %q", tc.name, c.mutation.Desc)
			}
		}
	}
}

func TestDriftDetectionChange(t *testing.T) {
	want := &spacelift.DriftDetectionIntegrationInput{Schedule: []string{"0 * * * *"}, Timezone: ptrTo("UTC")}
	have := &spacelift.DriftDetectionIntegration{Schedule: []string{"0 * * * *"}, Timezone: "UTC"}
	changed := &spacelift.DriftDetectionIntegration{Schedule: []string{"*/5 * * * *"}, Timezone: "UTC"}
	for _, tc := range []struct {
		name  string
		want  *spacelift.DriftDetectionIntegrationInput
		got   *spacelift.DriftDetectionIntegration
		field string
	}{
		{"none wanted, none there", nil, nil, ""},
		{"in sync", want, have, ""},
		{"create", want, nil, "stackIntegrationDriftDetectionCreate"},
		{"update", want, changed, "stackIntegrationDriftDetectionUpdate"},
		{"delete", nil, have, "stackIntegrationDriftDetectionDelete"},
	} {
		m, ok := driftDetectionChange("app", tc.want, tc.got)
		if ok != (tc.field != "") || m.Field != tc.field {
			t.Errorf("%s: %q %v, want %q", tc.name, m.Field, ok, tc.field)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }

// A new stack's every part goes out in one plan, settings first; an
// up-to-date stack plans nothing.
func TestPlanStackChangesNewStack(t *testing.T) {
	obj := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "team"}, Spec: spaceliftv1alpha1.StackSpec{
		Repository:     "infra",
		Branch:         "main",
		DriftDetection: &spaceliftv1alpha1.DriftDetection{Enabled: true, Schedule: []spaceliftv1alpha1.CronSchedule{"0 * * * *"}},
		Contexts:       []spaceliftv1alpha1.ContextAttachment{{ID: "shared", Priority: 1}},
	}}
	resolved := resolvedStackRefs{
		config:       []spacelift.ConfigInput{spacelift.EnvironmentVariable("REGION", "eu-west-1", false)},
		policyIDs:    []string{"plan-policy"},
		dependencies: []resolvedDependency{{stackID: "net"}},
	}
	in := desiredStackInput(obj)
	created := &spacelift.Stack{ID: "app", Name: in.Name, Repository: in.Repository, Branch: in.Branch, Provider: *in.Provider,
		Labels: in.Labels, Space: "root", VendorConfig: deref(in.VendorConfig)}
	got := describe(planStackChanges(&partInput{obj: obj, id: "app", resolved: &resolved, observed: &spacelift.StackSnapshot{Stack: created}}))
	want := []string{
		"stackConfigAdd set REGION",
		"policyAttach attach policy plan-policy",
		"contextAttach attach context shared",
		"stackIntegrationDriftDetectionCreate create drift detection",
		"stackDependencyCreate depend on net",
	}
	if !slices.Equal(got, want) {
		t.Errorf("plan for a new stack:\n got %q\nwant %q", got, want)
	}
	created.Description = "edited in the UI"
	if got := describe(planStackChanges(&partInput{obj: obj, id: "app", resolved: &resolvedStackRefs{}, observed: &spacelift.StackSnapshot{Stack: created}})); len(got) == 0 || got[0] != "stackUpdate settings: description" {
		t.Errorf("a UI edit is not reverted first: %q", got)
	}
}

// observeAPI answers ObserveStack with a fixed snapshot.
type observeAPI struct {
	StackAPI
	snap  *spacelift.StackSnapshot
	reads int
}

func (a *observeAPI) ObserveStack(context.Context, string) (*spacelift.StackSnapshot, error) {
	a.reads++
	return a.snap, nil
}

func TestAppliedAnyway(t *testing.T) {
	obj := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "team"}}
	in := desiredStackInput(obj)
	stack := &spacelift.Stack{ID: "app", Name: in.Name, Provider: *in.Provider, Labels: in.Labels, Space: "root", VendorConfig: deref(in.VendorConfig)}
	refused := &spacelift.BatchError{Descs: []string{"attach policy p"}, Err: &spacelift.Error{Kind: spacelift.KindInvalidInput, Operation: applyName, Messages: []string{"already attached"}}}
	transient := &spacelift.Error{Kind: spacelift.KindTransient, Operation: applyName}
	attached := &spacelift.StackSnapshot{Stack: stack, Policies: []spacelift.StackPolicyAttachment{{ID: "a1", PolicyID: "p"}}}
	for _, tc := range []struct {
		name      string
		err       error
		observed  *spacelift.StackSnapshot
		want      error
		wantReads int
	}{
		{"refused, but the attachment landed: in sync", refused, attached, nil, 1},
		{"refused and still missing: a real rejection", refused, &spacelift.StackSnapshot{Stack: stack}, refused, 1},
		{"a lost answer is not re-checked here", transient, attached, transient, 0},
	} {
		api := &observeAPI{snap: tc.observed}
		r := &StackReconciler{Recorder: record.NewFakeRecorder(10)}
		s := &stackScope{obj: obj, api: api, id: "app", resolved: resolvedStackRefs{policyIDs: []string{"p"}}}
		got := r.appliedAnyway(context.Background(), s, fmt.Errorf("stack %q: %w", "app", tc.err))
		if (tc.want == nil) != (got == nil) || (tc.want != nil && !errors.Is(got, tc.want)) || api.reads != tc.wantReads {
			t.Errorf("%s: %v after %d reads, want %v after %d", tc.name, got, api.reads, tc.want, tc.wantReads)
		}
	}
}

func TestIDChanged(t *testing.T) {
	stack := func(annotated, confirmed string, ready bool) *spaceliftv1alpha1.Stack {
		s := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: "net", Annotations: map[string]string{spaceliftv1alpha1.AnnotationSpaceliftID: annotated}}}
		s.Status.SpaceliftID = confirmed
		if ready {
			s.Status.ObservedGeneration = 2
		}
		return s
	}
	for _, tc := range []struct {
		name     string
		old, new *spaceliftv1alpha1.Stack
		want     bool
	}{
		{"id written before the create", stack("", "", false), stack("net", "", false), true},
		{"create confirmed", stack("net", "", false), stack("net", "net", false), true},
		{"status churn", stack("net", "net", false), stack("net", "net", true), false},
	} {
		if got := idChanged.Update(event.UpdateEvent{ObjectOld: tc.old, ObjectNew: tc.new}); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestStatusMemo(t *testing.T) {
	var m statusMemo
	a := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{UID: "a"}}
	b := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{UID: "b"}}
	ready := spaceliftv1alpha1.StackStatus{CommonStatus: spaceliftv1alpha1.CommonStatus{SpaceliftID: "net"}}
	if !m.changed(a, ready) || !m.changed(b, ready) {
		t.Fatal("a first status must be written")
	}
	if m.changed(a, ready) {
		t.Error("the status just written was written again (a reconcile that read a stale copy)")
	}
	if !m.changed(a, spaceliftv1alpha1.StackStatus{CommonStatus: spaceliftv1alpha1.CommonStatus{SpaceliftID: "other"}}) {
		t.Error("a new status was not written")
	}
	m.forget(b)
	if !m.changed(b, ready) {
		t.Error("after a failed write the status must be written again")
	}
}
