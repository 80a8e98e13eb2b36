package webhook

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Event is what an accepted delivery says about a run.
type Event struct {
	// StackID is the Spacelift stack id (its slug); never empty.
	StackID string
	// RunID is the run's ULID; empty when a custom payload leaves it out.
	RunID string
	// RunType is TRACKED, PROPOSED, DESTROY, TASK, ...
	RunType string
	// RunState is the state the run entered: QUEUED, PLANNING, FINISHED, ...
	RunState string
	// DriftDetection is set for runs started by drift detection (PROPOSED
	// runs, or TRACKED ones when drift reconciliation is on).
	DriftDetection bool
	// StateVersion is the ordinal of RunState in the run's history (1 for
	// the first state), so deliveries received out of order can be told
	// apart; 0 when the payload has none.
	StateVersion int
	// Account is the Spacelift account (subdomain) that sent the delivery.
	Account string
	// Timestamp is when the run entered RunState according to the payload.
	// parseEvent leaves it zero when the payload has none; the Receiver
	// refuses such deliveries, so an enqueued Event always has one.
	Timestamp time.Time
	// ReceivedAt is when the receiver accepted the delivery.
	ReceivedAt time.Time
}

// payload is Spacelift's default run event payload (docs:
// integrations/webhooks, "Run events"):
//
//	{"account":"spacelift-io","state":"FINISHED","stateVersion":4,
//	 "timestamp":1596979684,"timestamp_millis":1596979684383,
//	 "run":{"id":"01EF9P…","type":"TRACKED","driftDetection":false,…},
//	 "stack":{"id":"spacelift-demo",…}}
//
// A notification policy may instead send its own input, or the run_updated
// part of it; those use snake_case fields, an account object and nanosecond
// timestamps (docs: concepts/policy/notification-policy, "Data input"). All
// three shapes are read.
type payload struct {
	Account         json.RawMessage `json:"account"`
	State           string          `json:"state"`
	StateVersion    int             `json:"stateVersion"`
	Timestamp       json.RawMessage `json:"timestamp"`
	TimestampMillis json.RawMessage `json:"timestamp_millis"`
	Run             struct {
		ID    string `json:"id"`
		Type  string `json:"type"`
		State string `json:"state"`
		// DriftDetection is the default payload's field, PolicyDriftDetection
		// the notification policy input's.
		DriftDetection       bool            `json:"driftDetection"`
		PolicyDriftDetection bool            `json:"drift_detection"`
		UpdatedAt            json.RawMessage `json:"updated_at"`
	} `json:"run"`
	Stack struct {
		ID string `json:"id"`
	} `json:"stack"`
	// RunUpdated is set when the payload is a whole notification policy input.
	RunUpdated *payload `json:"run_updated"`
}

// errMissingStack marks a payload that names no stack, such as Spacelift's
// internal error notifications.
var errMissingStack = errors.New("payload has no stack.id")

// malformedError is a payload error whose message may be sent to the client.
type malformedError struct{ msg string }

func (e *malformedError) Error() string { return e.msg }

// publicMessage is the answer sent for a payload error: the decoder's own
// message can quote the body, so it is only logged.
func publicMessage(err error) string {
	if m, ok := errors.AsType[*malformedError](err); ok {
		return m.msg
	}
	if errors.Is(err, errMissingStack) {
		return "payload has no stack.id: only run events are accepted"
	}
	return "payload is not a valid JSON object"
}

// parseEvent reads a run event payload. It fails when the body is not a JSON
// object, names no stack or has a timestamp that is not a time.
func parseEvent(body []byte) (Event, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return Event{}, fmt.Errorf("decoding payload: %w", err)
	}
	if p.Stack.ID == "" && p.RunUpdated != nil {
		inner := *p.RunUpdated
		if len(inner.Account) == 0 {
			inner.Account = p.Account
		}
		p = inner
	}
	if p.Stack.ID == "" {
		return Event{}, errMissingStack
	}
	ts, err := p.time()
	if err != nil {
		return Event{}, err
	}
	return Event{
		StackID:        p.Stack.ID,
		RunID:          p.Run.ID,
		RunType:        p.Run.Type,
		RunState:       cmp.Or(p.State, p.Run.State),
		DriftDetection: p.Run.DriftDetection || p.Run.PolicyDriftDetection,
		StateVersion:   p.StateVersion,
		Account:        accountName(p.Account),
		Timestamp:      ts,
	}, nil
}

// time is the payload's most precise timestamp: timestamp_millis, then
// timestamp, then run.updated_at. Zero when it has none.
func (p *payload) time() (time.Time, error) {
	if t, ok, err := parseTime(p.TimestampMillis, time.Millisecond); ok || err != nil {
		return t, err
	}
	if t, ok, err := parseTime(p.Timestamp, 0); ok || err != nil {
		return t, err
	}
	t, _, err := parseTime(p.Run.UpdatedAt, 0)
	return t, err
}

// parseTime reads a JSON number or an RFC 3339 string. A number is in unit,
// or when unit is 0 in the unit its size suggests: Spacelift sends seconds in
// the default payload, milliseconds in audit trail events and nanoseconds in
// policy inputs. Absent, null and 0 mean no timestamp.
func parseTime(raw json.RawMessage, unit time.Duration) (t time.Time, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, false, nil
	}
	bad := &malformedError{msg: fmt.Sprintf("payload timestamp %.40s is neither a Unix time nor an RFC 3339 time", raw)}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, false, bad
		}
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return time.Time{}, false, bad
		}
		return t, true, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return time.Time{}, false, bad
	}
	i, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil || math.IsInf(f, 0) || math.Abs(f) >= math.MaxInt64 {
			return time.Time{}, false, bad
		}
		i = int64(f)
	}
	if i == 0 {
		return time.Time{}, false, nil
	}
	if unit == 0 {
		unit = guessUnit(i)
	}
	switch unit {
	case time.Second:
		return time.Unix(i, 0), true, nil
	case time.Millisecond:
		return time.UnixMilli(i), true, nil
	case time.Microsecond:
		return time.UnixMicro(i), true, nil
	default:
		return time.Unix(0, i), true, nil
	}
}

// guessUnit picks the unit in which n is a date between 1973 and 5138.
func guessUnit(n int64) time.Duration {
	switch a := max(n, -n); {
	case a < 1e11:
		return time.Second
	case a < 1e14:
		return time.Millisecond
	case a < 1e17:
		return time.Microsecond
	default:
		return time.Nanosecond
	}
}

// accountName reads "account" as a string (default payload) or as an object
// with a name (notification policy input).
func accountName(raw json.RawMessage) string {
	var name string
	if json.Unmarshal(raw, &name) == nil {
		return name
	}
	var obj struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.Name
	}
	return ""
}
