package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// states lists a run's states oldest first; the API serves history newest first.
func states(r runResult) []string {
	var out []string
	for _, h := range slices.Backward(r.Stack.Run.History) {
		out = append(out, h.State)
	}
	return out
}

func TestTrackedRunWaitsForConfirmationAndRecordsMetadata(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	stack := c.createStack("Runner", nil)

	c.headers = map[string]string{UserProvidedRunMetadataHeader: `{"trigger":"operator"}`}
	runID := c.trigger(stack, "TRACKED")
	if got := c.run(stack, runID); got.Stack.Run.State != "QUEUED" || got.Stack.Blocker == nil || got.Stack.Blocker.ID != runID {
		t.Fatalf("fresh run: %+v", got.Stack)
	}

	h.Advance(time.Minute)
	got := c.run(stack, runID)
	if got.Stack.Run.State != "UNCONFIRMED" || got.Stack.State != "UNCONFIRMED" {
		t.Fatalf("run %s / stack %s, want both UNCONFIRMED", got.Stack.Run.State, got.Stack.State)
	}
	if d := got.Stack.Run.Delta; d == nil || d.AddCount != 1 {
		t.Errorf("first run delta = %+v, want one resource to add", d)
	}
	if want := []string{"QUEUED", "READY", "PREPARING", "INITIALIZING", "PLANNING", "UNCONFIRMED"}; !equal(states(got), want) {
		t.Errorf("history = %v, want %v", states(got), want)
	}

	// A second tracked run queues behind the blocker.
	second := c.trigger(stack, "TRACKED")
	h.Advance(time.Minute)
	if s := c.run(stack, second).Stack.Run.State; s != "QUEUED" {
		t.Fatalf("second run is %s while the first is unconfirmed, want QUEUED", s)
	}

	const confirm = `mutation($stack: ID!, $run: ID!) { runConfirm(stack: $stack, run: $run) { id state } }`
	c.headers = map[string]string{UserProvidedRunMetadataHeader: "approved-by-ci"}
	var conf struct{ RunConfirm struct{ State string } }
	c.ok(confirm, map[string]any{"stack": stack, "run": runID}, &conf)
	if conf.RunConfirm.State != "CONFIRMED" {
		t.Fatalf("runConfirm returned state %s", conf.RunConfirm.State)
	}
	c.headers = nil
	c.fails(confirm, map[string]any{"stack": stack, "run": runID}, "cannot be confirmed")

	h.Advance(5 * time.Second)
	got = c.run(stack, runID)
	if got.Stack.Run.State != "FINISHED" || !got.Stack.Run.History[0].Terminal {
		t.Fatalf("after confirm: %v", states(got))
	}
	if want := []string{`{"trigger":"operator"}`, "approved-by-ci"}; !equal(got.Stack.Run.UserProvidedMetadata, want) {
		t.Errorf("userProvidedMetadata = %q, want one entry per call %q", got.Stack.Run.UserProvidedMetadata, want)
	}
	if infos := h.Runs(stack); len(infos) != 2 || !equal(infos[1].UserProvidedMetadata, got.Stack.Run.UserProvidedMetadata) {
		t.Errorf("control API runs = %+v", infos)
	}

	// The queued run now plans; nothing changed since the apply, so it finishes on its own.
	h.Advance(time.Minute)
	if s := c.run(stack, second).Stack.Run.State; s != "FINISHED" {
		t.Errorf("second run ended %s, want FINISHED (no changes)", s)
	}
}

func TestAutodeployDiscardAndFailure(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	auto := c.createStack("Auto", map[string]any{"autodeploy": true})
	runID := c.trigger(auto, "TRACKED")
	h.Advance(time.Minute)
	if got := c.run(auto, runID); !equal(states(got), []string{"QUEUED", "READY", "PREPARING", "INITIALIZING", "PLANNING", "APPLYING", "FINISHED"}) {
		t.Errorf("autodeploy history = %v", states(got))
	}

	manual := c.createStack("Manual", nil)
	runID = c.trigger(manual, "TRACKED")
	h.Advance(time.Minute)
	var dis struct{ RunDiscard struct{ State string } }
	c.ok(`mutation($stack: ID!, $run: ID!) { runDiscard(stack: $stack, run: $run) { id state } }`, map[string]any{"stack": manual, "run": runID}, &dis)
	if dis.RunDiscard.State != "DISCARDED" {
		t.Errorf("runDiscard state = %s", dis.RunDiscard.State)
	}

	proposed := c.trigger(manual, "PROPOSED")
	if err := h.SetNextPlan(manual, PlanSpec{FailPlanning: true}); err != nil {
		t.Fatal(err)
	}
	failing := c.trigger(manual, "TRACKED")
	h.Advance(time.Minute)
	if s := c.run(manual, proposed).Stack.Run.State; s != "FINISHED" {
		t.Errorf("proposed run ended %s", s)
	}
	if s := c.run(manual, failing).Stack.Run.State; s != "FAILED" {
		t.Errorf("run with a failing plan ended %s", s)
	}
}

