package spacelift

import "time"

// RequestObserver is told about every HTTP request a Client sends, retries
// and token exchanges included. The client registers no metrics itself:
// the program that builds clients passes an observer that records what it
// wants, for example Prometheus collectors.
type RequestObserver interface {
	// ObserveRequest is called once per HTTP request, after its answer was
	// classified, with the GraphQL operation name (such as "StackRead"),
	// the outcome and the request's duration. It is called concurrently
	// by every goroutine using the client and must not block.
	ObserveRequest(operation string, outcome Outcome, elapsed time.Duration)
}

// Outcome classifies one HTTP request: OutcomeSuccess, or the ErrorKind of
// the failure in its String form ("not_found", "unauthorized",
// "invalid_input", "transient", "rate_limited", "error"). The values are
// those of the outcome label of the operator's spacelift_requests_total
// metric, which dashboards and alerts select on.
type Outcome string

// OutcomeSuccess is the outcome of a request whose answer the client
// accepted.
const OutcomeSuccess Outcome = "success"

// Outcomes returns every Outcome, OutcomeSuccess first, so that an observer
// can create each outcome's series before the first request has it.
func Outcomes() []Outcome {
	return []Outcome{OutcomeSuccess, outcomeOfKind(KindNotFound), outcomeOfKind(KindUnauthorized),
		outcomeOfKind(KindInvalidInput), outcomeOfKind(KindTransient), outcomeOfKind(KindRateLimited),
		outcomeOfKind(KindUnknown)}
}

// outcomeOf classifies the result of one request.
func outcomeOf(err error) Outcome {
	if err == nil {
		return OutcomeSuccess
	}
	return outcomeOfKind(kindOf(err))
}

func outcomeOfKind(k ErrorKind) Outcome { return Outcome(k.String()) }
