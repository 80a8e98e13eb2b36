// Package argocdhealth holds the tests of the Argo CD health checks in
// config/argocd/health: each Lua script is run in gopher-lua, the interpreter
// Argo CD embeds, with the libraries Argo CD opens, against Stack, Policy and
// AdminStack objects in every state the operator reports.
//
// The tests also keep config/argocd/argocd-cm.yaml, which embeds the scripts,
// equal to them; `go test ./internal/argocdhealth -update` regenerates it.
package argocdhealth
