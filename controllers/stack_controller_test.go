package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/controllers/internal/envtestkit"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
)

// eventually polls check until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, check func() error) {
	t.Helper()
	envtestkit.Eventually(t, timeout, check)
}

func newStack(name string, mutate func(*spaceliftv1alpha1.StackSpec)) *spaceliftv1alpha1.Stack {
	s := &spaceliftv1alpha1.Stack{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS},
		Spec: spaceliftv1alpha1.StackSpec{
			Repository: "acme/infra",
			Branch:     "main",
			Terraform:  &spaceliftv1alpha1.TerraformVendor{Version: "1.9.8"},
		},
	}
	if mutate != nil {
		mutate(&s.Spec)
	}
	return s
}

// conditionOf reads the object and returns one of its conditions.
func conditionOf(obj client.Object, conds func() []metav1.Condition, typ string) (*metav1.Condition, error) {
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
		return nil, err
	}
	c := meta.FindStatusCondition(conds(), typ)
	if c == nil {
		return nil, fmt.Errorf("%s has no %s condition yet", obj.GetName(), typ)
	}
	return c, nil
}

func waitStackCondition(t *testing.T, s *spaceliftv1alpha1.Stack, typ string, status metav1.ConditionStatus, reason string) *metav1.Condition {
	t.Helper()
	return envtestkit.WaitCondition(t, k8s, 20*time.Second, s, typ, status, reason)
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	envtestkit.Create(t, k8s, obj)
}

func update(t *testing.T, obj client.Object, mutate func()) {
	t.Helper()
	envtestkit.Update(t, k8s, 5*time.Second, obj, func(client.Object) { mutate() })
}

func deleteAndWaitGone(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Delete(context.Background(), obj); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("deleting %s: %v", obj.GetName(), err)
	}
	eventually(t, 20*time.Second, func() error {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("%s still exists (err %v)", obj.GetName(), err)
	})
}

func spaceliftStack(t *testing.T, id string) (*spacelift.Stack, error) {
	t.Helper()
	return sl.GetStack(context.Background(), id)
}

