// Package argocdhealth holds the tests of the Argo CD health checks in
// config/argocd/resource_customizations, which is laid out as Argo CD's own
// resource_customizations directory (<group>/<kind>/health.lua,
// health_test.yaml and testdata/) so the checks can be proposed upstream.
//
// TestLuaHealthScript walks that directory as Argo CD's test of the same
// name does and runs every health_test.yaml case in gopher-lua, the
// interpreter Argo CD embeds, once with Lua's standard libraries (as Argo CD
// runs built-in checks) and once without (as it runs argocd-cm checks). The
// testdata objects must also decode strictly into the operator's API types.
//
// The tests also keep config/argocd/argocd-cm.yaml, which embeds the checks,
// equal to them; `go test ./internal/argocdhealth -update` regenerates it.
package argocdhealth
