package controllers

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
)

func strp(s string) *string { return &s }

func TestOutputsData(t *testing.T) {
	outs := []spacelift.StackOutput{
		{ID: "vpc_id", Value: strp("vpc-1")},
		{ID: "region", Value: strp("eu-west-1")},
		{ID: "db_password", Sensitive: true},
		{ID: "api_token", Sensitive: true, Value: strp("tok")},
	}
	for _, tc := range []struct {
		name string
		spec spaceliftv1alpha1.OutputsSecret
		want outputsWrite
	}{
		{name: "all outputs into the Secret",
			spec: spaceliftv1alpha1.OutputsSecret{Name: "s"},
			want: outputsWrite{
				secret:       map[string][]byte{"vpc_id": []byte("vpc-1"), "region": []byte("eu-west-1"), "api_token": []byte("tok")},
				withoutValue: []string{"db_password"},
			}},
		{name: "selection with renames and a missing output",
			spec: spaceliftv1alpha1.OutputsSecret{Name: "s", Outputs: []spaceliftv1alpha1.OutputSelector{
				{Name: "vpc_id", Key: "VPC_ID"}, {Name: "region"}, {Name: "nope"}}},
			want: outputsWrite{
				secret:       map[string][]byte{"VPC_ID": []byte("vpc-1"), "region": []byte("eu-west-1")},
				withoutValue: []string{"nope"},
			}},
		{name: "non-sensitive outputs to the ConfigMap, sensitive ones to the Secret only",
			spec: spaceliftv1alpha1.OutputsSecret{Name: "s", ConfigMap: &spaceliftv1alpha1.LocalObjectReference{Name: "c"}},
			want: outputsWrite{
				secret:       map[string][]byte{"api_token": []byte("tok")},
				configMap:    map[string]string{"vpc_id": "vpc-1", "region": "eu-west-1"},
				withoutValue: []string{"db_password"},
			}},
		{name: "an output whose name is no valid key is not written",
			spec: spaceliftv1alpha1.OutputsSecret{Name: "s", Outputs: []spaceliftv1alpha1.OutputSelector{{Name: "region", Key: "a/b"}}},
			want: outputsWrite{secret: map[string][]byte{}, withoutValue: []string{"region"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := outputsData(&tc.spec, outs)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(outputsWrite{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("outputsData (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOutputsStale(t *testing.T) {
	spec := &spaceliftv1alpha1.OutputsSecret{Name: "s"}
	digest := outputsSpecDigest(spec)
	written := map[string]string{spaceliftv1alpha1.AnnotationOutputsSpec: digest, spaceliftv1alpha1.AnnotationOutputsRun: "run-1"}
	recorded := &spaceliftv1alpha1.OutputsStatus{SecretName: "s", RunID: "run-1"}
	for _, tc := range []struct {
		name     string
		objs     []map[string]string
		run      string
		runKnown bool
		prev     *spaceliftv1alpha1.OutputsStatus
		want     string
	}{
		{"up to date", []map[string]string{written}, "run-1", true, recorded, ""},
		{"the Secret is missing", []map[string]string{nil}, "run-1", true, recorded, "missing"},
		{"a newer run finished", []map[string]string{written}, "run-2", true, recorded, "new run"},
		{"the newest run has not finished", []map[string]string{written}, "", false, recorded, ""},
		{"the selection changed", []map[string]string{{spaceliftv1alpha1.AnnotationOutputsSpec: "old", spaceliftv1alpha1.AnnotationOutputsRun: "run-1"}}, "run-1", true, recorded, "selection changed"},
		{"status lost", []map[string]string{written}, "run-1", true, nil, "status not recorded"},
		{"status names another Secret", []map[string]string{written}, "run-1", true, &spaceliftv1alpha1.OutputsStatus{SecretName: "old"}, "status not recorded"},
		{"the ConfigMap is missing", []map[string]string{written, nil}, "run-1", true, recorded, "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := outputsStale(tc.objs, digest, tc.run, tc.runKnown, spec, tc.prev); got != tc.want {
				t.Errorf("outputsStale = %q, want %q", got, tc.want)
			}
		})
	}
	if outputsSpecDigest(&spaceliftv1alpha1.OutputsSecret{Name: "s", Outputs: []spaceliftv1alpha1.OutputSelector{{Name: "a"}}}) == digest {
		t.Error("a changed selection has the same digest")
	}
}

func TestOutputsRun(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tracked   *spaceliftv1alpha1.RunStatus
		wantID    string
		wantKnown bool
	}{
		{"no tracked run", nil, "", false},
		{"finished", &spaceliftv1alpha1.RunStatus{ID: "r2", State: "FINISHED"}, "r2", true},
		{"waiting for confirmation", &spaceliftv1alpha1.RunStatus{ID: "r3", State: "UNCONFIRMED"}, "", false},
		{"failed", &spaceliftv1alpha1.RunStatus{ID: "r4", State: "FAILED"}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, known := outputsRun(&spaceliftv1alpha1.StackStatus{LastTrackedRun: tc.tracked})
			if id != tc.wantID || known != tc.wantKnown {
				t.Errorf("outputsRun = %q, %v; want %q, %v", id, known, tc.wantID, tc.wantKnown)
			}
		})
	}
}

// outputsSecret waits for the Secret to hold want and returns it.
func outputsSecret(t *testing.T, name string, want map[string]string) *corev1.Secret {
	t.Helper()
	var sec corev1.Secret
	eventually(t, 30*time.Second, func() error {
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: testNS, Name: name}, &sec); err != nil {
			return err
		}
		got := map[string]string{}
		for k, v := range sec.Data {
			got[k] = string(v)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			return fmt.Errorf("Secret %s data (-want +got):\n%s", name, diff)
		}
		return nil
	})
	return &sec
}

func TestStackOutputsSecret(t *testing.T) {
	s := newStack("outputs", func(spec *spaceliftv1alpha1.StackSpec) {
		spec.Autodeploy = true
		spec.WriteOutputsToSecret = &spaceliftv1alpha1.OutputsSecret{Name: "outputs-values",
			Outputs:   []spaceliftv1alpha1.OutputSelector{{Name: "vpc_id", Key: "VPC_ID"}, {Name: "region"}, {Name: "db_password"}},
			ConfigMap: &spaceliftv1alpha1.LocalObjectReference{Name: "outputs-public"}}
	})
	create(t, s)
	defer deleteAndWaitGone(t, s)
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)

	seed := func(vpc string) {
		t.Helper()
		if err := emu.Seed(emulator.Seed{Outputs: []emulator.SeedOutput{
			{Stack: "outputs", ID: "vpc_id", Value: vpc, Sensitive: true},
			{Stack: "outputs", ID: "region", Value: "eu-west-1"},
			{Stack: "outputs", ID: "db_password", Value: "hunter2", Sensitive: true},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	finishRun := func(request string) string {
		t.Helper()
		update(t, s, func() {
			if s.Annotations == nil {
				s.Annotations = map[string]string{}
			}
			s.Annotations[spaceliftv1alpha1.AnnotationRunRequestedAt] = request
		})
		var id string
		eventually(t, 30*time.Second, func() error {
			if err := k8s.Get(context.Background(), keyOf(s), s); err != nil {
				return err
			}
			lr := s.Status.LastRun
			if lr == nil || s.Status.LastHandledRunRequest != request || lr.State != "FINISHED" {
				return fmt.Errorf("lastRun %+v", lr)
			}
			id = lr.ID
			return nil
		})
		return id
	}

	// The emulator returns no value for sensitive outputs, as Spacelift's
	// API does: vpc_id and db_password have none to write. A sensitive
	// output with a value would go to the Secret only.
	seed("vpc-1")
	first := finishRun("2026-12-01T10:00:00Z")
	sec := outputsSecret(t, "outputs-values", map[string]string{})
	var cm corev1.ConfigMap
	eventually(t, 30*time.Second, func() error {
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: testNS, Name: "outputs-public"}, &cm); err != nil {
			return err
		}
		if cm.Data["region"] != "eu-west-1" || len(cm.Data) != 1 {
			return fmt.Errorf("ConfigMap data %v", cm.Data)
		}
		if err := k8s.Get(context.Background(), keyOf(s), s); err != nil {
			return err
		}
		if o := s.Status.Outputs; o == nil || o.RunID != first || o.Keys != 1 || !slices.Equal(o.WithoutValue, []string{"db_password", "vpc_id"}) {
			return fmt.Errorf("status.outputs %+v, want run %s", o, first)
		}
		return nil
	})
	for _, o := range []metav1.Object{sec, &cm} {
		if !metav1.IsControlledBy(o, s) || o.GetLabels()[spaceliftv1alpha1.LabelOutputsOf] != "outputs" {
			t.Errorf("%s: owners %+v, labels %v", o.GetName(), o.GetOwnerReferences(), o.GetLabels())
		}
	}

	t.Run("the next finished run updates them", func(t *testing.T) {
		update(t, s, func() {
			s.Spec.WriteOutputsToSecret.ConfigMap = nil
		})
		if err := emu.Seed(emulator.Seed{Outputs: []emulator.SeedOutput{{Stack: "outputs", ID: "region", Value: "us-east-1"}}}); err != nil {
			t.Fatal(err)
		}
		second := finishRun("2026-12-01T11:00:00Z")
		if second == first {
			t.Fatalf("no new run")
		}
		sec := outputsSecret(t, "outputs-values", map[string]string{"region": "us-east-1"})
		eventually(t, 30*time.Second, func() error {
			if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: testNS, Name: "outputs-values"}, sec); err != nil {
				return err
			}
			if got := sec.Annotations[spaceliftv1alpha1.AnnotationOutputsRun]; got != second {
				return fmt.Errorf("Secret written after run %q, want %q", got, second)
			}
			return nil
		})
	})

	t.Run("a Secret of that name that is not the Stack's is left alone", func(t *testing.T) {
		other := newStack("outputs-other", func(spec *spaceliftv1alpha1.StackSpec) {
			spec.WriteOutputsToSecret = &spaceliftv1alpha1.OutputsSecret{Name: "outputs-values"}
		})
		create(t, other)
		defer deleteAndWaitGone(t, other)
		c := waitStackCondition(t, other, spaceliftv1alpha1.ConditionStalled, metav1.ConditionTrue, spaceliftv1alpha1.ReasonOwnedByAnother)
		if want := "Secret outputs-values exists and is not owned by this Stack"; len(c.Message) < len(want) || c.Message[:len(want)] != want {
			t.Errorf("Stalled message %q", c.Message)
		}
	})
}

func TestOutputValue(t *testing.T) {
	for raw, want := range map[string]string{
		`"vpc-0abc"`:      "vpc-0abc",
		`"a \"quoted\""`:  `a "quoted"`,
		`42`:              `42`,
		`["a","b"]`:       `["a","b"]`,
		`{"k":"v"}`:       `{"k":"v"}`,
		`not json at all`: `not json at all`,
	} {
		if got := outputValue(raw); got != want {
			t.Errorf("outputValue(%s) = %q, want %q", raw, got, want)
		}
	}
}
