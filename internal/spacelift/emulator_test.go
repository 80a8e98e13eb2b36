package spacelift

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator/emulatortest"
)

var emulatorEpoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// startEmulator serves an emulator on a frozen clock and returns a client
// authenticated against it.
func startEmulator(t *testing.T, mutate ...func(*emulator.Options)) (*emulatortest.Harness, *Client) {
	t.Helper()
	opts := emulator.Options{Clock: emulator.FixedClock{T: emulatorEpoch}, RunStepDuration: time.Second}
	for _, m := range mutate {
		m(&opts)
	}
	h := emulatortest.Start(t, opts)
	id, secret := h.APIKey()
	return h, newTestClient(t, h.URL, id, secret)
}

// advanceUntil moves the emulator's clock one second at a time until cond
// holds.
func advanceUntil(t *testing.T, h *emulatortest.Harness, what string, cond func() bool) {
	t.Helper()
	for range 60 {
		if cond() {
			return
		}
		h.Advance(time.Second)
	}
	t.Fatalf("%s did not happen within 60s of emulator time", what)
}

func mustStack(t *testing.T, c *Client, name string, labels ...string) *Stack {
	t.Helper()
	s, err := c.CreateStack(t.Context(), StackInput{
		Name: name, Repository: "infra", Branch: "main", Labels: labels,
	}, CreateStackOptions{ManageState: true, Slug: name})
	if err != nil {
		t.Fatalf("creating stack %s: %v", name, err)
	}
	return s
}

func TestEmulatorStackLifecycle(t *testing.T) {
	_, c := startEmulator(t)
	ctx := t.Context()

	in := StackInput{
		Name: "Network", Repository: "infra", Branch: "main", Autodeploy: true,
		Description: ptr("VPCs"), Labels: []string{"team:net", "env:prod"}, ProjectRoot: ptr("network"),
		AdditionalProjectGlobs: []string{"modules/**"}, BeforeInit: []string{"echo init"},
		VendorConfig: &VendorConfigInput{Terraform: &TerraformInput{
			Version: ptr("1.9.0"), WorkflowTool: ptr(WorkflowToolOpenTofu), Workspace: ptr("prod"),
		}},
	}
	created, err := c.CreateStack(ctx, in, CreateStackOptions{ManageState: true, Slug: "network"})
	if err != nil {
		t.Fatal(err)
	}
	if created.ID != "network" || created.Name != "Network" || !created.ManagesStateFile || !created.Autodeploy {
		t.Fatalf("created %+v", created)
	}
	got, err := c.GetStack(ctx, "network")
	if err != nil {
		t.Fatal(err)
	}
	tf := got.VendorConfig.Terraform
	if tf == nil || deref(tf.Version) != "1.9.0" || deref(tf.WorkflowTool) != WorkflowToolOpenTofu || deref(tf.Workspace) != "prod" {
		t.Fatalf("vendor config %+v", got.VendorConfig)
	}
	if got.Description != "VPCs" || got.ProjectRoot != "network" || !slices.Equal(got.Labels, in.Labels) ||
		!slices.Equal(got.BeforeInit, in.BeforeInit) || got.Space != "root" || got.State != StackStateNone {
		t.Fatalf("read back %+v", got)
	}

	if _, err := c.CreateStack(ctx, in, CreateStackOptions{Slug: "network"}); !IsInvalidInput(err) {
		t.Fatalf("creating a stack with a taken slug: %v", err)
	}
	bad := in
	bad.Space = ptr("nowhere")
	if _, err := c.CreateStack(ctx, bad, CreateStackOptions{Slug: "elsewhere"}); !IsInvalidInput(err) {
		t.Fatalf("creating a stack in a missing space: %v", err)
	}

	in.Description = nil
	in.VendorConfig = &VendorConfigInput{OpenTofu: &OpenTofuInput{Version: ptr("1.8.0")}}
	updated, err := c.UpdateStack(ctx, "network", in)
	if err != nil {
		t.Fatal(err)
	}
	if updated.Description != "" || updated.VendorConfig.OpenTofu == nil || deref(updated.VendorConfig.OpenTofu.Version) != "1.8.0" {
		t.Fatalf("updated %+v", updated)
	}

	disabled, err := c.DisableStack(ctx, "network")
	if err != nil || !disabled.IsDisabled {
		t.Fatalf("disable: %+v, %v", disabled, err)
	}
	enabled, err := c.EnableStack(ctx, "network")
	if err != nil || enabled.IsDisabled {
		t.Fatalf("enable: %+v, %v", enabled, err)
	}

	deleting, err := c.DeleteStack(ctx, "network", false)
	if err != nil || deleting {
		t.Fatalf("delete: %v, %v", deleting, err)
	}
	if _, err := c.GetStack(ctx, "network"); !IsNotFound(err) {
		t.Fatalf("reading a deleted stack: %v", err)
	}
	if _, err := c.UpdateStack(ctx, "network", in); !IsNotFound(err) {
		t.Fatalf("updating a deleted stack: %v", err)
	}
}

