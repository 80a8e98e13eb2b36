package metrics

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// SpaceliftRequests are the Prometheus collectors of the Spacelift client's
// requests. It implements spacelift.RequestObserver; pass one value as
// spacelift.Options.Observer to every client reporting to the same registry.
//
// spacelift_requests_total{operation,outcome} counts HTTP requests sent to
// the API, retries and token exchanges included; outcome is one of
// spacelift.Outcomes(): "success" or the kind of the failure ("not_found",
// "unauthorized", "invalid_input", "transient", "rate_limited", "error").
// spacelift_request_duration_seconds{operation} observes the duration of
// each of those requests.
type SpaceliftRequests struct {
	// seen records the operations whose outcome series exist, so that each
	// operation's every outcome starts at 0: a counter that appears only
	// with its first failure at a value above 0 hides that burst from
	// rate() and increase().
	seen     sync.Map
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

var _ spacelift.RequestObserver = (*SpaceliftRequests)(nil)

// NewSpaceliftRequests creates the collectors and registers them on reg.
// When a previous call already registered them on reg, the registered
// collectors are reused, so calling it twice with one registry is safe.
func NewSpaceliftRequests(reg prometheus.Registerer) (*SpaceliftRequests, error) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "spacelift_requests_total",
		Help: "HTTP requests sent to the Spacelift API, by GraphQL operation and outcome.",
	}, []string{"operation", "outcome"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "spacelift_request_duration_seconds",
		Help:    "Duration of HTTP requests to the Spacelift API, by GraphQL operation.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"operation"})

	m := &SpaceliftRequests{}
	var err error
	if m.requests, err = registerOrReuse(reg, requests); err != nil {
		return nil, fmt.Errorf("registering spacelift_requests_total: %w", err)
	}
	if m.duration, err = registerOrReuse(reg, duration); err != nil {
		return nil, fmt.Errorf("registering spacelift_request_duration_seconds: %w", err)
	}
	return m, nil
}

// ObserveRequest counts one request and observes its duration. The first
// request of an operation also creates the operation's series of every
// other outcome, at 0.
func (m *SpaceliftRequests) ObserveRequest(operation string, outcome spacelift.Outcome, elapsed time.Duration) {
	if _, seen := m.seen.LoadOrStore(operation, true); !seen {
		for _, o := range spacelift.Outcomes() {
			m.requests.WithLabelValues(operation, string(o)).Add(0)
		}
	}
	m.requests.WithLabelValues(operation, string(outcome)).Inc()
	m.duration.WithLabelValues(operation).Observe(elapsed.Seconds())
}

// registerOrReuse registers c on reg, or returns the collector of the same
// description that reg already holds.
func registerOrReuse[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	var zero C
	return zero, err
}
