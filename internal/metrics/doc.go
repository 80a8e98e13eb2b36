// Package metrics holds Prometheus collectors that the operator's programs
// register on behalf of libraries which register none themselves. Its first
// user is the Spacelift client (internal/spacelift): SpaceliftRequests turns
// the requests the client reports to its RequestObserver into the
// spacelift_requests_total and spacelift_request_duration_seconds metrics
// that config/monitoring's dashboard and alerts read.
package metrics