func TestStackLifecycle(t *testing.T) {
	ctx := context.Background()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "net-secrets", Namespace: testNS}, StringData: map[string]string{"token": "v1"}}
	create(t, secret)
	s := newStack("networking", func(spec *spaceliftv1alpha1.StackSpec) {
		spec.Name = "Networking Prod"
		spec.Description = "shared VPC"
		spec.Labels = []spaceliftv1alpha1.SpaceliftLabel{"team:net"}
		spec.Environment = []spaceliftv1alpha1.EnvVar{
			{Name: "TF_VAR_region", Value: ptr.To("eu-west-1")},
			{Name: "TF_VAR_token", ValueFrom: &spaceliftv1alpha1.EnvVarSource{SecretKeyRef: &spaceliftv1alpha1.KeySelector{Name: "net-secrets", Key: "token"}}},
		}
	})
	create(t, s)

	t.Run("created and Ready", func(t *testing.T) {
		c := waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
		if c.Message != "stack networking-prod is in sync with Spacelift" {
			t.Errorf("Ready message = %q", c.Message)
		}
		if s.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID] != "networking-prod" || s.Status.SpaceliftID != "networking-prod" {
			t.Errorf("id annotation %q, status id %q", s.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID], s.Status.SpaceliftID)
		}
		if got, want := s.Annotations[AnnotationExternalLink], creds.Endpoint+"/stack/networking-prod"; got != want {
			t.Errorf("external link = %q, want %q", got, want)
		}
		if !slices.Contains(s.Finalizers, spaceliftv1alpha1.Finalizer) {
			t.Errorf("finalizers = %v", s.Finalizers)
		}
		st, err := spaceliftStack(t, "networking-prod")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"k8s-owner:default/networking", "team:net"}; !slices.Equal(sortedCopy(st.Labels), want) {
			t.Errorf("labels = %v, want %v", st.Labels, want)
		}
		cfg, err := sl.ListStackConfig(ctx, "networking-prod")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, e := range cfg {
			got[e.ID] = fmt.Sprintf("writeOnly=%v value=%v", e.WriteOnly, deref(e.Value))
		}
		want := map[string]string{"TF_VAR_region": "writeOnly=false value=eu-west-1", "TF_VAR_token": "writeOnly=true value="}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("config = %v, want %v", got, want)
		}
		d := waitStackCondition(t, s, spaceliftv1alpha1.ConditionDrifted, metav1.ConditionUnknown, spaceliftv1alpha1.ReasonDriftDetectionDisabled)
		if d.Message != "drift detection is not enabled: set spec.driftDetection" {
			t.Errorf("Drifted message = %q", d.Message)
		}
	})

	t.Run("spec update reaches Spacelift", func(t *testing.T) {
		update(t, s, func() { s.Spec.Description = "shared VPC, v2"; s.Spec.Autodeploy = true })
		eventually(t, 20*time.Second, func() error {
			st, err := spaceliftStack(t, "networking-prod")
			if err != nil {
				return err
			}
			if st.Description != "shared VPC, v2" || !st.Autodeploy {
				return fmt.Errorf("description %q autodeploy %v", st.Description, st.Autodeploy)
			}
			return nil
		})
		waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	})

	t.Run("rotated Secret propagates", func(t *testing.T) {
		before, _ := sl.ListStackConfig(ctx, "networking-prod")
		update(t, secret, func() { secret.StringData = map[string]string{"token": "v2"} })
		eventually(t, 20*time.Second, func() error {
			cfg, err := sl.ListStackConfig(ctx, "networking-prod")
			if err != nil {
				return err
			}
			for i, e := range cfg {
				if e.ID == "TF_VAR_token" && e.Checksum != "" && e.Checksum != before[i].Checksum && sameValue("v2", e) {
					return nil
				}
			}
			return fmt.Errorf("TF_VAR_token not rotated: %+v", cfg)
		})
	})

	t.Run("edit in Spacelift UI is reverted", func(t *testing.T) {
		st, err := spaceliftStack(t, "networking-prod")
		if err != nil {
			t.Fatal(err)
		}
		in := desiredStackInput(s)
		in.Description = ptr.To("edited in the UI")
		in.Labels = append(in.Labels, "ui-label")
		if _, err := sl.UpdateStack(ctx, st.ID, in); err != nil {
			t.Fatal(err)
		}
		eventually(t, 3*syncInterval+5*time.Second, func() error {
			st, err := spaceliftStack(t, "networking-prod")
			if err != nil {
				return err
			}
			if st.Description != "shared VPC, v2" || slices.Contains(st.Labels, "ui-label") {
				return fmt.Errorf("not reverted yet: %q %v", st.Description, st.Labels)
			}
			return nil
		})
	})

	t.Run("deleted out of band is recreated", func(t *testing.T) {
		if _, err := sl.DeleteStack(ctx, "networking-prod", false); err != nil {
			t.Fatal(err)
		}
		eventually(t, 3*syncInterval+5*time.Second, func() error {
			_, err := spaceliftStack(t, "networking-prod")
			return err
		})
	})

	t.Run("delete removes the Spacelift stack", func(t *testing.T) {
		deleteAndWaitGone(t, s)
		if _, err := spaceliftStack(t, "networking-prod"); !spacelift.IsNotFound(err) {
			t.Errorf("stack still in Spacelift: %v", err)
		}
	})
}

// readyDriftDetectedStack creates a Stack with drift detection every four
// hours and waits for it to be Ready; the test deletes it at its end.
func readyDriftDetectedStack(t *testing.T, name string) *spaceliftv1alpha1.Stack {
	t.Helper()
	s := newStack(name, func(spec *spaceliftv1alpha1.StackSpec) {
		spec.DriftDetection = &spaceliftv1alpha1.DriftDetection{Enabled: true, Schedule: []spaceliftv1alpha1.CronSchedule{"0 */4 * * *"}}
	})
	create(t, s)
	t.Cleanup(func() { deleteAndWaitGone(t, s) })
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	return s
}

