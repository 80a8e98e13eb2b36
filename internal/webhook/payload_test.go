package webhook

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseEvent(t *testing.T) {
	cases := []struct {
		name string
		body string
		want Event
	}{{
		name: "default payload as documented",
		body: runEvent("spacelift-demo", "01EF9PFPNFFM2MQXTJKHK1B869", "FINISHED", 4, time.Unix(1596979684, 0)),
		want: Event{StackID: "spacelift-demo", RunID: "01EF9PFPNFFM2MQXTJKHK1B869", RunType: "TRACKED", RunState: "FINISHED",
			StateVersion: 4, Account: "spacelift-io", Timestamp: time.Unix(1596979684, 0)},
	}, {
		// As Spacelift sends it today: timestamp_millis and run.driftDetection.
		name: "current payload of a drift detection run",
		body: `{"account":"peygis","state":"FINISHED","stateVersion":5,"timestamp":1745599888,"timestamp_millis":1745599888383,
"run":{"id":"01JSPXRQR2F3Y06HD85YYXRSZ7","branch":"main","driftDetection":true,"type":"PROPOSED",
"url":"https://peygis.app.spacelift.io/stack/ai-agent/run/01JSPXRQR2F3Y06HD85YYXRSZ7"},
"stack":{"id":"ai-agent","name":"ai-agent","labels":["node"],"vcs":"GITHUB"},
"workerPool":{"public":true},"event_source":"spacelift","event_type":"run_state_changed_event"}`,
		want: Event{StackID: "ai-agent", RunID: "01JSPXRQR2F3Y06HD85YYXRSZ7", RunType: "PROPOSED", RunState: "FINISHED",
			DriftDetection: true, StateVersion: 5, Account: "peygis", Timestamp: time.UnixMilli(1745599888383)},
	}, {
		name: "notification policy input",
		body: `{"account":{"name":"acme"},"webhook_endpoints":[{"id":"hook"}],"run_updated":{"state":"UNCONFIRMED",
"run":{"id":"r1","type":"TRACKED","state":"UNCONFIRMED","drift_detection":true,"updated_at":1745599888383000000},
"stack":{"id":"infra","state":"UNCONFIRMED"}}}`,
		want: Event{StackID: "infra", RunID: "r1", RunType: "TRACKED", RunState: "UNCONFIRMED", DriftDetection: true,
			Account: "acme", Timestamp: time.UnixMilli(1745599888383)},
	}, {
		name: "run_updated part of the policy input",
		body: `{"state":"FAILED","run":{"id":"r1","type":"DESTROY","state":"FAILED"},"stack":{"id":"infra"}}`,
		want: Event{StackID: "infra", RunID: "r1", RunType: "DESTROY", RunState: "FAILED"},
	}, {
		name: "RFC 3339 timestamp",
		body: `{"stack":{"id":"infra"},"timestamp":"2026-01-05T10:00:00Z"}`,
		want: Event{StackID: "infra", Timestamp: epoch},
	}, {
		name: "timestamp in microseconds, null millis",
		body: `{"stack":{"id":"infra"},"timestamp":1767607200000000,"timestamp_millis":null}`,
		want: Event{StackID: "infra", Timestamp: epoch},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseEvent([]byte(tc.body))
			if err != nil {
				t.Fatalf("parseEvent: %v", err)
			}
			if !sameEvent(got, tc.want) {
				t.Errorf("event = %+v\nwant    %+v", got, tc.want)
			}
		})
	}
}

func TestParseEventErrors(t *testing.T) {
	cases := []struct {
		name, body, public string
	}{
		{"not JSON", `stack=demo`, "not a valid JSON object"},
		{"array", `[{"stack":{"id":"demo"}}]`, "not a valid JSON object"},
		{"wrong type", `{"stack":{"id":42}}`, "not a valid JSON object"},
		{"null", `null`, "no stack.id"},
		{"internal error event", `{"title":"t","body":"b","error":"e","severity":"ERROR","account":"a"}`, "no stack.id"},
		{"timestamp of the wrong type", `{"stack":{"id":"demo"},"timestamp":{}}`, "neither a Unix time"},
		{"timestamp not a time", `{"stack":{"id":"demo"},"timestamp_millis":"yesterday"}`, "neither a Unix time"},
		{"timestamp out of range", `{"stack":{"id":"demo"},"timestamp":1e300}`, "neither a Unix time"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseEvent([]byte(tc.body))
			if err == nil {
				t.Fatal("parseEvent succeeded")
			}
			if msg := publicMessage(err); !strings.Contains(msg, tc.public) {
				t.Errorf("public message %q, want it to contain %q", msg, tc.public)
			}
			if tc.public == "no stack.id" && !errors.Is(err, errMissingStack) {
				t.Errorf("err = %v, want errMissingStack", err)
			}
		})
	}
}

func TestReplayCacheIsBounded(t *testing.T) {
	c := newReplayCache(3)
	sig := func(i byte) (s [32]byte) { s[0] = i; return s }
	exp := epoch.Add(time.Hour)
	for i := range byte(5) {
		if !c.add(sig(i), epoch, exp) {
			t.Fatalf("signature %d seen before", i)
		}
	}
	if n := c.size(); n != 3 {
		t.Errorf("size = %d, want 3", n)
	}
	if c.add(sig(4), epoch, exp) {
		t.Error("latest signature forgotten")
	}
	if !c.add(sig(0), epoch, exp) {
		t.Error("oldest signature still remembered in a full cache")
	}
	// Expired entries go first, whatever the size.
	later := exp.Add(time.Second)
	if !c.add(sig(4), later, later.Add(time.Hour)) {
		t.Error("expired signature still rejected")
	}
	if n := c.size(); n != 1 {
		t.Errorf("size after expiry = %d, want 1", n)
	}
}