func TestDriftSeedingAndDetection(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	stack := c.createStack("Drifty", map[string]any{"autodeploy": true})
	const create = `mutation($stack: ID!, $input: DriftDetectionIntegrationInput!) {
  stackIntegrationDriftDetectionCreate(stack: $stack, input: $input) { id reconcile ignoreState schedule timezone nextSchedule } }`
	c.fails(create, map[string]any{"stack": stack, "input": map[string]any{"reconcile": false, "ignoreState": false, "schedule": []string{}}}, "at least one cron")
	c.fails(create, map[string]any{"stack": stack, "input": map[string]any{"reconcile": false, "ignoreState": false, "schedule": []string{"every minute"}}}, "invalid schedule")
	c.fails(create, map[string]any{"stack": stack, "input": map[string]any{"reconcile": false, "ignoreState": false, "schedule": []string{"0 * * * *"}, "timezone": "Mars/Olympus"}}, "invalid timezone")

	// 03:00 in Warsaw (UTC+1 in January) is 02:00 UTC, 16 hours after the epoch.
	var dd struct {
		StackIntegrationDriftDetectionCreate struct{ NextSchedule int64 }
	}
	c.ok(create, map[string]any{"stack": stack, "input": map[string]any{"reconcile": true, "ignoreState": false, "schedule": []string{"0 3 * * *"}, "timezone": "Europe/Warsaw"}}, &dd)
	if want := time.Date(2026, 1, 6, 2, 0, 0, 0, time.UTC).Unix(); dd.StackIntegrationDriftDetectionCreate.NextSchedule != want {
		t.Fatalf("nextSchedule = %d, want %d", dd.StackIntegrationDriftDetectionCreate.NextSchedule, want)
	}

	// Get the stack to FINISHED first: without ignoreState drift detection skips other stacks.
	c.trigger(stack, "TRACKED")
	h.Advance(time.Minute)

	if _, err := h.SeedDrift(DriftSeed{Stack: stack, Drifted: 2, Entities: []SeedEntity{
		{Address: "aws_s3_bucket.logs"}, {Address: "aws_iam_role.ci"}, {Address: "aws_sqs_queue.jobs"},
	}}); err != nil {
		t.Fatal(err)
	}
	h.Advance(16*time.Hour + time.Minute)
	c.token = h.Token() // the old one expired with the jump

	runs := h.Runs(stack)
	var drift, reconcile *RunInfo
	for i := range runs {
		switch {
		case runs[i].DriftDetection:
			drift = &runs[i]
		case runs[i].Type == "TRACKED" && drift == nil:
			reconcile = &runs[i]
		}
	}
	if drift == nil || drift.State != "FINISHED" {
		t.Fatalf("no finished scheduled drift detection run among %+v", runs)
	}
	got := c.run(stack, drift.ID)
	if !got.Stack.Run.DriftDetection || got.Stack.Run.Type != "PROPOSED" || got.Stack.Run.Delta.ChangeCount != 2 {
		t.Errorf("drift run = %+v", got.Stack.Run)
	}
	if reconcile == nil || reconcile.State != "FINISHED" {
		t.Fatalf("reconcile=true should have applied the drift with a tracked run; runs: %+v", runs)
	}

	var ent struct {
		Stack struct {
			Entities []struct {
				Address string
				Drifted *int64
				Updater *struct{ ID string }
			}
		}
	}
	c.ok(`query($id: ID!) { stack(id: $id) { entities { id address type drifted updater { id } } } }`, map[string]any{"id": stack}, &ent)
	if len(ent.Stack.Entities) != 3 {
		t.Fatalf("entities = %+v", ent.Stack.Entities)
	}
	for _, e := range ent.Stack.Entities {
		if e.Drifted != nil {
			t.Errorf("%s still drifted after the reconciling apply", e.Address)
		}
	}

	// On-demand detection without reconcile marks entities and leaves them drifted.
	c.ok(`mutation($stack: ID!, $input: DriftDetectionIntegrationInput!) { stackIntegrationDriftDetectionUpdate(stack: $stack, input: $input) { reconcile } }`,
		map[string]any{"stack": stack, "input": map[string]any{"reconcile": false, "ignoreState": true, "schedule": []string{"*/30 * * * *"}}}, nil)
	runID, err := h.SeedDrift(DriftSeed{Stack: stack, Drifted: 1, RunDriftDetection: true})
	if err != nil {
		t.Fatal(err)
	}
	h.Advance(10 * time.Second)
	if s := c.run(stack, runID).Stack.Run.State; s != "FINISHED" {
		t.Fatalf("on-demand drift run is %s", s)
	}
	c.ok(`query($id: ID!) { stack(id: $id) { entities { id address type drifted updater { id } } } }`, map[string]any{"id": stack}, &ent)
	// Triggered 10s ago; planning ends after five one-second steps.
	if d, want := ent.Stack.Entities[0].Drifted, h.Now().Add(-5*time.Second).Unix(); d == nil || *d != want {
		t.Errorf("first entity drifted = %v, want %d (end of planning)", d, want)
	}
	if ent.Stack.Entities[1].Drifted != nil {
		t.Errorf("second entity marked drifted, only one was seeded")
	}

	var del struct {
		StackIntegrationDriftDetectionDelete *struct{ Deleted bool }
	}
	c.ok(`mutation($stack: ID!) { stackIntegrationDriftDetectionDelete(stack: $stack) { deleted } }`, map[string]any{"stack": stack}, &del)
	if del.StackIntegrationDriftDetectionDelete == nil || !del.StackIntegrationDriftDetectionDelete.Deleted {
		t.Errorf("delete returned %+v", del.StackIntegrationDriftDetectionDelete)
	}
}

