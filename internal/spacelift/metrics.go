package spacelift

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics are the Prometheus collectors of the client. One Metrics value is
// shared by every Client that reports to the same registry.
//
// spacelift_requests_total{operation,outcome} counts HTTP requests sent to
// the API, retries included; outcome is "success" or the ErrorKind of the
// failure ("not_found", "unauthorized", "invalid_input", "transient",
// "rate_limited", "error"). spacelift_request_duration_seconds{operation}
// observes the duration of each of those requests.
type Metrics struct {
	// seen records the operations whose outcome series exist, so that each
	// operation's every outcome starts at 0: a counter that appears only
	// with its first failure at a value above 0 hides that burst from
	// rate() and increase().
	seen     sync.Map
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics creates the collectors and registers them on reg. When a
// previous call already registered them on reg, the registered collectors
// are reused, so calling NewMetrics twice with one registry is safe.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "spacelift_requests_total",
		Help: "HTTP requests sent to the Spacelift API, by GraphQL operation and outcome.",
	}, []string{"operation", "outcome"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "spacelift_request_duration_seconds",
		Help:    "Duration of HTTP requests to the Spacelift API, by GraphQL operation.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"operation"})

	m := &Metrics{}
	var err error
	if m.requests, err = registerOrReuse(reg, requests); err != nil {
		return nil, fmt.Errorf("registering spacelift_requests_total: %w", err)
	}
	if m.duration, err = registerOrReuse(reg, duration); err != nil {
		return nil, fmt.Errorf("registering spacelift_request_duration_seconds: %w", err)
	}
	return m, nil
}

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

// outcomes are every value of the outcome label.
var outcomes = []string{"success", KindNotFound.String(), KindUnauthorized.String(), KindInvalidInput.String(),
	KindTransient.String(), KindRateLimited.String(), KindUnknown.String()}

var (
	defaultMetricsOnce sync.Once
	defaultMetrics     *Metrics
)

// DefaultMetrics returns the collectors registered on controller-runtime's
// metrics.Registry, which the manager serves on its metrics endpoint.
func DefaultMetrics() *Metrics {
	defaultMetricsOnce.Do(func() {
		m, err := NewMetrics(ctrlmetrics.Registry)
		if err != nil {
			// Another collector with the same name but a different shape
			// owns the name; keep the client working without metrics.
			m = &Metrics{}
		}
		defaultMetrics = m
	})
	return defaultMetrics
}

func (m *Metrics) observe(operation string, err error, elapsed time.Duration) {
	if m == nil || m.requests == nil {
		return
	}
	if _, seen := m.seen.LoadOrStore(operation, true); !seen {
		for _, o := range outcomes {
			m.requests.WithLabelValues(operation, o).Add(0)
		}
	}
	outcome := "success"
	if err != nil {
		outcome = kindOf(err).String()
	}
	m.requests.WithLabelValues(operation, outcome).Inc()
	m.duration.WithLabelValues(operation).Observe(elapsed.Seconds())
}
