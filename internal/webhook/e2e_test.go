package webhook_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator/emulatortest"
	"github.com/stackwright/spacelift-operator/internal/webhook"
)

// The emulator signs and delivers run webhooks as Spacelift does; the
// receiver verifies every one and enqueues the stack.
func TestEmulatorDeliveriesAreVerifiedAndEnqueued(t *testing.T) {
	const secret = "e2e-webhook-secret"
	emu := emulatortest.Start(t, emulator.Options{
		Clock:           emulator.FixedClock{T: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)},
		RunStepDuration: time.Second,
	})
	events := make(chan webhook.Event, 100)
	rec, err := webhook.New(webhook.Options{
		Secrets: webhook.StaticSecrets([]byte("rotated-out"), []byte(secret)),
		Enqueue: func(stackID string, ev webhook.Event) {
			select {
			case events <- ev:
			default:
				t.Errorf("event queue full, dropped %+v", ev)
			}
		},
		Now: emu.Now, // payload timestamps come from the emulator's clock
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rec.Handler())
	t.Cleanup(srv.Close)

	var created struct{ StackCreate struct{ ID string } }
	gql(t, emu, `mutation($input: StackInput!) { stackCreate(input: $input, manageState: true) { id } }`,
		map[string]any{"input": map[string]any{"name": "Hooked", "repository": "infra", "branch": "main",
			"administrative": false, "autodeploy": true}}, &created)
	stack := created.StackCreate.ID
	gql(t, emu, `mutation($stack: ID!, $input: WebhooksIntegrationInput!) { webhooksIntegrationCreate(stack: $stack, input: $input) { id } }`,
		map[string]any{"stack": stack, "input": map[string]any{"enabled": true, "endpoint": srv.URL + webhook.Path, "secret": secret}}, nil)

	t.Run("tracked run", func(t *testing.T) {
		var triggered struct{ RunTrigger struct{ ID string } }
		gql(t, emu, `mutation($stack: ID!) { runTrigger(stack: $stack, runType: TRACKED) { id } }`,
			map[string]any{"stack": stack}, &triggered)
		emu.Advance(time.Minute)

		got := collect(t, events, triggered.RunTrigger.ID)
		var states []string
		for _, ev := range got {
			if ev.StackID != stack || ev.RunType != "TRACKED" || ev.Account != "emulator" || ev.Timestamp.IsZero() {
				t.Errorf("event = %+v", ev)
			}
			states = append(states, ev.RunState)
		}
		if want := []string{"QUEUED", "READY", "PREPARING", "INITIALIZING", "PLANNING", "APPLYING", "FINISHED"}; !slices.Equal(states, want) {
			t.Errorf("enqueued states %v, want %v", states, want)
		}
	})

	t.Run("drift detection run", func(t *testing.T) {
		run, err := emu.TriggerDriftDetection(stack)
		if err != nil {
			t.Fatal(err)
		}
		emu.Advance(time.Minute)
		got := collect(t, events, run)
		if last := got[len(got)-1]; last.StackID != stack || last.RunType != "PROPOSED" {
			t.Errorf("last event = %+v", last)
		}
		// Spacelift also sends run.driftDetection (parsed into
		// Event.DriftDetection); the emulator's payload does not carry it yet.
	})

	for _, d := range waitDeliveries(t, emu) {
		if d.StatusCode != http.StatusNoContent {
			t.Errorf("delivery %+v answered %d, want 204", d, d.StatusCode)
		}
	}
}

// collect returns the events of run up to its FINISHED one.
func collect(t *testing.T, events <-chan webhook.Event, run string) []webhook.Event {
	t.Helper()
	var got []webhook.Event
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.RunID != run {
				t.Fatalf("event of another run: %+v", ev)
			}
			got = append(got, ev)
			if ev.RunState == "FINISHED" {
				return got
			}
		case <-timeout:
			t.Fatalf("no FINISHED event for run %s within 10s; got %+v", run, got)
		}
	}
}

// waitDeliveries waits until the emulator has recorded the answer to every
// delivery it made.
func waitDeliveries(t *testing.T, emu *emulatortest.Harness) []emulator.WebhookDelivery {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ds := emu.WebhookDeliveries()
		if n := len(ds); n > 0 && ds[n-1].State == "FINISHED" && ds[n-1].RunID == emu.Runs("")[0].ID {
			return ds
		}
		if time.Now().After(deadline) {
			t.Fatalf("emulator recorded %d deliveries, not the last one", len(ds))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func gql(t *testing.T, emu *emulatortest.Harness, query string, vars map[string]any, out any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, emu.GraphQLURL(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+emu.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Fatalf("decoding answer (HTTP %d): %v", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || len(res.Errors) > 0 {
		t.Fatalf("GraphQL failed: HTTP %d %+v", resp.StatusCode, res.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(res.Data, out); err != nil {
			t.Fatalf("decoding data %s: %v", res.Data, err)
		}
	}
}
