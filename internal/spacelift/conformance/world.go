// Package conformance checks GraphQL documents against the emulator: that
// they validate against its schema and that, executed against a running
// emulator holding a standard set of objects, they succeed with the data
// shape their client expects. It serves two tests: the documents the
// operator's client sends (internal/spacelift) and a catalogue of documents
// shaped like the ones spacectl, Spacelift's Terraform provider and
// Spacelift's own Kubernetes operator send (this package's own test). It is
// test support: nothing in a binary imports it.
package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator/emulatortest"
)

// Epoch is the emulator time a World starts at.
var Epoch = time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC)

// World is a running emulator and the ids of the objects Build puts in it.
//
// Objects with chosen ids: spaces root and plat; worker pool pool; context
// ctx (variable CTX_VAR); AWS integration aws; policy p (PLAN); stacks s
// (everything attached), other (s depends on it), bare (nothing attached)
// and busy (a run in progress). Generated ids are in IDs, under the names
// listed with Build.
type World struct {
	H   *emulatortest.Harness
	IDs map[string]string
	t   testing.TB
}

// NewWorld starts an emulator on a frozen clock for the test.
func NewWorld(t testing.TB) *World {
	t.Helper()
	h := emulatortest.Start(t, emulator.Options{Clock: emulator.FixedClock{T: Epoch}, RunStepDuration: time.Second})
	return &World{H: h, t: t}
}

// Response is a GraphQL answer.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

// Do posts a document with the API key's token.
func (w *World) Do(query string, vars map[string]any) (Response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return Response{}, fmt.Errorf("encoding request: %w", err)
	}
	req, err := http.NewRequest(http.MethodPost, w.H.GraphQLURL(), bytes.NewReader(body))
	if err != nil {
		return Response{}, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.H.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("posting to the emulator: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("reading the answer: %w", err)
	}
	out := Response{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, &out); err != nil {
		return Response{}, fmt.Errorf("decoding the answer %q: %w", raw, err)
	}
	return out, nil
}

// must runs a setup document and returns the string at path in its data.
func (w *World) must(query string, vars map[string]any, path ...string) string {
	w.t.Helper()
	resp, err := w.Do(query, vars)
	if err != nil {
		w.t.Fatalf("setting up the world: %v", err)
	}
	if len(resp.Errors) > 0 {
		w.t.Fatalf("setting up the world: %s: %v", query, resp.Errors)
	}
	if len(path) == 0 {
		return ""
	}
	var data any
	if err := json.Unmarshal(resp.Data, &data); err != nil {
		w.t.Fatalf("setting up the world: decoding %s: %v", resp.Data, err)
	}
	for _, p := range path {
		m, ok := data.(map[string]any)
		if !ok {
			w.t.Fatalf("setting up the world: no %s in %s", strings.Join(path, "."), resp.Data)
		}
		data = m[p]
	}
	s, ok := data.(string)
	if !ok {
		w.t.Fatalf("setting up the world: %s in %s is not a string", strings.Join(path, "."), resp.Data)
	}
	return s
}

// advanceUntil moves the clock a second at a time until the run is in state.
func (w *World) advanceUntil(stack, run, state string) {
	w.t.Helper()
	for range 60 {
		got := w.must(`query($s: ID!, $r: ID!) { stack(id: $s) { run(id: $r) { state } } }`,
			map[string]any{"s": stack, "r": run}, "stack", "run", "state")
		if got == state {
			return
		}
		w.H.Advance(time.Second)
	}
	w.t.Fatalf("setting up the world: run %s of %s never reached %s", run, stack, state)
}

const (
	stackCreateDoc = `mutation($in: StackInput!) { stackCreate(input: $in, manageState: true) { id } }`
	triggerDoc     = `mutation($s: ID!, $t: RunType) { runTrigger(stack: $s, runType: $t) { id } }`
)

