package metrics

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

func TestSpaceliftRequests(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewSpaceliftRequests(reg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := NewSpaceliftRequests(reg)
	if err != nil || again.requests != m.requests || again.duration != m.duration {
		t.Fatalf("second registration on one registry did not reuse the collectors: %v", err)
	}

	m.ObserveRequest("ApiKeyUser", spacelift.OutcomeSuccess, 20*time.Millisecond)
	m.ObserveRequest("StackRead", "transient", 3*time.Second)
	m.ObserveRequest("StackRead", spacelift.OutcomeSuccess, 40*time.Millisecond)

	// Names, help texts and labels are what config/monitoring reads; every
	// outcome of an operation exists from its first request on, at 0, so
	// that rate() sees the first failure.
	var want strings.Builder
	want.WriteString(`# HELP spacelift_requests_total HTTP requests sent to the Spacelift API, by GraphQL operation and outcome.
# TYPE spacelift_requests_total counter
`)
	counts := map[string]int{"ApiKeyUser/success": 1, "StackRead/transient": 1, "StackRead/success": 1}
	for _, op := range []string{"ApiKeyUser", "StackRead"} {
		for _, o := range []string{"error", "invalid_input", "not_found", "rate_limited", "success", "transient", "unauthorized"} {
			fmt.Fprintf(&want, "spacelift_requests_total{operation=%q,outcome=%q} %d\n", op, o, counts[op+"/"+o])
		}
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want.String()), "spacelift_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.requests); n != 2*len(spacelift.Outcomes()) {
		t.Errorf("%d request series, want %d (2 operations x %d outcomes)", n, 2*len(spacelift.Outcomes()), len(spacelift.Outcomes()))
	}

	durations := `# HELP spacelift_request_duration_seconds Duration of HTTP requests to the Spacelift API, by GraphQL operation.
# TYPE spacelift_request_duration_seconds histogram
`
	for _, h := range []struct {
		op      string
		buckets [11]int
		count   int
		sum     string
	}{
		{"ApiKeyUser", [11]int{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 1, "0.02"},
		{"StackRead", [11]int{0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2}, 2, "3.04"},
	} {
		for i, le := range []string{"0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30"} {
			durations += `spacelift_request_duration_seconds_bucket{operation="` + h.op + `",le="` + le + `"} ` + strconv.Itoa(h.buckets[i]) + "\n"
		}
		durations += `spacelift_request_duration_seconds_bucket{operation="` + h.op + `",le="+Inf"} ` + strconv.Itoa(h.count) + "\n"
		durations += `spacelift_request_duration_seconds_sum{operation="` + h.op + `"} ` + h.sum + "\n"
		durations += `spacelift_request_duration_seconds_count{operation="` + h.op + `"} ` + strconv.Itoa(h.count) + "\n"
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(durations), "spacelift_request_duration_seconds"); err != nil {
		t.Error(err)
	}
}

func TestSpaceliftRequestsNameTaken(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "spacelift_requests_total", Help: "Something else."}))
	if _, err := NewSpaceliftRequests(reg); err == nil || !strings.Contains(err.Error(), "spacelift_requests_total") {
		t.Fatalf("registering beside another collector of the same name: %v", err)
	}
}
