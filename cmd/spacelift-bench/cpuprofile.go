package main

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/google/pprof/profile"
)

// cpuShare is the CPU time of one part of the operator's work during the
// creation of a run, from its CPU profile.
type cpuShare struct {
	Part    string  `json:"part"`
	Seconds float64 `json:"seconds"`
}

// cpuParts name the operator's work by the functions on a sample's stack.
// A sample goes to the first part, in this order, that one of its frames
// matches: the local check of AdminStack children runs in goroutines of its
// own, and the garbage collector in the runtime's.
var cpuParts = []struct {
	name    string
	matches func(fn string) bool
}{
	{"checking AdminStack children against the CRD schemas", prefix("github.com/stackwright/spacelift-operator/internal/crdschema.")},
	{"garbage collection", prefix("runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge", "runtime.gcAssistAlloc", "runtime.markroot")},
	{"Stack reconciles", prefix("github.com/stackwright/spacelift-operator/controllers.(*StackReconciler).")},
	{"AdminStack reconciles and applies", prefix("github.com/stackwright/spacelift-operator/controllers.(*AdminStackReconciler).")},
	{"snapshot refreshes", prefix("github.com/stackwright/spacelift-operator/controllers.(*StackCache).")},
	{"Spacelift requests (client)", prefix("github.com/stackwright/spacelift-operator/internal/spacelift.")},
	{"watch events and the informer cache", prefix("k8s.io/client-go/tools/cache.", "k8s.io/apimachinery/pkg/watch.", "k8s.io/client-go/rest/watch.")},
	{"Policy reconciles", prefix("github.com/stackwright/spacelift-operator/controllers.(*PolicyReconciler).")},
	{"recording Events", prefix("k8s.io/client-go/tools/record.")},
	{"HTTP/2 and TLS", prefix("golang.org/x/net/http2.", "crypto/tls.", "net/http.")},
	{"goroutine scheduling", prefix("runtime.schedule", "runtime.findRunnable", "runtime.park_m", "runtime.mcall")},
}

func prefix(ps ...string) func(string) bool {
	return func(fn string) bool {
		for _, p := range ps {
			if strings.HasPrefix(fn, p) {
				return true
			}
		}
		return false
	}
}

// cpuBreakdown splits the CPU profile at path into cpuParts, largest first,
// the samples no part matches last as "other".
func cpuBreakdown(path string) ([]cpuShare, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("reading the CPU profile %s: %w", path, err)
	}
	value := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" && st.Unit == "nanoseconds" {
			value = i
		}
	}
	if value < 0 {
		return nil, fmt.Errorf("the profile %s has no cpu samples", path)
	}
	byPart := map[string]int64{}
	for _, s := range p.Sample {
		byPart[partOf(s)] += s.Value[value]
	}
	out := make([]cpuShare, 0, len(byPart))
	for part, ns := range byPart {
		out = append(out, cpuShare{Part: part, Seconds: float64(ns) / 1e9})
	}
	slices.SortFunc(out, func(a, b cpuShare) int {
		if (a.Part == "other") != (b.Part == "other") {
			if a.Part == "other" {
				return 1
			}
			return -1
		}
		return cmp.Compare(b.Seconds, a.Seconds)
	})
	return out, nil
}

// partOf names the part of a sample (see cpuParts).
func partOf(s *profile.Sample) string {
	for _, part := range cpuParts {
		for _, loc := range s.Location {
			for _, line := range loc.Line {
				if line.Function != nil && part.matches(line.Function.Name) {
					return part.name
				}
			}
		}
	}
	return "other"
}

// formatBreakdown is the parts as "part 1.2 ms (20%)" per stack.
func formatBreakdown(shares []cpuShare, stacks int) string {
	var total float64
	for _, s := range shares {
		total += s.Seconds
	}
	if total == 0 || stacks == 0 {
		return ""
	}
	parts := make([]string, len(shares))
	for i, s := range shares {
		parts[i] = fmt.Sprintf("%s %.1f ms (%.0f%%)", s.Part, s.Seconds*1000/float64(stacks), 100*s.Seconds/total)
	}
	return strings.Join(parts, ", ")
}