func TestEmulatorDeleteWithDestroyResources(t *testing.T) {
	h, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "app")
	deleting, err := c.DeleteStack(ctx, "app", true)
	if err != nil {
		t.Fatal(err)
	}
	if !deleting {
		t.Fatal("a delete with destroyResources did not report deleting")
	}
	s, err := c.GetStack(ctx, "app")
	if err != nil || !s.Deleting {
		t.Fatalf("stack during deletion: %+v, %v", s, err)
	}
	advanceUntil(t, h, "the stack's deletion", func() bool {
		_, err := c.GetStack(ctx, "app")
		return IsNotFound(err)
	})
}

func TestEmulatorSearchStacks(t *testing.T) {
	_, c := startEmulator(t)
	ctx := t.Context()
	for i := range 5 {
		mustStack(t, c, fmt.Sprintf("svc-%d", i), "team:web")
	}
	mustStack(t, c, "db", "team:data")

	all, err := c.SearchStacks(ctx, LabelPredicate("team:web"))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Fatalf("%d stacks labelled team:web", len(all))
	}
	page, err := c.SearchStacksPage(ctx, SearchInput{First: ptr(2), Predicates: []QueryPredicate{LabelPredicate("team:*")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || !page.HasNextPage || page.EndCursor == "" {
		t.Fatalf("first page %+v", page)
	}
	var ids []string
	for p, err := range pages(ctx, SearchInput{First: ptr(2)}, c.SearchStacksPage) {
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Items {
			ids = append(ids, s.ID)
		}
	}
	if len(ids) != 6 {
		t.Fatalf("paged through %v", ids)
	}
	named, err := c.SearchStacks(ctx, NamePredicate("db"))
	if err != nil || len(named) != 1 || named[0].ID != "db" {
		t.Fatalf("by name: %v, %v", named, err)
	}
}

func TestEmulatorPolicies(t *testing.T) {
	_, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "app")

	p, err := c.CreatePolicy(ctx, PolicyCreateInput{
		Name: "no-deletes", Body: "package spacelift\ndeny[\"no\"] { true }", Type: PolicyTypePlan,
		Labels: []string{"team:web"}, Description: ptr("blocks deletes"), EngineType: ptr(PolicyEngineRegoV1),
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetPolicy(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "no-deletes" || got.Type != PolicyTypePlan || got.EngineType != PolicyEngineRegoV1 || got.Description != "blocks deletes" {
		t.Fatalf("policy %+v", got)
	}
	upd, err := c.UpdatePolicy(ctx, p.ID, PolicyUpdateInput{Name: "no-deletes", Body: "package spacelift\n", Labels: []string{"x"}})
	if err != nil || upd.Body != "package spacelift\n" || !slices.Equal(upd.Labels, []string{"x"}) {
		t.Fatalf("update: %+v, %v", upd, err)
	}
	if _, err := c.CreatePolicy(ctx, PolicyCreateInput{Name: "bad", Body: "allow", Type: PolicyTypePlan}); !IsInvalidInput(err) {
		t.Fatalf("creating an invalid policy: %v", err)
	}

	att := mustApply(t, c, AttachPolicyMutation(p.ID, "app"))
	if _, err := apply1(ctx, c, AttachPolicyMutation(p.ID, "app")); !IsInvalidInput(err) {
		t.Fatalf("attaching twice: %v", err)
	}
	list, err := c.ListStackPolicies(ctx, "app")
	if err != nil || len(list) != 1 || list[0].ID != att || list[0].PolicyID != p.ID || list[0].PolicyType != PolicyTypePlan || list[0].IsAutoattached {
		t.Fatalf("attached policies %+v, %v", list, err)
	}
	mustApply(t, c, DetachPolicyMutation(att))
	if list, err := c.ListStackPolicies(ctx, "app"); err != nil || len(list) != 0 {
		t.Fatalf("after detach: %+v, %v", list, err)
	}
	if err := c.DeletePolicy(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetPolicy(ctx, p.ID); !IsNotFound(err) {
		t.Fatalf("reading a deleted policy: %v", err)
	}
	if _, err := c.ListStackPolicies(ctx, "missing"); !IsNotFound(err) {
		t.Fatalf("listing policies of a missing stack: %v", err)
	}
}

func TestEmulatorConfigAndContexts(t *testing.T) {
	h, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "app")
	if err := h.Seed(emulator.Seed{Contexts: []emulator.SeedContext{{ID: "shared", Name: "shared"}}}); err != nil {
		t.Fatal(err)
	}

	mustApply(t, c, AddConfigMutation("app", EnvironmentVariable("REGION", "eu-west-1", false)))
	secret := EnvironmentVariable("TOKEN", "hunter2", true)
	secret.Description = ptr("API token")
	if id := mustApply(t, c, AddConfigMutation("app", secret)); id != "TOKEN" {
		t.Fatalf("the answer names %q, want TOKEN", id)
	}
	cfg, err := c.ListStackConfig(ctx, "app")
	if err != nil || len(cfg) != 2 {
		t.Fatalf("config %+v, %v", cfg, err)
	}
	byID := map[string]ConfigElement{}
	for _, e := range cfg {
		byID[e.ID] = e
	}
	if deref(byID["REGION"].Value) != "eu-west-1" || byID["TOKEN"].Description != "API token" {
		t.Fatalf("config %+v", byID)
	}
	if el := byID["TOKEN"]; el.Value != nil || !el.WriteOnly || el.Checksum == "" {
		t.Fatalf("write-only element %+v", el)
	}
	mustApply(t, c, DeleteConfigMutation("app", "REGION"))
	if cfg, _ := c.ListStackConfig(ctx, "app"); len(cfg) != 1 {
		t.Fatalf("after delete %+v", cfg)
	}

	att := mustApply(t, c, AttachContextMutation("shared", "app", 3))
	list, err := c.ListStackContexts(ctx, "app")
	if err != nil || len(list) != 1 || list[0].ContextID != "shared" || list[0].ID != att || list[0].Priority != 3 {
		t.Fatalf("contexts %+v, %v", list, err)
	}
	mustApply(t, c, DetachContextMutation(att))
	if list, err := c.ListStackContexts(ctx, "app"); err != nil || len(list) != 0 {
		t.Fatalf("after detach: %+v, %v", list, err)
	}
	if _, err := apply1(ctx, c, AttachContextMutation("missing", "app", 0)); !IsNotFound(err) {
		t.Fatalf("attaching a missing context: %v", err)
	}
}

func TestEmulatorIntegrations(t *testing.T) {
	h, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "app")
	if err := h.Seed(emulator.Seed{AWSIntegrations: []emulator.SeedAWSIntegration{
		{ID: "aws-prod", Name: "prod", RoleArn: "arn:aws:iam::123456789012:role/spacelift"},
	}}); err != nil {
		t.Fatal(err)
	}

	aws := mustApply(t, c, AttachAWSIntegrationMutation("aws-prod", "app", true, false))
	awsList, err := c.ListStackAWSIntegrations(ctx, "app")
	if err != nil || len(awsList) != 1 || awsList[0].ID != aws || !awsList[0].Read || awsList[0].Write {
		t.Fatalf("attached aws: %+v, %v", awsList, err)
	}
	mustApply(t, c, UpdateAWSIntegrationAttachmentMutation(aws, true, true))
	awsList, err = c.ListStackAWSIntegrations(ctx, "app")
	if err != nil || len(awsList) != 1 || awsList[0].IntegrationID != "aws-prod" || !awsList[0].Write {
		t.Fatalf("aws attachments after update: %+v, %v", awsList, err)
	}
	mustApply(t, c, DetachAWSIntegrationMutation(aws))

	mustApply(t, c, CreateDriftDetectionMutation("app", DriftDetectionIntegrationInput{
		Reconcile: true, Schedule: []string{"*/30 * * * *"}, Timezone: ptr("Europe/Warsaw"),
	}))
	dd, err := c.GetDriftDetection(ctx, "app")
	if err != nil || dd == nil || !dd.Reconcile || dd.Timezone != "Europe/Warsaw" || dd.NextSchedule.IsZero() {
		t.Fatalf("created drift detection: %+v, %v", dd, err)
	}
	if _, err := apply1(ctx, c, CreateDriftDetectionMutation("app", DriftDetectionIntegrationInput{Schedule: []string{"0 * * * *"}})); !IsInvalidInput(err) {
		t.Fatalf("creating drift detection twice: %v", err)
	}
	mustApply(t, c, UpdateDriftDetectionMutation("app", DriftDetectionIntegrationInput{IgnoreState: true, Schedule: []string{"0 4 * * *"}}))
	read, err := c.GetDriftDetection(ctx, "app")
	if err != nil || read == nil || read.Reconcile || !read.IgnoreState || !slices.Equal(read.Schedule, []string{"0 4 * * *"}) {
		t.Fatalf("updated drift detection: %+v, %v", read, err)
	}
	stack, err := c.GetStack(ctx, "app")
	if err != nil || stack.DriftDetection == nil || stack.DriftDetection.Schedule[0] != "0 4 * * *" {
		t.Fatalf("stack drift detection: %+v, %v", stack, err)
	}
	mustApply(t, c, DeleteDriftDetectionMutation("app"))
	if read, err := c.GetDriftDetection(ctx, "app"); err != nil || read != nil {
		t.Fatalf("after delete: %+v, %v", read, err)
	}

	hook := mustApply(t, c, CreateWebhookMutation("app", WebhooksIntegrationInput{
		Enabled: true, Endpoint: "https://hooks.example.com/spacelift", Secret: "shh", RetryOnFailure: ptr(true),
	}))
	hooks, err := c.ListWebhooks(ctx, "app")
	if err != nil || len(hooks) != 1 || hooks[0].ID != hook || !hooks[0].Enabled || !hooks[0].RetryOnFailure {
		t.Fatalf("created webhook: %+v, %v", hooks, err)
	}
	mustApply(t, c, UpdateWebhookMutation("app", hook, WebhooksIntegrationInput{
		Enabled: false, Endpoint: "https://hooks.example.com/v2", Secret: "shh",
	}))
	hooks, err = c.ListWebhooks(ctx, "app")
	if err != nil || len(hooks) != 1 || hooks[0].ID != hook || hooks[0].Enabled || hooks[0].Endpoint != "https://hooks.example.com/v2" {
		t.Fatalf("updated webhook: %+v, %v", hooks, err)
	}
	mustApply(t, c, DeleteWebhookMutation("app", hook, "https://hooks.example.com/v2"))
	if hooks, err := c.ListWebhooks(ctx, "app"); err != nil || len(hooks) != 0 {
		t.Fatalf("after delete: %+v, %v", hooks, err)
	}
}

func TestEmulatorDependenciesAndRoleBindings(t *testing.T) {
	_, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "vpc")
	mustStack(t, c, "app")

	dep := mustApply(t, c, CreateDependencyMutation("app", "vpc"))
	if _, err := apply1(ctx, c, CreateDependencyMutation("vpc", "app")); !IsInvalidInput(err) {
		t.Fatalf("creating a cycle: %v", err)
	}
	ref := mustApply(t, c, AddDependencyReferenceMutation(dep, StackDependencyReferenceInput{OutputName: "vpc_id", InputName: "TF_VAR_vpc_id"}))
	deps, err := c.ListStackDependencies(ctx, "app")
	if err != nil || len(deps) != 1 || deps[0].ID != dep || deps[0].StackID != "app" || deps[0].DependsOnStackID != "vpc" {
		t.Fatalf("dependencies %+v, %v", deps, err)
	}
	if refs := deps[0].References; len(refs) != 1 || refs[0].ID != ref || refs[0].InputName != "TF_VAR_vpc_id" || refs[0].Type != ConfigTypeEnvironmentVariable {
		t.Fatalf("references %+v", refs)
	}
	mustApply(t, c, DeleteDependencyReferenceMutation(ref, "TF_VAR_vpc_id"))
	if deps, err := c.ListStackDependencies(ctx, "app"); err != nil || len(deps) != 1 || len(deps[0].References) != 0 {
		t.Fatalf("after deleting the reference: %+v, %v", deps, err)
	}
	mustApply(t, c, DeleteDependencyMutation(dep, "vpc"))
	if deps, err := c.ListStackDependencies(ctx, "app"); err != nil || len(deps) != 0 {
		t.Fatalf("after delete: %+v, %v", deps, err)
	}

	rb, err := c.CreateStackRoleBinding(ctx, StackRoleBindingInput{RoleID: "space-admin", StackID: "app", SpaceID: "root"})
	if err != nil || rb.ID == "" || rb.RoleID != "space-admin" || rb.SpaceID != "root" || rb.StackID != "app" {
		t.Fatalf("create role binding: %+v, %v", rb, err)
	}
	if got, err := c.GetStackRoleBinding(ctx, rb.ID); err != nil || *got != *rb {
		t.Fatalf("read role binding: %+v, %v", got, err)
	}
	if err := c.DeleteStackRoleBinding(ctx, rb.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetStackRoleBinding(ctx, rb.ID); !IsNotFound(err) {
		t.Fatalf("reading a deleted role binding: %v", err)
	}
	if _, err := c.CreateStackRoleBinding(ctx, StackRoleBindingInput{RoleID: "nope", StackID: "app", SpaceID: "root"}); !IsInvalidInput(err) {
		t.Fatalf("binding a missing role: %v", err)
	}
}

func TestEmulatorRuns(t *testing.T) {
	h, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "app")
	if err := h.SetNextPlan("app", emulator.PlanSpec{AddCount: 2, ChangeCount: 1}); err != nil {
		t.Fatal(err)
	}

	run, err := c.TriggerRun(ctx, "app", RunTypeTracked, "", WithRunMetadata(`{"v":1,"src":"spacelift-operator"}`))
	if err != nil {
		t.Fatal(err)
	}
	if run.Type != RunTypeTracked || run.State.Terminal() || run.CreatedAt.IsZero() {
		t.Fatalf("triggered %+v", run)
	}
	advanceUntil(t, h, "the run reaching UNCONFIRMED", func() bool {
		r, err := c.GetRun(ctx, "app", run.ID)
		return err == nil && r.State == RunStateUnconfirmed
	})
	r, _ := c.GetRun(ctx, "app", run.ID)
	if r.Delta == nil || r.Delta.AddCount != 2 || r.Delta.ChangeCount != 1 || !r.Delta.Changes() {
		t.Fatalf("delta %+v", r.Delta)
	}
	if _, err := c.ConfirmRun(ctx, "app", run.ID, WithRunMetadata("confirmed-by-operator")); err != nil {
		t.Fatal(err)
	}
	advanceUntil(t, h, "the run finishing", func() bool {
		r, err := c.GetRun(ctx, "app", run.ID)
		return err == nil && r.State == RunStateFinished
	})
	var meta []string
	for _, info := range h.Runs("app") {
		if info.ID == run.ID {
			meta = info.UserProvidedMetadata
		}
	}
	if !slices.Equal(meta, []string{`{"v":1,"src":"spacelift-operator"}`, "confirmed-by-operator"}) {
		t.Fatalf("run metadata %q", meta)
	}

	if err := h.SetNextPlan("app", emulator.PlanSpec{DeleteCount: 1}); err != nil {
		t.Fatal(err)
	}
	second, err := c.TriggerRun(ctx, "app", RunTypeTracked, "0123abcd")
	if err != nil {
		t.Fatal(err)
	}
	if second.CommitSHA != "0123abcd" {
		t.Fatalf("commit %q", second.CommitSHA)
	}
	advanceUntil(t, h, "the second run reaching UNCONFIRMED", func() bool {
		r, err := c.GetRun(ctx, "app", second.ID)
		return err == nil && r.State == RunStateUnconfirmed
	})
	if d, err := c.DiscardRun(ctx, "app", second.ID); err != nil || d.State != RunStateDiscarded {
		t.Fatalf("discard: %+v, %v", d, err)
	}
	proposed, err := c.TriggerRun(ctx, "app", RunTypeProposed, "")
	if err != nil || proposed.Type != RunTypeProposed {
		t.Fatalf("proposed: %+v, %v", proposed, err)
	}

	tracked, err := c.ListRuns(ctx, "app", "")
	if err != nil || len(tracked) != 2 || tracked[0].ID != second.ID || tracked[1].ID != run.ID {
		t.Fatalf("tracked runs %+v, %v", tracked, err)
	}
	older, err := c.ListRuns(ctx, "app", second.ID)
	if err != nil || len(older) != 1 || older[0].ID != run.ID {
		t.Fatalf("runs before %s: %+v, %v", second.ID, older, err)
	}
	props, err := c.ListProposedRuns(ctx, "app", "")
	if err != nil || len(props) != 1 || props[0].ID != proposed.ID {
		t.Fatalf("proposed runs %+v, %v", props, err)
	}
	if _, err := c.GetRun(ctx, "app", "nope"); !IsNotFound(err) {
		t.Fatalf("reading a missing run: %v", err)
	}
	if _, err := c.ConfirmRun(ctx, "app", run.ID); !IsInvalidInput(err) {
		t.Fatalf("confirming a finished run: %v", err)
	}
	if latest, err := c.LatestDriftDetectionRun(ctx, "app"); err != nil || latest != nil {
		t.Fatalf("latest drift detection run without one: %+v, %v", latest, err)
	}
}

func TestEmulatorDrift(t *testing.T) {
	h, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "app", "team:web")
	mustStack(t, c, "quiet", "team:web")
	mustApply(t, c, CreateDriftDetectionMutation("app", DriftDetectionIntegrationInput{Schedule: []string{"0 * * * *"}}))
	runID, err := h.SeedDrift(emulator.DriftSeed{
		Stack: "app", Drifted: 2, RunDriftDetection: true,
		Entities: []emulator.SeedEntity{
			{Address: "aws_vpc.main"}, {Address: "aws_subnet.a"}, {Address: "aws_subnet.b"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	advanceUntil(t, h, "the drift detection run finishing", func() bool {
		r, err := c.GetRun(ctx, "app", runID)
		return err == nil && r.State.Terminal()
	})

	latest, err := c.LatestDriftDetectionRun(ctx, "app")
	if err != nil || latest == nil || latest.ID != runID || !latest.DriftDetection || latest.Delta == nil || latest.Delta.ChangeCount != 2 {
		t.Fatalf("latest drift detection run %+v, %v", latest, err)
	}
	entities, err := c.ListManagedEntities(ctx, "app")
	if err != nil || len(entities) != 3 {
		t.Fatalf("entities %+v, %v", entities, err)
	}
	var drifted int
	for _, e := range entities {
		if e.Drifted() {
			drifted++
		}
	}
	if drifted != 2 {
		t.Fatalf("%d drifted entities", drifted)
	}

	page, err := c.SearchStackSnapshotPage(ctx, SearchInput{Predicates: []QueryPredicate{LabelPredicate("team:web")}})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]StackDrift{}
	for _, s := range page.Items {
		byID[s.Drift.StackID] = s.Drift
	}
	app, quiet := byID["app"], byID["quiet"]
	if app.DriftDetection == nil || app.LatestRun == nil || app.LatestRun.ID != runID || app.Resources != 3 || app.DriftedResources != 2 {
		t.Fatalf("drift of app %+v", app)
	}
	if quiet.StackID != "quiet" || quiet.DriftDetection != nil || quiet.LatestRun != nil || quiet.DriftedResources != 0 {
		t.Fatalf("drift of quiet %+v", quiet)
	}
	var n int
	for p, err := range c.StackSnapshotPages(ctx, LabelPredicate("team:*")) {
		if err != nil {
			t.Fatal(err)
		}
		n += len(p.Items)
	}
	if n != 2 {
		t.Fatalf("%d stacks in snapshot pages", n)
	}
}

func TestEmulatorTokenRefresh(t *testing.T) {
	ctx := t.Context()
	// The emulator's clock jumps past the token's expiry while the client's
	// clock does not: the client learns of the expiry from the rejection
	// (HTTP 401, or an "unauthorized" field error when the API treats the
	// caller as anonymous) and exchanges the key again.
	for _, anonymous := range []bool{false, true} {
		h, c := startEmulator(t, func(o *emulator.Options) {
			o.TokenTTL = 10 * time.Minute
			o.AnonymousUnauthenticated = anonymous
		})
		mustStack(t, c, "app")
		h.Advance(11 * time.Minute)
		s, err := c.GetStack(ctx, "app")
		if err != nil || s.ID != "app" {
			t.Fatalf("anonymous=%v: %+v, %v", anonymous, s, err)
		}
		var exchanges int
		for _, op := range h.Operations() {
			if op.Name == "ApiKeyUser" {
				exchanges++
				if v, _ := op.Variables["secret"].(string); v != "<redacted>" {
					t.Errorf("the emulator recorded the secret as %q", v)
				}
			}
		}
		if exchanges != 2 {
			t.Fatalf("anonymous=%v: %d exchanges, want 2", anonymous, exchanges)
		}
	}
	var exchanges, rejected int

	// With a short token lifetime the client refreshes on its own clock,
	// before the API rejects the token.
	h2, c2 := startEmulator(t, func(o *emulator.Options) { o.TokenTTL = 2 * time.Second; o.Clock = nil })
	mustStack(t, c2, "app")
	time.Sleep(1100 * time.Millisecond)
	if _, err := c2.GetStack(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	exchanges, rejected = 0, 0
	for _, op := range h2.Operations() {
		if op.Name == "ApiKeyUser" {
			exchanges++
		}
		if op.Status == http.StatusUnauthorized {
			rejected++
		}
	}
	if exchanges != 2 || rejected != 0 {
		t.Fatalf("%d exchanges and %d rejected requests with a 2s token, want 2 and 0", exchanges, rejected)
	}
}

func TestEmulatorWrongAPIKey(t *testing.T) {
	h, _ := startEmulator(t)
	id, _ := h.APIKey()
	c := newTestClient(t, h.URL, id, "not-the-secret")
	_, err := c.GetStack(t.Context(), "app")
	if !IsUnauthorized(err) {
		t.Fatalf("got %v", err)
	}
}

func TestEmulatorFaults(t *testing.T) {
	h, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "app")

	h.FailNext(2, http.StatusServiceUnavailable, 0)
	if _, err := c.GetStack(ctx, "app"); err != nil {
		t.Fatalf("after two 503s: %v", err)
	}

	h.FailNext(1, http.StatusTooManyRequests, time.Second)
	start := time.Now()
	if _, err := c.GetStack(ctx, "app"); err != nil {
		t.Fatalf("after a 429: %v", err)
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Fatalf("retried %v after a Retry-After of 1s", elapsed)
	}

	h.FailNext(1, http.StatusBadGateway, 0)
	if _, err := c.TriggerRun(ctx, "app", RunTypeProposed, ""); !IsTransient(err) {
		t.Fatalf("runTrigger after a 502: %v", err)
	}
	if runs := h.Runs("app"); len(runs) != 0 {
		t.Fatalf("%d runs exist although the only runTrigger failed", len(runs))
	}

	h.FailNext(10, http.StatusServiceUnavailable, 0)
	if _, err := c.GetStack(ctx, "app"); !IsTransient(err) {
		t.Fatalf("after persistent 503s: %v", err)
	}
	h.FailNext(0, 0, 0)
}

func TestEmulatorOperationNames(t *testing.T) {
	h, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "app")
	if _, err := c.GetStack(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, op := range h.Operations() {
		names = append(names, op.Name+":"+op.Type)
	}
	want := []string{"ApiKeyUser:mutation", "StackCreate:mutation", "StackRead:query"}
	if !slices.Equal(names, want) {
		t.Fatalf("recorded %v, want %v", names, want)
	}
}

func TestEmulatorConcurrentUse(t *testing.T) {
	_, c := startEmulator(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		wg.Go(func() {
			name := fmt.Sprintf("svc-%d", i)
			if _, err := c.CreateStack(ctx, StackInput{Name: name, Repository: "r", Branch: "main", Labels: []string{"load"}},
				CreateStackOptions{Slug: name}); err != nil {
				errs <- err
				return
			}
			for range 5 {
				if _, err := c.GetStack(ctx, name); err != nil {
					errs <- err
				}
				if _, err := apply1(ctx, c, AddConfigMutation(name, EnvironmentVariable("N", name, false))); err != nil {
					errs <- err
				}
				if _, err := c.SearchStacks(ctx, LabelPredicate("load")); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all, err := c.SearchStacks(ctx, LabelPredicate("load"))
	if err != nil || len(all) != 8 {
		t.Fatalf("%d stacks, %v", len(all), err)
	}
}

func TestEmulatorStackSnapshots(t *testing.T) {
	_, c := startEmulator(t)
	ctx := t.Context()
	for i := range 3 {
		mustStack(t, c, fmt.Sprintf("snap-%d", i), "team:web")
	}
	mustApply(t, c, AddConfigMutation("snap-1", EnvironmentVariable("TF_VAR_secret", "s3cr3t", true)))
	mustApply(t, c, CreateDependencyMutation("snap-2", "snap-0"))
	got := map[string]StackSnapshot{}
	for p, err := range c.StackSnapshotPages(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Items {
			got[s.Stack.ID] = s
		}
	}
	if len(got) != 3 {
		t.Fatalf("snapshots of %d stacks", len(got))
	}
	cfg := got["snap-1"].Config
	if len(cfg) != 1 || cfg[0].ID != "TF_VAR_secret" || cfg[0].Value != nil || cfg[0].Checksum == "" {
		t.Errorf("config of snap-1 = %+v", cfg)
	}
	deps := got["snap-2"].Dependencies
	if len(deps) != 1 || deps[0].DependsOnStackID != "snap-0" {
		t.Errorf("dependencies of snap-2 = %+v", deps)
	}
	if s := got["snap-0"].Stack; s.Name != "snap-0" || fmt.Sprint(s.Labels) != "[team:web]" {
		t.Errorf("stack snap-0 = %+v", s)
	}
}

// One request sets several config elements, executed in order: a later
// element with the same ID wins, as it would after separate requests.
func TestEmulatorConfigBatch(t *testing.T) {
	h, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "app")
	before := len(h.Operations())
	if _, err := c.Apply(ctx, "StackChanges", []Mutation{
		AddConfigMutation("app", EnvironmentVariable("REGION", "us-east-1", false)),
		AddConfigMutation("app", EnvironmentVariable("TOKEN", "hunter2", true)),
		AddConfigMutation("app", EnvironmentVariable("REGION", "eu-west-1", false)),
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(h.Operations()) - before; n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	cfg, err := c.ListStackConfig(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range cfg {
		v := ""
		if e.Value != nil {
			v = *e.Value
		}
		got[e.ID] = v
	}
	if len(got) != 2 || got["REGION"] != "eu-west-1" || got["TOKEN"] != "" {
		t.Errorf("config = %v; want REGION=eu-west-1 (the later element) and write-only TOKEN", got)
	}
	// A refused element fails the request; the ones before it landed.
	if _, err := c.Apply(ctx, "StackChanges", []Mutation{
		AddConfigMutation("app", EnvironmentVariable("A", "1", false)),
		AddConfigMutation("app", EnvironmentVariable("", "2", false)),
	}); err == nil {
		t.Fatal("a refused element did not fail the batch")
	}
	cfg, _ = c.ListStackConfig(ctx, "app")
	if !slices.ContainsFunc(cfg, func(e ConfigElement) bool { return e.ID == "A" }) {
		t.Errorf("the element before the refused one did not land: %v", cfg)
	}
}
