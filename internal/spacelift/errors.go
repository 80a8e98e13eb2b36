package spacelift

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrorKind classifies a failed call so that callers can decide between a
// terminal failure, a wait and a retry without parsing messages.
type ErrorKind int

const (
	// KindUnknown is a failure the client could not classify, such as a
	// response that does not match the shape the client asked for.
	KindUnknown ErrorKind = iota
	// KindNotFound means the object does not exist: the API answered null
	// or reported that the object was not found.
	KindNotFound
	// KindUnauthorized means the API key was rejected, or the key is valid
	// but lacks permission for the object (HTTP 401/403 or an
	// "unauthorized" GraphQL error).
	KindUnauthorized
	// KindInvalidInput means the API refused the request itself: a GraphQL
	// validation error or a user error such as a name clash. Retrying the
	// same request cannot succeed.
	KindInvalidInput
	// KindTransient means the request may succeed if repeated: a network
	// failure, a timeout or a 5xx response.
	KindTransient
	// KindRateLimited means the API answered 429; Error.RetryAfter says how
	// long it asked the client to wait.
	KindRateLimited
)

// String returns the kind in the form used for the outcome label of the
// request metrics.
func (k ErrorKind) String() string {
	switch k {
	case KindNotFound:
		return "not_found"
	case KindUnauthorized:
		return "unauthorized"
	case KindInvalidInput:
		return "invalid_input"
	case KindTransient:
		return "transient"
	case KindRateLimited:
		return "rate_limited"
	default:
		return "error"
	}
}

// Sentinel errors matched by errors.Is against an *Error of the same kind,
// for callers that prefer errors.Is to the Is* helpers.
var (
	ErrNotFound     = errors.New("spacelift: not found")
	ErrUnauthorized = errors.New("spacelift: unauthorized")
	ErrInvalidInput = errors.New("spacelift: invalid input")
	ErrTransient    = errors.New("spacelift: transient failure")
	ErrRateLimited  = errors.New("spacelift: rate limited")
)

// Error is a failed Spacelift API call.
type Error struct {
	// Operation is the GraphQL operation name, such as "StackCreate".
	Operation string
	// Kind classifies the failure.
	Kind ErrorKind
	// StatusCode is the HTTP status of the response, or 0 when no response
	// arrived.
	StatusCode int
	// RetryAfter is the wait the API asked for with a Retry-After header,
	// or 0 when it asked for none.
	RetryAfter time.Duration
	// Messages are the messages of the GraphQL errors in the response.
	Messages []string
	// Aliases name, message by message, the top-level field (its alias in
	// a batch document) whose path the error carries; "" for none.
	Aliases []string
	// Err is the underlying cause, such as a network error, if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("spacelift ")
	b.WriteString(e.Operation)
	b.WriteString(": ")
	b.WriteString(strings.ReplaceAll(e.Kind.String(), "_", " "))
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.StatusCode)
	}
	if len(e.Messages) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Messages, "; "))
	} else if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel error of e's kind.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Kind == KindNotFound
	case ErrUnauthorized:
		return e.Kind == KindUnauthorized
	case ErrInvalidInput:
		return e.Kind == KindInvalidInput
	case ErrTransient:
		return e.Kind == KindTransient
	case ErrRateLimited:
		return e.Kind == KindRateLimited
	}
	return false
}

// IsNotFound reports whether err says that the object does not exist.
func IsNotFound(err error) bool { return kindOf(err) == KindNotFound }

// IsUnauthorized reports whether err says that the credentials were rejected
// or lack permission.
func IsUnauthorized(err error) bool { return kindOf(err) == KindUnauthorized }

// IsInvalidInput reports whether err says that the API refused the request
// itself; repeating it cannot succeed.
func IsInvalidInput(err error) bool { return kindOf(err) == KindInvalidInput }

// IsTransient reports whether err is a failure that may go away when the
// request is repeated later (network, timeout, 5xx).
func IsTransient(err error) bool { return kindOf(err) == KindTransient }

// IsRateLimited reports whether err is a 429 answer from the API.
func IsRateLimited(err error) bool { return kindOf(err) == KindRateLimited }

// RetryAfter returns the wait the API asked for in a rate-limited answer, if
// err carries one.
func RetryAfter(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter, true
	}
	return 0, false
}

func kindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnknown
}

func notFound(operation, what string) *Error {
	return &Error{Operation: operation, Kind: KindNotFound, Messages: []string{what + " not found"}}
}

func invalidInput(operation, msg string) *Error {
	return &Error{Operation: operation, Kind: KindInvalidInput, Messages: []string{msg}}
}

// classifyStatus maps an HTTP status that is not 200 to a kind.
func classifyStatus(status int) ErrorKind {
	switch {
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return KindUnauthorized
	case status == http.StatusRequestTimeout || status >= 500:
		return KindTransient
	case status == http.StatusNotFound:
		// The endpoint itself is missing: a wrong account URL.
		return KindInvalidInput
	default:
		return KindInvalidInput
	}
}

// classifyMessages classifies GraphQL errors returned with HTTP 200. The
// real API reports a missing or expired token and missing permissions with
// the message "unauthorized" (spacectl matches on that word), and a missing
// object with a message containing "not found".
func classifyMessages(messages []string, codes []string) ErrorKind {
	kind := KindInvalidInput
	for i, m := range messages {
		lower := strings.ToLower(m)
		code := ""
		if i < len(codes) {
			code = strings.ToUpper(codes[i])
		}
		switch {
		case code == "UNAUTHENTICATED" || code == "UNAUTHORIZED" || code == "FORBIDDEN" ||
			strings.Contains(lower, "unauthorized") || strings.Contains(lower, "unauthenticated") ||
			strings.Contains(lower, "forbidden"):
			return KindUnauthorized
		case code == "RATE_LIMITED" || strings.Contains(lower, "rate limit") ||
			strings.Contains(lower, "too many requests"):
			kind = KindRateLimited
		case code == "NOT_FOUND" || strings.Contains(lower, "not found"):
			if kind == KindInvalidInput {
				kind = KindNotFound
			}
		case code == "INTERNAL_SERVER_ERROR" || code == "INTERNAL" || code == "UNAVAILABLE" ||
			strings.Contains(lower, "internal error") || strings.Contains(lower, "internal server error") ||
			strings.Contains(lower, "temporarily unavailable"):
			if kind != KindRateLimited {
				kind = KindTransient
			}
		}
	}
	return kind
}

// parseRetryAfter reads a Retry-After header given in seconds or as an
// HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// isDialError reports whether err happened before the request reached the
// server, so that repeating even a non-idempotent mutation is safe.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}
