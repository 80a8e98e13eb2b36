// Package policytest holds the tests of the signed-runs policy samples in
// config/samples/policies (APPROVAL, server-side INITIALIZATION and the
// worker-side launcher initialization policy), evaluated with OPA's Go
// packages against inputs in the shapes Spacelift sends: signed, forged,
// unsigned, stale, replayed and wrong-key runs, the sample inputs in
// config/samples/policies/testdata, and a run triggered through the
// emulator. Run `go test ./internal/runmeta/policytest -update` to
// regenerate the sample inputs.
//
// The package has no code of its own: it exists so that OPA is compiled only
// into this test binary.
package policytest