func TestStackDrift(t *testing.T) {
	s := readyDriftDetectedStack(t, "app")
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionDrifted, metav1.ConditionUnknown, spaceliftv1alpha1.ReasonNotYetChecked)

	runID, err := emu.SeedDrift(emulator.DriftSeed{Stack: "app", Drifted: 3, RunDriftDetection: true,
		Entities: []emulator.SeedEntity{{Address: "aws_vpc.main"}, {Address: "aws_subnet.a"}, {Address: "aws_subnet.b"}, {Address: "aws_route.r"}}})
	if err != nil {
		t.Fatal(err)
	}
	c := waitStackCondition(t, s, spaceliftv1alpha1.ConditionDrifted, metav1.ConditionTrue, spaceliftv1alpha1.ReasonDriftDetected)
	if want := fmt.Sprintf("3 resources drifted (run %s)", runID); c.Message != want {
		t.Errorf("Drifted message = %q, want %q", c.Message, want)
	}
	if d := s.Status.Drift; d == nil || !d.Drifted || d.DriftedResources != 3 || d.RunID != runID {
		t.Errorf("status.drift = %+v", d)
	}
	eventually(t, 10*time.Second, func() error {
		var events corev1.EventList
		if err := k8s.List(context.Background(), &events, client.InNamespace(testNS)); err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.InvolvedObject.Name == "app" && e.Reason == spaceliftv1alpha1.ReasonDriftDetected && e.Type == corev1.EventTypeWarning {
				return nil
			}
		}
		return fmt.Errorf("no DriftDetected warning event")
	})
}

func TestStackDeletionPolicies(t *testing.T) {
	ctx := context.Background()
	t.Run("Retain keeps the Spacelift stack", func(t *testing.T) {
		s := newStack("retained", func(spec *spaceliftv1alpha1.StackSpec) { spec.DeletionPolicy = spaceliftv1alpha1.DeletionPolicyRetain })
		create(t, s)
		waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
		deleteAndWaitGone(t, s)
		if _, err := spaceliftStack(t, "retained"); err != nil {
			t.Errorf("retained stack gone from Spacelift: %v", err)
		}
	})
	t.Run("Destroy deletes with destroyResources", func(t *testing.T) {
		s := newStack("destroyed", func(spec *spaceliftv1alpha1.StackSpec) { spec.DeletionPolicy = spaceliftv1alpha1.DeletionPolicyDestroy })
		create(t, s)
		waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
		emu.ClearOperations()
		deleteAndWaitGone(t, s)
		if _, err := spaceliftStack(t, "destroyed"); !spacelift.IsNotFound(err) {
			t.Errorf("destroyed stack still in Spacelift: %v", err)
		}
		found := false
		for _, op := range emu.Operations() {
			if slices.Contains(op.Fields, "stackDelete") && strings.Contains(fmt.Sprint(op.Variables), "destroyResources:true") {
				found = true
			}
		}
		if !found {
			t.Errorf("no stackDelete with destroyResources=true recorded: %+v", emu.Operations())
		}
	})
	t.Run("protectFromDeletion blocks until lifted", func(t *testing.T) {
		s := newStack("protected", func(spec *spaceliftv1alpha1.StackSpec) { spec.ProtectFromDeletion = true })
		create(t, s)
		waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
		if err := k8s.Delete(ctx, s); err != nil {
			t.Fatal(err)
		}
		c := waitStackCondition(t, s, spaceliftv1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, spaceliftv1alpha1.ReasonDeletionProtected)
		if c.Message != "spec.protectFromDeletion is true: set it to false to let the stack be deleted" {
			t.Errorf("message = %q", c.Message)
		}
		if _, err := spaceliftStack(t, "protected"); err != nil {
			t.Fatalf("protected stack gone: %v", err)
		}
		update(t, s, func() { s.Spec.ProtectFromDeletion = false })
		deleteAndWaitGone(t, s)
		if _, err := spaceliftStack(t, "protected"); !spacelift.IsNotFound(err) {
			t.Errorf("stack still in Spacelift: %v", err)
		}
	})
}

func TestStackAdoption(t *testing.T) {
	ctx := context.Background()
	if _, err := sl.CreateStack(ctx, spacelift.StackInput{Name: "legacy", Repository: "acme/infra", Branch: "main", Labels: []string{"hand-made"}},
		spacelift.CreateStackOptions{ManageState: true}); err != nil {
		t.Fatal(err)
	}
	s := newStack("legacy", nil)
	create(t, s)
	c := waitStackCondition(t, s, spaceliftv1alpha1.ConditionStalled, metav1.ConditionTrue, spaceliftv1alpha1.ReasonAlreadyExists)
	if want := `a Spacelift stack with id "legacy" exists and carries no ownership label (k8s-owner:<namespace>/<name>), so nothing proves it is this object's: give this object another spec.name`; c.Message != want {
		t.Errorf("message = %q", c.Message)
	}
	st, _ := spaceliftStack(t, "legacy")
	if slices.Contains(st.Labels, "k8s-owner:default/legacy") {
		t.Errorf("refused stack was modified: %v", st.Labels)
	}
	update(t, s, func() { s.Spec.AdoptExisting = true })
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	st, _ = spaceliftStack(t, "legacy")
	if !slices.Contains(st.Labels, "k8s-owner:default/legacy") || slices.Contains(st.Labels, "hand-made") {
		t.Errorf("adopted stack labels = %v", st.Labels)
	}
	deleteAndWaitGone(t, s)
}