// Build resets the emulator and creates the standard objects. Generated ids
// land in IDs under: policyAttachment, contextAttachment, awsAttachment,
// webhook, dependency, reference, roleBinding, scheduledRun, scheduledTask,
// scheduledDelete (of s, in a year), unconfirmedRun (a tracked run
// of s waiting for confirmation), queuedRun (a tracked run of s queued
// behind it), proposedRun (a finished proposed run of other), failedRun (a
// failed tracked run of other), busyRun (a tracked run of busy a worker is
// busy with).
func (w *World) Build() {
	w.t.Helper()
	w.H.Reset()
	w.IDs = map[string]string{}
	err := w.H.Seed(emulator.Seed{
		Spaces:          []emulator.SeedSpace{{ID: "plat", Name: "plat"}},
		WorkerPools:     []emulator.SeedWorkerPool{{ID: "pool", Name: "pool", Labels: []string{"k8s"}}},
		Contexts:        []emulator.SeedContext{{ID: "ctx", Name: "ctx", Labels: []string{"shared"}, Config: []emulator.SeedConfig{{ID: "CTX_VAR", Value: "1"}}}},
		AWSIntegrations: []emulator.SeedAWSIntegration{{ID: "aws", Name: "aws", RoleArn: "arn:aws:iam::123456789012:role/spacelift"}},
	})
	if err != nil {
		w.t.Fatalf("seeding the world: %v", err)
	}
	for _, name := range []string{"s", "other", "bare", "busy"} {
		w.must(stackCreateDoc, map[string]any{"in": map[string]any{
			"name": name, "repository": "infra", "branch": "main", "labels": []string{"team:web"},
		}})
	}
	w.must(`mutation { stackConfigAdd(stack: "s", config: {id: "TF_VAR_x", type: ENVIRONMENT_VARIABLE, value: "1", writeOnly: false}) { id } }`, nil)
	w.must(`mutation { stackConfigAdd(stack: "s", config: {id: "file.txt", type: FILE_MOUNT, value: "aGk=", writeOnly: true}) { id } }`, nil)
	w.must(`mutation { policyCreatev2(input: {name: "p", body: "package spacelift", type: PLAN}) { id } }`, nil)
	w.IDs["policyAttachment"] = w.must(`mutation { policyAttach(id: "p", stack: "s") { id } }`, nil, "policyAttach", "id")
	w.IDs["contextAttachment"] = w.must(`mutation { contextAttach(id: "ctx", stack: "s", priority: 1) { id } }`, nil, "contextAttach", "id")
	w.IDs["awsAttachment"] = w.must(`mutation { awsIntegrationAttach(id: "aws", stack: "s", read: true, write: true) { id } }`, nil, "awsIntegrationAttach", "id")
	w.must(`mutation { stackIntegrationDriftDetectionCreate(stack: "s", input: {ignoreState: false, reconcile: false, schedule: ["0 4 * * *"]}) { id } }`, nil)
	w.IDs["webhook"] = w.must(`mutation { webhooksIntegrationCreate(stack: "s", input: {enabled: true, endpoint: "https://example.com/hook", secret: "shh"}) { id } }`,
		nil, "webhooksIntegrationCreate", "id")
	w.IDs["dependency"] = w.must(`mutation { stackDependencyCreate(input: {stackId: "s", dependsOnStackId: "other"}) { id } }`, nil, "stackDependencyCreate", "id")
	w.IDs["reference"] = w.must(`mutation($d: ID!) { stackDependenciesAddReference(stackDependencyID: $d, reference: {outputName: "network_id", inputName: "TF_VAR_network_id"}) { id } }`,
		map[string]any{"d": w.IDs["dependency"]}, "stackDependenciesAddReference", "id")
	w.IDs["roleBinding"] = w.must(`mutation { stackRoleBindingCreate(input: {roleID: "space-admin", stackID: "s", spaceID: "root"}) { id } }`,
		nil, "stackRoleBindingCreate", "id")
	w.IDs["scheduledRun"] = w.must(`mutation { stackScheduledRunCreate(stack: "s", input: {name: "nightly", cronSchedule: ["0 2 * * *"]}) { id } }`,
		nil, "stackScheduledRunCreate", "id")
	w.IDs["scheduledTask"] = w.must(`mutation { stackScheduledTaskCreate(stack: "s", input: {command: "tofu state list", cronSchedule: ["0 3 * * *"]}) { id } }`,
		nil, "stackScheduledTaskCreate", "id")
	w.IDs["scheduledDelete"] = w.must(`mutation($at: Int!) { stackScheduledDeleteCreate(stack: "s", input: {shouldDeleteResources: true, timestampSchedule: $at}) { id } }`,
		map[string]any{"at": Epoch.Add(365 * 24 * time.Hour).Unix()}, "stackScheduledDeleteCreate", "id")
	if err := w.H.Seed(emulator.Seed{Outputs: []emulator.SeedOutput{{Stack: "s", ID: "vpc_id", Value: `"vpc-1"`}}}); err != nil {
		w.t.Fatalf("seeding outputs: %v", err)
	}
	if _, err := w.H.SeedDrift(emulator.DriftSeed{Stack: "s", Entities: []emulator.SeedEntity{
		{Address: "null_resource.a"}, {Address: "module.net.aws_vpc.main"},
	}, Drifted: 1}); err != nil {
		w.t.Fatalf("seeding entities: %v", err)
	}

	w.IDs["proposedRun"] = w.must(triggerDoc, map[string]any{"s": "other", "t": "PROPOSED"}, "runTrigger", "id")
	w.advanceUntil("other", w.IDs["proposedRun"], "FINISHED")
	if err := w.H.SetNextPlan("other", emulator.PlanSpec{FailPlanning: true}); err != nil {
		w.t.Fatalf("failing the next plan of other: %v", err)
	}
	w.IDs["failedRun"] = w.must(triggerDoc, map[string]any{"s": "other", "t": "TRACKED"}, "runTrigger", "id")
	w.advanceUntil("other", w.IDs["failedRun"], "FAILED")
	w.IDs["unconfirmedRun"] = w.must(triggerDoc, map[string]any{"s": "s", "t": "TRACKED"}, "runTrigger", "id")
	w.advanceUntil("s", w.IDs["unconfirmedRun"], "UNCONFIRMED")
	w.IDs["queuedRun"] = w.must(triggerDoc, map[string]any{"s": "s", "t": "TRACKED"}, "runTrigger", "id")
	w.IDs["busyRun"] = w.must(triggerDoc, map[string]any{"s": "busy", "t": "TRACKED"}, "runTrigger", "id")
	w.advanceUntil("busy", w.IDs["busyRun"], "PREPARING")
}
