// Package policytest holds the tests of the sample INITIALIZATION policy in
// config/samples/policies, evaluated with OPA's Go packages against inputs in
// the shape Spacelift sends, including the sample inputs in
// config/samples/policies/testdata. Run `go test ./internal/runmeta/policytest
// -update` to regenerate those sample inputs.
//
// The package has no code of its own: it exists so that OPA is compiled only
// into this test binary.
package policytest