func TestStackMissingCredentials(t *testing.T) {
	s := newStack("no-creds", func(spec *spaceliftv1alpha1.StackSpec) {
		spec.CredentialsRef = &spaceliftv1alpha1.LocalObjectReference{Name: "missing"}
	})
	create(t, s)
	c := waitStackCondition(t, s, spaceliftv1alpha1.ConditionStalled, metav1.ConditionTrue, spaceliftv1alpha1.ReasonCredentialsNotFound)
	if want := "credentials Secret default/missing not found: create it with the keys SPACELIFT_API_KEY_ENDPOINT, SPACELIFT_API_KEY_ID and SPACELIFT_API_KEY_SECRET"; c.Message != want {
		t.Errorf("message = %q", c.Message)
	}
	bad := credentialsSecret("missing", spacelift.Credentials{Endpoint: creds.Endpoint, KeyID: "test-key", KeySecret: "wrong"})
	create(t, bad)
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionStalled, metav1.ConditionTrue, spaceliftv1alpha1.ReasonCredentialsInvalid)
	update(t, bad, func() { bad.StringData = map[string]string{"SPACELIFT_API_KEY_SECRET": creds.KeySecret} })
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	deleteAndWaitGone(t, s)
}

func TestStackSurvivesOutage(t *testing.T) {
	emu.FailNext(8, 503, 0)
	s := newStack("outage", nil)
	create(t, s)
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	stacks, err := sl.SearchStacks(context.Background(), spacelift.LabelPredicate("k8s-owner:default/outage"))
	if err != nil {
		t.Fatal(err)
	}
	if len(stacks) != 1 {
		t.Errorf("want exactly one stack after the outage, got %d", len(stacks))
	}
	deleteAndWaitGone(t, s)
}

func TestStackPoliciesAndDependencies(t *testing.T) {
	p := &spaceliftv1alpha1.Policy{
		ObjectMeta: metav1.ObjectMeta{Name: "plan-guard", Namespace: testNS},
		Spec:       spaceliftv1alpha1.PolicySpec{Type: "TERRAFORM_PLAN", Body: ptr.To("package spacelift\n\ndeny contains \"no\" if { false }\n")},
	}
	upstream := newStack("upstream", nil)
	down := newStack("downstream", func(spec *spaceliftv1alpha1.StackSpec) {
		spec.Policies = []spaceliftv1alpha1.PolicyReference{{Name: "plan-guard"}}
		spec.Dependencies = []spaceliftv1alpha1.StackDependency{{StackRef: &spaceliftv1alpha1.LocalObjectReference{Name: "upstream"},
			References: []spaceliftv1alpha1.DependencyReference{{OutputName: "vpc_id", InputName: "TF_VAR_vpc_id"}}}}
	})
	create(t, down)
	c := waitStackCondition(t, down, spaceliftv1alpha1.ConditionReady, metav1.ConditionFalse, spaceliftv1alpha1.ReasonReferenceNotFound)
	if c.Message != "Policy plan-guard not found: create it or remove it from spec.policies" {
		t.Errorf("message = %q", c.Message)
	}
	create(t, p)
	waitStackCondition(t, down, spaceliftv1alpha1.ConditionReady, metav1.ConditionFalse, spaceliftv1alpha1.ReasonReferenceNotFound)
	create(t, upstream)
	waitStackCondition(t, down, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)

	ctx := context.Background()
	pol, err := sl.GetPolicy(ctx, "plan-guard")
	if err != nil || pol.Type != "PLAN" {
		t.Fatalf("policy = %+v, err %v", pol, err)
	}
	attached, _ := sl.ListStackPolicies(ctx, "downstream")
	if len(attached) != 1 || attached[0].PolicyID != "plan-guard" {
		t.Errorf("attached policies = %+v", attached)
	}
	deps, _ := sl.ListStackDependencies(ctx, "downstream")
	if len(deps) != 1 || deps[0].DependsOnStackID != "upstream" || len(deps[0].References) != 1 || deps[0].References[0].InputName != "TF_VAR_vpc_id" {
		t.Errorf("dependencies = %+v", deps)
	}
	update(t, down, func() { down.Spec.Policies = nil; down.Spec.Dependencies = nil })
	eventually(t, 20*time.Second, func() error {
		attached, _ := sl.ListStackPolicies(ctx, "downstream")
		deps, _ := sl.ListStackDependencies(ctx, "downstream")
		if len(attached)+len(deps) != 0 {
			return fmt.Errorf("still attached: %d policies, %d dependencies", len(attached), len(deps))
		}
		return nil
	})
	deleteAndWaitGone(t, down)
	deleteAndWaitGone(t, upstream)
	deleteAndWaitGone(t, p)
	if _, err := sl.GetPolicy(ctx, "plan-guard"); !spacelift.IsNotFound(err) {
		t.Errorf("policy still in Spacelift: %v", err)
	}
}

