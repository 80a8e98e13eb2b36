package faultsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/webhook"
)

// testWebhooks checks the operator's webhook receiver: deliveries Spacelift
// signs with the secret the operator configured on a child are accepted,
// and forged, unsigned, SHA-1-only, tampered, stale and replayed requests are
// refused without enqueueing anything.
func (s *suite) testWebhooks(t *testing.T) {
	s.testGenuineDeliveries(t)

	probe := "faultsuite-probe-" + randomHex(4)
	now := time.Now()
	valid := runPayload(t, probe, "01PROBE"+randomHex(6), now)
	_, sig256 := emulator.Sign(s.webhookSecret, valid)
	sha1Only, _ := emulator.Sign(s.webhookSecret, valid)
	_, forged := emulator.Sign("not-the-secret", valid)
	stale := runPayload(t, probe, "01STALE"+randomHex(6), now.Add(-time.Hour))
	_, staleSig := emulator.Sign(s.webhookSecret, stale)
	tampered := bytes.Replace(valid, []byte(`"FINISHED"`), []byte(`"FAILED"`), 1)

	for _, c := range []struct {
		name   string
		body   []byte
		header map[string]string
		want   int
	}{
		{"valid delivery", valid, map[string]string{webhook.Signature256Header: sig256}, http.StatusNoContent},
		{"replayed delivery", valid, map[string]string{webhook.Signature256Header: sig256}, http.StatusUnauthorized},
		{"unsigned", runPayload(t, probe, "01UNSIGNED", now), nil, http.StatusUnauthorized},
		{"forged signature", valid, map[string]string{webhook.Signature256Header: forged}, http.StatusUnauthorized},
		{"SHA-1 signature only", valid, map[string]string{webhook.SignatureHeader: sha1Only}, http.StatusUnauthorized},
		{"tampered body", tampered, map[string]string{webhook.Signature256Header: sig256}, http.StatusUnauthorized},
		{"stale timestamp", stale, map[string]string{webhook.Signature256Header: staleSig}, http.StatusUnauthorized},
		{"malformed signature", valid, map[string]string{webhook.Signature256Header: "sha256=zz"}, http.StatusUnauthorized},
	} {
		if got := postWebhook(t, s.receiverURL, c.body, c.header); got != c.want {
			t.Errorf("%s: HTTP %d, want %d", c.name, got, c.want)
		}
	}
	if got := s.enqueuedFor(probe); got != 1 {
		t.Errorf("the receiver enqueued stack %s %d times, want once (the valid delivery only)", probe, got)
	}
}

// testGenuineDeliveries starts a drift detection run on a child in the
// emulator and checks that every webhook delivery of the run was accepted:
// the operator gave Spacelift the right secret and the receiver verifies it.
func (s *suite) testGenuineDeliveries(t *testing.T) {
	var list spaceliftv1alpha1.StackList
	if err := k8s.List(context.Background(), &list, client.InNamespace(namespace)); err != nil {
		t.Fatal(err)
	}
	var child string
	for _, st := range list.Items {
		if len(st.Spec.Webhooks) > 0 && st.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID] != "" {
			child = st.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]
			break
		}
	}
	if child == "" {
		t.Fatal("no child Stack with a webhook and a Spacelift id; did the expansion run?")
	}
	emu := s.emulator()
	run, err := emu.TriggerDriftDetection(child)
	if err != nil {
		t.Fatalf("starting a drift detection run on %s: %v", child, err)
	}
	waitUntil(t, time.Minute, "the run's webhooks are delivered", func() (bool, string) {
		var states []string
		finished := false
		for _, d := range emu.WebhookDeliveries() {
			if d.RunID != run {
				continue
			}
			states = append(states, fmt.Sprintf("%s→%d%s", d.State, d.StatusCode, d.Error))
			finished = finished || d.State == "FINISHED"
		}
		return finished, fmt.Sprint(states)
	})
	n := 0
	for _, d := range emu.WebhookDeliveries() {
		if d.RunID != run {
			continue
		}
		n++
		if d.StatusCode != http.StatusNoContent {
			t.Errorf("delivery of run %s state %s answered %d %s, want 204", run, d.State, d.StatusCode, d.Error)
		}
	}
	if got := s.enqueuedFor(child); got < int64(n) {
		t.Errorf("the receiver enqueued stack %s %d times for %d deliveries", child, got, n)
	}
}

func (s *suite) enqueuedFor(stackID string) int64 {
	if c, ok := s.enqueued.Load(stackID); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

// runPayload is Spacelift's default run state payload.
func runPayload(t *testing.T, stack, run string, at time.Time) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"account": "emulator", "state": "FINISHED", "stateVersion": 7,
		"timestamp": at.Unix(), "timestamp_millis": at.UnixMilli(),
		"run":   map[string]any{"id": run, "type": "TRACKED", "driftDetection": false},
		"stack": map[string]any{"id": stack},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func postWebhook(t *testing.T, url string, body []byte, header map[string]string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("posting to the webhook receiver: %v", err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}
