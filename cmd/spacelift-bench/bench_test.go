package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// TestDefaultsMatchTheOperator reads cmd/main.go and checks that -defaults
// runs the operator with the --concurrency default written there.
func TestDefaultsMatchTheOperator(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "main.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) < 3 {
			return true
		}
		name, ok := call.Args[1].(*ast.BasicLit)
		if !ok || name.Value != `"concurrency"` {
			return true
		}
		lit, ok := call.Args[2].(*ast.BasicLit)
		if !ok {
			t.Fatalf("the --concurrency default in cmd/main.go is not a literal; make it one or export it")
		}
		v, err := strconv.Atoi(lit.Value)
		if err != nil {
			t.Fatalf("the --concurrency default %s: %v", lit.Value, err)
		}
		if v != defaultConcurrency {
			t.Errorf("cmd/main.go's --concurrency default is %d, defaultConcurrency is %d", v, defaultConcurrency)
		}
		found = true
		return false
	})
	if !found {
		t.Fatal("no --concurrency flag definition found in cmd/main.go")
	}
}

func TestParseFlagsDefaults(t *testing.T) {
	c, err := parseFlags([]string{"-defaults", "-mode", "stacks", "-n", "10"})
	if err != nil {
		t.Fatal(err)
	}
	if c.concurrency != defaultConcurrency || c.qps != spacelift.DefaultQPS || c.burst != spacelift.DefaultBurst {
		t.Errorf("-defaults gave concurrency %d, QPS %g, burst %d", c.concurrency, c.qps, c.burst)
	}
	if _, err := parseFlags([]string{"-defaults", "-qps", "5"}); err == nil {
		t.Error("-defaults with -qps was accepted")
	}
	if _, err := parseFlags([]string{"-mode", "stack"}); err == nil {
		t.Error("-mode stack (unknown) was accepted")
	}
}

func TestResourceOfPath(t *testing.T) {
	for path, want := range map[string]string{
		"/apis/spacelift.stackwright.io/v1alpha1/namespaces/ns/stacks/a/status": "stacks/status",
		"/apis/spacelift.stackwright.io/v1alpha1/namespaces/ns/stacks/a":        "stacks",
		"/apis/spacelift.stackwright.io/v1alpha1/namespaces/ns/stacks":          "stacks",
		"/api/v1/namespaces/ns/events":                                          "events",
		"/api/v1/namespaces/ns":                                                 "namespaces",
		"/apis/events.k8s.io/v1/namespaces/ns/events":                           "events",
	} {
		if got := resourceOfPath(path); got != want {
			t.Errorf("resourceOfPath(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestRowChecksUseTheFloorsOfTheWork(t *testing.T) {
	c := &benchConfig{defaults: true}
	r := &sizeResult{Mode: modeStacks, N: 1000, Stacks: 1000, ReadySeconds: 19, FloorSeconds: 10, ReadyOverFloor: 1.9,
		RequestsPerStack: 2, OperatorCPUMillisPerStack: 6.5, KubeWritesPerStack: 3, PeakHeapInuseBytes: 1, PeakRSSBytes: 1}
	got := map[string]string{}
	for _, ck := range rowChecks(c, r) {
		got[ck.Name] = ck.Status
	}
	want := map[string]string{
		"ready within 1.5x floor":          "", // not a target at the rate-limited defaults
		"requests per new stack <= 2":      "PASS",
		"operator CPU per stack <= 6 ms":   "FAIL",
		"Kubernetes writes per stack <= 3": "PASS",
		"defaults: 5x faster than 99s":     "PASS",
		"heap <= 256 MiB":                  "PASS",
		"RSS <= 400 MiB":                   "PASS",
	}
	for name, status := range want {
		if got[name] != status {
			t.Errorf("%s: %s, want %s", name, got[name], status)
		}
	}
	// The named target is not run at the defaults, not failed.
	for _, tr := range targets(c, report{Runs: []sizeRow{{sizeResult: *r, Checks: rowChecks(c, r)}}}) {
		if strings.Contains(tr.Target, "Ready within 1.5x the floor") && strings.Contains(tr.Target, "plain") && tr.Status != "NOT RUN" {
			t.Errorf("at the defaults: %s %s: %s", tr.Status, tr.Target, tr.Detail)
		}
	}
	c.defaults = false
	for _, ck := range rowChecks(c, r) {
		if ck.Name == "ready within 1.5x floor" && ck.Status != "FAIL" {
			t.Errorf("without -defaults, 1.9x the floor: %s, want FAIL", ck.Status)
		}
	}
}

type nopTransport struct{}

func (nopTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
}

func TestCountingTransportClassifiesWrites(t *testing.T) {
	c := newKubeWriteCounter()
	rt := countingTransport{base: nopTransport{}, c: c}
	const stack = "https://api/apis/spacelift.stackwright.io/v1alpha1/namespaces/ns/stacks/a"
	send := func(method, url, body string) {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rt.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
	}
	send(http.MethodGet, stack, "")
	send(http.MethodPut, stack, `{"metadata":{}}`)
	send(http.MethodPatch, stack+"/status", `{"status":{}}`)
	send(http.MethodPatch, stack, `{}`)
	send(http.MethodPatch, stack+"?dryRun=All&fieldManager=x", `{"spec":{}}`)
	n, empty, dryRun, byKind := c.snapshot()
	if n != 2 || empty != 1 || dryRun != 1 {
		t.Errorf("writes %d, empty patches %d, dry runs %d; want 2, 1, 1", n, empty, dryRun)
	}
	if byKind["PUT stacks"] != 1 || byKind["PATCH stacks/status"] != 1 {
		t.Errorf("by kind %v", byKind)
	}
}

func TestLargestFirst(t *testing.T) {
	m := map[string]int{"b": 2, "a": 2, "c": 5, "d": 1}
	item := func(k string, v int) string { return fmt.Sprintf("%s=%d", k, v) }
	if got := largestFirst(m, 0, " ", item); got != "c=5 a=2 b=2 d=1" {
		t.Errorf("all: %q", got)
	}
	if got := largestFirst(m, 2, ", ", item); got != "c=5, a=2, …" {
		t.Errorf("two largest: %q", got)
	}
	if got := writesPerStack(map[string]int64{"POST events": 1000, "APPLY stacks": 1001}, 1000); got != "APPLY stacks 1.00, POST events 1.00" {
		t.Errorf("per stack: %q", got)
	}
}