func TestWebhooksAreSignedLikeSpacelift(t *testing.T) {
	const secret = "hush"
	var (
		mu       sync.Mutex
		received []WebhookPayload
		done     = make(chan struct{})
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); r.Header.Get("X-Signature-256") != want {
			t.Errorf("X-Signature-256 = %q, want %q", r.Header.Get("X-Signature-256"), want)
		}
		if !strings.HasPrefix(r.Header.Get("X-Signature"), "sha1=") {
			t.Errorf("X-Signature = %q, want a sha1= signature", r.Header.Get("X-Signature"))
		}
		var p WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("payload %s: %v", body, err)
		}
		mu.Lock()
		received = append(received, p)
		if p.State == "FINISHED" {
			close(done)
		}
		mu.Unlock()
	}))
	defer receiver.Close()

	h := newTestHarness(t)
	c := h.client(t)
	stack := c.createStack("Hooked", map[string]any{"autodeploy": true, "labels": []string{"l1"}})
	const create = `mutation($stack: ID!, $input: WebhooksIntegrationInput!) { webhooksIntegrationCreate(stack: $stack, input: $input) { id enabled endpoint } }`
	c.fails(create, map[string]any{"stack": stack, "input": map[string]any{"enabled": true, "endpoint": "ftp://x", "secret": ""}}, "not a valid HTTP(S) URL")
	c.ok(create, map[string]any{"stack": stack, "input": map[string]any{"enabled": true, "endpoint": receiver.URL, "secret": secret}}, nil)

	runID := c.trigger(stack, "TRACKED")
	h.Advance(time.Minute)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("no FINISHED webhook within 10s")
	}
	mu.Lock()
	defer mu.Unlock()
	var got []string
	for i, p := range received {
		got = append(got, p.State)
		if p.StateVersion != i+1 || p.Run.ID != runID || p.Stack.ID != stack || p.Account != "emulator" || p.Run.Type != "TRACKED" {
			t.Errorf("payload %d = %+v", i, p)
		}
	}
	if want := []string{"QUEUED", "READY", "PREPARING", "INITIALIZING", "PLANNING", "APPLYING", "FINISHED"}; !equal(got, want) {
		t.Errorf("webhook states = %v, want %v", got, want)
	}
	if last := received[len(received)-1]; last.Run.Delta == nil || last.Run.Delta.Added != 1 || last.Stack.Labels[0] != "l1" {
		t.Errorf("final payload = %+v", last)
	}
}