func TestPolicyInvalidRego(t *testing.T) {
	p := &spaceliftv1alpha1.Policy{
		ObjectMeta: metav1.ObjectMeta{Name: "broken", Namespace: testNS},
		Spec:       spaceliftv1alpha1.PolicySpec{Type: "PLAN", Body: ptr.To("package spacelift\n\ndeny[msg] {\n  msg := \n}\n")},
	}
	create(t, p)
	var c *metav1.Condition
	eventually(t, 20*time.Second, func() error {
		var err error
		c, err = conditionOf(p, func() []metav1.Condition { return p.Status.Conditions }, spaceliftv1alpha1.ConditionStalled)
		if err != nil {
			return err
		}
		if c.Reason != spaceliftv1alpha1.ReasonInvalidRego {
			return fmt.Errorf("Stalled reason %s", c.Reason)
		}
		return nil
	})
	if c.Message != "policy body is not valid REGO_V1 Rego: line 5, column 1: unexpected } token" {
		t.Errorf("message = %q", c.Message)
	}
	if _, err := sl.GetPolicy(context.Background(), "broken"); !spacelift.IsNotFound(err) {
		t.Errorf("invalid policy reached Spacelift: %v", err)
	}
	deleteAndWaitGone(t, p)
}

func keyOf(s *spaceliftv1alpha1.Stack) client.ObjectKey { return client.ObjectKeyFromObject(s) }

func TestStackRoleBindings(t *testing.T) {
	ctx := context.Background()
	if err := emu.Seed(emulator.Seed{Roles: []emulator.SeedRole{{ID: "space-admin", Name: "Space admin"}}, Spaces: []emulator.SeedSpace{{ID: "dev", Name: "dev"}}}); err != nil {
		t.Fatal(err)
	}
	s := newStack("bound", func(spec *spaceliftv1alpha1.StackSpec) {
		spec.RoleBindings = []spaceliftv1alpha1.StackRoleBinding{{RoleID: "space-admin", SpaceID: "dev"}}
	})
	create(t, s)
	defer deleteAndWaitGone(t, s)
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	var id string
	eventually(t, 10*time.Second, func() error {
		if err := k8s.Get(ctx, keyOf(s), s); err != nil {
			return err
		}
		v := s.Annotations[annotationRoleBindings]
		if !strings.HasPrefix(v, `{"space-admin@dev":"`) {
			return fmt.Errorf("annotation = %q", v)
		}
		id = strings.TrimSuffix(strings.TrimPrefix(v, `{"space-admin@dev":"`), `"}`)
		return nil
	})
	rb, err := sl.GetStackRoleBinding(ctx, id)
	if err != nil || rb.StackID != "bound" || rb.RoleID != "space-admin" || rb.SpaceID != "dev" {
		t.Fatalf("binding = %+v, err %v", rb, err)
	}
	if err := sl.DeleteStackRoleBinding(ctx, id); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*syncInterval+5*time.Second, func() error {
		if err := k8s.Get(ctx, keyOf(s), s); err != nil {
			return err
		}
		if v := s.Annotations[annotationRoleBindings]; v == "" || strings.Contains(v, id) {
			return fmt.Errorf("not recreated yet: %q", v)
		}
		return nil
	})
	update(t, s, func() { s.Spec.RoleBindings = nil })
	eventually(t, 20*time.Second, func() error {
		if err := k8s.Get(ctx, keyOf(s), s); err != nil {
			return err
		}
		if v := s.Annotations[annotationRoleBindings]; v != "" {
			return fmt.Errorf("still recorded: %q", v)
		}
		return nil
	})
}
