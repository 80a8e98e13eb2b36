package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/pprof/profile"
)

func TestCPUBreakdown(t *testing.T) {
	var fns []*profile.Function
	fn := func(name string) *profile.Location {
		f := &profile.Function{ID: uint64(len(fns) + 1), Name: name}
		fns = append(fns, f)
		return &profile.Location{ID: f.ID, Line: []profile.Line{{Function: f}}}
	}
	validate := fn("github.com/stackwright/spacelift-operator/internal/crdschema.(*Validator).Validate")
	reconcile := fn("github.com/stackwright/spacelift-operator/controllers.(*StackReconciler).Reconcile")
	decode := fn("encoding/json.Unmarshal")
	gc := fn("runtime.gcBgMarkWorker")
	other := fn("main.main")
	event := fn("k8s.io/client-go/tools/record.recordEvent")
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		Sample: []*profile.Sample{
			{Location: []*profile.Location{decode, reconcile}, Value: []int64{1, 3e9}}, // leaf first: a Stack reconcile
			{Location: []*profile.Location{decode, validate}, Value: []int64{1, 2e9}},
			{Location: []*profile.Location{gc}, Value: []int64{1, 1e9}},
			{Location: []*profile.Location{other}, Value: []int64{1, 5e8}},
			{Location: []*profile.Location{decode, reconcile}, Value: []int64{1, 1e9}},
			{Location: []*profile.Location{decode, event}, Value: []int64{1, 5e8}},
		},
		Location: []*profile.Location{validate, reconcile, decode, gc, other, event},
		Function: fns,
	}
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	shares, err := cpuBreakdown(path)
	if err != nil {
		t.Fatal(err)
	}
	got := formatBreakdown(shares, 1000)
	want := "Stack reconciles 4.0 ms (50%), checking AdminStack children against the CRD schemas 2.0 ms (25%), garbage collection 1.0 ms (12%), recording Events 0.5 ms (6%), other 0.5 ms (6%)"
	if got != want {
		t.Errorf("breakdown\n%s\nwant\n%s", got, want)
	}
}
