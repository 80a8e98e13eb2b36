// Package monitoring holds the tests of config/monitoring: the Grafana
// dashboard and the PrometheusRule. Every query must parse as PromQL (with
// Prometheus' own parser) and select only metrics the operator exports, with
// labels those metrics have; the names and labels of the operator's own
// metrics are read from the Go source that registers them, and
// controller-runtime's are looked up in its metrics registry.
package monitoring
